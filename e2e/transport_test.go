package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
)

// TestTransportStreams reads /bench straight from the server binary over
// HTTP/1.1 with each encoding: decoded text must reach the client as the
// server flushes it, compressed or not.
func TestTransportStreams(t *testing.T) {
	client := plainClient()
	base := startServer(t, "http", client)
	for _, enc := range []string{"identity", "gzip", "br"} {
		t.Run(enc, func(t *testing.T) {
			tm, err := measureStream(t.Context(), client, base+benchPath, enc, benchMarkers())
			if err != nil {
				t.Fatalf("%v (so far: %s)", err, tm)
			}
			checkStreamed(t, tm, enc)
			if got := tm.Header.Get("X-Accel-Buffering"); got != "no" {
				t.Errorf("X-Accel-Buffering = %q, want %q: a proxy in front would buffer the page", got, "no")
			}
		})
	}
}

// TestEarlyHints reads raw responses: the page is preceded by a 103 whose
// Link headers preload the page's stylesheet (the BigPipe runtime is inline,
// so there is no file of it to preload), and the final response still
// streams. The bench page inlines its CSS too: with nothing to preload it
// gets no 103 at all. By default only HTTP/2 clients get the 103
// (browsers use it only there, and nginx before 1.29 mangles it over an
// HTTP/1.1 upstream); -early-hints=always extends it to HTTP/1.1. HTTP/1.0
// clients cannot parse a 1xx: they never get one, and still the whole page.
// Over h2c the 103 is an HTTP/2 HEADERS frame, which Go's client reports
// through httptrace.
func TestEarlyHints(t *testing.T) {
	client := h2cClient()
	servers := map[string]string{
		"default": startServer(t, "http", client, "-h2c"),
		"always":  startServer(t, "http", client, "-h2c", "-early-hints=always"),
	}
	const shortBench = "/bench?delays=50,400&mode=pipelined"
	tests := []struct {
		name, server string
		path, proto  string // proto "HTTP/2" is h2c prior knowledge
		wantHints    bool
		// wantStyle: the page links a stylesheet of its own (the front
		// page's site CSS), so the 103 must preload one. The bench page's
		// small CSS is inlined: nothing to preload.
		wantStyle bool
	}{
		{name: "home HTTP/1.1 default", server: "default", path: "/", proto: "HTTP/1.1", wantHints: false},
		{name: "home HTTP/1.1 always", server: "always", path: "/", proto: "HTTP/1.1", wantHints: true, wantStyle: true},
		{name: "bench HTTP/1.1 always", server: "always", path: shortBench, proto: "HTTP/1.1", wantHints: false},
		{name: "home HTTP/1.0 always", server: "always", path: "/", proto: "HTTP/1.0", wantHints: false},
		{name: "bench HTTP/1.0 always", server: "always", path: shortBench, proto: "HTTP/1.0", wantHints: false},
		{name: "home h2c default", server: "default", path: "/", proto: "HTTP/2", wantHints: true, wantStyle: true},
		{name: "bench h2c default", server: "default", path: shortBench, proto: "HTTP/2", wantHints: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := servers[tc.server]
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			var (
				informational []wire.Informational
				body          []byte
				first         time.Duration // first body byte
				slow          time.Duration // PAGELET-p1-READY (bench only)
			)
			if tc.proto == "HTTP/2" {
				tm, err := measureStream(ctx, client, base+tc.path, "identity", []string{"PAGELET-p1-READY"})
				if err != nil {
					t.Fatalf("%v (so far: %s)", err, tm)
				}
				if tm.ProtoMajor != 2 {
					t.Fatalf("response protocol = %s, want HTTP/2", tm.Proto)
				}
				informational, body, first = tm.Early, tm.Body, tm.First
				if tc.path == shortBench {
					slow = tm.Markers[0]
				}
			} else {
				s, err := wire.Do(ctx, http.MethodGet, base+tc.path, nil, tc.proto)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.ReadAll(); err != nil {
					t.Fatalf("read the body: %v", err)
				}
				if s.Status != http.StatusOK {
					t.Fatalf("status = %d, want 200", s.Status)
				}
				informational, body = s.Informational, s.Body()
				if a := s.Arrivals(); len(a) > 0 {
					first = a[0].At
				}
				slow, _ = s.MarkerAt("PAGELET-p1-READY")
			}

			var hints [][]string // the Link values of each 103
			for _, in := range informational {
				if in.Status != http.StatusEarlyHints {
					t.Errorf("unexpected %d response before the final one", in.Status)
					continue
				}
				hints = append(hints, in.Header.Values("Link"))
			}
			switch {
			case !tc.wantHints && len(hints) > 0:
				t.Errorf("%s client of the %s server got %d 103 responses (Link %q), want none", tc.proto, tc.server, len(hints), hints)
			case tc.wantHints && len(hints) == 0:
				t.Errorf("no 103 Early Hints before the final response")
			case tc.wantHints:
				for _, problem := range checkHintLinks(hints[0], body, tc.wantStyle) {
					t.Error(problem)
				}
			}
			if !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</html>")) {
				t.Errorf("body (%d bytes) does not end with </html>: %q", len(body), tail(body, 80))
			}
			if tc.path == shortBench {
				// The final response still streams: the skeleton long before
				// the 400 ms pagelet, which comes at its own time.
				if first >= firstByteLimit {
					t.Errorf("first body byte at %v, want < %v", ms(first), firstByteLimit)
				}
				if slow < 400*time.Millisecond || slow >= 400*time.Millisecond+markerSlack {
					t.Errorf("PAGELET-p1-READY at %v, want in [400ms, %v)", ms(slow), 400*time.Millisecond+markerSlack)
				}
			}
		})
	}
}

// checkHintLinks lists what is wrong with the Link values of a 103, given
// the document that followed: every Link must preload a </static/…> URL;
// every stylesheet the document's head links must be preloaded as=style
// (and at least one if wantStyle), and a BigPipe runtime (bigpipe.*.js) it
// links as=script; by default the runtime is inline and must not be linked.
func checkHintLinks(values []string, doc []byte, wantStyle bool) []string {
	var problems []string
	preloaded := map[string]string{} // URL -> as
	for _, v := range values {
		for link := range strings.SplitSeq(v, ",") {
			link = strings.TrimSpace(link)
			target, params, ok := strings.Cut(link, ">")
			target = strings.TrimPrefix(target, "<")
			if !ok || !strings.HasPrefix(target, "/static/") {
				problems = append(problems, fmt.Sprintf("Link %q: want a </static/…> target", link))
				continue
			}
			p := map[string]string{}
			for f := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
				p[strings.ToLower(k)] = strings.Trim(v, `"`)
			}
			if p["rel"] != "preload" {
				problems = append(problems, fmt.Sprintf("Link %q: rel = %q, want preload", link, p["rel"]))
			}
			preloaded[target] = p["as"]
		}
	}
	head, _, _ := bytes.Cut(doc, []byte("</head>"))
	var styles, runtimes []string
	for _, m := range stylesheetRE.FindAllSubmatch(head, -1) {
		styles = append(styles, string(m[1]))
	}
	for _, m := range scriptRE.FindAllSubmatch(head, -1) {
		if src := string(m[1]); strings.HasPrefix(path.Base(src), "bigpipe.") && strings.HasSuffix(src, ".js") {
			runtimes = append(runtimes, src)
		}
	}
	if wantStyle && len(styles) == 0 {
		problems = append(problems, "the document links no stylesheet; the test expects one")
	}
	if len(runtimes) > 0 {
		problems = append(problems, fmt.Sprintf("the document links the BigPipe runtime %q; by default it is inline", runtimes))
	}
	for _, want := range []struct {
		as   string
		urls []string
	}{{"style", styles}, {"script", runtimes}} {
		for _, u := range want.urls {
			if got, ok := preloaded[u]; !ok || got != want.as {
				problems = append(problems, fmt.Sprintf("103 Links %q do not preload %s as=%s, which the document loads", values, u, want.as))
			}
		}
	}
	return problems
}

// stylesheetRE and scriptRE find the URLs of <link rel=stylesheet> and
// <script src> elements.
var (
	stylesheetRE = regexp.MustCompile(`<link\b[^>]*\brel="?stylesheet"?[^>]*\bhref="?([^"\s>]+)`)
	scriptRE     = regexp.MustCompile(`<script\b[^>]*\bsrc="?([^"\s>]+)`)
)

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

// TestTransportFigures measures /bench directly and through nginx (with the
// usual HTTP/1.1 keep-alive upstream, and with nginx's default HTTP/1.0
// one), with identity and gzip, three times each, interleaved, and logs the
// medians: first body byte, each pagelet's marker and the last byte, in ms
// since the request was sent, and the body's size on the wire. It checks
// only that every run completed.
func TestTransportFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("figures take ~30 s; skipped in -short mode")
	}
	client := plainClient()
	base := startServer(t, "http", client)
	proxy11 := startNginx(t, base, nginxConfig{HTTP11: true})
	proxy10 := startNginx(t, base, nginxConfig{})
	type variant struct{ name, url, enc string }
	var variants []variant
	for _, via := range []struct{ name, url string }{{"direct", base}, {"nginx-1.1", proxy11}, {"nginx-1.0", proxy10}} {
		for _, enc := range []string{"identity", "gzip"} {
			variants = append(variants, variant{via.name, via.url, enc})
		}
	}
	const runs = 3
	got := make([][]streamTiming, len(variants))
	failed := make([]bool, len(variants))
	for run := range runs {
		for i, v := range variants {
			if failed[i] {
				continue
			}
			tm, err := measureStream(t.Context(), client, v.url+benchPath, v.enc, benchMarkers())
			if err != nil {
				t.Errorf("%s %s run %d: %v", v.name, v.enc, run+1, err)
				failed[i] = true
				continue
			}
			got[i] = append(got[i], tm)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "/bench?delays=50,100,200,400,800,1600, median of %d runs, ms since the request\n", runs)
	fmt.Fprintf(&b, "(nginx-1.1: proxy_http_version 1.1 upstream; nginx-1.0: nginx's default HTTP/1.0 upstream):\n")
	fmt.Fprintf(&b, "%-9s %-18s %6s", "path", "asked->got", "first")
	for i, d := range benchDelays {
		fmt.Fprintf(&b, " %6s", fmt.Sprintf("p%d@%d", i, d.Milliseconds()))
	}
	fmt.Fprintf(&b, " %6s %6s\n", "last", "wire B")
	for i, v := range variants {
		if len(got[i]) == 0 {
			fmt.Fprintf(&b, "%-9s %-18s failed\n", v.name, v.enc)
			continue
		}
		tms := got[i]
		enc := v.enc + "->" + encodingName(tms[0].Encoding)
		fmt.Fprintf(&b, "%-9s %-18s %6.1f", v.name, enc, median(tms, func(tm streamTiming) time.Duration { return tm.First }))
		for k := range benchDelays {
			fmt.Fprintf(&b, " %6.1f", median(tms, func(tm streamTiming) time.Duration { return tm.Markers[k] }))
		}
		fmt.Fprintf(&b, " %6.1f %6d\n", median(tms, func(tm streamTiming) time.Duration { return tm.Last }), tms[0].WireBytes)
	}
	t.Log("\n" + b.String())
}

// median returns the median of f over tms, in milliseconds.
func median(tms []streamTiming, f func(streamTiming) time.Duration) float64 {
	d := make([]time.Duration, len(tms))
	for i, tm := range tms {
		d[i] = f(tm)
	}
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds()) / 1000
}
