package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Shared is what the instances of a site behind a load balancer share, so
// that each of them shows the same page: readers' comments, the live
// documents the simulator changes (markets, scores, the breaking-news
// banner) and the time the demo content is dated from. A [Store] opened
// [WithShared] keeps these there instead of in its own file; the rest, the
// read-only news seed, stays local to each instance.
//
// Package pgstore implements it on PostgreSQL. A Store implements it too,
// on its own file, so that several Stores of one process can share a third.
// Implementations are safe for concurrent use.
type Shared interface {
	// AddComment stores c (whose ID, Slug and Posted are set) unless a
	// comment with its ID is stored on its article already, and returns
	// the stored comment and whether it was added now. A new comment
	// gets the article's next sequence number, from 1 without gaps; of
	// concurrent posts of one ID, exactly one adds it.
	AddComment(ctx context.Context, c Comment) (Comment, bool, error)
	// Comments returns the newest limit comments on the article slug,
	// oldest first (all of them for a limit of zero or less).
	Comments(ctx context.Context, slug string, limit int) ([]Comment, error)
	// Comment returns the comment id on the article slug, or
	// [ErrNotFound].
	Comment(ctx context.Context, slug, id string) (Comment, error)
	// LoadDoc returns the document stored under key, or nil (and no
	// error) if there is none.
	LoadDoc(ctx context.Context, key string) ([]byte, error)
	// UpdateDoc replaces the document stored under key with what fn
	// returns for the current one (nil if there is none), atomically:
	// concurrent updates of one key each see the one before. fn is called
	// once; an error from it leaves the document as it was.
	UpdateDoc(ctx context.Context, key string, fn func(raw []byte) ([]byte, error)) error
	// Anchor returns the time the shared content is dated from: the
	// first caller's proposed time, recorded then, or the time the
	// implementation already has.
	Anchor(ctx context.Context, proposed time.Time) (time.Time, error)
}

// WithShared makes the store keep readers' comments and the live documents
// (markets, scores, breaking news) in sh, shared with the other instances
// of the site, instead of in its own file, and date its news seed from
// sh's anchor ([Shared.Anchor]): the first instance to open records its
// time, later ones adopt it, so every instance shows the same articles,
// dates and scores. A file seeded at another time is seeded again at the
// anchor (the seed is read-only; nothing else of the file is kept). An
// article must exist in the store's own seed to take comments. Opening
// asks sh for the anchor, for up to ten seconds; [Store.Close] does not
// close sh.
func WithShared(sh Shared) Option {
	return func(s *Store) { s.shared = sh }
}

// anchorTimeout bounds [Shared.Anchor] when a store opens.
const anchorTimeout = 10 * time.Second

// sharedAnchor asks the shared store for the seed time, proposing now.
func (s *Store) sharedAnchor() (time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), anchorTimeout)
	defer cancel()
	at, err := s.shared.Anchor(ctx, s.now().Truncate(time.Minute))
	if err != nil {
		return time.Time{}, fmt.Errorf("store: shared seed time: %w", err)
	}
	return at.UTC(), nil
}

// sharedDoc reports whether the document key lives in the shared store
// when there is one: the ones that change while the site runs.
func sharedDoc(key string) bool {
	switch key {
	case SourceMarkets, SourceScores, SourceBreaking:
		return true
	}
	return false
}

// initialDoc is a shared document's value before anyone changed it: the
// seed's, dated from the anchor, the same on every instance. The
// breaking-news banner has none ([Store.Breaking] derives it).
func (s *Store) initialDoc(key string) ([]byte, error) {
	var v any
	switch key {
	case SourceMarkets:
		v = seedMarkets()
	case SourceScores:
		v = seedScores(s.seeded)
	default:
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: initial %s: %w", key, err)
	}
	return b, nil
}

// LoadDoc returns a copy of the JSON document stored under key in the
// store's own file (markets, scores, weather, breaking), or nil without one.
// With it a Store is a [Shared] for others.
func (s *Store) LoadDoc(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketData).Get([]byte(key)); b != nil {
			out = append([]byte(nil), b...)
		}
		return nil
	})
	return out, err
}

// UpdateDoc replaces the document stored under key in the store's own file
// with what fn returns for the current one (nil without one), in one
// transaction. With it a Store is a [Shared] for others.
func (s *Store) UpdateDoc(ctx context.Context, key string, fn func(raw []byte) ([]byte, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketData)
		b, err := fn(data.Get([]byte(key)))
		if err != nil {
			return err
		}
		return data.Put([]byte(key), b)
	})
	if err != nil {
		return fmt.Errorf("store: update %s: %w", key, err)
	}
	return nil
}

// Anchor returns when the store's own content was seeded, whatever is
// proposed: its scores are dated from then. With it a Store is a [Shared]
// for others.
func (s *Store) Anchor(ctx context.Context, proposed time.Time) (time.Time, error) {
	return s.seeded, ctx.Err()
}
