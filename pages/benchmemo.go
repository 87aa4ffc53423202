package pages

import (
	"net/http"
	"sync/atomic"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// benchMemo is /bench's page function keeping the last page it built, by
// its query: a load generator asks for one URL over and over, and the page
// is a function of the query alone. The renderer only reads a page (see
// render.PageFunc), so the requests share it. Building the page is a fifth
// of what the fully cached page costs the server otherwise (parsing the
// delays, the pagelets' slice, the layout's closure and the cache keys;
// BenchmarkSitePage in bench/cachebench); a query other than the last one
// builds its page afresh and is kept in its place. A bad query's 400 is
// not kept.
type benchMemo struct {
	last atomic.Pointer[benchPage]
}

// benchPage is a page /bench built, with the query it was built for.
type benchPage struct {
	query string
	page  *pagelet.Page
}

// page is Bench, but the last page is reused for the same query.
func (m *benchMemo) page(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	q := r.URL.RawQuery
	if last := m.last.Load(); last != nil && last.query == q {
		return last.page, nil
	}
	page, err := Bench(w, r)
	if page != nil && err == nil {
		m.last.Store(&benchPage{query: q, page: page})
	}
	return page, err
}
