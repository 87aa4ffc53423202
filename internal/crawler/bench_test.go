package crawler_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/crawler"
)

// BenchmarkIsCrawler measures one classification per operation over the
// test corpus: browsers (which go through the pattern scan and then
// mileusna/useragent, the slow path), non-browsers (mostly decided by the
// scan alone) and an even mix of both.
func BenchmarkIsCrawler(b *testing.B) {
	var browsers, others []string
	for _, tc := range browserUAs {
		browsers = append(browsers, tc.ua)
	}
	for _, cases := range [][]uaCase{crawlerUAs, textBrowserUAs, httpClientUAs} {
		for _, tc := range cases {
			others = append(others, tc.ua)
		}
	}
	benchDecisions(b, browsers, others)
}

// benchDecisions runs one IsCrawler per operation over browsers, over
// crawlers, and over a mix alternating one of each.
func benchDecisions(b *testing.B, browsers, crawlers []string) {
	var mix []string
	for i := range max(len(browsers), len(crawlers)) {
		mix = append(mix, browsers[i%len(browsers)], crawlers[i%len(crawlers)])
	}
	d := crawler.New()
	for _, bc := range []struct {
		name string
		uas  []string
	}{
		{"mix", mix},
		{"browsers", browsers},
		{"crawlers", crawlers},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				if d.IsCrawler(bc.uas[i%len(bc.uas)]) {
					n++
				}
			}
			_ = n
		})
	}
}

// BenchmarkNew measures compiling the patterns, done once at start-up.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		crawler.New()
	}
}
