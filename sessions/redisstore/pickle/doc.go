// Package pickle reads and writes the subset of Python's pickle format that a
// JSON-like session dict needs, as Django's cache backends store it
// (pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), protocol 5 on Python 3.8+).
//
// Values map as for package pyjson:
//
//	dict (str keys)  ↔ *pyjson.Object, key order kept
//	list             ↔ []any (a tuple decodes as []any too, as json.dumps would write it)
//	str              ↔ string (UTF-8; lone surrogates pass through as Python's
//	                   "surrogatepass" writes them)
//	int              ↔ int64, or json.Number for integers outside int64
//	float            ↔ float64
//	bool, None       ↔ bool, nil
//
// [Marshal] writes exactly the bytes CPython 3.8+ writes for such a value when
// no object appears twice (CPython writes a memo reference for an object it
// has already pickled; we always write the value again, which Python reads as
// an equal value). Values over 64 KiB are written as one frame where CPython
// splits frames; Python reads both.
//
// # Threat model
//
// Pickle is a program for a stack machine; Python's unpickler will import and
// call any global named in it. [Unmarshal] is not that: it implements only
// the opcodes that build the values above (plus memo, frame and mark
// handling) and rejects everything else — GLOBAL, STACK_GLOBAL, REDUCE,
// BUILD, INST, OBJ, NEWOBJ, persistent ids, extension codes, sets, bytes,
// out-of-band buffers, Python 2 strings — with an error. It never names,
// imports or instantiates anything. It bounds the work a hostile input can
// cause: input length (caller-chosen), nesting depth ([MaxDepth]), the number
// of values after expanding shared memo references ([MaxValues], so a small
// pickle that reuses a list a million times is rejected rather than
// multiplied), cyclic structures (rejected), and integer size. It never
// panics on any input (fuzzed).
package pickle
