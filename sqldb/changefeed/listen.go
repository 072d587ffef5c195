package changefeed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dmr-go/dmr/sqldb"
)

// Listen opens one dedicated PostgreSQL connection to url
// (postgres://…), runs LISTEN dmr_cache on it and delivers the
// notifications of the triggers Install made. It fails when the first
// connection fails; later outages are retried with backoff (50 ms doubling
// to Options.MaxBackoff), Live being false meanwhile, and every
// reconnection runs LISTEN, then OnReset, then turns Live true. A
// connection silent for Options.Heartbeat is checked with a query bounded
// by Options.Timeout. Close stops it.
func Listen(ctx context.Context, url string, opts Options) (*Feed, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("changefeed: malformed PostgreSQL URL") // the error would repeat the password
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = sqldb.DefaultConnectTimeout
	}
	// A LISTEN connection must not be cut by a statement_timeout meant for
	// the pools.
	delete(cfg.RuntimeParams, "statement_timeout")
	f := newFeed(opts)
	conn, err := f.connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f.start(func(ctx context.Context) { f.listen(ctx, cfg, conn) })
	return f, nil
}

func (f *Feed) connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout+f.opts.Timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("changefeed: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("changefeed: LISTEN: %w", err)
	}
	return conn, nil
}

func (f *Feed) listen(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(f.done)
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	backoff := minBackoff
	for {
		if conn == nil {
			if !sleep(ctx, backoff) {
				return
			}
			var err error
			if conn, err = f.connect(ctx, cfg); err != nil {
				backoff = min(2*backoff, f.opts.MaxBackoff)
				continue
			}
			backoff = minBackoff
			f.up()
		}
		wctx, cancel := context.WithTimeout(ctx, f.opts.Heartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil {
			if e, ok := parsePayload(n.Payload); ok {
				f.deliver(e)
			} else {
				f.opts.Logger.Warn("cache invalidation feed: unknown notification ignored", "channel", n.Channel)
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if pgconn.Timeout(err) && !conn.IsClosed() {
			// Silence: check the connection is alive.
			pctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
			_, err = conn.Exec(pctx, "SELECT 1")
			cancel()
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return
			}
		}
		f.down("LISTEN connection lost", err)
		conn.Close(context.Background())
		conn = nil
	}
}

// parsePayload reads "kind:key".
func parsePayload(p string) (Event, bool) {
	k, key, ok := strings.Cut(p, ":")
	if !ok || len(k) != 1 || !Kind(k[0]).valid() {
		return Event{}, false
	}
	return Event{Kind: Kind(k[0]), Key: key}, true
}
