package live

import "context"

// await runs call, a blocking node call that takes no context (a history
// or presence read in Redis), and returns its result, or ctx's cause once
// ctx is done first. The call's goroutine then still ends when the call
// does: its one answer goes to a buffered channel nobody must read.
func await[T any](ctx context.Context, call func() (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	done := make(chan answer, 1)
	go func() {
		v, err := call()
		done <- answer{v, err}
	}()
	select {
	case a := <-done:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
