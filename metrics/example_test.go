package metrics_test

import (
	"bufio"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/metrics"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Example counts the pages of a renderer and serves the counts at /metrics.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		log.Fatal(err)
	}
	// The site's own files (none here): the BigPipe runtime is built in.
	files, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	rd, err := render.New(files, render.WithObserver(m), render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:    "Hello",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("hello") },
			Pagelets: []pagelet.Pagelet{{ID: "hello", Load: pagelet.Static(templ.Raw("<p>Hello</p>"))}},
		}, nil
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36")
	mux.ServeHTTP(httptest.NewRecorder(), req)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
		if line := sc.Text(); strings.HasPrefix(line, "bigpipe_requests_total") || strings.HasPrefix(line, "bigpipe_pagelet_fetch_seconds_count") {
			fmt.Println(line)
		}
	}
	// Output:
	// bigpipe_pagelet_fetch_seconds_count{pagelet="hello"} 1
	// bigpipe_requests_total{mode="pipelined",outcome="complete",status="200"} 1
}
