package interop_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/signing"
)

type dumpsArgs struct {
	Obj      json.RawMessage `json:"obj"`
	Salt     string          `json:"salt"`
	Compress bool            `json:"compress"`
}

type loadsResult struct {
	Obj   json.RawMessage `json:"obj"`
	Error string          `json:"error"`
}

func goSigner(t *testing.T, key string, fallbacks []string, salt string) *signing.TimestampSigner {
	t.Helper()
	o := signing.Options{Key: []byte(key), Salt: salt}
	for _, f := range fallbacks {
		o.FallbackKeys = append(o.FallbackKeys, []byte(f))
	}
	s, err := signing.NewTimestampSigner(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signing.dumps in Django ↔ SignObject/UnsignObject in Go, with and without
// compression, with Django's default salt and a custom one.
func TestSigning(t *testing.T) {
	forVersions(t, func(t *testing.T, v string) {
		dj := djangotest.New(t, v, djangotest.Config{})
		key := dj.Config().SecretKey
		for _, salt := range []string{"django.core.signing", "my.salt"} {
			goS := goSigner(t, key, nil, salt)
			for _, text := range testValues {
				for _, compress := range []bool{false, true} {
					// Django → Go
					var dumped struct{ Value string }
					dj.Run("signing-dumps", dumpsArgs{json.RawMessage(text), salt, compress}, &dumped)
					got, err := goS.UnsignObject(dumped.Value, 0)
					if err != nil {
						t.Fatalf("salt %s: Go cannot read Django's %s: %v", salt, dumped.Value, err)
					}
					if canonicalValue(t, got) != canonical(t, []byte(text)) {
						t.Errorf("Django signed %s, Go read %s", text, canonicalValue(t, got))
					}
					// Go → Django
					val, _ := pyjson.Unmarshal([]byte(text))
					signed, err := goS.SignObject(val, compress)
					if err != nil {
						t.Fatal(err)
					}
					var loaded loadsResult
					dj.Run("signing-loads", map[string]any{"value": signed, "salt": salt}, &loaded)
					if loaded.Error != "" {
						t.Fatalf("Django cannot read Go's %s: %s", signed, loaded.Error)
					}
					if canonical(t, loaded.Obj) != canonical(t, []byte(text)) {
						t.Errorf("Go signed %s, Django read %s", text, loaded.Obj)
					}
				}
			}
			// A wrong key is refused on both sides.
			other := goSigner(t, key+"x", nil, salt)
			signed, _ := other.SignObject("hello", false)
			var loaded loadsResult
			dj.Run("signing-loads", map[string]any{"value": signed, "salt": salt}, &loaded)
			if loaded.Error == "" {
				t.Errorf("Django accepted a value signed with another key")
			}
			var dumped struct{ Value string }
			dj.Run("signing-dumps", dumpsArgs{json.RawMessage(`"hello"`), salt, false}, &dumped)
			if _, err := other.UnsignObject(dumped.Value, 0); !errors.Is(err, signing.ErrBadSignature) {
				t.Errorf("Go with another key read Django's value: %v", err)
			}
		}
	})
}

// SECRET_KEY_FALLBACKS (Django 4.1+): a value signed with the old key is
// accepted by a side whose fallbacks hold it, both ways; new values are
// signed with the new key.
func TestSigningFallbacks(t *testing.T) {
	forVersions(t, func(t *testing.T, v string) {
		if v == "3.2" {
			t.Skip("Django 3.2 has no SECRET_KEY_FALLBACKS")
		}
		const oldKey, newKey = "interop-old-secret-key", "interop-new-secret-key"
		djOld := djangotest.New(t, v, djangotest.Config{SecretKey: oldKey})
		djNew := djangotest.New(t, v, djangotest.Config{SecretKey: newKey, Fallbacks: []string{oldKey}})
		goOld := goSigner(t, oldKey, nil, "django.core.signing")
		goNew := goSigner(t, newKey, []string{oldKey}, "django.core.signing")
		goNewOnly := goSigner(t, newKey, nil, "django.core.signing")

		// Old Go value → new Django (through its fallback).
		old, _ := goOld.SignObject(map[string]any{"k": "v"}, false)
		var loaded loadsResult
		djNew.Run("signing-loads", map[string]any{"value": old, "salt": "django.core.signing"}, &loaded)
		if loaded.Error != "" || canonical(t, loaded.Obj) != `{"k":"v"}` {
			t.Errorf("new Django with fallback read old Go value: %s %s", loaded.Obj, loaded.Error)
		}
		// Old Django value → new Go (through its fallback), and not without it.
		var dumped struct{ Value string }
		djOld.Run("signing-dumps", dumpsArgs{json.RawMessage(`{"k":"v"}`), "django.core.signing", true}, &dumped)
		if got, err := goNew.UnsignObject(dumped.Value, 0); err != nil || canonicalValue(t, got) != `{"k":"v"}` {
			t.Errorf("new Go with fallback read old Django value: %v %v", got, err)
		}
		if _, err := goNewOnly.UnsignObject(dumped.Value, 0); err == nil {
			t.Errorf("Go without the fallback accepted the old key")
		}
		// New values are signed with the new key: the old-key Django refuses
		// what new Go signs, the new Django (without needing the fallback)
		// reads it.
		fresh, _ := goNew.SignObject("x", false)
		djOld.Run("signing-loads", map[string]any{"value": fresh, "salt": "django.core.signing"}, &loaded)
		if loaded.Error == "" {
			t.Errorf("Go signed with a fallback key instead of the primary")
		}
	})
}
