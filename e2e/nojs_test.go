package e2e_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// plainPagelet is one .pagelet container as a browser without JavaScript
// renders it.
type plainPagelet struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

// TestNoJSBrowserGetsPlainPage disables JavaScript in Chromium and loads
// BigPipe pages: the skeleton's <noscript> refresh must lead, through
// /_bigpipe/nojs, to the plain page (nojs=1) with every pagelet's content
// inline and visible.
func TestNoJSBrowserGetsPlainPage(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, path string
		pagelets   []string
		wantText   map[string]string // pagelet id -> text it must show
	}{
		{name: "home", path: "/", pagelets: homePagelets},
		{
			name: "bench", path: "/bench?delays=50,100", pagelets: benchIDs(2),
			wantText: map[string]string{"p0": "PAGELET-p0-READY", "p1": "PAGELET-p1-READY"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTab(t)
			if _, err := chromedp.Call(tb.Ctx, emulation.SetScriptExecutionDisabled,
				emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
			}
			requests := tb.countRequests(t)
			tb.Navigate(t, srv.URL+tc.path)
			tb.WaitTrue(t, `new URLSearchParams(location.search).get("nojs") === "1" && document.readyState === "complete"`)
			if sent := slices.Collect(maps.Keys(requests())); !slices.ContainsFunc(sent, func(u string) bool {
				return strings.HasPrefix(u, srv.URL+"/_bigpipe/nojs?next=")
			}) {
				t.Errorf("requests %v: none to /_bigpipe/nojs?next=…; how did the browser get to the plain page?", sent)
			}

			loc := eval[string](t, tb, `location.pathname + location.search`)
			t.Logf("landed on %s", loc)
			if got := eval[string](t, tb, `typeof window.bigPipe`); got != "undefined" {
				t.Errorf("typeof bigPipe = %q with JavaScript off, want undefined (the setting did not apply?)", got)
			}
			if got := eval[bool](t, tb, `document.cookie.split("; ").includes("bigpipe_nojs=1")`); !got {
				t.Errorf("cookie %q after the no-JS redirect: missing bigpipe_nojs=1", eval[string](t, tb, `document.cookie`))
			}

			got := eval[[]plainPagelet](t, tb, `Array.from(document.querySelectorAll(".pagelet"), (el) => ({
				id: el.id,
				state: el.dataset.bigpipe || "",
				text: el.innerText,
				visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
			}))`)
			var ids []string
			for _, p := range got {
				ids = append(ids, p.ID)
				if p.State != "inline" {
					t.Errorf("#%s: data-bigpipe = %q, want inline", p.ID, p.State)
				}
				if normalizeSpace(p.Text) == "" {
					t.Errorf("#%s: no visible text", p.ID)
				}
				if !p.Visible {
					t.Errorf("#%s: not visible", p.ID)
				}
				if want, ok := tc.wantText[p.ID]; ok && !containsNormalized(p.Text, want) {
					t.Errorf("#%s: text %.200q lacks %q", p.ID, p.Text, want)
				}
			}
			if !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(tc.pagelets))) {
				t.Errorf("pagelets on the page = %v, want %v", ids, tc.pagelets)
			}
		})
	}
}

// TestNoJSBrowserReturnsToBigPipe follows a browser that ran without
// JavaScript (and so carries the no-JS cookie) and then turns JavaScript
// back on: its next page is still plain (the cookie says so), that page
// clears the cookie from script, and the page after is BigPipe again. No
// step loops through the no-JS endpoint.
func TestNoJSBrowserReturnsToBigPipe(t *testing.T) {
	srv := newServer(t)
	tb := newTab(t)
	setJS := func(on bool) {
		t.Helper()
		if _, err := chromedp.Call(tb.Ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
			t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
		}
	}
	hasCookie := `document.cookie.split("; ").includes("bigpipe_nojs=1")`

	setJS(false)
	tb.Navigate(t, srv.URL+"/bench?delays=0")
	tb.WaitTrue(t, `new URLSearchParams(location.search).get("nojs") === "1" && document.readyState === "complete"`)
	if !eval[bool](t, tb, hasCookie) {
		t.Fatalf("no bigpipe_nojs cookie after the no-JS redirect (cookies %q)", eval[string](t, tb, `document.cookie`))
	}

	setJS(true)
	requests := tb.countRequests(t)
	tb.Navigate(t, srv.URL+"/bench?delays=0,10")
	tb.WaitTrue(t, `document.readyState === "complete"`)
	if got := eval[int](t, tb, `document.querySelectorAll('.pagelet[data-bigpipe="inline"]').length`); got != 2 {
		t.Errorf("first page with JavaScript back on: %d plain pagelets, want 2 (the cookie still says no JS)", got)
	}
	tb.WaitTrue(t, `!`+hasCookie) // the plain page's script cleared it

	tb.Navigate(t, srv.URL+"/bench?delays=0,10")
	requireBigPipe(t, tb)
	tb.waitDone(t)
	for u := range requests() {
		if strings.Contains(u, "/_bigpipe/nojs") {
			t.Errorf("JavaScript on, yet the browser went through %s", u)
		}
	}
}
