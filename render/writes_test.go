package render_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// countingWriter counts the Write and Flush calls a response makes: each
// is about one syscall on the wire. Only the handler goroutine touches it;
// wrote tells the test of each write.
type countingWriter struct {
	*httptest.ResponseRecorder
	writes, flushes int
	wrote           chan struct{}
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	n, err := c.ResponseRecorder.Write(p)
	c.wrote <- struct{}{}
	return n, err
}
func (c *countingWriter) Flush() { c.flushes++; c.ResponseRecorder.Flush() }

// TestWritesPerPage checks the renderer's batching: the skeleton is one
// write, each pagelet that becomes ready on its own is one more, and the end
// of the document rides with the last pagelet. Every write is flushed, the
// last one too, so that it reaches the connection under its own deadline
// and a failure there is not taken for a complete page.
func TestWritesPerPage(t *testing.T) {
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var pls []pagelet.Pagelet
	for i, g := range gates {
		pls = append(pls, gated(string(rune('a'+i)), g))
	}
	tests := []struct {
		name       string
		page       *pagelet.Page
		mode       render.Mode
		release    bool
		wantWrites int
	}{
		{"pipelined, 3 pagelets ready one by one", pageOf(pls...), render.Pipelined, true, 1 + 3},
		{"pipelined, no pagelets", pageOf(), render.Pipelined, false, 1},
		{"serial", pageOf(delayed("a", 0), delayed("b", 0)), render.Serial, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := render.New(testAssets(t), render.WithLogger(discard()))
			if err != nil {
				t.Fatal(err)
			}
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return tc.page, nil },
				render.WithModeFunc(func(*http.Request) (render.Mode, error) { return tc.mode, nil }))
			w := &countingWriter{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{}, 16)}
			done := make(chan struct{})
			go func() { defer close(done); h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil)) }()
			if tc.release {
				<-w.wrote // the skeleton
				for _, g := range gates {
					close(g)  // one pagelet ready, alone...
					<-w.wrote // ...and out before the next
				}
			}
			<-done // the handler is done with w: its counters are ours to read
			if w.writes != tc.wantWrites || w.flushes != tc.wantWrites {
				t.Errorf("%d writes and %d flushes, want %d and %d", w.writes, w.flushes, tc.wantWrites, tc.wantWrites)
			}
			if !strings.HasSuffix(w.Body.String(), "</body></html>") {
				t.Error("document not closed")
			}
		})
	}
}
