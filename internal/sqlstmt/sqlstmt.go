package sqlstmt

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Cache holds prepared statements by query text. The zero value is not
// usable; create one with New. It is safe for concurrent use.
type Cache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// New returns an empty Cache for db.
func New(db *sql.DB) *Cache { return &Cache{db: db, m: map[string]*sql.Stmt{}} }

// Get returns query prepared. A failed prepare (say, the table does not exist
// yet) is not kept, so the next call tries again.
func (c *Cache) Get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil { // another caller prepared it meanwhile
		st.Close()
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// Close releases every statement. The Cache stays usable: later calls to Get
// prepare again. It does not close the database.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}
