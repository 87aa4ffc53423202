package render

import (
	"strconv"
	"testing"
)

// TestProblemLogBound fills a problem log past its bound: each key is new
// once, the first one past the bound says so (to log that logging stops),
// and nothing after it is remembered or new.
func TestProblemLogBound(t *testing.T) {
	var l problemLog[string]
	for i := range maxReported {
		key := "route\x00problem " + strconv.Itoa(i)
		if isNew, full := l.first(key); !isNew || full {
			t.Fatalf("key %d: first = %v, %v; want new", i, isNew, full)
		}
		if isNew, _ := l.first(key); isNew {
			t.Fatalf("key %d: new twice", i)
		}
	}
	if isNew, full := l.first("route\x00one too many"); isNew || !full {
		t.Errorf("past the bound: first = %v, %v; want not new, full", isNew, full)
	}
	if isNew, full := l.first("route\x00another"); isNew || full {
		t.Errorf("after the bound: first = %v, %v; want neither", isNew, full)
	}
	if got, want := len(l.seen), maxReported+1; got != want {
		t.Errorf("%d keys remembered, want %d", got, want)
	}
}
