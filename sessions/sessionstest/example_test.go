package sessionstest_test

import (
	"testing"
	"time"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/sessionstest"
)

// A store's test file runs the suite with a function that makes a fresh
// store using the suite's clock. (Run needs the *testing.T of a test, so this
// example is compiled but not run; the same code runs in this module's
// sessions, dbstore and redisstore tests.)
func ExampleRun() {
	var t *testing.T // the test's t, in TestMyStore(t *testing.T)
	sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
		return &sessions.MemoryStore{Now: now}
	})
}
