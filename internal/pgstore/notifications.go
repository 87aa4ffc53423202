package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// noticeColumns are what scanNotice reads, in its order, after which it
// reads whether the notification is read.
const noticeColumns = "id, seq, kind, sender, slug, title, comment_id, text, posted"

func scanNotice(row pgx.Row, reader string) (store.Notification, error) {
	n := store.Notification{To: reader}
	var seq int64
	err := row.Scan(&n.ID, &seq, &n.Kind, &n.From, &n.Slug, &n.Title, &n.CommentID, &n.Text, &n.Posted, &n.Read)
	n.Seq, n.Posted = uint64(seq), n.Posted.UTC()
	return n, err
}

// AddNotification stores n for n.To unless one with its ID is stored
// already, as [DB.AddMessage] stores a message: the reader's counter row
// is taken (and locked) first, and rolled back if the id was there.
func (db *DB) AddNotification(ctx context.Context, n store.Notification) (store.Notification, bool, error) {
	if err := store.CheckNotification(n); err != nil {
		return store.Notification{}, false, errorf("pgstore: %w", err)
	}
	n.Posted, n.Read = n.Posted.Truncate(time.Microsecond).UTC(), false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var seq, read int64
		err := tx.QueryRow(ctx, `INSERT INTO notification_seqs (reader, last) VALUES ($1, 1)
			ON CONFLICT (reader) DO UPDATE SET last = notification_seqs.last + 1 RETURNING last, read`, n.To).Scan(&seq, &read)
		if err != nil {
			return err
		}
		prev, err := scanNotice(tx.QueryRow(ctx, `SELECT `+noticeColumns+`, seq <= $3 FROM notifications WHERE reader = $1 AND id = $2`,
			n.To, n.ID, read), n.To)
		switch {
		case err == nil:
			n = prev
			return errStored
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		n.Seq = uint64(seq)
		_, err = tx.Exec(ctx, `INSERT INTO notifications (reader, `+noticeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			n.To, n.ID, seq, n.Kind, n.From, n.Slug, n.Title, n.CommentID, n.Text, n.Posted)
		return err
	})
	switch {
	case errors.Is(err, errStored):
		return n, false, nil
	case err != nil:
		return store.Notification{}, false, errorf("pgstore: add notification %q for %q: %w", n.ID, n.To, err)
	}
	return n, true, nil
}

// Notifications returns reader's newest limit notifications, newest first.
func (db *DB) Notifications(ctx context.Context, reader string, limit int) ([]store.Notification, error) {
	var lim *int64
	if limit > 0 {
		n := int64(limit)
		lim = &n
	}
	rows, err := db.pool.Query(ctx, `SELECT `+noticeColumns+`, seq <= COALESCE((SELECT read FROM notification_seqs WHERE reader = $1), 0)
		FROM notifications WHERE reader = $1 ORDER BY seq DESC LIMIT $2`, reader, lim)
	if err != nil {
		return nil, errorf("pgstore: notifications of %q: %w", reader, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Notification, error) { return scanNotice(row, reader) })
	if err != nil {
		return nil, errorf("pgstore: notifications of %q: %w", reader, err)
	}
	return out, nil
}

// UnreadNotifications returns how many of reader's notifications are not
// read: the seqs have no gaps, so it is the last less the last read.
func (db *DB) UnreadNotifications(ctx context.Context, reader string) (int, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT last - LEAST(read, last) FROM notification_seqs WHERE reader = $1`, reader).Scan(&n)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, errorf("pgstore: unread notifications of %q: %w", reader, err)
	}
	return int(n), nil
}

// MarkNotificationsRead marks reader's notifications read up to upTo (all
// for 0), never moving back.
func (db *DB) MarkNotificationsRead(ctx context.Context, reader string, upTo uint64) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE notification_seqs
		SET read = CASE WHEN $2 = 0 THEN last ELSE LEAST($2, last) END
		WHERE reader = $1 AND read < CASE WHEN $2 = 0 THEN last ELSE LEAST($2, last) END`, reader, int64(min(upTo, 1<<62)))
	if err != nil {
		return false, errorf("pgstore: mark notifications of %q read: %w", reader, err)
	}
	return tag.RowsAffected() > 0, nil
}
