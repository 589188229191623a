package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize is what every quoted string goes through: credentials redacted,
// then control and bidirectional characters and invalid UTF-8 escaped.
func Sanitize(s string) string {
	return redactEscaped(Redact(s), Escape)
}

// redactEscaped applies escape to redacted text and, when that changed
// anything, redacts once more: an escape puts letters where a control
// character stood, and they can join the name before an = into one that
// says credential ("\x10.key=0" shows as `\x10.key=0`, whose name x10.key
// ends in key after another word). The second pass errs towards hiding, as
// redaction does, and makes sanitizing printed text again change nothing.
func redactEscaped(redacted string, escape func(string) string) string {
	escaped := escape(redacted)
	if escaped == redacted {
		return escaped
	}
	return Redact(escaped)
}

// SanitizeLines is Sanitize for text whose line breaks are its own
// structure: a command that feeds a here-document to kubectl, which must be
// pasted line by line. Credentials are redacted across the whole text (a
// PEM block spans lines), then each line is escaped on its own; line feeds
// stay, a carriage return does not.
func SanitizeLines(s string) string {
	return redactEscaped(Redact(s), escapeLines)
}

// escapeLines escapes each line of s on its own, keeping the line feeds.
func escapeLines(s string) string {
	if !strings.Contains(s, "\n") {
		return Escape(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

// Escape returns s with every character that a terminal would act on, or
// that would reorder or hide the text around it, written as an escape
// sequence, and every byte of invalid UTF-8 written as \xNN. The result is
// valid UTF-8 and holds no line break, so it cannot end or overwrite the
// line of a report it is printed on.
//
// Backslashes are kept as they are: commands and JSON patches carry them,
// and doubling them would break what is pasted. The escapes are for reading,
// not for decoding back: an input holding the four characters `\x1b` shows
// the same as one holding ESC, and both are harmless.
func Escape(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			writeEscape(&b, 'x', rune(c), 2)
		case unsafeRune(r):
			writeRuneEscape(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte Escape would change, or
// -1 when s passes unchanged.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether r must be shown escaped: C0 controls (tab and
// line feed included: a quoted value never spans lines), DEL, C1 controls
// (0x9b is a CSI on terminals that read C1), the line and paragraph
// separators, and Unicode format characters. The format characters hold the
// bidirectional embeddings, overrides, isolates and marks that make a
// terminal or a browser show text in another order than it is read (the
// "Trojan Source" trick), and invisible ones (zero-width space, word joiner,
// byte order mark, tag characters) that make two names look the same. The
// zero-width joiner and non-joiner stay: scripts such as Persian and
// Devanagari and emoji sequences need them.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == '\u2028', r == '\u2029':
		return true
	case r == '\u200c', r == '\u200d':
		return false
	case r < 0xa0:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

func writeRuneEscape(b *strings.Builder, r rune) {
	switch r {
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	default:
		switch {
		case r < 0x80:
			writeEscape(b, 'x', r, 2)
		case r <= 0xffff:
			writeEscape(b, 'u', r, 4)
		default:
			writeEscape(b, 'U', r, 8)
		}
	}
}

// writeEscape writes \<kind> followed by r in lower-case hex, zero-padded to
// digits.
func writeEscape(b *strings.Builder, kind byte, r rune, digits int) {
	const hex = "0123456789abcdef"
	b.WriteByte('\\')
	b.WriteByte(kind)
	for shift := (digits - 1) * 4; shift >= 0; shift -= 4 {
		b.WriteByte(hex[(r>>uint(shift))&0xf])
	}
}
