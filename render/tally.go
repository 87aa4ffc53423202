package render

import (
	"log/slog"
	"net/http"
	"time"
)

// tally is what the handler learns about one request as it answers it: the
// observer's [PageStats] and the log line of the request.
type tally struct {
	start     time.Time
	mode      Mode
	status    int
	outcome   Outcome // "" until known; a handler unwinding on a panic set it before
	preflight time.Duration
	layout    time.Duration
	skeleton  time.Duration
	pagelets  int
	failed    int
	bytes     int64
	pw        preflightWriter // the ResponseWriter the PageFunc gets; kept here to save an allocation
}

// end records how the response ended.
func (t *tally) end(o Outcome, status int) { t.outcome, t.status = o, status }

// finish reports the request to the observer and the log. It runs deferred,
// also while the handler unwinds with http.ErrAbortHandler.
func (h *Handler) finish(r *http.Request, t *tally) {
	if t.outcome == "" { // unwound by a panic nobody classified
		t.outcome = Aborted
	}
	d := time.Since(t.start)
	if h.observer != nil {
		h.observer.PageDone(r, PageStats{Mode: t.mode, Status: t.status, Outcome: t.outcome, Skeleton: t.skeleton,
			Duration: d, Pagelets: t.pagelets, Failed: t.failed, Bytes: t.bytes})
	}
	level := slog.LevelInfo
	if t.outcome == Aborted || t.outcome == Failed {
		level = slog.LevelError
	} else if t.outcome == Shed || t.failed > 0 {
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	h.log.LogAttrs(ctx, level, "page",
		slog.String("request_id", RequestID(ctx)),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("mode", t.mode.String()),
		slog.Int("status", t.status),
		slog.String("outcome", string(t.outcome)),
		slog.Duration("skeleton", t.skeleton),
		slog.Duration("duration", d),
		slog.Int("pagelets", t.pagelets),
		slog.Int("failed", t.failed),
		slog.Int64("bytes", t.bytes),
	)
}

// preflightWriter records the status a PageFunc answers with, if it does.
type preflightWriter struct {
	http.ResponseWriter
	status int
}

func (w *preflightWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *preflightWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *preflightWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
