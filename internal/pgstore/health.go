package pgstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Timing of the DB's health checks.
const (
	// healthEvery is how often the DB pings the database.
	healthEvery = time.Second
	// healthTimeout bounds each ping: a database on the same network
	// answers in a millisecond; one stopped, stalled or cut off does not.
	healthTimeout = time.Second
)

// Health is what the DB knows of the database from its checks: a ping
// through the pool every second, bounded by a second.
type Health struct {
	// Up is true when the last check was answered in time.
	Up bool
	// Since is when Up became what it is (the Open, at first).
	Since time.Time
	// LastError is the last check's failure, "" if there was none.
	LastError string
	// Outages counts the times the database went from up to down;
	// Failures the checks that failed.
	Outages, Failures int
}

// String is one line for a health endpoint: "ok", or "degraded: …" saying
// since when and why.
func (h Health) String() string {
	if h.Up {
		return "ok"
	}
	return fmt.Sprintf("degraded: database unreachable since %s (%s)", h.Since.UTC().Format(time.RFC3339), h.LastError)
}

// health is the DB's knowledge of the database, updated by monitor.
type health struct {
	mu sync.Mutex
	h  Health
}

// Health returns what the DB's last checks found.
func (db *DB) Health() Health {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	return db.health.h
}

// monitor pings the database every healthEvery until ctx ends, recording
// each outcome, and logs each change of state.
func (db *DB) monitor(ctx context.Context) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, healthTimeout)
		err := db.pool.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		db.record(err)
	}
}

// record records a check's outcome.
func (db *DB) record(err error) {
	now := time.Now()
	db.health.mu.Lock()
	h := &db.health.h
	was := h.Up
	if err != nil {
		h.Failures++
		h.LastError = err.Error()
	}
	if up := err == nil; up != was {
		h.Up, h.Since = up, now
		if !up {
			h.Outages++
		}
	}
	since := h.Since
	db.health.mu.Unlock()
	switch {
	case was && err != nil:
		db.log.Warn("pgstore: database unreachable; posts are refused (503) and pagelets that need it show their fallback", "err", err)
	case !was && err == nil:
		db.log.Info("pgstore: database reachable again", "after", now.Sub(since).Round(time.Millisecond))
	}
}
