package signing_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/dmr-go/dmr/signing"
)

var frozen = func() time.Time { return time.Unix(1700000000, 0) }

func ExampleSigner() {
	s, err := signing.NewSigner(signing.Options{Key: []byte("predictable-secret")})
	if err != nil {
		panic(err)
	}
	signed := s.Sign("foo")
	fmt.Println(signed)
	v, err := s.Unsign(signed)
	fmt.Println(v, err)
	_, err = s.Unsign("foo:forged")
	fmt.Println(errors.Is(err, signing.ErrBadSignature))
	// Output:
	// foo:jZQoX_FtSO70jX9HLRGg2A_2s4kdDBxz1QoO_OpEQb0
	// foo <nil>
	// true
}

func ExampleTimestampSigner() {
	now := time.Unix(1700000000, 0)
	s, err := signing.NewTimestampSigner(signing.Options{
		Key: []byte("django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"),
		Now: func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	signed := s.Sign("hello")
	fmt.Println(signed)
	now = now.Add(time.Hour)
	_, err = s.Unsign(signed, time.Minute)
	fmt.Println(errors.Is(err, signing.ErrSignatureExpired))
	// Output:
	// hello:1r31eq:PfmL2mmB5rfSNJo45DVDxSUi9xYa6e_xMM6vySmp06Y
	// true
}

func ExampleDumps() {
	s, err := signing.Dumps("hello", signing.Options{
		Key: []byte("django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"),
		Now: frozen,
	}, true)
	fmt.Println(s, err)
	// Output: ImhlbGxvIg:1r31eq:dVfetjbosEbJ4vtcMrf6AP5VXToapIcOC0r5wWv40AY <nil>
}

func ExampleLoads() {
	// Signed with a key that has since been rotated out.
	old := "ImhlbGxvIg:1r31eq:ncPgC-ffWb4thEYUd5nucMPbKxHXFqJMh9NOeskq7zI"
	v, err := signing.Loads(old, signing.Options{
		Key:          []byte("django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"),
		FallbackKeys: [][]byte{[]byte("old-secret-key")},
	}, 0)
	fmt.Println(v, err)
	// Output: hello <nil>
}

func ExampleSaltedHMAC() {
	mac, _ := signing.SaltedHMAC("my.key.salt", []byte("hello"),
		[]byte("django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"), "sha256")
	fmt.Printf("%x\n", mac)
	// Output: ddfe7a9f09bfb2e94fc235fb37b71c5db30be68f2a7ed47eec1b76e8170f902b
}
