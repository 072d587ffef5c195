package userdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

// countingDB opens a second pool on the database that url names (the URL
// of an open test database) whose statements count every query and exec
// they run: the round trips a store makes.
func countingDB(t testing.TB, url string) (*sqldb.DB, *atomic.Int64) {
	t.Helper()
	src, err := sqldb.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := sql.Open(src.Driver, src.DSN)
	if err != nil {
		t.Fatal(err)
	}
	drv := probe.Driver()
	probe.Close()
	n := new(atomic.Int64)
	db := sql.OpenDB(countConnector{d: drv, dsn: src.DSN, n: n})
	t.Cleanup(func() { db.Close() })
	return sqldb.New(db, src.Dialect), n
}

type countConnector struct {
	d   driver.Driver
	dsn string
	n   *atomic.Int64
}

func (c countConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var conn driver.Conn
	var err error
	if dc, ok := c.d.(driver.DriverContext); ok {
		var cn driver.Connector
		if cn, err = dc.OpenConnector(c.dsn); err == nil {
			conn, err = cn.Connect(ctx)
		}
	} else {
		conn, err = c.d.Open(c.dsn)
	}
	if err != nil {
		return nil, err
	}
	return countConn{conn, c.n}, nil
}

func (c countConnector) Driver() driver.Driver { return c.d }

// countConn offers database/sql only Prepare, so every query and exec runs
// through a countStmt.
type countConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c countConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return countStmt{st, c.n}, nil
}

func (c countConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if bt, ok := c.Conn.(driver.ConnBeginTx); ok {
		return bt.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the fallback database/sql uses too
}

func (c countConn) CheckNamedValue(v *driver.NamedValue) error {
	if nc, ok := c.Conn.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

type countStmt struct {
	driver.Stmt
	n *atomic.Int64
}

var errNoContext = errors.New("count_test: the driver's statement has no context methods")

func (s countStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.n.Add(1)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return nil, errNoContext
}

func (s countStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.n.Add(1)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return nil, errNoContext
}
