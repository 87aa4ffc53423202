package render_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestRequestID checks that a sane X-Request-Id from a proxy is kept, that
// anything else is replaced by a fresh id, and that the id reaches the
// response header, pagelet Loads and every log line of the request.
func TestRequestID(t *testing.T) {
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"none", "", false},
		{"proxy id", "req-42.a:b_c", true},
		{"log injection", "x\" level=ERROR msg=forged", false},
		{"too long", strings.Repeat("a", 65), false},
		{"non-ascii", "r\u00e9q", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs testenv.LockedBuffer
			obs := newPageRecorder()
			seen := make(chan string, 1)
			page := pageOf(pagelet.Pagelet{ID: "a", Load: func(ctx context.Context) (templ.Component, error) {
				seen <- render.RequestID(ctx)
				return nil, context.DeadlineExceeded // a failure: logged with the id
			}})
			srv := servePage(t, page, render.WithObserver(obs),
				render.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			h := http.Header{"User-Agent": {chromeUA}}
			if tc.sent != "" {
				h.Set(render.RequestIDHeader, tc.sent)
			}
			s := openWith(t, srv.URL, h)
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}
			obs.wait(t, 1)
			id := s.Header.Get(render.RequestIDHeader)
			if tc.keep && id != tc.sent || !tc.keep && (id == tc.sent || len(id) < 8) {
				t.Fatalf("X-Request-Id %q for %q sent; keep = %v", id, tc.sent, tc.keep)
			}
			if got := <-seen; got != id {
				t.Errorf("RequestID in Load = %q, want %q", got, id)
			}
			// The page's own line follows the observer's PageDone: wait for it.
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "msg=page ") && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) < 3 { // the pagelet's debug line, its failure, the page line
				t.Fatalf("%d log lines, want at least 3:\n%s", len(lines), logs.String())
			}
			for _, l := range lines {
				if !strings.Contains(l, "request_id="+id) {
					t.Errorf("log line without request_id=%s: %s", id, l)
				}
			}
			if !strings.Contains(logs.String(), `msg="pagelet failed" request_id=`+id+" pagelet=a failure=") {
				t.Errorf("no failure line naming the pagelet and its kind:\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), "msg=page ") || !strings.Contains(logs.String(), "mode=pipelined") {
				t.Errorf("no page summary line with the mode:\n%s", logs.String())
			}
		})
	}
}
