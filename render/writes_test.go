package render_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/compress"
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

// TestWholePageLength: a document written whole in one write (a serial
// page; a pipelined page with every pagelet placed, from the cache or not)
// goes out with its Content-Length, in one write and one flush; one
// written in several goes out chunked; a compressed one never carries the
// uncompressed length.
func TestWholePageLength(t *testing.T) {
	c, err := cache.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	static := func(id string) pagelet.Pagelet {
		return pagelet.Pagelet{ID: id, Load: pagelet.Static(text(marker(id))), Placeholder: text("loading " + id)}
	}
	cachedPl := func(id string) pagelet.Pagelet {
		p := static(id)
		p.Cache = pagelet.Cache{Fresh: time.Hour}
		return p
	}
	gate := make(chan struct{})
	tests := []struct {
		name  string
		page  *pagelet.Page
		mode  render.Mode
		whole bool
	}{
		{"serial", pageOf(static("a"), static("b")), render.Serial, true},
		{"pipelined, every pagelet cached", pageOf(cachedPl("a"), cachedPl("b")), render.Pipelined, true},
		{"pipelined, a pagelet after the skeleton", pageOf(static("a"), gated("b", gate)), render.Pipelined, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithCache(c))
			if err != nil {
				t.Fatal(err)
			}
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return tc.page, nil },
				render.WithModeFunc(func(*http.Request) (render.Mode, error) { return tc.mode, nil }))
			srv := httptestServer(t, h)
			client := srv.Client()
			t.Cleanup(client.CloseIdleConnections)
			if tc.whole { // the first request fills the cache
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else {
				go func() { time.Sleep(50 * time.Millisecond); close(gate) }()
			}
			resp, err := client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(string(body), "</body></html>") || !strings.Contains(string(body), marker("b")) {
				t.Fatalf("incomplete page: %.200q", body)
			}
			if tc.whole && (resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0) {
				t.Errorf("Content-Length %d, Transfer-Encoding %q for a body of %d bytes; want its length, not chunked", resp.ContentLength, resp.TransferEncoding, len(body))
			}
			if !tc.whole && (resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"})) {
				t.Errorf("Content-Length %d, Transfer-Encoding %q for a page written in several writes; want chunked", resp.ContentLength, resp.TransferEncoding)
			}
			if !tc.whole {
				return
			}
			w := &countingWriter{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{}, 16)}
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.writes != 1 || w.flushes != 1 {
				t.Errorf("%d writes and %d flushes; want 1 and 1", w.writes, w.flushes)
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
				t.Errorf("Content-Length %q; want %s", got, want)
			}
		})
	}
	t.Run("compressed", func(t *testing.T) {
		rd, err := render.New(testAssets(t), render.WithLogger(discard()))
		if err != nil {
			t.Fatal(err)
		}
		page := pageOf(static("a"), static("b"))
		h := compress.New()(rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
			render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Serial, nil })))
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q; want gzip", rec.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("Content-Length %s on a compressed body of %d bytes (%d uncompressed)", cl, rec.Body.Len(), len(plain))
		}
		if !strings.HasSuffix(string(plain), "</body></html>") {
			t.Errorf("incomplete page: %.200q", plain)
		}
	})
}
