package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Breaking is the front page's breaking-news banner.
type Breaking struct {
	Headline string    `json:"headline"`
	Slug     string    `json:"slug,omitempty"` // the article it links to, if any
	At       time.Time `json:"at"`             // when it broke
}

// URL returns the banner's link: its article's path, or "" without one.
func (b Breaking) URL() string {
	if b.Slug == "" {
		return ""
	}
	return "/article/" + b.Slug
}

// Breaking returns the breaking-news banner. Until one is set
// ([Store.SetBreaking]) it is the newest top story, dated as that story is.
func (s *Store) Breaking(ctx context.Context) (Breaking, error) {
	var b Breaking
	err := s.load(ctx, SourceBreaking, &b)
	if !errors.Is(err, ErrNotFound) {
		return b, err
	}
	top, err := s.Section(ctx, "hotnews", 1)
	if err == nil && len(top) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return Breaking{}, fmt.Errorf("store: default breaking news: %w", err)
	}
	return Breaking{Headline: top[0].Title, Slug: top[0].Slug, At: top[0].Published}, nil
}

// SetBreaking replaces the breaking-news banner. Its time is kept as it is
// (not moved by the replay of [Store.Section]).
func (s *Store) SetBreaking(ctx context.Context, b Breaking) error {
	return s.update(ctx, SourceBreaking, func(raw []byte) (any, error) { return b, nil })
}

// UpdateMarkets changes the market table in one transaction: fn gets the
// quotes as [Store.Markets] returns them and changes them in place; an
// error from fn leaves the table as it was.
func (s *Store) UpdateMarkets(ctx context.Context, fn func([]Quote) error) error {
	return s.update(ctx, SourceMarkets, func(raw []byte) (any, error) {
		var qs []Quote
		if err := json.Unmarshal(raw, &qs); err != nil {
			return nil, err
		}
		return qs, fn(qs)
	})
}

// UpdateScores changes the match scores in one transaction: fn gets the
// matches as [Store.Scores] returns them (each one's state and clock as of
// the store's clock) and may change their HomeScore and AwayScore, which
// are stored; the rest of what fn changes is not. An error from fn leaves
// the scores as they were.
func (s *Store) UpdateScores(ctx context.Context, fn func([]Score) error) error {
	return s.update(ctx, SourceScores, func(raw []byte) (any, error) {
		var stored []Score
		if err := json.Unmarshal(raw, &stored); err != nil {
			return nil, err
		}
		now, shift := s.now(), s.shift()
		view := make([]Score, len(stored))
		for i, sc := range stored {
			sc.KickOff = sc.KickOff.Add(shift)
			view[i] = sc.at(now)
		}
		if err := fn(view); err != nil {
			return nil, err
		}
		if len(view) != len(stored) {
			return nil, errors.New("store: UpdateScores: matches added or removed")
		}
		for i := range stored {
			stored[i].HomeScore, stored[i].AwayScore = view[i].HomeScore, view[i].AwayScore
		}
		return stored, nil
	})
}

// update rewrites the JSON document stored under key in the data bucket
// (in the shared store for the documents kept there: [WithShared]) with
// what fn returns for its current bytes, in one transaction. fn gets nil
// for a document that is absent from the store's own file, and a shared
// document's initial value ([Store.initialDoc]) for one the shared store
// has not stored yet. The read-modify-write itself is [Shared.UpdateDoc]:
// the shared store's, or the Store's own on its file.
func (s *Store) update(ctx context.Context, key string, fn func(raw []byte) (any, error)) error {
	rmw, shared := s.UpdateDoc, s.shared != nil && sharedDoc(key)
	if shared {
		rmw = s.shared.UpdateDoc
	}
	return rmw(ctx, key, func(raw []byte) ([]byte, error) {
		if raw == nil && shared {
			var err error
			if raw, err = s.initialDoc(key); err != nil {
				return nil, err
			}
		}
		v, err := fn(raw)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
}
