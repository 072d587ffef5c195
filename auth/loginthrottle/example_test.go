package loginthrottle_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth/loginthrottle"
)

func Example() {
	th, err := loginthrottle.New(loginthrottle.Options{FailureLimit: 3, CoolOff: 15 * time.Minute})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("203.0.113.5")
	for range 3 {
		// Before authenticating: a refused attempt costs no hash.
		if err := th.Begin(ctx, ip, "alice"); err != nil {
			fmt.Println("refused:", err)
			return
		}
		// ... the password was wrong:
		if err := th.Failed(ctx, ip, "alice"); err != nil {
			ae, _ := apierror.As(err)
			fmt.Println(ae.Status, ae.Header.Get("Retry-After"), ae.Details[0].Msg)
		}
	}
	fmt.Println(th.Begin(ctx, ip, "alice") != nil) // even before the password is known
	// Output:
	// 429 900 Account locked: too many login attempts. Please try again later.
	// true
}
