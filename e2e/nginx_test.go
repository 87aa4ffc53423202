package e2e_test

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/internal/wire"
)

//go:embed testdata/nginx.conf.tmpl
var nginxConfTmpl string

// nginxConfig is what varies between the nginx configurations under test.
type nginxConfig struct {
	// HTTP11 makes nginx talk HTTP/1.1 to the server with keep-alive
	// (proxy_http_version 1.1; proxy_set_header Connection ""), as most
	// published configurations do. Without it nginx uses its default,
	// HTTP/1.0 with a connection per request.
	HTTP11 bool
	// IgnoreAccel makes nginx ignore the server's X-Accel-Buffering header,
	// so its default proxy buffering applies: the control case.
	IgnoreAccel bool
}

// requireNginx returns the path of Debian's nginx, or skips the test (fails
// it when CI=true) if it is not installed. As a non-root user's PATH often
// lacks /usr/sbin, that is looked at too.
func requireNginx(t *testing.T) string {
	t.Helper()
	return testenv.RequireProgram(t, "nginx", "/usr/sbin/nginx")
}

// startNginx runs nginx in the foreground as a reverse proxy to upstream
// (a base URL such as http://127.0.0.1:8080), configured by cfg, on a free
// loopback port, and returns its base URL once it proxies /healthz.
func startNginx(t *testing.T, upstream string, cfg nginxConfig) string {
	t.Helper()
	bin := requireNginx(t)
	tmpl, err := template.New("nginx.conf").Option("missingkey=error").Parse(nginxConfTmpl)
	if err != nil {
		t.Fatalf("parse testdata/nginx.conf.tmpl: %v", err)
	}
	dir := t.TempDir()
	if strings.ContainsAny(dir, "\"\\;{} \t\n") {
		t.Fatalf("temporary directory %q cannot be written into an nginx configuration", dir)
	}
	conf := filepath.Join(dir, "nginx.conf")
	client := plainClient()
	port := startOnFreePort(t,
		func(port int) (*proc, error) {
			var b strings.Builder
			err := tmpl.Execute(&b, struct {
				nginxConfig
				Dir, Upstream string
				Port          int
			}{cfg, dir, upstream, port})
			if err != nil {
				return nil, fmt.Errorf("execute testdata/nginx.conf.tmpl: %w", err)
			}
			if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
				return nil, err
			}
			// -e stderr: before reading the configuration nginx would open
			// its compiled-in error log, which a non-root user cannot.
			return startProc(t, bin, "-p", dir+"/", "-e", "stderr", "-c", conf)
		},
		func(port int) error { return getOK(client, fmt.Sprintf("http://127.0.0.1:%d/healthz", port)) })
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// TestNginxStreams reads /bench through a real nginx left at its default
// proxy_buffering on: the server's X-Accel-Buffering: no header alone must
// make nginx pass every flush on, so the skeleton comes at once and each
// pagelet at about its own delay, compressed or not. Both the usual
// HTTP/1.1 keep-alive upstream and nginx's default HTTP/1.0 one are tried.
func TestNginxStreams(t *testing.T) {
	requireNginx(t)
	client := plainClient()
	base := startServer(t, "http", client)
	upstreams := []struct {
		name string
		cfg  nginxConfig
	}{
		{name: "upstream HTTP/1.1", cfg: nginxConfig{HTTP11: true}},
		{name: "upstream HTTP/1.0", cfg: nginxConfig{}},
	}
	for _, up := range upstreams {
		t.Run(up.name, func(t *testing.T) {
			proxy := startNginx(t, base, up.cfg)
			for _, enc := range []string{"identity", "gzip"} {
				t.Run(enc, func(t *testing.T) {
					tm, err := measureStream(t.Context(), client, proxy+benchPath, enc, benchMarkers())
					if err != nil {
						t.Errorf("%v (so far: %s)", err, tm)
					} else {
						checkStreamed(t, tm, enc)
					}
					if t.Failed() {
						explainNginxFailure(t, base, tm)
					}
				})
			}
		})
	}
}

// TestNginxBuffersWithoutHeader is the control of TestNginxStreams: with
// nginx told to ignore X-Accel-Buffering, its default buffering holds the
// pagelets back, and the same check must see it. This proves the streaming
// test can fail, and that it is the header that makes nginx stream.
func TestNginxBuffersWithoutHeader(t *testing.T) {
	requireNginx(t)
	client := plainClient()
	base := startServer(t, "http", client)
	proxy := startNginx(t, base, nginxConfig{IgnoreAccel: true})
	tm, err := measureStream(t.Context(), client, proxy+benchPath, "identity", benchMarkers())
	if err != nil {
		t.Fatalf("%v (so far: %s)", err, tm)
	}
	t.Logf("buffered by nginx: %s", tm)
	v := streamingViolations(tm)
	if len(v) == 0 {
		t.Fatalf("nginx ignoring X-Accel-Buffering still streamed the page (%s): the streaming check cannot tell buffering from streaming", tm)
	}
	t.Logf("the streaming check, as wanted, sees: %s", strings.Join(v, "; "))
}

// explainNginxFailure logs the likely cause of a failed read through nginx
// when the server sends 1xx responses (103 Early Hints) over HTTP/1.1:
// nginx before 1.29 takes an upstream 1xx for the final response, then
// forwards the rest of the upstream connection (the real response, status
// line and all) as its body, buffered, until the upstream closes it.
func explainNginxFailure(t *testing.T, upstream string, tm streamTiming) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := wire.Open(ctx, upstream+"/bench?delays=0&mode=pipelined", nil)
	if err != nil {
		t.Logf("could not ask the server directly: %v", err)
		return
	}
	defer s.Close()
	if len(s.Informational) == 0 && len(tm.Early) == 0 {
		return
	}
	t.Logf("likely cause: the server sends %v before its 200 over HTTP/1.1 (and the client saw %v through nginx). "+
		"nginx before 1.29 takes an upstream 1xx for the final response and forwards the real one as its body, "+
		"buffered, until the upstream closes the connection", statuses(s.Informational), statuses(tm.Early))
}
