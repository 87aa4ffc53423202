package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// watchCSP records every Content-Security-Policy violation the page reports
// (the securitypolicyviolation event) in window.__csp. It is installed
// through DevTools, which the page's policy does not apply to.
const watchCSP = `window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));`

// watchImgError counts, in window.__imgErrors, the error events of images,
// from a listener on window's capture phase: it runs before the image's own
// onerror handler, in the same dispatch, so once the count is up the
// handler has run (or, under the policy, been blocked).
const watchImgError = `window.__imgErrors = 0;
window.addEventListener('error', (e) => { if (e.target instanceof HTMLImageElement) window.__imgErrors++; }, true);`

// cspViolations returns what the page reported, after giving the browser a
// moment to deliver the last events. For a check that there is none: the
// moment is a grace period (a late report is missed, never a false
// failure); a test that expects one waits for it instead.
func cspViolations(t *testing.T, tb *tab) []string {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	return eval[[]string](t, tb, `window.__csp`)
}

// TestCSPDemoWorks loads the demo's pages under the strict policy (main.go
// sends it by default), in BigPipe mode and as plain HTML: every pagelet is
// shown, every pagelet script loads and runs, and the browser reports no
// violation at all. A control then shows the policy is in force in that very
// page: an inline event handler added to it does not run and is reported.
func TestCSPDemoWorks(t *testing.T) {
	srv := newServer(t, homeLatency())
	article := regexp.MustCompile(`/article/[a-z0-9-]+`).FindString(getPage(t, srv.URL+"/", googlebotUA, false, render.InOrder))
	for _, path := range []string{"/", "/search?q=budget", "/bench?delays=20,60", article, "/section/tech"} {
		for _, nojs := range []bool{false, true} {
			name := path + " bigpipe"
			u := srv.URL + path
			if nojs {
				name = path + " plain"
				u += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "nojs=1"
			}
			t.Run(name, func(t *testing.T) {
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if got := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "script-src 'nonce-") {
					t.Fatalf("Content-Security-Policy = %q, want the strict nonce policy", got)
				}

				tb := newTab(t)
				tb.addScript(t, watchCSP)
				tb.Navigate(t, u)
				if nojs {
					tb.WaitTrue(t, `document.readyState === "complete"`)
					if n := eval[int](t, tb, `document.querySelectorAll('.pagelet[data-bigpipe="inline"]').length`); n == 0 {
						t.Fatal("?nojs=1: no inline pagelets; not the plain page")
					}
				} else {
					requireBigPipe(t, tb)
					tb.waitDone(t)
					if n := eval[int](t, tb, `document.querySelectorAll('.pagelet:not([data-bigpipe="shown"])').length`); n != 0 {
						t.Errorf("%d pagelets not shown", n)
					}
					if bad := eval[[]string](t, tb, `bigPipe.jsLoaded.filter((x) => x.error).map((x) => x.url)`); len(bad) > 0 {
						t.Errorf("pagelet scripts failed to load or run: %q", bad)
					}
				}
				if path == "/" {
					// Pagelet scripts ran (downloaded by the runtime in BigPipe
					// mode, by plain script tags otherwise): the home page has
					// some, and a blocked one would leave this at zero.
					if n := eval[int](t, tb, `document.scripts.length`); n == 0 {
						t.Errorf("no script elements")
					}
					if !nojs {
						if n := eval[int](t, tb, `bigPipe.jsLoaded.length`); n == 0 {
							t.Errorf("no pagelet JS loaded on the home page")
						}
					}
				}
				if v := cspViolations(t, tb); len(v) > 0 {
					t.Errorf("CSP violations reported: %q", v)
				}
				// The structured data is data: no nonce, never run, so the
				// policy neither blocks nor reports it; it parses as JSON.
				if path != "/search?q=budget" && !strings.HasPrefix(path, "/bench") {
					if n := eval[int](t, tb, `[...document.head.querySelectorAll('script[type="application/ld+json"]')].filter((s) => !s.nonce && JSON.parse(s.textContent)["@context"] === "https://schema.org").length`); n == 0 {
						t.Error("no JSON-LD in the head")
					}
				}

				// Control: the policy is in force here.
				eval[bool](t, tb, `document.body.insertAdjacentHTML('beforeend', '<img src="/no-such-image.png" onerror="window.__inj=1">'), true`)
				tb.WaitTrue(t, `window.__csp.length > 0`)
				if got := eval[string](t, tb, `typeof window.__inj`); got != "undefined" {
					t.Errorf("an inline event handler ran under the policy (window.__inj is %s)", got)
				}
			})
		}
	}
}

// hostile is pagelet content that tries to run script both ways the browser
// would allow without a policy: an inline script (inert in BigPipe mode,
// where content is parsed into a <template>, but live in plain HTML) and an
// inline event handler (live in both, once the image fails to load).
const hostile = `<p>PAGELET-evil-READY</p><script>window.__pwned = "script";</script>` +
	`<img src="/no-such-image.png" alt="" onerror="window.__pwned = 'onerror'">`

// hostileServer serves a page with the hostile pagelet and an ordinary one,
// with or without the strict policy.
func hostileServer(t *testing.T, csp bool) *httptest.Server {
	t.Helper()
	reg, err := assets.New(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	opts := []render.Option{render.WithLogger(slog.New(slog.DiscardHandler))}
	if csp {
		opts = append(opts, render.WithCSP(true))
	}
	rd, err := render.New(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	layout := func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, "<main><h1>Hostile content</h1>"); err != nil {
				return err
			}
			for _, id := range []string{"evil", "good"} {
				if err := slot(id).Render(ctx, w); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
	srv := httptest.NewServer(rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{Title: "hostile", Layout: layout, Pagelets: []pagelet.Pagelet{
			{ID: "evil", Load: pagelet.Static(templ.Raw(hostile))},
			{ID: "good", Load: pagelet.Static(templ.Raw(`<p>PAGELET-good-READY</p>`))},
		}}, nil
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCSPBlocksHostileContent loads a page whose pagelet content carries an
// inline script and an inline event handler. Under the policy neither runs,
// in BigPipe mode or as plain HTML, and the page is whole. Without it (the
// control) the handler runs in both modes and the script in plain HTML, so
// the detector can see what it looks for.
func TestCSPBlocksHostileContent(t *testing.T) {
	for _, csp := range []bool{true, false} {
		srv := hostileServer(t, csp)
		for _, nojs := range []bool{false, true} {
			name := map[bool]string{true: "csp", false: "no policy (control)"}[csp] + map[bool]string{true: "/plain", false: "/bigpipe"}[nojs]
			t.Run(name, func(t *testing.T) {
				tb := newTab(t)
				tb.addScript(t, watchCSP)
				tb.addScript(t, watchImgError)
				u := srv.URL
				if nojs {
					u += "/?nojs=1"
				}
				tb.Navigate(t, u)
				if nojs {
					tb.WaitTrue(t, `document.readyState === "complete"`)
				} else {
					requireBigPipe(t, tb)
					tb.waitDone(t)
				}
				for _, want := range []string{"PAGELET-evil-READY", "PAGELET-good-READY"} {
					if !eval[bool](t, tb, `document.body.innerText.includes(`+jsString(want)+`)`) {
						t.Errorf("page lacks %s", want)
					}
				}
				// Wait for the broken image's error event: its handler has
				// run, or been blocked, by then (watchImgError).
				tb.WaitTrue(t, `window.__imgErrors > 0`)
				got := eval[string](t, tb, `String(window.__pwned)`)
				if csp {
					if got != "undefined" {
						t.Errorf("hostile content ran under the policy: window.__pwned = %s", got)
					}
					// The blocked handler is reported (WaitTrue fails the test
					// if it never is).
					tb.WaitTrue(t, `window.__csp.length > 0`)
					return
				}
				if got == "undefined" {
					t.Errorf("control: without a policy the hostile handler did not run either; the detector sees nothing")
				}
			})
		}
	}
}
