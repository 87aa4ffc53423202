package render

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// preflight runs the PageFunc, before anything is sent, and checks the page
// it builds. A nil page means the PageFunc answered the request itself (a
// redirect, a 404): the response is then complete with its status.
func (x *response) preflight() (*pagelet.Page, error) {
	x.pw.ResponseWriter = x.w
	page, err := x.h.pages(&x.pw, x.r)
	x.preflightTime = x.since()
	switch {
	case err != nil:
		return nil, fmt.Errorf("render: page: %w", err)
	case page == nil:
		x.settle(Complete, cmp.Or(x.pw.status, http.StatusOK))
		if x.status >= 400 && x.status < 500 {
			x.outcome = Rejected
		}
		return nil, nil
	}
	if err := page.Validate(); err != nil {
		return nil, x.checkFailed(page, fmt.Errorf("render: page: %w", err))
	}
	x.pagelets = len(page.Pagelets)
	return page, nil
}

// preflightWriter records the status a PageFunc answers with, if it does.
type preflightWriter struct {
	http.ResponseWriter
	status int
}

func (w *preflightWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *preflightWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *preflightWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
