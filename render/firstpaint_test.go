package render_test

import (
	"strings"
	"testing"
)

// TestFirstPaintExpect: a BigPipe skeleton asks the browser not to render
// before the end of its own write (<link rel=expect blocking=render> in
// <head>, for the element that follows the payloads of the pagelets ready
// by then), so those pagelets are in the first frame; plain pages have
// neither.
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
		})
	}
}
