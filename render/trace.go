package render

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// tracerName is the instrumentation scope of the Renderer's spans.
const tracerName = "github.com/bigpipe-go/bigpipe/render"

// WithTracerProvider makes the Renderer trace every page it serves with
// OpenTelemetry: a server span per request, which continues the caller's
// trace when the request carries a W3C traceparent header (or a span is in
// its context already, from a middleware), and a child span per pagelet,
// which is in the context its Load gets, so that a backend call made with
// that context joins the page's trace. See docs/tracing.md for the spans'
// names, attributes and events.
//
// The default, and WithTracerProvider(nil), is no tracing, which costs
// nothing: no span, no allocation, no header read.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return rendererOption(func(c *config) {
		c.tracer = nil
		if tp != nil {
			c.tracer = tp.Tracer(tracerName)
		}
	})
}

// Attribute keys of the Renderer's spans, besides OpenTelemetry's HTTP ones.
const (
	attrRequestID = attribute.Key("bigpipe.request_id")
	attrMode      = attribute.Key("bigpipe.mode")
	attrOutcome   = attribute.Key("bigpipe.outcome")
	attrPagelets  = attribute.Key("bigpipe.pagelets")
	attrFailed    = attribute.Key("bigpipe.failed")
	attrBytes     = attribute.Key("bigpipe.bytes")
	attrPagelet   = attribute.Key("bigpipe.pagelet")
	attrChannel   = attribute.Key("bigpipe.live.channel")
	attrFailure   = attribute.Key("bigpipe.failure")
	attrQueue     = attribute.Key("bigpipe.queue_ms")
	attrFetch     = attribute.Key("bigpipe.fetch_ms")
	attrRender    = attribute.Key("bigpipe.render_ms")
)

// startSpan starts the page's span under ctx, as a child of the span ctx
// carries already or else of the request's traceparent, and returns the
// context that carries it.
func (x *response) startSpan(ctx context.Context, t trace.Tracer, r *http.Request) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		attrRequestID.String(x.id),
	}
	name := r.Method
	if route := route(r); route != "" {
		name += " " + route
		attrs = append(attrs, attribute.String("http.route", route))
	}
	ctx, x.span = t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(x.start), trace.WithAttributes(attrs...))
	return ctx
}

// route is the path of the ServeMux pattern r matched, "" if none.
func route(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 { // "GET /{$}"
		p = p[i+1:]
	}
	if i := strings.IndexByte(p, '/'); i > 0 { // "example.com/…": keep the path
		p = p[i:]
	}
	return p
}

// endSpan ends the page's span, d after the response began, with how it
// went: the mode, status and outcome, the time of the first byte as an
// event, and an error status for a page that failed or was aborted.
func (x *response) endSpan(d time.Duration) {
	sp := x.span
	sp.SetAttributes(
		attrMode.String(x.mode.String()),
		attribute.Int("http.response.status_code", x.status),
		attrOutcome.String(string(x.outcome)),
		attrPagelets.Int(x.pagelets),
		attrFailed.Int(x.failed),
		attrBytes.Int64(x.bytes),
	)
	if x.skeleton > 0 {
		sp.AddEvent("first byte", trace.WithTimestamp(x.start.Add(x.skeleton)))
	}
	switch x.outcome {
	case Failed, Aborted:
		sp.SetStatus(codes.Error, string(x.outcome))
	}
	sp.End(trace.WithTimestamp(x.start.Add(d)))
}

// startPageletSpan starts p's span as a child of the page's span in ctx.
func startPageletSpan(ctx context.Context, t trace.Tracer, p *pagelet.Pagelet, now time.Time) trace.Span {
	attrs := []attribute.KeyValue{attrPagelet.String(p.ID)}
	if p.Channel != "" {
		attrs = append(attrs, attrChannel.String(p.Channel))
	}
	_, sp := t.Start(ctx, "pagelet "+p.ID, trace.WithTimestamp(now), trace.WithAttributes(attrs...))
	return sp
}

// endPageletSpan ends a pagelet's span once it has settled: its queue,
// fetch and render times as attributes and, if it shows its fallback, why.
func endPageletSpan(sp trace.Span, res *result, fail Failure) {
	sp.SetAttributes(
		attrQueue.Float64(ms(res.queue)),
		attrFetch.Float64(ms(res.fetch)),
		attrRender.Float64(ms(res.render)),
	)
	if res.err != nil {
		sp.SetAttributes(attrFailure.String(string(fail)))
		sp.RecordError(res.err)
		sp.SetStatus(codes.Error, string(fail))
	}
	sp.End()
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
