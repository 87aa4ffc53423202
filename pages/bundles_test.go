package pages_test

import (
	"log/slog"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// TestHomeBundle: a plain-HTML front page links its CSS as one bundle; the
// BigPipe front page links the site CSS alone.
func TestHomeBundle(t *testing.T) {
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Routes(rd, reg, pages.NewSite(st)))
	defer srv.Close()
	links := regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)"`)
	for _, tc := range []struct{ query, want string }{{"?nojs=1", "/static/bundles/home."}, {"", "/static/css/site."}} {
		body := string(fetch(t, srv.URL+"/"+tc.query).Body())
		got := links.FindAllStringSubmatch(body, -1)
		if len(got) != 1 || !regexp.MustCompile("^"+regexp.QuoteMeta(tc.want)).MatchString(got[0][1]) {
			t.Errorf("/%s links %v, want one stylesheet %s…", tc.query, got, tc.want)
		}
	}
}
