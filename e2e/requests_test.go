package e2e_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// Bad requests (issue 6, "Hostile input"): the demo server, configured as
// main.go's run configures it, answers every malformed, oversized or odd
// request with a clear status and message or with a correct, complete page;
// it never panics and never hangs.

// crawlerUA is a crawler's User-Agent: it gets plain HTML (InOrder).
const crawlerUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// opTimeout bounds every client operation of the request tests.
const opTimeout = 15 * time.Second

// startRealServer serves the demo site as main.go's run does (compression,
// CSP, early hints over HTTP/2 only, the same http.Server limits and
// timeouts, HTTP/1.1 only without TLS) on a loopback listener, and returns
// its host:port. forceModes is main.go's -force-modes. Everything the
// server and the renderer log is kept; the test fails if any of it
// mentions a panic, and shows it if the test failed.
func startRealServer(t *testing.T, forceModes bool) string {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatalf("store.OpenMemory: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatalf("assets.New: %v", err)
	}
	hints, err := render.ParseEarlyHints("http2") // main.go's default
	if err != nil {
		t.Fatal(err)
	}
	opts := []render.Option{render.WithLogger(logger), render.WithEarlyHints(hints), render.WithCSP(true)}
	if forceModes {
		opts = append(opts, render.WithModeOverride(true))
	}
	rd, err := render.New(reg, opts...)
	if err != nil {
		t.Fatalf("render.New: %v", err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	srv := &http.Server{
		Handler:           pages.Routes(rd, reg, pages.NewSite(st), compress.New()),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Protocols:         &protocols,
		ErrorLog:          log.New(logs, "http: ", 0),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
			_ = srv.Close()
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		out := logs.String()
		if strings.Contains(strings.ToLower(out), "panic") {
			t.Errorf("the server logged a panic:\n%s", out)
		} else if t.Failed() && out != "" {
			t.Logf("server log:\n%s", out)
		}
	})
	return ln.Addr().String()
}

// rawResponse is what one raw exchange got.
type rawResponse struct {
	*http.Response
	body   []byte // decoded (gzip undone), complete
	closed bool   // the server closed the connection after the response
}

// exchange sends req (a complete HTTP/1.x request) on a fresh connection
// to addr and reads one response to it; head says the request is a HEAD
// (no body follows). The request is written concurrently with the read, so
// that a server answering before it has read a huge request is seen. Every
// step has a deadline.
func exchange(t *testing.T, addr, req string, head bool) rawResponse {
	t.Helper()
	d := net.Dialer{Timeout: opTimeout}
	conn, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(opTimeout)); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() { _, err := io.WriteString(conn, req); wrote <- err }()
	defer func() { <-wrote }() // conn.Close (deferred before) ends a write still blocked

	method := http.MethodGet
	if head {
		method = http.MethodHead
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body (status %d, headers %v, %d bytes so far): %v", resp.StatusCode, resp.Header, len(body), err)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("gzip body: %v", err)
		}
	}
	// Closed means EOF now; a connection kept open would time out instead.
	if err := conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = br.ReadByte()
	return rawResponse{Response: resp, body: body, closed: errors.Is(err, io.EOF) || isReset(err)}
}

// isReset reports whether err is a connection reset, which a server that
// closes with unread request bytes causes: closed too.
func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

// request builds a request. proto is "HTTP/1.1" or "HTTP/1.0"; an
// HTTP/1.1 request gets Host and Connection: close unless hdr sets them.
// Every request gets a Chrome User-Agent unless hdr sets one.
func request(method, target, proto string, hdr ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", method, target, proto)
	has := func(name string) bool {
		for _, h := range hdr {
			if strings.HasPrefix(strings.ToLower(h), strings.ToLower(name)+":") {
				return true
			}
		}
		return false
	}
	if proto == "HTTP/1.1" && !has("Host") {
		b.WriteString("Host: 127.0.0.1\r\n")
	}
	if proto == "HTTP/1.1" && !has("Connection") {
		b.WriteString("Connection: close\r\n")
	}
	if !has("User-Agent") {
		b.WriteString("User-Agent: " + chromeUA + "\r\n")
	}
	for _, h := range hdr {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// get11 and get10 build GET requests in HTTP/1.1 and HTTP/1.0.
func get11(target string, hdr ...string) string {
	return request(http.MethodGet, target, "HTTP/1.1", hdr...)
}

func get10(target string, hdr ...string) string {
	return request(http.MethodGet, target, "HTTP/1.0", hdr...)
}

// requestCase is one request and what the answer must be.
type requestCase struct {
	name   string
	req    string
	head   bool  // a HEAD request
	status []int // acceptable statuses; the first is the usual one
	// For an error status: text the body must contain (the clear message).
	// For 200: a complete page in mode page ("pipelined", "inorder",
	// "serial"), or for HEAD no body at all.
	msg  string
	page string
	// has is text a 200 page must contain.
	has string
	// plain: the client speaks HTTP/1.0, so the response must not be
	// chunked and must end with the connection (or carry its length).
	plain bool
	// keepAlive: the client did not ask to close; closing is optional.
	keepAlive bool
	allow     bool // a 405 must carry an Allow header
}

func requestCases() []requestCase {
	big := func(n int) string { return strings.Repeat("a", n) }
	list := func(item string, n int) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	manyHeaders := make([]string, 800)
	for i := range manyHeaders {
		manyHeaders[i] = fmt.Sprintf("X-Filler-%d: %s", i, big(90))
	}
	ok := []int{http.StatusOK}
	bad := []int{http.StatusBadRequest}
	tooLarge := []int{http.StatusRequestHeaderFieldsTooLarge, http.StatusRequestURITooLong}
	return []requestCase{
		// Oversized requests.
		{name: "header of 70 KiB", req: get11("/", "X-Big: "+big(70<<10)), status: []int{http.StatusRequestHeaderFieldsTooLarge}, msg: "431"},
		{name: "800 headers, 76 KB", req: get11("/", manyHeaders...), status: []int{http.StatusRequestHeaderFieldsTooLarge}, msg: "431"},
		{name: "URL of 1 MiB", req: get11("/search?q=" + big(1<<20)), status: tooLarge, msg: "Too"},
		{name: "q of 100 KB", req: get11("/search?q=" + big(100_000)), status: tooLarge, msg: "Too"},
		{name: "delays with 100000 entries", req: get11("/bench?delays=" + list("1", 100_000)), status: tooLarge, msg: "Too"},

		// Malformed and odd query strings.
		{name: "q of 60 KB, within the header limit", req: get11("/search?q=" + big(60_000)), status: bad, msg: "too long"},
		{name: "bad percent escape", req: get11("/search?q=%zz"), status: []int{200, 400}, page: "pipelined"},
		{name: "bad percent escape, other param", req: get11("/search?x=%zz&q=storm"), status: ok, page: "pipelined", has: "storm"},
		{name: "semicolons", req: get11("/search?q=a;b;c"), status: []int{200, 400}, page: "pipelined"},
		{name: "ampersands only", req: get11("/search?&&&"), status: ok, page: "pipelined"},
		{name: "empty pairs around q", req: get11("/search?&&q=storm&&="), status: ok, page: "pipelined", has: "storm"},
		{name: "repeated q", req: get11("/search?q=storm&q=rail&q=" + big(300)), status: ok, page: "pipelined", has: "storm"},
		{name: "NUL and invalid UTF-8 in q", req: get11("/search?q=%00%ff%c3%28%e2%82"), status: ok, page: "pipelined"},
		{name: "query without value", req: get11("/search?q"), status: ok, page: "pipelined"},
		{name: "nojs=2", req: get11("/?nojs=2"), status: bad, msg: "nojs"},
		{name: "nojs repeated", req: get11("/?nojs=0&nojs=1"), status: ok, page: "inorder"},
		{name: "path traversal", req: get11("/static/../main.go"), status: []int{http.StatusTemporaryRedirect, http.StatusMovedPermanently, http.StatusNotFound, http.StatusBadRequest}},
		{name: "encoded path traversal", req: get11("/static/..%2f..%2fmain.go"), status: []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMovedPermanently}},

		// The benchmark page's parameters.
		{name: "unknown mode", req: get11("/bench?delays=1&mode=bogus"), status: bad, msg: `"bogus"`},
		{name: "mode in capitals", req: get11("/bench?delays=1&mode=PIPELINED"), status: bad, msg: `"PIPELINED"`},
		{name: "mode with markup", req: get11("/bench?delays=1&mode=%3Cscript%3E"), status: bad, msg: "mode"},
		{name: "negative delay", req: get11("/bench?delays=50,-1"), status: bad, msg: "delays"},
		{name: "NaN delay", req: get11("/bench?delays=NaN"), status: bad, msg: "delays"},
		{name: "1e308 delay", req: get11("/bench?delays=1e308"), status: bad, msg: "delays"},
		{name: "delay beyond int64", req: get11("/bench?delays=99999999999999999999999"), status: bad, msg: "delays"},
		{name: "delay of a day", req: get11("/bench?delays=86400000"), status: bad, msg: "delays"},
		{name: "delay as a duration", req: get11("/bench?delays=1h"), status: bad, msg: "delays"},
		{name: "empty delays", req: get11("/bench?delays="), status: bad, msg: "delays"},
		{name: "delays of commas", req: get11("/bench?delays=,,,"), status: bad, msg: "delays"},
		{name: "65 delays", req: get11("/bench?delays=" + list("0", 65)), status: bad, msg: "delays"},
		{name: "30000 delays", req: get11("/bench?delays=" + list("0", 30_000)), status: bad, msg: "delays"},
		{name: "delays with spaces", req: get11("/bench?delays=%201,%202%20"), status: ok, page: "pipelined", has: "PAGELET-p1-READY"},
		{name: "unknown fail kind", req: get11("/bench?delays=1&fail=0:bogus"), status: bad, msg: "fail"},
		{name: "negative pad", req: get11("/bench?delays=1&pad=-1"), status: bad, msg: "pad"},

		// Cookies.
		{name: "garbage cookie", req: get11("/", "Cookie: ;;;===;=;a=\"b; c"), status: ok, page: "pipelined"},
		{name: "cookie of 60 KB", req: get11("/", "Cookie: big="+big(60_000)), status: ok, page: "pipelined"},
		{name: "non-UTF-8 cookie", req: get11("/", "Cookie: \xff\xfe=\xc3\x28; bigpipe_nojs=\xff"), status: ok, page: "pipelined"},
		{name: "nojs cookie yes", req: get11("/", "Cookie: bigpipe_nojs=yes"), status: ok, page: "pipelined"},
		{name: "nojs cookie empty", req: get11("/", "Cookie: bigpipe_nojs="), status: ok, page: "pipelined"},
		{name: "nojs cookie quoted", req: get11("/", `Cookie: bigpipe_nojs="1"`), status: ok, page: "inorder"},
		{name: "nojs cookie huge", req: get11("/", "Cookie: bigpipe_nojs="+big(50_000)), status: ok, page: "pipelined"},
		{name: "nojs cookie twice", req: get11("/", "Cookie: bigpipe_nojs=0; bigpipe_nojs=1"), status: ok, page: "pipelined"},
		{name: "nojs cookie", req: get11("/", "Cookie: bigpipe_nojs=1"), status: ok, page: "inorder"},
		{name: "nojs cookie in a second header", req: get11("/", "Cookie: a=b", "Cookie: bigpipe_nojs=1"), status: ok, page: "inorder"},

		// Methods.
		{name: "HEAD", req: request(http.MethodHead, "/", "HTTP/1.1"), head: true, status: ok},
		{name: "HEAD of a slow page", req: request(http.MethodHead, "/bench?delays=30000", "HTTP/1.1"), head: true, status: ok},
		{name: "OPTIONS", req: request(http.MethodOptions, "/", "HTTP/1.1"), status: []int{http.StatusMethodNotAllowed}, allow: true},
		{name: "OPTIONS *", req: request(http.MethodOptions, "*", "HTTP/1.1"), status: ok},
		{name: "POST", req: request(http.MethodPost, "/search?q=x", "HTTP/1.1", "Content-Length: 3") + "a=b", status: []int{http.StatusMethodNotAllowed}, allow: true},
		{name: "unknown method", req: request("BREW", "/", "HTTP/1.1"), status: []int{http.StatusMethodNotAllowed}, allow: true},
		{name: "TRACE", req: request(http.MethodTrace, "/", "HTTP/1.1"), status: []int{http.StatusMethodNotAllowed}, allow: true},

		// Malformed requests.
		{name: "HTTP/1.1 without Host", req: "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", status: bad, msg: "Host"},
		{name: "two Host headers", req: get11("/", "Host: a", "Host: b"), status: bad},
		{name: "header name with a space", req: get11("/", "Bad Header: x"), status: bad},
		{name: "HTTP/2.0 without TLS", req: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: []int{http.StatusHTTPVersionNotSupported, http.StatusBadRequest}},
		{name: "HTTP/9.9", req: "GET / HTTP/9.9\r\nHost: x\r\n\r\n", status: []int{http.StatusHTTPVersionNotSupported, http.StatusBadRequest}},
		{name: "absolute URL", req: get11("http://127.0.0.1/search?q=storm"), status: ok, page: "pipelined", has: "storm"},
		{name: "bare LF line ends", req: "GET / HTTP/1.1\nHost: x\nConnection: close\nUser-Agent: " + chromeUA + "\n\n", status: []int{200, 400}, page: "pipelined"},

		// HTTP/1.0 clients: no chunked encoding, so a complete page and
		// the end of the connection, in every mode.
		{name: "1.0 / pipelined", req: get10("/"), status: ok, page: "pipelined", plain: true},
		{name: "1.0 / inorder", req: get10("/", "User-Agent: "+crawlerUA), status: ok, page: "inorder", plain: true},
		{name: "1.0 search pipelined", req: get10("/search?q=x"), status: ok, page: "pipelined", plain: true},
		{name: "1.0 search inorder", req: get10("/search?q=x", "User-Agent: "+crawlerUA), status: ok, page: "inorder", plain: true},
		{name: "1.0 bench pipelined", req: get10("/bench?delays=50,10"), status: ok, page: "pipelined", plain: true, has: "PAGELET-p1-READY"},
		{name: "1.0 bench inorder", req: get10("/bench?delays=50,10", "User-Agent: "+crawlerUA), status: ok, page: "inorder", plain: true, has: "PAGELET-p1-READY"},
		{name: "1.0 bench serial", req: get10("/bench?delays=50,10&mode=serial"), status: ok, page: "serial", plain: true, has: "PAGELET-p1-READY"},
		{name: "1.0 keep-alive", req: get10("/bench?delays=50,10", "Connection: keep-alive"), status: ok, page: "pipelined", plain: true, keepAlive: true},
		{name: "1.0 gzip", req: get10("/search?q=x", "Accept-Encoding: gzip"), status: ok, page: "pipelined", plain: true},
		{name: "1.0 with Host", req: get10("/", "Host: 127.0.0.1"), status: ok, page: "pipelined", plain: true},
		{name: "1.0 HEAD", req: request(http.MethodHead, "/", "HTTP/1.0"), head: true, status: ok, plain: true},
		{name: "1.0 HEAD bench", req: request(http.MethodHead, "/bench?delays=50,10", "HTTP/1.0"), head: true, status: ok, plain: true},

		// HTTP/1.1 asking to close.
		{name: "1.1 close /", req: get11("/"), status: ok, page: "pipelined"},
		{name: "1.1 close bench serial", req: get11("/bench?delays=50,10&mode=serial"), status: ok, page: "serial", has: "PAGELET-p1-READY"},
		{name: "1.1 close gzip", req: get11("/bench?delays=50,10", "Accept-Encoding: gzip"), status: ok, page: "pipelined", has: "PAGELET-p1-READY"},
	}
}

// TestBadRequests sends every request of requestCases on a connection of
// its own to the server as main.go configures it, and checks the answer.
func TestBadRequests(t *testing.T) {
	addr := startRealServer(t, false)
	for _, tc := range requestCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkAnswer(t, tc, exchange(t, addr, tc.req, tc.head))
		})
	}
}

// TestRequestSerialEverywhere asks for the serial page of / and /search
// over HTTP/1.0 from the server with main.go's -force-modes on, the only
// way to get it there.
func TestRequestSerialEverywhere(t *testing.T) {
	addr := startRealServer(t, true)
	for _, tc := range []requestCase{
		{name: "1.0 / serial", req: get10("/", render.ForceModeHeader+": serial"), status: []int{200}, page: "serial", plain: true},
		{name: "1.0 search serial", req: get10("/search?q=x&" + render.ForceModeParam + "=serial"), status: []int{200}, page: "serial", plain: true},
		{name: "1.1 close / serial", req: get11("/", render.ForceModeHeader+": serial"), status: []int{200}, page: "serial"},
		{name: "forced bogus mode", req: get11("/", render.ForceModeHeader+": bogus"), status: []int{400}, msg: `"bogus"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkAnswer(t, tc, exchange(t, addr, tc.req, tc.head))
		})
	}
}

// checkAnswer checks resp against tc.
func checkAnswer(t *testing.T, tc requestCase, resp rawResponse) {
	t.Helper()
	body := string(resp.body)
	if !slices.Contains(tc.status, resp.StatusCode) {
		t.Fatalf("status %d, want one of %v; body %.300q", resp.StatusCode, tc.status, body)
	}
	if !resp.closed && !tc.keepAlive {
		t.Errorf("the connection stayed open after the response, though the client asked to close it")
	}
	if tc.plain {
		if resp.Proto == "HTTP/1.1" && len(resp.TransferEncoding) > 0 {
			t.Errorf("Transfer-Encoding %q to an HTTP/1.0 client", resp.TransferEncoding)
		}
		if resp.ContentLength < 0 && !resp.closed {
			t.Errorf("no Content-Length and the connection stays open: an HTTP/1.0 client cannot tell where the page ends")
		}
	}
	if tc.allow && resp.Header.Get("Allow") == "" {
		t.Errorf("status %d without an Allow header", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusHTTPVersionNotSupported {
			t.Errorf("status %d: a server error for a client's mistake", resp.StatusCode)
		}
		if tc.msg != "" && !strings.Contains(body, tc.msg) {
			t.Errorf("status %d with body %.300q, want a message containing %q", resp.StatusCode, body, tc.msg)
		}
		return
	}
	if tc.head {
		if len(resp.body) != 0 {
			t.Errorf("HEAD: %d bytes of body, want none", len(resp.body))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("HEAD: Content-Type %q, want text/html", ct)
		}
		if resp.Header.Get("X-BigPipe-Mode") == "" {
			t.Errorf("HEAD: no X-BigPipe-Mode header")
		}
		return
	}
	if tc.page == "" {
		return
	}
	checkCompletePage(t, resp, tc.page)
	if tc.has != "" && !strings.Contains(body, tc.has) {
		t.Errorf("page lacks %q", tc.has)
	}
}

// checkCompletePage checks that resp is a whole page in mode: the mode
// header, the whole document, and every pagelet delivered.
func checkCompletePage(t *testing.T, resp rawResponse, mode string) {
	t.Helper()
	body := string(resp.body)
	if got := resp.Header.Get("X-BigPipe-Mode"); got != mode {
		t.Errorf("X-BigPipe-Mode = %q, want %q", got, mode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	if !strings.HasPrefix(body, "<!DOCTYPE html>") || !strings.HasSuffix(body, "</html>") {
		t.Fatalf("not a whole document (%d bytes): starts %.80q, ends %q", len(body), body, body[max(0, len(body)-80):])
	}
	if resp.ContentLength >= 0 && int64(len(resp.body)) != resp.ContentLength && resp.Header.Get("Content-Encoding") == "" {
		t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(resp.body))
	}
	arrived := len(arriveRE.FindAllString(body, -1))
	switch mode {
	case "pipelined":
		setups := setupRE.FindAllStringSubmatch(body, -1)
		if len(setups) != 1 {
			t.Fatalf("%d bigPipe.setup scripts, want 1", len(setups))
		}
		declared := strings.Count(setups[0][1], `"pagelets":[`)
		if declared != 1 {
			t.Fatalf("setup without a pagelets list: %.300q", setups[0][1])
		}
		// A pagelet done when the skeleton was written is placed in its
		// slot, listed in the setup as shown; every other one arrives.
		placed := strings.Count(body, `data-bigpipe="shown"`)
		if n := strings.Count(setups[0][1], `{"id":`); n != placed {
			t.Errorf("%d pagelets placed, %d listed as shown", placed, n)
		}
		if want := strings.Count(body, `data-bigpipe="pending"`); arrived != want || want+placed == 0 {
			t.Errorf("%d pagelets arrived, %d placeholders, %d placed: want a payload for each placeholder, and some pagelets", arrived, want, placed)
		}
		if strings.Contains(body, "This section could not be loaded") {
			t.Errorf("a pagelet failed")
		}
	default:
		if arrived != 0 || strings.Contains(body, `data-bigpipe="pending"`) {
			t.Errorf("BigPipe payloads or placeholders in a %s page", mode)
		}
		if !strings.Contains(body, `data-bigpipe="inline"`) {
			t.Errorf("no inline pagelets in a %s page", mode)
		}
	}
}
