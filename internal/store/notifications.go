package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Notifications in the store's own file.
//
//	notices/<reader>/items   seq (8 bytes, big-endian) → Notification (JSON)
//	notices/<reader>/ids     notification id → seq
//	notices/<reader> "read"  the last seq read (8 bytes)
var (
	bucketNotices = []byte("notices")
	noticesRead   = []byte("read")
)

// AddNotification stores n for n.To unless one with its ID is stored
// already: see [Mail.AddNotification]. A zero n.Posted is the store's
// time. With [WithShared] of a Mail it is stored there.
func (s *Store) AddNotification(ctx context.Context, n Notification) (Notification, bool, error) {
	if err := ctx.Err(); err != nil {
		return Notification{}, false, err
	}
	if err := CheckNotification(n); err != nil {
		return Notification{}, false, err
	}
	if n.Posted.IsZero() {
		n.Posted = s.now()
	}
	n.Read = false
	if sh := s.sharedMail(); sh != nil {
		return sh.AddNotification(ctx, n)
	}
	added := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		rb, err := createPath(tx, bucketNotices, []byte(n.To))
		if err != nil {
			return err
		}
		items, err := rb.CreateBucketIfNotExists(commentItems)
		if err != nil {
			return err
		}
		ids, err := rb.CreateBucketIfNotExists(commentIDs)
		if err != nil {
			return err
		}
		if k := ids.Get([]byte(n.ID)); k != nil {
			if err := json.Unmarshal(items.Get(k), &n); err != nil {
				return err
			}
			n.Read = n.Seq <= readSeq(rb)
			return nil
		}
		if n.Seq, err = items.NextSequence(); err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(nil, n.Seq)
		v, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if err := items.Put(k, v); err != nil {
			return err
		}
		added = true
		return ids.Put([]byte(n.ID), k)
	})
	if err != nil {
		return Notification{}, false, fmt.Errorf("store: add notification %q for %q: %w", n.ID, n.To, err)
	}
	return n, added, nil
}

// readSeq is the last notification seq read in the reader bucket rb.
func readSeq(rb *bolt.Bucket) uint64 {
	if v := rb.Get(noticesRead); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Notifications returns reader's newest limit notifications, newest
// first: see [Mail.Notifications].
func (s *Store) Notifications(ctx context.Context, reader string, limit int) ([]Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.Notifications(ctx, reader, limit)
	}
	var out []Notification
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := bucketAt(tx, bucketNotices, []byte(reader))
		if rb == nil || rb.Bucket(commentItems) == nil {
			return nil
		}
		read := readSeq(rb)
		c := rb.Bucket(commentItems).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var n Notification
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode notification %x: %w", k, err)
			}
			n.Read = n.Seq <= read
			out = append(out, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: notifications of %q: %w", reader, err)
	}
	return out, nil
}

// UnreadNotifications returns how many of reader's notifications are not
// read: the seqs have no gaps, so it is the last less the last read.
func (s *Store) UnreadNotifications(ctx context.Context, reader string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.UnreadNotifications(ctx, reader)
	}
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := bucketAt(tx, bucketNotices, []byte(reader))
		if rb == nil || rb.Bucket(commentItems) == nil {
			return nil
		}
		last := rb.Bucket(commentItems).Sequence()
		n = int(last - min(readSeq(rb), last))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: unread notifications of %q: %w", reader, err)
	}
	return n, nil
}

// MarkNotificationsRead marks reader's notifications read up to upTo
// (all for 0): see [Mail.MarkNotificationsRead].
func (s *Store) MarkNotificationsRead(ctx context.Context, reader string, upTo uint64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.MarkNotificationsRead(ctx, reader, upTo)
	}
	moved := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		rb := bucketAt(tx, bucketNotices, []byte(reader))
		if rb == nil || rb.Bucket(commentItems) == nil {
			return nil
		}
		last := rb.Bucket(commentItems).Sequence()
		if upTo == 0 || upTo > last {
			upTo = last
		}
		if upTo <= readSeq(rb) {
			return nil
		}
		moved = true
		return rb.Put(noticesRead, binary.BigEndian.AppendUint64(nil, upTo))
	})
	if err != nil {
		return false, fmt.Errorf("store: mark notifications of %q read: %w", reader, err)
	}
	return moved, nil
}
