package pages_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/pages"
)

// TestPostMetrics posts comments that end each their own way and reads
// bigpipe_posts_total: every series of both forms is there from the
// start, and each post counts once, under what it was.
func TestPostMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	ls := newLiveSite(t, pages.WithMetrics(reg), pages.WithCommentRate(0, 0))
	slug := firstSlug(t, ls.st, "hotnews")
	rd := newReader(t, ls)
	base := rd.form(slug)
	for _, p := range []struct {
		form   url.Values
		status int
	}{
		{with(base, form.IDField, "metric-done-1"), 303},
		{with(base, form.IDField, "metric-done-1"), 303}, // replayed
		{with(base, form.IDField, "metric-csrf-1", form.TokenField, "forged"), 403},
		{with(base, form.IDField, "metric-empty1", "text", " "), 422},
	} {
		if resp, body := rd.post(slug, p.form); resp.StatusCode != p.status {
			t.Fatalf("post: %d, want %d: %.200s", resp.StatusCode, p.status, body)
		}
	}
	want := `
# HELP bigpipe_posts_total Comment and message posts by form and by how each ended: done, replayed (a retry of one done), refused (4xx), busy (shed: every place taken), unavailable (the store away), failed (500).
# TYPE bigpipe_posts_total counter
bigpipe_posts_total{form="comment",outcome="busy"} 0
bigpipe_posts_total{form="comment",outcome="done"} 1
bigpipe_posts_total{form="comment",outcome="failed"} 0
bigpipe_posts_total{form="comment",outcome="refused"} 2
bigpipe_posts_total{form="comment",outcome="replayed"} 1
bigpipe_posts_total{form="comment",outcome="unavailable"} 0
bigpipe_posts_total{form="message",outcome="busy"} 0
bigpipe_posts_total{form="message",outcome="done"} 0
bigpipe_posts_total{form="message",outcome="failed"} 0
bigpipe_posts_total{form="message",outcome="refused"} 0
bigpipe_posts_total{form="message",outcome="replayed"} 0
bigpipe_posts_total{form="message",outcome="unavailable"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bigpipe_posts_total"); err != nil {
		t.Error(err)
	}
}
