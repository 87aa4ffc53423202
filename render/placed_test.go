package render_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

var (
	placedStyleRE = regexp.MustCompile(`<style data-href="([^"]+)">`)
	setupShownRE  = regexp.MustCompile(`"shown":\[\{"id":"a","css":\[([^\]]*)\],"js":\["\w+"\]\},\{"id":"b","css":\[([^\]]*)\]\}\]`)
)

// servePlaced serves one request for page in the pipelined mode inside a
// synctest bubble, with the layout settled (see settled): each pagelet
// whose load can finish is done before the skeleton's head is written. The
// gate, opened by the skeleton's flush, lets gated pagelets finish after it.
func servePlaced(t *testing.T, page func(gate chan struct{}) *pagelet.Page, opts ...render.PageOption) string {
	t.Helper()
	return serveSettled(t, render.Pipelined, page, opts...)
}

// serveSettled is servePlaced in mode.
func serveSettled(t *testing.T, mode render.Mode, page func(gate chan struct{}) *pagelet.Page, opts ...render.PageOption) string {
	t.Helper()
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithRuntime("bigpipe.js"))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		p := settled(page(gate))
		opts = append(opts, render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
		h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return p, nil }, opts...)
		h.ServeHTTP(gateOnFlush{rec, sync.OnceFunc(func() { close(gate) })}, httptest.NewRequest("GET", "/", nil))
	})
	return rec.Body.String()
}

// gateOnFlush is a recorder that calls open when it is first flushed.
type gateOnFlush struct {
	*httptest.ResponseRecorder
	open func()
}

func (g gateOnFlush) Flush() {
	g.open()
	g.ResponseRecorder.Flush()
}

// TestPlacedPagelets: a pagelet done before the skeleton's head is written
// is placed in its slot as HTML, shown, with its stylesheets in <head> (a
// small one as <style>, once however many pagelets need it; one too big to
// inline linked), and the runtime's setup lists it as shown with its CSS and
// JS; a pagelet finished later still comes as a
// payload, which carries no stylesheet the head applied.
func TestPlacedPagelets(t *testing.T) {
	body := servePlaced(t, func(gate chan struct{}) *pagelet.Page {
		p := pageOf(delayed("a", 0), delayed("b", 0), gated("c", gate))
		p.Pagelets[0].CSS = []string{"shared.css", "a.css"}
		p.Pagelets[0].JS = []string{"a.js"}
		p.Pagelets[1].CSS = []string{"shared.css", "site.css", "big.css"}
		p.Pagelets[2].CSS = []string{"shared.css", "a.css"}
		return p
	})
	h, rest, _ := strings.Cut(body, "</head>")
	skeleton, payloads, _ := strings.Cut(rest, "bigPipe.onPageletArrive(")

	if got, want := hrefs(placedStyleRE, h), []string{"/static/shared.css", "/static/a.css"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("head <style> elements %q, want %q\nhead: %s", got, want, h)
	}
	if got, want := hrefs(stylesheetRE, h), []string{"/static/site.css", "/static/big.css"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("head stylesheets %q, want %q (site.css once)\nhead: %s", got, want, h)
	}
	if i, j := strings.Index(h, "<script"), strings.Index(h, "<style"); i < 0 || j < i {
		t.Errorf("the placed stylesheets do not come after the runtime: %s", h)
	}
	for _, id := range []string{"a", "b"} {
		open := `<div id="` + id + `" class="pagelet" data-bigpipe="shown" aria-busy="false" aria-live="polite">` + marker(id) + `</div>`
		if !strings.Contains(skeleton, open) {
			t.Errorf("pagelet %s not placed in its slot as %s:\n%s", id, open, skeleton)
		}
	}
	if !strings.Contains(skeleton, `<div id="c" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite">loading c</div>`) {
		t.Errorf("pagelet c, still loading, has no placeholder:\n%s", skeleton)
	}
	if m := setupShownRE.FindStringSubmatch(skeleton); m == nil || strings.Count(m[1], ",") != 1 || strings.Count(m[2], ",") != 2 {
		t.Errorf("setup does not list a (its 2 stylesheets, its JS) and b (its 3 stylesheets) as shown:\n%s", skeleton)
	}
	if strings.Contains(payloads, `"id":"a"`) || strings.Contains(payloads, `"id":"b"`) || !strings.HasPrefix(payloads, `{"id":"c"`) {
		t.Errorf("payloads are not c's alone:\n%s", payloads)
	}
	if strings.Contains(payloads, `"styles"`) {
		t.Errorf("c's payload carries a stylesheet the head applied:\n%s", payloads)
	}
	if n := strings.Count(body, ".shared{color:red}"); n != 1 {
		t.Errorf("shared.css sent %d times, want once", n)
	}
}

// TestPayloadsOnly: with WithPayloadsOnly nothing is placed, however early
// the pagelets are done.
func TestPayloadsOnly(t *testing.T) {
	body := servePlaced(t, func(chan struct{}) *pagelet.Page {
		return pageOf(delayed("a", 0), delayed("b", 0))
	}, render.WithPayloadsOnly(true))
	if strings.Contains(body, `data-bigpipe="shown"`) || strings.Contains(body, `"shown":`) {
		t.Errorf("a pagelet placed:\n%s", body)
	}
	for _, id := range []string{"a", "b"} {
		if !strings.Contains(body, payloadOf(id)) {
			t.Errorf("no payload for %s:\n%s", id, body)
		}
	}
}
