package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestCheckSite runs the start-up check over the demo's pages and its
// routes as newSite mounts them, and over the same routes without the
// live engine's endpoint, which it must refuse with a message that says
// what to mount.
func TestCheckSite(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "news.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := newAssets("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := live.New(reg, live.WithLogger(nil), live.WithSecret([]byte("check test")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	rd, err := render.New(reg, render.WithLogger(nil), render.WithLive(eng))
	if err != nil {
		t.Fatal(err)
	}
	site := pages.NewSite(st, pages.WithAssets(reg), pages.WithLive(eng), pages.WithLogger(nil))

	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	mux.Handle("/", pages.Routes(rd, reg, site))
	if err := checkSite(rd, site, mux); err != nil {
		t.Errorf("checkSite(the demo) = %v, want nil", err)
	}

	err = checkSite(rd, site, pages.Routes(rd, reg, site)) // the engine not mounted
	if err == nil {
		t.Fatal("checkSite passed a site without the live engine's endpoint")
	}
	for _, want := range []string{"start-up check failed", "the live client: GET /_live/live.", `mux.Handle("/_live/", eng)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("checkSite() = %v\nwant it to mention %q", err, want)
		}
	}
}
