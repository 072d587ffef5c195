package changefeed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dmr-go/dmr/sqldb"
)

// gapWait is how long the poller keeps re-reading past an id it has not
// seen (MySQL: an insert committed after a later one; or a rollback's
// permanent hole) before giving up on it.
const gapWait = 5 * time.Second

// pollLimit bounds the rows one poll reads.
const pollLimit = 10_000

// Poll starts a poller of the change log (SQLite, MySQL/MariaDB) that
// Install made: every Options.Interval it reads the rows added since the
// last poll and delivers them. It starts after the newest row (MAX(id)).
// A failed poll (or one slower than Options.Timeout) turns Live false
// until the next successful poll, which runs OnReset first. Every
// Retention/4 it deletes the rows older than Options.Retention. Close
// stops it.
func Poll(ctx context.Context, db *sqldb.DB, opts Options) (*Feed, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if db == nil || db.Dialect == sqldb.Postgres {
		return nil, errors.New("changefeed: Poll needs a SQLite or MySQL database (PostgreSQL: Listen)")
	}
	f := newFeed(opts)
	p := &poller{f: f, db: db, seen: map[int64]struct{}{}}
	qctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	err := db.Read.QueryRowContext(qctx, "SELECT COALESCE(MAX(id), 0) FROM "+ChangelogTable).Scan(&p.low)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("changefeed: read %s: %w", ChangelogTable, err)
	}
	p.lastOK = time.Now()
	f.start(p.run)
	return f, nil
}

type poller struct {
	f  *Feed
	db *sqldb.DB
	// low: every id ≤ low was delivered (or given up on); seen: the ids
	// above low already delivered; gapSince: when the hole at low+1 was
	// first seen.
	low       int64
	seen      map[int64]struct{}
	gapSince  time.Time
	lastOK    time.Time
	lastPrune time.Time
}

func (p *poller) run(ctx context.Context) {
	defer close(p.f.done)
	t := time.NewTicker(p.f.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.once(ctx)
	}
}

// once polls once and handles the outcome.
func (p *poller) once(ctx context.Context) {
	now := time.Now()
	stalled := now.Sub(p.lastOK) > p.f.opts.Retention/2
	if stalled {
		// Rows may have been pruned before this poller read them.
		p.f.down("change log not read for more than half its retention", nil)
	}
	wasLive := p.f.Live()
	qctx, cancel := context.WithTimeout(ctx, p.f.opts.Timeout)
	events, err := p.read(qctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			p.f.down("change log poll failed", err)
		}
		return
	}
	p.lastOK = time.Now()
	if !wasLive {
		// The events read now may postdate others that were missed:
		// everything goes.
		p.f.up()
		return
	}
	for _, e := range events {
		p.f.deliver(e)
	}
	if now.Sub(p.lastPrune) > p.f.opts.Retention/4 {
		p.lastPrune = now
		p.prune(ctx)
	}
}

// read returns the rows after low, in id order, skipping those already
// delivered, and advances low.
func (p *poller) read(ctx context.Context) ([]Event, error) {
	rows, err := p.db.Read.QueryContext(ctx,
		"SELECT id, kind, k FROM "+ChangelogTable+" WHERE id > ? ORDER BY id LIMIT "+strconv.Itoa(pollLimit), p.low)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []Event
	for rows.Next() {
		var (
			id      int64
			kind, k string
		)
		if err := rows.Scan(&id, &kind, &k); err != nil {
			return nil, err
		}
		if _, ok := p.seen[id]; ok {
			continue
		}
		p.seen[id] = struct{}{}
		if len(kind) == 1 && Kind(kind[0]).valid() {
			events = append(events, Event{Kind: Kind(kind[0]), Key: k})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	p.advance(time.Now())
	return events, nil
}

// advance moves low over the delivered ids that follow it, and past a
// hole older than gapWait.
func (p *poller) advance(now time.Time) {
	for {
		for {
			if _, ok := p.seen[p.low+1]; !ok {
				break
			}
			delete(p.seen, p.low+1)
			p.low++
		}
		if len(p.seen) == 0 {
			p.gapSince = time.Time{}
			return
		}
		if p.gapSince.IsZero() {
			p.gapSince = now
			return
		}
		if now.Sub(p.gapSince) < gapWait && len(p.seen) < pollLimit/2 {
			return
		}
		// Give up on the hole: jump to the smallest delivered id.
		lowest := int64(-1)
		for id := range p.seen {
			if lowest < 0 || id < lowest {
				lowest = id
			}
		}
		p.low = lowest - 1
		p.gapSince = time.Time{}
	}
}

// prune deletes the rows older than the retention; a failure is only
// logged (another poller, or the next prune, does it).
func (p *poller) prune(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, p.f.opts.Timeout)
	defer cancel()
	secs := int64((p.f.opts.Retention + time.Second - 1) / time.Second)
	_, err := p.db.Write.ExecContext(qctx, "DELETE FROM "+ChangelogTable+" WHERE at < "+nowExpr(p.db.Dialect)+" - ?", secs)
	if err != nil && ctx.Err() == nil {
		p.f.opts.Logger.Warn("cache invalidation feed: pruning the change log failed", "err", err)
	}
}
