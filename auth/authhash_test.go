package auth

import (
	"fmt"
	"strings"
	"testing"
)

// The memo never changes the answer: more passwords than slots (so slots
// are replaced), each asked twice, match the direct computation.
func TestSessionAuthHashMemo(t *testing.T) {
	a, err := New(Options{SecretKey: []byte(testSK), Users: &MemoryUsers{}})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for i := range 3 * memoSlots {
			pw := fmt.Sprintf("pbkdf2_sha256$1000000$salt%d$hash", i)
			want := sessionAuthHash([]byte(testSK), pw, "sha256")
			if got := a.SessionAuthHash(pw); got != want {
				t.Fatalf("round %d, %s: %s, want %s", round, pw, got, want)
			}
			if !equalHex(want, a.sessionAuthHex(pw)) {
				t.Fatalf("round %d, %s: equalHex refused the right hash", round, pw)
			}
		}
	}
}

func TestEqualHex(t *testing.T) {
	var sum [64]byte
	copy(sum[:], strings.Repeat("ab", 32))
	tests := []struct {
		stored string
		want   bool
	}{
		{strings.Repeat("ab", 32), true},
		{strings.Repeat("ab", 31) + "ac", false},
		{"b" + strings.Repeat("ab", 31) + "a", false},
		{strings.Repeat("ab", 32) + "a", false},
		{strings.Repeat("ab", 31), false},
		{"", false},
		{strings.Repeat("AB", 32), false},
	}
	for _, tc := range tests {
		if got := equalHex(tc.stored, &sum); got != tc.want {
			t.Errorf("equalHex(%q) = %v, want %v", tc.stored, got, tc.want)
		}
	}
}
