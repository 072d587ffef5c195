// Package pyjson reads and writes JSON exactly as Python's json module does with
// json.dumps(obj, separators=(",", ":")), which is how Django serializes signed
// values and session data.
//
// Django (3.2 to 6.1) decodes that JSON as latin-1, so the output is ASCII only:
// every non-ASCII character is escaped as \uXXXX (lower-case hex, characters
// outside the Basic Multilingual Plane as a UTF-16 surrogate pair), and object
// keys keep their insertion order ([Object]). Go's encoding/json would write raw
// UTF-8 and sort map keys, which Django would turn into mojibake.
package pyjson
