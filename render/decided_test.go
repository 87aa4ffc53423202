package render_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// hostile is a string that would end a script element or an attribute if
// it were written as it is.
const hostile = `</script><script>alert(1)</script>" onload="x`

// deciding is a pagelet that decides part of the head after d.
func deciding(id string, d time.Duration, h pagelet.Head) pagelet.Pagelet {
	p := delayed(id, d)
	load := p.Load
	p.Load = func(ctx context.Context) (templ.Component, error) {
		c, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return pagelet.WithHead(c, h), nil
	}
	p.DecidesHead = true
	return p
}

var decided = pagelet.Head{
	Title:     "Widget — 12.50 € " + hostile,
	Meta:      []pagelet.Meta{{Name: "description", Content: "In stock " + hostile}, {Property: "og:title", Content: "Widget"}},
	Canonical: "https://example.com/widget?a=1&b=2",
	JSONLD:    []any{map[string]any{"@context": "https://schema.org", "@type": "Product", "name": "Widget " + hostile, "offers": map[string]any{"price": "12.50"}}},
}

// headOf returns the <head> of a document.
func headOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, "</head>")
	if i < 0 {
		t.Fatalf("no </head>:\n%s", body)
	}
	return body[:i]
}

// TestDecidedHeadPlain checks that a plain page's head waits for the
// pagelets that decide it and holds what they decided, escaped, and that
// one past the head timeout leaves the head complete without it.
func TestDecidedHeadPlain(t *testing.T) {
	tests := []struct {
		name      string
		delay     time.Duration
		timeout   time.Duration
		wantTitle string
	}{
		{"decided in time", 20 * time.Millisecond, time.Second, decided.Title},
		{"past the head timeout", 300 * time.Millisecond, 50 * time.Millisecond, "Test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := pageOf(delayed("a", 0), deciding("b", tc.delay, decided))
			srv := servePage(t, page, render.WithHeadTimeout(tc.timeout))
			body := string(get(t, srv.URL, googlebotUA).Body())
			head := headOf(t, body)
			if n := strings.Count(body, "<title>"); n != 1 {
				t.Errorf("%d title elements", n)
			}
			if want := "<title>" + templ.EscapeString(tc.wantTitle) + "</title>"; !strings.Contains(head, want) {
				t.Errorf("head lacks %s:\n%s", want, head)
			}
			if !strings.Contains(body, marker("b")) || !strings.HasSuffix(body, "</html>") {
				t.Errorf("page incomplete:\n%s", body)
			}
			inTime := tc.wantTitle == decided.Title
			for _, want := range []string{
				`<meta name="description" content="In stock &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34; onload=&#34;x">`,
				`<meta property="og:title" content="Widget">`,
				`<link rel="canonical" href="https://example.com/widget?a=1&amp;b=2">`,
				`<script type="application/ld+json">`,
			} {
				if strings.Contains(head, want) != inTime {
					t.Errorf("head has %s: %t, want %t:\n%s", want, !inTime, inTime, head)
				}
			}
			if strings.Contains(body, "<script>alert(1)") {
				t.Error("the hostile string ended an element")
			}
			if inTime {
				m := regexp.MustCompile(`<script type="application/ld\+json">(.*?)</script>`).FindStringSubmatch(head)
				var ld map[string]any
				if err := json.Unmarshal([]byte(m[1]), &ld); err != nil || ld["name"] != "Widget "+hostile {
					t.Errorf("JSON-LD %s: %v, %v", m[1], ld, err)
				}
			}
		})
	}
}

// TestDecidedHeadPipelined checks that a BigPipe page's skeleton does not
// wait for the head (its title is the page's), and that the pagelet's
// payload carries what it decided for the runtime, escaped for a script.
func TestDecidedHeadPipelined(t *testing.T) {
	page := pageOf(deciding("b", 50*time.Millisecond, decided))
	srv := servePage(t, page)
	body := string(get(t, srv.URL, chromeUA).Body())
	head := headOf(t, body)
	if !strings.Contains(head, "<title>Test</title>") || strings.Contains(head, "canonical") {
		t.Errorf("the skeleton's head waited for the pagelet:\n%s", head)
	}
	i := strings.Index(body, payloadOf("b"))
	if i < 0 {
		t.Fatalf("no payload for b:\n%s", body)
	}
	payload := body[i:]
	for _, want := range []string{`"head":{"title":"Widget`, `"meta":[{"name":"description"`, `{"property":"og:title","content":"Widget"}`, `"canonical":"https://example.com/widget?a=1&b=2"`, `"jsonld":[{`} {
		if !strings.Contains(payload, want) {
			t.Errorf("payload lacks %s:\n%s", want, payload)
		}
	}
	if strings.Contains(payload, "</script><script>") {
		t.Error("the hostile string ends the payload's script element")
	}
}

// TestDecidedHeadCached checks that a cached pagelet's head is cached with
// it: the plain page served from the cache has it too.
func TestDecidedHeadCached(t *testing.T) {
	p := deciding("b", 0, decided)
	p.Cache = pagelet.Cache{Fresh: time.Hour}
	srv := servePage(t, pageOf(p), render.WithCache(newCache(t)),
		render.WithServerTiming(true), render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Serial, nil }))
	for _, outcome := range []string{"miss", "hit"} {
		s := get(t, srv.URL, googlebotUA)
		if !strings.Contains(s.Header.Get("Server-Timing"), "cache "+outcome) {
			t.Errorf("Server-Timing %q, want a cache %s", s.Header.Get("Server-Timing"), outcome)
		}
		if head := headOf(t, string(s.Body())); !strings.Contains(head, `<link rel="canonical"`) {
			t.Errorf("%s: head lacks the decided canonical link:\n%s", outcome, head)
		}
	}
}

// TestDecidedHeadBadJSONLD checks that a Load deciding JSON-LD that does
// not marshal fails that pagelet (its fallback), not the page.
func TestDecidedHeadBadJSONLD(t *testing.T) {
	bad := deciding("b", 0, pagelet.Head{JSONLD: []any{func() {}}})
	bad.Fallback = func(error) templ.Component { return text("FALLBACK") }
	body := string(get(t, servePage(t, pageOf(bad)).URL, googlebotUA).Body())
	if !strings.Contains(body, "FALLBACK") || strings.Contains(body, "ld+json") {
		t.Errorf("want the fallback and no JSON-LD:\n%s", body)
	}
}

// TestDecidedHeadReplacesPages checks that what a pagelet decides replaces
// the page's own tags of the same name in a plain page, as the runtime
// updates them in place: one description, one canonical link.
func TestDecidedHeadReplacesPages(t *testing.T) {
	page := pageOf(deciding("b", 0, pagelet.Head{
		Meta:      []pagelet.Meta{{Name: "description", Content: "decided"}},
		Canonical: "https://example.com/decided",
	}))
	page.Head = templ.Raw(`<meta name="description" content="default"><meta name="robots" content="noindex"><link rel="canonical" href="https://example.com/default">`)
	head := headOf(t, string(get(t, servePage(t, page).URL, googlebotUA).Body()))
	for want, n := range map[string]int{
		`<meta name="description" content="decided">`:               1,
		`content="default"`:                                         0,
		`<meta name="robots" content="noindex">`:                    1,
		`<link rel="canonical" href="https://example.com/decided">`: 1,
		`rel="canonical"`:                                           1,
	} {
		if got := strings.Count(head, want); got != n {
			t.Errorf("%d of %s in the head, want %d:\n%s", got, want, n, head)
		}
	}
}
