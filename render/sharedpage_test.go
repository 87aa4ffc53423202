package render_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestSharedPage checks what PageFunc promises: the renderer only reads
// the page, so one page may be returned to many requests at once. Run
// under -race (make test's race lane), a write to the shared page by any
// request is a failure; in every mode, each of the concurrent pages is
// whole, with its cached and uncached pagelets.
func TestSharedPage(t *testing.T) {
	var calls atomic.Int32
	page := pageOf(
		counted("a", &calls, func(context.Context) (string, error) { return marker("a"), nil }),
		pagelet.Pagelet{ID: "b", Load: pagelet.Static(text(marker("b")))},
		counted("c", &calls, func(context.Context) (string, error) { return marker("c"), nil }),
	)
	page.Head = templ.Raw(`<meta name="description" content="shared">`)
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithCache(newCache(t)))
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
		render.WithModeFunc(modeFromQuery))
	modes := []render.Mode{render.Pipelined, render.Native, render.InOrder, render.Serial}
	const perMode = 8
	var wg sync.WaitGroup
	bodies := make([]string, len(modes)*perMode)
	for i := range bodies {
		wg.Go(func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/?mode="+modes[i%len(modes)].String(), nil))
			bodies[i] = w.Body.String()
		})
	}
	wg.Wait()
	for i, body := range bodies {
		mode := modes[i%len(modes)]
		for _, id := range []string{"a", "b", "c"} {
			if !strings.Contains(body, marker(id)) {
				t.Errorf("%s page %d: pagelet %s missing", mode, i, id)
			}
		}
		if !strings.Contains(body, `content="shared"`) || !strings.HasSuffix(body, "</body></html>") {
			t.Errorf("%s page %d not whole (%d bytes, ending %q)", mode, i, len(body), body[max(0, len(body)-40):])
		}
	}
}
