package pages_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestCheckDemo runs the demo's start-up check over every page it serves,
// static and live, and over its routes: a typo in an asset name, a layout
// that misses a pagelet or a live channel no feed declares fails here.
func TestCheckDemo(t *testing.T) {
	for _, withLive := range []bool{false, true} {
		name := "static"
		if withLive {
			name = "live"
		}
		t.Run(name, func(t *testing.T) {
			_, st := newSite(t)
			reg, err := assets.New(staticFS, pages.Bundles()...)
			if err != nil {
				t.Fatal(err)
			}
			ropts := []render.Option{render.WithLogger(discard)}
			sopts := []pages.Option{pages.WithNow(func() time.Time { return testNow }), pages.WithAssets(reg), pages.WithLogger(discard)}
			var eng *live.Engine
			if withLive {
				eng, err = live.New(reg, live.WithLogger(discard), live.WithSecret([]byte("pages test secret")))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = eng.Close(ctx)
				})
				ropts = append(ropts, render.WithLive(eng))
				sopts = append(sopts, pages.WithLive(eng))
			}
			rd, err := render.New(reg, ropts...)
			if err != nil {
				t.Fatal(err)
			}
			site := pages.NewSite(st, sopts...)
			if err := site.Check(t.Context(), rd); err != nil {
				t.Errorf("Check:\n%v", err)
			}
			mux := http.NewServeMux()
			if eng != nil {
				mux.Handle(eng.Path(), eng)
			}
			mux.Handle("/", pages.Routes(rd, reg, site))
			if err := rd.CheckMounted(t.Context(), mux); err != nil {
				t.Errorf("CheckMounted:\n%v", err)
			}
		})
	}
}

// TestCheckDemoFindsMissingAsset gives the demo a registry without the
// article's related-stories stylesheet: Check names the route, the
// pagelet and the file.
func TestCheckDemoFindsMissingAsset(t *testing.T) {
	const missing = "pagelets/related.css"
	files := fstest.MapFS{}
	err := fs.WalkDir(staticFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == missing {
			return err
		}
		data, err := fs.ReadFile(staticFS, path)
		files[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := assets.New(files, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	site, _ := newSite(t)
	err = site.Check(t.Context(), rd)
	if !errors.Is(err, assets.ErrUnknown) {
		t.Fatalf("Check() = %v, want assets.ErrUnknown", err)
	}
	for _, want := range []string{`route "GET /article/{slug}"`, `pagelet "related": CSS`, `"` + missing + `"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v\nwant it to mention %s", err, want)
		}
	}
	if strings.Contains(err.Error(), `route "GET /{$}"`) {
		t.Errorf("Check() blames the front page, which does not use %s:\n%v", missing, err)
	}
}
