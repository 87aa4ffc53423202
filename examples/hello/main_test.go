package main

import (
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestSite serves the example over loopback as a browser and as a crawler
// would fetch it: the pipelined page carries its head markup, streams both
// pagelets and links only files that the site serves; the crawler gets
// the same content inline.
func TestSite(t *testing.T) {
	site, err := newSite()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)

	resp, body := fetch(t, srv.URL+"/", chromeUA)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-BigPipe-Mode") != "pipelined" {
		t.Fatalf("status %d, mode %q", resp.StatusCode, resp.Header.Get("X-BigPipe-Mode"))
	}
	head, _, _ := strings.Cut(body, "</head>")
	for _, want := range []string{`<meta name="description" content="Today&#39;s headlines and the weather.">`, "onPageletArrive"} {
		if !strings.Contains(head, want) {
			t.Errorf("head lacks %s:\n%s", want, head)
		}
	}
	// Each pagelet comes as a payload, or, done before the skeleton was
	// written, placed in its slot.
	for _, id := range []string{"news", "weather"} {
		if !strings.Contains(body, `bigPipe.onPageletArrive({"id":"`+id+`"`) && !strings.Contains(body, `<div id="`+id+`" class="pagelet" data-bigpipe="shown"`) {
			t.Errorf("page lacks pagelet %s", id)
		}
	}
	if !strings.Contains(body, `Weather in Lisbon`) {
		t.Errorf("page lacks the weather")
	}
	// Every file the page links or lists for the runtime is served.
	urls := regexp.MustCompile(`(?:href="|"url":")(/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(urls) < 3 { // site.css, weather.css, weather.js
		t.Fatalf("only %d asset URLs in the page:\n%s", len(urls), body)
	}
	for _, m := range urls {
		if r, _ := fetch(t, srv.URL+m[1], chromeUA); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", m[1], r.StatusCode)
		}
	}
	_, plain := fetch(t, srv.URL+"/", "Googlebot/2.1 (+http://www.google.com/bot.html)")
	for _, want := range []string{"Harbour bridge reopens", "Weather in Lisbon", "21 °C"} {
		if !strings.Contains(plain, want) {
			t.Errorf("crawler page lacks %q", want)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Get(srv.URL + "/_bigpipe/nojs?next=%2F")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("no-JS redirect: %d", r.StatusCode)
	}
}

func fetch(t *testing.T, url, ua string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestREADME checks that the README shows every part of this program
// marked "README: begin" … "README: end" as it is (the program in "Use it
// as a library", the site in "Write a pagelet"), so that the README cannot
// drift from the API.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, fence string }{{"main.go", "go"}, {"hello.templ", "templ"}} {
		src, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		rest, n := string(src), 0
		for {
			_, after, ok := strings.Cut(rest, "// README: begin\n")
			if !ok {
				break
			}
			part, tail, ok := strings.Cut(after, "// README: end")
			if !ok {
				t.Fatalf("%s: a README: begin marker has no end", tc.file)
			}
			block := "```" + tc.fence + "\n" + strings.TrimSpace(part) + "\n```"
			if !strings.Contains(string(readme), block) {
				t.Errorf("README.md lacks %s's code as it is now; paste this in:\n%s", tc.file, block)
			}
			rest, n = tail, n+1
		}
		if n == 0 {
			t.Fatalf("%s has no README: begin/end markers", tc.file)
		}
	}
}

// TestPublicAPIOnly checks that the example imports nothing a site outside
// this repository could not: no internal package, not the demo's pages or
// files.
func TestPublicAPIOnly(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"pagelet": true, "render": true, "assets": true}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if rest, ok := strings.CutPrefix(path, "github.com/bigpipe-go/bigpipe/"); ok && !allowed[rest] {
			t.Errorf("imports %s: not part of the library's public API", path)
		}
	}
}
