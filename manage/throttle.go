package manage

import (
	"fmt"
	"strings"

	"github.com/dmr-go/dmr/securityheaders"
	"github.com/dmr-go/dmr/throttle"
)

// Environment variables of the API's rate limits (package throttle).
const (
	EnvThrottleRates = "DMR_THROTTLE_RATES"
	EnvThrottleStore = "DMR_THROTTLE_STORE"
)

// ThrottleStoreKind names where rate-limit counters live.
type ThrottleStoreKind string

// The throttle stores.
const (
	// ThrottleMemory counts in each process (a client gets the limit once
	// per instance).
	ThrottleMemory ThrottleStoreKind = "memory"
	// ThrottleRedis counts in Redis (DMR_REDIS_URL), shared by every
	// instance.
	ThrottleRedis ThrottleStoreKind = "redis"
)

// ThrottleRates is Django REST framework's DEFAULT_THROTTLE_RATES for its
// two throttle classes: Anon (AnonRateThrottle: anonymous requests, per
// client address) and User (UserRateThrottle: per user, per client address
// for anonymous requests). A nil rate means no such limit.
type ThrottleRates struct {
	Anon *throttle.Rate
	User *throttle.Rate
}

// Any reports whether a rate is set.
func (t ThrottleRates) Any() bool { return t.Anon != nil || t.User != nil }

// ParseThrottleRates reads DMR_THROTTLE_RATES: comma-separated
// scope=rate entries, for the scopes anon and user, each rate in DRF's form
// (throttle.ParseRate: "100/min", "1000/day"), for example
// "anon=100/min,user=1000/hour". Spaces around entries are ignored.
func ParseThrottleRates(s string) (ThrottleRates, error) {
	var t ThrottleRates
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		scope, rate, ok := strings.Cut(entry, "=")
		if !ok {
			return ThrottleRates{}, fmt.Errorf("%q: want scope=rate, such as anon=100/min", entry)
		}
		var dst **throttle.Rate
		switch scope = strings.TrimSpace(scope); scope {
		case "anon":
			dst = &t.Anon
		case "user":
			dst = &t.User
		default:
			return ThrottleRates{}, fmt.Errorf("unknown scope %q: want anon or user", scope)
		}
		if *dst != nil {
			return ThrottleRates{}, fmt.Errorf("scope %s given twice", scope)
		}
		r, err := throttle.ParseRate(strings.TrimSpace(rate))
		if err != nil {
			return ThrottleRates{}, fmt.Errorf("%s: %v", scope, err)
		}
		*dst = &r
	}
	return t, nil
}

// throttleFromEnv reads DMR_THROTTLE_RATES and DMR_THROTTLE_STORE.
func throttleFromEnv(get func(string) string) (ThrottleRates, ThrottleStoreKind, error) {
	rates, err := ParseThrottleRates(get(EnvThrottleRates))
	if err != nil {
		return ThrottleRates{}, "", fmt.Errorf("%s: %v", EnvThrottleRates, err)
	}
	return rates, ThrottleStoreKind(get(EnvThrottleStore)), nil
}

// validateThrottle checks the throttle store's name.
func (c Config) validateThrottle() error {
	switch c.ThrottleStore {
	case "", ThrottleMemory, ThrottleRedis:
		return nil
	}
	return fmt.Errorf("%s=%q: want memory or redis", EnvThrottleStore, string(c.ThrottleStore))
}

// throttleStore is the effective store: the configured one, else Redis
// when the sessions already live there (redis, cached_db), else memory.
func (c Config) throttleStore() ThrottleStoreKind {
	switch {
	case c.ThrottleStore != "":
		return c.ThrottleStore
	case c.SessionStore == StoreRedis || c.SessionStore == StoreCachedDB:
		return ThrottleRedis
	}
	return ThrottleMemory
}

// throttleNeedsRedis reports whether the rate limits count in Redis.
func (c Config) throttleNeedsRedis() bool {
	return c.ThrottleRates.Any() && c.throttleStore() == ThrottleRedis
}

// openThrottle builds the API-wide limiters of DMR_THROTTLE_RATES: anon,
// then user, both after the auths, keyed by the client address that trust
// tells and by auth's current user. They fail open (package throttle).
func (e *Env) openThrottle(trust securityheaders.Trust) error {
	cfg := e.Config
	if !cfg.ThrottleRates.Any() {
		return nil
	}
	var store throttle.Store
	if cfg.throttleStore() == ThrottleRedis {
		rs, err := throttle.NewRedisStore(e.Redis, throttle.RedisOptions{KeyPrefix: cfg.RedisKeyPrefix})
		if err != nil {
			return err
		}
		store = rs
	} else {
		store = throttle.NewMemoryStore(throttle.MemoryOptions{})
	}
	o := throttle.Options{Store: store, Trust: &trust, Logger: e.Logger}
	if r := cfg.ThrottleRates.Anon; r != nil {
		l, err := throttle.Anon(*r, o)
		if err != nil {
			return fmt.Errorf("%s: anon: %w", EnvThrottleRates, err)
		}
		e.Throttle = append(e.Throttle, l)
	}
	if r := cfg.ThrottleRates.User; r != nil {
		l, err := throttle.User(*r, o)
		if err != nil {
			return fmt.Errorf("%s: user: %w", EnvThrottleRates, err)
		}
		e.Throttle = append(e.Throttle, l)
	}
	return nil
}
