package livebench

// countWatcher follows an article's "reading now" state channel over one
// SSE connection of the bench's own, as a page on that instance would: the
// latest count and when it arrived.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// countWatcher is one instance's watcher.
type countWatcher struct {
	mu      sync.Mutex
	count   int           // the latest count; -1 before any
	at      time.Time     // when it arrived
	changed chan struct{} // closed, and replaced, when the count changes
}

// start connects to addr for channel ch with grant g and follows it in a
// goroutine of wg until ctx is done or the stream ends. It returns once
// the connection is subscribed.
func (w *countWatcher) start(ctx context.Context, wg *sync.WaitGroup, addr, ch string, g liveGrant) error {
	w.count = -1
	st := &liveClientState{cfg: liveClientConfig{Transport: readersTransport, Sources: []string{"127.0.0.1"}}}
	connect, err := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{
		"token": g.Token,
		"subs":  map[string]any{ch: map[string]any{"recover": true, "offset": g.Offset, "epoch": g.Epoch}},
	}})
	if err != nil {
		return err
	}
	msgs, closer, err := st.dial(ctx, 0, addr, connect)
	if err != nil {
		return fmt.Errorf("watcher on %s: %w", addr, err)
	}
	subscribed := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		stop := context.AfterFunc(ctx, func() { closer.Close() })
		defer stop()
		defer closer.Close()
		w.follow(msgs, ch, subscribed)
	}()
	select {
	case err := <-subscribed:
		return err
	case <-time.After(liveConnectTimeout):
		return fmt.Errorf("watcher on %s: no connect reply within %v", addr, liveConnectTimeout)
	}
}

// follow reads the connection's messages: the connect reply (told to
// subscribed), then the counts published.
func (w *countWatcher) follow(msgs func(yield func([]byte) bool), ch string, subscribed chan<- error) {
	replied := false
	defer func() {
		if !replied {
			subscribed <- fmt.Errorf("watcher: the stream ended before its connect reply")
		}
	}()
	for m := range msgs {
		if !replied {
			reply, err := parseLiveConnectReply(m, ch)
			if err != nil {
				replied = true
				subscribed <- err
				return
			}
			if reply == nil {
				continue
			}
			replied = true
			subscribed <- nil
			for _, pub := range reply.Publications {
				w.note(pub.Data.Content)
			}
			continue
		}
		if p, ok := parseLivePush(m); ok && p.Channel == ch && p.Pub != nil {
			w.note(p.Pub.Data.Content)
		}
	}
}

// note takes the count a publication shows.
func (w *countWatcher) note(content string) {
	n, ok := liveContentInt(content, "data-count")
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if int(n) != w.count {
		w.count, w.at = int(n), time.Now()
		close(w.changed)
		w.changed = make(chan struct{})
	}
}

// latest is the latest count and when it arrived.
func (w *countWatcher) latest() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count, w.at
}

// until waits up to d for the count to be truth and returns how long
// after t0 it became so (0 if it already was), or -1.
func (w *countWatcher) until(ctx context.Context, truth int, t0 time.Time, d time.Duration) time.Duration {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		w.mu.Lock()
		n, at, changed := w.count, w.at, w.changed
		w.mu.Unlock()
		if n == truth {
			return max(at.Sub(t0), 0)
		}
		select {
		case <-changed:
		case <-timer.C:
			return -1
		case <-ctx.Done():
			return -1
		}
	}
}
