package render_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// goldenPage exercises every part of the document: page CSS and JS,
// pagelet CSS and JS shared between pagelets, placeholders, hostile ids
// and resource names, and a failing pagelet.
func goldenPage(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
	fail := func(context.Context) (templ.Component, error) { return nil, io.ErrUnexpectedEOF }
	return &pagelet.Page{
		Title:  `Golden </title><script>alert(1)</script>`,
		Lang:   "en-GB",
		CSS:    []string{"site.css"},
		JS:     []string{"page.js"},
		Layout: listLayout("first", `</script><!--"x`, "broken"),
		Pagelets: []pagelet.Pagelet{
			{ID: "first", Load: pagelet.Static(text("<first> & \u2028")), CSS: []string{"a.css", "shared.css"}, JS: []string{"a.js"}, Placeholder: text("…")},
			{ID: `</script><!--"x`, Load: pagelet.Static(text("</script><script>alert(2)</script>")), CSS: []string{"shared.css", `<x>".css`}},
			{ID: "broken", Load: fail},
		},
	}, nil
}

// TestGolden compares whole documents in every mode with testdata. Run
// go test ./render -run Golden -update after an intended change.
//
// The pipelined document is taken twice: with every pagelet done before
// the skeleton's head is written (the layout waits for them, inside a
// synctest bubble), so that the skeleton places them all in their slots;
// and with [render.WithPayloadsOnly], every pagelet as a payload.
func TestGolden(t *testing.T) {
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithRuntime("bigpipe.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mode render.Mode
		opts []render.PageOption
	}{
		{"pipelined", render.Pipelined, nil},
		{"pipelined-payloads", render.Pipelined, []render.PageOption{render.WithPayloadsOnly(true)}},
		{"inorder", render.InOrder, nil},
		{"serial", render.Serial, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mode := tc.mode
			opts := append([]render.PageOption{render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil })}, tc.opts...)
			h := rd.Page(settledGoldenPage, opts...)
			rec := httptest.NewRecorder()
			synctest.Test(t, func(*testing.T) {
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/golden?x=<y>", nil))
			})
			// Pagelets ready together share one script element; which ones
			// do depends on timing, so the golden has one per payload.
			got := bytes.ReplaceAll(rec.Body.Bytes(), []byte("});bigPipe.onPageletArrive("), []byte("})</script>\n<script>bigPipe.onPageletArrive("))
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if mode == render.Pipelined {
				got, want = sortPayloads(got), sortPayloads(want)
			}
			if string(got) != string(want) {
				t.Errorf("document differs from %s (run with -update if intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// settledGoldenPage is goldenPage, settled (see settled).
func settledGoldenPage(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	page, err := goldenPage(w, r)
	if err != nil {
		return nil, err
	}
	return settled(page), nil
}

// firstPaintMarker ends the skeleton's write, after the payloads ready by
// then; stylesheets travel inline with the first payload that needs them.
// Both depend on completion order, as the payload order does.
var (
	firstPaintMarker = `<template id="bigpipe-first-paint"></template>`
	stylePairRE      = regexp.MustCompile(`"[^"]*":"(?:[^"\\]|\\.)*"`)
	stylesRE         = regexp.MustCompile(`,"styles":\{(?:"[^"]*":"(?:[^"\\]|\\.)*",?)*\}`)
)

// sortPayloads orders the payload lines of a pipelined document, which
// arrive in completion order, and takes out what depends on that order:
// the first-paint marker (moved to the end) and where each inline
// stylesheet rides (the styles are gathered, sorted, after the payloads).
func sortPayloads(doc []byte) []byte {
	s := string(doc)
	marker := strings.Count(s, firstPaintMarker)
	s = strings.ReplaceAll(s, firstPaintMarker, "")
	var styles []string // each inline stylesheet, whichever payload carried it
	for _, obj := range stylesRE.FindAllString(s, -1) {
		styles = append(styles, stylePairRE.FindAllString(obj, -1)...)
	}
	s = stylesRE.ReplaceAllString(s, "")
	sort.Strings(styles)
	s += fmt.Sprintf("\n[first-paint markers: %d]\n[styles: %s]\n", marker, strings.Join(styles, " "))
	lines := strings.SplitAfter(s, "\n")
	var head, payloads, tail []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "<script>bigPipe.onPageletArrive("):
			payloads = append(payloads, l)
		case len(payloads) == 0:
			head = append(head, l)
		default:
			tail = append(tail, l)
		}
	}
	sort.Strings(payloads)
	return []byte(strings.Join(slices.Concat(head, payloads, tail), ""))
}
