package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Every request for a cold key while it loads waits for the one Load: the
// request that started it is a miss, the others coalesced, and all get the
// same bytes.
func TestGetCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("<p>front</p>")
		release := src.hold()
		f := src.fill("front")

		const n = 1000
		type got struct {
			e   *Entry
			o   Outcome
			err error
		}
		res := make([]got, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				e, o, err := c.Get(context.Background(), f)
				res[i] = got{e, o, err}
			})
		}
		synctest.Wait() // every request waits, and the Load too
		release()
		wg.Wait()

		if calls := src.calls.Load(); calls != 1 {
			t.Fatalf("Loads for %d concurrent requests: %d, want 1", n, calls)
		}
		outcomes := map[Outcome]int{}
		for _, r := range res {
			outcomes[r.o]++
			if r.err != nil || html(r.e) != "<p>front</p>" {
				t.Fatalf("a request got %q, %v", html(r.e), r.err)
			}
			if &r.e.HTML[0] != &res[0].e.HTML[0] {
				t.Fatal("requests got copies of the markup, not the one entry")
			}
		}
		if outcomes[Miss] != 1 || outcomes[Coalesced] != n-1 {
			t.Errorf("outcomes: %v, want 1 miss and %d coalesced", outcomes, n-1)
		}
	})
}

// A request that leaves while the load runs gets its context's error at
// once; the Load, whose context is not the request's, goes on and is
// stored for the others.
func TestGetCallerLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		release := src.hold()
		type key struct{}
		reqCtx, leave := context.WithCancelCause(context.WithValue(context.Background(), key{}, "request"))
		f := src.fill("front")
		f.Source = valuesSource{reqCtx, f.Source} // as render does: the Load carries the request's values

		gone := errors.New("client gone")
		done := make(chan error)
		go func() {
			_, o, err := c.Get(reqCtx, f) // it starts the load
			if o != Failed {
				t.Errorf("the leaving request's outcome: %s, want failed", o)
			}
			done <- err
		}()
		synctest.Wait()
		var other sync.WaitGroup
		other.Go(func() {
			if e, o := get(t, c, f); o != Coalesced || html(e) != "v1" {
				t.Errorf("the other request: %q, %s; want v1, coalesced", html(e), o)
			}
		})
		synctest.Wait()

		leave(gone)
		if err := <-done; !errors.Is(err, gone) {
			t.Errorf("the leaving request's error: %v, want its context's cause", err)
		}
		synctest.Wait()
		ctx := src.lastCtx()
		if err := ctx.Err(); err != nil {
			t.Fatalf("the Load's context ended with the request's: %v", err)
		}
		if v := ctx.Value(key{}); v != "request" {
			t.Errorf("the Load's context lost the request's values: %v", v)
		}
		if d, ok := ctx.Deadline(); !ok || d != time.Now().Add(f.Timeout) {
			t.Errorf("the Load's deadline: %v, %t; want the fill's Timeout from its start", d, ok)
		}
		release()
		other.Wait()
		if e, o, ok := c.Peek(f); !ok || o != Hit || html(e) != "v1" {
			t.Errorf("after the load: %q, %s, %t; want it stored", html(e), o, ok)
		}
		if n := src.calls.Load(); n != 1 {
			t.Errorf("Loads: %d, want 1", n)
		}
	})
}

// A request whose context has ended already starts the load for the
// others, and fails at once.
func TestGetCallerGoneBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		release := src.hold()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := src.fill("front")
		if e, o, err := c.Get(ctx, f); !errors.Is(err, context.Canceled) || o != Failed || e != nil {
			t.Errorf("Get with an ended context: %v, %s, %v", e, o, err)
		}
		release()
		synctest.Wait()
		if _, o, ok := c.Peek(f); !ok || o != Hit {
			t.Errorf("the load it started was not stored: %s, %t", o, ok)
		}
	})
}

// A Load that fails, panics or times out gives every request waiting for
// it its error, stores nothing, and leaves the next request to try again.
func TestLoadFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		load  func(ctx context.Context) ([]byte, *Position, error)
		check func(t *testing.T, err error)
	}{
		{
			name: "error",
			load: func(context.Context) ([]byte, *Position, error) { return nil, nil, errBackend },
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errBackend) {
					t.Errorf("error: %v, want the Load's", err)
				}
			},
		},
		{
			name: "panic",
			load: func(context.Context) ([]byte, *Position, error) { panic("boom") },
			check: func(t *testing.T, err error) {
				var pe *PanicError
				if !errors.As(err, &pe) {
					t.Fatalf("error: %T %v, want a *PanicError", err, err)
				}
				if !strings.HasPrefix(pe.Key, "front\x00") || pe.Value != "boom" || len(pe.Stack) == 0 {
					t.Errorf("PanicError: key %q, value %v, %d bytes of stack", pe.Key, pe.Value, len(pe.Stack))
				}
			},
		},
		{
			name: "panic with an error",
			load: func(context.Context) ([]byte, *Position, error) { panic(fmt.Errorf("wrapped: %w", errBackend)) },
			check: func(t *testing.T, err error) {
				var pe *PanicError
				if !errors.As(err, &pe) {
					t.Fatalf("error: %T %v, want a *PanicError", err, err)
				}
			},
		},
		{
			name: "timeout",
			load: func(ctx context.Context) ([]byte, *Position, error) {
				start := time.Now()
				<-ctx.Done()
				if d := time.Since(start); d != 5*time.Second { // the bubble's clock
					return nil, nil, fmt.Errorf("context ended after %v, not the Timeout", d)
				}
				return nil, nil, ctx.Err()
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error: %v, want the Load's deadline", err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("v2")
				f := src.fill("front")
				gate := make(chan struct{})
				f.Source = LoadFunc(func(ctx context.Context) ([]byte, *Position, error) {
					src.calls.Add(1)
					<-gate // until every request waits
					return tc.load(ctx)
				})
				const n = 10
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						e, o, err := c.Get(context.Background(), f)
						if e != nil || o != Failed {
							t.Errorf("a request got %v, %s", e, o)
						}
						tc.check(t, err)
					})
				}
				synctest.Wait()
				close(gate)
				wg.Wait()
				if n := src.calls.Load(); n != 1 {
					t.Errorf("Loads: %d, want 1", n)
				}
				if _, _, ok := c.Peek(f); ok || c.Len() != 0 {
					t.Errorf("a failed load stored something (%d entries)", c.Len())
				}
				c.mu.Lock()
				if len(c.flights) != 0 || len(c.idx) != 0 {
					t.Errorf("left behind: %d flights, index %v", len(c.flights), c.idx)
				}
				c.mu.Unlock()

				f = src.fill("front") // the backend is back
				if e, o := get(t, c, f); o != Miss || html(e) != "v2" {
					t.Errorf("the next request: %q, %s; want v2, miss", html(e), o)
				}
				if n := src.calls.Load(); n != 2 {
					t.Errorf("Loads: %d, want 2", n)
				}
			})
		})
	}
}

// A panic in a background refresh, which nobody waits for, neither crashes
// the process nor drops the stale fragment.
func TestRefreshPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		f := src.fill("front")
		get(t, c, f)
		time.Sleep(policy.Fresh + time.Second)
		f.Source = LoadFunc(func(context.Context) ([]byte, *Position, error) { panic("boom") })
		if e, o, ok := c.Peek(f); !ok || o != StaleHit || html(e) != "v1" {
			t.Fatalf("Peek: %q, %s, %t", html(e), o, ok)
		}
		synctest.Wait()
		if e, o, ok := c.Peek(f); !ok || o != StaleHit || html(e) != "v1" {
			t.Errorf("after the refresh panicked: %q, %s, %t; want v1, stale", html(e), o, ok)
		}
		synctest.Wait()
	})
}

// A Source's Values may be nil: the Load's context then carries no values.
func TestFillWithoutValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("v1")
		f := src.fill("front")
		f.Source = valuesSource{nil, f.Source}
		if e, o, err := c.Get(context.Background(), f); err != nil || o != Miss || html(e) != "v1" {
			t.Fatalf("Get: %q, %s, %v", html(e), o, err)
		}
		if _, ok := src.lastCtx().Deadline(); !ok {
			t.Error("the Load's context has no deadline")
		}
	})
}

// recorder is a slog.Handler that keeps the records it is given.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// what returns the level and message of each record, with the attributes
// named.
func (r *recorder) what(attrs ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		s := rec.Level.String() + " " + rec.Message
		rec.Attrs(func(a slog.Attr) bool {
			if slices.Contains(attrs, a.Key) {
				s += " " + a.Key + "=" + a.Value.String()
			}
			return true
		})
		out = append(out, s)
	}
	return out
}

// What nobody else is told is logged (WithLogger): a Load's panic, with
// its stack, and the failure of a background refresh. A failed load that a
// request waits for is that request's to report.
func TestLoadLogs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool // the load is a refresh of a stale fragment
		load       func(context.Context) ([]byte, *Position, error)
		want       []string
	}{
		{"a failure a request waits for", false, func(context.Context) ([]byte, *Position, error) { return nil, nil, errBackend }, nil},
		{"a failed refresh", true, func(context.Context) ([]byte, *Position, error) { return nil, nil, errBackend },
			[]string{"WARN cache: refresh failed pagelet=news key=front err=backend down"}},
		{"a panic", false, func(context.Context) ([]byte, *Position, error) { panic("boom") },
			[]string{"ERROR cache: load panicked pagelet=news key=front panic=boom"}},
		{"a panic in a refresh", true, func(context.Context) ([]byte, *Position, error) { panic("boom") },
			[]string{"ERROR cache: load panicked pagelet=news key=front panic=boom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				c := newTest(t, WithLogger(slog.New(rec)))
				f := newSource("v1").fill("front")
				f.Personal, f.Reader = true, "@reader" // never logged
				if tc.background {
					get(t, c, f)
					time.Sleep(policy.Fresh + time.Second)
				}
				f.Source = LoadFunc(tc.load)
				if _, _, err := c.Get(context.Background(), f); (err == nil) != tc.background {
					t.Fatalf("Get: %v", err)
				}
				synctest.Wait()
				if got := rec.what("pagelet", "key", "err", "panic"); !slices.Equal(got, tc.want) {
					t.Errorf("logged %q, want %q", got, tc.want)
				}
				for _, r := range rec.recs {
					stack := false
					r.Attrs(func(a slog.Attr) bool {
						stack = stack || a.Key == "stack" && strings.Contains(a.Value.String(), "TestLoadLogs")
						if strings.Contains(a.Value.String(), "@reader") {
							t.Errorf("the reader was logged: %s", a)
						}
						return true
					})
					if r.Level == slog.LevelError && !stack {
						t.Error("a panic logged without its stack")
					}
				}
			})
		})
	}
}
