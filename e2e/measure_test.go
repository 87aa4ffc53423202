package e2e_test

import (
	"flag"
	"fmt"
	"math"
	"regexp"
	"sort"
	"testing"

	"github.com/chromedp/chromedp"
)

var measure = flag.Bool("measure", false, "TestMeasurePlaceholders: print the --pl-h values for static/css/site.css")

// TestMeasurePlaceholders is a tool, not a check: with -measure it loads
// every page at widths across each CSS breakpoint range and prints, per
// range, the tallest natural height of each pagelet container as CSS, for
// the reserved heights in static/css/site.css:
//
//	go test ./e2e -run TestMeasurePlaceholders -measure -v
func TestMeasurePlaceholders(t *testing.T) {
	if !*measure {
		t.Skip("a measuring tool; run with -measure")
	}
	srv := newServer(t)
	home, _ := fetch(t, srv.URL+"/?nojs=1", "Mozilla/5.0 Chrome/131")
	slug := regexp.MustCompile(`/article/[a-z0-9-]+`).FindString(home)
	ranges := map[string][]int64{"A": {1101, 1280}, "B68.75": {961, 1030, 1100}, "C60": {705, 768, 800, 960}, "D44": {577, 640, 704}, "E36": {481, 530, 576}, "F30": {320, 360, 390, 430, 480}}
	css := ""
	for _, name := range []string{"A", "B68.75", "C60", "D44", "E36", "F30"} {
		max := map[string]float64{}
		per := map[string]string{}
		for _, w := range ranges[name] {
			for _, path := range []string{"/", "/search?q=storm", slug} {
				tb := newTab(t)
				chromedp.Run(tb.Ctx, chromedp.EmulateViewport(w, 900))
				tb.Navigate(t, srv.URL+path)
				tb.waitDone(t)
				got := eval[map[string]float64](t, tb, `(() => { const o = {}; const rem = parseFloat(getComputedStyle(document.documentElement).fontSize); for (const el of document.querySelectorAll('.pagelet')) { el.style.minHeight = "0"; o[el.id] = el.getBoundingClientRect().height / rem; el.style.minHeight = ""; } return o; })()`)
				for k, v := range got {
					if v > max[k] {
						max[k] = v
					}
					per[k] += fmt.Sprintf(" %d:%.1f", w, v)
				}
			}
		}
		keys := []string{}
		for k := range max {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		css += "\n/* " + name + " */\n"
		for _, k := range keys {
			t.Logf("%s %-12s max %.2f |%s", name, k, max[k], per[k])
			css += fmt.Sprintf("#%s { --pl-h: %.1frem; }\n", k, math.Ceil(max[k]*2)/2)
		}
	}
	t.Log(css)
}
