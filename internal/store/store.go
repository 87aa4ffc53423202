// Package store is the demo news portal's data layer: articles, market data,
// sports scores, the weather, the breaking-news banner and readers'
// comments, kept in an embedded [bbolt] file that is
// created and seeded with fictional news on first use.
//
//	st, err := store.Open("data/news.db",
//		store.WithLatency(map[string]time.Duration{"finance": 1500 * time.Millisecond}))
//	if err != nil { … }
//	defer st.Close()
//	top, err := st.Section(ctx, "hotnews", 5)
//
// # Sources and latency
//
// Every read belongs to a source: a section name ("hotnews", "society",
// "finance", "tech", "sports") or one of "markets", "scores", "mostread",
// "weather", "search" and "article". [WithLatency] makes a source slow, to
// emulate a slow backend; the key "*" applies to every source without its own
// entry. The delay honours the context: a cancelled read returns ctx.Err()
// at once. [ParseLatency] reads such a map from a flag such as
// "hotnews=200ms,finance=1.5s". [WithFailures] makes sources fail with
// [ErrUnavailable], to show a pagelet's fallback.
//
// # Several instances
//
// [WithShared] keeps the comments and the live documents in a [Shared]
// store that several instances of the site use (package pgstore's
// PostgreSQL database), and dates the seed from its anchor, so that every
// instance shows the same page; the seed itself stays in each instance.
//
// [bbolt]: https://pkg.go.dev/go.etcd.io/bbolt
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors returned by the store. Test for them with [errors.Is].
var (
	ErrNotFound       = errors.New("store: not found")
	ErrUnknownSection = errors.New("store: unknown section")
	ErrUnavailable    = errors.New("store: source unavailable")
	ErrBadLatency     = errors.New("store: bad latency spec")

	// ErrInUse is returned by [Open] when another process (another server
	// on the same file, say) holds the file's lock for longer than
	// [LockTimeout].
	ErrInUse = errors.New("store: database file locked")
)

// LockTimeout is how long [Open] waits for another process to release the
// database file's lock before it fails with [ErrInUse].
const LockTimeout = time.Second

// Source names that are not sections. Section names are listed by [Sections].
const (
	SourceMarkets  = "markets"
	SourceScores   = "scores"
	SourceMostRead = "mostread"
	SourceWeather  = "weather"
	SourceSearch   = "search"
	SourceArticle  = "article"
	SourceBreaking = "breaking"
	SourceComments = "comments"

	// AnySource is the latency key that applies to every source without an
	// entry of its own.
	AnySource = "*"
)

// Sources returns every source name that [WithLatency] and [WithFailures]
// understand: the sections, then the other sources.
func Sources() []string {
	return append(Sections(), SourceMarkets, SourceScores, SourceMostRead, SourceWeather, SourceSearch, SourceArticle, SourceBreaking, SourceComments)
}

// Sections returns the names of the news sections, in the portal's order.
func Sections() []string {
	return []string{"hotnews", "society", "finance", "tech", "sports"}
}

func isSection(name string) bool {
	for _, s := range Sections() {
		if s == name {
			return true
		}
	}
	return false
}

// Store is an open news database. Its methods are safe for concurrent use.
// The zero value is not usable; create one with [Open] or [OpenMemory].
type Store struct {
	db      *bolt.DB
	latency map[string]time.Duration
	fail    map[string]bool
	now     func() time.Time
	seeded  time.Time    // when the file's content was seeded
	cleanup func() error // removes OpenMemory's temporary file

	shared Shared    // comments and live documents, with WithShared
	seedAt time.Time // the shared seed time, from Shared.Anchor (zero without one)

	calls map[string]*atomic.Uint64 // backend calls by source (Calls); fixed at open
}

// Option configures a Store opened with [Open] or [OpenMemory].
type Option func(*Store)

// WithLatency delays every read of a source by the given duration, keyed by
// source name ([Sections] and the Source… constants) or [AnySource]. The map
// is copied. Non-positive durations mean no delay.
func WithLatency(latency map[string]time.Duration) Option {
	return func(s *Store) {
		for k, v := range latency {
			s.latency[k] = v
		}
	}
}

// WithFailures makes every read of the named sources fail with
// [ErrUnavailable] (after their latency), to demonstrate fallbacks.
func WithFailures(sources ...string) Option {
	return func(s *Store) {
		for _, src := range sources {
			s.fail[src] = true
		}
	}
}

// WithNow sets the store's clock. The default is [time.Now]. The demo
// content is dated relative to it, so that it never looks stale, however old
// the file: see [Store.Section] for how.
func WithNow(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open opens the database file at path, creating it (and its directory) and
// seeding it with the demo content if it does not exist yet. An existing
// file is used as it is. Only one Store may have a file open at a time: a
// second Open of the same file, in this process or another, waits up to
// [LockTimeout] for the lock, then fails with [ErrInUse].
func Open(path string, opts ...Option) (*Store, error) {
	return open(path, false, opts)
}

// OpenMemory opens a freshly seeded database that lives only until
// [Store.Close]: a temporary file that Close removes. It is meant for tests.
func OpenMemory(opts ...Option) (*Store, error) {
	dir, err := os.MkdirTemp("", "newsstore-*")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s, err := open(filepath.Join(dir, "news.db"), true, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.cleanup = func() error { return os.RemoveAll(dir) }
	return s, nil
}

func open(path string, noSync bool, opts []Option) (*Store, error) {
	s := &Store{
		latency: make(map[string]time.Duration),
		fail:    make(map[string]bool),
		now:     time.Now,
		calls:   make(map[string]*atomic.Uint64),
	}
	for _, src := range Sources() {
		s.calls[src] = new(atomic.Uint64)
	}
	for _, o := range opts {
		o(s)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: LockTimeout, NoSync: noSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is in use by another process (another bigpipe server?), which kept its lock for %s (bbolt: %w); stop that process, or use another file",
			ErrInUse, path, LockTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.db = db
	if s.shared != nil {
		if s.seedAt, err = s.sharedAnchor(); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	if s.seeded, err = s.seed(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketComments) // files seeded before comments existed
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: comments bucket in %s: %w", path, err)
	}
	return s, nil
}

// replayPeriod is how often the demo's timeline starts over; see [Store.shift].
const replayPeriod = time.Hour

// shift is how far the seeded content's times are moved forward when read:
// the whole hours since the seeding. So the store's content always looks as
// it did between 0 and 59 minutes after the seeding: the newest story a few
// minutes to an hour old, matches live, about to start or just over,
// whenever the file was created. Whole hours keep a page's times the same
// from one load to the next within the hour.
func (s *Store) shift() time.Duration {
	d := s.now().Sub(s.seeded)
	r := d % replayPeriod
	if r < 0 {
		r += replayPeriod // floor, for a clock behind the seeding
	}
	return d - r
}

// Close closes the database. A Store from [OpenMemory] also deletes its file.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.cleanup != nil {
		err = errors.Join(err, s.cleanup())
	}
	return err
}

// Latency returns the delay configured for source (or for [AnySource]).
func (s *Store) Latency(source string) time.Duration {
	if d, ok := s.latency[source]; ok {
		return d
	}
	return s.latency[AnySource]
}

// Calls returns how many reads of source's backend the store has made
// since it was opened: each waits for the source's latency ([WithLatency]),
// so it is what a real backend would have been asked. An unknown source
// has made none. A cache in front of the store shows here as fewer calls.
func (s *Store) Calls(source string) uint64 {
	if c := s.calls[source]; c != nil {
		return c.Load()
	}
	return 0
}

// wait emulates a slow backend: it sleeps for source's latency unless ctx
// ends first, then reports an injected failure. It counts the call
// ([Store.Calls]).
func (s *Store) wait(ctx context.Context, source string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c := s.calls[source]; c != nil {
		c.Add(1)
	}
	if d := s.Latency(source); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if s.fail[source] || s.fail[AnySource] {
		return fmt.Errorf("%w: %s", ErrUnavailable, source)
	}
	return nil
}
