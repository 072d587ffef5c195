package dbstore_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/dmr-go/dmr/pyjson"
)

// testCodec is a stand-in for the signed-JSON codec: "T:" followed by a JSON
// array of [key, value] pairs, so key order survives.
type testCodec struct{}

func (testCodec) Encode(o *pyjson.Object) (string, error) {
	pairs := make([][2]any, 0, o.Len())
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		pairs = append(pairs, [2]any{k, v})
	}
	b, err := json.Marshal(pairs)
	return "T:" + string(b), err
}

func (testCodec) Decode(s string) (*pyjson.Object, error) {
	rest, ok := strings.CutPrefix(s, "T:")
	if !ok {
		return nil, errors.New("testCodec: bad prefix")
	}
	d := json.NewDecoder(bytes.NewReader([]byte(rest)))
	d.UseNumber()
	var pairs [][2]any
	if err := d.Decode(&pairs); err != nil {
		return nil, err
	}
	o := pyjson.NewObject(len(pairs))
	for _, p := range pairs {
		k, ok := p[0].(string)
		if !ok {
			return nil, errors.New("testCodec: key is not a string")
		}
		v := p[1]
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			}
		}
		o.Set(k, v)
	}
	return o, nil
}
