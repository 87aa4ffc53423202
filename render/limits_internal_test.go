package render

import (
	"context"
	"testing"
	"testing/synctest"
)

// TestLimiterPriority checks that a freed slot goes to the waiter of
// highest priority, then to the oldest, and that a waiter whose context
// ends leaves the queue without taking a slot.
// It runs in a synctest bubble: each waiter is known to be queued once
// every goroutine of the bubble is blocked, with no polling.
func TestLimiterPriority(t *testing.T) {
	synctest.Test(t, testLimiterPriority)
}

func testLimiterPriority(t *testing.T) {
	l := newLimiter(Limits{Fetches: 1})
	ctx := t.Context()
	if err := l.acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	wait := func(name string, prio int) {
		go func() {
			if err := l.acquire(ctx, prio); err != nil {
				got <- name + ": " + err.Error()
				return
			}
			got <- name
		}()
	}
	queued := func(n int) {
		t.Helper()
		synctest.Wait() // every waiter started is blocked in acquire by now
		l.mu.Lock()
		k := len(l.waiting)
		l.mu.Unlock()
		if k != n {
			t.Fatalf("%d waiters, want %d", k, n)
		}
	}
	wait("low", 0)
	queued(1)
	wait("high-1", 5)
	queued(2)
	wait("high-2", 5)
	queued(3)
	cctx, cancel := context.WithCancel(ctx)
	go func() { got <- "cancelled: " + errString(l.acquire(cctx, 9)) }()
	queued(4)
	cancel()
	if g := <-got; g != "cancelled: context canceled" {
		t.Fatalf("first = %q, want the cancelled waiter to leave", g)
	}
	for _, want := range []string{"high-1", "high-2", "low"} {
		l.release()
		if g := <-got; g != want {
			t.Fatalf("slot went to %q, want %q", g, want)
		}
	}
	l.release()
	if l.running != 0 || len(l.waiting) != 0 {
		t.Errorf("after all released: running %d, waiting %d; want 0, 0", l.running, len(l.waiting))
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestLimiterAdmit checks the budget: Fetches+Queue pagelets admitted at
// once, a page that does not fit refused, and one page bigger than the
// whole budget still admitted when nothing else runs.
func TestLimiterAdmit(t *testing.T) {
	l := newLimiter(Limits{Fetches: 2, Queue: 3})
	steps := []struct {
		admit, dismiss int
		want           bool
	}{
		{admit: 4, want: true},
		{admit: 2, want: false}, // 6 > 5
		{admit: 1, want: true},  // 5
		{dismiss: 5},
		{admit: 9, want: true}, // alone: admitted whatever its size
		{admit: 1, want: false},
	}
	for i, s := range steps {
		if s.dismiss > 0 {
			l.dismiss(s.dismiss)
			continue
		}
		if got := l.admit(s.admit) == nil; got != s.want {
			t.Fatalf("step %d: admit(%d) = %v, want %v (admitted %d)", i, s.admit, got, s.want, l.admitted)
		}
	}
	var none *limiter
	if none.admit(1<<30) != nil {
		t.Error("a nil limiter refused a page")
	}
}
