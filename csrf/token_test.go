package csrf

import (
	"strings"
	"testing"
)

func TestMaskVectors(t *testing.T) {
	for _, tc := range []struct{ secret, mask, want string }{
		{testSecret, testMask, testMasked},
		{strings.Repeat("a", 32), testMask, testMask + testMask},
	} {
		if got := maskWith(tc.secret, tc.mask); got != tc.want {
			t.Errorf("mask(%s, %s) = %s, want %s", tc.secret, tc.mask, got, tc.want)
		}
	}
}

func TestUnmaskVectors(t *testing.T) {
	for _, tc := range []struct{ token, want string }{
		{testMasked, testSecret},
		// CsrfFunctionTests.test_unmask_cipher_token
		{"1bcdefghij2bcdefghij3bcdefghij4bcdefghij5bcdefghij6bcdefghijABCD", "lcccccccX2kcccccccY2jcccccccssIC"},
		{"2JgchWvM1tpxT2lfz9aydoXW9yT1DN3NdLiejYxOOlzzV4nhBbYqmqZYbAV3V5Bf", "lcccccccX2kcccccccY2jcccccccssIC"},
		{"vFioG3XOLyGyGsPRFyB9iYUs341ufzIEvFioG3XOLyGyGsPRFyB9iYUs341ufzIE", strings.Repeat("a", 32)},
		{strings.Repeat("a", 64), strings.Repeat("a", 32)},
		{strings.Repeat("b", 64), strings.Repeat("a", 32)},
		{strings.Repeat("a", 32) + strings.Repeat("b", 32), strings.Repeat("b", 32)},
	} {
		got, ok := Unmask(tc.token)
		if !ok || got != tc.want {
			t.Errorf("Unmask(%s) = %q, %v; want %s", tc.token, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", strings.Repeat("a", 63), strings.Repeat("-", 64), strings.Repeat("a", 63) + "é"[:1]} {
		if got, ok := Unmask(bad); ok {
			t.Errorf("Unmask(%q) = %q, true; want failure", bad, got)
		}
	}
}

func TestMaskRoundTripAndFreshness(t *testing.T) {
	s := NewSecret()
	if len(s) != SecretLength || strings.Trim(s, AllowedChars) != "" {
		t.Fatalf("NewSecret() = %q", s)
	}
	seen := map[string]bool{}
	for range 100 {
		tok := Mask(s)
		if len(tok) != TokenLength || strings.Trim(tok, AllowedChars) != "" {
			t.Fatalf("Mask = %q", tok)
		}
		if seen[tok] {
			t.Fatalf("Mask returned %q twice", tok)
		}
		seen[tok] = true
		if got, ok := Unmask(tok); !ok || got != s {
			t.Fatalf("Unmask(Mask(s)) = %q, want %q", got, s)
		}
	}
}

// Every character of the alphabet shows up in secrets: the sampling covers it
// (a broken modulus would leave some out).
func TestRandomStringCoversAlphabet(t *testing.T) {
	seen := map[rune]bool{}
	for range 200 {
		for _, c := range NewSecret() {
			seen[c] = true
		}
	}
	if len(seen) != len(AllowedChars) {
		t.Errorf("saw %d distinct characters, want %d", len(seen), len(AllowedChars))
	}
}

func TestPyTitle(t *testing.T) {
	for in, want := range map[string]string{
		"X-CSRFToken":            "X-Csrftoken",
		"X-CSRFTOKEN-CUSTOMIZED": "X-Csrftoken-Customized",
		"x1abc":                  "X1Abc",
	} {
		if got := pyTitle(in); got != want {
			t.Errorf("pyTitle(%q) = %q, want %q", in, got, want)
		}
	}
}
