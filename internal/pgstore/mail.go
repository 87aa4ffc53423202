package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Readers' mail ([store.Mail]): direct messages, read receipts and
// notifications.
//
//	conversations      (key "a,b" primary key, a, b, last bigint)    the last seq given in each
//	messages           (conv, id, seq, sender, recipient, sender_name, recipient_name, text, posted)
//	                   primary key (conv, id), unique (conv, seq)
//	message_reads      (conv, reader, seq, at) primary key (conv, reader)
//	notifications      (reader, id, seq, kind, sender, slug, title, comment_id, text, posted)
//	                   primary key (reader, id), unique (reader, seq)
//	notification_seqs  (reader primary key, last bigint, read bigint)  the last seq given, and read
const mailSchema = `
CREATE TABLE IF NOT EXISTS conversations (
	key  text PRIMARY KEY,
	a    text NOT NULL,
	b    text NOT NULL,
	last bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_a ON conversations (a);
CREATE INDEX IF NOT EXISTS conversations_b ON conversations (b);
CREATE TABLE IF NOT EXISTS messages (
	conv           text NOT NULL,
	id             text NOT NULL,
	seq            bigint NOT NULL CHECK (seq > 0),
	sender         text NOT NULL,
	recipient      text NOT NULL,
	sender_name    text NOT NULL,
	recipient_name text NOT NULL,
	text           text NOT NULL,
	posted         timestamptz NOT NULL,
	PRIMARY KEY (conv, id),
	UNIQUE (conv, seq)
);
CREATE TABLE IF NOT EXISTS message_reads (
	conv   text NOT NULL,
	reader text NOT NULL,
	seq    bigint NOT NULL,
	at     timestamptz NOT NULL,
	PRIMARY KEY (conv, reader)
);
CREATE TABLE IF NOT EXISTS notifications (
	reader     text NOT NULL,
	id         text NOT NULL,
	seq        bigint NOT NULL CHECK (seq > 0),
	kind       text NOT NULL,
	sender     text NOT NULL,
	slug       text NOT NULL,
	title      text NOT NULL,
	comment_id text NOT NULL,
	text       text NOT NULL,
	posted     timestamptz NOT NULL,
	PRIMARY KEY (reader, id),
	UNIQUE (reader, seq)
);
CREATE TABLE IF NOT EXISTS notification_seqs (
	reader text PRIMARY KEY,
	last   bigint NOT NULL,
	read   bigint NOT NULL DEFAULT 0
);
`

// messageColumns are what scanMessage reads, in its order.
const messageColumns = "id, seq, sender, recipient, sender_name, recipient_name, text, posted"

func scanMessage(row pgx.Row) (store.Message, error) {
	var m store.Message
	var seq int64
	err := row.Scan(&m.ID, &seq, &m.From, &m.To, &m.FromName, &m.ToName, &m.Text, &m.Posted)
	m.Seq, m.Posted = uint64(seq), m.Posted.UTC()
	return m, err
}

// AddMessage stores m unless a message with its ID is in its conversation
// already: one transaction takes the conversation's row (locking it, so
// posts to one conversation queue there), looks for the id and inserts
// the message, or rolls the counter back if the id was there. Posted is
// kept to the microsecond, in UTC.
func (db *DB) AddMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if err := store.CheckMessage(m); err != nil {
		return store.Message{}, false, errorf("pgstore: %w", err)
	}
	m.Posted = m.Posted.Truncate(time.Microsecond).UTC()
	key := store.ConversationKey(m.From, m.To)
	a, b := min(m.From, m.To), max(m.From, m.To)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, `INSERT INTO conversations (key, a, b, last) VALUES ($1, $2, $3, 1)
			ON CONFLICT (key) DO UPDATE SET last = conversations.last + 1 RETURNING last`, key, a, b).Scan(&seq)
		if err != nil {
			return err
		}
		prev, err := scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE conv = $1 AND id = $2`, key, m.ID))
		switch {
		case err == nil && prev.From != m.From:
			return fmt.Errorf("%w: %q", store.ErrIDTaken, m.ID)
		case err == nil:
			m = prev
			return errStored
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		m.Seq = uint64(seq)
		_, err = tx.Exec(ctx, `INSERT INTO messages (conv, `+messageColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			key, m.ID, seq, m.From, m.To, m.FromName, m.ToName, m.Text, m.Posted)
		return err
	})
	switch {
	case errors.Is(err, errStored):
		return m, false, nil
	case err != nil:
		return store.Message{}, false, errorf("pgstore: add message %q to %q: %w", m.ID, key, err)
	}
	return m, true, nil
}

// Conversation returns the newest limit messages between a and b below
// the seq before (any for 0), oldest first.
func (db *DB) Conversation(ctx context.Context, a, b string, before uint64, limit int) ([]store.Message, error) {
	key := store.ConversationKey(a, b)
	var lim *int64
	if limit > 0 {
		n := int64(limit)
		lim = &n
	}
	bound := int64(before)
	if before == 0 || before > 1<<62 {
		bound = 1 << 62
	}
	rows, err := db.pool.Query(ctx, `SELECT `+messageColumns+` FROM
		(SELECT `+messageColumns+` FROM messages WHERE conv = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) newest
		ORDER BY seq`, key, bound, lim)
	if err != nil {
		return nil, errorf("pgstore: conversation %q: %w", key, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Message, error) { return scanMessage(row) })
	if err != nil {
		return nil, errorf("pgstore: conversation %q: %w", key, err)
	}
	return out, nil
}

// Conversations returns reader's conversations, latest first, each with
// its last message and reader's unread count.
func (db *DB) Conversations(ctx context.Context, reader string) ([]store.ConversationSummary, error) {
	rows, err := db.pool.Query(ctx, `SELECT m.id, m.seq, m.sender, m.recipient, m.sender_name, m.recipient_name, m.text, m.posted,
			c.last - LEAST(COALESCE(r.seq, 0), c.last)
		FROM conversations c
		JOIN messages m ON m.conv = c.key AND m.seq = c.last
		LEFT JOIN message_reads r ON r.conv = c.key AND r.reader = $1
		WHERE c.a = $1 OR c.b = $1`, reader)
	if err != nil {
		return nil, errorf("pgstore: conversations of %q: %w", reader, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ConversationSummary, error) {
		var cs store.ConversationSummary
		var seq, unread int64
		m := &cs.Last
		err := row.Scan(&m.ID, &seq, &m.From, &m.To, &m.FromName, &m.ToName, &m.Text, &m.Posted, &unread)
		m.Seq, m.Posted, cs.Unread = uint64(seq), m.Posted.UTC(), int(unread)
		cs.With = m.From
		if cs.With == reader {
			cs.With = m.To
		}
		cs.WithName = m.Name(cs.With)
		return cs, err
	})
	if err != nil {
		return nil, errorf("pgstore: conversations of %q: %w", reader, err)
	}
	store.SortConversations(out)
	return out, nil
}

// MarkRead moves reader's receipt in their conversation with other
// forward to upTo, at most the conversation's last message, in one
// statement: a receipt never moves back.
func (db *DB) MarkRead(ctx context.Context, reader, other string, upTo uint64, at time.Time) (bool, error) {
	key := store.ConversationKey(reader, other)
	tag, err := db.pool.Exec(ctx, `INSERT INTO message_reads (conv, reader, seq, at)
		SELECT key, $2, LEAST($3, last), $4 FROM conversations WHERE key = $1 AND LEAST($3, last) > 0
		ON CONFLICT (conv, reader) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at
		WHERE message_reads.seq < EXCLUDED.seq`, key, reader, int64(min(upTo, 1<<62)), at.Truncate(time.Microsecond).UTC())
	if err != nil {
		return false, errorf("pgstore: mark %q read by %q: %w", key, reader, err)
	}
	return tag.RowsAffected() > 0, nil
}

// ReadUpTo returns reader's receipt in their conversation with other.
func (db *DB) ReadUpTo(ctx context.Context, reader, other string) (store.Receipt, error) {
	var rc store.Receipt
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT seq, at FROM message_reads WHERE conv = $1 AND reader = $2`,
		store.ConversationKey(reader, other), reader).Scan(&seq, &rc.At)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Receipt{}, nil
	case err != nil:
		return store.Receipt{}, errorf("pgstore: receipt of %q: %w", reader, err)
	}
	rc.Seq, rc.At = uint64(seq), rc.At.UTC()
	return rc, nil
}
