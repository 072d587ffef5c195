package pycompat

import (
	"unicode/utf8"
)

// DecodeUTF8 returns s as Python's bytes.decode("utf-8", errors="replace")
// reads it: each maximal ill-formed subsequence (a byte that cannot start a
// character, or the longest prefix of a character that is cut short) becomes
// one U+FFFD. Go's utf8 package instead counts every byte of a cut-short
// character separately, so "\xe2\x82x" is "\ufffdx" here and "\ufffd\ufffdx"
// with strings.ToValidUTF8 applied byte by byte. Valid input is returned as
// is, without allocating.
func DecodeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		n := validPrefix(s[i:])
		if n > 0 && n == seqLen(c) {
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		b = append(b, "\uFFFD"...)
		i += max(n, 1)
	}
	return string(b)
}

// seqLen is the length of the character a lead byte starts, or 0 for a byte
// that cannot start one (0x80-0xC1, 0xF5-0xFF).
func seqLen(c byte) int {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 2
	case c >= 0xE0 && c <= 0xEF:
		return 3
	case c >= 0xF0 && c <= 0xF4:
		return 4
	}
	return 0
}

// validPrefix returns how many bytes at the start of s (which starts with a
// byte >= 0x80) belong to a well-formed character or to a cut-short prefix of
// one: 0 when s[0] cannot start a character.
func validPrefix(s string) int {
	c := s[0]
	n := seqLen(c)
	if n == 0 {
		return 0
	}
	lo, hi := byte(0x80), byte(0xBF) // the second byte's range
	switch c {
	case 0xE0:
		lo = 0xA0
	case 0xED:
		hi = 0x9F
	case 0xF0:
		lo = 0x90
	case 0xF4:
		hi = 0x8F
	}
	i := 1
	for ; i < n && i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

// Latin1 returns s as Python's bytes.decode("latin-1") reads it: each byte is
// the code point of the same value.
func Latin1(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s)*2)
	for i := 0; i < len(s); i++ {
		b = utf8.AppendRune(b, rune(s[i]))
	}
	return string(b)
}
