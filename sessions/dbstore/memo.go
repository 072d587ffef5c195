package dbstore

import (
	"github.com/dmr-go/dmr/internal/boundedmap"
	"github.com/dmr-go/dmr/pyjson"
)

// DefaultDecodeMemo is how many decoded session_data texts a Store
// remembers unless Options.DecodeMemo says otherwise.
const DefaultDecodeMemo = 1024

// decodeMemo remembers the session dicts of the session_data texts decoded
// last. Decoding (base64, the HMAC check, zlib, JSON) is a pure function of
// the text and the keys, with no expiry of its own (Django's
// SessionBase.decode passes no max_age): a row read again with the same
// text gives the same dict. This is no cache of the database: every Load
// still reads the row, and a changed row has another text. Only texts that
// decoded are kept, so a forged one is checked every time. Load hands out
// a copy of the remembered dict (a deep copy of a session dict costs a
// few allocations; decoding it, microseconds), so its Records stay the
// caller's own as the Store contract says.
type decodeMemo = boundedmap.Map[*pyjson.Object]

// newDecodeMemo returns a memo of size texts (DefaultDecodeMemo for 0), or
// nil (off) for a negative size. One shard: it holds exactly size at most.
func newDecodeMemo(size int) *decodeMemo {
	if size == 0 {
		size = DefaultDecodeMemo
	}
	if size < 0 {
		return nil
	}
	return boundedmap.New[*pyjson.Object](size, 1)
}
