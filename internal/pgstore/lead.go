package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLeadLost is the cause ([context.Cause]) of the context [DB.Lead]
// gives fn when the lead was lost: its lease expired, or its connection to
// the database failed a check, so the lock may be another instance's by
// now.
var ErrLeadLost = errors.New("pgstore: lead lost")

// probeTimeout bounds each check of the leader's connection.
const probeTimeout = 2 * time.Second

// Lead runs fn while this process holds the lead called name, among every
// process calling Lead with that name on the database, so that one of them
// at a time runs fn (the demo's simulator, say).
//
// It holds a session-level advisory lock (pg_try_advisory_lock on a hash of
// name) on a connection of its own, not the pool's: it tries to take it at
// once and then every lead interval ([WithLeadInterval], a second by
// default). Once it has it, it takes the lead's next generation, the
// fencing token of a [Lease], and runs fn with a context that carries the
// lease ([LeaseFrom]) and ends when ctx does, or with cause [ErrLeadLost]
// when the lease expires or a check of the connection fails. The leader
// checks its connection (a SELECT 1, bounded by two lead intervals) every
// lead interval; each success renews the lease for three lead intervals
// from the check's start. When fn returns, Lead records a clean release,
// unlocks and returns fn's error, unless the lead was lost: then it
// contends again, and runs fn again if it leads again, until ctx ends. If
// ctx ends while it does not lead, it returns ctx's cause.
//
// The database releases the lock as soon as the leader's session ends (its
// process killed, its connection reset or terminated) and, for a leader cut
// off without the server noticing (a partition), once its session has been
// idle for two leases (idle_session_timeout): another process takes the
// lead within a lead interval of that. Two leaders never act at once: a
// leader that took the lead after an unclean end waits a whole lease
// before it runs fn, by which time the old leader's lease has expired (its
// last successful check began before the lock was released), and the old
// leader's writes through [DB.UpdateDoc] are refused by the new generation
// ([ErrFenced]). After a clean release the next leader starts at once.
func (db *DB) Lead(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	key := lockKey("lead:" + name)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	failing := false // the last attempt failed: log the next failure at debug level only
	for {
		var err error
		if conn == nil {
			conn, err = db.connect(ctx)
		}
		if err == nil {
			var got bool
			if err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err == nil && got {
				failing = false
				lost, err := db.hold(ctx, conn, name, key, fn)
				if !lost {
					return err
				}
				db.log.Warn("pgstore: lost the lead", "lead", name, "err", err)
				closeConn(conn)
				conn = nil
			}
		}
		if err != nil && ctx.Err() == nil {
			level := slog.LevelWarn
			if failing {
				level = slog.LevelDebug
			}
			db.log.Log(ctx, level, "pgstore: cannot contend for the lead; retrying", "lead", name, "every", db.leadEvery, "err", err)
			failing = true
			if conn != nil {
				closeConn(conn)
				conn = nil
			}
		}
		if !sleep(ctx, db.leadEvery) {
			return context.Cause(ctx)
		}
	}
}

// sleep waits d, and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// leaseLength is how long a leader may act after the start of its last
// successful check: three lead intervals.
func (db *DB) leaseLength() time.Duration { return 3 * db.leadEvery }

// probeBound bounds each check of the leader's connection: two lead
// intervals (so that a check that succeeds renews the lease before it
// ends), at most probeTimeout.
func (db *DB) probeBound() time.Duration { return min(2*db.leadEvery, probeTimeout) }

// hold runs fn under a new lease while conn holds the lock key of the lead
// name, and when fn returns records a clean release and unlocks, unless
// the lead was lost, which it reports.
func (db *DB) hold(ctx context.Context, conn *pgx.Conn, name string, key int64, fn func(context.Context) error) (lost bool, err error) {
	gen, clean, err := takeGeneration(ctx, conn, name, db.leaseLength())
	if err != nil {
		return true, err
	}
	l := &Lease{name: name, generation: gen, length: db.leaseLength(), base: time.Now()}
	if !clean {
		// The previous leader may still act until its lease ends.
		db.log.Info("pgstore: took the lead after an unclean end; waiting a lease before acting", "lead", name, "generation", gen, "wait", l.length)
		if !sleep(ctx, l.length) {
			return false, context.Cause(ctx)
		}
	}
	start := time.Now()
	if err := db.probe(conn); err != nil {
		return true, fmt.Errorf("%w: %w", ErrLeadLost, err)
	}
	l.renew(start)
	lctx, cancel := context.WithCancelCause(context.WithValue(ctx, leaseKey{}, l))
	defer cancel(nil)
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		db.watch(lctx, conn, l, cancel, done)
	}()
	err = fn(lctx)
	close(done)
	<-watched // the connection is free again
	if errors.Is(context.Cause(lctx), ErrLeadLost) {
		return true, errors.Join(err, context.Cause(lctx))
	}
	uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer ucancel()
	if rerr := release(uctx, conn, name, gen); rerr != nil {
		db.log.Warn("pgstore: record the lead's release", "err", rerr)
	}
	if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", key); uerr != nil {
		// Closing the connection (Lead does) releases it too.
		db.log.Warn("pgstore: unlock the lead", "err", uerr)
	}
	return false, err
}

// probe checks conn, within the probe bound. Its context is its own, not
// the leader's: a query cut by a cancelled context closes the connection,
// and the lock with it, before Lead could unlock.
func (db *DB) probe(conn *pgx.Conn) error {
	pctx, cancel := context.WithTimeout(context.Background(), db.probeBound())
	defer cancel()
	_, err := conn.Exec(pctx, "SELECT 1")
	return err
}

// watch checks conn every lead interval until done is closed or ctx ends,
// renewing l from the start of each check that succeeds, and cancels the
// leader's context with [ErrLeadLost] when a check fails or the lease
// expires first.
func (db *DB) watch(ctx context.Context, conn *pgx.Conn, l *Lease, cancel context.CancelCauseFunc, done <-chan struct{}) {
	t := time.NewTicker(db.leadEvery)
	defer t.Stop()
	expiry := time.NewTimer(l.left())
	defer expiry.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-expiry.C:
			if err := l.Check(); err != nil {
				cancel(err)
				return
			}
			expiry.Reset(l.left())
			continue
		case <-t.C:
		}
		start := time.Now()
		if err := db.probe(conn); err != nil {
			cancel(fmt.Errorf("%w: %w", ErrLeadLost, err))
			return
		}
		if err := l.Check(); err != nil { // the check outlasted the lease
			cancel(err)
			return
		}
		l.renew(start)
		expiry.Reset(l.left())
	}
}

// connect opens the leader's own connection, with TCP keepalives that make
// the server end its session (and release the lock) about fifteen seconds
// after the client's host stops answering, and an idle_session_timeout of
// two leases that ends it sooner when something between them (a proxy)
// keeps the TCP connection up while nothing comes through.
func (db *DB) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := db.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for k, v := range map[string]string{
		"application_name":        "bigpipe lead",
		"tcp_keepalives_idle":     "5",
		"tcp_keepalives_interval": "2",
		"tcp_keepalives_count":    "5",
		"idle_session_timeout":    strconv.FormatInt((2 * db.leaseLength()).Milliseconds(), 10),
	} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: lead connection: %w", err)
	}
	return conn, nil
}

// closeConn closes a leader's connection, giving the server a moment to
// hear it.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}
