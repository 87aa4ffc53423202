package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// haproxyConfig is a minimal HAProxy in front of upstream, with or without
// "option http-no-delay".
func haproxyConfig(port int, upstream string, noDelay bool) string {
	opt := ""
	if noDelay {
		opt = "    option http-no-delay\n"
	}
	return fmt.Sprintf(`global
    maxconn 200
defaults
    mode http
    timeout connect 5s
    timeout client 75s
    timeout server 75s
    option http-server-close
%sfrontend fe
    bind 127.0.0.1:%d
    default_backend app
backend app
    server app1 %s
`, opt, port, strings.TrimPrefix(upstream, "http://"))
}

// startHAProxy runs HAProxy in the foreground on a free loopback port in
// front of upstream and returns its base URL once it proxies /healthz.
func startHAProxy(t *testing.T, upstream string, noDelay bool) string {
	t.Helper()
	bin := testenv.RequireProgram(t, "haproxy", "/usr/sbin/haproxy")
	conf := filepath.Join(t.TempDir(), "haproxy.cfg")
	client := plainClient()
	port := startOnFreePort(t,
		func(port int) (*proc, error) {
			if err := os.WriteFile(conf, []byte(haproxyConfig(port, upstream, noDelay)), 0o644); err != nil {
				return nil, err
			}
			return startProc(t, bin, "-db", "-f", conf)
		},
		func(port int) error { return getOK(client, fmt.Sprintf("http://127.0.0.1:%d/healthz", port)) })
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// haproxySlack is how late a pagelet may arrive through HAProxy: tighter
// than the other transport tests, because what HAProxy does without
// http-no-delay is hold data back for up to 200 ms.
const haproxySlack = 100 * time.Millisecond

// lateMarkers lists the markers that arrived more than slack after their delay.
func lateMarkers(tm streamTiming, slack time.Duration) []string {
	var late []string
	for i, d := range benchDelays {
		if got := tm.Markers[i]; got < 0 || got >= d+slack {
			late = append(late, fmt.Sprintf("p%d at %v (ready at %v)", i, ms(got), d))
		}
	}
	return late
}

// TestHAProxyStreams reads /bench through a real HAProxy configured as the
// README recommends (option http-no-delay): every pagelet arrives at its
// own time, compressed or not. Without that option, the control case shows
// HAProxy 2.x holding the stream back, which is why the README asks for it.
func TestHAProxyStreams(t *testing.T) {
	client := plainClient()
	base := startServer(t, "http", client)
	for _, tc := range []struct {
		name     string
		noDelay  bool
		wantLate bool
	}{{"http-no-delay", true, false}, {"default (control)", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := startHAProxy(t, base, tc.noDelay)
			for _, enc := range []string{"identity", "gzip"} {
				if !tc.noDelay && enc == "gzip" {
					continue // the control needs one case
				}
				tm, err := measureStream(t.Context(), client, proxy+benchPath, enc, benchMarkers())
				if err != nil {
					t.Fatalf("%s: %v (so far: %s)", enc, err, tm)
				}
				late := lateMarkers(tm, haproxySlack)
				t.Logf("%s: %s", enc, tm)
				switch {
				case tc.wantLate && len(late) == 0:
					t.Errorf("%s: HAProxy without http-no-delay streamed the page on time: the control no longer shows why the option is needed", enc)
				case !tc.wantLate:
					checkStreamed(t, tm, enc)
					if len(late) > 0 {
						t.Errorf("%s: late through HAProxy: %s", enc, strings.Join(late, "; "))
					}
				}
			}
		})
	}
}
