package accounts

import (
	"container/list"
	"sync"
	"time"
)

// Default sign-in limits: failures per client address and per account
// name within a window, and how many keys each limiter remembers.
const (
	DefaultAddressFailures = 10
	DefaultNameFailures    = 5
	DefaultFailureWindow   = 5 * time.Minute
	DefaultLimitKeys       = 10000
)

// failures counts failed sign-ins per key (an address, a name) in a fixed
// window from each key's first failure, and blocks a key that reached its
// limit until its window ends. It remembers at most keys keys: past that
// the oldest window is forgotten first, so memory stays bounded whatever
// an attacker sends. The zero limit blocks nothing.
type failures struct {
	limit  int
	window time.Duration
	keys   int

	mu    sync.Mutex
	byKey map[string]*list.Element // of *failureCount
	order *list.List               // oldest window first
}

type failureCount struct {
	key   string
	n     int
	start time.Time
}

func newFailures(limit int, window time.Duration, keys int) *failures {
	return &failures{limit: limit, window: window, keys: max(keys, 1), byKey: make(map[string]*list.Element), order: list.New()}
}

// blocked says how long key must wait before it may try again, if it
// reached its limit in its current window.
func (f *failures) blocked(key string, now time.Time) (time.Duration, bool) {
	if f.limit <= 0 {
		return 0, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.current(key, now)
	if c == nil || c.n < f.limit {
		return 0, false
	}
	return c.start.Add(f.window).Sub(now), true
}

// fail counts a failure of key.
func (f *failures) fail(key string, now time.Time) {
	if f.limit <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.current(key, now)
	if c == nil {
		for f.order.Len() >= f.keys {
			delete(f.byKey, f.order.Remove(f.order.Front()).(*failureCount).key)
		}
		c = &failureCount{key: key, start: now}
		f.byKey[key] = f.order.PushBack(c)
	}
	c.n++
}

// forget clears key's failures (after a success).
func (f *failures) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.byKey[key]; ok {
		f.order.Remove(e)
		delete(f.byKey, key)
	}
}

// current returns key's count in its window, forgetting one that ended.
func (f *failures) current(key string, now time.Time) *failureCount {
	e, ok := f.byKey[key]
	if !ok {
		return nil
	}
	c := e.Value.(*failureCount)
	if now.Sub(c.start) >= f.window {
		f.order.Remove(e)
		delete(f.byKey, key)
		return nil
	}
	return c
}

// tracked is how many keys f remembers (tests).
func (f *failures) tracked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.byKey)
}
