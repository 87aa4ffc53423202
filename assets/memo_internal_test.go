package assets

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// TestCompressedShared builds two registries from the same file: the second
// takes the first's compressed variants from the process's memo (the same
// bytes, not a second compression), and they decompress to the body.
func TestCompressedShared(t *testing.T) {
	body := bytes.Repeat([]byte("/* TestCompressedShared */ .a { color: red } "), 200)
	fsys := fstest.MapFS{"memo.css": {Data: body}}
	var got [2]*Asset
	for i := range got {
		r, err := New(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if got[i], ok = r.Lookup("memo.css"); !ok {
			t.Fatal("memo.css missing")
		}
	}
	a, b := got[0], got[1]
	if len(a.Gzip) == 0 || len(a.Brotli) == 0 {
		t.Fatalf("gzip %d B, brotli %d B; want both", len(a.Gzip), len(a.Brotli))
	}
	if &a.Gzip[0] != &b.Gzip[0] || &a.Brotli[0] != &b.Brotli[0] {
		t.Error("the second registry compressed again; want the first's variants")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{"gzip": zr, "brotli": brotli.NewReader(bytes.NewReader(b.Brotli))} {
		if plain, err := io.ReadAll(r); err != nil || !bytes.Equal(plain, b.Body) {
			t.Errorf("%s variant decompresses to %d B (%v); want the %d B body", name, len(plain), err, len(b.Body))
		}
	}
}

// TestMemoLimit: the memo keeps variants up to memoLimit bytes and then
// adds nothing, and never counts one body twice.
func TestMemoLimit(t *testing.T) {
	c := &memo{m: make(map[[sha256.Size]byte]variants)}
	half := variants{gz: make([]byte, memoLimit/4), br: make([]byte, memoLimit/4)}
	for i, tc := range []struct {
		sum  byte
		kept bool
		size int
	}{
		{1, true, memoLimit / 2},
		{1, true, memoLimit / 2}, // again: counted once
		{2, true, memoLimit},
		{3, false, memoLimit}, // would pass the limit
	} {
		c.put([sha256.Size]byte{tc.sum}, half)
		if _, ok := c.get([sha256.Size]byte{tc.sum}); ok != tc.kept || c.size != tc.size {
			t.Errorf("put %d: kept %v, size %d; want %v, %d", i, ok, c.size, tc.kept, tc.size)
		}
	}
}
