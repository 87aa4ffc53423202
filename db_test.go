package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

const crawlerUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

var (
	articleLink  = regexp.MustCompile(`href="/article/([a-z0-9-]+)"`)
	datetimeAttr = regexp.MustCompile(`datetime="([^"]+)"`)
	commentList  = regexp.MustCompile(`(?s)<ol class="pl-comments__list" data-live-items>.*?</ol>`)
	formField    = regexp.MustCompile(`<input type="hidden" name="(csrf|id)" value="([^"]+)">`)
)

// get fetches base+path as a crawler (the in-order page, no script) with
// client and returns the body, failing t unless it is 200.
func get(t *testing.T, client *http.Client, base, path string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
	req.Header.Set("User-Agent", crawlerUA)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s%s: %d, %v", base, path, resp.StatusCode, err)
	}
	return string(b)
}

// TestPostgresDB runs two servers on one PostgreSQL database (-db
// postgres://…), started a moment apart: both show the same front page
// (articles and their dates), a comment posted through one is stored there
// once, and both render it the same; posting it again through the other
// stores nothing more.
func TestPostgresDB(t *testing.T) {
	c := pgtest.Start(t)
	db := c.Database(t, "news")
	a := startRun(t, "-db", db, "-live-secret", "shared", "-live-sim=false")
	b := startRun(t, "-db", db, "-live-secret", "shared", "-live-sim=false")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	frontA, frontB := get(t, client, a.base, "/"), get(t, client, b.base, "/")
	for _, re := range []*regexp.Regexp{articleLink, datetimeAttr} {
		ga, gb := re.FindAllString(frontA, -1), re.FindAllString(frontB, -1)
		if len(ga) == 0 || !slices.Equal(ga, gb) {
			t.Errorf("front pages differ in %s:\nA %v\nB %v", re, ga, gb)
		}
	}
	slug := articleLink.FindStringSubmatch(frontA)[1]

	form := url.Values{"name": {"Ada"}, "text": {"Seen from <both> sides."}}
	for _, m := range formField.FindAllStringSubmatch(get(t, client, a.base, "/article/"+slug), -1) {
		form.Set(m[1], m[2])
	}
	post := func(base string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/article/"+slug+"/comments", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if status, v := post(a.base); status != http.StatusCreated || v["seq"] != 1.0 {
		t.Fatalf("post through A: %d %v, want 201 seq 1", status, v)
	}
	// The same comment again, through B (the cookie is per host, not port;
	// the shared secret makes A's form token good on B): stored already.
	if status, v := post(b.base); status != http.StatusOK || v["seq"] != 1.0 || v["id"] != form.Get("id") {
		t.Errorf("the same post through B: %d %v, want 200 seq 1", status, v)
	}

	listA := commentList.FindString(get(t, client, a.base, "/article/"+slug))
	listB := commentList.FindString(get(t, client, b.base, "/article/"+slug))
	if !strings.Contains(listA, `id="comment-`+form.Get("id")+`"`) || !strings.Contains(listA, "Seen from &lt;both&gt; sides.") {
		t.Errorf("A's comments do not show the comment:\n%s", listA)
	}
	if listA != listB {
		t.Errorf("A and B render the comments differently:\nA %s\nB %s", listA, listB)
	}

	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM comments WHERE slug = $1", slug).Scan(&n); err != nil || n != 1 {
		t.Errorf("comments stored in PostgreSQL: %d, %v; want 1", n, err)
	}
}

// TestPostgresBadDB: a -db URL that does not parse, or names a database
// nobody serves, stops the server at start within the connect timeout,
// saying which -db (without its password) and why.
func TestPostgresBadDB(t *testing.T) {
	for _, tc := range []struct{ db, want string }{
		{"postgres://bigpipe:hunter2@127.0.0.1:1/news?sslmode=disable", "-db postgres://bigpipe:xxxxx@127.0.0.1:1/news?sslmode=disable: pgstore: connect to bigpipe@127.0.0.1:1/news"},
		{"postgresql://bigpipe:hunter2@127.0.0.1:notaport/news", "cannot parse"},
	} {
		began := time.Now()
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", tc.db, "-log-level", "error"}, func(string, string) {
			t.Errorf("serving on %s", tc.db)
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("-db %s: %v; want an error saying %q, without the password", tc.db, err, tc.want)
		}
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("-db %s failed after %s", tc.db, took)
		}
	}
}

// serverProcess is the server run as a process of its own (the test binary
// as the command), its log read line by line.
type serverProcess struct {
	cmd   *exec.Cmd
	lines chan string // closed at the end of its log
}

// startProcess runs the server with args as a process and returns at
// once; it is killed when t ends.
func startProcess(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "BIGPIPE_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads this far
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range p.lines {
		}
		_ = cmd.Wait()
	})
	return p
}

// until returns the first log line containing want, failing t after d.
func (p *serverProcess) until(t *testing.T, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("server exited before logging %q", want)
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("server did not log %q within %s", want, d)
		}
	}
}

// TestPostgresSimLeads runs two server processes with the simulator on one
// database: the first leads and runs it, the second waits; killed -9, the
// first's session ends and the second takes the lead within seconds and
// moves the markets.
func TestPostgresSimLeads(t *testing.T) {
	c := pgtest.Start(t)
	db := c.Database(t, "news")
	first := startProcess(t, "-db", db)
	first.until(t, "took the lead", 15*time.Second)
	second := startProcess(t, "-db", db)
	second.until(t, "waiting to lead", 15*time.Second)

	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bigpipe lead'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lead connections, want both servers contending", n)
		}
	}

	killed := time.Now()
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	second.until(t, "took the lead", 10*time.Second)
	t.Logf("the second server took the lead %s after the first was killed", time.Since(killed).Round(time.Millisecond))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var updated time.Time
		err := conn.QueryRow(t.Context(), `SELECT updated_at FROM docs WHERE key = 'markets'`).Scan(&updated)
		if err == nil && updated.After(killed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("markets not moved since the first server was killed (updated %v, %v)", updated, err)
		}
	}
}
