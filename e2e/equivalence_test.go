package e2e_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// pageContent is what a reader or a search engine takes from a page.
type pageContent struct {
	Title    string    `json:"title"`
	Headings []string  `json:"headings"` // "H2 text", in document order
	Links    []string  `json:"links"`    // "href text", in document order
	Text     string    `json:"text"`     // the rendered text of <body>, spaces collapsed
	Head     headState `json:"head"`     // what <head> says: meta tags, canonical link, JSON-LD (head_test.go)
}

// extractContent reads pageContent from the document as it is now.
const extractContent = `(() => {
  const norm = (s) => s.replace(/\s+/g, ' ').trim();
  return {
    title: document.title,
    headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => h.tagName + ' ' + norm(h.textContent)),
    links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') + ' ' + norm(a.textContent)),
    text: norm(document.body.innerText),
    head: ` + extractHead + `,
  };
})()`

// snapshotAtBarrier stores pageContent in window.__atBarrier the moment the
// runtime has shown every pagelet (its bigpipe:barrier event), before any
// pagelet JS runs and enhances the page: the page the runtime built, which
// is what the fallback must equal.
const snapshotAtBarrier = `document.addEventListener('bigpipe:barrier', () => { window.__atBarrier = ` + extractContent + `; });`

// TestFallbackEquivalence loads each page twice in Chromium: in BigPipe mode
// with JavaScript, read when the runtime has shown every pagelet, and as
// the plain-HTML fallback with JavaScript off, read as served, and a third
// time as the native page with JavaScript off, as the parser assembles it.
// Title, the head's meta tags, canonical link and JSON-LD (whatever
// pagelets decided of them: the search's results decide its title),
// headings, links (target and text) and the rendered text must be equal:
// a crawler or a reader without JavaScript gets the whole page. (The bench
// page has no links; the others must have some, so an empty pair of pages
// cannot pass.)
func TestFallbackEquivalence(t *testing.T) {
	srv := newServer(t, homeLatency())
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	article := regexp.MustCompile(`/article/[a-z0-9-]+`).FindString(string(home))
	if article == "" {
		t.Fatal("no article link on the home page")
	}
	for _, path := range []string{"/", "/search?q=budget", article, "/bench?delays=30,0,90"} {
		t.Run(path, func(t *testing.T) {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}

			bp := newTab(t)
			bp.addScript(t, snapshotAtBarrier)
			bp.Navigate(t, srv.URL+path)
			requireBigPipe(t, bp)
			bp.WaitTrue(t, `!!window.__atBarrier`)
			got := eval[pageContent](t, bp, `window.__atBarrier`)

			plain := newTab(t)
			if _, err := chromedp.Call(plain.Ctx, emulation.SetScriptExecutionDisabled,
				emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
			}
			plain.Navigate(t, srv.URL+path+sep+"nojs=1")
			plain.WaitTrue(t, `document.readyState === "complete"`)
			if n := eval[int](t, plain, `document.querySelectorAll('.pagelet[data-bigpipe="inline"]').length`); n == 0 {
				t.Fatal("?nojs=1: no inline pagelets; not the plain page")
			}
			want := eval[pageContent](t, plain, extractContent)

			compareContent(t, "BigPipe", got, want)

			// The native page as a browser without JavaScript assembles it:
			// the parser alone patches every pagelet in.
			native := nativeTab(t, false)
			native.Navigate(t, srv.URL+path)
			native.WaitTrue(t, `document.readyState === "complete"`)
			if n := eval[int](t, native, `document.querySelectorAll('.pagelet[data-bigpipe="pending"], template[for]').length`); n != 0 {
				t.Errorf("native page without JavaScript: %d placeholders or templates left", n)
			}
			nat := eval[pageContent](t, native, extractContent)
			if strings.HasPrefix(path, "/search") {
				// The results pagelet decides the title (pagelet.WithHead):
				// without JavaScript nothing can set it after the head, so
				// the native page keeps the page's own.
				nat.Title = want.Title
			}
			compareContent(t, "native, no JS", nat, want)
			if len(want.Headings) == 0 || (len(want.Links) == 0 && !strings.HasPrefix(path, "/bench")) || len(want.Text) < 100 {
				t.Errorf("fallback looks empty: %d headings, %d links, %d bytes of text", len(want.Headings), len(want.Links), len(want.Text))
			}
		})
	}
}

// compareContent reports how got, the page as mode shows it, differs from
// want, the plain fallback: title, headings, links, rendered text.
func compareContent(t *testing.T, mode string, got, want pageContent) {
	t.Helper()
	if got.Title != want.Title {
		t.Errorf("title: %s %q, fallback %q", mode, got.Title, want.Title)
	}
	compareLists(t, mode+": headings", got.Headings, want.Headings)
	compareLists(t, mode+": head's meta tags", got.Head.Meta, want.Head.Meta)
	compareLists(t, mode+": head's JSON-LD", got.Head.JSONLD, want.Head.JSONLD)
	if got.Head.Canonical != want.Head.Canonical {
		t.Errorf("canonical link: %s %q, fallback %q", mode, got.Head.Canonical, want.Head.Canonical)
	}
	compareLists(t, mode+": links", got.Links, want.Links)
	// The markets table and the weather show the minute they were
	// rendered, and a live match the minute being played; two loads may
	// straddle a minute.
	got.Text, want.Text = wallClock.ReplaceAllString(got.Text, "${1}hh:mm"), wallClock.ReplaceAllString(want.Text, "${1}hh:mm")
	got.Text, want.Text = liveClock.ReplaceAllString(got.Text, "${1}mm'"), liveClock.ReplaceAllString(want.Text, "${1}mm'")
	if got.Text != want.Text {
		i := firstDiff(got.Text, want.Text)
		t.Errorf("rendered text differs at byte %d:\n %s:  …%s…\n fallback: …%s…", i, mode, around(got.Text, i), around(want.Text, i))
	}
}

// compareLists reports the first difference between two ordered lists.
func compareLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s differ (BigPipe %d, fallback %d); first at #%d: BigPipe %q, fallback %q", what, len(got), len(want), i, g, w)
			return
		}
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// around is s near byte i, for a readable diff.
func around(s string, i int) string {
	return s[max(0, i-60):min(len(s), i+60)]
}

// wallClock matches the clocks the home page shows to the minute: the
// markets caption's and the weather's local time.
var wallClock = regexp.MustCompile(`(?i)(markets at |local time )\d\d:\d\d`)

// liveClock matches the minute of a live match in the sports table.
var liveClock = regexp.MustCompile(`(?i)(live\s+)\d+'`)
