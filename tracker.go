// The request tracker: how many requests the main server is serving, for
// the drain (drain.go) to report and wait for.

package main

import (
	"context"
	"net/http"
	"sync"
)

// tracker counts the requests a handler is serving, so that shutdown can
// say how many it cut and wait for them to return. The zero value is ready.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

// wrap counts every request h serves. It hands h the ResponseWriter as it
// is, so flushing and http.ResponseController keep working.
func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		if t.n == 0 {
			t.idle = make(chan struct{})
		}
		t.n++
		t.mu.Unlock()
		defer func() { // also when h aborts with http.ErrAbortHandler
			t.mu.Lock()
			t.n--
			if t.n == 0 {
				close(t.idle)
			}
			t.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// count returns the requests being served now.
func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// wait waits until no request is being served or ctx ends, and returns how
// many still are.
func (t *tracker) wait(ctx context.Context) int {
	t.mu.Lock()
	n, idle := t.n, t.idle
	t.mu.Unlock()
	if n == 0 {
		return 0
	}
	select {
	case <-idle:
	case <-ctx.Done():
	}
	return t.count()
}
