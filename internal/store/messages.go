package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Direct messages in the store's own file.
//
//	messages/<a,b>/items   seq (8 bytes, big-endian) → Message (JSON)
//	messages/<a,b>/ids     message id → seq
//	messages/<a,b>/reads   reader id → Receipt (JSON)
//	inbox/<reader>         other reader's id → conversation key
var (
	bucketMessages = []byte("messages")
	bucketInbox    = []byte("inbox")
	messageReads   = []byte("reads")
)

// AddMessage stores m in the conversation of m.From and m.To unless a
// message with its ID is stored there already, and returns the stored
// message and whether it was added now: see [Mail.AddMessage]. A new
// message gets the conversation's next seq and, if m.Posted is zero, the
// store's time. The check and the write are one transaction. With
// [WithShared] of a Mail it is stored there.
func (s *Store) AddMessage(ctx context.Context, m Message) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	if err := CheckMessage(m); err != nil {
		return Message{}, false, err
	}
	if m.Posted.IsZero() {
		m.Posted = s.now()
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.AddMessage(ctx, m)
	}
	key := ConversationKey(m.From, m.To)
	added := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		conv, err := createPath(tx, bucketMessages, []byte(key))
		if err != nil {
			return err
		}
		items, err := conv.CreateBucketIfNotExists(commentItems)
		if err != nil {
			return err
		}
		ids, err := conv.CreateBucketIfNotExists(commentIDs)
		if err != nil {
			return err
		}
		if k := ids.Get([]byte(m.ID)); k != nil {
			var prev Message
			if err := json.Unmarshal(items.Get(k), &prev); err != nil {
				return err
			}
			if prev.From != m.From {
				return fmt.Errorf("%w: %q", ErrIDTaken, m.ID)
			}
			m = prev
			return nil
		}
		if m.Seq, err = items.NextSequence(); err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(nil, m.Seq)
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := items.Put(k, v); err != nil {
			return err
		}
		if err := ids.Put([]byte(m.ID), k); err != nil {
			return err
		}
		for _, pair := range [][2]string{{m.From, m.To}, {m.To, m.From}} {
			in, err := createPath(tx, bucketInbox, []byte(pair[0]))
			if err != nil {
				return err
			}
			if err := in.Put([]byte(pair[1]), []byte(key)); err != nil {
				return err
			}
		}
		added = true
		return nil
	})
	if err != nil {
		return Message{}, false, fmt.Errorf("store: add message %q to %q: %w", m.ID, key, err)
	}
	return m, added, nil
}

// createPath returns the bucket at root/name, creating both as needed.
func createPath(tx *bolt.Tx, root, name []byte) (*bolt.Bucket, error) {
	r, err := tx.CreateBucketIfNotExists(root)
	if err != nil {
		return nil, err
	}
	return r.CreateBucketIfNotExists(name)
}

// bucketAt returns the bucket at root/name, or nil.
func bucketAt(tx *bolt.Tx, root, name []byte) *bolt.Bucket {
	if r := tx.Bucket(root); r != nil {
		return r.Bucket(name)
	}
	return nil
}

// Conversation returns the newest limit messages between a and b below
// the seq before (any for 0), oldest first: see [Mail.Conversation].
func (s *Store) Conversation(ctx context.Context, a, b string, before uint64, limit int) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.Conversation(ctx, a, b, before, limit)
	}
	key := ConversationKey(a, b)
	var out []Message
	err := s.db.View(func(tx *bolt.Tx) error {
		conv := bucketAt(tx, bucketMessages, []byte(key))
		if conv == nil || conv.Bucket(commentItems) == nil {
			return nil
		}
		c := conv.Bucket(commentItems).Cursor()
		k, v := c.Last()
		if before > 0 {
			k, v = c.Seek(binary.BigEndian.AppendUint64(nil, before))
			if k == nil {
				k, v = c.Last()
			}
			if k != nil && binary.BigEndian.Uint64(k) >= before {
				k, v = c.Prev()
			}
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode message %x: %w", k, err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: conversation %q: %w", key, err)
	}
	slices.Reverse(out)
	return out, nil
}

// Conversations returns reader's conversations, latest first, each with
// its last message and reader's unread count: see [Mail.Conversations].
func (s *Store) Conversations(ctx context.Context, reader string) ([]ConversationSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.Conversations(ctx, reader)
	}
	var out []ConversationSummary
	err := s.db.View(func(tx *bolt.Tx) error {
		in := bucketAt(tx, bucketInbox, []byte(reader))
		if in == nil {
			return nil
		}
		return in.ForEach(func(other, key []byte) error {
			conv := bucketAt(tx, bucketMessages, key)
			if conv == nil || conv.Bucket(commentItems) == nil {
				return nil
			}
			_, v := conv.Bucket(commentItems).Cursor().Last()
			if v == nil {
				return nil
			}
			var last Message
			if err := json.Unmarshal(v, &last); err != nil {
				return fmt.Errorf("decode message of %q: %w", key, err)
			}
			rc, err := receiptIn(conv, reader)
			if err != nil {
				return err
			}
			out = append(out, ConversationSummary{With: string(other), WithName: last.Name(string(other)),
				Last: last, Unread: int(last.Seq - min(rc.Seq, last.Seq))})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: conversations of %q: %w", reader, err)
	}
	SortConversations(out)
	return out, nil
}

// SortConversations sorts cs as [Mail.Conversations] returns them: the
// latest message first, then by the other reader's id.
func SortConversations(cs []ConversationSummary) {
	slices.SortFunc(cs, func(x, y ConversationSummary) int {
		if c := y.Last.Posted.Compare(x.Last.Posted); c != 0 {
			return c
		}
		return cmp.Compare(x.With, y.With)
	})
}

// receiptIn returns reader's receipt in the conversation bucket conv.
func receiptIn(conv *bolt.Bucket, reader string) (Receipt, error) {
	var rc Receipt
	if reads := conv.Bucket(messageReads); reads != nil {
		if v := reads.Get([]byte(reader)); v != nil {
			if err := json.Unmarshal(v, &rc); err != nil {
				return Receipt{}, fmt.Errorf("decode receipt of %q: %w", reader, err)
			}
		}
	}
	return rc, nil
}

// MarkRead moves reader's receipt in their conversation with other
// forward to upTo (at most the last message): see [Mail.MarkRead].
func (s *Store) MarkRead(ctx context.Context, reader, other string, upTo uint64, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.MarkRead(ctx, reader, other, upTo, at)
	}
	key := ConversationKey(reader, other)
	moved := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		conv := bucketAt(tx, bucketMessages, []byte(key))
		if conv == nil || conv.Bucket(commentItems) == nil {
			return nil
		}
		upTo = min(upTo, conv.Bucket(commentItems).Sequence())
		rc, err := receiptIn(conv, reader)
		if err != nil || upTo <= rc.Seq {
			return err
		}
		reads, err := conv.CreateBucketIfNotExists(messageReads)
		if err != nil {
			return err
		}
		v, err := json.Marshal(Receipt{Seq: upTo, At: at.UTC()})
		if err != nil {
			return err
		}
		moved = true
		return reads.Put([]byte(reader), v)
	})
	if err != nil {
		return false, fmt.Errorf("store: mark %q read by %q: %w", key, reader, err)
	}
	return moved, nil
}

// ReadUpTo returns reader's receipt in their conversation with other.
func (s *Store) ReadUpTo(ctx context.Context, reader, other string) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	if sh := s.sharedMail(); sh != nil {
		return sh.ReadUpTo(ctx, reader, other)
	}
	var rc Receipt
	err := s.db.View(func(tx *bolt.Tx) error {
		conv := bucketAt(tx, bucketMessages, []byte(ConversationKey(reader, other)))
		if conv == nil {
			return nil
		}
		var err error
		rc, err = receiptIn(conv, reader)
		return err
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("store: receipt of %q: %w", reader, err)
	}
	return rc, nil
}
