package render_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

func TestEarlyHints(t *testing.T) {
	page := func(w http.ResponseWriter, _ *http.Request) (*pagelet.Page, error) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret"}) // must not ride on the 103
		p := pageOf(delayed("a", 0))
		p.Pagelets[0].CSS = []string{"a.css"}
		return p, nil
	}
	def := serve(t, page) // HTTP/2 only: the raw client below speaks HTTP/1.x
	srv := serve(t, page, render.WithEarlyHints(render.HintsAlways))
	linked := serve(t, page, render.WithEarlyHints(render.HintsAlways), render.WithLinkedRuntime(true))
	off := serve(t, page, render.WithEarlyHints(render.HintsOff))
	tests := []struct {
		name, url, ua, method, proto string
		want                         []string // Link values of the 103; nil: no 103
		header                       http.Header
	}{
		{"HTTP/1.1 by default", def.URL, chromeUA, "GET", "HTTP/1.1", nil, nil},
		{"pipelined, runtime inline", srv.URL, chromeUA, "GET", "HTTP/1.1", []string{"site.", "as=style"}, nil},
		{"pipelined, runtime linked", linked.URL, chromeUA, "GET", "HTTP/1.1", []string{"site.", "as=style", "bigpipe.", "as=script"}, nil},
		{"plain HTML", srv.URL, googlebotUA, "GET", "HTTP/1.1", []string{"site.", "a.", "as=style"}, nil},
		{"HTTP/1.0 cannot parse 1xx", srv.URL, chromeUA, "GET", "HTTP/1.0", nil, nil},
		{"HEAD", srv.URL, chromeUA, "HEAD", "HTTP/1.1", nil, nil},
		{"turned off", off.URL, chromeUA, "GET", "HTTP/1.1", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			hdr := http.Header{"User-Agent": {tc.ua}}
			for k, v := range tc.header {
				hdr[k] = v
			}
			s, err := wire.Do(ctx, tc.method, tc.url, hdr, tc.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}
			if s.Status != http.StatusOK {
				t.Fatalf("final status %d", s.Status)
			}
			if tc.method == "GET" && !strings.HasSuffix(string(s.Body()), "</html>") {
				t.Errorf("page incomplete")
			}
			if tc.want == nil {
				if len(s.Informational) != 0 {
					t.Errorf("got %d informational responses, want none", len(s.Informational))
				}
				return
			}
			if len(s.Informational) != 1 || s.Informational[0].Status != http.StatusEarlyHints {
				t.Fatalf("informational = %+v, want one 103", s.Informational)
			}
			hints := s.Informational[0].Header
			links := strings.Join(hints.Values("Link"), ", ")
			for _, w := range tc.want {
				if !strings.Contains(links, w) {
					t.Errorf("103 Link %q lacks %q", links, w)
				}
			}
			if (tc.ua == googlebotUA || tc.url == srv.URL) && strings.Contains(links, "bigpipe.") {
				t.Errorf("the page fetches no runtime (plain HTML, or inlined), but the 103 announces it: %q", links)
			}
			for k := range hints {
				if k != "Link" && k != "Date" {
					t.Errorf("103 carries %s: %q; only Link belongs there", k, hints.Values(k))
				}
			}
			if !slices.ContainsFunc(s.Header.Values("Set-Cookie"), func(c string) bool { return strings.HasPrefix(c, "session=") }) {
				t.Errorf("the preflight's cookie is missing from the final response")
			}
		})
	}
}

// TestEarlyHintsHTTP2 checks the default: an HTTP/2 client gets the 103
// (the runtime linked, so that it has something to preload besides CSS).
func TestEarlyHintsHTTP2(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithLinkedRuntime(true))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return pageOf(delayed("a", 0)), nil
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	var links []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			links = append(links, h.Values("Link")...)
		}
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", srv.URL, nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("spoke %s, want HTTP/2", resp.Proto)
	}
	if got := strings.Join(links, ", "); !strings.Contains(got, "bigpipe.") || !strings.Contains(got, "as=style") {
		t.Errorf("103 Link over HTTP/2 = %q, want the runtime and the page CSS", got)
	}
	if !strings.HasSuffix(string(body), "</html>") {
		t.Error("page incomplete")
	}
}
