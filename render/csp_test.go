package render_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

var (
	scriptTagRE = regexp.MustCompile(`<script\b[^>]*>`)
	cspNonceRE  = regexp.MustCompile(`^script-src 'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic'; object-src 'none'; base-uri 'none'$`)
)

// TestCSP checks that with WithCSP every script element the renderer
// writes, in every mode, carries the nonce of the request's policy header;
// that the nonce is fresh per request; and that the PageFunc, pagelets and
// templ see the same nonce through the context.
func TestCSP(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{} // header nonce -> nonces seen by the page func and the pagelet
	page := func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		pf := render.Nonce(r.Context())
		p := pageOf(delayed("a", 0), pagelet.Pagelet{ID: "b", Load: func(ctx context.Context) (templ.Component, error) {
			mu.Lock()
			seen[pf] = append(seen[pf], render.Nonce(ctx), templ.GetNonce(ctx))
			mu.Unlock()
			return text(marker("b")), nil
		}})
		p.Pagelets[0].JS = []string{"a.js"}
		p.JS = []string{"page.js"}
		return p, nil
	}
	srv := serve(t, page, render.WithCSP(true))
	linked := serve(t, page, render.WithCSP(true), render.WithLinkedRuntime(true), render.WithPayloadsOnly(true))
	payloads := serve(t, page, render.WithCSP(true), render.WithPayloadsOnly(true))
	nonces := map[string]bool{}
	for _, tc := range []struct {
		name, url string
		hdr       http.Header
		minTags   int // scripts the page must have
	}{
		{"pipelined", srv.URL, http.Header{"User-Agent": {chromeUA}}, 2},                              // runtime, setup (and a payload script for any pagelet not placed)
		{"pipelined, payloads only", payloads.URL, http.Header{"User-Agent": {chromeUA}}, 3},          // runtime, setup, the payloads (one script per batch)
		{"pipelined, payloads, runtime linked", linked.URL, http.Header{"User-Agent": {chromeUA}}, 3}, // the same, runtime by src
		{"plain", srv.URL, http.Header{"User-Agent": {googlebotUA}}, 2},                               // a.js, page.js
		{"plain after the no-JS cookie", srv.URL + "?x=1", http.Header{"User-Agent": {chromeUA}, "Cookie": {render.NoJSCookie + "=1"}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				s := openWith(t, tc.url, tc.hdr)
				if err := s.ReadAll(); err != nil {
					t.Fatal(err)
				}
				policy := s.Header.Values("Content-Security-Policy")
				if len(policy) != 1 {
					t.Fatalf("Content-Security-Policy = %q, want one", policy)
				}
				m := cspNonceRE.FindStringSubmatch(policy[0])
				if m == nil {
					t.Fatalf("Content-Security-Policy = %q, want %q with a 128-bit base64 nonce", policy[0], render.CSPHeader)
				}
				nonce := m[1]
				if nonces[nonce] {
					t.Errorf("nonce %s served twice", nonce)
				}
				nonces[nonce] = true
				tags := scriptTagRE.FindAllString(string(s.Body()), -1)
				if len(tags) < tc.minTags {
					t.Errorf("%d script elements, want at least %d:\n%s", len(tags), tc.minTags, s.Body())
				}
				for _, tag := range tags {
					if !strings.Contains(tag, fmt.Sprintf(` nonce="%s"`, nonce)) {
						t.Errorf("script element %s lacks the nonce %s", tag, nonce)
					}
				}
				mu.Lock()
				got := seen[nonce]
				mu.Unlock()
				if len(got) != 2 || got[0] != nonce || got[1] != nonce {
					t.Errorf("page func's nonce %s; the pagelet saw %q through render.Nonce and templ.GetNonce", nonce, got)
				}
			}
		})
	}
}

// TestNoCSPByDefault checks a renderer without WithCSP sends no policy and
// no nonce attributes.
func TestNoCSPByDefault(t *testing.T) {
	srv := servePage(t, pageOf(delayed("a", 0)))
	for _, ua := range []string{chromeUA, googlebotUA} {
		s := get(t, srv.URL, ua)
		if got := s.Header.Get("Content-Security-Policy"); got != "" {
			t.Errorf("Content-Security-Policy = %q, want none", got)
		}
		if strings.Contains(string(s.Body()), "nonce=") {
			t.Errorf("nonce attribute without a policy:\n%s", s.Body())
		}
	}
}
