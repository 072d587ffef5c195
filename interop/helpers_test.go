package interop_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
)

// forVersions runs f for each Django version, in parallel.
func forVersions(t *testing.T, f func(t *testing.T, v string)) {
	for _, v := range djangotest.Versions() {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			f(t, v)
		})
	}
}

// database is one database shared by Django and Go.
type database struct {
	Kind string // "sqlite", "postgres" or "mariadb"
	URL  string // sqlite:PATH, a postgres:// or a mysql:// URL; Django and sqldb.Open read all three
}

func newDatabase(t *testing.T, kind string) database {
	t.Helper()
	switch kind {
	case "sqlite":
		return database{kind, "sqlite:" + filepath.Join(t.TempDir(), "shared.sqlite3")}
	case "postgres":
		return database{kind, testenv.PostgresURL(t)}
	case "mariadb":
		return database{kind, testenv.MySQLURL(t)}
	}
	t.Fatalf("unknown database kind %q", kind)
	return database{}
}

// forMatrix runs f for each Django version and each database the whole
// stack supports, in parallel.
func forMatrix(t *testing.T, f func(t *testing.T, v string, db database)) {
	forMatrixOn(t, []string{"sqlite", "postgres"}, f)
}

// sessionDatabases are the databases django_session is shared on.
var sessionDatabases = []string{"sqlite", "postgres", "mariadb"}

// forMatrixOn runs f for each Django version and each of the database kinds,
// in parallel.
func forMatrixOn(t *testing.T, kinds []string, f func(t *testing.T, v string, db database)) {
	for _, v := range djangotest.Versions() {
		for _, kind := range kinds {
			t.Run(v+"/"+kind, func(t *testing.T) {
				t.Parallel()
				f(t, v, newDatabase(t, kind))
			})
		}
	}
}

// canonical returns JSON text as Python's json.dumps(separators=(",", ":"))
// writes it, for comparing values that crossed the Go/Python border.
func canonical(t *testing.T, text []byte) string {
	t.Helper()
	v, err := pyjson.Unmarshal(text)
	if err != nil {
		t.Fatalf("pyjson.Unmarshal(%s): %v", text, err)
	}
	b, err := pyjson.Marshal(v)
	if err != nil {
		t.Fatalf("pyjson.Marshal: %v", err)
	}
	return string(b)
}

// canonicalValue is canonical for a Go value (pyjson types or anything
// encoding/json writes).
func canonicalValue(t *testing.T, v any) string {
	t.Helper()
	b, err := pyjson.Marshal(v)
	if err != nil {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(v); err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		b = buf.Bytes()
	}
	return canonical(t, b)
}

// testValues are session/signing payloads with the awkward parts of Django's
// JSON: non-ASCII (Django decodes session JSON as latin-1), astral
// characters (surrogate pairs), control characters, key order, big and
// negative integers, floats, nesting, null.
var testValues = []string{
	`{}`,
	`{"foo":"bar"}`,
	`{"name":"José 🐍","n":1,"a_first":"order kept","z":[1,2.5,-3,null,true,false]}`,
	`{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"0000000000000000000000000000000000000000000000000000000000000000"}`,
	`{"ctl":"tab\tnl\ncr\r\u0000\u001f\u007f","quote":"\"\\/<>&","big":9007199254740993,"neg":-12,"f":0.1,"nested":{"b":{"c":[[]]},"a":{}}}`,
	`{"long":"` + string(bytes.Repeat([]byte("compress me "), 200)) + `"}`,
}

// djangoCodec is Go's codec for Django's session_data with this SECRET_KEY
// and SECRET_KEY_FALLBACKS.
func djangoCodec(t *testing.T, key string, fallbacks []string) sessions.Codec {
	t.Helper()
	o := sessions.CodecOptions{SecretKey: []byte(key)}
	for _, f := range fallbacks {
		o.FallbackKeys = append(o.FallbackKeys, []byte(f))
	}
	c, err := sessions.NewCodec(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// quietLogger drops the warnings that tests of hostile input provoke on
// purpose.
var quietLogger = slog.New(slog.DiscardHandler)

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func itoa(n int) string { return strconv.Itoa(n) }

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBuilt()
	os.Exit(code)
}
