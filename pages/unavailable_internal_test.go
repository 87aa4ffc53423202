package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestStoreAway: a store error of a database that is away, or a post's
// bound that ran out, becomes a 503 with Retry-After saying the post was
// not sent; any other error is left as it is (a 500, logged).
func TestStoreAway(t *testing.T) {
	other := errors.New("disk on fire")
	for _, tc := range []struct {
		name string
		err  error
		away bool
	}{
		{"unavailable", fmt.Errorf("pgstore: add comment: %w", store.ErrUnavailable), true},
		{"deadline", fmt.Errorf("store comment: %w", context.DeadlineExceeded), true},
		{"other", other, false},
		{"not found", store.ErrNotFound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := storeAway("comment", tc.err)
			fe, ok := errors.AsType[*form.Error](got)
			if !tc.away {
				if got != tc.err {
					t.Errorf("storeAway(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			if !ok || fe.Status != http.StatusServiceUnavailable || fe.Header.Get("Retry-After") == "" || !errors.Is(got, tc.err) {
				t.Fatalf("storeAway(%v) = %#v, want a 503 *form.Error with Retry-After wrapping it", tc.err, got)
			}
			if want := "Your comment was not sent"; len(fe.Message) < len(want) || fe.Message[:len(want)] != want {
				t.Errorf("message %q, want it to start %q", fe.Message, want)
			}
		})
	}
}
