package render_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestFallbackAudiences checks that crawlers, text-mode browsers and no-JS
// browsers get every pagelet inline, in document order, with no BigPipe script.
func TestFallbackAudiences(t *testing.T) {
	page := pageOf(delayed("c", 60*time.Millisecond), delayed("a", 0), delayed("b", 30*time.Millisecond))
	page.Pagelets[1].CSS = []string{"a.css"}
	page.Pagelets[1].JS = []string{"a.js"}
	page.JS = []string{"page.js"}
	srv := servePage(t, page)
	tests := []struct {
		name, ua, query, cookie string
		want                    render.Mode
	}{
		{"chrome", chromeUA, "", "", render.Pipelined},
		{"googlebot", googlebotUA, "", "", render.InOrder},
		{"bingbot", bingbotUA, "", "", render.InOrder},
		{"w3m", w3mUA, "", "", render.InOrder},
		{"lynx", lynxUA, "", "", render.InOrder},
		{"headless chrome", strings.Replace(chromeUA, "Chrome/", "HeadlessChrome/", 1), "", "", render.InOrder},
		{"nojs query", chromeUA, "?nojs=1", "", render.InOrder},
		{"nojs cookie", chromeUA, "", render.NoJSCookie + "=1", render.InOrder},
		{"nojs=0 beats the cookie", chromeUA, "?nojs=0", render.NoJSCookie + "=1", render.Pipelined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"User-Agent": {tc.ua}}
			if tc.cookie != "" {
				h.Set("Cookie", tc.cookie)
			}
			s := openWith(t, srv.URL+"/"+tc.query, h)
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}
			body := string(s.Body())
			if got := s.Header.Get("X-BigPipe-Mode"); got != tc.want.String() {
				t.Fatalf("X-BigPipe-Mode = %q, want %q", got, tc.want)
			}
			if !strings.Contains(s.Header.Get("Vary"), "User-Agent") {
				t.Errorf("Vary = %q, want User-Agent in it", s.Header.Get("Vary"))
			}
			if tc.want == render.Pipelined {
				if !strings.Contains(body, "bigPipe.setup(") || !strings.Contains(body, marker("a")) {
					t.Errorf("pipelined page lacks the runtime's setup or pagelet a")
				}
				return
			}
			for _, bad := range []string{"onPageletArrive", "bigPipe.setup", "<noscript>", `aria-busy`} {
				if strings.Contains(body, bad) {
					t.Errorf("plain page contains %q", bad)
				}
			}
			c := strings.Index(body, `<div id="c" class="pagelet" data-bigpipe="inline">`+marker("c")+`</div>`)
			a := strings.Index(body, `<div id="a" class="pagelet" data-bigpipe="inline">`+marker("a")+`</div>`)
			b := strings.Index(body, `<div id="b" class="pagelet" data-bigpipe="inline">`+marker("b")+`</div>`)
			if !(c >= 0 && c < a && a < b) {
				t.Errorf("inline pagelets at c=%d a=%d b=%d, want document order c < a < b:\n%s", c, a, b, body)
			}
			head := body[:strings.Index(body, "</head>")]
			if !strings.Contains(head, `<link rel="stylesheet" href="/static/a.`) {
				t.Errorf("pagelet CSS not linked in the head: %s", head)
			}
			tail := body[b:]
			if !strings.Contains(tail, `<script src="/static/a.`) || !strings.Contains(tail, `<script src="/static/page.`) {
				t.Errorf("pagelet and page JS not at the end: %s", tail)
			}
			if !strings.HasSuffix(body, "</body></html>") {
				t.Errorf("page does not end with </body></html>")
			}
			if got := strings.Contains(body, "document.cookie"); got != (tc.cookie != "") {
				t.Errorf("cookie-clearing script present = %v, want %v", got, tc.cookie != "")
			}
		})
	}
}

// TestInOrderHeadOfLine releases the last pagelet first: in order, nothing
// after the first pagelet may arrive until it is ready, and then the first
// pagelet is streamed without waiting for the others.
func TestInOrderHeadOfLine(t *testing.T) {
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	srv := servePage(t, pageOf(gated("a", gates[0]), gated("b", gates[1]), gated("c", gates[2])))
	s := open(t, srv.URL+"/?nojs=1", chromeUA)
	if _, err := s.Until("<h1>Test page</h1>"); err != nil {
		t.Fatal(err) // the document up to the first pagelet streams at once
	}
	close(gates[2]) // c is ready but must wait behind a and b
	close(gates[0]) // a is ready: it streams now
	if _, err := s.Until(marker("a")); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Body(), []byte(marker("c"))) {
		t.Fatal("c arrived before b in in-order mode")
	}
	close(gates[1])
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	body := string(s.Body())
	if !(strings.Index(body, marker("b")) < strings.Index(body, marker("c"))) {
		t.Error("b and c not in document order")
	}
}

// TestSerialSendsOnce checks the classic mode: nothing until every pagelet
// is ready, then the whole page.
func TestSerialSendsOnce(t *testing.T) {
	const slow = 300 * time.Millisecond
	page := pageOf(delayed("a", 0), delayed("b", slow))
	srv := servePage(t, page, render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Serial, nil }))
	s := get(t, srv.URL, chromeUA)
	if s.FirstByte < slow {
		t.Errorf("serial first byte at %v, want after the slowest pagelet (%v)", s.FirstByte, slow)
	}
	if got := s.Header.Get("X-BigPipe-Mode"); got != "serial" {
		t.Errorf("X-BigPipe-Mode = %q", got)
	}
	if !bytes.Contains(s.Body(), []byte(marker("b"))) {
		t.Error("serial page lacks b")
	}
}

func TestNoJSEndpoint(t *testing.T) {
	srv := servePage(t, pageOf(delayed("a", 0)))
	tests := []struct{ next, want string }{
		{"/", "/?nojs=1"},
		{"/search?q=a+b", "/search?nojs=1&q=a+b"},
		{"/x?nojs=1", "/x?nojs=1"},
		{"//evil.example/", "/?nojs=1"},
		{"https://evil.example/", "/?nojs=1"},
		{`/\evil.example`, "/?nojs=1"},
		{"", "/?nojs=1"},
		{"%zz", "/?nojs=1"},
	}
	for _, tc := range tests {
		t.Run(tc.next, func(t *testing.T) {
			s := get(t, srv.URL+render.DefaultPath+"nojs?next="+url.QueryEscape(tc.next), chromeUA)
			if s.Status != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", s.Status)
			}
			if got := s.Header.Get("Location"); got != tc.want {
				t.Errorf("Location = %q, want %q", got, tc.want)
			}
			if c := s.Header.Get("Set-Cookie"); !strings.HasPrefix(c, render.NoJSCookie+"=1;") {
				t.Errorf("Set-Cookie = %q", c)
			}
		})
	}
}

// TestHead answers HEAD with the page's headers and no work.
func TestHead(t *testing.T) {
	called := make(chan struct{}, 1)
	p := delayed("a", 0)
	load := p.Load
	p.Load = func(ctx context.Context) (templ.Component, error) { called <- struct{}{}; return load(ctx) }
	srv := servePage(t, pageOf(p))
	req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	select {
	case <-called:
		t.Error("HEAD ran the pagelet fetches")
	default:
	}
}

var _ = pagelet.Page{}

// BenchmarkDetectMode is the whole per-request mode decision (query, no-JS
// cookie, crawler detection) on a mix of browser, crawler and HTTP-client
// requests, as the default ModeFunc makes it.
func BenchmarkDetectMode(b *testing.B) {
	rd, err := render.New(testAssets(b), render.WithLogger(discard()))
	if err != nil {
		b.Fatal(err)
	}
	var reqs []*http.Request
	for _, ua := range []string{
		chromeUA,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
		googlebotUA,
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
		"curl/8.5.0",
	} {
		r, _ := http.NewRequest("GET", "/news?page=2", nil)
		r.Header.Set("User-Agent", ua)
		r.Header.Set("Cookie", "session=abc; theme=dark")
		reqs = append(reqs, r)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := rd.DetectMode(reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
