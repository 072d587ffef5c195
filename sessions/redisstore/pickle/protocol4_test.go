package pickle_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions/redisstore/pickle"
)

// TestProtocol4WithPython has CPython re-pickle every vector with protocol 4
// (pickle.DEFAULT_PROTOCOL, what django-redis writes) and checks that
// MarshalProtocol(v, 4) writes the same bytes and that Unmarshal reads them.
func TestProtocol4WithPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	testenv.Require(t, "Python 3", err == nil, fmt.Sprint(err))
	vectors := loadVectors(t)
	var in strings.Builder
	for _, v := range vectors {
		in.WriteString(v.Pickle + "\n")
	}
	script := `
import pickle, sys
assert pickle.DEFAULT_PROTOCOL == 4 or sys.version_info >= (3, 14), pickle.DEFAULT_PROTOCOL
for line in sys.stdin:
    sys.stdout.write(pickle.dumps(pickle.loads(bytes.fromhex(line.strip())), 4).hex() + "\n")
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(vectors) {
		t.Fatalf("python wrote %d pickles for %d vectors", len(lines), len(vectors))
	}
	for i, v := range vectors {
		p4, _ := hex.DecodeString(lines[i])
		if len(p4) < 2 || p4[1] != 4 {
			t.Fatalf("vector %d: Python wrote %x, not protocol 4", i, p4[:min(len(p4), 2)])
		}
		got, err := pickle.UnmarshalValue(p4)
		if err != nil {
			t.Errorf("Unmarshal(protocol 4 of %.80s): %v", v.Repr, err)
			continue
		}
		if v.MemoRefs {
			continue // CPython writes memo references for shared objects; we repeat them
		}
		enc, err := pickle.MarshalProtocol(got, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, p4) {
			t.Errorf("MarshalProtocol(%.80s…, 4)\n got %.200x\nwant %.200x", v.Repr, enc, p4)
		}
	}
}

func TestMarshalProtocolRejects(t *testing.T) {
	for _, p := range []int{-1, 0, 2, 3, 6} {
		if _, err := pickle.MarshalProtocol(pyjson.NewObject(0), p); err == nil {
			t.Errorf("protocol %d accepted", p)
		}
	}
	o := pyjson.NewObject(1)
	o.Set("a", int64(1))
	p4, err := pickle.MarshalProtocol(o, 4)
	if err != nil {
		t.Fatal(err)
	}
	p5, _ := pickle.Marshal(o)
	if p4[1] != 4 || p5[1] != 5 || !bytes.Equal(p4[2:], p5[2:]) {
		t.Errorf("protocol 4 %x and 5 %x differ beyond the PROTO argument", p4, p5)
	}
}

func ExampleMarshalProtocol() {
	o := pyjson.NewObject(1)
	o.Set("foo", "bar")
	b, _ := pickle.MarshalProtocol(o, 4)
	fmt.Printf("%x\n", b) // pickle.dumps({"foo": "bar"}, 4), as django-redis stores it
	// Output: 80049510000000000000007d948c03666f6f948c0362617294732e
}
