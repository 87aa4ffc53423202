package assets_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
)

// devDir is a temporary asset directory. Its writes replace files
// atomically, as editors do, and always move the modification time forward,
// so no edit hides in the file system's clock granularity.
type devDir struct {
	t     testing.TB
	dir   string
	mtime time.Time
}

func newDevDir(t testing.TB, files map[string]string) *devDir {
	d := &devDir{t: t, dir: t.TempDir(), mtime: time.Now().Add(-time.Hour)}
	for name, data := range files {
		d.write(name, data)
	}
	return d
}

func (d *devDir) write(name, data string) {
	d.t.Helper()
	p := filepath.Join(d.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		d.t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(p), ".tmp-"+filepath.Base(p)) // hidden: never served
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.mtime = d.mtime.Add(time.Second)
	if err := os.Chtimes(tmp, d.mtime, d.mtime); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		d.t.Fatal(err)
	}
}

func TestDevReload(t *testing.T) {
	d := newDevDir(t, map[string]string{
		"css/site.css": "body { margin: 0px }",
		"app.js":       "window.v = 1;",
	})
	reg, err := assets.NewDev(d.dir, assets.WithPollInterval(0), assets.WithBundle("all.css", "css/site.css"))
	if err != nil {
		t.Fatal(err)
	}
	v1 := mustLookup(t, reg, "css/site.css")
	js1 := mustLookup(t, reg, "app.js")
	bundle1 := mustLookup(t, reg, "all.css")
	if string(v1.Body) != "body{margin:0}" {
		t.Fatalf("body %q", v1.Body)
	}

	d.write("css/site.css", "body { margin: 1px }")
	v2 := mustLookup(t, reg, "css/site.css")
	if string(v2.Body) != "body{margin:1px}" || v2.URL == v1.URL || v2.ID == v1.ID {
		t.Errorf("after an edit: body %q URL %s id %s; want new bytes, URL and id (old URL %s, id %s)", v2.Body, v2.URL, v2.ID, v1.URL, v1.ID)
	}
	if b := mustLookup(t, reg, "all.css"); string(b.Body) != "body{margin:1px}" || b.URL == bundle1.URL {
		t.Errorf("bundle not rebuilt: %q %s", b.Body, b.URL)
	}
	if js2 := mustLookup(t, reg, "app.js"); &js2.Body[0] != &js1.Body[0] || js2.ID != js1.ID {
		t.Errorf("an unchanged file was built again")
	}
	if v1.URL == "" || string(v1.Body) != "body{margin:0}" {
		t.Errorf("an asset looked up before the edit changed: %q", v1.Body)
	}

	tests := []struct {
		name, path string
		want       int
		wantBody   string
		wantCache  string
	}{
		{"new hashed URL", v2.URL, 200, "body{margin:1px}", assets.CacheImmutable},
		{"previous hashed URL still served", v1.URL, 200, "body{margin:0}", assets.CacheImmutable},
		{"plain name", "/static/css/site.css", 200, "body{margin:1px}", assets.CacheDev},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(reg, "GET", tc.path, nil)
			if rec.Code != tc.want || rec.Body.String() != tc.wantBody || rec.Header().Get("Cache-Control") != tc.wantCache {
				t.Errorf("got %d %q %q, want %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Cache-Control"), tc.want, tc.wantBody, tc.wantCache)
			}
		})
	}

	d.write("css/site.css", "body { margin: 2px }")
	if v3 := mustLookup(t, reg, "css/site.css"); string(v3.Body) != "body{margin:2px}" {
		t.Errorf("second edit: body %q", v3.Body)
	}
	if rec := serve(reg, "GET", v1.URL, nil); rec.Code != http.StatusNotFound {
		t.Errorf("URL from two edits ago: %d, want 404", rec.Code)
	}

	d.write("new.css", ".n { margin: 0px }")
	if a, ok := reg.Lookup("new.css"); !ok || string(a.Body) != ".n{margin:0}" {
		t.Errorf("added file: %v %v", ok, a)
	}
	if err := os.Remove(filepath.Join(d.dir, "new.css")); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Lookup("new.css"); ok {
		t.Errorf("removed file still registered")
	}
}

func TestDevBrokenEdit(t *testing.T) {
	d := newDevDir(t, map[string]string{"app.js": "window.v = 1;"})
	reg, err := assets.NewDev(d.dir, assets.WithPollInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	good := mustLookup(t, reg, "app.js")
	d.write("app.js", "function (")
	if err := reg.Err(); err == nil || !strings.Contains(err.Error(), "app.js") {
		t.Errorf("Err() = %v, want the minify error", err)
	}
	if a := mustLookup(t, reg, "app.js"); a != good {
		t.Errorf("a broken edit replaced the last good build: %q", a.Body)
	}
	d.write("app.js", "window.v = 2;")
	if a := mustLookup(t, reg, "app.js"); string(a.Body) != "window.v=2" || reg.Err() != nil {
		t.Errorf("after the fix: body %q, Err %v", a.Body, reg.Err())
	}
}

func TestDevPollInterval(t *testing.T) {
	d := newDevDir(t, map[string]string{"app.js": "window.v = 1;"})
	reg, err := assets.NewDev(d.dir, assets.WithPollInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d.write("app.js", "window.v = 2;")
	if a := mustLookup(t, reg, "app.js"); string(a.Body) != "window.v=1" {
		t.Errorf("checked before the interval passed: %q", a.Body)
	}
}

func TestDevMissingDir(t *testing.T) {
	if _, err := assets.NewDev(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("NewDev of a missing directory succeeded")
	}
}

// TestDevConcurrent edits files while readers look up and serve: under
// -race, and every asset a reader gets must be whole (its URL serves exactly
// its bytes, or is 404 once two edits have passed).
func TestDevConcurrent(t *testing.T) {
	d := newDevDir(t, map[string]string{"a.css": ".a{margin:0}", "b.js": "window.b=0"})
	reg, err := assets.NewDev(d.dir, assets.WithPollInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, err := reg.Get("a.css")
				if err != nil {
					t.Error(err)
					return
				}
				if !strings.HasPrefix(string(a.Body), ".a{margin:") {
					t.Errorf("half-built body %q", a.Body)
				}
				rec := serve(reg, "GET", a.URL, nil)
				if rec.Code == http.StatusOK && rec.Body.String() != string(a.Body) {
					t.Errorf("%s serves %q, want %q", a.URL, rec.Body.String(), a.Body)
				}
			}
		})
	}
	for i := range 30 {
		d.write("a.css", ".a { margin: "+strings.Repeat("1", i+1)+"px }")
	}
	close(stop)
	wg.Wait()
}
