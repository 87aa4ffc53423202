package assets_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
)

var files = fstest.MapFS{
	"bigpipe.js":         {Data: []byte("// the runtime\nwindow.bigPipe = { answer: 40 + 2 };\n")},
	"css/site.css":       {Data: []byte("/* site */\nbody {\n  margin: 0px;\n  color: #ff0000;\n}\n")},
	"pagelets/news.css":  {Data: []byte(".news { padding: 0px 0px; }\n")},
	"pagelets/copy.css":  {Data: []byte(".news { padding: 0px 0px; }\n")}, // same bytes as news.css
	"pagelets/news.js":   {Data: []byte("(function () { var x = 1; window.n = x; })();\n")},
	"img/logo.svg":       {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
	"_private/notes.css": {Data: []byte("skip me")},
	".hidden.js":         {Data: []byte("skip me")},
	"static.go":          {Data: []byte("package static")},
	"odd name <&>\".css": {Data: []byte(".odd { color: blue }")},
	"css/big.css":        {Data: bigCSS()},                                                  // compresses with both codings
	"img/dot.png":        {Data: []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 200))}, // never compressed
}

// bigCSS is a stylesheet large and repetitive enough that gzip and brotli
// both beat its minified form.
func bigCSS() []byte {
	var b bytes.Buffer
	for i := range 80 {
		fmt.Fprintf(&b, ".card-%d { margin: %dpx 0; color: #%06x; }\n", i, i%7, i*4099)
	}
	return b.Bytes()
}

func newRegistry(t *testing.T) *assets.Registry {
	t.Helper()
	reg, err := assets.New(files)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestMinifiedAndFingerprinted(t *testing.T) {
	reg := newRegistry(t)
	tests := []struct {
		name, wantType, wantBody string
		wantURL                  *regexp.Regexp
	}{
		{"css/site.css", "css", "body{margin:0;color:red}", regexp.MustCompile(`^/static/css/site\.[0-9a-f]{10}\.css$`)},
		{"bigpipe.js", "js", "window.bigPipe={answer:40+2}", regexp.MustCompile(`^/static/bigpipe\.[0-9a-f]{10}\.js$`)},
		{"img/logo.svg", "other", "<svg xmlns='http://www.w3.org/2000/svg'/>", regexp.MustCompile(`^/static/img/logo\.[0-9a-f]{10}\.svg$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok := reg.Lookup(tc.name)
			if !ok {
				t.Fatalf("%s not registered", tc.name)
			}
			if string(a.Type) != tc.wantType {
				t.Errorf("type %q, want %q", a.Type, tc.wantType)
			}
			if got := strings.TrimSpace(string(a.Body)); got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			if !tc.wantURL.MatchString(a.URL) {
				t.Errorf("URL %q does not match %v", a.URL, tc.wantURL)
			}
			if !regexp.MustCompile(`^[a-z2-7]{5}$`).MatchString(a.ID) {
				t.Errorf("id %q is not 5 characters of [a-z2-7]", a.ID)
			}
		})
	}
	for _, skipped := range []string{"_private/notes.css", ".hidden.js", "static.go"} {
		if _, ok := reg.Lookup(skipped); ok {
			t.Errorf("%s should not be served", skipped)
		}
	}
}

// TestIDsStable checks ids depend on content only: two registries built
// independently (two instances, two restarts) agree, and equal content
// shares an id.
func TestIDsStable(t *testing.T) {
	a, b := newRegistry(t), newRegistry(t)
	seen := map[string]string{}
	for _, x := range a.All() {
		y, _ := b.Lookup(x.Name)
		if x.ID != y.ID || x.URL != y.URL {
			t.Errorf("%s: %s %s vs %s %s", x.Name, x.ID, x.URL, y.ID, y.URL)
		}
		if prev, dup := seen[x.ID]; dup && string(mustLookup(t, a, prev).Body) != string(x.Body) {
			t.Errorf("different files %s and %s share id %s", prev, x.Name, x.ID)
		}
		seen[x.ID] = x.Name
	}
	if n, c := mustLookup(t, a, "pagelets/news.css"), mustLookup(t, a, "pagelets/copy.css"); n.ID != c.ID {
		t.Errorf("identical files got ids %s and %s", n.ID, c.ID)
	}
}

func mustLookup(t *testing.T, r *assets.Registry, name string) *assets.Asset {
	a, ok := r.Lookup(name)
	if !ok {
		t.Fatalf("%s missing", name)
	}
	return a
}

func TestServe(t *testing.T) {
	reg := newRegistry(t)
	site := mustLookup(t, reg, "css/site.css")
	js := mustLookup(t, reg, "bigpipe.js")
	odd := mustLookup(t, reg, "odd name <&>\".css")
	tests := []struct {
		name, method, path, ifNoneMatch string
		want                            int
		wantCache, wantType, wantBody   string
	}{
		{"hashed css", "GET", site.URL, "", 200, assets.CacheImmutable, "text/css; charset=utf-8", string(site.Body)},
		{"hashed js", "GET", js.URL, "", 200, assets.CacheImmutable, "text/javascript; charset=utf-8", string(js.Body)},
		{"escaped odd name", "GET", odd.URL, "", 200, assets.CacheImmutable, "text/css; charset=utf-8", string(odd.Body)},
		{"plain name", "GET", "/static/css/site.css", "", 200, assets.CachePlain, "text/css; charset=utf-8", string(site.Body)},
		{"stale hash", "GET", "/static/css/site.0123456789.css", "", 404, "", "", ""},
		{"other file's hash", "GET", strings.Replace(js.URL, "bigpipe", "css/site", 1), "", 404, "", "", ""},
		{"unknown", "GET", "/static/nope.css", "", 404, "", "", ""},
		{"traversal", "GET", "/static/../go.mod", "", 404, "", "", ""},
		{"revalidate", "GET", site.URL, site.ETag, 304, "", "", ""},
		{"post", "POST", site.URL, "", 405, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://x"+tc.path, nil)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want != http.StatusOK {
				return
			}
			h := rec.Header()
			if h.Get("Cache-Control") != tc.wantCache || h.Get("Content-Type") != tc.wantType {
				t.Errorf("Cache-Control %q, Content-Type %q; want %q, %q", h.Get("Cache-Control"), h.Get("Content-Type"), tc.wantCache, tc.wantType)
			}
			if h.Get("ETag") == "" || strings.HasPrefix(h.Get("ETag"), "W/") {
				t.Errorf("ETag %q, want a strong ETag", h.Get("ETag"))
			}
			if rec.Body.String() != tc.wantBody {
				t.Errorf("body %q, want %q", rec.Body.String(), tc.wantBody)
			}
		})
	}
}

func TestMinifyError(t *testing.T) {
	_, err := assets.New(fstest.MapFS{"bad.js": {Data: []byte("function (")}})
	if err == nil || !strings.Contains(err.Error(), "bad.js") {
		t.Errorf("err = %v, want a minify error naming bad.js", err)
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := newRegistry(t).Get("missing.css")
	if err == nil || !strings.Contains(err.Error(), `"missing.css"`) {
		t.Errorf("err = %v", err)
	}
}

func ExampleRegistry_Lookup() {
	reg, _ := assets.New(fstest.MapFS{"news.css": {Data: []byte(".news {\n  color: #ff0000;\n}\n")}})
	a, _ := reg.Lookup("news.css")
	fmt.Println(a.URL) // the hash is of the minified bytes
	fmt.Println(string(a.Body), a.ID)
	// Output:
	// /static/news.80ad4cdb80.css
	// .news{color:red} qcwuz
}
