package render_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// ExampleWithTracerProvider traces a page of one pagelet whose Load calls a
// backend with its context: the backend's span joins the page's trace, as
// a child of the pagelet's span. A real site gives the Renderer the
// provider its exporter feeds (OTLP, say) instead of this recorder.
func ExampleWithTracerProvider() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	reg, _ := assets.New(fstest.MapFS{})
	rd, _ := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)), render.WithTracerProvider(tp))
	backend := tp.Tracer("weather-client")
	weather := pagelet.Pagelet{
		ID: "weather",
		Load: func(ctx context.Context) (templ.Component, error) {
			_, call := backend.Start(ctx, "GET /forecast") // ctx carries the pagelet's span
			defer call.End()
			return templ.Raw("<p>21 °C</p>"), nil
		},
		Timeout: time.Second,
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{Title: "Forecast", Layout: func(slot pagelet.Slot) templ.Component { return slot("weather") },
			Pagelets: []pagelet.Pagelet{weather}}, nil
	}))

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") // the caller's trace
	mux.ServeHTTP(httptest.NewRecorder(), req)

	names := map[trace.SpanID]string{}
	for _, s := range rec.Ended() {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	for _, s := range rec.Ended() {
		parent := names[s.Parent().SpanID()]
		if parent == "" {
			parent = "the caller's span " + s.Parent().SpanID().String()
		}
		fmt.Printf("%s (trace %s), child of %s\n", s.Name(), s.SpanContext().TraceID(), parent)
	}
	// Output:
	// GET /forecast (trace 4bf92f3577b34da6a3ce929d0e0e4736), child of pagelet weather
	// pagelet weather (trace 4bf92f3577b34da6a3ce929d0e0e4736), child of GET /{$}
	// GET /{$} (trace 4bf92f3577b34da6a3ce929d0e0e4736), child of the caller's span 00f067aa0ba902b7
}
