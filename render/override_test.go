package render_test

import (
	"net/http"
	"testing"

	"github.com/bigpipe-go/bigpipe/render"
)

// TestModeOverride checks an operator can force each mode by header or
// query only where the override is enabled, that the header wins, and that
// a bad name is a 400 with a message.
func TestModeOverride(t *testing.T) {
	page := pageOf(delayed("a", 0))
	on := servePage(t, page, render.WithModeOverride(true))
	off := servePage(t, page)
	tests := []struct {
		name, base, query, header, ua string
		status                        int
		mode                          string
	}{
		{"header forces inorder", on.URL, "", "inorder", chromeUA, 200, "inorder"},
		{"header forces serial", on.URL, "", "serial", chromeUA, 200, "serial"},
		{"header forces pipelined for a crawler", on.URL, "", "pipelined", googlebotUA, 200, "pipelined"},
		{"query forces inorder", on.URL, "?bigpipe_mode=inorder", "", chromeUA, 200, "inorder"},
		{"header wins over query", on.URL, "?bigpipe_mode=serial", "inorder", chromeUA, 200, "inorder"},
		{"nothing asked: detection", on.URL, "", "", googlebotUA, 200, "inorder"},
		{"bad header", on.URL, "", "fast", chromeUA, 400, ""},
		{"bad query", on.URL, "?bigpipe_mode=", "", chromeUA, 400, ""},
		{"off: header ignored", off.URL, "", "serial", chromeUA, 200, "pipelined"},
		{"off: query ignored", off.URL, "?bigpipe_mode=inorder", "", chromeUA, 200, "pipelined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"User-Agent": {tc.ua}}
			if tc.header != "" {
				h.Set(render.ForceModeHeader, tc.header)
			}
			s := openWith(t, tc.base+"/"+tc.query, h)
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}
			if s.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", s.Status, tc.status, s.Body())
			}
			if tc.status != 200 {
				if len(s.Body()) == 0 {
					t.Error("a 400 without a message")
				}
				return
			}
			if got := s.Header.Get("X-BigPipe-Mode"); got != tc.mode {
				t.Errorf("X-BigPipe-Mode = %q, want %q", got, tc.mode)
			}
		})
	}
}
