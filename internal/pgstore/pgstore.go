// Package pgstore keeps what the instances of the demo site share in
// PostgreSQL: readers' comments, the live documents the simulator changes
// (markets, scores, breaking news) and the time the news seed is dated
// from. [DB] implements [store.Shared]; a news store opened with
// [store.WithShared] of one keeps those there, so that a comment posted
// through any instance is stored once and shown by every one.
//
//	db, err := pgstore.Open(ctx, "postgres://bigpipe@db.internal/news")
//	if err != nil { … }
//	defer db.Close()
//	st, err := store.OpenMemory(store.WithShared(db))
//
// [Open] creates the schema on first start; several instances starting at
// once create it once. [DB.Lead] elects one instance to run something (the
// simulator) at a time, with a session-level advisory lock, fenced by a
// generation and a lease ([Lease]). Errors of a database that is away
// (not answering, restarting, cut off) match [store.ErrUnavailable];
// [DB.Health] says whether it answers now.
//
// # Schema
//
//	meta          (key text primary key, value text)         "anchor": the seed time (RFC 3339), "schema": "1"
//	comments      (slug, id, seq, name, text, posted timestamptz, reader, reply_to, reply_name)
//	              primary key (slug, id), unique (slug, seq); the last three added
//	              in place (ADD COLUMN IF NOT EXISTS, default ''), so older rows read as
//	              anonymous comments answering none
//	accounts      (id text primary key, name, skeleton unique, password, created)
//	sessions      (hash text primary key, account → accounts, name, created, expires)
//	comment_seqs  (slug text primary key, last bigint)        the last seq given on each article
//	docs          (key text primary key, value jsonb, updated_at timestamptz)
//	leads         (name text primary key, generation, released)  each lead's fencing token (lease.go)
//
// and readers' messages and notifications, in mail.go's tables, and the
// moderation desk's, in desk.go's.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// ConnectTimeout bounds [Open]'s first connection, and every later one that
// the URL does not bound itself (connect_timeout).
const ConnectTimeout = 5 * time.Second

// txIdleTimeout is the idle_in_transaction_session_timeout of the pool's
// connections, unless the URL sets one: the server ends a session whose
// transaction has waited that long for its client.
const txIdleTimeout = 5 * time.Second

// DB is an open connection pool to the shared database. Its methods are
// safe for concurrent use.
type DB struct {
	pool      *pgxpool.Pool
	log       *slog.Logger
	leadEvery time.Duration

	health      health
	stopMonitor context.CancelFunc
	monitored   chan struct{} // closed when monitor has returned
}

var (
	_ store.Shared = (*DB)(nil)
	_ store.Mail   = (*DB)(nil)
)

// Option configures a DB opened with [Open].
type Option func(*DB)

// WithLogger makes the DB log on l what it retries by itself ([DB.Lead]'s
// connection failures). The default discards it.
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// WithLeadInterval sets how often [DB.Lead] tries to take the lead, and
// checks its connection while it leads. The default is a second.
func WithLeadInterval(d time.Duration) Option {
	return func(db *DB) {
		if d > 0 {
			db.leadEvery = d
		}
	}
}

// Open connects to the PostgreSQL database at url
// (postgres://user:password@host:port/dbname?sslmode=…, or any form pgx
// understands), checks it answers within [ConnectTimeout], and creates the
// schema if it is not there yet.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errorf("pgstore: %w", err) // pgx redacts the password
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		// A transaction left open by a client cut off mid-way (a partition
		// a proxy hides from the server) would hold its row locks, and a
		// fenced write's hold on its lead, for good.
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(txIdleTimeout.Milliseconds(), 10)
	}
	db := &DB{log: slog.New(slog.DiscardHandler), leadEvery: time.Second}
	for _, o := range opts {
		o(db)
	}
	target := fmt.Sprintf("%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, errorf("pgstore: %s: %w", target, err)
	}
	pctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if err := db.pool.Ping(pctx); err != nil {
		db.pool.Close()
		return nil, errorf("pgstore: connect to %s: %w", target, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, errorf("pgstore: create the schema in %s: %w", target, err)
	}
	db.health.h = Health{Up: true, Since: time.Now()}
	mctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stopMonitor, db.monitored = stop, make(chan struct{})
	go func() {
		defer close(db.monitored)
		db.monitor(mctx)
	}()
	return db, nil
}

// Close stops the health checks ([DB.Health]) and closes the pool's
// connections. A [DB.Lead] still running keeps its own connection: end its
// context first.
func (db *DB) Close() {
	db.stopMonitor()
	<-db.monitored
	db.pool.Close()
}

// schemaVersion is the schema this package creates, recorded in meta.
// Additions that older programs can ignore (new tables, columns with a
// default) keep the version: they are made with IF NOT EXISTS at every
// start.
const schemaVersion = "1"

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
	slug   text NOT NULL,
	id     text NOT NULL,
	seq    bigint NOT NULL CHECK (seq > 0),
	name   text NOT NULL,
	text   text NOT NULL,
	posted timestamptz NOT NULL,
	PRIMARY KEY (slug, id),
	UNIQUE (slug, seq)
);
CREATE TABLE IF NOT EXISTS comment_seqs (
	slug text PRIMARY KEY,
	last bigint NOT NULL
);
ALTER TABLE comments ADD COLUMN IF NOT EXISTS reader text NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS reply_to text NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS reply_name text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS accounts (
	id       text PRIMARY KEY,
	name     text NOT NULL,
	skeleton text NOT NULL UNIQUE,
	password text NOT NULL,
	created  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	hash    text PRIMARY KEY,
	account text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name    text NOT NULL,
	created timestamptz NOT NULL,
	expires timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account);
CREATE TABLE IF NOT EXISTS docs (
	key        text PRIMARY KEY,
	value      jsonb,
	updated_at timestamptz NOT NULL DEFAULT now()
);
`

// migrate creates the schema unless it exists, under a transaction-scoped
// advisory lock: CREATE TABLE IF NOT EXISTS alone can fail when two
// instances run it at once (both find no table, one insert into the
// catalogue loses).
func (db *DB) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("schema")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, mailSchema); err != nil { // mail.go
			return err
		}
		if _, err := tx.Exec(ctx, deskSchema); err != nil { // desk.go
			return err
		}
		if _, err := tx.Exec(ctx, leadsSchema); err != nil { // lease.go
			return err
		}
		var v string
		err := tx.QueryRow(ctx, `INSERT INTO meta (key, value) VALUES ('schema', $1)
			ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`, schemaVersion).Scan(&v)
		if err != nil {
			return err
		}
		if v != schemaVersion {
			return fmt.Errorf("the database has schema version %q; this program knows %q", v, schemaVersion)
		}
		return nil
	})
}

// lockKey is the advisory lock key of name: 64 bits of its FNV-1a hash,
// under a prefix of this package's.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("bigpipe/pgstore:" + name))
	return int64(h.Sum64())
}

// errStored ends AddComment's transaction (rolling back its seq) when the
// comment's id is stored already.
var errStored = errors.New("stored already")

// AddComment stores c unless a comment with its ID is stored on its
// article already, and returns the stored comment and whether it was added
// now. A new comment gets the article's next seq: one transaction takes
// the article's counter row (locking it, so posts to one article queue
// there), looks for the id and inserts the comment, or rolls the counter
// back if the id was there. Its Posted time is kept to the microsecond
// (PostgreSQL's precision) and returned in UTC, as [DB.Comments] returns it.
// It does not check that the article exists: [store.Store.AddComment] does,
// against its own seed.
func (db *DB) AddComment(ctx context.Context, c store.Comment) (store.Comment, bool, error) {
	if c.ID == "" || c.Slug == "" {
		return store.Comment{}, false, errorf("pgstore: %w: id %q, article %q", store.ErrBadComment, c.ID, c.Slug)
	}
	c.Posted = c.Posted.Truncate(time.Microsecond).UTC()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `INSERT INTO comment_seqs (slug, last) VALUES ($1, 1)
			ON CONFLICT (slug) DO UPDATE SET last = comment_seqs.last + 1 RETURNING last`, c.Slug).Scan(&seq)
		if err != nil {
			return err
		}
		prev := c
		err = tx.QueryRow(ctx, `SELECT `+commentColumns+` FROM comments WHERE slug = $1 AND id = $2`, c.Slug, c.ID).
			Scan(&prev.ID, &seq, &prev.Name, &prev.Text, &prev.Posted, &prev.Reader, &prev.ReplyTo, &prev.ReplyName)
		switch {
		case err == nil:
			prev.Seq, prev.Posted = uint64(seq), prev.Posted.UTC()
			c = prev
			return errStored
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		c.Seq = uint64(seq)
		_, err = tx.Exec(ctx, `INSERT INTO comments (slug, id, seq, name, text, posted, reader, reply_to, reply_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.Slug, c.ID, seq, c.Name, c.Text, c.Posted, c.Reader, c.ReplyTo, c.ReplyName)
		return err
	})
	switch {
	case errors.Is(err, errStored):
		return c, false, nil
	case err != nil:
		return store.Comment{}, false, errorf("pgstore: add comment %q to %q: %w", c.ID, c.Slug, err)
	}
	return c, true, nil
}

// Comments returns the newest limit comments on the article slug, oldest
// first (all of them for a limit of zero or less); none for an article
// without comments.
func (db *DB) Comments(ctx context.Context, slug string, limit int) ([]store.Comment, error) {
	var lim *int64
	if limit > 0 {
		n := int64(limit)
		lim = &n
	}
	rows, err := db.pool.Query(ctx, `SELECT `+commentColumns+` FROM
		(SELECT `+commentColumns+` FROM comments WHERE slug = $1 ORDER BY seq DESC LIMIT $2) newest
		ORDER BY seq`, slug, lim)
	if err != nil {
		return nil, errorf("pgstore: comments on %q: %w", slug, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Comment, error) {
		return scanComment(row, slug)
	})
	if err != nil {
		return nil, errorf("pgstore: comments on %q: %w", slug, err)
	}
	return out, nil
}

// commentColumns are what scanComment reads, in its order.
const commentColumns = "id, seq, name, text, posted, reader, reply_to, reply_name"

// scanComment reads a row of commentColumns, a comment on slug.
func scanComment(row pgx.Row, slug string) (store.Comment, error) {
	c := store.Comment{Slug: slug}
	var seq int64
	err := row.Scan(&c.ID, &seq, &c.Name, &c.Text, &c.Posted, &c.Reader, &c.ReplyTo, &c.ReplyName)
	c.Seq, c.Posted = uint64(seq), c.Posted.UTC()
	return c, err
}

// Comment returns the comment id on the article slug, or
// [store.ErrNotFound].
func (db *DB) Comment(ctx context.Context, slug, id string) (store.Comment, error) {
	c, err := scanComment(db.pool.QueryRow(ctx, `SELECT `+commentColumns+` FROM comments WHERE slug = $1 AND id = $2`, slug, id), slug)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Comment{}, errorf("pgstore: comment %q on %q: %w", id, slug, err)
	}
	return c, nil
}

// LoadDoc returns the JSON document stored under key, or nil if there is
// none.
func (db *DB) LoadDoc(ctx context.Context, key string) ([]byte, error) {
	var raw []byte
	err := db.pool.QueryRow(ctx, `SELECT value FROM docs WHERE key = $1`, key).Scan(&raw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, errorf("pgstore: load %q: %w", key, err)
	}
	return raw, nil
}

// UpdateDoc replaces the JSON document stored under key with what fn
// returns for the current one (nil if there is none), in one transaction:
// the row is created if absent (empty), then locked (SELECT … FOR
// UPDATE), so concurrent updates of a key queue and each sees the one
// before. fn is called once, inside the transaction; an error from it, or
// one from the database after it, leaves the document as it was. Under a
// [Lease] (ctx from [DB.Lead]) the update is fenced: it is refused with
// [ErrFenced] once a newer leader has taken the lead, and a newer leader's
// taking of it waits for this transaction to end.
func (db *DB) UpdateDoc(ctx context.Context, key string, fn func(raw []byte) ([]byte, error)) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := fence(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO docs (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, key); err != nil {
			return err
		}
		var raw []byte
		if err := tx.QueryRow(ctx, `SELECT value FROM docs WHERE key = $1 FOR UPDATE`, key).Scan(&raw); err != nil {
			return err
		}
		b, err := fn(raw)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE docs SET value = $2, updated_at = now() WHERE key = $1`, key, b)
		return err
	})
	if err != nil {
		return errorf("pgstore: update %q: %w", key, err)
	}
	return nil
}

// Anchor returns the time the shared content is dated from: proposed if
// this is the first call on the database (which records it), else the
// recorded one.
func (db *DB) Anchor(ctx context.Context, proposed time.Time) (time.Time, error) {
	text, err := proposed.UTC().MarshalText()
	if err != nil {
		return time.Time{}, errorf("pgstore: anchor: %w", err)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('anchor', $1) ON CONFLICT (key) DO NOTHING`, string(text)); err != nil {
		return time.Time{}, errorf("pgstore: record the anchor: %w", err)
	}
	var stored string
	if err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'anchor'`).Scan(&stored); err != nil {
		return time.Time{}, errorf("pgstore: read the anchor: %w", err)
	}
	var at time.Time
	if err := at.UnmarshalText([]byte(stored)); err != nil {
		return time.Time{}, errorf("pgstore: anchor %q: %w", stored, err)
	}
	return at, nil
}
