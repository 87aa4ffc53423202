package pages

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestDetach: a detached context outlives its parent's cancellation but
// not its deadline, and keeps its values.
func TestDetach(t *testing.T) {
	type key struct{}
	synctest.Test(t, func(t *testing.T) {
		parent, cancelParent := context.WithTimeout(context.WithValue(context.Background(), key{}, "v"), time.Second)
		defer cancelParent()
		ctx, cancel := detach(parent)
		defer cancel()
		if d, ok := ctx.Deadline(); !ok || !d.Equal(time.Now().Add(time.Second)) {
			t.Errorf("deadline %v %v, want the parent's, a second from now", d, ok)
		}
		if ctx.Value(key{}) != "v" {
			t.Error("the parent's value is lost")
		}
		cancelParent()
		synctest.Wait()
		if ctx.Err() != nil {
			t.Errorf("canceled with its parent: %v", ctx.Err())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if ctx.Err() != context.DeadlineExceeded {
			t.Errorf("after the deadline: %v, want deadline exceeded", ctx.Err())
		}

		free, cancel := detach(context.Background())
		defer cancel()
		if _, ok := free.Deadline(); ok {
			t.Error("a context without a deadline got one")
		}
	})
}
