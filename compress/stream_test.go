package compress_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/compress"
)

var encodings = []string{"gzip", "br"}

// TestFlushReachesClient gates the handler after each flushed marker: the
// client must decode the marker before the gate opens, so each flush reached
// it decodable, not held in the encoder. Over HTTP/1.1 and h2c.
func TestFlushReachesClient(t *testing.T) {
	markers := []string{"M1", "M2", "M3"}
	for _, tc := range []struct{ proto, enc string }{{"http1", "gzip"}, {"http1", "br"}, {"h2c", "gzip"}, {"h2c", "br"}} {
		proto, enc := tc.proto, tc.enc
		t.Run(proto+"/"+enc, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs after the server and client are closed
			gates := make([]chan struct{}, len(markers))
			open := make([]func(), len(markers)) // idempotent, so cleanup can open whatever is left
			for i := range gates {
				gates[i] = make(chan struct{})
				open[i] = sync.OnceFunc(func() { close(gates[i]) })
			}
			srv := serveProto(t, proto, func(w http.ResponseWriter, r *http.Request) {
				if got, want := r.ProtoMajor, map[string]int{"http1": 1, "h2c": 2}[proto]; got != want {
					t.Errorf("request over HTTP/%d, want HTTP/%d", got, want)
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				rc := http.NewResponseController(w)
				io.WriteString(w, "<!doctype html><title>page</title><body>")
				for i, m := range markers {
					io.WriteString(w, chunk(m))
					if err := rc.Flush(); err != nil {
						t.Errorf("Flush: %v", err)
					}
					select {
					case <-gates[i]:
					case <-r.Context().Done():
						return
					}
				}
				io.WriteString(w, "</body></html>")
			})
			t.Cleanup(func() { // runs before srv.Close: a failed test does not leave the handler waiting
				for _, o := range open {
					o()
				}
			})

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			resp := doProto(t, ctx, proto, "GET", srv.URL, enc)
			if got := resp.Header.Get("Content-Encoding"); got != enc {
				t.Fatalf("Content-Encoding %q, want %q", got, enc)
			}
			d := &incremental{r: decoder(t, enc, resp.Body)}
			for i, m := range markers {
				d.until(t, m) // the handler is still blocked on gates[i]
				for _, later := range markers[i+1:] {
					if strings.Contains(string(d.body), later) {
						t.Fatalf("%s decoded before its gate opened", later)
					}
				}
				open[i]()
			}
			if err := d.rest(); err != nil {
				t.Fatalf("end of stream: %v", err)
			}
			if !strings.HasSuffix(string(d.body), "</body></html>") {
				t.Errorf("body ends %q, want </body></html>", d.body[max(0, len(d.body)-40):])
			}
		})
	}
}

// TestFlushTiming has the handler pause between flushed markers, as a slow
// pagelet would: each marker is decoded before the handler wakes up to write
// the next. The pause ends when the client has decoded the marker before it,
// or after stall: a flush held in the encoder reaches the client only with
// the next marker, after the stall, which fails the test. (A pause of a fixed
// time instead raced the client's decoding on a busy machine.)
func TestFlushTiming(t *testing.T) {
	const stall = 5 * time.Second
	markers := []string{"M1", "M2", "M3"}
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			decoded := make([]chan struct{}, len(markers)) // closed once the client has decoded markers[i]
			for i := range decoded {
				decoded[i] = make(chan struct{})
			}
			var mu sync.Mutex
			resumed := map[string]time.Time{} // when the handler woke up to write each marker
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				rc := http.NewResponseController(w)
				for i, m := range markers {
					if i > 0 {
						select {
						case <-decoded[i-1]:
						case <-time.After(stall):
						case <-r.Context().Done():
							return
						}
					}
					mu.Lock()
					resumed[m] = time.Now()
					mu.Unlock()
					io.WriteString(w, chunk(m))
					rc.Flush()
				}
			})

			ctx, cancel := context.WithTimeout(t.Context(), 4*stall)
			defer cancel()
			start := time.Now()
			resp := do(t, ctx, "GET", srv.URL, enc)
			d := &incremental{r: decoder(t, enc, resp.Body)}
			var at []time.Time
			for i, m := range markers {
				at = append(at, d.until(t, m))
				close(decoded[i])
			}
			m1, m2, m3 := at[0], at[1], at[2]
			if err := d.rest(); err != nil {
				t.Fatalf("end of stream: %v", err)
			}
			t.Logf("decoded M1 at %v, M2 at %v, M3 at %v", m1.Sub(start), m2.Sub(start), m3.Sub(start))

			mu.Lock()
			defer mu.Unlock()
			if !m1.Before(resumed["M2"]) || !m2.Before(resumed["M3"]) {
				t.Errorf("a marker was decoded only after the handler wrote the next one: M1 %v (M2 written %v), M2 %v (M3 written %v)",
					m1.Sub(start), resumed["M2"].Sub(start), m2.Sub(start), resumed["M3"].Sub(start))
			}
		})
	}
}

// TestAbortTruncates: a handler that panics with http.ErrAbortHandler after
// flushing part of the page leaves the client with a truncated stream, not
// one that ends cleanly, and the middleware passes the panic on. Over
// HTTP/1.1 and h2c.
func TestAbortTruncates(t *testing.T) {
	for _, tc := range []struct{ proto, enc string }{{"http1", "gzip"}, {"http1", "br"}, {"h2c", "gzip"}, {"h2c", "br"}} {
		proto, enc := tc.proto, tc.enc
		t.Run(proto+"/"+enc, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs after the server and client are closed
			recovered := make(chan any, 1)
			h := compress.New()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, chunk("M1"))
				http.NewResponseController(w).Flush()
				io.WriteString(w, chunk("M2")) // not flushed: may or may not get out
				panic(http.ErrAbortHandler)
			}))
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() { // see what comes out of the middleware, then let net/http abort
					v := recover()
					recovered <- v
					panic(v)
				}()
				h.ServeHTTP(w, r)
			}))
			srv.Config.Protocols = protocols(proto)
			srv.Start()
			t.Cleanup(srv.Close)

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			resp := doProto(t, ctx, proto, "GET", srv.URL, enc)
			d := &incremental{r: decoder(t, enc, resp.Body)}
			d.until(t, "M1")
			err := d.rest()
			if err == nil {
				t.Fatalf("stream ended cleanly after the handler aborted; decoded %q", d.body)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Logf("client error: %v (not io.ErrUnexpectedEOF, still not a clean end)", err)
			}
			if v := <-recovered; v != http.ErrAbortHandler {
				t.Errorf("panic out of the middleware: %v, want http.ErrAbortHandler", v)
			}
		})
	}
}

// TestAbortWritesNoTrailer checks the bytes the middleware itself writes
// when the handler panics: no end of stream, so whatever carries them on
// (HTTP/1.0 ends the body at the close, a proxy may re-frame it) cannot make
// the cut-short page look whole.
func TestAbortWritesNoTrailer(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			h := compress.New()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, chunk("M1"))
				http.NewResponseController(w).Flush()
				io.WriteString(w, chunk("M2"))
				panic(http.ErrAbortHandler)
			}))
			rec := httptest.NewRecorder() // keeps every byte written, at once
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Accept-Encoding", enc)
			func() {
				defer func() {
					if v := recover(); v != http.ErrAbortHandler {
						t.Errorf("recovered %v, want http.ErrAbortHandler", v)
					}
				}()
				h.ServeHTTP(rec, req)
			}()
			d := &incremental{r: decoder(t, enc, rec.Body)}
			d.until(t, "M1")
			if err := d.rest(); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("decoding what was written: %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}
