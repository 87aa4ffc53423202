package gate_test

import (
	"sync"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/gate"
)

func TestGate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		max   int
		tries int
		want  int // admitted
	}{
		{"bounded", 3, 5, 3},
		{"exactly full", 2, 2, 2},
		{"zero: no bound", 0, 100, 100},
		{"negative: no bound", -1, 100, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gate.New(tc.max)
			got := 0
			for range tc.tries {
				if g.Enter() {
					got++
				}
			}
			if got != tc.want {
				t.Fatalf("admitted %d of %d with max %d, want %d", got, tc.tries, tc.max, tc.want)
			}
			if tc.max > 0 {
				g.Leave()
				if !g.Enter() {
					t.Fatal("a place given back was not taken again")
				}
				if g.Enter() {
					t.Fatal("admitted past the bound after Leave")
				}
			}
		})
	}
}

// TestGateConcurrent enters and leaves from many goroutines: never more
// than max inside at once, and every place back at the end.
func TestGateConcurrent(t *testing.T) {
	const limit = 4
	g := gate.New(limit)
	var (
		mu          sync.Mutex
		inside, top int
		wg          sync.WaitGroup
	)
	for range 64 {
		wg.Go(func() {
			for range 200 {
				if !g.Enter() {
					continue
				}
				mu.Lock()
				inside++
				top = max(top, inside)
				mu.Unlock()
				mu.Lock()
				inside--
				mu.Unlock()
				g.Leave()
			}
		})
	}
	wg.Wait()
	if top > limit {
		t.Errorf("%d inside at once, want at most %d", top, limit)
	}
	for range limit {
		if !g.Enter() {
			t.Fatal("a place was not given back")
		}
	}
}
