package render_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// The caller's trace, as a W3C traceparent header carries it.
const (
	callerTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan   = "00f067aa0ba902b7"
	callerHeader = "00-" + callerTrace + "-" + callerSpan + "-01"
)

// tracedPage is a page of four pagelets, each of which records the span
// context its Load was given: one fine, one 30 ms slow, one failing and one
// past its timeout.
func tracedPage(seen *spanContexts) *pagelet.Page {
	load := func(id string, d time.Duration, err error) pagelet.Pagelet {
		return pagelet.Pagelet{
			ID: id,
			Load: func(ctx context.Context) (templ.Component, error) {
				seen.put(id, trace.SpanContextFromContext(ctx))
				t := time.NewTimer(d)
				defer t.Stop()
				select {
				case <-t.C:
					return text(marker(id)), err
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			},
			Timeout: time.Second,
		}
	}
	late := load("late", time.Hour, nil)
	late.Timeout = 20 * time.Millisecond
	return pageOf(load("fine", 0, nil), load("slow", 30*time.Millisecond, nil), load("broken", 0, errors.New("backend down")), late)
}

// TestTracePage serves a traced page in each mode, with a caller's
// traceparent, and checks the spans: one server span for the page that
// continues the caller's trace, with its mode and outcome, and a child span
// per pagelet, which is what each Load finds in its context, at least as
// long as the pagelet's delay, with its failure if it has one.
func TestTracePage(t *testing.T) {
	for _, mode := range []render.Mode{render.Pipelined, render.Native, render.InOrder, render.Serial} {
		t.Run(mode.String(), func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithTracerProvider(tp))
			if err != nil {
				t.Fatal(err)
			}
			seen := new(spanContexts)
			page := tracedPage(seen)
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
				render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
			mux := http.NewServeMux()
			mux.Handle("GET /news/{slug}", h)
			req := httptest.NewRequest("GET", "/news/harbour", nil)
			req.Header.Set("Traceparent", callerHeader)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}

			spans := rec.Ended()
			if got, want := len(spans), 5; got != want {
				t.Fatalf("got %d spans, want %d (a page and four pagelets)", got, want)
			}
			pageSpan := spans[len(spans)-1] // the page's span ends last
			if got, want := pageSpan.Name(), "GET /news/{slug}"; got != want {
				t.Errorf("page span named %q, want %q", got, want)
			}
			if got, want := pageSpan.SpanKind(), trace.SpanKindServer; got != want {
				t.Errorf("page span kind %v, want %v", got, want)
			}
			if got, want := pageSpan.SpanContext().TraceID().String(), callerTrace; got != want {
				t.Errorf("page trace id %s, want the caller's %s", got, want)
			}
			if got, want := pageSpan.Parent().SpanID().String(), callerSpan; got != want || !pageSpan.Parent().IsRemote() {
				t.Errorf("page span's parent %s (remote %t), want the caller's %s", got, pageSpan.Parent().IsRemote(), want)
			}
			attrs := attrMap(pageSpan.Attributes())
			for k, want := range map[string]string{"bigpipe.mode": mode.String(), "bigpipe.outcome": "complete",
				"http.response.status_code": "200", "bigpipe.failed": "2", "http.route": "/news/{slug}"} {
				if got := attrs[k]; got != want {
					t.Errorf("page span %s = %q, want %q", k, got, want)
				}
			}

			byName := map[string]sdktrace.ReadOnlySpan{}
			for _, s := range spans[:len(spans)-1] {
				byName[s.Name()] = s
				if got, want := s.Parent().SpanID(), pageSpan.SpanContext().SpanID(); got != want {
					t.Errorf("%s: parent %s, want the page span %s", s.Name(), got, want)
				}
				if s.EndTime().After(pageSpan.EndTime()) {
					t.Errorf("%s ends after the page", s.Name())
				}
			}
			for id, sc := range seen.all() {
				s := byName["pagelet "+id]
				if s == nil {
					t.Fatalf("no span for pagelet %s among %v", id, spans)
				}
				if !sc.IsValid() || sc.SpanID() != s.SpanContext().SpanID() {
					t.Errorf("%s's Load ran with span %v, want its pagelet's span %v", id, sc.SpanID(), s.SpanContext().SpanID())
				}
			}
			if got, want := eventNames(byName["pagelet fine"]), "load render rendered"; got != want {
				t.Errorf("fine's events %q, want %q", got, want)
			}
			if d := byName["pagelet slow"].EndTime().Sub(byName["pagelet slow"].StartTime()); d < 30*time.Millisecond {
				t.Errorf("slow's span lasted %v, less than its 30ms delay", d)
			}
			for id, failure := range map[string]string{"fine": "", "slow": "", "broken": "error", "late": "timeout"} {
				s := byName["pagelet "+id]
				if got := attrMap(s.Attributes())["bigpipe.failure"]; got != failure {
					t.Errorf("%s: failure %q, want %q", id, got, failure)
				}
				if got, want := s.Status().Code == codes.Error, failure != ""; got != want {
					t.Errorf("%s: status %v, want error %t", id, s.Status(), want)
				}
			}
		})
	}
}

// TestTraceOff: without a tracer provider a Load's context has no span,
// even when the request carries a traceparent.
func TestTraceOff(t *testing.T) {
	seen := new(spanContexts)
	srv := servePage(t, tracedPage(seen))
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Traceparent", callerHeader)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = readAll(resp)
	if got, want := len(seen.all()), 4; got != want {
		t.Fatalf("%d Loads ran, want %d", got, want)
	}
	for id, sc := range seen.all() {
		if sc.IsValid() {
			t.Errorf("%s's Load has span %v with tracing off", id, sc)
		}
	}
}

func readAll(resp *http.Response) (int, error) {
	defer resp.Body.Close()
	var n int
	buf := make([]byte, 32<<10)
	for {
		m, err := resp.Body.Read(buf)
		n += m
		if err != nil {
			return n, nil
		}
	}
}

// spanContexts is, by pagelet id, the span context each Load was given.
type spanContexts struct {
	mu sync.Mutex
	m  map[string]trace.SpanContext
}

func (s *spanContexts) put(id string, sc trace.SpanContext) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]trace.SpanContext)
	}
	s.m[id] = sc
}

func (s *spanContexts) all() map[string]trace.SpanContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

// attrMap is attrs by key, each value as its string.
func attrMap(attrs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[string(a.Key)] = a.Value.String()
	}
	return m
}

// eventNames is the names of s's events, in order, separated by spaces.
func eventNames(s sdktrace.ReadOnlySpan) string {
	var out string
	for i, e := range s.Events() {
		if i > 0 {
			out += " "
		}
		out += e.Name
	}
	return out
}
