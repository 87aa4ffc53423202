package render

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors the renderer reports. Pagelet failures wrap them; test with errors.Is.
var (
	// ErrTimeout means a pagelet did not finish within its Timeout. The
	// error a Fallback gets for it wraps context.DeadlineExceeded too.
	ErrTimeout = errors.New("timed out")
	// ErrNilComponent means a pagelet's Load returned neither a component nor an error.
	ErrNilComponent = errors.New("nil component from Load")
	// ErrBadMode is a request for a mode that does not exist.
	ErrBadMode = errors.New("render: bad mode")
	// ErrLayout is a layout that does not place every pagelet exactly once.
	ErrLayout = errors.New("render: bad layout")

	// errLayoutNonce is a layout with a LayoutKey that writes the
	// request's CSP nonce: it is rendered for each request instead.
	errLayoutNonce = errors.New("render: a layout with a LayoutKey writes the request's CSP nonce")
	// ErrNotLive is a live pagelet (one with a Channel) on a Renderer
	// without a live engine ([WithLive]): it would never update. See
	// [Renderer.Check].
	ErrNotLive = errors.New("render: live pagelet, but the renderer has no live engine")
	// ErrChannel is a live pagelet whose channel the live engine does not
	// grant (no feed declares it, say): the page would get no live updates
	// at all. See [Renderer.Check].
	ErrChannel = errors.New("render: live channel not granted")
	// ErrNotCached is a pagelet with a cache policy on a Renderer without
	// a cache ([WithCache]), or with a policy that cannot work (a negative
	// duration): its Load would run for every request. See
	// [Renderer.Check].
	ErrNotCached = errors.New("render: cached pagelet, but it cannot be cached")
	// ErrNotMounted is an endpoint the pages link that the site's handler
	// does not serve. See [Renderer.CheckMounted].
	ErrNotMounted = errors.New("render: endpoint not mounted")
)

// PageletError is why a pagelet shows its fallback: its Load or component
// failed, it timed out ([ErrTimeout]), or the page ended first (its error is
// then the page context's cause). A pagelet's Fallback gets it.
type PageletError struct {
	ID  string // pagelet id
	Err error  // what went wrong
}

func (e *PageletError) Error() string {
	return "render: pagelet " + strconv.Quote(e.ID) + ": " + e.Err.Error()
}

// Unwrap returns what went wrong.
func (e *PageletError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from a pagelet's Load or component. It
// becomes that pagelet's fallback; the page and the process carry on.
type PanicError struct {
	ID    string // pagelet id
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("render: pagelet %q panicked: %v", e.ID, e.Value)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
