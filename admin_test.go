package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fetch GETs url without following redirects and returns the response
// with its whole body.
func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp, string(b)
}

// waitMetrics polls url (a /metrics endpoint) until its text has every
// line of want, and returns the text; it fails t after 10 s. The renderer
// reports a page when its handler returns, which may be a moment after the
// client has read the last byte.
func waitMetrics(t *testing.T, url string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := fetch(t, url)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		missing := ""
		for _, line := range want {
			if !strings.Contains("\n"+body, "\n"+line+"\n") {
				missing = line
				break
			}
		}
		if missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no line %q in\n%s", url, missing, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetricsEndpoint checks /metrics on the main address: on by default,
// in the Prometheus text format, counting a page with its mode, status and
// outcome, next to the Go and process collectors; 404 with -metrics=false.
func TestMetricsEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"default", nil, http.StatusOK},
		{"off", []string{"-metrics=false"}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startRun(t, tc.args...).base
			if resp, body := fetch(t, base+"/bench?delays=0,5"); resp.StatusCode != 200 || !strings.HasSuffix(body, "</html>") {
				t.Fatalf("GET /bench: %d", resp.StatusCode)
			}
			resp, _ := fetch(t, base+"/metrics")
			if resp.StatusCode != tc.want {
				t.Fatalf("GET /metrics: %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want != http.StatusOK {
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want the text format", ct)
			}
			// Go-http-client counts as a crawler: the page went out in order.
			body := waitMetrics(t, base+"/metrics",
				`bigpipe_requests_total{mode="inorder",outcome="complete",status="200"} 1`,
				`bigpipe_pagelet_fetch_seconds_count{pagelet="p0"} 1`,
				`bigpipe_pagelet_fetch_seconds_count{pagelet="p1"} 1`,
				`bigpipe_skeleton_seconds_count{mode="inorder"} 1`,
				`bigpipe_pages_in_flight 0`,
			)
			for _, name := range []string{"# TYPE bigpipe_requests_total counter", "# TYPE bigpipe_page_duration_seconds histogram", "go_goroutines ", "process_resident_memory_bytes "} {
				if !strings.Contains(body, name) {
					t.Errorf("/metrics lacks %q", name)
				}
			}
		})
	}
}

// TestAdmin checks the -admin listener: pprof and metrics there, and
// pprof never on the main address, with or without -admin.
func TestAdmin(t *testing.T) {
	srv := startRun(t, "-admin", "127.0.0.1:0")
	if srv.admin == "" {
		t.Fatal("no admin address with -admin")
	}
	for _, tc := range []struct {
		url, contains string
		want          int
	}{
		{srv.admin + "/debug/pprof/", "goroutine", 200},
		{srv.admin + "/debug/pprof/goroutine?debug=1", "goroutine profile", 200},
		{srv.admin + "/debug/pprof/cmdline", "", 200},
		{srv.admin + "/metrics", "bigpipe_pages_in_flight", 200},
		{srv.admin + "/", "", 404},
		{srv.base + "/debug/pprof/", "", 404},
		{srv.base + "/debug/pprof/goroutine?debug=1", "", 404},
		{srv.base + "/debug/pprof/cmdline", "", 404},
	} {
		resp, body := fetch(t, tc.url)
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
		if !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.url, tc.contains)
		}
	}

	off := startRun(t)
	if off.admin != "" {
		t.Errorf("admin address %q without -admin", off.admin)
	}
	if resp, _ := fetch(t, off.base+"/debug/pprof/"); resp.StatusCode != 404 {
		t.Errorf("GET /debug/pprof/ without -admin: %d, want 404", resp.StatusCode)
	}
}

// TestAdminBreaking checks the editors' publishing endpoint: on the admin
// listener only, it stores the banner (the front page shows it, also to a
// reader without JavaScript) and publishes it on the live channel; bad
// input is a 400 that says why, and a cross-origin browser POST is refused.
func TestAdminBreaking(t *testing.T) {
	srv := startRun(t, "-admin", "127.0.0.1:0", "-live-sim=false")
	post := func(base string, form url.Values, header ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "POST", base+"/admin/breaking", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, home := fetch(t, srv.base+"/")
	slug := regexp.MustCompile(`href="/article/([a-z0-9-]+)"`).FindStringSubmatch(home)
	if slug == nil {
		t.Fatal("the front page links to no article")
	}

	for _, tc := range []struct {
		name    string
		form    url.Values
		header  []string
		want    int
		message string
	}{
		{"no headline", url.Values{}, nil, 400, "headline: missing or empty"},
		{"blank headline", url.Values{"headline": {" \t "}}, nil, 400, "headline: missing or empty"},
		{"too long", url.Values{"headline": {strings.Repeat("é", 201)}}, nil, 400, "201 characters; at most 200"},
		{"line break", url.Values{"headline": {"two\nlines"}}, nil, 400, "control character U+000A"},
		{"bidi override", url.Values{"headline": {"a\u202eb"}}, nil, 400, "control character U+202E"},
		{"bad UTF-8", url.Values{"headline": {"\xff"}}, nil, 400, "not valid UTF-8"},
		{"bad slug", url.Values{"headline": {"x"}, "slug": {"../etc"}}, nil, 400, "is not an article slug"},
		{"unknown slug", url.Values{"headline": {"x"}, "slug": {"no-such-story"}}, nil, 400, `no article "no-such-story"`},
		{"cross-origin browser", url.Values{"headline": {"forged"}}, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"published", url.Values{"headline": {"  Admin test headline <b>x</b> "}, "slug": {slug[1]}}, nil, 200, "published: Admin test headline <b>x</b>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(srv.admin, tc.form, tc.header...)
			if status != tc.want || !strings.Contains(body, tc.message) {
				t.Errorf("POST /admin/breaking %v: %d %q; want %d with %q", tc.form, status, body, tc.want, tc.message)
			}
		})
	}
	if status, _ := post(srv.base, url.Values{"headline": {"not here"}}); status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		t.Errorf("POST /admin/breaking on the main address: %d, want 404 or 405", status)
	}

	// Stored: the front page shows the last good headline, linked, escaped.
	_, home = fetch(t, srv.base+"/")
	if want := `href="/article/` + slug[1] + `"`; !strings.Contains(home, "Admin test headline &lt;b&gt;x&lt;/b&gt;") || !strings.Contains(home, want) {
		t.Errorf("the front page does not show the published headline linked to %s", slug[1])
	}
	if strings.Contains(home, "forged") || strings.Contains(home, "not here") {
		t.Error("a refused headline was stored")
	}
	// Published: one state publication on this instance.
	waitMetrics(t, srv.admin+"/metrics", `bigpipe_live_publications_total{kind="state"} 1`)
}
