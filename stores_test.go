package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

const crawlerUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

var (
	articleLink  = regexp.MustCompile(`href="/article/([a-z0-9-]+)"`)
	datetimeAttr = regexp.MustCompile(`datetime="([^"]+)"`)
	// weatherClock is the weather's local time, the moment the page was
	// rendered (to the second): two instances' pages differ there.
	weatherClock = regexp.MustCompile(`class="pl-weather__time" datetime="[^"]+"`)
	commentList  = regexp.MustCompile(`(?s)<ol class="pl-comments__list" data-live-items>.*?</ol>`)
	formField    = regexp.MustCompile(`<input type="hidden" name="(_token|_submission)" value="([^"]+)">`)
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
	frontA, frontB = weatherClock.ReplaceAllString(frontA, ""), weatherClock.ReplaceAllString(frontB, "")
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
		var v struct {
			Data map[string]any `json:"data"` // the comment: id, seq
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v.Data
	}
	id := form.Get("_submission")
	if status, v := post(a.base); status != http.StatusCreated || v["seq"] != 1.0 || v["id"] != id {
		t.Fatalf("post through A: %d %v, want 201 seq 1 id %s", status, v, id)
	}
	// The same comment again, through B (the cookie is per host, not port;
	// the shared secret makes A's form token good on B): stored already.
	if status, v := post(b.base); status != http.StatusOK || v["seq"] != 1.0 || v["id"] != id {
		t.Errorf("the same post through B: %d %v, want 200 seq 1 id %s", status, v, id)
	}

	listA := commentList.FindString(get(t, client, a.base, "/article/"+slug))
	listB := commentList.FindString(get(t, client, b.base, "/article/"+slug))
	if !strings.Contains(listA, `id="comment-`+id+`"`) || !strings.Contains(listA, "Seen from &lt;both&gt; sides.") {
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

// TestLogsLatency starts the command itself and reads its log up to the
// "serving" line: the effective latency setting is logged, normalised, "*"
// last, and "none" without -latency.
func TestLogsLatency(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"set", []string{"-latency", " *=10ms, finance=1.5s"}, `latency="finance=1.5s,*=10ms"`},
		{"none", nil, "latency=none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-db", filepath.Join(t.TempDir(), "news.db"), "-metrics=false"}, tc.args...)
			log := logUntil(t, []string{"BIGPIPE_LATENCY="}, args, func(line string) bool {
				return strings.Contains(line, "msg=serving")
			})
			found := false
			for _, line := range log {
				found = found || strings.Contains(line, "msg=\"emulated backend latency\"") && strings.Contains(line, tc.want)
			}
			if !found {
				t.Errorf("no latency line with %s before serving; log:\n%s", tc.want, strings.Join(log, "\n"))
			}
		})
	}
}

// TestSecondServerSameStore starts a server, then a second one on the same
// -db file: the second fails, saying the file is in use and what to do.
func TestSecondServerSameStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "news.db")
	startRun(t, "-db", db)
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db, "-log-level", "error"}, func(string, string) {
		t.Error("second server on the same store is serving")
	})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second server: %v, want ErrInUse", err)
	}
	for _, want := range []string{db, "in use by another process", "another bigpipe server", "stop that process", "-db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
