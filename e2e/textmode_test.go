package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestTextModeBrowsers runs the real w3m and lynx, with their own
// User-Agents, against BigPipe pages. They run no JavaScript and ignore the
// <noscript> refresh, so the server must recognise them and send plain HTML:
// every pagelet's text must be in the dump.
func TestTextModeBrowsers(t *testing.T) {
	srv := newServer(t)

	// The front page's text: the first headline of each pagelet, as the
	// plain page has it.
	headlines := plainHeadlines(t, srv.URL+"/?nojs=1")
	if len(headlines) != len(homePagelets) {
		t.Fatalf("plain front page has headlines for %d pagelets (%v), want %d", len(headlines), headlines, len(homePagelets))
	}
	pages := []struct {
		name, path string
		want       map[string]string // what -> text the dump must contain
	}{
		{name: "home", path: "/", want: headlines},
		{name: "bench", path: "/bench?delays=10,20,30", want: map[string]string{
			"p0": "PAGELET-p0-READY", "p1": "PAGELET-p1-READY", "p2": "PAGELET-p2-READY",
		}},
	}
	browsers := []struct {
		name string
		args func(url string) []string
	}{
		{"w3m", func(u string) []string { return []string{"-dump", "-cols", "400", "-O", "UTF-8", u} }},
		{"lynx", func(u string) []string {
			return []string{"-dump", "-width=400", "-nolist", "-display_charset=UTF-8", u}
		}},
	}
	for _, b := range browsers {
		t.Run(b.name, func(t *testing.T) {
			path := testenv.RequireProgram(t, b.name)
			home := t.TempDir() // no user configuration, no cookie jar
			for _, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
					defer cancel()
					cmd := exec.CommandContext(ctx, path, b.args(srv.URL+p.path)...)
					cmd.Env = append(os.Environ(), "HOME="+home, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TERM=dumb")
					out, err := cmd.Output()
					if err != nil {
						t.Fatalf("%s: %v\n%s", cmd, err, out)
					}
					for what, text := range p.want {
						if !containsNormalized(string(out), text) {
							t.Errorf("%s dump of %s lacks %s text %q", b.name, p.path, what, text)
						}
					}
					if t.Failed() {
						t.Logf("dump:\n%s", out)
					}
				})
			}
		})
	}
}
