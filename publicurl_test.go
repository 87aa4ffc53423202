package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
)

var canonicalRE = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)

// canonicalOf fetches path from base as Googlebot with the headers h and
// returns its canonical link.
func canonicalOf(t *testing.T, base, path string, h http.Header) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header = h.Clone()
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := canonicalRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("GET %s: %d, no canonical link", path, resp.StatusCode)
	}
	return string(m[1])
}

// TestPublicURL: -public-url fixes the origin of the pages' absolute URLs;
// without it a trusted proxy's X-Forwarded-Proto sets the scheme, and an
// untrusted client's is ignored.
func TestPublicURL(t *testing.T) {
	fixed := startRun(t, "-public-url", "https://news.example", "-live-sim=false")
	if got := canonicalOf(t, fixed.base, "/?utm_source=x", http.Header{"X-Forwarded-Proto": {"http"}}); got != "https://news.example/" {
		t.Errorf("with -public-url: canonical %q", got)
	}
	proxied := startRun(t, "-trusted-proxies", "127.0.0.1", "-live-sim=false")
	h := http.Header{"X-Forwarded-For": {"198.51.100.7"}, "X-Forwarded-Proto": {"https"}}
	if got, want := canonicalOf(t, proxied.base, "/", h), "https://"+proxied.base[len("http://"):]+"/"; got != want {
		t.Errorf("behind a trusted proxy: canonical %q, want %q", got, want)
	}
	direct := startRun(t, "-live-sim=false")
	if got, want := canonicalOf(t, direct.base, "/", h), direct.base+"/"; got != want {
		t.Errorf("no trusted proxy: canonical %q, want %q", got, want)
	}
	for _, bad := range []string{"news.example", "https://news.example/news", "ftp://news.example"} {
		if err := run(context.Background(), []string{"-public-url", bad}, nil); err == nil {
			t.Errorf("-public-url %s: no error", bad)
		}
	}
}
