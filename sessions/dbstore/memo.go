package dbstore

import (
	"sync"

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
type decodeMemo struct {
	mu  sync.Mutex
	m   map[string]*pyjson.Object
	max int
}

func newDecodeMemo(size int) *decodeMemo {
	if size == 0 {
		size = DefaultDecodeMemo
	}
	if size < 0 {
		return nil
	}
	return &decodeMemo{m: make(map[string]*pyjson.Object, min(size, 64)), max: size}
}

func (d *decodeMemo) get(data string) *pyjson.Object {
	d.mu.Lock()
	o := d.m[data]
	d.mu.Unlock()
	return o
}

func (d *decodeMemo) put(data string, o *pyjson.Object) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.m[data]; !ok && len(d.m) >= d.max {
		for k := range d.m { // full: drop an arbitrary entry
			delete(d.m, k)
			break
		}
	}
	d.m[data] = o
}
