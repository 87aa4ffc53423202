package pages_test

import (
	"regexp"
	"testing"
)

// TestHomeBundle: a plain-HTML front page links its CSS as one bundle; the
// BigPipe front page links the site CSS alone.
func TestHomeBundle(t *testing.T) {
	srv := site(t)
	links := regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)"`)
	for _, tc := range []struct{ query, want string }{{"?nojs=1", "/static/bundles/home."}, {"", "/static/css/site."}} {
		body := string(fetch(t, srv.URL+"/"+tc.query).Body())
		got := links.FindAllStringSubmatch(body, -1)
		if len(got) != 1 || !regexp.MustCompile("^"+regexp.QuoteMeta(tc.want)).MatchString(got[0][1]) {
			t.Errorf("/%s links %v, want one stylesheet %s…", tc.query, got, tc.want)
		}
	}
}
