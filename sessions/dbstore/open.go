package dbstore

import (
	"context"

	"github.com/dmr-go/dmr/sqldb"
)

// Open opens the database at rawURL with sqldb's defaults (see sqldb.Open
// for the URLs: sqlite:PATH, postgres://…, mysql://…) and returns a Store on
// it whose Close also closes the database. Use sqldb.Open and New to choose
// pool sizes and timeouts, or to share the database with other stores.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	db, err := sqldb.Open(ctx, rawURL, sqldb.Options{})
	if err != nil {
		return nil, err
	}
	s, err := New(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}
