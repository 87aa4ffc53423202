package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/npmtest"
	"github.com/bigpipe-go/bigpipe/render"
)

// vnu is the release of the Nu Html Checker (the W3C's HTML5 validator)
// that TestHTMLValid runs: the npm package vnu-jar, which ships it as
// build/dist/vnu.jar, pinned by version and tarball hash. npm pack runs no
// install scripts, so vnu-jar's postinstall, which would download a Java,
// never runs.
var vnu = npmtest.Package{
	Name:      "vnu-jar",
	Version:   "26.9.27",
	Integrity: "sha512-TkQd5DFfOaWC9ebtvozTsrH2Vaod3jYg+vrOeREzIXxBexLz9+rS2DNtjn7+RPUiZhgli0SghgBX6RJRNea0KA==",
}

// googlebotUA is Googlebot's desktop User-Agent: the crawler detector gives
// it the plain page.
const googlebotUA = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.0.0 Safari/537.36"

// setupScriptRE matches the end of the BigPipe skeleton: the line with the
// bigPipe.setup(…) script (render.appendSetup ends it with a newline).
var setupScriptRE = regexp.MustCompile(`<script[^>]*>bigPipe\.setup\(.*</script>\n`)

// TestHTMLValid checks with the Nu Html Checker that every kind of document
// the demo site sends is valid HTML5, with zero errors: for the home page, a
// search, an article and the bench page,
//
//   - the plain HTML a crawler or a browser without JavaScript gets (?nojs=1,
//     a Googlebot User-Agent, and the no-JS cookie, which adds the script
//     that clears it);
//   - the whole pipelined response a browser gets (skeleton, payload
//     scripts, closing tags). A payload's content is a JavaScript string
//     to the checker; it is the same markup the plain page has inline,
//     which is checked there;
//   - the skeleton alone, as the browser has it before the first pagelet
//     arrives, closed with "</body></html>".
//
// The checker runs once, offline, over all documents in one JVM: it needs
// java, and npm to fetch vnu.jar the first time (see npmtest.Fetch);
// without them the test is skipped, or
// fails when CI=true. Messages of type "error" and "non-document-error"
// fail the test. "info" messages (warnings among them, subType "warning")
// are advice, not violations of the spec: they are logged, never fatal, so
// a checker update that adds advice does not break the build.
//
// A deliberately invalid control document is checked with the others: if
// the checker reports nothing for it, the run proves nothing and fails.
// Run with -artifacts -outputdir DIR to keep the documents checked.
func TestHTMLValid(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		npmtest.Unavailable(t, "the Nu Html Checker needs a Java runtime: %v", err)
	}
	jar := filepath.Join(npmtest.Fetch(t, vnu), "build", "dist", "vnu.jar")
	srv := newServer(t)

	home := getPage(t, srv.URL+"/", googlebotUA, false, render.InOrder)
	slug := regexp.MustCompile(`/article/[a-z0-9-]+`).FindString(home)
	if slug == "" {
		t.Fatal("the home page links no /article/{slug}")
	}
	paths := []struct{ name, path string }{
		{"home", "/"},
		{"search", "/search?q=budget"},
		{"article", slug},
		{"section", "/section/tech"},
		{"bench", "/bench?delays=0,20"},
	}
	// variants are the requests for each path: who asks, and so which
	// document comes back.
	variants := []struct {
		name      string
		nojs      bool // add ?nojs=1
		userAgent string
		cookie    bool // send the no-JS cookie
		mode      render.Mode
	}{
		{name: "nojs", nojs: true, userAgent: chromeUA, mode: render.InOrder},
		{name: "crawler", userAgent: googlebotUA, mode: render.InOrder},
		{name: "nojs-cookie", userAgent: chromeUA, cookie: true, mode: render.InOrder},
		{name: "pipelined", userAgent: chromeUA, mode: render.Pipelined},
	}

	dir := t.ArtifactDir()
	var docs []string // file names in dir, without the control
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, name)
	}
	for _, p := range paths {
		for _, v := range variants {
			u := srv.URL + p.path
			if v.nojs {
				u = withQuery(u, "nojs", "1")
			}
			body := getPage(t, u, v.userAgent, v.cookie, v.mode)
			write(p.name+"-"+v.name+".html", body)
			if v.mode != render.Pipelined {
				continue
			}
			if !strings.Contains(body, "bigPipe.onPageletArrive(") && !strings.Contains(body, `data-bigpipe="shown"`) {
				t.Errorf("GET %s: the pipelined response has no pagelet payload and no pagelet placed", u)
			}
			loc := setupScriptRE.FindStringIndex(body)
			if loc == nil {
				t.Fatalf("GET %s: no bigPipe.setup(…)</script> line in the pipelined response", u)
			}
			// The skeleton ends with the setup script, inside the still
			// open <body>; the payload scripts and, last, "</body></html>"
			// follow. Closing it here makes the skeleton a complete
			// document, as the response's end makes the whole: the checker
			// then judges the skeleton's own markup, and an element it
			// left open would be an error ("end tag for body seen, but
			// there were unclosed elements") rather than lost in an
			// end-of-file report.
			write(p.name+"-skeleton.html", body[:loc[1]]+"</body></html>")
		}
	}
	// The 404 page is written by the site itself, not the renderer: the same
	// document in every mode.
	for name, path := range map[string]string{"notfound": "/nope", "notfound-story": "/article/no-such-story"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, err = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d, %v; want a 404 page", path, resp.StatusCode, err)
		}
		write(name+".html", body.String())
	}
	// The control has one error the checker must find: a duplicate id.
	const control = "control-invalid.html"
	if err := os.WriteFile(filepath.Join(dir, control), []byte(
		`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>control</title></head>`+
			`<body><p id="a">1</p><p id="a">2</p></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	msgs := runVNU(t, java, jar, dir, append([]string{control}, docs...))
	t.Logf("%v checked %d documents in %v", vnu, len(docs)+1, time.Since(start).Round(time.Millisecond))

	byFile := map[string][]vnuMessage{control: nil}
	for _, name := range docs {
		byFile[name] = nil
	}
	for _, m := range msgs {
		name := m.file()
		if _, ok := byFile[name]; !ok { // about none of the documents: a problem of the whole run
			t.Errorf("vnu: %s", m)
			continue
		}
		byFile[name] = append(byFile[name], m)
	}
	if !hasError(byFile[control]) {
		t.Fatalf("vnu reported no error for the invalid %s (messages %v): is it checking anything?", control, byFile[control])
	}
	for _, name := range docs {
		t.Run(strings.TrimSuffix(name, ".html"), func(t *testing.T) {
			for _, m := range byFile[name] {
				if m.isError() && !m.checkerLag() {
					t.Errorf("%s", m)
				} else {
					t.Logf("%s", m)
				}
			}
			if t.Failed() {
				t.Logf("the document: %s (kept with -artifacts -outputdir DIR)", filepath.Join(dir, name))
			}
		})
	}
}

// withQuery returns u with the query parameter key set to value.
func withQuery(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err) // the test builds u itself
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// getPage GETs u as userAgent, with the no-JS cookie if noJSCookie, and
// returns the body. It fails t unless the answer is 200 text/html rendered
// in mode (the X-BigPipe-Mode header), so that the test never validates a
// different document from the one it names.
func getPage(t *testing.T, u, userAgent string, noJSCookie bool, mode render.Mode) string {
	t.Helper()
	hdr := http.Header{"User-Agent": {userAgent}}
	if noJSCookie {
		hdr.Set("Cookie", render.NoJSCookie+"=1")
	}
	body, got := fetchWith(t, u, hdr)
	if ct := got.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q, want text/html", u, ct)
	}
	if got, want := got.Get("X-BigPipe-Mode"), mode.String(); got != want {
		t.Fatalf("GET %s as %.40q (no-JS cookie %v): X-BigPipe-Mode %q, want %q", u, userAgent, noJSCookie, got, want)
	}
	return body
}

// vnuMessage is one message of the Nu Html Checker's JSON output
// (https://github.com/validator/validator/wiki/Output-»-JSON).
type vnuMessage struct {
	Type      string `json:"type"`    // "error", "info" or "non-document-error"
	SubType   string `json:"subType"` // "fatal" for an error; "warning" for an info; …
	URL       string `json:"url"`
	FirstLine int    `json:"firstLine"`
	LastLine  int    `json:"lastLine"`
	FirstCol  int    `json:"firstColumn"`
	LastCol   int    `json:"lastColumn"`
	Message   string `json:"message"`
	Extract   string `json:"extract"`
}

// isError reports whether m is a failure: an error in the document, or a
// document the checker could not check.
func (m vnuMessage) isError() bool {
	return m.Type == "error" || m.Type == "non-document-error"
}

// checkerLag reports whether m is an error the checker makes about valid
// HTML it does not know yet. The only one: vnu 26.9.27 allows blocking= on
// <link rel=stylesheet> only, while the HTML Standard also defines
// <link rel=expect href=#id blocking=render>
// (https://html.spec.whatwg.org/multipage/links.html#link-type-expect; in
// Chromium since 124, WebKit since 2024), which BigPipe skeletons carry.
func (m vnuMessage) checkerLag() bool {
	return strings.Contains(m.Message, "“blocking” attribute must have a “rel” attribute whose value is “stylesheet”") &&
		strings.Contains(m.Extract, `<link rel="expect" href="#bigpipe-first-paint" blocking="render">`)
}

// file returns the base name of the document m is about.
func (m vnuMessage) file() string {
	if m.URL == "" {
		return ""
	}
	return filepath.Base(m.URL)
}

// String gives m as FILE:LINE.COL-LINE.COL: TYPE[/SUBTYPE]: MESSAGE, then
// the extract of the document around the spot.
func (m vnuMessage) String() string {
	kind := m.Type
	if m.SubType != "" {
		kind += "/" + m.SubType
	}
	first := m.FirstLine
	if first == 0 { // the checker leaves it out when it is the last line
		first = m.LastLine
	}
	return fmt.Sprintf("%s:%d.%d-%d.%d: %s: %s\n\t%q",
		m.file(), first, m.FirstCol, m.LastLine, m.LastCol, kind, m.Message, m.Extract)
}

// hasError reports whether any of msgs is an error (see isError).
func hasError(msgs []vnuMessage) bool {
	for _, m := range msgs {
		if m.isError() {
			return true
		}
	}
	return false
}

// runVNU checks the HTML files names in dir with the Nu Html Checker in one
// JVM and returns its messages. The checker reads local files only: it
// needs no network.
func runVNU(t *testing.T, java, jar, dir string, names []string) []vnuMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args := []string{
		"-XX:TieredStopAtLevel=1", // a short run: the quick JIT is enough, and starts faster
		"-Xss16m",                 // as the checker's docs advise, for deeply nested markup
		"-jar", jar, "--format", "json", "--stdout", "--exit-zero-always",
	}
	for _, n := range names {
		args = append(args, filepath.Join(dir, n))
	}
	cmd := exec.CommandContext(ctx, java, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -jar vnu.jar: %v\n%s", java, err, stderr.Bytes())
	}
	var report struct {
		Messages []vnuMessage `json:"messages"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("vnu output: %v\n%s\n%s", err, out, stderr.Bytes())
	}
	return report.Messages
}
