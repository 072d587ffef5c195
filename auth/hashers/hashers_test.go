package hashers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dmr-go/dmr/apierror"
)

// fakeHasher is a cheap, observable Hasher: "<name>$<salt>$<password>".
type fakeHasher struct {
	name              string
	outdated          bool          // MustUpdate's answer
	gate              chan struct{} // when set, Encode and Verify wait on it
	encodes, verifies atomic.Int32
	hardens           atomic.Int32
}

func (f *fakeHasher) Algorithm() string     { return f.name }
func (f *fakeHasher) Salt() (string, error) { return NewSalt(), nil }
func (f *fakeHasher) wait() {
	if f.gate != nil {
		<-f.gate
	}
}
func (f *fakeHasher) Encode(pw, salt string) (string, error) {
	f.encodes.Add(1)
	f.wait()
	return f.name + "$" + salt + "$" + pw, nil
}
func (f *fakeHasher) Verify(pw, enc string) (bool, error) {
	f.verifies.Add(1)
	f.wait()
	parts := strings.SplitN(enc, "$", 3)
	if len(parts) != 3 {
		return false, malformed(f.name, "bad")
	}
	return parts[2] == pw, nil
}
func (f *fakeHasher) MustUpdate(enc string) (bool, error) { return f.outdated, nil }
func (f *fakeHasher) HardenRuntime(pw, enc string)        { f.hardens.Add(1) }

func TestIdentify(t *testing.T) {
	tests := []struct{ enc, want string }{
		{"pbkdf2_sha256$1$s$h", "pbkdf2_sha256"},
		{"3cb4e732631f47e6eb961f34554b7cde", "unsalted_md5"},
		{"md5$$3cb4e732631f47e6eb961f34554b7cde", "unsalted_md5"},
		{"md5$seasalt$b614725f4cc025a51ab6a354d12890ab", "md5"},
		{"sha1$$2f9e53523b62abc141a2b4d6019d23cba835dbd0", "unsalted_sha1"},
		{"sha1$seasalt$55eef163bf2e349b9946e3183eef620dde0247f5", "sha1"},
		{"bcrypt_sha256$$2b$12$x", "bcrypt_sha256"},
		{"argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "argon2"},
		{"", ""},
		{"nodollar", "nodollar"},
		// 32 characters (not bytes) without "$".
		{strings.Repeat("é", 32), "unsalted_md5"},
	}
	for _, tt := range tests {
		if got := Identify(tt.enc); got != tt.want {
			t.Errorf("Identify(%q) = %q, want %q", tt.enc, got, tt.want)
		}
	}
}

func TestSaltsAndUnusable(t *testing.T) {
	isAlnum := func(s string) bool {
		for _, c := range s {
			if !strings.ContainsRune(RandomChars, c) {
				return false
			}
		}
		return true
	}
	s := NewSalt()
	if len(s) != 22 || !isAlnum(s) || mustUpdateSalt(s) {
		t.Errorf("NewSalt() = %q", s)
	}
	if NewSalt() == s {
		t.Error("two equal salts")
	}
	u := MakeUnusable()
	if len(u) != 41 || u[0] != '!' || !isAlnum(u[1:]) || IsUsable(u) {
		t.Errorf("MakeUnusable() = %q", u)
	}
	if !IsUsable("") || !IsUsable("pbkdf2_sha256$1$a$b") || IsUsable("!abc") {
		t.Error("IsUsable")
	}
	if !mustUpdateSalt(strings.Repeat("a", 21)) || mustUpdateSalt(strings.Repeat("a", 22)) {
		t.Error("salt entropy threshold is 22 characters")
	}
	for _, h := range []Hasher{&PBKDF2{}, &Argon2{}, &Scrypt{}, MD5{}} {
		if s, err := h.Salt(); err != nil || len(s) != 22 {
			t.Errorf("%s.Salt() = %q, %v", h.Algorithm(), s, err)
		}
	}
	if s, err := (&BCryptSHA256{}).Salt(); err != nil || len(s) != 29 || !strings.HasPrefix(s, "$2b$12$") {
		t.Errorf("bcrypt salt = %q, %v", s, err)
	}
	if _, err := (&PBKDF2{}).Encode("pw", "a$b"); !errors.Is(err, ErrBadSalt) {
		t.Errorf("salt with $: %v", err)
	}
	if _, err := (&PBKDF2{}).Encode("pw", ""); !errors.Is(err, ErrBadSalt) {
		t.Errorf("empty salt: %v", err)
	}
}

// TestMustUpdate follows Django's must_update for every hasher.
func TestMustUpdate(t *testing.T) {
	long := "abcdefghijklmnopqrstuv"
	tests := []struct {
		name string
		h    Hasher
		enc  string
		want bool
	}{
		{"pbkdf2 same", &PBKDF2{Iterations: 1000}, "pbkdf2_sha256$1000$" + long + "$x", false},
		{"pbkdf2 fewer", &PBKDF2{Iterations: 1000}, "pbkdf2_sha256$999$" + long + "$x", true},
		{"pbkdf2 more", &PBKDF2{Iterations: 1000}, "pbkdf2_sha256$1001$" + long + "$x", true},
		{"pbkdf2 short salt", &PBKDF2{Iterations: 1000}, "pbkdf2_sha256$1000$" + long[:21] + "$x", true},
		{"pbkdf2 default", &PBKDF2{}, "pbkdf2_sha256$1000000$" + long + "$x", false},
		{"pbkdf2_sha1 same", &PBKDF2SHA1{Iterations: 10}, "pbkdf2_sha1$10$" + long + "$x", false},
		{"argon2 same 32", &Argon2{Memory: 8, Parallelism: 1, Time: 1}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1}, long), false},
		{"argon2 hash_len 16 vs 32", &Argon2{Memory: 8, Parallelism: 1, Time: 1}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1, HashLen: 16}, long), true},
		{"argon2 hash_len 16 vs 16", &Argon2{Memory: 8, Parallelism: 1, Time: 1, HashLen: 16}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1, HashLen: 16}, long), false},
		{"argon2 t", &Argon2{Memory: 8, Parallelism: 1, Time: 2}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1}, long), true},
		{"argon2 m", &Argon2{Memory: 16, Parallelism: 1, Time: 1}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1}, long), true},
		{"argon2 p", &Argon2{Memory: 16, Parallelism: 2, Time: 1}, mustEncode(t, &Argon2{Memory: 16, Parallelism: 1, Time: 1}, long), true},
		{"argon2 short salt", &Argon2{Memory: 8, Parallelism: 1, Time: 1}, mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1}, long[:21]), true},
		{"argon2i", &Argon2{Memory: 8, Parallelism: 1, Time: 1},
			strings.Replace(mustEncode(t, &Argon2{Memory: 8, Parallelism: 1, Time: 1}, long), "argon2id", "argon2i", 1), true},
		{"argon2 defaults", &Argon2{}, "argon2$argon2id$v=19$m=102400,t=2,p=8$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$" + strings.Repeat("A", 43), false},
		{"bcrypt_sha256 12", &BCryptSHA256{}, "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuurByPinJWI/V/0c5apkEb2KJQv7f.gZO", false},
		{"bcrypt_sha256 11", &BCryptSHA256{}, "bcrypt_sha256$$2b$11$abcdefghijklmnopqrstuurByPinJWI/V/0c5apkEb2KJQv7f.gZO", true},
		{"bcrypt 4", &BCrypt{Rounds: 4}, "bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", false},
		{"scrypt same", &Scrypt{}, "scrypt$16384$s$8$5$x", false},
		{"scrypt p", &Scrypt{}, "scrypt$16384$s$8$1$x", true},
		{"scrypt r", &Scrypt{}, "scrypt$16384$s$16$5$x", true},
		{"scrypt n", &Scrypt{}, "scrypt$32768$s$8$5$x", true},
		{"md5 short salt", MD5{}, "md5$seasalt$x", true},
		{"md5 long salt", MD5{}, "md5$" + long + "$x", false},
	}
	for _, tt := range tests {
		got, err := tt.h.MustUpdate(tt.enc)
		if err != nil || got != tt.want {
			t.Errorf("%s: MustUpdate(%q) = %v, %v; want %v", tt.name, tt.enc, got, err, tt.want)
		}
	}
}

func mustEncode(t *testing.T, h Hasher, salt string) string {
	t.Helper()
	enc, err := h.Encode("pw", salt)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestCheck follows Django's verify_password with cheap real hashers.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	long := "abcdefghijklmnopqrstuv"
	h := &Hashers{List: []Hasher{&PBKDF2{Iterations: 10}, &PBKDF2SHA1{Iterations: 10},
		&Argon2{Memory: 8, Parallelism: 1, Time: 1}, &BCrypt{Rounds: 4}, MD5{}, UnsaltedMD5{}}}
	cur, _ := (&PBKDF2{Iterations: 10}).Encode("pw", long)
	old, _ := (&PBKDF2{Iterations: 5}).Encode("pw", long)
	sha1, _ := (&PBKDF2SHA1{Iterations: 10}).Encode("pw", long)
	argon, _ := (&Argon2{Memory: 8, Parallelism: 1, Time: 1}).Encode("pw", long)
	md5, _ := MD5{}.Encode("pw", long)
	tests := []struct {
		name, pw, enc string
		ok, must      bool
	}{
		{"current", "pw", cur, true, false},
		{"current wrong", "nope", cur, false, false},
		{"old iterations", "pw", old, true, true},
		{"old iterations wrong", "nope", old, false, true},
		{"other hasher", "pw", sha1, true, true},
		{"argon2", "pw", argon, true, true},
		{"md5", "pw", md5, true, true},
		{"unsalted md5", "correct horse", "3cb4e732631f47e6eb961f34554b7cde", true, true},
		{"unsalted md5 with prefix", "correct horse", "md5$$3cb4e732631f47e6eb961f34554b7cde", true, true},
		{"bcrypt", "correct horse", "bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", true, true},
		{"unusable", "pw", MakeUnusable(), false, false},
		{"empty", "pw", "", false, false},
		{"unknown algorithm", "pw", "crypt$$abc", false, false},
		{"not configured (scrypt)", "correct horse", "scrypt$16384$seasalt$8$1$WHJS3/wrzhi2rYiZ44/lAqpycQxKRPVfHXMQFxWIaII7u1p+2cO61B97UL7OFL5ZSWsnhfwdgsItJJ6HcrHG4Q==", false, false},
		{"unsalted sha1 not configured", "correct horse", "sha1$$2f9e53523b62abc141a2b4d6019d23cba835dbd0", false, false},
	}
	for _, tt := range tests {
		ok, must, err := h.Check(ctx, tt.pw, tt.enc)
		if err != nil || ok != tt.ok || must != tt.must {
			t.Errorf("%s: Check = %v, %v, %v; want %v, %v, nil", tt.name, ok, must, err, tt.ok, tt.must)
		}
	}
	for _, enc := range []string{"pbkdf2_sha256$abc$salt$hash", "pbkdf2_sha256$10", "argon2$argon2d$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
		"bcrypt$$2b$99$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "md5$$"} {
		if ok, _, err := h.Check(ctx, "pw", enc); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Check(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
	made, err := h.Make(ctx, "secret")
	if err != nil || !strings.HasPrefix(made, "pbkdf2_sha256$10$") {
		t.Fatalf("Make = %q, %v", made, err)
	}
	if ok, must, err := h.Check(ctx, "secret", made); !ok || must || err != nil {
		t.Errorf("Check(Make) = %v, %v, %v", ok, must, err)
	}
}

// TestCheckTimingWork checks where Check spends hashing work: a dummy hash
// for unusable and unknown hashes, HardenRuntime only after a failed check of
// an outdated hash of the preferred algorithm.
func TestCheckTimingWork(t *testing.T) {
	ctx := context.Background()
	type counts struct{ enc, ver, hard int32 }
	tests := []struct {
		name     string
		outdated bool
		pw, enc  string
		want     counts
		ok, must bool
	}{
		{"unusable: one dummy hash", false, "pw", MakeUnusable(), counts{1, 0, 0}, false, false},
		{"empty: one dummy hash", false, "pw", "", counts{1, 0, 0}, false, false},
		{"unknown: one dummy hash", false, "pw", "nope$x$y", counts{1, 0, 0}, false, false},
		{"current right", false, "pw", "fake$s$pw", counts{0, 1, 0}, true, false},
		{"current wrong: no hardening", false, "x", "fake$s$pw", counts{0, 1, 0}, false, false},
		{"outdated right: no hardening", true, "pw", "fake$s$pw", counts{0, 1, 0}, true, true},
		{"outdated wrong: hardening", true, "x", "fake$s$pw", counts{0, 1, 1}, false, true},
		{"other algorithm wrong: no hardening", false, "x", "md5$seasalt$b614725f4cc025a51ab6a354d12890ab", counts{0, 0, 0}, false, true},
	}
	for _, tt := range tests {
		f := &fakeHasher{name: "fake", outdated: tt.outdated}
		h := &Hashers{List: []Hasher{f, MD5{}}}
		ok, must, err := h.Check(ctx, tt.pw, tt.enc)
		got := counts{f.encodes.Load(), f.verifies.Load(), f.hardens.Load()}
		if err != nil || ok != tt.ok || must != tt.must || got != tt.want {
			t.Errorf("%s: Check = %v, %v, %v, work %+v; want %v, %v, work %+v", tt.name, ok, must, err, got, tt.ok, tt.must, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		h    *Hashers
		ok   bool
	}{
		{"zero", &Hashers{}, true},
		{"defaults 3.2", &Hashers{List: DjangoDefaults(Django32)}, true},
		{"empty", &Hashers{List: []Hasher{}}, false},
		{"nil entry", &Hashers{List: []Hasher{nil}}, false},
		{"duplicate", &Hashers{List: []Hasher{&PBKDF2{}, &PBKDF2{Iterations: 5}}}, false},
		{"verify-only first", &Hashers{List: []Hasher{MD5{}, &PBKDF2{}}}, false},
		{"verify-only later", &Hashers{List: []Hasher{&PBKDF2{}, MD5{}, SHA1{}, UnsaltedMD5{}, UnsaltedSHA1{}}}, true},
		{"negative concurrency", &Hashers{MaxConcurrent: -1}, false},
		{"bad name", &Hashers{List: []Hasher{&fakeHasher{name: "a$b"}}}, false},
	}
	for _, tt := range tests {
		err := tt.h.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v", tt.name, err)
		}
		if err != nil {
			if _, _, err2 := tt.h.Check(context.Background(), "pw", "x"); err2 == nil {
				t.Errorf("%s: Check after failed validation returned no error", tt.name)
			}
		}
	}
}

func TestDjangoDefaults(t *testing.T) {
	tests := []struct {
		v       Version
		iter, p int
		n       int
	}{
		{Django32, 260000, 0, 4}, {Django40, 320000, 1, 5}, {Django41, 390000, 1, 5}, {Django42, 600000, 1, 5},
		{Django50, 720000, 1, 5}, {Django51, 870000, 5, 5}, {Django52, 1000000, 5, 5},
		{Django60, 1200000, 5, 5}, {Django61, 1500000, 5, 5},
	}
	for _, tt := range tests {
		l := DjangoDefaults(tt.v)
		if len(l) != tt.n || l[0].(*PBKDF2).Iterations != tt.iter || l[1].(*PBKDF2SHA1).Iterations != tt.iter {
			t.Errorf("%v: %d hashers, %+v", tt.v, len(l), l[0])
		}
		if tt.n == 5 && l[4].(*Scrypt).P != tt.p {
			t.Errorf("%v: scrypt p = %d, want %d", tt.v, l[4].(*Scrypt).P, tt.p)
		}
		v, err := ParseVersion(tt.v.String() + ".7")
		if err != nil || v != tt.v {
			t.Errorf("ParseVersion(%q) = %v, %v", tt.v.String(), v, err)
		}
	}
	for _, s := range []string{"", "5", "5.3", "10.0", "x.y", "3.1"} {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", s)
		}
	}
}

// TestPoolQueuesAndTimesOut floods a pool of two slots, in a synctest
// bubble whose clock only moves when every goroutine is blocked.
func TestPoolQueuesAndTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeHasher{name: "fake", gate: make(chan struct{})}
		h := &Hashers{List: []Hasher{f}, MaxConcurrent: 2, MaxWait: time.Second, RetryAfter: 3 * time.Second}
		ctx := context.Background()
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, _, results[i] = h.Check(ctx, "pw", "fake$s$pw") })
		}
		synctest.Wait() // both hold a slot, blocked inside the hasher
		if n := f.verifies.Load(); n != 2 {
			t.Fatalf("%d checks running, want 2", n)
		}

		// A third call queues; one slot frees before MaxWait: it runs.
		var third error
		var thirdDone atomic.Bool
		wg.Go(func() { _, _, third = h.Check(ctx, "pw", "fake$s$pw"); thirdDone.Store(true) })
		synctest.Wait()
		if f.verifies.Load() != 2 || thirdDone.Load() {
			t.Fatal("third check did not queue")
		}
		time.Sleep(500 * time.Millisecond)
		f.gate <- struct{}{} // one of the first two finishes
		synctest.Wait()
		if f.verifies.Load() != 3 {
			t.Fatal("queued check did not start when a slot freed")
		}

		// A fourth call finds both slots busy for the whole MaxWait.
		start := time.Now()
		_, _, err := h.Check(ctx, "pw", "fake$s$pw")
		var busy *BusyError
		if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
			t.Fatalf("fourth check: %v, want *BusyError", err)
		}
		if waited := time.Since(start); waited != time.Second || busy.Waited != time.Second {
			t.Errorf("waited %v (reported %v), want 1s", waited, busy.Waited)
		}
		ae, ok := apierror.As(err)
		if !ok || ae.Status != http.StatusServiceUnavailable || ae.Header.Get("Retry-After") != "3" {
			t.Errorf("API form: %+v", ae)
		}

		// Make queues in the same pool; a cancelled context stops the wait.
		cctx, cancel := context.WithCancel(ctx)
		go func() { time.Sleep(100 * time.Millisecond); cancel() }()
		if _, err := h.Make(cctx, "pw"); !errors.Is(err, context.Canceled) {
			t.Errorf("Make with cancelled context: %v", err)
		}

		close(f.gate)
		wg.Wait()
		if results[0] != nil || results[1] != nil || third != nil {
			t.Errorf("results %v %v %v", results[0], results[1], third)
		}
	})
}

func TestPoolNoWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeHasher{name: "fake", gate: make(chan struct{})}
		h := &Hashers{List: []Hasher{f}, MaxConcurrent: 1, MaxWait: -1}
		done := make(chan struct{})
		go func() { h.Make(context.Background(), "pw"); close(done) }()
		synctest.Wait()
		_, err := h.Make(context.Background(), "pw")
		var busy *BusyError
		if !errors.As(err, &busy) || busy.Waited != 0 {
			t.Errorf("Make on a full pool without queueing: %v", err)
		}
		if ae := busy.APIError(); ae.Header.Get("Retry-After") != "5" {
			t.Errorf("default Retry-After: %q", ae.Header.Get("Retry-After"))
		}
		close(f.gate)
		<-done
	})
}

func TestBCryptDetails(t *testing.T) {
	// The last salt character carries 2 unused bits: bcrypt normalises it.
	b := &BCrypt{Rounds: 4}
	enc, err := b.Encode("correct horse", "$2b$04$abcdefghijklmnopqrstuv")
	if err != nil || enc != "bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e" {
		t.Errorf("Encode with unnormalised salt = %q, %v", enc, err)
	}
	// $2a$ and $2y$ hashes verify (same algorithm for ≤ 72-byte passwords).
	for _, v := range []string{"2a", "2y"} {
		e := strings.Replace("bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", "2b", v, 1)
		if ok, err := b.Verify("correct horse", e); !ok || err != nil {
			t.Errorf("$%s$: %v, %v", v, ok, err)
		}
	}
	if _, err := b.Encode(strings.Repeat("x", 73), "$2b$04$abcdefghijklmnopqrstuu"); err == nil {
		t.Error("bcrypt accepted a 73-byte password")
	}
	// bcrypt_sha256 has no length limit: the pre-hash differs after byte 72.
	s := &BCryptSHA256{Rounds: 4}
	e1, _ := s.Encode(strings.Repeat("x", 72)+"a", "$2b$04$abcdefghijklmnopqrstuu")
	if ok, _ := s.Verify(strings.Repeat("x", 72)+"b", e1); ok {
		t.Error("bcrypt_sha256 truncated the password")
	}
}
