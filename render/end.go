package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// requestError is a request the handler cannot answer as asked (a bad
// mode, say): a 400 with its text.
type requestError struct{ err error }

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// errShed is a page beyond Limits.Pages, or whose pagelets do not fit in
// the fetch budget (see [Limits]).
var errShed = errors.New("render: over the page or fetch limit")

// pageEnded is a page whose context ended before it was complete: its
// deadline passed, the client went away, or the server cancelled it.
type pageEnded struct{ cause error }

func (e *pageEnded) Error() string { return "render: page ended: " + e.cause.Error() }
func (e *pageEnded) Unwrap() error { return e.cause }

// end ends the response after its last step. A nil err is a complete
// response. Before the first byte a failure still gets a status: 400 for a
// bad request, 503 for a page shed or out of time, 500 for a page that
// could not be built. After it, the connection is aborted
// ([http.ErrAbortHandler]), so that neither the client nor a cache in
// between sees a clean end of a truncated page.
func (x *response) end(err error) {
	if err == nil {
		if x.outcome == "" {
			x.outcome = Complete
		}
		return
	}
	if x.s.started {
		x.outcome = x.cutShort(err)
		panic(http.ErrAbortHandler)
	}
	var bad *requestError
	var ended *pageEnded
	var known *reported
	switch {
	case errors.As(err, &bad):
		x.settle(Rejected, http.StatusBadRequest)
		http.Error(x.w, "400 bad request: "+err.Error(), http.StatusBadRequest)
	case errors.Is(err, errShed):
		x.shed()
	case errors.As(err, &ended), x.ctx.Err() != nil, errors.Is(err, errClientGone):
		// Out of time before the first byte (the PageFunc or the layout
		// took the page's whole deadline, say): a clean 503 is still possible.
		x.settle(x.cutShort(err), http.StatusServiceUnavailable)
		http.Error(x.w, "503 page could not be completed in time", http.StatusServiceUnavailable)
	case errors.As(err, &known): // logged once, when first met
		x.settle(Failed, http.StatusInternalServerError)
		http.Error(x.w, "500 internal server error", http.StatusInternalServerError)
	default:
		x.settle(Failed, http.StatusInternalServerError)
		x.h.rd.log.LogAttrs(x.ctx, slog.LevelError, "page failed", slog.String("request_id", x.id),
			slog.String("path", x.r.URL.Path), slog.Any("err", err))
		http.Error(x.w, "500 internal server error", http.StatusInternalServerError)
	}
}

// cutShort is the outcome of a page that could not be completed: the
// client went away (a failed write, or net/http's bare cancel on a
// disconnect), or the page was aborted (its deadline, a server cancelling
// with a cause).
func (x *response) cutShort(err error) Outcome {
	cause := context.Cause(x.ctx)
	if errors.Is(err, errClientGone) || cause == context.Canceled { //nolint:errorlint // a bare cancel, as net/http's on disconnect
		return ClientGone
	}
	return Aborted
}

// shed answers a page beyond the page limit or the fetch budget: 503 with
// Retry-After, before any work started.
func (x *response) shed() {
	x.settle(Shed, http.StatusServiceUnavailable)
	retry := max(1, int((x.h.rd.limits.RetryAfter+time.Second-1)/time.Second))
	x.w.Header().Set("Retry-After", strconv.Itoa(retry))
	x.h.rd.log.LogAttrs(x.ctx, slog.LevelWarn, "page shed: over the page or fetch limit", slog.String("request_id", x.id),
		slog.String("path", x.r.URL.Path), slog.Int("pagelets", x.pagelets))
	http.Error(x.w, "503 service unavailable: the server is at capacity, retry in "+strconv.Itoa(retry)+"s", http.StatusServiceUnavailable)
}

// recover turns a panic while writing (a layout or placeholder component
// that panics, say) into a 500 if nothing was sent yet, or into an aborted
// connection if the page was already under way, so that a truncated page
// never looks like a whole one. It runs deferred in ServeHTTP.
func (x *response) recover() {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler { //nolint:errorlint // compared by identity, as net/http does
		panic(v)
	}
	x.h.rd.log.LogAttrs(x.ctx, slog.LevelError, "page panicked", slog.String("request_id", x.id),
		slog.String("path", x.r.URL.Path), slog.String("panic", fmt.Sprint(v)))
	if !x.s.started {
		x.settle(Failed, http.StatusInternalServerError)
		http.Error(x.w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	x.outcome = Aborted
	panic(http.ErrAbortHandler)
}
