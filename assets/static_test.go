package assets_test

import (
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/static"
)

// reversedFS lists every directory backwards, so a walk meets the files in
// the opposite order.
type reversedFS struct{ fs.FS }

func (r reversedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(r.FS, name)
	slices.Reverse(es)
	return es, err
}

// copyFS copies fsys into a MapFS: another FS implementation, and a way to
// check an embed.FS directly.
func copyFS(t *testing.T, fsys fs.FS) fstest.MapFS {
	out := fstest.MapFS{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		out[name] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStaticIDsStable: the ids and URLs of the real static files depend on
// their contents only, not on the registry instance, the FS implementation
// or the order a walk finds the files in.
func TestStaticIDsStable(t *testing.T) {
	first, err := assets.New(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.All()) < 10 {
		t.Fatalf("only %d static assets", len(first.All()))
	}
	others := map[string]fs.FS{
		"again":    static.FS,
		"reversed": reversedFS{static.FS},
		"map":      copyFS(t, static.FS),
	}
	for name, fsys := range others {
		t.Run(name, func(t *testing.T) {
			reg, err := assets.New(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(reg.All()), len(first.All()); got != want {
				t.Fatalf("%d assets, want %d", got, want)
			}
			ids := map[string]string{}
			for _, a := range first.All() {
				b := mustLookup(t, reg, a.Name)
				if a.ID != b.ID || a.URL != b.URL || a.ETag != b.ETag {
					t.Errorf("%s: id %s url %s etag %s, want %s %s %s", a.Name, b.ID, b.URL, b.ETag, a.ID, a.URL, a.ETag)
				}
				if prev, dup := ids[a.ID]; dup {
					t.Errorf("%s and %s share id %s", prev, a.Name, a.ID)
				}
				ids[a.ID] = a.Name
			}
		})
	}
}

// TestStaticSizes logs what compression does for the demo's CSS and JS
// (go test -run StaticSizes -v ./assets) and checks the big ones got both
// variants. The images (already compressed) are left out.
func TestStaticSizes(t *testing.T) {
	reg, err := assets.New(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	var total assets.Sizes
	for _, a := range reg.All() {
		if a.Type == assets.Other {
			continue
		}
		s := a.Sizes()
		t.Logf("%-26s raw %6d  min %6d  gzip %6d  br %6d", a.Name, s.Raw, s.Min, s.Gzip, s.Brotli)
		total.Raw, total.Min, total.Gzip, total.Brotli = total.Raw+s.Raw, total.Min+s.Min, total.Gzip+s.Gzip, total.Brotli+s.Brotli
		if s.Min > 1000 && (s.Gzip == 0 || s.Brotli == 0 || s.Brotli >= s.Min) {
			t.Errorf("%s: %+v, want both variants for a %d-byte text file", a.Name, s, s.Min)
		}
	}
	t.Logf("%-26s raw %6d  min %6d  gzip %6d  br %6d", "total", total.Raw, total.Min, total.Gzip, total.Brotli)
}
