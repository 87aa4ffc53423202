package e2e_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestNavAnchorsClearStickyNav follows each section link of the sticky nav
// on the front page and checks that the section's heading ends up just
// below the nav, not under it: at a desktop width, just above the width
// where the nav wraps onto two rows, at one where it has, and at a narrow
// one where the nav is not sticky.
func TestNavAnchorsClearStickyNav(t *testing.T) {
	srv := newServer(t)
	tb := newTab(t)
	for _, width := range []int64{1280, 930, 800, 600} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			if _, err := chromedp.Run(tb.Ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			tb.Navigate(t, srv.URL+"/")
			tb.waitDone(t)
			for _, id := range []string{"society", "finance", "tech", "sports", "hotnews"} {
				// Follow the link as a user would, then measure where the
				// heading landed against the nav's bottom edge (negative
				// once a static nav has scrolled away).
				got := eval[[]float64](t, tb, `(() => {
					document.querySelector('.site-nav a[href="/#sec-`+id+`"]').click();
					const nav = document.querySelector('.site-nav').getBoundingClientRect();
					const h = document.getElementById('`+id+`-title').getBoundingClientRect();
					return [Math.max(nav.bottom, 0), h.top, scrollY, nav.height];
				})()`)
				navBottom, top := got[0], got[1]
				t.Logf("%s: nav bottom %.1f (height %.1f), heading top %.1f, scrollY %.0f", id, navBottom, got[3], top, got[2])
				if top < navBottom-1 { // sub-pixel rounding
					t.Errorf("%s: heading top %.1f is under the nav (bottom %.1f)", id, top, navBottom)
				}
				// Near the two-row breakpoint the padding is the two-row one,
				// so allow up to 4rem of gap.
				if top > navBottom+64 && got[2] > 0 {
					t.Errorf("%s: heading top %.1f is %.1f px below the nav: the link did not bring it to the top", id, top, top-navBottom)
				}
			}
		})
	}
}
