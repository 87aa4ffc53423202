package render_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestNativeDocument: in the native mode a pagelet still loading when the
// skeleton is written has its placeholder between <?start name=SLOT> and
// <?end> markers; once done it follows as its stylesheet links (only those
// not applied yet), a <template for=SLOT> directly in <body> holding the
// pagelet's container, shown, and a script telling the runtime. A pagelet
// done before the head is placed as in the pipelined mode. Nothing sends a
// browser without JavaScript elsewhere: the page needs none.
func TestNativeDocument(t *testing.T) {
	body := serveSettled(t, render.Native, func(gate chan struct{}) *pagelet.Page {
		p := pageOf(delayed("a", 0), gated("c", gate))
		p.Pagelets[0].CSS = []string{"shared.css"}
		p.Pagelets[1].CSS = []string{"shared.css", "a.css"}
		p.Pagelets[1].JS = []string{"a.js"}
		return p
	})
	for _, want := range []string{
		`<div id="a" class="pagelet" data-bigpipe="shown" aria-busy="false" aria-live="polite">` + marker("a") + `</div>`,
		`<?start name="bp1"><div id="c" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite">loading c</div><?end>`,
		`</main><script>bigPipe.setup(`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("document lacks %s:\n%s", want, body)
		}
	}
	_, tail, ok := strings.Cut(body, "})</script>\n") // after the setup
	if !ok {
		t.Fatalf("no setup:\n%s", body)
	}
	patch := regexp.MustCompile(`^<link rel="stylesheet" href="/static/a\.[0-9a-f]{10}\.css"><template for="bp1"><div id="c" class="pagelet" data-bigpipe="shown" aria-busy="false" aria-live="polite">PAGELET-c-READY</div></template><script>bigPipe\.onPageletPatched\(\{"id":"c","slot":"bp1","css":\["\w+","\w+"\],"js":\["\w+"\]\}\)</script>`)
	if !patch.MatchString(strings.TrimPrefix(tail, firstPaintMarker)) {
		t.Errorf("after the setup, want c's link (a.css only: shared.css is applied), template and script; got:\n%s", tail)
	}
	if strings.Contains(body, "<noscript>") || strings.Contains(body, "bigPipe.onPageletArrive(") {
		t.Errorf("a native page with a <noscript> refresh or a payload:\n%s", body)
	}
}

// TestNativeHostile: nothing a pagelet's text or id holds ends the
// template, opens a script or breaks the markers: text is escaped as on
// the plain page, and the marker names are the pagelets' indexes.
func TestNativeHostile(t *testing.T) {
	const evil = `</template><?end><script>alert(1)</script><template for="bp0">`
	body := serveSettled(t, render.Native, func(gate chan struct{}) *pagelet.Page {
		g := gated(`</script><!--"x`, gate) // done after the skeleton: patched
		wait := g.Load
		g.Load = func(ctx context.Context) (templ.Component, error) {
			if _, err := wait(ctx); err != nil {
				return nil, err
			}
			return text(evil), nil
		}
		return pageOf(g)
	})
	if strings.Contains(body, "<script>alert") || strings.Count(body, "<template for=") != 1 || strings.Count(body, "<?end>") != 1 {
		t.Errorf("hostile text escaped the template:\n%s", body)
	}
	if !strings.Contains(body, `<?start name="bp0"><div id="&lt;/script&gt;&lt;!--&#34;x"`) || !strings.Contains(body, `<template for="bp0"><div id="&lt;/script&gt;&lt;!--&#34;x"`) {
		t.Errorf("the hostile id is not escaped in the placeholder and the template, or names a marker:\n%s", body)
	}
}

// TestDetectNative: the default mode decision serves Native to Chrome
// NativeMinChrome and later, and nothing else; crawlers and no-JS clients
// still get plain HTML.
func TestDetectNative(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	chrome := func(v string) string {
		return "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + v + " Safari/537.36"
	}
	for _, tc := range []struct {
		name, ua, query, cookie string
		want                    render.Mode
	}{
		{"Chrome 156", chrome("156.0.8078.114"), "", "", render.Native},
		{"Chrome 200", chrome("200.0.0.0"), "", "", render.Native},
		{"Chrome 155", chrome("155.0.0.0"), "", "", render.Pipelined},
		{"Chrome 131", chromeUA, "", "", render.Pipelined},
		{"Edge 156", chrome("156.0.0.0") + " Edg/156.0.0.0", "", "", render.Native},
		{"Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0", "", "", render.Pipelined},
		{"a huge version", chrome("99999999999999999999999"), "", "", render.Native},
		{"no digits", "Mozilla/5.0 Chrome/ Safari/537.36", "", "", render.Pipelined},
		{"googlebot", googlebotUA, "", "", render.InOrder},
		{"nojs=1", chrome("156.0.0.0"), "?nojs=1", "", render.InOrder},
		{"nojs=0 forces pipelined", chrome("156.0.0.0"), "?nojs=0", "", render.Pipelined},
		{"no-JS cookie", chrome("156.0.0.0"), "", render.NoJSCookie + "=1", render.InOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/"+tc.query, nil)
			r.Header.Set("User-Agent", tc.ua)
			if tc.cookie != "" {
				r.Header.Set("Cookie", tc.cookie)
			}
			got, err := rd.DetectMode(r)
			if err != nil || got != tc.want {
				t.Errorf("DetectMode = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if m, err := render.ParseMode("native"); err != nil || m != render.Native || m.String() != "native" {
		t.Errorf(`ParseMode("native") = %v, %v`, m, err)
	}
}
