package render_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestSetupMisuse checks that what cannot work is refused when the site is
// set up, not on every request: a nil registry or a runtime it lacks is an
// error from New, a nil PageFunc or option a panic from Page (as
// http.ServeMux.Handle panics on a nil handler). Options a page cannot
// apply (the logger, the detector, the limits, the runtime) are not
// PageOptions, so passing one to Page does not compile.
func TestSetupMisuse(t *testing.T) {
	if _, err := render.New(nil); err == nil {
		t.Error("New(nil): no error")
	}
	if _, err := render.New(testAssets(t), render.WithRuntime("missing.js")); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Errorf("New with a missing runtime: %v, want an error naming it", err)
	}
	if _, err := render.New(testAssets(t), render.WithPath("no-slash")); err == nil {
		t.Error("New with a relative path: no error")
	}
	rd, err := render.New(testAssets(t))
	if err != nil {
		t.Fatal(err)
	}
	pf := func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return nil, nil }
	for name, f := range map[string]func(){
		"nil PageFunc": func() { rd.Page(nil) },
		"nil option":   func() { rd.Page(pf, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				v := recover()
				if msg, _ := v.(string); !strings.HasPrefix(msg, "render: ") {
					t.Errorf("panic %v, want a \"render: …\" message", v)
				}
			}()
			f()
		})
	}
}

// TestRendererServesItsEndpoints mounts the Renderer as the README does and
// checks the built-in runtime: inline in the skeleton by default, served
// by its hashed URL (immutable) when linked, and the no-JS redirect, all
// under rd.Path(); anything else there is a 404.
func TestRendererServesItsEndpoints(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	pf := func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return pageOf(delayed("a", 0)), nil }
	mux := http.NewServeMux()
	mux.Handle("GET /inline", rd.Page(pf))
	mux.Handle("GET /linked", rd.Page(pf, render.WithLinkedRuntime(true)))
	mux.Handle(rd.Path(), rd)
	srv := httptestServer(t, mux)

	inline := string(get(t, srv.URL+"/inline", chromeUA).Body())
	if !strings.Contains(inline, `<script>(function(`) || !strings.Contains(inline, "onPageletArrive") {
		t.Errorf("the built-in runtime is not inline:\n%.600s", inline)
	}
	linked := string(get(t, srv.URL+"/linked", chromeUA).Body())
	m := regexp.MustCompile(`<script src="(/_bigpipe/bigpipe\.[0-9a-f]{10}\.js)"></script>`).FindStringSubmatch(linked)
	if m == nil {
		t.Fatalf("no linked runtime under /_bigpipe/ in:\n%.600s", linked)
	}
	resp, err := http.Get(srv.URL + m[1])
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(string(js), "onPageletArrive") {
		t.Errorf("GET %s: %d, Cache-Control %q, %d bytes", m[1], resp.StatusCode, resp.Header.Get("Cache-Control"), len(js))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/_bigpipe/nojs?next=%2Flinked": http.StatusSeeOther, "/_bigpipe/nothing": http.StatusNotFound} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestHeadRendered checks that Page.Head reaches <head> in every mode, and
// that a Head that fails is a 500, not a page without it.
func TestHeadRendered(t *testing.T) {
	const meta = `<meta name="description" content="A &lt;test&gt; page"><meta name="robots" content="noindex">`
	page := pageOf(delayed("a", 0))
	page.Head = templ.Raw(meta)
	srv := servePage(t, page, render.WithModeFunc(modeFromQuery))
	for _, mode := range []string{"pipelined", "inorder", "serial"} {
		body := string(get(t, srv.URL+"/?mode="+mode, chromeUA).Body())
		head, _, ok := strings.Cut(body, "</head>")
		if !ok || !strings.Contains(head, "</title>"+meta) {
			t.Errorf("%s: head lacks the page's Head markup:\n%s", mode, head)
		}
	}
	broken := pageOf(delayed("a", 0))
	broken.Head = templ.ComponentFunc(func(context.Context, io.Writer) error { return errors.New("no description") })
	srv = servePage(t, broken)
	if s := get(t, srv.URL, chromeUA); s.Status != http.StatusInternalServerError {
		t.Errorf("failing Head: status %d, want 500", s.Status)
	}
}

// modeFromQuery is a ModeFunc that takes the mode from ?mode=.
func modeFromQuery(r *http.Request) (render.Mode, error) {
	return render.ParseMode(r.URL.Query().Get("mode"))
}

// TestPageTimeoutBeforeFirstByte checks that the page deadline bounds the
// preflight and the layout too: a page out of time before its first byte
// gets a clean 503, not a 200 skeleton that is then cut off.
func TestPageTimeoutBeforeFirstByte(t *testing.T) {
	const timeout = 50 * time.Millisecond
	waitCtx := func(ctx context.Context) { <-ctx.Done() }
	tests := []struct {
		name string
		pf   render.PageFunc
	}{
		{"slow preflight", func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
			waitCtx(r.Context())
			return pageOf(delayed("a", 0)), nil
		}},
		{"preflight fails with the deadline", func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
			waitCtx(r.Context())
			return nil, r.Context().Err()
		}},
		{"slow layout", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
			page := pageOf(delayed("a", 0))
			inner := page.Layout
			page.Layout = func(slot pagelet.Slot) templ.Component {
				return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
					waitCtx(ctx)
					return inner(slot).Render(ctx, w)
				})
			}
			return page, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.pf, render.WithPageTimeout(timeout))
			s := get(t, srv.URL, chromeUA)
			if s.Status != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503:\n%s", s.Status, s.Body())
			}
			if strings.Contains(string(s.Body()), "<!DOCTYPE") {
				t.Errorf("a skeleton was sent: %s", s.Body())
			}
		})
	}
}

// TestFallbackError checks what a Fallback is told: for a timeout an error
// that is both ErrTimeout and context.DeadlineExceeded, for a failing Load
// its error, each naming the pagelet once, with one "render:" prefix.
func TestFallbackError(t *testing.T) {
	loadErr := errors.New("backend down")
	tests := []struct {
		name string
		load func(context.Context) (templ.Component, error)
		is   []error
		msg  string
	}{
		{"timeout", func(ctx context.Context) (templ.Component, error) { <-ctx.Done(); return nil, ctx.Err() },
			[]error{render.ErrTimeout, context.DeadlineExceeded}, `render: pagelet "p": timed out after 20ms: context deadline exceeded`},
		{"error", func(context.Context) (templ.Component, error) { return nil, loadErr },
			[]error{loadErr}, `render: pagelet "p": backend down`},
		{"nil component", func(context.Context) (templ.Component, error) { return nil, nil },
			[]error{render.ErrNilComponent}, `render: pagelet "p": nil component from Load`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan error, 1)
			p := pagelet.Pagelet{ID: "p", Timeout: 20 * time.Millisecond, Load: tc.load, Fallback: func(err error) templ.Component {
				got <- err
				return text("fallback")
			}}
			rd, err := render.New(testAssets(t), render.WithLogger(discard()))
			if err != nil {
				t.Fatal(err)
			}
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return pageOf(p), nil })
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			err = <-got
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			var pe *render.PageletError
			if !errors.As(err, &pe) || pe.ID != "p" {
				t.Errorf("%v is not a PageletError for p", err)
			}
			if err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
		})
	}
}
