package sessions_test

import (
	"testing"
	"time"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/sessionstest"
)

func TestMemoryStoreConformance(t *testing.T) {
	sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
		return &sessions.MemoryStore{Now: now}
	})
}

func TestLocalCacheConformance(t *testing.T) {
	sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
		c, err := sessions.NewLocalCache(&sessions.MemoryStore{Now: now}, sessions.LocalCacheOptions{TTL: time.Minute, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}
