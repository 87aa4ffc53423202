//go:build !race

// Drawing every picture under the race detector costs a minute of CPU:
// make test runs this test without it (the Makefile's unit target).

package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestImagesUpToDate draws every picture again and compares it with what
// static/img holds: a change to the drawing (or to the store's articles)
// without `go generate ./static` fails here, not in a reader's browser.
func TestImagesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("draws every picture")
	}
	out := t.TempDir()
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "..", "..", "static", "img")
	seen := map[string]bool{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		seen[rel] = true
		want, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil {
			t.Errorf("%s: drawn, not committed (run go generate ./static): %v", rel, err)
			return nil
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed picture (run go generate ./static)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(committed, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(committed, p); !seen[rel] {
			t.Errorf("%s: committed, no longer drawn (run go generate ./static)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
