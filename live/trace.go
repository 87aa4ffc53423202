package live

import (
	"context"

	"github.com/centrifugal/centrifuge"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the engine's spans.
const tracerName = "github.com/bigpipe-go/bigpipe/live"

// WithTracerProvider makes the engine trace its publications with
// OpenTelemetry: a producer span per [Feed.Publish], a child of the span in
// Publish's context, from the call to the broker's answer; and, on every
// instance the broker delivers the publication to (this one included), a
// consumer span for handing it to the instance's subscribers, linked to the
// publish span, whose W3C traceparent travels in the publication's tags.
// See docs/tracing.md.
//
// The default, and WithTracerProvider(nil), is no tracing, which costs
// nothing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		c.tracer = nil
		if tp != nil {
			c.tracer = tp.Tracer(tracerName)
		}
	}
}

// Attribute keys of the engine's spans, besides OpenTelemetry's messaging
// ones.
const (
	attrFeed        = attribute.Key("bigpipe.live.feed")
	attrKind        = attribute.Key("bigpipe.live.kind")
	attrKey         = attribute.Key("bigpipe.live.key")
	attrOffset      = attribute.Key("bigpipe.live.offset")
	attrEpoch       = attribute.Key("bigpipe.live.epoch")
	attrSubscribers = attribute.Key("bigpipe.live.subscribers")
)

// startPublish starts the span of a publication to channel of the feed s
// and returns the context that carries it.
func startPublish(ctx context.Context, t trace.Tracer, s *feedSpec, channel, key string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "centrifuge"),
		attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", channel),
		attrFeed.String(s.name),
		attrKind.String(s.kind.String()),
	}
	if key != "" {
		attrs = append(attrs, attrKey.String(key))
	}
	return t.Start(ctx, "publish "+s.name, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
}

// injectTrace adds the W3C trace context of ctx's span to a publication's
// tags, for the instances it is delivered to.
func injectTrace(ctx context.Context, tags map[string]string) {
	propagation.TraceContext{}.Inject(ctx, propagation.MapCarrier(tags))
}

// endPublish ends a publication's span with where it landed in the
// channel's stream, or its error.
func endPublish(sp trace.Span, res centrifuge.PublishResult, size int, err error) {
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codes.Error, err.Error())
	} else {
		sp.SetAttributes(attribute.Int("messaging.message.body.size", size),
			attrOffset.Int64(int64(res.Offset)), attrEpoch.String(res.Epoch))
	}
	sp.End()
}

// startDelivery starts the span of the node handing a publication that the
// broker delivered here to this instance's subscribers of ch: a new trace,
// linked to the publication's own span when its tags carry one.
func (e *Engine) startDelivery(t trace.Tracer, ch string, pub *centrifuge.Publication, sp centrifuge.StreamPosition) trace.Span {
	name := "deliver"
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "centrifuge"),
		attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", ch),
		attrOffset.Int64(int64(sp.Offset)),
		attrEpoch.String(sp.Epoch),
		attrSubscribers.Int(e.node.Hub().NumSubscribers(ch)),
	}
	if s := e.lookup(ch); s != nil {
		name += " " + s.name
		attrs = append(attrs, attrFeed.String(s.name))
	}
	opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...)}
	if pub != nil && len(pub.Tags) > 0 {
		ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier(pub.Tags))
		if psc := trace.SpanContextFromContext(ctx); psc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: psc}))
		}
	}
	_, span := t.Start(context.Background(), name, opts...)
	return span
}
