package source

import (
	"bytes"
	"math"
	"strconv"
)

// This file gives plain (unquoted) YAML scalars the meaning the reference
// decoder gives them: sigs.k8s.io/yaml, which reads YAML 1.1 through
// go.yaml.in/yaml/v2 and turns the result into JSON with encoding/json.
// So `yes` and `on` are booleans, `0777` is octal, `1_000` is 1000, and a
// float prints as encoding/json prints a float64. Keeping this exact is what
// lets the fast path and the reference decoder agree on every input.

// scalarKind is what a plain scalar resolves to.
type scalarKind uint8

const (
	scalarString scalarKind = iota
	scalarNull
	scalarBool
	scalarInt
	scalarUint
	scalarFloat
	scalarMerge   // `<<`, a merge key
	scalarSpecial // .nan and the infinities, which JSON cannot hold
)

// resolved is the value of a plain scalar.
type resolved struct {
	kind scalarKind
	b    bool
	i    int64
	u    uint64
	f    float64
}

// hintTable marks the first bytes that can start something other than a
// string; everything else is a string without further checks.
var hintTable = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for c := '0'; c <= '9'; c++ {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

// resolvePlain resolves a plain scalar by YAML 1.1 rules.
func resolvePlain(s []byte) resolved {
	if len(s) == 0 {
		return resolved{kind: scalarNull}
	}
	hint := hintTable[s[0]]
	if hint == 0 {
		return resolved{}
	}
	if r, ok := resolveWord(s); ok {
		return r
	}
	switch hint {
	case '.':
		if f, err := strconv.ParseFloat(string(s), 64); err == nil {
			return resolved{kind: scalarFloat, f: f}
		}
	case 'D', 'S':
		// Timestamps resolve to strings here, as they do when YAML 1.1 is
		// decoded into an untyped value; none of them parses as a number.
		plain := string(s)
		if bytes.IndexByte(s, '_') >= 0 {
			plain = string(bytes.ReplaceAll(s, []byte("_"), nil))
		}
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return resolved{kind: scalarInt, i: i}
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return resolved{kind: scalarUint, u: u}
		}
		if yamlFloatSyntax(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return resolved{kind: scalarFloat, f: f}
			}
		}
		if len(plain) > 2 && plain[:2] == "0b" {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return resolved{kind: scalarInt, i: i}
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return resolved{kind: scalarUint, u: u}
			}
		} else if len(plain) > 3 && plain[:3] == "-0b" {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return resolved{kind: scalarInt, i: i}
			}
		}
	}
	return resolved{}
}

// resolveWord resolves the YAML 1.1 words: booleans, nulls, the special
// floats and the merge key.
func resolveWord(s []byte) (resolved, bool) {
	if len(s) > 6 {
		return resolved{}, false
	}
	switch string(s) {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return resolved{kind: scalarBool, b: true}, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return resolved{kind: scalarBool}, true
	case "~", "null", "Null", "NULL":
		return resolved{kind: scalarNull}, true
	case ".nan", ".NaN", ".NAN":
		return resolved{kind: scalarSpecial, f: math.NaN()}, true
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return resolved{kind: scalarSpecial, f: math.Inf(1)}, true
	case "-.inf", "-.Inf", "-.INF":
		return resolved{kind: scalarSpecial, f: math.Inf(-1)}, true
	case "<<":
		return resolved{kind: scalarMerge}, true
	}
	return resolved{}, false
}

// yamlFloatSyntax matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloatSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendPlainValue appends the JSON for a plain scalar in value position.
// It reports false for values the reference decoder rejects (NaN and the
// infinities have no JSON form), so that the caller defers to it.
func appendPlainValue(out, s []byte) ([]byte, bool) {
	r := resolvePlain(s)
	switch r.kind {
	case scalarNull:
		return append(out, "null"...), true
	case scalarBool:
		if r.b {
			return append(out, "true"...), true
		}
		return append(out, "false"...), true
	case scalarInt:
		return strconv.AppendInt(out, r.i, 10), true
	case scalarUint:
		return strconv.AppendUint(out, r.u, 10), true
	case scalarFloat:
		return appendJSONFloat(out, r.f), true
	case scalarSpecial:
		return out, false
	}
	// A merge key in value position is the string "<<".
	return appendJSONString(out, s), true
}

// appendPlainKey appends the JSON string a plain mapping key becomes: keys
// that resolve to numbers or booleans are printed back as strings. It
// reports false for keys the reference decoder rejects (null and
// out-of-range integers) or treats specially (merge keys).
func appendPlainKey(out, s []byte) ([]byte, bool) {
	r := resolvePlain(s)
	switch r.kind {
	case scalarString:
		return appendJSONString(out, s), true
	case scalarBool:
		if r.b {
			return append(out, `"true"`...), true
		}
		return append(out, `"false"`...), true
	case scalarInt:
		out = append(out, '"')
		out = strconv.AppendInt(out, r.i, 10)
		return append(out, '"'), true
	case scalarFloat, scalarSpecial:
		out = append(out, '"')
		switch {
		case math.IsNaN(r.f):
			out = append(out, ".nan"...)
		case math.IsInf(r.f, 1):
			out = append(out, ".inf"...)
		case math.IsInf(r.f, -1):
			out = append(out, "-.inf"...)
		default:
			out = strconv.AppendFloat(out, r.f, 'g', -1, 32)
		}
		return append(out, '"'), true
	}
	return out, false
}

// appendJSONFloat prints f as encoding/json prints a float64.
func appendJSONFloat(out []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	out = strconv.AppendFloat(out, f, format, -1, 64)
	if format == 'e' {
		// e-09 is printed as e-9.
		n := len(out)
		if n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

// needsEscape marks the bytes a JSON string cannot hold as they are.
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(out, s []byte) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape[c] {
			continue
		}
		out = append(out, s[start:i]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
