package pages

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// deskMetrics are the desk's: how long matching a comment against every
// editor's rules takes, and how many desks one comment reaches. Their
// labels are none: no editor, reader or article id ever makes a series.
type deskMetrics struct {
	matchSeconds prometheus.Histogram
	reached      prometheus.Histogram
}

// WithMetrics registers the site's own metrics on reg: the moderation
// desk's rule matching time (bigpipe_desk_match_seconds), the desks a
// comment reaches (bigpipe_desk_editors_per_comment) and the comment and
// message posts by outcome (bigpipe_posts_total, see postMetrics). Without
// it (or with a nil reg) they are kept but not exported. It panics if reg
// has them already: a setup error.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(s *Site) {
		m, p := newDeskMetrics(), newPostMetrics()
		if reg != nil {
			reg.MustRegister(m.matchSeconds, m.reached, p.posts)
		}
		s.deskMetrics, s.postMetrics = m, p
	}
}

func newDeskMetrics() *deskMetrics {
	return &deskMetrics{
		matchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bigpipe_desk_match_seconds", Help: "Time to match one comment against every editor's rules (the matcher compiled; a recompile after a rules change is not in it).",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01},
		}),
		reached: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bigpipe_desk_editors_per_comment", Help: "Editors' desks one comment was published to (its rules matched).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 7), // 1, 2, 4, …, 64, +Inf
		}),
	}
}

func (m *deskMetrics) observe(d time.Duration, editors int) {
	m.matchSeconds.Observe(d.Seconds())
	m.reached.Observe(float64(editors))
}
