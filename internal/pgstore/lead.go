package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLeadLost is the cause ([context.Cause]) of the context [DB.Lead]
// gives fn when the lead was lost: its connection to the database failed a
// check, so the lock may be another instance's by now.
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
// default). Once it has it, it runs fn with a context that ends when ctx
// does, or with cause [ErrLeadLost] when a check of the connection (a
// SELECT 1 every lead interval, bounded by two seconds) fails. When fn
// returns, Lead unlocks and returns fn's error, unless the lead was lost:
// then it contends again, and runs fn again if it leads again, until ctx
// ends. If ctx ends while it does not lead, it returns ctx's cause.
//
// The database releases the lock as soon as the leader's session ends (its
// process killed, its connection terminated), and another process takes
// the lead within a lead interval. The leader notices a lost connection
// within a lead interval plus the probe's bound, so for that long after a
// fault two processes may both run fn: fn must not rely on being alone
// for correctness (the simulator's writes are transactions of their own).
// A connection that dies without the server seeing it (a network
// partition) is found by TCP keepalives, which the connection sets to
// about fifteen seconds.
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
				lost, err := db.hold(ctx, conn, key, fn)
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
		t := time.NewTimer(db.leadEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// hold runs fn while conn holds the lock key, checking conn every lead
// interval, and unlocks when fn returns, unless the lead was lost, which
// it reports.
func (db *DB) hold(ctx context.Context, conn *pgx.Conn, key int64, fn func(context.Context) error) (lost bool, err error) {
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		db.watch(lctx, conn, cancel, done)
	}()
	err = fn(lctx)
	close(done)
	<-watched // the connection is free again
	if errors.Is(context.Cause(lctx), ErrLeadLost) {
		return true, errors.Join(err, context.Cause(lctx))
	}
	uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer ucancel()
	if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", key); uerr != nil {
		// Closing the connection (Lead does) releases it too.
		db.log.Warn("pgstore: unlock the lead", "err", uerr)
	}
	return false, err
}

// watch checks conn every lead interval until done is closed or ctx ends,
// and cancels the leader's context with [ErrLeadLost] when a check fails.
// Its probes have their own bounded context, not ctx: a query cut by a
// cancelled context closes the connection, and the lock with it, before
// Lead could unlock.
func (db *DB) watch(ctx context.Context, conn *pgx.Conn, cancel context.CancelCauseFunc, done <-chan struct{}) {
	t := time.NewTicker(db.leadEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, pcancel := context.WithTimeout(context.Background(), probeTimeout)
		_, err := conn.Exec(pctx, "SELECT 1")
		pcancel()
		if err != nil {
			cancel(fmt.Errorf("%w: %w", ErrLeadLost, err))
			return
		}
	}
}

// connect opens the leader's own connection, with TCP keepalives that make
// the server end its session (and release the lock) about fifteen seconds
// after the client's host stops answering.
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
