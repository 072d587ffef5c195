package reqstate

import (
	"context"
	"net/http"
	"sync"
)

// Slot names one per-request value.
type Slot uint8

// The slots, one per package that keeps a per-request value.
const (
	Session Slot = iota // *sessions.Session
	CSRF                // the csrf package's per-request state
	Auth                // the auth package's per-request user state
	Request             // the *http.Request the API layer hands its handlers
	Route               // the API layer's route that served the request
	numSlots
)

// Hook is one commit function (package commit keeps its list here, so it
// shares the State's allocation).
type Hook interface {
	Commit(ctx context.Context, h http.Header, status int) error
}

// Commit is the request's commit list, owned by package commit: its fields
// are guarded by Mu and used by that package only.
type Commit struct {
	Mu     sync.Mutex
	Hooks  []Hook
	Done   bool // the hooks ran
	Err    error
	inline [4]Hook
}

// Append adds h to the list; the caller holds Mu.
func (c *Commit) Append(h Hook) {
	if c.Hooks == nil {
		c.Hooks = c.inline[:0]
	}
	c.Hooks = append(c.Hooks, h)
}

// State is the per-request state of one request chain.
type State struct {
	commit *Commit
	vals   [numSlots]any
	own    Commit
}

type key struct{}

// From returns ctx's State, or nil.
func From(ctx context.Context) *State {
	st, _ := ctx.Value(key{}).(*State)
	return st
}

// Get returns the value in slot s of ctx's State, or nil.
func Get(ctx context.Context, s Slot) any {
	if st := From(ctx); st != nil {
		return st.vals[s]
	}
	return nil
}

// Commit returns the state's commit list.
func (st *State) Commit() *Commit { return st.commit }

func newState() *State {
	st := &State{}
	st.commit = &st.own
	return st
}

// child is a State with st's values and commit list.
func (st *State) child() *State {
	return &State{commit: st.commit, vals: st.vals}
}

// Ensure returns r's State and the request carrying it, making the State
// (one context value, one request copy) when r has none.
func Ensure(r *http.Request) (*State, *http.Request) {
	if st := From(r.Context()); st != nil {
		return st, r
	}
	st := newState()
	return st, r.WithContext(context.WithValue(r.Context(), key{}, st))
}

// Set puts v in slot s and returns the request to pass on: r itself when its
// State had the slot empty, else a request with a new or child State.
func Set(r *http.Request, s Slot, v any) *http.Request {
	ctx := r.Context()
	st := From(ctx)
	if st != nil && st.vals[s] == nil {
		st.vals[s] = v
		return r
	}
	return r.WithContext(With(ctx, s, v))
}

// Fill puts v in slot s of ctx's State when it has one with s empty, and
// reports whether it did. It never allocates: for values only an outer
// layer that made the State (with Ensure) reads.
func Fill(ctx context.Context, s Slot, v any) bool {
	st := From(ctx)
	if st == nil || st.vals[s] != nil {
		return false
	}
	st.vals[s] = v
	return true
}

// With returns a context whose State has v in slot s and the other values
// (and commit list) of ctx's State. It never changes ctx's State.
func With(ctx context.Context, s Slot, v any) context.Context {
	var st *State
	if parent := From(ctx); parent != nil {
		st = parent.child()
	} else {
		st = newState()
	}
	st.vals[s] = v
	return context.WithValue(ctx, key{}, st)
}
