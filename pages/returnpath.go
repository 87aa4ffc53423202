package pages

import (
	"net/http"

	"github.com/bigpipe-go/bigpipe/render"
)

// modeParams are the query parameters that choose how a page is rendered
// (the no-JS fallback, a forced mode, one fragment), not what it shows.
var modeParams = []string{"nojs", render.ForceModeParam, render.FragmentParam, "bigpipe_live_transport", "bigpipe_live_hold"}

// returnPath is where a link that should bring the reader back to r's page
// (signing in from it, say) points: its path and query without the
// parameters that only chose how it was rendered, so that every mode of a
// page links alike and the reader comes back to the page, not the mode.
func returnPath(r *http.Request) string {
	u := *r.URL
	q := u.Query()
	changed := false
	for _, p := range modeParams {
		if q.Has(p) {
			q.Del(p)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.RequestURI()
}
