package pycompat

import (
	"unicode/utf16"
	"unicode/utf8"
)

// JSONStringError says why AppendJSONString stopped.
type JSONStringError uint8

// The ways a JSON string can be malformed.
const (
	JSONStringEOF     JSONStringError = iota + 1 // the input ends inside the string
	JSONStringEscape                             // "\" followed by none of "\/bfnrtu
	JSONStringHex                                // "\u" not followed by four hex digits
	JSONStringControl                            // a raw character below U+0020
	JSONStringUTF8                               // bytes that are not UTF-8
)

// AppendJSONString reads the JSON string whose opening quote is at
// data[start-1], as Python's json.loads (and RFC 8259) reads it: the escapes
// \" \\ \/ \b \f \n \r \t and \uXXXX, a UTF-16 surrogate pair written as two
// \u escapes is one character and a lone surrogate becomes U+FFFD (a Go
// string cannot hold it), raw control characters and invalid UTF-8 are
// errors.
//
// On success it returns the string's bytes and end, the index just after the
// closing quote. When the string has no escapes the bytes are data's own,
// data[start:end-1] (no copy); otherwise they are the unescaped bytes appended
// to dst, which are always fewer (every escape is longer than what it
// stands for), so len(s) < end-1-start tells a copy apart. On failure
// err is not zero and end is the index of the offending byte (len(data) for
// JSONStringEOF).
func AppendJSONString(dst, data []byte, start int) (s []byte, end int, err JSONStringError) {
	var high byte
	for p := start; p < len(data); p++ {
		c := data[p]
		if c == '"' {
			if high < utf8.RuneSelf || utf8.Valid(data[start:p]) {
				return data[start:p], p + 1, 0
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		high |= c
	}
	p := start
	for {
		if p >= len(data) {
			return dst, len(data), JSONStringEOF
		}
		c := data[p]
		switch {
		case c == '"':
			return dst, p + 1, 0
		case c == '\\':
			p++
			if p >= len(data) {
				return dst, len(data), JSONStringEOF
			}
			switch data[p] {
			case '"', '\\', '/':
				dst = append(dst, data[p])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, bad := hex4(data, p+1)
				if bad >= 0 {
					return dst, bad, hexError(data, bad)
				}
				p += 4
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if r < 0xdc00 && p+6 < len(data) && data[p+1] == '\\' && data[p+2] == 'u' {
						if v, bad := hex4(data, p+3); bad < 0 {
							r2 = v
						}
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						p += 6
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, p, JSONStringEscape
			}
			p++
		case c < 0x20:
			return dst, p, JSONStringControl
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			p++
		default:
			r, size := utf8.DecodeRune(data[p:])
			if r == utf8.RuneError && size == 1 {
				return dst, p, JSONStringUTF8
			}
			dst = append(dst, data[p:p+size]...)
			p += size
		}
	}
}

// hex4 reads four hex digits at data[p:]; bad is the index of the first byte
// that is not a hex digit, or -1
// (len(data) when fewer than four bytes are left).
func hex4(data []byte, p int) (r rune, bad int) {
	if p+4 > len(data) {
		return 0, len(data)
	}
	for i := p; i < p+4; i++ {
		c := data[i]
		if !isHex(c) {
			return 0, i
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, -1
}

func hexError(data []byte, at int) JSONStringError {
	if at >= len(data) {
		return JSONStringEOF
	}
	return JSONStringHex
}

// SkipJSONSpace returns the index of the first byte at or after pos that is
// not JSON whitespace (space, tab, line feed, carriage return).
func SkipJSONSpace(data []byte, pos int) int {
	for pos < len(data) {
		switch data[pos] {
		case ' ', '\t', '\n', '\r':
			pos++
		default:
			return pos
		}
	}
	return pos
}

const hexDigits = "0123456789abcdef"

// AppendJSONQuoted appends s as a JSON string, in one of the two forms the
// project writes:
//
//   - ensureASCII true is Python's json.dumps (ensure_ascii=True), what
//     Django writes into signed values and sessions: `"` and `\` escaped, the
//     short escapes \n \r \t \b \f, every other character below U+0020 and
//     everything from U+007F up as \uXXXX in lower-case hex (characters
//     beyond the Basic Multilingual Plane as a surrogate pair);
//   - ensureASCII false is the API's UTF-8 output: `"` and `\` escaped, \n \r
//     \t, other characters below U+0020 as \u00XX, U+2028 and U+2029 escaped
//     (for JavaScript), everything else as is.
//
// In both, '/', '<', '>' and '&' are not escaped and each byte that is not
// UTF-8 becomes \ufffd.
func AppendJSONQuoted(b []byte, s string, ensureASCII bool) []byte {
	limit := byte(utf8.RuneSelf) // bytes from limit up need a look
	if ensureASCII {
		limit = 0x7f
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < limit && c != '"' && c != '\\' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && ensureASCII:
				b = append(b, '\\', 'b')
			case c == '\f' && ensureASCII:
				b = append(b, '\\', 'f')
			default:
				b = appendU(b, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		invalid := r == utf8.RuneError && size == 1
		if !ensureASCII && !invalid && r != '\u2028' && r != '\u2029' {
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = appendU(appendU(b, r1), r2)
		} else {
			b = appendU(b, r) // U+FFFD for an invalid byte
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
