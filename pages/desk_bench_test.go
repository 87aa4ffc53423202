package pages_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/pages"
)

// BenchmarkDeskDelivery posts comments through the site, on one instance,
// at 200 a second, against 1,000 editors' rules (each of 50 words is
// watched by 20 editors; a comment holds three words, so it reaches about
// 60 desks), one editor watching their desk over SSE. One op is one
// comment. It reports post → that editor's desk p50 and p99 in ms (from
// the POST being sent to the publication read from the stream) and the
// desk deliveries per second the site made.
//
//	go test -run '^$' -bench DeskDelivery -benchtime 1000x ./pages
func BenchmarkDeskDelivery(b *testing.B) {
	const editors, words, perSecond = 1000, 50, 200
	ids := make([]string, editors)
	for i := range ids {
		ids[i] = fmt.Sprintf("ed%04d", i)
	}
	reg := prometheus.NewRegistry()
	ls := newLiveSiteWrapped(b, withSessions, pages.WithDirectory(readers), pages.WithCommentRate(0, 0),
		pages.WithEditors(ids...), pages.WithMetrics(reg))
	slug := firstSlug(b, ls.st, "tech")
	for i, id := range ids {
		saveRules(b, signedIn(b, ls, id), "words", fmt.Sprintf("w%02d", i%words))
	}
	sub := subscribeAs(b, ls, ids[0], pages.DeskFeed+ids[0]) // watches w00
	poster := newReader(b, ls)
	f := poster.form(slug)

	sent := make([]time.Time, b.N)
	took := make([]float64, 0, b.N)
	done := make(chan struct{})
	go func() { // reads the desk until every comment has come, or 10 s of silence
		defer close(done)
		for len(took) < b.N {
			select {
			case p := <-sub.pubs:
				var n int
				if _, err := fmt.Sscanf(p.Key, "bench-%d", &n); err == nil && n < len(sent) {
					took = append(took, float64(time.Since(sent[n]))/float64(time.Millisecond))
				}
			case <-sub.done:
				return
			case <-time.After(10 * time.Second):
				return
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / perSecond)))
		text := fmt.Sprintf("Comment %d about w00, w%02d and w%02d.", i, 1+rand.IntN(words-1), 1+rand.IntN(words-1))
		sent[i] = time.Now()
		if resp, body := poster.post(slug, with(f, form.IDField, fmt.Sprintf("bench-%06d", i), "text", text)); resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("post %d: %d %.200s", i, resp.StatusCode, body)
		}
	}
	elapsed := time.Since(start)
	<-done
	b.StopTimer()
	if len(took) != b.N {
		b.Fatalf("%d of %d comments reached the watching editor's desk", len(took), b.N)
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2], "p50-ms")
	b.ReportMetric(took[len(took)*99/100], "p99-ms")
	b.ReportMetric(deskDeliveries(b, reg)/elapsed.Seconds(), "deliveries/s")
}

// deskDeliveries is the sum of bigpipe_desk_editors_per_comment: every
// desk a comment was published to.
func deskDeliveries(b *testing.B, reg prometheus.Gatherer) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasSuffix(mf.GetName(), "desk_editors_per_comment") {
			return mf.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	b.Fatal("no bigpipe_desk_editors_per_comment")
	return 0
}
