package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// stubLive is a live engine that grants the channels it declares, and
// serves its client script under /_live/.
type stubLive struct{ declared map[string]bool }

func (l stubLive) Position(context.Context, string) (render.LivePosition, error) {
	return render.LivePosition{Kind: "state"}, nil
}

func (l stubLive) Grant(_ context.Context, channels []string) (render.LiveGrant, error) {
	for _, ch := range channels {
		if !l.declared[ch] {
			return render.LiveGrant{}, fmt.Errorf("live: channel %q: no feed declares it", ch)
		}
	}
	return render.LiveGrant{Script: "/_live/live.js", URL: "/_live/", Token: "t"}, nil
}

func (l stubLive) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = io.WriteString(w, "// live client\n")
}

var scoresLive = stubLive{declared: map[string]bool{"scores": true}}

// page is a page of one pagelet per id, each with its own CSS and JS,
// laid out in order; edit changes it into the mistake under test.
func checkPage(edit func(*pagelet.Page)) *pagelet.Page {
	p := &pagelet.Page{Title: "Front", CSS: []string{"site.css"}, JS: []string{"page.js"}, Layout: listLayout("a", "b")}
	for _, id := range []string{"a", "b"} {
		p.Pagelets = append(p.Pagelets, pagelet.Pagelet{ID: id, Load: pagelet.Static(text(id)), CSS: []string{"a.css"}, JS: []string{"a.js"}})
	}
	if edit != nil {
		edit(p)
	}
	return p
}

// TestCheck gives Check one page per mistake and checks that it is found,
// wraps the sentinel to test for, and is explained: each want string must
// appear in the error.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		live render.Live
		edit func(*pagelet.Page)
		is   error // nil: no mistake
		want []string
	}{
		{name: "clean page"},
		{name: "clean live page", live: scoresLive, edit: func(p *pagelet.Page) { p.Pagelets[0].Channel = "scores" }},
		{name: "empty id", edit: func(p *pagelet.Page) { p.Pagelets[1].ID = "" },
			is: pagelet.ErrEmptyID, want: []string{`page "Front"`, "pagelet #1", "give every pagelet an ID"}},
		{name: "duplicate id", edit: func(p *pagelet.Page) { p.Pagelets[1].ID = "a" },
			is: pagelet.ErrDuplicateID, want: []string{`"a"`, "unique"}},
		{name: "no layout", edit: func(p *pagelet.Page) { p.Layout = nil }, is: pagelet.ErrNoLayout},
		{name: "page CSS typo", edit: func(p *pagelet.Page) { p.CSS = []string{"stie.css"} },
			is: assets.ErrUnknown, want: []string{`CSS`, `"stie.css"`, `did you mean "site.css"?`}},
		{name: "page JS missing", edit: func(p *pagelet.Page) { p.JS = []string{"analytics/tracker.js"} },
			is: assets.ErrUnknown, want: []string{`JS`, `"analytics/tracker.js"`, "add the file"}},
		{name: "inline CSS typo", edit: func(p *pagelet.Page) { p.InlineCSS = []string{"shared.cs"} },
			is: assets.ErrUnknown, want: []string{"InlineCSS", `did you mean "shared.css"?`}},
		{name: "pagelet CSS typo", edit: func(p *pagelet.Page) { p.Pagelets[1].CSS = []string{"b.css"} },
			is: assets.ErrUnknown, want: []string{`pagelet "b": CSS`, `"b.css"`}},
		{name: "pagelet JS typo", edit: func(p *pagelet.Page) { p.Pagelets[0].JS = []string{"a.jss"} },
			is: assets.ErrUnknown, want: []string{`pagelet "a": JS`, `did you mean "a.js"?`}},
		{name: "slot names a missing pagelet", edit: func(p *pagelet.Page) { p.Layout = listLayout("a", "b", "ghost") },
			is: render.ErrLayout, want: []string{`places pagelet "ghost", which the page does not have`}},
		{name: "pagelet never placed", edit: func(p *pagelet.Page) { p.Layout = listLayout("a") },
			is: render.ErrLayout, want: []string{`pagelet "b" is never placed`, `slot("b")`}},
		{name: "pagelet placed twice", edit: func(p *pagelet.Page) { p.Layout = listLayout("a", "b", "a") },
			is: render.ErrLayout, want: []string{`pagelet "a" is placed 2 times`}},
		{name: "layout fails", edit: func(p *pagelet.Page) {
			p.Layout = func(pagelet.Slot) templ.Component {
				return templ.ComponentFunc(func(context.Context, io.Writer) error { return errors.New("template broke") })
			}
		}, is: render.ErrLayout, want: []string{"the layout failed: template broke"}},
		{name: "layout panics", edit: func(p *pagelet.Page) {
			p.Layout = func(pagelet.Slot) templ.Component { panic("nil story") }
		}, is: render.ErrLayout, want: []string{"panic: nil story"}},
		{name: "live pagelet without WithLive", edit: func(p *pagelet.Page) { p.Pagelets[1].Channel = "scores" },
			is: render.ErrNotLive, want: []string{`pagelet "b" is live on channel "scores"`, "render.WithLive"}},
		{name: "channel no feed declares", live: scoresLive, edit: func(p *pagelet.Page) { p.Pagelets[0].Channel = "score" },
			is: render.ErrChannel, want: []string{`pagelet "a"`, `"score": no feed declares it`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []render.Option{render.WithLogger(discard())}
			if tc.live != nil {
				opts = append(opts, render.WithLive(tc.live))
			}
			rd, err := render.New(testAssets(t), opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = rd.Check(checkPage(tc.edit))
			if tc.is == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("Check() = %v, want it to wrap %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check() = %v\nwant it to mention %q", err, w)
				}
			}
		})
	}
}

// TestCheckEvery shows that Check reports every mistake of a page, one
// line each, not only the first.
func TestCheckEvery(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	err = rd.Check(checkPage(func(p *pagelet.Page) {
		p.CSS = []string{"stie.css"}
		p.Pagelets[1].ID = "a"
		p.Layout = listLayout("a", "c")
		p.Pagelets[0].Channel = "scores"
	}))
	for _, want := range []error{assets.ErrUnknown, pagelet.ErrDuplicateID, render.ErrLayout, render.ErrNotLive} {
		if !errors.Is(err, want) {
			t.Errorf("Check() does not wrap %v", want)
		}
	}
	if got, want := strings.Count(err.Error(), "\n")+1, 4; got != want {
		t.Errorf("Check() reported %d problems, want %d:\n%v", got, want, err)
	}
}

// TestCheckPage runs a PageFunc through CheckPage: a page with a mistake,
// a PageFunc that answers itself and one that fails are all reported,
// naming the request.
func TestCheckPage(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pf   render.PageFunc
		want string // "" for no error
	}{
		{"clean", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return checkPage(nil), nil }, ""},
		{"mistake", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
			return checkPage(func(p *pagelet.Page) { p.CSS = []string{"nope.css"} }), nil
		}, `GET /x?q=1: render: page "Front": CSS "nope.css" is not in the renderer's asset registry`},
		{"answers itself", func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
			http.NotFound(w, r)
			return nil, nil
		}, "answered 404 itself"},
		{"fails", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return nil, errors.New("store down") },
			"the PageFunc failed: store down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := rd.CheckPage(tc.pf, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x?q=1", nil))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckPage() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("CheckPage() = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestCheckMounted gives CheckMounted a site's mux with one mount missing
// at a time, and a catch-all that answers every path with an HTML page.
func TestCheckMounted(t *testing.T) {
	reg := testAssets(t)
	rd, err := render.New(reg, render.WithLogger(discard()), render.WithLive(scoresLive))
	if err != nil {
		t.Fatal(err)
	}
	site := func(skip string) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("GET /{$}", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return checkPage(nil), nil }))
		if skip == "catch-all" {
			mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = io.WriteString(w, "<p>our app</p>")
			})
		}
		for _, m := range []struct {
			name, pattern string
			h             http.Handler
		}{{"assets", "GET /static/", reg}, {"renderer", "GET " + rd.Path(), rd}, {"live", "/_live/", scoresLive}} {
			if m.name != skip && !(skip == "catch-all" && m.name == "live") {
				mux.Handle(m.pattern, m.h)
			}
		}
		return mux
	}
	tests := []struct {
		skip string
		want []string // "" for no error
	}{
		{"", nil},
		{"renderer", []string{"the no-JS redirect: GET /_bigpipe/nojs?next=/ answered 404", "the client runtime: GET /_bigpipe/bigpipe.", `mux.Handle("/_bigpipe/", rd)`}},
		{"assets", []string{"the site's assets (", "GET /static/", "answered 404", "mount the asset registry"}},
		{"live", []string{"the live client: GET /_live/live.js answered 404", `mux.Handle("/_live/", eng)`}},
		{"catch-all", []string{`the live client: GET /_live/live.js answered with Content-Type "text/html; charset=utf-8", not a script`}},
	}
	for _, tc := range tests {
		t.Run("without "+tc.skip, func(t *testing.T) {
			err := rd.CheckMounted(t.Context(), site(tc.skip))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckMounted() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, render.ErrNotMounted) {
				t.Fatalf("CheckMounted() = %v, want ErrNotMounted", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckMounted() = %v\nwant it to mention %q", err, w)
				}
			}
		})
	}
}

// TestProblemLoggedOnce sends three requests to a route whose page has a
// mistake: each gets a clean 500 (or, for a live mistake, the page without
// live updates), and the log has one line for the problem, with the route,
// not three.
func TestProblemLoggedOnce(t *testing.T) {
	tests := []struct {
		name   string
		live   render.Live
		edit   func(*pagelet.Page)
		status int
		msg    string // the problem lines' message starts so
		want   string // and the first one's problem says so
		lines  int    // distinct problems, each logged once
	}{
		{"unknown asset", nil, func(p *pagelet.Page) { p.Pagelets[1].CSS = []string{"b.css"} },
			http.StatusInternalServerError, "page problem", `pagelet \"b\": CSS \"b.css\" is not in the renderer's asset registry`, 1},
		{"layout misses a pagelet", nil, func(p *pagelet.Page) { p.Layout = listLayout("a") },
			http.StatusInternalServerError, "page problem", `pagelet \"b\" is never placed`, 1},
		{"duplicate id", nil, func(p *pagelet.Page) { p.Pagelets[1].ID = "a" },
			// The layout also places "b", which the page no longer has.
			http.StatusInternalServerError, "page problem", `duplicate pagelet id \"a\"`, 2},
		{"no WithLive", nil, func(p *pagelet.Page) { p.Pagelets[0].Channel = "scores" },
			http.StatusOK, "page rendered without live updates", `pagelet \"a\" is live on channel \"scores\"`, 1},
		{"undeclared channel", scoresLive, func(p *pagelet.Page) { p.Pagelets[0].Channel = "score" },
			http.StatusOK, "page rendered without live updates: no grant", `channel \"score\": no feed declares it`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			opts := []render.Option{render.WithLogger(slog.New(slog.NewTextHandler(&log, nil)))}
			if tc.live != nil {
				opts = append(opts, render.WithLive(tc.live))
			}
			rd, err := render.New(testAssets(t), opts...)
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /article/{slug}", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
				return checkPage(tc.edit), nil
			}))
			for _, slug := range []string{"one", "two", "three"} {
				w := httptest.NewRecorder()
				r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/article/"+slug, nil)
				r.Header.Set("User-Agent", chromeUA)
				mux.ServeHTTP(w, r)
				if w.Code != tc.status {
					t.Fatalf("GET /article/%s: %d, want %d", slug, w.Code, tc.status)
				}
				if tc.status == http.StatusInternalServerError && strings.Contains(w.Body.String(), "unknown asset") {
					t.Errorf("the 500 tells the client the problem: %q", w.Body.String())
				}
			}
			var lines []string
			for line := range strings.Lines(log.String()) {
				if !strings.Contains(line, " msg=page ") { // each request's own line is no problem line
					lines = append(lines, line)
				}
			}
			if len(lines) != tc.lines {
				t.Fatalf("%d log lines besides the pages', want %d:\n%s", len(lines), tc.lines, strings.Join(lines, ""))
			}
			for i, line := range lines {
				for _, want := range []string{`msg="` + tc.msg, `route="GET /article/{slug}"`} {
					if !strings.Contains(line, want) {
						t.Errorf("log line %q\nwant it to mention %s", line, want)
					}
				}
				if i == 0 && !strings.Contains(line, tc.want) {
					t.Errorf("log line %q\nwant it to mention %s", line, tc.want)
				}
			}
		})
	}
}
