package render_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// runtimeFigure is how README.md states the built-in runtime's size.
var runtimeFigure = regexp.MustCompile(`the ([0-9.]+) KB runtime \(([0-9.]+) KB gzipped`)

// TestReadmeRuntimeSize checks the runtime's size that README.md states
// (in kB of 1,000 bytes, to one decimal) against the runtime the renderer
// serves: minified, and gzipped as served.
func TestReadmeRuntimeSize(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := runtimeFigure.FindSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md does not state the runtime's size as %q", runtimeFigure)
	}
	reg, err := assets.New(fstest.MapFS{"site.css": {Data: []byte("body { margin: 0 }")}})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return pageOf(delayed("a", 0)), nil
	}, render.WithLinkedRuntime(true)))
	mux.Handle(rd.Path(), rd)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// The skeleton links the runtime: <script src="/_bigpipe/bigpipe.….js" …>.
	_, page := fetch(t, srv.URL+"/", "", chromeUA)
	src := runtimeSrc.FindStringSubmatch(page)
	if src == nil {
		t.Fatalf("the page links no runtime script:\n%s", page)
	}
	minified, _ := fetch(t, srv.URL+src[1], "identity", chromeUA)
	gzipped, _ := fetch(t, srv.URL+src[1], "gzip", chromeUA)
	kb := func(n int) string { return fmt.Sprintf("%.1f", float64(n)/1000) }
	if got, want := string(m[1]), kb(minified); got != want {
		t.Errorf("README.md says the runtime is %s KB; it is %d bytes minified: write %s KB", got, minified, want)
	}
	if got, want := string(m[2]), kb(gzipped); got != want {
		t.Errorf("README.md says the runtime is %s KB gzipped; it is %d bytes: write %s KB", got, gzipped, want)
	}
	t.Logf("runtime: %d bytes minified, %d gzipped", minified, gzipped)
}

// runtimeSrc finds the runtime's URL in a skeleton that links it.
var runtimeSrc = regexp.MustCompile(`<script[^>]* src="(/_bigpipe/[^"]+\.js)"`)

// fetch GETs url with the given Accept-Encoding ("" for none) and
// User-Agent and returns the length of the body as sent and the body as
// text (undecoded).
func fetch(t *testing.T, url, encoding, ua string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if encoding != "" && encoding != "identity" && resp.Header.Get("Content-Encoding") != encoding {
		t.Fatalf("GET %s with Accept-Encoding %s: Content-Encoding %q", url, encoding, resp.Header.Get("Content-Encoding"))
	}
	return len(b), string(b)
}
