package render

import (
	"cmp"
	"log/slog"
	"sync"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// maxReported bounds the distinct page problems a Renderer remembers having
// logged. A problem that names something of the request (a channel per
// article, say) is distinct per request; past the bound the Renderer logs
// that it stops, then nothing more, rather than grow without end.
const maxReported = 256

// problemLog remembers the page problems a Renderer has logged, by route and
// text (or by a key of K that names one more cheaply than its text), so
// that each is logged once however many requests meet it. A page built per
// request (by its PageFunc) can only be checked then: see
// [Renderer.Check] for doing it at start.
type problemLog[K comparable] struct {
	mu   sync.Mutex
	seen map[K]struct{}
}

// first reports whether key is new, and remembers it; full reports that
// key is the first one past [maxReported], which is not remembered.
func (l *problemLog[K]) first(key K) (isNew, full bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[key]; ok {
		return false, false
	}
	switch {
	case len(l.seen) > maxReported:
		return false, false
	case len(l.seen) == maxReported:
		var bound K
		l.seen[bound] = struct{}{} // the bound's own line, logged once (the zero K is no problem's key)
		return false, true
	}
	if l.seen == nil {
		l.seen = make(map[K]struct{})
	}
	l.seen[key] = struct{}{}
	return true, false
}

// reported is a page that failed for mistakes [Renderer.Check] finds, which
// report has logged (once): end answers it with a 500 and no line of its
// own.
type reported struct{ err error }

func (e *reported) Error() string { return e.err.Error() }
func (e *reported) Unwrap() error { return e.err }

// checkFailed is called when the page of the request failed with err (its
// validation, its assets or its layout). It finds the page's mistakes as
// Check does, logs each not yet logged for this route, and returns err
// marked as reported. If Check finds nothing, err is not such a mistake (a
// layout that failed on its request's context, say): it is returned as it
// is, for end to log.
func (x *response) checkFailed(page *pagelet.Page, err error) error {
	probs := x.h.rd.failures(page)
	if len(probs) == 0 {
		return err
	}
	x.report(slog.LevelError, "page problem: each request for the route fails with 500 until it is fixed (logged once; render.Renderer.Check finds it at start)", probs)
	return &reported{err}
}

// report logs each of probs, the mistakes of the request's page, that has
// not been logged for its route before, with the route: the pattern the
// request matched in an [http.ServeMux], or else its path.
func (x *response) report(level slog.Level, msg string, probs []error) {
	rd := x.h.rd
	route := cmp.Or(x.r.Pattern, x.r.URL.Path)
	for _, p := range probs {
		isNew, full := rd.reported.first(route + "\x00" + p.Error())
		if full {
			rd.log.LogAttrs(x.ctx, slog.LevelError, "page problems: too many distinct ones; no more are logged",
				slog.Int("logged", maxReported))
		}
		if isNew {
			rd.log.LogAttrs(x.ctx, level, msg, slog.String("route", route),
				slog.String("request_id", x.id), slog.String("problem", p.Error()))
		}
	}
}
