package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

var _ store.Accounts = (*DB)(nil)

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// CreateAccount stores a unless its ID or Skeleton is taken
// ([store.ErrNameTaken]): the table's keys decide, so of concurrent
// creations on any instances exactly one succeeds.
func (db *DB) CreateAccount(ctx context.Context, a store.Account) error {
	if err := store.CheckAccount(a); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO accounts (id, name, skeleton, password, created) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, a.Name, a.Skeleton, a.Password, a.Created.UTC())
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == uniqueViolation {
		err = store.ErrNameTaken
	}
	if err != nil {
		return errorf("pgstore: create account %q: %w", a.ID, err)
	}
	return nil
}

// Account returns the account id, or [store.ErrNotFound].
func (db *DB) Account(ctx context.Context, id string) (store.Account, error) {
	a := store.Account{ID: id}
	err := db.pool.QueryRow(ctx, `SELECT name, skeleton, password, created FROM accounts WHERE id = $1`, id).
		Scan(&a.Name, &a.Skeleton, &a.Password, &a.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, errorf("pgstore: account %q: %w", id, err)
	}
	a.Created = a.Created.UTC()
	return a, nil
}

// CreateSession stores s, for every instance to find.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if err := store.CheckSession(s); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO sessions (hash, account, name, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		s.Hash, s.Account, s.Name, s.Created.UTC(), s.Expires.UTC())
	if err != nil {
		return errorf("pgstore: create session of %q: %w", s.Account, err)
	}
	return nil
}

// Session returns the session hash unless it expired at or before now, or
// [store.ErrNotFound].
func (db *DB) Session(ctx context.Context, hash string, now time.Time) (store.Session, error) {
	s := store.Session{Hash: hash}
	err := db.pool.QueryRow(ctx, `SELECT account, name, created, expires FROM sessions WHERE hash = $1 AND expires > $2`, hash, now.UTC()).
		Scan(&s.Account, &s.Name, &s.Created, &s.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, errorf("pgstore: session: %w", err)
	}
	s.Created, s.Expires = s.Created.UTC(), s.Expires.UTC()
	return s, nil
}

// DeleteSession deletes the session hash, if it is there.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return errorf("pgstore: delete session: %w", err)
	}
	return nil
}

// DeleteSessions deletes every session of the account id.
func (db *DB) DeleteSessions(ctx context.Context, id string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE account = $1`, id); err != nil {
		return errorf("pgstore: delete sessions of %q: %w", id, err)
	}
	return nil
}
