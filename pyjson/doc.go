// Package pyjson reads and writes JSON exactly as Python's json module does with
// json.dumps(obj, separators=(",", ":")) and json.loads, which is how Django
// serializes signed values and session data.
//
// Django (3.2 to 6.1) decodes that JSON as latin-1, so the output is ASCII only:
// every character outside 0x20–0x7e is escaped as \uXXXX (lower-case hex,
// characters outside the Basic Multilingual Plane as a UTF-16 surrogate pair),
// except \n \r \t \b \f, which get their short escapes. This includes DEL
// (0x7f): CPython escapes it, so we do too. '/', '<', '>' and '&' are written
// as they are. Object keys keep their insertion order ([Object]). Go's
// encoding/json would write raw UTF-8 and sort map keys, which Django would
// turn into mojibake or at least into different bytes.
//
// Floats are written as Python's float repr writes them ("1.0", "1e-07",
// "1e+16"), NaN and infinities as NaN, Infinity and -Infinity (Python's
// default allow_nan=True). Go maps, which have no order, are written in sorted
// key order.
//
// [Unmarshal] returns nil, bool, int64, float64, json.Number (integers that do
// not fit in int64), string, []any and *Object, so a decode followed by an
// encode reproduces Python's bytes for anything Python wrote. Strings are read
// by the scanner internal/jsonx shares (internal/pycompat).
package pyjson
