package render

import (
	"net/http"
	"time"
)

// Observer is told how every request a [Handler] answers went, and how
// every pagelet of it went: the place to count them (the metrics package
// exports them to Prometheus). Set it with [WithObserver].
//
// Its methods are called from the handler goroutine, in the order
// PageStarted, PageletDone (once per pagelet that settled), PageDone. They
// must be safe for concurrent use, since many requests run at once, and
// must not block: the stream waits for them.
type Observer interface {
	// PageStarted is called when the handler begins answering r, before
	// anything else (its mode is not known yet).
	PageStarted(r *http.Request)
	// PageletDone is called once a pagelet's content or fallback is ready
	// to be written, and for every pagelet given up when the page ends
	// early (with [FailCanceled]).
	PageletDone(r *http.Request, s PageletStats)
	// PageDone is called when the handler returns, once per PageStarted.
	PageDone(r *http.Request, s PageStats)
}

// Outcome is how a response ended.
type Outcome string

// The outcomes of a response.
const (
	// Complete: the whole page (or a deliberate answer of the preflight,
	// a HEAD, an OPTIONS) was handed to the connection.
	Complete Outcome = "complete"
	// Rejected: the request was bad (a 4xx, such as an unknown mode).
	Rejected Outcome = "rejected"
	// Shed: the renderer was over its [Limits] and answered 503 with
	// Retry-After.
	Shed Outcome = "shed"
	// Failed: the page could not be built (a 5xx before the first byte).
	Failed Outcome = "failed"
	// ClientGone: the client went away, or stopped reading for longer
	// than the write timeout, before the page was complete.
	ClientGone Outcome = "client_gone"
	// Aborted: the page had started but could not be completed (the page
	// deadline passed or it panicked), so the connection was cut.
	Aborted Outcome = "aborted"
)

// PageStats describes one answered request.
type PageStats struct {
	Mode     Mode          // the mode it was rendered in; Pipelined if it was never decided
	Status   int           // HTTP status sent (200 for a page, even one later aborted)
	Outcome  Outcome       // how it ended
	Skeleton time.Duration // from the start of ServeHTTP to the first byte handed to the connection; 0 if none
	Duration time.Duration // from the start of ServeHTTP to its end
	Pagelets int           // pagelets on the page
	Failed   int           // pagelets that got their fallback (or were given up)
	Bytes    int64         // body bytes handed to the connection, before any compression
}

// Failure is why a pagelet shows its fallback.
type Failure string

// The pagelet failures.
const (
	FailNone     Failure = ""         // the pagelet rendered its content
	FailError    Failure = "error"    // Load or the component returned an error
	FailPanic    Failure = "panic"    // Load or the component panicked
	FailTimeout  Failure = "timeout"  // its Timeout passed, loading or waiting for a fetch slot
	FailCanceled Failure = "canceled" // the page ended first (client gone, page deadline)
)

// PageletStats describes one settled pagelet.
type PageletStats struct {
	ID      string
	Mode    Mode
	Queue   time.Duration // waiting for a fetch slot (see [Limits])
	Fetch   time.Duration // in Load
	Render  time.Duration // rendering its component into a buffer
	Failure Failure       // FailNone if its content is shown
	Err     error         // why, if it failed
	// Cache is how the cache served it (see package cache's Outcome:
	// hit, stale, miss, coalesced, stale-if-error, failed); "" for a
	// pagelet without a cache policy.
	Cache string
}
