package pages

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/render"
)

// TestBothPanic: a fetch of both that panics, in either position, gives
// the pagelet a *render.PanicError with the stack (which the renderer logs
// and answers with the fallback) instead of crashing the process, and the
// other fetch's context is cancelled.
func TestBothPanic(t *testing.T) {
	for _, first := range []bool{true, false} {
		panics := func(context.Context) (int, error) { panic("boom") }
		waits := func(ctx context.Context) (int, error) {
			<-ctx.Done() // returns only once the panic cancelled it
			return 0, ctx.Err()
		}
		var err error
		if first {
			_, _, err = both(context.Background(), "finance", panics, waits)
		} else {
			_, _, err = both(context.Background(), "finance", waits, panics)
		}
		var pe *render.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("first %v: err = %v (%T), want a *render.PanicError", first, err, err)
		}
		if pe.ID != "finance" || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "TestBothPanic") {
			t.Errorf("first %v: PanicError{ID: %q, Value: %v}, stack:\n%s\nwant the pagelet's id, the panic value and the panicking fetch's stack", first, pe.ID, pe.Value, pe.Stack)
		}
	}
}

// TestBothCancels: the first fetch to fail cancels the other's context,
// and its error is the one returned; the pagelet's own context stays alive.
func TestBothCancels(t *testing.T) {
	errBackend := errors.New("backend down")
	fails := func(context.Context) (string, error) { return "", errBackend }
	var otherErr error
	waits := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		otherErr = context.Cause(ctx)
		return 0, ctx.Err()
	}
	ctx := context.Background()
	_, _, err := both(ctx, "sports", fails, waits)
	if !errors.Is(err, errBackend) {
		t.Errorf("err = %v, want %v", err, errBackend)
	}
	if !errors.Is(otherErr, errBackend) {
		t.Errorf("the other fetch's context ended with %v, want cancelled by %v", otherErr, errBackend)
	}
	if ctx.Err() != nil {
		t.Errorf("the caller's context ended: %v", ctx.Err())
	}
}

// TestBothResults: with no failure both results come back.
func TestBothResults(t *testing.T) {
	a, b, err := both(context.Background(), "mostread",
		func(context.Context) (string, error) { return "a", nil },
		func(context.Context) (int, error) { return 2, nil })
	if a != "a" || b != 2 || err != nil {
		t.Errorf("both = %q, %d, %v; want a, 2, nil", a, b, err)
	}
}
