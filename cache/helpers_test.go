package cache

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// The tests that depend on time run in a testing/synctest bubble: the
// cache is created in it, so that both its own clock (Cache.now, which is
// time.Now) and otter's (which reads time.Now too, and expires entries
// with it) are the bubble's fake clock, and a Fresh, Stale or StaleIfError
// window is crossed with a time.Sleep that takes no time. otter's periodic
// clean-up goroutine belongs to the bubble; newTest's Close stops it
// before the bubble ends.

// policy is the policy of most tests' fragments: fresh for a minute,
// served stale for one more, on error for ten.
var policy = pagelet.Cache{Fresh: time.Minute, Stale: time.Minute, StaleIfError: 10 * time.Minute}

// newTest returns an empty cache that is closed when the test ends. It
// logs nothing unless opts say where.
func newTest(t testing.TB, opts ...Option) *Cache {
	t.Helper()
	c, err := New(append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// source is a pagelet's backend, as a Load sees it: what it returns, and
// how often it was called. A gate, if set, holds each Load until it is
// closed.
type source struct {
	calls atomic.Int32

	mu   sync.Mutex
	html string
	pos  *Position
	err  error
	gate chan struct{}
	ctxs []context.Context // each Load's context
}

func newSource(html string) *source { return &source{html: html} }

// set changes what the next Loads return.
func (s *source) set(html string, pos *Position, err error) {
	s.mu.Lock()
	s.html, s.pos, s.err = html, pos, err
	s.mu.Unlock()
}

// hold makes the next Loads wait until the returned function is called.
func (s *source) hold() (release func()) {
	g := make(chan struct{})
	s.mu.Lock()
	s.gate = g
	s.mu.Unlock()
	return sync.OnceFunc(func() { close(g) })
}

// lastCtx returns the context of the latest Load.
func (s *source) lastCtx() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ctxs) == 0 {
		return nil
	}
	return s.ctxs[len(s.ctxs)-1]
}

func (s *source) load(ctx context.Context) ([]byte, *Position, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.ctxs = append(s.ctxs, ctx)
	g := s.gate
	s.mu.Unlock()
	if g != nil {
		<-g
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, nil, s.err
	}
	return []byte(s.html), s.pos, nil
}

// fill returns a shared fill of key, with policy, loaded from s.
func (s *source) fill(key string, tags ...string) *Fill {
	p := policy
	p.Key, p.Tags = key, tags
	return &Fill{Name: "news", Policy: p, Timeout: 5 * time.Second, Source: LoadFunc(s.load)}
}

var errBackend = errors.New("backend down")

// html returns e's markup, or "" for no entry.
func html(e *Entry) string {
	if e == nil {
		return ""
	}
	return string(e.HTML)
}

// get is Get with the test's context, for tests that expect no error.
func get(t testing.TB, c *Cache, f *Fill) (*Entry, Outcome) {
	t.Helper()
	e, o, err := c.Get(context.Background(), f)
	if err != nil {
		t.Fatalf("Get(%q): %v (%s)", f.Policy.Key, err, o)
	}
	return e, o
}

// at returns a position of a state channel.
func at(offset uint64, epoch string) *Position {
	return &Position{Kind: "state", Offset: offset, Epoch: epoch}
}

// mustJSON returns m as a cache sends it on the bus.
func mustJSON(t testing.TB, m *message) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// valuesSource is src whose load's context carries the values of vals.
type valuesSource struct {
	vals context.Context
	Source
}

func (s valuesSource) Values() context.Context { return s.vals }
