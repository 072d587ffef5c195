package interop_test

import (
	"context"
	"testing"

	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/internal/djangotest"
)

// goHashers is Django v's default PASSWORD_HASHERS in Go, with Argon2's hash
// length matched to the argon2-cffi Django runs with (bookworm's 21.1: 16
// bytes).
func goHashers(t *testing.T, dj *djangotest.Django) *hashers.Hashers {
	t.Helper()
	v, err := hashers.ParseVersion(dj.Version())
	if err != nil {
		t.Fatal(err)
	}
	list := hashers.DjangoDefaults(v)
	for _, h := range list {
		if a, ok := h.(*hashers.Argon2); ok {
			a.HashLen = 16
		}
	}
	h := &hashers.Hashers{List: list}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	return h
}

type hashCheck struct {
	OK         bool  `json:"ok"`
	MustUpdate *bool `json:"must_update"`
}

// Every hasher of Django's default list, both ways: a hash Django makes
// verifies in Go, a hash Go makes verifies in Django, and both sides agree on
// "must update" (none for the preferred hasher with the version's defaults).
func TestHashers(t *testing.T) {
	const password = "correct horse pässwörd 🐍"
	forVersions(t, func(t *testing.T, v string) {
		ctx := context.Background()
		dj := djangotest.New(t, v, djangotest.Config{})
		gh := goHashers(t, dj)
		for i, h := range gh.List {
			alg := h.Algorithm()
			// Django → Go.
			var made struct{ Encoded string }
			dj.Run("make-password", map[string]any{"password": password, "hasher": alg}, &made)
			var dj1 hashCheck
			dj.Run("check-hash", map[string]any{"password": password, "encoded": made.Encoded}, &dj1)
			ok, mustUpdate, err := gh.Check(ctx, password, made.Encoded)
			if err != nil || !ok {
				t.Errorf("%s: Go does not verify Django's %s: %v %v", alg, made.Encoded, ok, err)
			}
			if dj1.MustUpdate == nil || mustUpdate != *dj1.MustUpdate {
				t.Errorf("%s: must update: Go %v, Django %v (%s)", alg, mustUpdate, dj1.MustUpdate, made.Encoded)
			}
			if i == 0 && mustUpdate {
				t.Errorf("%s: Django's default hash must not need an update in Go", alg)
			}
			// Wrong passwords in Go once (argon2, scrypt and PBKDF2 at full
			// cost are very slow under -race); Django refuses them for every
			// hasher below.
			if ok := i == 0 && mustCheck(ctx, gh, password+"x", made.Encoded); ok {
				t.Errorf("%s: Go accepts a wrong password", alg)
			}

			// Go → Django.
			salt, err := h.Salt()
			if err != nil {
				t.Fatal(err)
			}
			enc, err := h.Encode(password, salt)
			if err != nil {
				t.Fatal(err)
			}
			var dj2 hashCheck
			dj.Run("check-hash", map[string]any{"password": password, "encoded": enc}, &dj2)
			// Django's rule without hashing again: another hasher than the
			// preferred one, or other parameters.
			goMust, err := h.MustUpdate(enc)
			if err != nil {
				t.Fatal(err)
			}
			goMust = goMust || i != 0
			if !dj2.OK {
				t.Errorf("%s: Django does not verify Go's %s", alg, enc)
			}
			if dj2.MustUpdate == nil || *dj2.MustUpdate != goMust {
				t.Errorf("%s: Go's hash %s: must update: Django %v, Go %v", alg, enc, dj2.MustUpdate, goMust)
			}
			var dj3 hashCheck
			dj.Run("check-hash", map[string]any{"password": "wrong", "encoded": enc}, &dj3)
			if dj3.OK {
				t.Errorf("%s: Django accepts a wrong password for Go's hash", alg)
			}
		}
		// Go's Make writes what Django would: the preferred hasher with the
		// version's parameters, no update needed.
		enc, err := gh.Make(ctx, password)
		if err != nil {
			t.Fatal(err)
		}
		var c hashCheck
		dj.Run("check-hash", map[string]any{"password": password, "encoded": enc}, &c)
		if !c.OK || c.MustUpdate == nil || *c.MustUpdate {
			t.Errorf("Django %s on Go's Make %s: %+v", v, enc, c)
		}
		if want := dj.Info().PBKDF2Iterations; !hasPrefix(enc, "pbkdf2_sha256$"+itoa(want)+"$") {
			t.Errorf("Go's Make %s does not use Django %s's %d iterations", enc, v, want)
		}
	})
}

func mustCheck(ctx context.Context, h *hashers.Hashers, password, encoded string) bool {
	ok, _, _ := h.Check(ctx, password, encoded)
	return ok
}
