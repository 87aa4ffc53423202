package assets_test

import (
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
)

// withFiles returns the fixture files plus extra ones.
func withFiles(extra fstest.MapFS) fstest.MapFS {
	out := maps.Clone(files)
	maps.Copy(out, extra)
	return out
}

func TestBundle(t *testing.T) {
	fsys := withFiles(fstest.MapFS{
		"a.js": {Data: []byte("var a = 1\n// trailing comment")},
		"b.js": {Data: []byte("(function () { window.b = 2 })()")},
	})
	reg, err := assets.New(fsys,
		assets.WithBundle("css/page.css", "css/site.css", "pagelets/news.css"),
		assets.WithBundle("all.js", "a.js", "b.js", "bigpipe.js"),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sep string
		typ       assets.Type
		parts     []string
	}{
		{"css/page.css", "\n", assets.CSS, []string{"css/site.css", "pagelets/news.css"}},
		{"all.js", ";\n", assets.JS, []string{"a.js", "b.js", "bigpipe.js"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustLookup(t, reg, tc.name)
			var want []string
			raw := 0
			for _, p := range tc.parts {
				part := mustLookup(t, reg, p) // the parts stay addressable
				want = append(want, string(part.Body))
				raw += part.RawSize
				if part.ID == b.ID || part.URL == b.URL {
					t.Errorf("part %s shares id %s or URL %s with the bundle", p, part.ID, part.URL)
				}
			}
			if got := string(b.Body); got != strings.Join(want, tc.sep) {
				t.Errorf("body %q, want the parts joined by %q: %q", got, tc.sep, strings.Join(want, tc.sep))
			}
			if b.Type != tc.typ || b.RawSize != raw || strings.Join(b.Parts, ",") != strings.Join(tc.parts, ",") {
				t.Errorf("type %s raw %d parts %q; want %s %d %q", b.Type, b.RawSize, b.Parts, tc.typ, raw, tc.parts)
			}
			if b.Brotli == nil && b.Gzip == nil && len(b.Body) > 200 {
				t.Errorf("no compressed variant")
			}
			if rec := serve(reg, "GET", b.URL, nil); rec.Code != http.StatusOK || rec.Body.String() != string(b.Body) {
				t.Errorf("GET %s: %d %q", b.URL, rec.Code, rec.Body.String())
			}
		})
	}
	// The same bundle in another registry gets the same id and URL.
	again, err := assets.New(fsys, assets.WithBundle("css/page.css", "css/site.css", "pagelets/news.css"))
	if err != nil {
		t.Fatal(err)
	}
	if x, y := mustLookup(t, reg, "css/page.css"), mustLookup(t, again, "css/page.css"); x.ID != y.ID || x.URL != y.URL {
		t.Errorf("bundle id/URL %s %s vs %s %s", x.ID, x.URL, y.ID, y.URL)
	}
}

// TestBundleJSSeparator: a part that relies on automatic semicolon insertion
// must not turn the next part's leading "(" into a call.
func TestBundleJSSeparator(t *testing.T) {
	reg, err := assets.New(fstest.MapFS{
		"a.js": {Data: []byte("var a = window.x\n")},
		"b.js": {Data: []byte("(function () { window.y = 1 })()\n")},
	}, assets.WithBundle("ab.js", "a.js", "b.js"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(mustLookup(t, reg, "ab.js").Body)
	if !strings.Contains(body, ";\n(function") {
		t.Errorf("body %q: the IIFE would become a call of window.x", body)
	}
}

func TestBundleErrors(t *testing.T) {
	fsys := withFiles(fstest.MapFS{
		"strict.js":      {Data: []byte("'use strict';\nwindow.s = 1;\n")},
		"mod.mjs":        {Data: []byte("export const m = 1;\n")},
		"imports.css":    {Data: []byte("@import url(a.css);\n.x { color: red }\n")},
		"charset.css":    {Data: []byte("@charset \"utf-8\";\n.x { color: red }\n")},
		"lead-strict.js": {Data: []byte("window.t = 1;\n")},
	})
	tests := []struct {
		name        string
		bundle      string
		parts       []string
		wantUnknown bool
		wantMsg     string
	}{
		{"unknown part", "x.css", []string{"css/site.css", "nope.css"}, true, `"nope.css"`},
		{"unknown first part", "x.css", []string{"nope.css"}, true, `"nope.css"`},
		{"mixed", "x.css", []string{"css/site.css", "bigpipe.js"}, false, "mixes css and js"},
		{"not css or js", "x.css", []string{"img/logo.svg"}, false, "neither CSS nor JS"},
		{"no parts", "x.css", nil, false, "no parts"},
		{"twice", "x.css", []string{"css/site.css", "css/site.css"}, false, "listed twice"},
		{"name taken", "css/site.css", []string{"pagelets/news.css"}, false, "already taken"},
		{"bad name", "../x.css", []string{"css/site.css"}, false, "not a valid"},
		{"css name for js", "x.css", []string{"bigpipe.js"}, false, "must end in .js"},
		{"js name for css", "x.js", []string{"css/site.css"}, false, "must end in .css"},
		{"module", "x.js", []string{"bigpipe.js", "mod.mjs"}, false, "ES module"},
		{"use strict", "x.js", []string{"lead-strict.js", "strict.js"}, false, "use strict"},
		{"use strict first", "x.js", []string{"strict.js", "lead-strict.js"}, false, "use strict"},
		{"late @import", "x.css", []string{"css/site.css", "imports.css"}, false, "@import"},
		{"late @charset", "x.css", []string{"css/site.css", "charset.css"}, false, "@import, @charset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assets.New(fsys, assets.WithBundle(tc.bundle, tc.parts...))
			if !errors.Is(err, assets.ErrBundle) {
				t.Fatalf("err = %v, want ErrBundle", err)
			}
			if errors.Is(err, assets.ErrUnknown) != tc.wantUnknown {
				t.Errorf("errors.Is(err, ErrUnknown) = %v, want %v (err %v)", !tc.wantUnknown, tc.wantUnknown, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), tc.bundle) {
				t.Errorf("err = %q, want it to name %q and say %q", err, tc.bundle, tc.wantMsg)
			}
		})
	}
	// A leading @import is fine: it stays at the start.
	if _, err := assets.New(fsys, assets.WithBundle("x.css", "imports.css", "css/site.css")); err != nil {
		t.Errorf("leading @import: %v", err)
	}
}
