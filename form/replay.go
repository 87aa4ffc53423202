package form

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Default bounds of the replay memory a [Handler] keeps unless [WithReplays]
// gives it another: successes are remembered for DefaultReplayTTL, at most
// DefaultReplayEntries of them (the oldest are forgotten first).
const (
	DefaultReplayTTL     = time.Hour
	DefaultReplayEntries = 10000
)

// ErrReplaysFull is returned by the built-in [Replays] when every entry is a
// submission still running: the Handler answers 503.
var ErrReplaysFull = errors.New("form: too many submissions running")

// Replays remembers the answers of successful submissions by key (derived
// from the submission id, the form's URL path and, with [WithToken], the
// browser's cookie), so that a retry gets the first answer without running
// the action again. The [Handler] keeps one in memory per handler; a site
// of several instances behind one address shares one (in Redis, say) with
// [WithReplays]. Implementations must be safe for concurrent use.
type Replays interface {
	// Claim starts a submission under key. If a success is remembered
	// for key it returns it and found = true. If a submission under key
	// is running, Claim waits for it to end (or ctx) and then answers as
	// above. Otherwise it claims key and returns found = false: the
	// caller runs the action and then calls Done or Release.
	Claim(ctx context.Context, key string) (res Result, found bool, err error)
	// Done remembers res as the answer for key and ends the claim.
	Done(ctx context.Context, key string, res Result) error
	// Release ends the claim without an answer: the submission failed,
	// and a retry may run it again.
	Release(ctx context.Context, key string) error
}

// memory is the built-in Replays: a map bounded by entries and ttl.
type memory struct {
	ttl     time.Duration
	entries int
	now     func() time.Time

	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	done    chan struct{} // closed when the claim ends
	ok      bool          // res is an answer (Done)
	res     Result
	expires time.Time // once ok
}

func newMemory(ttl time.Duration, entries int) *memory {
	return &memory{ttl: ttl, entries: max(entries, 1), now: time.Now, m: make(map[string]*entry)}
}

// Claim implements [Replays].
func (m *memory) Claim(ctx context.Context, key string) (Result, bool, error) {
	for {
		m.mu.Lock()
		e, ok := m.m[key]
		if ok && e.ok && !m.now().Before(e.expires) {
			delete(m.m, key)
			ok = false
		}
		if !ok {
			if len(m.m) >= m.entries && !m.evict() {
				m.mu.Unlock()
				return Result{}, false, ErrReplaysFull
			}
			m.m[key] = &entry{done: make(chan struct{})}
			m.mu.Unlock()
			return Result{}, false, nil
		}
		m.mu.Unlock()
		select {
		case <-e.done:
			if e.ok { // the first one succeeded: its answer
				return e.res, true, nil
			}
			// It failed and let go of key: claim it again.
		case <-ctx.Done():
			return Result{}, false, ctx.Err()
		}
	}
}

// evict makes room for one entry: every expired answer goes, and if that
// frees nothing, the answer that expires first. It reports false if every
// entry is a running submission. m.mu is held.
func (m *memory) evict() bool {
	now := m.now()
	var oldest string
	var at time.Time
	for k, e := range m.m {
		switch {
		case !e.ok:
		case !now.Before(e.expires):
			delete(m.m, k)
		case oldest == "" || e.expires.Before(at):
			oldest, at = k, e.expires
		}
	}
	if len(m.m) < m.entries {
		return true
	}
	if oldest == "" {
		return false
	}
	delete(m.m, oldest)
	return true
}

// Done implements [Replays].
func (m *memory) Done(_ context.Context, key string, res Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[key]; ok && !e.ok {
		e.ok, e.res, e.expires = true, res, m.now().Add(m.ttl)
		close(e.done)
	}
	return nil
}

// Release implements [Replays].
func (m *memory) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[key]; ok && !e.ok {
		delete(m.m, key)
		close(e.done)
	}
	return nil
}
