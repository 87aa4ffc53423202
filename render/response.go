package render

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"go.opentelemetry.io/otel/trace"
)

// response is one request being answered: its id, nonce and context, the
// stream it is written to, and what the handler learns as it answers (the
// observer's [PageStats] and the page's log line). It is made by begin and
// used by the handler's goroutine alone.
type response struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request      // the request, with ctx as its context
	ctx    context.Context    // request id, nonce and the page deadline ([WithPageTimeout])
	vals   context.Context    // the request's context with its id and trace, before the nonce and the deadline
	cancel context.CancelFunc // ends ctx; nil without a page deadline
	id     string             // the request id
	nonce  string             // CSP nonce for every script element; "" without a policy
	csp    string             // the Content-Security-Policy naming nonce; "" without a policy
	// hv are the values of the headers the response sets for itself (its
	// id, its policy, its length): slices of this array cost no allocation
	// of their own.
	hv    [3]string
	pw    preflightWriter // the ResponseWriter the PageFunc gets
	s     stream          // the page's writes
	l     layout          // the page's layout, cut at its slots
	grant *LiveGrant      // the page's live connection; nil without live pagelets (see WithLive)
	span  trace.Span      // the page's span; nil without tracing (WithTracerProvider)

	start         time.Time
	mode          Mode
	status        int
	outcome       Outcome // "" until known
	preflightTime time.Duration
	layout        time.Duration
	skeleton      time.Duration
	pagelets      int
	failed        int
	bytes         int64
}

type responseKey struct{}

// The indexes of response.hv: a header's value is hv[i:i+1:i+1], so that
// one who adds to it (Header.Add) appends to a copy.
const (
	hvRequestID = iota
	hvCSP
	hvLength
)

// begin starts answering r: a request id (returned in X-Request-Id), a CSP
// nonce with [WithCSP], and the page's context, which carries both and
// ends at the page deadline, the PageFunc's and the layout's time included.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request) *response {
	x := &response{h: h, w: w, start: time.Now(), status: http.StatusOK, id: requestID(r)}
	ctx := context.WithValue(r.Context(), responseKey{}, x)
	if t := h.rd.tracer; t != nil {
		ctx = x.startSpan(ctx, t, r) // trace.go
	}
	x.vals = ctx // before the nonce: what a cached pagelet's shared Load may carry (cached.go)
	if h.csp {
		x.nonce, x.csp = newNonce()
		ctx = templ.WithNonce(ctx, x.nonce)
	}
	if h.pageTimeout > 0 {
		ctx, x.cancel = context.WithTimeout(ctx, h.pageTimeout)
	}
	x.ctx = ctx
	x.r = r.WithContext(ctx)
	x.s = stream{w: w, rc: *http.NewResponseController(w), x: x, writeTimeout: h.writeTimeout} // a value: no allocation of its own
	x.hv[hvRequestID] = x.id
	w.Header()[RequestIDHeader] = x.hv[hvRequestID : hvRequestID+1 : hvRequestID+1]
	if o := h.rd.observer; o != nil {
		o.PageStarted(x.r)
	}
	return x
}

// RequestID returns the id of the request being rendered, as logged with
// every line about it: in a PageFunc, a pagelet's Load or a component,
// from their context. It is "" outside a [Handler].
func RequestID(ctx context.Context) string {
	if x, ok := ctx.Value(responseKey{}).(*response); ok {
		return x.id
	}
	return ""
}

// since is the time since the response began.
func (x *response) since() time.Duration { return time.Since(x.start) }

// settle records how the response ended.
func (x *response) settle(o Outcome, status int) { x.outcome, x.status = o, status }

// finish ends the page's context and reports the request to the observer
// and the log. It runs deferred, also while the handler unwinds with
// http.ErrAbortHandler.
func (x *response) finish() {
	if x.cancel != nil {
		x.cancel()
	}
	x.s.release()
	if x.outcome == "" { // unwound by a panic nobody classified
		x.outcome = Aborted
	}
	h, r := x.h, x.r
	d := x.since()
	if o := h.rd.observer; o != nil {
		o.PageDone(r, PageStats{Mode: x.mode, Status: x.status, Outcome: x.outcome, Skeleton: x.skeleton,
			Duration: d, Pagelets: x.pagelets, Failed: x.failed, Bytes: x.bytes})
	}
	if x.span != nil {
		x.endSpan(d)
	}
	level := slog.LevelInfo
	switch {
	case x.outcome == Aborted || x.outcome == Failed:
		level = slog.LevelError
	case x.outcome == Shed || x.failed > 0:
		level = slog.LevelWarn
	}
	log := h.rd.log
	if !log.Enabled(x.ctx, level) {
		return
	}
	log.LogAttrs(x.ctx, level, "page",
		slog.String("request_id", x.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("mode", x.mode.String()),
		slog.Int("status", x.status),
		slog.String("outcome", string(x.outcome)),
		slog.Duration("skeleton", x.skeleton),
		slog.Duration("duration", d),
		slog.Int("pagelets", x.pagelets),
		slog.Int("failed", x.failed),
		slog.Int64("bytes", x.bytes),
	)
}
