package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Comment is one reader's comment on an article. Its ID is chosen by the
// client that posts it, so that a retry or a double submission of the same
// comment is stored once.
type Comment struct {
	ID     string    `json:"id"`
	Slug   string    `json:"slug"` // the article's
	Name   string    `json:"name"`
	Text   string    `json:"text"`
	Posted time.Time `json:"posted"`
	Seq    uint64    `json:"seq"` // its place in the article's comments, from 1

	// Reader is the poster's reader id (their account's), or "" for an
	// anonymous comment. Comments stored before accounts existed have none.
	Reader string `json:"reader,omitempty"`
	// ReplyTo is the ID of the comment on the same article this one
	// answers, or ""; ReplyName is that comment's Name, kept with the
	// reply so that showing it needs no lookup.
	ReplyTo   string `json:"reply_to,omitempty"`
	ReplyName string `json:"reply_name,omitempty"`

	// Pinned is set by [Store.VisibleComments] on a comment an editor
	// pinned; it is not stored with the comment ([Desk]).
	Pinned bool `json:"-"`
}

// ErrBadComment is a comment [Store.AddComment] cannot store: no id or
// article.
var ErrBadComment = errors.New("store: bad comment")

var (
	commentItems = []byte("items")
	commentIDs   = []byte("ids")
)

// AddComment stores c under its article (c.Slug, which must exist) unless a
// comment with its ID is stored there already, and returns the stored
// comment and whether it was added now. A new comment gets the next
// sequence number and, if c.Posted is zero, the store's time. The check
// and the write are one transaction: of concurrent posts of one ID, exactly
// one adds it. With [WithShared] the comment is stored there, once the
// article is found in the store's own seed.
func (s *Store) AddComment(ctx context.Context, c Comment) (Comment, bool, error) {
	if err := ctx.Err(); err != nil {
		return Comment{}, false, err
	}
	if c.ID == "" || c.Slug == "" {
		return Comment{}, false, fmt.Errorf("%w: id %q, article %q", ErrBadComment, c.ID, c.Slug)
	}
	if c.Posted.IsZero() {
		c.Posted = s.now()
	}
	if s.shared != nil {
		if _, err := s.get(c.Slug); err != nil {
			return Comment{}, false, fmt.Errorf("store: add comment %q to %q: %w", c.ID, c.Slug, err)
		}
		return s.shared.AddComment(ctx, c)
	}
	added := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketArticles).Get([]byte(c.Slug)) == nil {
			return fmt.Errorf("%w: article %q", ErrNotFound, c.Slug)
		}
		art, err := tx.Bucket(bucketComments).CreateBucketIfNotExists([]byte(c.Slug))
		if err != nil {
			return err
		}
		items, err := art.CreateBucketIfNotExists(commentItems)
		if err != nil {
			return err
		}
		ids, err := art.CreateBucketIfNotExists(commentIDs)
		if err != nil {
			return err
		}
		if key := ids.Get([]byte(c.ID)); key != nil {
			return json.Unmarshal(items.Get(key), &c)
		}
		if c.Seq, err = items.NextSequence(); err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(nil, c.Seq)
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := items.Put(key, v); err != nil {
			return err
		}
		added = true
		return ids.Put([]byte(c.ID), key)
	})
	if err != nil {
		return Comment{}, false, fmt.Errorf("store: add comment %q to %q: %w", c.ID, c.Slug, err)
	}
	return c, added, nil
}

// Comments returns the newest limit comments on the article slug, oldest
// first (all of them for a limit of zero or less); none for an article
// without comments. With [WithShared] they are read from there.
func (s *Store) Comments(ctx context.Context, slug string, limit int) ([]Comment, error) {
	if err := s.wait(ctx, SourceComments); err != nil {
		return nil, err
	}
	if s.shared != nil {
		return s.shared.Comments(ctx, slug, limit)
	}
	var out []Comment
	err := s.db.View(func(tx *bolt.Tx) error {
		art := tx.Bucket(bucketComments).Bucket([]byte(slug))
		if art == nil {
			return nil
		}
		items := art.Bucket(commentItems)
		if items == nil {
			return nil
		}
		c := items.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var cm Comment
			if err := json.Unmarshal(v, &cm); err != nil {
				return fmt.Errorf("store: decode comment %x of %q: %w", k, slug, err)
			}
			out = append(out, cm)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// Comment returns the comment id on the article slug, or [ErrNotFound].
// With [WithShared] it is read from there.
func (s *Store) Comment(ctx context.Context, slug, id string) (Comment, error) {
	if err := ctx.Err(); err != nil {
		return Comment{}, err
	}
	if s.shared != nil {
		return s.shared.Comment(ctx, slug, id)
	}
	var c Comment
	err := s.db.View(func(tx *bolt.Tx) error {
		art := tx.Bucket(bucketComments).Bucket([]byte(slug))
		if art == nil {
			return ErrNotFound
		}
		ids, items := art.Bucket(commentIDs), art.Bucket(commentItems)
		if ids == nil || items == nil {
			return ErrNotFound
		}
		key := ids.Get([]byte(id))
		if key == nil {
			return ErrNotFound
		}
		return json.Unmarshal(items.Get(key), &c)
	})
	if err != nil {
		return Comment{}, fmt.Errorf("store: comment %q on %q: %w", id, slug, err)
	}
	return c, nil
}
