package live_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"testing/fstest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
)

// ExampleWithTracerProvider traces a publication: a producer span under the
// span of whatever published (here an editor's request), and a consumer
// span for its delivery to this instance's pages, in a trace of its own
// linked to the publication's (with Redis, on every instance it reaches).
func ExampleWithTracerProvider() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	site, _ := assets.New(fstest.MapFS{})
	eng, err := live.New(site, live.WithSecret([]byte("example secret, 32 bytes or more")),
		live.WithLogger(slog.New(slog.DiscardHandler)), live.WithTracerProvider(tp))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = eng.Close(context.Background()) }()
	scores := live.State(eng, "scores", scoreView)

	ctx, editor := tp.Tracer("newsroom").Start(context.Background(), "POST /admin/score")
	if err := scores.Publish(ctx, "scores", Score{Home: "Harbour", Away: "Mill Lane", HomeGoals: 2}); err != nil {
		log.Fatal(err)
	}
	editor.End()

	spans := rec.Ended()
	names := map[string]string{}
	for _, s := range spans {
		names[s.SpanContext().SpanID().String()] = s.Name()
	}
	for _, s := range spans {
		switch {
		case len(s.Links()) > 0:
			fmt.Printf("%s (%s), linked to %s\n", s.Name(), s.SpanKind(), names[s.Links()[0].SpanContext.SpanID().String()])
		case s.Parent().IsValid():
			fmt.Printf("%s (%s), child of %s\n", s.Name(), s.SpanKind(), names[s.Parent().SpanID().String()])
		default:
			fmt.Printf("%s (%s)\n", s.Name(), s.SpanKind())
		}
	}
	// Output:
	// deliver scores (consumer), linked to publish scores
	// publish scores (producer), child of POST /admin/score
	// POST /admin/score (internal)
}
