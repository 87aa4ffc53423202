package render_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestSwitchesBothWays checks each on/off page option (WithCSP,
// WithServerTiming, WithModeOverride, WithLinkedRuntime, WithPayloadsOnly)
// in both directions and at both levels: the Renderer's options (New) are
// every page's defaults, a handler's own (Page) win over them, and within
// one list the later option wins. So a site-wide switch can be turned off
// for one page, and a page can turn on what the site leaves off.
func TestSwitchesBothWays(t *testing.T) {
	reg := testAssets(t)
	rt, err := reg.Get("bigpipe.js")
	if err != nil {
		t.Fatal(err)
	}
	switches := []struct {
		name string
		opt  func(bool) render.PageOption
		on   func(rec *httptest.ResponseRecorder) bool // whether the response shows the switch on
	}{
		{"CSP", render.WithCSP, func(rec *httptest.ResponseRecorder) bool {
			return rec.Header().Get("Content-Security-Policy") != ""
		}},
		{"ServerTiming", render.WithServerTiming, func(rec *httptest.ResponseRecorder) bool {
			return rec.Header().Get("Server-Timing") != ""
		}},
		{"ModeOverride", render.WithModeOverride, func(rec *httptest.ResponseRecorder) bool {
			return rec.Header().Get("X-BigPipe-Mode") == "serial" // forced by the request; detection says pipelined
		}},
		{"LinkedRuntime", render.WithLinkedRuntime, func(rec *httptest.ResponseRecorder) bool {
			return strings.Contains(rec.Body.String(), `<script src="`+rt.URL+`"></script>`)
		}},
		{"PayloadsOnly", render.WithPayloadsOnly, func(rec *httptest.ResponseRecorder) bool {
			return strings.Contains(rec.Body.String(), payloadOf("a")) // placed otherwise: it is done before the skeleton
		}},
	}
	levels := []struct {
		name       string
		site, page []bool // the switch's values given to New, then to Page, in order
		want       bool
	}{
		{"default", nil, nil, false},
		{"site on", []bool{true}, nil, true},
		{"site off", []bool{false}, nil, false},
		{"page on", nil, []bool{true}, true},
		{"page off", nil, []bool{false}, false},
		{"site on, page off", []bool{true}, []bool{false}, false},
		{"site off, page on", []bool{false}, []bool{true}, true},
		{"site on, page on", []bool{true}, []bool{true}, true},
		{"site on then off", []bool{true, false}, nil, false},
		{"site off then on", []bool{false, true}, nil, true},
		{"page on then off", []bool{true}, []bool{true, false}, false},
		{"page off then on", []bool{true}, []bool{false, true}, true},
	}
	for _, sw := range switches {
		for _, lv := range levels {
			t.Run(sw.name+"/"+lv.name, func(t *testing.T) {
				opts := []render.Option{render.WithLogger(discard()), render.WithRuntime("bigpipe.js")}
				for _, on := range lv.site {
					opts = append(opts, sw.opt(on))
				}
				var pageOpts []render.PageOption
				for _, on := range lv.page {
					pageOpts = append(pageOpts, sw.opt(on))
				}
				rd, err := render.New(reg, opts...)
				if err != nil {
					t.Fatal(err)
				}
				rec := httptest.NewRecorder()
				synctest.Test(t, func(t *testing.T) {
					page := settled(pageOf(delayed("a", 0)))
					h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil }, pageOpts...)
					req := httptest.NewRequest("GET", "/", nil)
					req.Header.Set("User-Agent", chromeUA)
					req.Header.Set(render.ForceModeHeader, "serial")
					h.ServeHTTP(rec, req)
				})
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if got := sw.on(rec); got != lv.want {
					t.Errorf("%s on = %v, want %v; response headers %v, body:\n%s", sw.name, got, lv.want, rec.Header(), rec.Body)
				}
			})
		}
	}
}
