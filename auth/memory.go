package auth

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"time"
)

// MemoryUsers is a UserStore in process memory, for tests and examples. The
// zero value is ready to use. It hands out copies, so callers never share a
// *User with the store.
type MemoryUsers struct {
	mu     sync.Mutex
	byID   map[string]User
	nextID int64
}

var _ UserStore = (*MemoryUsers)(nil)

func (m *MemoryUsers) UserByID(ctx context.Context, id string) (*User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return nil, ErrUserNotFound
	}
	u.Extra = maps.Clone(u.Extra)
	return &u, nil
}

func (m *MemoryUsers) UserByUsername(ctx context.Context, username string) (*User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.byID {
		if u.Username == username {
			return &u, nil
		}
	}
	return nil, ErrUserNotFound
}

func (m *MemoryUsers) CreateUser(ctx context.Context, u *User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.byID {
		if x.Username == u.Username {
			return ErrUsernameTaken
		}
	}
	if m.byID == nil {
		m.byID = map[string]User{}
	}
	m.nextID++
	u.ID = strconv.FormatInt(m.nextID, 10)
	c := *u
	c.Backend = ""
	c.Extra = maps.Clone(u.Extra)
	m.byID[u.ID] = c
	return nil
}

func (m *MemoryUsers) SetPassword(ctx context.Context, id string, encoded string) error {
	return m.update(id, func(u *User) { u.Password = encoded })
}

func (m *MemoryUsers) UpdateLastLogin(ctx context.Context, id string, t time.Time) error {
	return m.update(id, func(u *User) { u.LastLogin = &t })
}

func (m *MemoryUsers) update(id string, f func(*User)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return ErrUserNotFound
	}
	f(&u)
	m.byID[id] = u
	return nil
}
