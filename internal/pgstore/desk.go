package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// The moderation desk ([store.Desk]): editors' rules, their actions and
// the comments' states.
//
//	desk_rules      (editor text primary key, rules jsonb)
//	desk_actions    (seq bigserial primary key, editor, editor_name, kind, slug, comment_id, at)
//	comment_states  (slug, id, hidden, pinned) primary key (slug, id)
//
// and the rules' version in meta ("desk_rules_version"), moved by every
// save in the same transaction.
const deskSchema = `
CREATE TABLE IF NOT EXISTS desk_rules (
	editor text PRIMARY KEY,
	rules  jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_actions (
	seq         bigserial PRIMARY KEY,
	editor      text NOT NULL,
	editor_name text NOT NULL,
	kind        text NOT NULL,
	slug        text NOT NULL,
	comment_id  text NOT NULL,
	at          timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS comment_states (
	slug   text NOT NULL,
	id     text NOT NULL,
	hidden boolean NOT NULL,
	pinned boolean NOT NULL,
	PRIMARY KEY (slug, id)
);
`

var _ store.Desk = (*DB)(nil)

// SaveRules stores r as its editor's rules and moves the rules' version.
func (db *DB) SaveRules(ctx context.Context, r store.Rules) error {
	if err := store.CheckRules(r); err != nil {
		return errorf("pgstore: %w", err)
	}
	r.Updated = r.Updated.Truncate(time.Microsecond).UTC()
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO desk_rules (editor, rules) VALUES ($1, $2)
			ON CONFLICT (editor) DO UPDATE SET rules = EXCLUDED.rules`, r.Editor, v); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('desk_rules_version', '1')
			ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`)
		return err
	})
	if err != nil {
		return errorf("pgstore: save rules of %q: %w", r.Editor, err)
	}
	return nil
}

// Rules returns editor's rules, the zero Rules if they saved none.
func (db *DB) Rules(ctx context.Context, editor string) (store.Rules, error) {
	var v []byte
	err := db.pool.QueryRow(ctx, `SELECT rules FROM desk_rules WHERE editor = $1`, editor).Scan(&v)
	r := store.Rules{Editor: editor}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return r, nil
	case err != nil:
		return store.Rules{}, errorf("pgstore: rules of %q: %w", editor, err)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return store.Rules{}, errorf("pgstore: rules of %q: %w", editor, err)
	}
	return r, nil
}

// AllRules returns every editor's rules, by editor id.
func (db *DB) AllRules(ctx context.Context) ([]store.Rules, error) {
	rows, err := db.pool.Query(ctx, `SELECT rules FROM desk_rules ORDER BY editor`)
	if err != nil {
		return nil, errorf("pgstore: every editor's rules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Rules, error) {
		var v []byte
		var r store.Rules
		if err := row.Scan(&v); err != nil {
			return r, err
		}
		return r, json.Unmarshal(v, &r)
	})
	if err != nil {
		return nil, errorf("pgstore: every editor's rules: %w", err)
	}
	return out, nil
}

// RulesVersion returns the number of rules saved so far, on any instance.
func (db *DB) RulesVersion(ctx context.Context) (uint64, error) {
	var v int64
	err := db.pool.QueryRow(ctx, `SELECT COALESCE((SELECT value::bigint FROM meta WHERE key = 'desk_rules_version'), 0)`).Scan(&v)
	if err != nil {
		return 0, errorf("pgstore: rules' version: %w", err)
	}
	return uint64(v), nil
}

// AddAction records a with the next seq.
func (db *DB) AddAction(ctx context.Context, a store.Action) (store.Action, error) {
	if err := store.CheckAction(a); err != nil {
		return store.Action{}, errorf("pgstore: %w", err)
	}
	a.At = a.At.Truncate(time.Microsecond).UTC()
	var seq int64
	err := db.pool.QueryRow(ctx, `INSERT INTO desk_actions (editor, editor_name, kind, slug, comment_id, at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`, a.Editor, a.EditorName, a.Kind, a.Slug, a.CommentID, a.At).Scan(&seq)
	if err != nil {
		return store.Action{}, errorf("pgstore: add action %s on %q: %w", a.Kind, a.CommentID, err)
	}
	a.Seq = uint64(seq)
	return a, nil
}

// Actions returns the newest limit actions, newest first.
func (db *DB) Actions(ctx context.Context, limit int) ([]store.Action, error) {
	var lim *int64
	if limit > 0 {
		n := int64(limit)
		lim = &n
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, editor, editor_name, kind, slug, comment_id, at
		FROM desk_actions ORDER BY seq DESC LIMIT $1`, lim)
	if err != nil {
		return nil, errorf("pgstore: actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Action, error) {
		var a store.Action
		var seq int64
		err := row.Scan(&seq, &a.Editor, &a.EditorName, &a.Kind, &a.Slug, &a.CommentID, &a.At)
		a.Seq, a.At = uint64(seq), a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, errorf("pgstore: actions: %w", err)
	}
	return out, nil
}

// SetCommentState records the state of the comment id on slug.
func (db *DB) SetCommentState(ctx context.Context, slug, id string, st store.CommentState) error {
	if slug == "" || id == "" {
		return errorf("pgstore: %w: state of %q/%q", store.ErrBadDesk, slug, id)
	}
	var err error
	if st == (store.CommentState{}) {
		_, err = db.pool.Exec(ctx, `DELETE FROM comment_states WHERE slug = $1 AND id = $2`, slug, id)
	} else {
		_, err = db.pool.Exec(ctx, `INSERT INTO comment_states (slug, id, hidden, pinned) VALUES ($1, $2, $3, $4)
			ON CONFLICT (slug, id) DO UPDATE SET hidden = EXCLUDED.hidden, pinned = EXCLUDED.pinned`, slug, id, st.Hidden, st.Pinned)
	}
	if err != nil {
		return errorf("pgstore: state of comment %q on %q: %w", id, slug, err)
	}
	return nil
}

// CommentStates returns the states of slug's comments that have one.
func (db *DB) CommentStates(ctx context.Context, slug string) (map[string]store.CommentState, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, hidden, pinned FROM comment_states WHERE slug = $1`, slug)
	if err != nil {
		return nil, errorf("pgstore: comment states on %q: %w", slug, err)
	}
	defer rows.Close()
	out := map[string]store.CommentState{}
	for rows.Next() {
		var id string
		var st store.CommentState
		if err := rows.Scan(&id, &st.Hidden, &st.Pinned); err != nil {
			return nil, errorf("pgstore: comment states on %q: %w", slug, err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, errorf("pgstore: comment states on %q: %w", slug, err)
	}
	return out, nil
}
