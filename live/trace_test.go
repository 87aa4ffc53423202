package live_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/live"
)

// tracer returns a tracer provider whose ended spans rec records.
func tracer(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// spanNamed returns the first span named name that rec has seen end.
func spanNamed(rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	for _, s := range rec.Ended() {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// checkDelivery checks that deliver is a consumer span of a trace of its
// own, linked to publish.
func checkDelivery(t *testing.T, publish, deliver sdktrace.ReadOnlySpan) {
	t.Helper()
	if got, want := deliver.SpanKind(), trace.SpanKindConsumer; got != want {
		t.Errorf("deliver span kind %v, want %v", got, want)
	}
	if deliver.SpanContext().TraceID() == publish.SpanContext().TraceID() {
		t.Error("deliver span in the publication's trace, want a trace of its own, linked")
	}
	links := deliver.Links()
	if len(links) != 1 || !links[0].SpanContext.WithRemote(false).Equal(publish.SpanContext()) {
		t.Errorf("deliver span's links %v, want the publish span %v", links, publish.SpanContext())
	}
}

// TestTracePublish: with the memory broker, a publication is a producer
// span under the caller's span, and its delivery here a consumer span
// linked to it.
func TestTracePublish(t *testing.T) {
	checkLeaks(t)
	tp, rec := tracer(t)
	f := newFixture(t, live.WithTracerProvider(tp))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "editor")
	if err := f.comments.Publish(ctx, "comments:x", "<p>first</p>", live.WithKey("k1")); err != nil {
		t.Fatal(err)
	}
	parent.End()
	publish, deliver := spanNamed(rec, "publish comments:"), spanNamed(rec, "deliver comments:")
	if publish == nil || deliver == nil {
		t.Fatalf("spans %v: want publish comments: and deliver comments:", rec.Ended())
	}
	if got, want := publish.SpanKind(), trace.SpanKindProducer; got != want {
		t.Errorf("publish span kind %v, want %v", got, want)
	}
	if got, want := publish.Parent().SpanID(), parent.SpanContext().SpanID(); got != want {
		t.Errorf("publish span's parent %v, want the caller's %v", got, want)
	}
	attrs := map[string]string{}
	for _, a := range publish.Attributes() {
		attrs[string(a.Key)] = a.Value.String()
	}
	for k, want := range map[string]string{"messaging.destination.name": "comments:x", "bigpipe.live.offset": "1", "bigpipe.live.key": "k1"} {
		if got := attrs[k]; got != want {
			t.Errorf("publish span %s = %q, want %q", k, got, want)
		}
	}
	checkDelivery(t, publish, deliver)
}

// TestTraceDeliveryAcrossInstances: a publication made on instance A
// reaches instance B through Redis with its trace context in its tags: B's
// delivery span is linked to A's publish span.
func TestTraceDeliveryAcrossInstances(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	tpA, recA := tracer(t)
	tpB, recB := tracer(t)
	a := newFixture(t, live.WithRedis(r.URL), live.WithTracerProvider(tpA))
	b := newFixture(t, live.WithRedis(r.URL), live.WithTracerProvider(tpB))
	s := b.dialSSE(t, connectCmd(t, a.token(t, "scores"), nil)) // B subscribes to scores in Redis
	s.connected(t)
	if err := a.scores.Publish(context.Background(), "scores", "<p>1 – 0</p>"); err != nil {
		t.Fatal(err)
	}
	if ch, _ := s.nextPub(t, 5*time.Second); ch != "scores" {
		t.Fatalf("got a publication on %q, want scores", ch)
	}
	publish := spanNamed(recA, "publish scores")
	if publish == nil {
		t.Fatalf("A's spans %v: no publish scores", recA.Ended())
	}
	var deliver sdktrace.ReadOnlySpan
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := testenv.Poll(ctx, 10*time.Millisecond, func() (bool, error) { // ended just after the client was sent it
		deliver = spanNamed(recB, "deliver scores")
		return deliver != nil, nil
	})
	if err != nil {
		t.Fatalf("B's spans %v: no deliver scores: %v", recB.Ended(), err)
	}
	checkDelivery(t, publish, deliver)
}
