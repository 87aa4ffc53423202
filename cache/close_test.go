package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Close cancels the loads running and waits for them; after it, nothing
// loads.
func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		release := src.hold()
		f := src.fill("front")
		var wg sync.WaitGroup
		wg.Go(func() {
			if e, o, err := c.Get(context.Background(), f); err != nil || o != Miss || html(e) != "v1" {
				t.Errorf("the request waiting as the cache closes: %q, %s, %v", html(e), o, err)
			}
		})
		synctest.Wait()

		closed := make(chan error)
		go func() { closed <- c.Close(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned while a load ran: %v", err)
		default:
		}
		if err := src.lastCtx().Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("the Load's context as the cache closes: %v, want it cancelled", err)
		}
		release() // a Load that returns its content all the same
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()

		// Closed: a cold key is not loaded, a stale one is served with no
		// refresh, a second Close is nothing.
		cold := src.fill("story")
		if e, o, err := c.Get(context.Background(), cold); !errors.Is(err, ErrClosed) || o != Failed || e != nil {
			t.Errorf("Get after Close: %v, %s, %v; want ErrClosed", e, o, err)
		}
		time.Sleep(policy.Fresh + time.Second)
		if e, o, ok := c.Peek(f); !ok || o != StaleHit || html(e) != "v1" {
			t.Errorf("Peek of a stale fragment after Close: %q, %s, %t", html(e), o, ok)
		}
		synctest.Wait()
		if n := src.calls.Load(); n != 1 {
			t.Errorf("Loads: %d, want none after Close", n)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("a second Close: %v", err)
		}
	})
}

// Close gives up when its context ends before a Load that ignores its own
// does; a later Close waits for it.
func TestCloseTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t) // its Close at the end waits for the Load
		src := newSource("v1")
		release := src.hold() // the Load ignores its context
		f := src.fill("front")
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, _, err := c.Get(context.Background(), f); err != nil {
				t.Errorf("Get: %v", err)
			}
		}()
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := c.Close(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close with a Load running past its context: %v, want DeadlineExceeded", err)
		}
		if err := src.lastCtx().Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("the Load's context: %v, want it cancelled", err)
		}
		release()
		<-done
	})
}
