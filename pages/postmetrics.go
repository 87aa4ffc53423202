package pages

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/form"
)

// postMetrics count the comment and message posts by how each ended
// (bigpipe_posts_total{form,outcome}): among them the posts shed at once
// because -max-posts were being stored (busy), apart from those refused
// because the store was away (unavailable).
type postMetrics struct {
	posts *prometheus.CounterVec
}

func newPostMetrics() *postMetrics {
	return &postMetrics{posts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bigpipe_posts_total",
		Help: "Comment and message posts by form and by how each ended: done, replayed (a retry of one done), refused (4xx), busy (shed: every place taken), unavailable (the store away), failed (500).",
	}, []string{"form", "outcome"})}
}

// counter returns the form handler's outcome counter for the form named
// name (form.WithOutcomes), its series made at once so that each is 0
// before the first post.
func (m *postMetrics) counter(name string) func(form.Outcome) {
	byOutcome := make(map[form.Outcome]prometheus.Counter)
	for _, o := range []form.Outcome{form.OutcomeDone, form.OutcomeReplayed, form.OutcomeRefused,
		form.OutcomeBusy, form.OutcomeUnavailable, form.OutcomeFailed} {
		byOutcome[o] = m.posts.WithLabelValues(name, string(o))
	}
	return func(o form.Outcome) {
		if c, ok := byOutcome[o]; ok {
			c.Inc()
		}
	}
}
