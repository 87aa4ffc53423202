package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFormKey: with -live-secret the forms' key derives from it; on
// PostgreSQL without one, from the process's random secret; on a file
// store without one, it is made once beside the store and kept.
func TestFormKey(t *testing.T) {
	secret := []byte("live secret")
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "news.db")
	first, err := formKey(config{db: db}, secret)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "sub", formKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s: mode %v, want 0600", formKeyFile, perm)
	}
	cases := []struct {
		name string
		cfg  config
		want []byte
	}{
		{"file store, kept", config{db: db}, first},
		{"file store, another process secret", config{db: db}, first},
		{"-live-secret", config{db: db, liveSecret: "live secret"}, siteKey(secret)},
		{"postgres, no secret", config{db: "postgres://u@127.0.0.1/news"}, siteKey(secret)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := secret
			if tc.name == "file store, another process secret" {
				s = []byte("a restart's random secret")
			}
			got, err := formKey(tc.cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("key %x, want %x", got, tc.want)
			}
		})
	}
	if bytes.Equal(first, siteKey(secret)) {
		t.Error("the kept key is the secret's")
	}
	t.Run("damaged", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "news.db")
		if err := os.WriteFile(filepath.Join(filepath.Dir(bad), formKeyFile), []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := formKey(config{db: bad}, secret); err == nil || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("a damaged key file: %v, want an error saying to remove it", err)
		}
	})
}

// TestFormAfterRestart: a comment form opened before a restart without
// -live-secret is accepted after it (it was refused with 403 when the
// forms' key was the process's random secret's).
func TestFormAfterRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "news.db")
	first := startRun(t, "-db", db, "-live-sim=false")
	slug, cookie, token := openCommentForm(t, first.base)
	first.stop()
	if err := <-first.done; err != nil {
		t.Fatal(err)
	}
	second := startRun(t, "-db", db, "-live-sim=false")
	form := url.Values{"_token": {token}, "_submission": {"restart-1"}, "name": {"Reader"}, "text": {"Posted after a restart."}}
	req, _ := http.NewRequest("POST", second.base+"/article/"+slug+"/comments", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cookie", "dp_client="+cookie)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment with a form from before the restart: %s %s", resp.Status, body)
	}
}

// tokenField is a form's CSRF token (articleLink: stores_test.go).
var tokenField = regexp.MustCompile(`name="_token" value="([^"]+)"`)

// openCommentForm reads an article's comment form from base as a reader's
// browser would: the article's slug, the client cookie and the form's
// token.
func openCommentForm(t *testing.T, base string) (slug, cookie, token string) {
	t.Helper()
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, body
	}
	_, front := get("/?nojs=1")
	m := articleLink.FindSubmatch(front)
	if m == nil {
		t.Fatal("no article link on the front page")
	}
	slug = string(m[1])
	resp, page := get("/article/" + slug + "?nojs=1")
	f := tokenField.FindSubmatch(page)
	for _, c := range resp.Cookies() {
		if c.Name == "dp_client" {
			cookie = c.Value
		}
	}
	if f == nil || cookie == "" {
		t.Fatalf("/article/%s: no comment form (token %v, cookie %q)", slug, f != nil, cookie)
	}
	return slug, cookie, string(f[1])
}
