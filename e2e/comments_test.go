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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// liveServer is the demo site made live, as main.go serves it (strict CSP,
// the engine mounted at its path), without the simulator.
type liveServer struct {
	*httptest.Server
	st   *store.Store
	site *pages.Site
}

func newLiveServer(t *testing.T) *liveServer {
	t.Helper()
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	eng, err := live.New(reg, live.WithLogger(quiet), live.WithSecret([]byte("e2e secret")))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(quiet), render.WithCSP(true), render.WithLive(eng))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	site := pages.NewSite(st, pages.WithAssets(reg), pages.WithLive(eng), pages.WithLogger(quiet))
	mux.Handle("/", pages.Routes(rd, reg, site))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { // first: ends the live streams srv.Close would wait for
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	return &liveServer{srv, st, site}
}

func (s *liveServer) slug(t *testing.T) string {
	t.Helper()
	arts, err := s.st.Section(t.Context(), "hotnews", 1)
	if err != nil || len(arts) == 0 {
		t.Fatal(err)
	}
	return arts[0].Slug
}

// fillComment types a name and a comment into the tab's comment form.
func fillComment(t *testing.T, tb *tab, name, text string) {
	t.Helper()
	if err := chromedp.Do(tb.Ctx,
		chromedp.SendKeys("#comment-name", name),
		chromedp.SendKeys("#comment-text", text),
	); err != nil {
		t.Fatalf("type the comment: %v", err)
	}
}

// TestCommentWithoutScript posts a comment from Chromium with JavaScript
// off: the page is the plain one, the form posts, the browser follows the
// 303 back to the article's comments and shows the comment there.
func TestCommentWithoutScript(t *testing.T) {
	srv := newLiveServer(t)
	slug := srv.slug(t)
	tb := newTab(t)
	if _, err := chromedp.Call(tb.Ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
	}
	tb.Navigate(t, srv.URL+"/article/"+slug)
	tb.WaitTrue(t, `document.readyState === "complete" && !!document.querySelector("#comments .pl-comments")`)
	text := "Posted with script off <b>not bold</b>"
	fillComment(t, tb, "No-script reader", text)
	if err := chromedp.Do(tb.Ctx, chromedp.Click(".comment-form__submit")); err != nil {
		t.Fatal(err)
	}
	tb.WaitTrue(t, `location.hash === "#sec-comments" && document.readyState === "complete" && !!document.querySelector(".pl-comments__item")`)
	got := eval[string](t, tb, `document.querySelector(".pl-comments__item .pl-comments__text").textContent`)
	if got != text {
		t.Errorf("comment shown as %q, want the text as typed, %q", got, text)
	}
	if n := eval[int](t, tb, `document.querySelectorAll(".pl-comments__item b").length`); n != 0 {
		t.Errorf("the comment's markup was parsed: %d <b> elements", n)
	}
}

// liveClientURL matches the live client's URL in a page's setup.
var liveClientURL = regexp.MustCompile(`"live":\{"src":"([^"]+)"`)

// requireLiveClient skips t while the live client (live/live.js) is still
// the placeholder: what t checks needs it to connect and show publications.
func requireLiveClient(t *testing.T, srv *liveServer, path string) {
	t.Helper()
	body, _ := fetch(t, srv.URL+path, chromeUA)
	m := liveClientURL.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s has no live client in its setup", path)
	}
	resp, err := http.Get(srv.URL + m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	js, _ := io.ReadAll(resp.Body)
	if len(strings.TrimSpace(string(js))) < 200 {
		t.Skipf("the live client %s is a placeholder (%d bytes): run this test once live/live.js is merged", m[1], len(js))
	}
}

// TestCommentScriptPosts posts a comment with JavaScript on: the form
// enhancer posts it with fetch (the page does not navigate), clears the
// text, keeps the name and gives the form a new comment id; the comment is
// stored once.
func TestCommentScriptPosts(t *testing.T) {
	srv := newLiveServer(t)
	slug := srv.slug(t)
	tb := newTab(t)
	tb.Navigate(t, srv.URL+"/article/"+slug)
	tb.waitDone(t)
	tb.WaitTrue(t, `document.querySelector(".comment-form").hasAttribute("data-bigpipe-enhanced")`)
	id := eval[string](t, tb, `document.querySelector('.comment-form input[name="_submission"]').value`)
	eval[bool](t, tb, `window.__sameDocument = true`)
	fillComment(t, tb, "Scripted reader", "Posted by the form's script.")
	if err := chromedp.Do(tb.Ctx, chromedp.Click(".comment-form__submit")); err != nil {
		t.Fatal(err)
	}
	tb.WaitTrue(t, `document.querySelector(".comment-form__status").textContent === "Posted."`)
	if !eval[bool](t, tb, `window.__sameDocument === true`) {
		t.Error("the page navigated: the script did not post the form itself")
	}
	form := eval[map[string]string](t, tb, `(() => { const f = document.querySelector(".comment-form").elements; return {name: f.name.value, text: f.text.value, id: f._submission.value}; })()`)
	if form["text"] != "" || form["name"] != "Scripted reader" || form["id"] == id || form["id"] == "" {
		t.Errorf("form after posting: %v; want the text cleared, the name kept, a new id (was %s)", form, id)
	}
	cs, err := srv.st.Comments(t.Context(), slug, 0)
	if err != nil || len(cs) != 1 || cs[0].ID != id || cs[0].Text != "Posted by the form's script." {
		t.Errorf("stored %+v, %v; want the comment once, with the form's id %s", cs, err, id)
	}
}

// TestCommentsTwoTabs opens an article in two tabs and posts a comment in
// the first: it appears in both, once each, through the live channel, and
// a comment box being typed into in the second tab keeps its text and its
// focus.
func TestCommentsTwoTabs(t *testing.T) {
	srv := newLiveServer(t)
	slug := srv.slug(t)
	requireLiveClient(t, srv, "/article/"+slug)
	a, b := newTab(t), newTab(t)
	for _, tb := range []*tab{a, b} {
		tb.Navigate(t, srv.URL+"/article/"+slug)
		tb.waitDone(t)
	}
	if err := chromedp.Do(b.Ctx, chromedp.SendKeys("#comment-text", "half a thought")); err != nil {
		t.Fatal(err)
	}
	a.WaitTrue(t, `document.querySelector(".comment-form").hasAttribute("data-bigpipe-enhanced")`)
	id := eval[string](t, a, `document.querySelector('.comment-form input[name="_submission"]').value`)
	fillComment(t, a, "Tab A", "Seen in both tabs.")
	if err := chromedp.Do(a.Ctx, chromedp.Click(".comment-form__submit")); err != nil {
		t.Fatal(err)
	}
	item := `document.querySelectorAll('.pl-comments__item[data-live-key="` + id + `"]')`
	for name, tb := range map[string]*tab{"A": a, "B": b} {
		tb.WaitTrue(t, item+`.length > 0`)
		if n := eval[int](t, tb, item+`.length`); n != 1 {
			t.Errorf("tab %s shows the comment %d times", name, n)
		}
		if got := eval[string](t, tb, item+`[0].querySelector(".pl-comments__text").textContent`); got != "Seen in both tabs." {
			t.Errorf("tab %s shows %q", name, got)
		}
	}
	if got := eval[string](t, b, `document.activeElement.id + "|" + document.querySelector("#comment-text").value`); got != "comment-text|half a thought" {
		t.Errorf("tab B's comment box after the update: %q, want it focused with its text", got)
	}
}

// TestLiveFrontPage changes the store behind the open front page and
// publishes, as the simulator does: the new market price, score and
// breaking headline each show in the page without a reload.
func TestLiveFrontPage(t *testing.T) {
	srv := newLiveServer(t)
	requireLiveClient(t, srv, "/")
	tb := newTab(t)
	tb.Navigate(t, srv.URL+"/")
	tb.waitDone(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name, pagelet, want string
		change              func() error
		publish             func(context.Context) error
	}{
		{"markets", "finance", "12,345.67", func() error {
			return srv.st.UpdateMarkets(ctx, func(qs []store.Quote) error { qs[0].Price = 12345.67; return nil })
		}, srv.site.PublishMarkets},
		{"scores", "sports", "17–16", func() error {
			return srv.st.UpdateScores(ctx, func(s []store.Score) error {
				for i := range s {
					if s[i].State == store.MatchLive {
						s[i].HomeScore, s[i].AwayScore = 17, 16
					}
				}
				return nil
			})
		}, srv.site.PublishScores},
		{"breaking", "breaking", "Live test headline", func() error {
			return srv.st.SetBreaking(ctx, store.Breaking{Headline: "Live test headline", At: time.Now()})
		}, srv.site.PublishBreaking},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			if err := tc.publish(ctx); err != nil {
				t.Fatal(err)
			}
			tb.WaitTrue(t, `document.getElementById(`+jsString(tc.pagelet)+`).textContent.includes(`+jsString(tc.want)+`)`)
		})
	}
}

// TestCommentFieldError posts a comment with an empty name from Chromium
// with JavaScript on: the form enhancer shows the error next to the name
// field without a reload (aria-invalid, aria-describedby, the alert), the
// text stays as typed, and the corrected post goes through under the same
// submission id and clears the error.
func TestCommentFieldError(t *testing.T) {
	srv := newLiveServer(t)
	slug := srv.slug(t)
	tb := newTab(t)
	tb.Navigate(t, srv.URL+"/article/"+slug)
	tb.waitDone(t)
	tb.WaitTrue(t, `document.querySelector(".comment-form").hasAttribute("data-bigpipe-enhanced")`)
	eval[bool](t, tb, `window.__sameDocument = true`)
	eval[bool](t, tb, `document.querySelector(".comment-form").noValidate = true`) // let the empty name reach the server
	eval[bool](t, tb, `(window.__success = 0, document.addEventListener("bigpipe:form-success", e => { window.__success++; window.__successData = e.detail.data; }), true)`)
	id := eval[string](t, tb, `document.querySelector('.comment-form input[name="_submission"]').value`)
	text := "A thought <b>worth</b> keeping."
	fillComment(t, tb, "   ", text)
	if err := chromedp.Do(tb.Ctx, chromedp.Click(".comment-form__submit")); err != nil {
		t.Fatal(err)
	}
	tb.WaitTrue(t, `document.querySelector("#comment-name").getAttribute("aria-invalid") === "true"`)
	got := eval[map[string]string](t, tb, `(() => {
		const name = document.querySelector("#comment-name"), by = name.getAttribute("aria-describedby") || "";
		const err = by && document.getElementById(by.split(" ").pop());
		return {error: err ? err.textContent : "", alert: document.querySelector(".comment-form [role=alert]").textContent,
			text: document.querySelector("#comment-text").value, textInvalid: String(document.querySelector("#comment-text").hasAttribute("aria-invalid")),
			focus: document.activeElement.id, id: document.querySelector('.comment-form input[name="_submission"]').value};
	})()`)
	want := map[string]string{"error": "Your name is empty.", "alert": "Your name is empty.", "text": text, "textInvalid": "false", "focus": "comment-name", "id": id}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after the refused post, %s = %q, want %q", k, got[k], v)
		}
	}
	if !eval[bool](t, tb, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded")
	}
	if err := chromedp.Do(tb.Ctx, chromedp.SendKeys("#comment-name", "Fixed")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tb.Ctx, chromedp.Click(".comment-form__submit")); err != nil {
		t.Fatal(err)
	}
	tb.WaitTrue(t, `window.__success === 1`)
	after := eval[map[string]string](t, tb, `(() => ({invalid: String(document.querySelector("#comment-name").hasAttribute("aria-invalid")),
		errors: String(document.querySelectorAll(".comment-form .bigpipe-form__error").length), alert: document.querySelector(".comment-form [role=alert]").textContent,
		data: window.__successData && window.__successData.id, text: document.querySelector("#comment-text").value}))()`)
	if after["invalid"] != "false" || after["errors"] != "0" || after["alert"] != "" || after["data"] != id || after["text"] != "" {
		t.Errorf("after the corrected post: %v; want no error marks, the event with the comment id %s, the text cleared", after, id)
	}
	cs, err := srv.st.Comments(t.Context(), slug, 0)
	if err != nil || len(cs) != 1 || cs[0].ID != id || cs[0].Text != text || cs[0].Name != "Fixed" {
		t.Errorf("stored %+v, %v; want the corrected comment once, id %s", cs, err, id)
	}
}
