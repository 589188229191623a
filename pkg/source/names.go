package source

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Names read from files are held to the rules the API server applies, so
// that a name the server would reject never reaches a report: such a name
// is a broken manifest, and printed into a `kubectl` fix line a name like
// `--server=https://x` would become a flag. The checks here are byte loops
// that accept exactly what k8s.io/apimachinery's validation accepts (a test
// holds them to it); its functions word the error.

// nameError is a name the API server would reject, or nil.
func nameError(kind string, meta metaNames) error {
	name, generated := meta.GetName(), false
	if name == "" && meta.GetGenerateName() != "" {
		// The server validates a generateName prefix as a name whose
		// trailing dash stands for the suffix it appends.
		name, generated = meta.GetGenerateName(), true
	}
	checked := name
	if generated && strings.HasSuffix(checked, "-") {
		checked = checked[:len(checked)-1] + "a"
	}
	field := "name"
	if generated {
		field = "generateName"
	}
	switch kind {
	case snapshot.KindService:
		if !isDNS1035Label(checked) {
			return invalidName(kind, field, name, validation.IsDNS1035Label(checked))
		}
	case snapshot.KindNamespace:
		if !isDNS1123Label(checked) {
			return invalidName(kind, field, name, validation.IsDNS1123Label(checked))
		}
	default:
		if !isDNS1123Subdomain(checked) {
			return invalidName(kind, field, name, validation.IsDNS1123Subdomain(checked))
		}
	}
	if ns := meta.GetNamespace(); ns != "" && !isDNS1123Label(ns) {
		return invalidName(kind, "namespace", ns, validation.IsDNS1123Label(ns))
	}
	return nil
}

// metaNames is the part of object metadata names are read from.
type metaNames interface {
	GetName() string
	GetGenerateName() string
	GetNamespace() string
}

func invalidName(kind, field, value string, why []string) error {
	return fmt.Errorf("%s %s %s is not valid (the API server rejects it): %s", kind, field, quoteClipped(value, 100), strings.Join(why, "; "))
}

// quoteClipped quotes s as Go does, escaping control characters, keeping
// at most max bytes of it.
func quoteClipped(s string, max int) string {
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
}

// isDNS1123Label: 1 to 63 lower case letters, digits and '-', starting and
// ending with a letter or digit.
func isDNS1123Label(s string) bool {
	return len(s) <= validation.DNS1123LabelMaxLength && isLabel(s, false)
}

// isDNS1035Label is isDNS1123Label starting with a letter.
func isDNS1035Label(s string) bool {
	return len(s) <= validation.DNS1035LabelMaxLength && isLabel(s, true)
}

// isDNS1123Subdomain: at most 253 bytes of labels (of any length) joined
// by '.'.
func isDNS1123Subdomain(s string) bool {
	if len(s) > validation.DNS1123SubdomainMaxLength {
		return false
	}
	for {
		label, rest, more := strings.Cut(s, ".")
		if !isLabel(label, false) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// isLabel checks the characters of a DNS label, not its length.
func isLabel(s string, letterFirst bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9':
			if i == 0 && letterFirst {
				return false
			}
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}
