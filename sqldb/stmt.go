package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// StmtCache keeps a database's hot statements prepared, once per owner (a
// session store, a user store): database/sql re-prepares a *sql.Stmt on
// each connection as needed and a *sql.Stmt is safe for concurrent use. On
// SQLite, parsing a statement again is a large part of a point lookup.
//
// The zero value is not usable; create one with NewStmtCache. It is safe for
// concurrent use.
type StmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// NewStmtCache returns an empty StmtCache for db.
func NewStmtCache(db *sql.DB) *StmtCache { return &StmtCache{db: db, m: map[string]*sql.Stmt{}} }

// Get returns query prepared. A failed prepare (say, the table does not exist
// yet) is not kept, so the next call tries again.
func (c *StmtCache) Get(ctx context.Context, query string) (*sql.Stmt, error) {
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

// Close releases every statement. The StmtCache stays usable: later calls to Get
// prepare again. It does not close the database.
func (c *StmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}
