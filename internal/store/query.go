package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Section returns the newest articles of a section, newest first. A limit of
// zero or less returns them all. An unknown section is [ErrUnknownSection].
//
// Every method dates what it returns relative to the store's clock
// ([WithNow]): the times stored at seeding (publication, kick-off) are
// moved forward by the whole hours since then, so the content looks fresh
// however old the file is, and each match's state and clock are worked out
// from its kick-off time at the read.
func (s *Store) Section(ctx context.Context, name string, limit int) ([]Article, error) {
	if !isSection(name) {
		return nil, fmt.Errorf("%w %q", ErrUnknownSection, name)
	}
	if err := s.wait(ctx, name); err != nil {
		return nil, err
	}
	var out []Article
	shift := s.shift()
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketSections).Bucket([]byte(name))
		arts := tx.Bucket(bucketArticles)
		if idx == nil {
			return nil
		}
		c := idx.Cursor()
		for k, slug := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, slug = c.Next() {
			var a Article
			if err := json.Unmarshal(arts.Get(slug), &a); err != nil {
				return fmt.Errorf("store: decode %s: %w", slug, err)
			}
			a.Published = a.Published.Add(shift)
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// Search returns up to limit articles whose title or summary contains q,
// ignoring case, newest first. Surrounding space in q is ignored; an empty q
// matches nothing. A limit of zero or less returns every match.
func (s *Store) Search(ctx context.Context, q string, limit int) ([]Article, error) {
	if err := s.wait(ctx, SourceSearch); err != nil {
		return nil, err
	}
	needle := strings.ToLower(strings.TrimSpace(q))
	if needle == "" {
		return nil, nil
	}
	out, err := s.filter(func(a *Article) bool {
		return strings.Contains(strings.ToLower(a.Title), needle) ||
			strings.Contains(strings.ToLower(a.Summary), needle)
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Article) int { return b.Published.Compare(a.Published) })
	return truncate(out, limit), nil
}

// Article returns the article with the given slug, or [ErrNotFound].
func (s *Store) Article(ctx context.Context, slug string) (Article, error) {
	if err := s.wait(ctx, SourceArticle); err != nil {
		return Article{}, err
	}
	return s.get(slug)
}

// Headline returns the article with the given slug, or [ErrNotFound], without
// any configured latency: it stands for a fast index lookup, fit for a
// request check that must answer before the page starts streaming.
func (s *Store) Headline(ctx context.Context, slug string) (Article, error) {
	if err := ctx.Err(); err != nil {
		return Article{}, err
	}
	return s.get(slug)
}

func (s *Store) get(slug string) (Article, error) {
	var a Article
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketArticles).Get([]byte(slug))
		if v == nil {
			return fmt.Errorf("%w: article %q", ErrNotFound, slug)
		}
		return json.Unmarshal(v, &a)
	})
	if err != nil {
		return Article{}, err
	}
	a.Published = a.Published.Add(s.shift())
	return a, nil
}

// MostRead returns the limit most viewed articles, most viewed first.
func (s *Store) MostRead(ctx context.Context, limit int) ([]Article, error) {
	return s.ranked(ctx, limit, func(a Article) int { return a.Views })
}

// MostCommented returns the limit most commented articles, most commented first.
func (s *Store) MostCommented(ctx context.Context, limit int) ([]Article, error) {
	return s.ranked(ctx, limit, func(a Article) int { return a.Comments })
}

func (s *Store) ranked(ctx context.Context, limit int, key func(Article) int) ([]Article, error) {
	if err := s.wait(ctx, SourceMostRead); err != nil {
		return nil, err
	}
	out, err := s.filter(func(*Article) bool { return true })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Article) int {
		return cmp.Or(cmp.Compare(key(b), key(a)), cmp.Compare(a.ID, b.ID))
	})
	return truncate(out, limit), nil
}

// Markets returns the market data table.
func (s *Store) Markets(ctx context.Context) ([]Quote, error) {
	var out []Quote
	return out, s.load(ctx, SourceMarkets, &out)
}

// Scores returns the latest sports results and fixtures, each match's
// state and clock as of the store's clock.
func (s *Store) Scores(ctx context.Context) ([]Score, error) {
	var out []Score
	if err := s.load(ctx, SourceScores, &out); err != nil {
		return nil, err
	}
	now, shift := s.now(), s.shift()
	for i := range out {
		out[i].KickOff = out[i].KickOff.Add(shift)
		out[i] = out[i].at(now)
	}
	return out, nil
}

// Weather returns the current weather and a three-day forecast dated from
// the store's clock.
func (s *Store) Weather(ctx context.Context) (Weather, error) {
	var w Weather
	if err := s.load(ctx, SourceWeather, &w); err != nil {
		return Weather{}, err
	}
	today := s.now()
	for i := range w.Forecast {
		w.Forecast[i].Date = today.AddDate(0, 0, i+1)
	}
	return w, nil
}

// load decodes the JSON document stored under key in the data bucket, or
// in the shared store for the documents kept there ([WithShared]).
func (s *Store) load(ctx context.Context, key string, v any) error {
	if err := s.wait(ctx, key); err != nil {
		return err
	}
	if s.shared != nil && sharedDoc(key) {
		b, err := s.shared.LoadDoc(ctx, key)
		if err == nil && b == nil {
			b, err = s.initialDoc(key)
		}
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("store: decode shared %s: %w", key, err)
		}
		return nil
	}
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketData).Get([]byte(key))
		if b == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return json.Unmarshal(b, v)
	})
}

// filter decodes every article and keeps those keep accepts.
func (s *Store) filter(keep func(*Article) bool) ([]Article, error) {
	var out []Article
	shift := s.shift()
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketArticles).ForEach(func(k, v []byte) error {
			var a Article
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("store: decode %s: %w", k, err)
			}
			a.Published = a.Published.Add(shift)
			if keep(&a) {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}

func truncate(a []Article, limit int) []Article {
	if limit > 0 && len(a) > limit {
		return a[:limit]
	}
	return a
}

// sectionKey orders a section index newest first: bbolt iterates keys in
// byte order, so the key is the inverted publication time, then the slug.
func sectionKey(published time.Time, slug string) []byte {
	inv := uint64(math.MaxInt64 - max(published.Unix(), 0))
	return fmt.Appendf(nil, "%016x/%s", inv, slug)
}
