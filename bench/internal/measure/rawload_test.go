package measure

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRawLoadRun: the raw closed loop reads whole pages framed by a
// Content-Length, chunked or by the connection's close, after a 103; it
// counts a status not 200 and a page not ending with </html> as errors,
// and dials again after a connection the server closed.
func TestRawLoadRun(t *testing.T) {
	const page = "<!DOCTYPE html><html><body>" + "filler " + "</body></html>\n"
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "raw-test" {
			http.Error(w, "no User-Agent", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", "42")
		io.WriteString(w, page[:42])
	})
	mux.HandleFunc("/whole", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</a.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		for _, part := range []string{page[:10], page[10:20], page[20:]} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, page)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	h := http.Header{"User-Agent": {"raw-test"}}
	for _, tc := range []struct {
		path   string
		errors bool
	}{
		{"/whole", false},
		{"/chunked", false},
		{"/close", false},
		{"/length", true}, // 42 bytes: the page cut before </html>
		{"/missing", true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r, err := RawLoadRun(context.Background(), RawSpec{URL: srv.URL + tc.path, Header: h, Workers: 3, For: time.Minute, MaxRequests: 30})
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests != 30 {
				t.Errorf("%d requests, want 30", r.Requests)
			}
			if tc.errors && (r.Errors != 30 || len(r.Samples) != 0) {
				t.Errorf("%d errors, %d samples; want every request failed", r.Errors, len(r.Samples))
			}
			if !tc.errors && (r.Errors != 0 || len(r.Samples) != 30) {
				t.Errorf("%d errors, %d samples; want none failed", r.Errors, len(r.Samples))
			}
		})
	}
	// Paced: 4 workers, a request each every 50 ms, for 300 ms: 6 each at
	// most (the first ones staggered over 50 ms), 24 in all.
	r, err := RawLoadRun(context.Background(), RawSpec{URL: srv.URL + "/whole", Header: h, Workers: 4, For: 300 * time.Millisecond, Pace: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 0 || r.Requests < 16 || r.Requests > 24 {
		t.Errorf("paced: %d requests, %d errors; want 16 to 24, none failed", r.Requests, r.Errors)
	}
	if _, err := RawLoadRun(context.Background(), RawSpec{URL: "https://example.com/", Workers: 1, For: time.Second}); err == nil || !strings.Contains(err.Error(), "want http://") {
		t.Errorf("https URL: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RawLoadRun(ctx, RawSpec{URL: srv.URL + "/whole", Workers: 2, For: time.Minute}); err == nil {
		t.Error("a cancelled context: no error")
	}
}
