package render_test

import (
	"strings"
	"testing"
	"time"
)

// TestFirstPaintExpect: a BigPipe skeleton asks the browser not to render
// before the end of its own write (<link rel=expect blocking=render> in
// <head>, for the element that follows the payloads of the pagelets ready
// by then), so those pagelets are in the first frame; plain pages have
// neither. The runtime comes before the stylesheets, so that the parser
// does not wait for them there.
func TestFirstPaintExpect(t *testing.T) {
	srv := serve(t, preloadPage)
	const (
		link   = `<link rel="expect" href="#bigpipe-first-paint" blocking="render">`
		target = `<template id="bigpipe-first-paint"></template>`
	)
	for _, tc := range []struct {
		name, ua string
		want     int // times each appears
	}{
		{"pipelined", chromeUA, 1},
		{"plain HTML", googlebotUA, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := string(get(t, srv.URL, tc.ua).Body())
			h := head(body)
			if got := strings.Count(h, link); got != tc.want {
				t.Errorf("<head> has the expect link %d times, want %d:\n%s", got, tc.want, h)
			}
			if got := strings.Count(body, target); got != tc.want {
				t.Fatalf("first-paint target %d times, want %d:\n%s", got, tc.want, body)
			}
			if tc.want == 0 {
				return
			}
			if strings.Index(body, target) < strings.Index(body, "bigPipe.setup(") {
				t.Errorf("the first-paint target comes before the resource map: it must end the skeleton's write:\n%s", body)
			}
			if strings.Index(h, link) > strings.Index(h, "<script") {
				t.Errorf("the expect link comes after the runtime; it must come before anything that could render:\n%s", h)
			}
			// A script after a pending stylesheet holds the parser until
			// the stylesheet is in: the runtime must not wait for the CSS.
			if sheet := strings.Index(h, `<link rel="stylesheet"`); sheet < 0 || strings.Index(h, "<script") > sheet {
				t.Errorf("the runtime comes after a stylesheet (or there is none to test with): it must come before them:\n%s", h)
			}
		})
	}
}

// TestFirstPaintHold: the first-paint marker waits, for a few
// milliseconds at most, for pagelets still being fetched when the
// skeleton is written: one done a millisecond later is in the first frame
// too, one that is slow is not waited for.
func TestFirstPaintHold(t *testing.T) {
	const target = `<template id="bigpipe-first-paint"></template>`
	for _, tc := range []struct {
		name   string
		second time.Duration
		before bool // the marker comes before the second pagelet's payload
	}{
		{"quick", time.Millisecond, false},
		{"slow", 300 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := servePage(t, pageOf(delayed("a", 0), delayed("b", tc.second)))
			body := string(get(t, srv.URL, chromeUA).Body())
			if n := strings.Count(body, target); n != 1 {
				t.Fatalf("first-paint marker %d times, want 1:\n%s", n, body)
			}
			at, b := strings.Index(body, target), strings.Index(body, `onPageletArrive({"id":"b"`)
			if b < 0 {
				t.Fatalf("no payload for b:\n%s", body)
			}
			if got := at < b; got != tc.before {
				t.Errorf("marker before b's payload: %v, want %v:\n%s", got, tc.before, body)
			}
		})
	}
}
