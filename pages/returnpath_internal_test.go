package pages

import (
	"net/http/httptest"
	"testing"
)

// TestReturnPath checks that a page's way back leaves out the parameters
// that only chose how the page was rendered, and keeps the rest.
func TestReturnPath(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"/", "/"},
		{"/?nojs=1", "/"},
		{"/article/a-b?nojs=1&bigpipe_mode=serial", "/article/a-b"},
		{"/search?q=storm&nojs=1", "/search?q=storm"},
		{"/search?q=storm+%26+rain&section=tech", "/search?q=storm+%26+rain&section=tech"},
		{"/article/x?bigpipe_fragment=comments&bigpipe_live_hold=1&bigpipe_live_transport=websocket", "/article/x"},
	} {
		if got := returnPath(httptest.NewRequest("GET", tc.target, nil)); got != tc.want {
			t.Errorf("returnPath(%q) = %q, want %q", tc.target, got, tc.want)
		}
	}
}
