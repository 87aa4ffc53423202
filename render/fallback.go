package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// ctxErr explains why a pagelet's context ended, given the page's context:
// if the page is still on, the pagelet's own timeout fired.
func ctxErr(page context.Context, id string, timeout time.Duration) error {
	if page.Err() == nil {
		return &PageletError{ID: id, Err: fmt.Errorf("%w after %v: %w", ErrTimeout, timeout, context.DeadlineExceeded)}
	}
	return &PageletError{ID: id, Err: context.Cause(page)}
}

// defaultFallback is shown for a failed pagelet that has no Fallback of its own.
const defaultFallback = `<div class="pagelet-error" role="status"><p>This section could not be loaded.</p></div>`

// fallback logs why p failed and renders its fallback for err; if that
// fails too, the generic one.
func (h *Handler) fallback(ctx context.Context, p *pagelet.Pagelet, err error) *bytes.Buffer {
	log := h.rd.log
	var pe *PanicError
	if errors.As(err, &pe) {
		log.LogAttrs(ctx, slog.LevelError, "pagelet panicked", slog.String("request_id", RequestID(ctx)), slog.String("pagelet", p.ID),
			slog.String("panic", fmt.Sprint(pe.Value)), slog.String("stack", string(pe.Stack)))
	} else {
		log.LogAttrs(ctx, slog.LevelWarn, "pagelet failed", slog.String("request_id", RequestID(ctx)), slog.String("pagelet", p.ID),
			slog.String("failure", string(failure(err))), slog.Any("err", err))
	}
	buf := getBuf()
	if p.Fallback != nil {
		if renderSafely(context.WithoutCancel(ctx), p.Fallback, err, buf) == nil {
			return buf
		}
		buf.Reset()
	}
	buf.WriteString(defaultFallback)
	return buf
}

// renderSafely renders f(cause) into buf, turning a panic into an error.
func renderSafely(ctx context.Context, f func(error) templ.Component, cause error, buf *bytes.Buffer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("fallback panicked: %v", v)
		}
	}()
	c := f(cause)
	if c == nil {
		return ErrNilComponent
	}
	return c.Render(ctx, buf)
}

// failure classifies why a pagelet failed.
func failure(err error) Failure {
	if err == nil {
		return FailNone
	}
	switch {
	case isPanic(err):
		return FailPanic
	case errors.Is(err, ErrTimeout):
		return FailTimeout
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return FailCanceled
	}
	return FailError
}

// isPanic reports whether err is a recovered panic.
func isPanic(err error) bool {
	var pe *PanicError
	return errors.As(err, &pe)
}
