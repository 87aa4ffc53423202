package page

import (
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// Mode is one way of serving the benchmark page. The first four are
// /bench?mode=…; Crawler is the page as a search-engine crawler gets it
// (Googlebot's User-Agent and no mode parameter: the renderer's own
// detection picks the in-order plain-HTML fallback).
type Mode string

// The modes, in the order reports list them.
const (
	Serial    Mode = "serial"
	InOrder   Mode = "inorder"
	Pipelined Mode = "pipelined"
	Native    Mode = "native" // pipelined, patched in by the browser's parser (<template for>)
	Crawler   Mode = "crawler"
)

// Modes lists every mode.
var Modes = []Mode{Serial, InOrder, Pipelined, Native, Crawler}

// GooglebotUA is the User-Agent the Crawler mode sends; ChromeUA the one
// every other request sends (a normal desktop Chrome, so the server does not
// take the benchmark for a crawler).
const (
	GooglebotUA = measure.GooglebotUA
	ChromeUA    = headless.ChromeUA
)

// Scenario is one delay list: pagelet pI of /bench becomes ready after
// Delays[i] and then shows the text PAGELET-pI-READY.
type Scenario struct {
	Name   string          `json:"name"`
	Delays []time.Duration `json:"delays"`
}

// WireRun is one request measured on the wire by a client that timestamps
// bytes as they arrive. Times are since the request was sent.
type WireRun struct {
	TTFB    time.Duration   `json:"ttfb"`    // first byte of the final response
	Markers []time.Duration `json:"markers"` // when PAGELET-pI-READY had fully arrived, by i
	Last    time.Duration   `json:"last"`    // last body byte
	Bytes   int             `json:"bytes"`   // body bytes
	Chunks  int             `json:"chunks"`  // reads that delivered body bytes
}

// BrowserRun is one page load in headless Chromium. Times are since
// navigation start.
type BrowserRun struct {
	RequestStart time.Duration   `json:"request_start"` // the document request sent (Navigation Timing)
	FCP          time.Duration   `json:"fcp"`           // First Contentful Paint
	LCP          time.Duration   `json:"lcp"`           // Largest Contentful Paint
	Visible      []time.Duration `json:"visible"`       // when PAGELET-pI-READY became visible on screen, by i
}

// LoadResult is whole pages served at a fixed concurrency for one mode.
type LoadResult struct {
	Mode        Mode          `json:"mode"`
	Concurrency int           `json:"concurrency"`
	Requests    int           `json:"requests"`
	Errors      int           `json:"errors"`
	Duration    time.Duration `json:"duration"`
	RPS         float64       `json:"rps"`
	P50         time.Duration `json:"p50"`
	P99         time.Duration `json:"p99"`
}

// CapacityResult is how many in-flight pipelined pages (each held open by
// a slow pagelet) the server held at once, and what each cost it.
type CapacityResult struct {
	Conns       int     `json:"conns"`         // connections attempted
	Held        int     `json:"held"`          // pages whose skeleton arrived while all were open
	Completed   int     `json:"completed"`     // pages that then completed
	Errors      int     `json:"errors"`        // connections that failed
	BaseRSS     uint64  `json:"base_rss"`      // server RSS before, bytes
	PeakRSS     uint64  `json:"peak_rss"`      // server RSS with all pages in flight
	BaseHeap    uint64  `json:"base_heap"`     // server heap in use before
	PeakHeap    uint64  `json:"peak_heap"`     // server heap in use with all pages in flight
	RSSPerPage  float64 `json:"rss_per_page"`  // (PeakRSS-BaseRSS)/Held
	HeapPerPage float64 `json:"heap_per_page"` // (PeakHeap-BaseHeap)/Held
	Goroutines  int     `json:"goroutines"`    // server goroutines with all pages in flight
}
