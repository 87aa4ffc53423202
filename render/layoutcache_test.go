package render_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// countedLayout is a layout placing ids in a list, counting how often it
// is rendered; with nonce it also writes the request's CSP nonce.
func countedLayout(renders *atomic.Int32, nonce bool, ids ...string) func(pagelet.Slot) templ.Component {
	return func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			renders.Add(1)
			if _, err := io.WriteString(w, "<main>"); err != nil {
				return err
			}
			if nonce {
				if _, err := io.WriteString(w, `<p data-n="`+templ.GetNonce(ctx)+`">`); err != nil {
					return err
				}
			}
			for _, id := range ids {
				if err := slot(id).Render(ctx, w); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
}

// TestLayoutKey checks pagelet.Page.LayoutKey: pages with one key and the
// same pagelets render their layout once and are byte for byte what they
// would be without the key, in every mode; other pagelets under the key,
// or a layout that writes the request's nonce, render it again each time.
func TestLayoutKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pages [][]string // the pagelet ids of each request's page, all under one key
		nonce bool       // the layout writes the nonce
		want  int32      // layout renders for the requests
	}{
		{"same pagelets", [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}}, false, 1},
		{"other pagelets under the key", [][]string{{"a", "b"}, {"b", "a"}, {"a", "b", "c"}, {"a", "b"}}, false, 4},
		{"writes the nonce", [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}}, true, 3},
	} {
		for _, mode := range []render.Mode{render.Pipelined, render.Native, render.InOrder, render.Serial} {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				var logs strings.Builder
				rd, err := render.New(testAssets(t), render.WithCSP(true), render.WithServerTiming(false),
					render.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
				if err != nil {
					t.Fatal(err)
				}
				var renders, plain atomic.Int32
				serve := func(ids []string, key string, renders *atomic.Int32) string {
					var pls []pagelet.Pagelet
					for _, id := range ids {
						pls = append(pls, pagelet.Pagelet{ID: id, Load: func(context.Context) (templ.Component, error) { return text(marker(id)), nil }})
					}
					page := &pagelet.Page{Title: "T", Layout: countedLayout(renders, tc.nonce, ids...), LayoutKey: key, Pagelets: pls}
					h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
						render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
					if w.Code != http.StatusOK {
						t.Fatalf("status %d: %s", w.Code, w.Body)
					}
					// The nonce differs per page: compare the rest.
					nonce := strings.TrimSuffix(strings.TrimPrefix(w.Header().Get("Content-Security-Policy"), "script-src 'nonce-"), "' 'strict-dynamic'; object-src 'none'; base-uri 'none'")
					return strings.ReplaceAll(w.Body.String(), nonce, "NONCE")
				}
				for i, ids := range tc.pages {
					got, want := serve(ids, "k", &renders), serve(ids, "", &plain)
					for _, id := range ids {
						if !strings.Contains(got, marker(id)) {
							t.Errorf("page %d: pagelet %s missing", i, id)
						}
					}
					// Which pagelets the out-of-order modes place in the
					// skeleton depends on which are ready by then: the bytes
					// are compared where they cannot.
					if (mode == render.Serial || mode == render.InOrder) && got != want {
						t.Errorf("page %d with the key differs from the page without:\n got %s\nwant %s", i, got, want)
					}
				}
				if n := renders.Load(); n != tc.want {
					t.Errorf("layout rendered %d times for %d pages, want %d", n, len(tc.pages), tc.want)
				}
				if warned := strings.Count(logs.String(), "level=WARN msg=\"page layout not reused"); warned != map[bool]int{true: 1, false: 0}[tc.nonce] {
					t.Errorf("nonce warning logged %d times:\n%s", warned, logs.String())
				}
			})
		}
	}
}
