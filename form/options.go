package form

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
)

// DefaultMaxBytes bounds a post's body unless [WithMaxBytes] says otherwise.
const DefaultMaxBytes = 64 << 10

// Option configures [New].
type Option func(*Handler)

// WithCrossOriginProtection sets the cross-origin check run before anything
// else (403 on failure). The default is [http.NewCrossOriginProtection]:
// browsers' Sec-Fetch-Site and Origin headers must say same-origin (or
// none, as non-browser clients send). Give one with trusted origins added
// if other sites of yours post to this form; nil turns the check off.
func WithCrossOriginProtection(p *http.CrossOriginProtection) Option {
	return func(h *Handler) { h.cop = p }
}

// WithToken adds a CSRF token to the form ([TokenField]): the HMAC, keyed by
// secret, of a random id kept in the cookie named cookie (HttpOnly,
// SameSite=Lax; [Handler.Fields] sets it). It protects browsers too old to
// send Sec-Fetch-Site or Origin, and forms that the cross-origin check lets
// through. Every instance of a site must share secret, or a form served by
// one is refused by another; an empty secret draws a random one per
// Handler. An empty cookie turns the token off (the default).
func WithToken(cookie string, secret []byte) Option {
	return func(h *Handler) {
		h.cookie = cookie
		h.secret = append([]byte(nil), secret...)
	}
}

// WithReplays sets where successful submissions are remembered, for a site
// whose instances share one; nil turns replays off (every post runs the
// action). The default is in memory, bounded by [WithReplayLimits].
func WithReplays(r Replays) Option {
	return func(h *Handler) { h.replays, h.replaysSet = r, true }
}

// WithReplayLimits bounds the default, in-memory [Replays]: a success is
// remembered for ttl, and at most entries of them (the oldest go first).
// Defaults: [DefaultReplayTTL], [DefaultReplayEntries].
func WithReplayLimits(ttl time.Duration, entries int) Option {
	return func(h *Handler) { h.ttl, h.entries = ttl, entries }
}

// WithMaxBytes bounds a post's body ([DefaultMaxBytes]); a longer one is
// refused with 413.
func WithMaxBytes(n int64) Option { return func(h *Handler) { h.maxBytes = n } }

// WithMaxInFlight bounds the posts whose action runs at once: one more
// is refused at once with 503 and Retry-After (the form shown again with
// its text to a browser without JavaScript), rather than waiting behind
// the others for a store that is already saturated. n ≤ 0 means no bound
// (the default). A retry of a submission that is running waits for it
// without taking a place.
func WithMaxInFlight(n int) Option {
	return func(h *Handler) {
		h.running = nil
		if n > 0 {
			h.running = make(chan struct{}, n)
		}
	}
}

// WithOutcomes calls f with how each answered post ended ([Outcome]),
// once per post, from the goroutine that answers it: f must not block. A
// post whose client left before its answer is not reported.
func WithOutcomes(f func(Outcome)) Option { return func(h *Handler) { h.outcome = f } }

// WithErrorPage sets the page a plain browser post gets when it is refused:
// typically the form again, filled with f.Values, each of f.Fields next to
// its field, and f.Form's hidden fields. The Handler writes the status
// f.Status and the headers; page writes the HTML body. Without it, or if it
// fails, a minimal page says what went wrong and that the browser's Back
// button returns to the form with its text.
func WithErrorPage(page func(r *http.Request, f *Failure) templ.Component) Option {
	return func(h *Handler) { h.page = page }
}

// WithLogger sets where the Handler logs the failures it does not tell the
// client about: an action's error or panic. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// config finishes h after its options.
func (h *Handler) config() {
	if h.cookie != "" && len(h.secret) == 0 {
		h.secret = make([]byte, 32)
		_, _ = rand.Read(h.secret) // never fails (crypto/rand)
	}
	if !h.replaysSet {
		h.replays = newMemory(h.ttl, h.entries)
	}
	if h.maxBytes <= 0 {
		h.maxBytes = DefaultMaxBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
}
