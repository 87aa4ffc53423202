package artimg

import (
	"bytes"
	"image/png"
	"testing"
)

// TestSizesAndDeterminism: every width has its stated height, and the same
// inputs draw the same pixels.
func TestSizesAndDeterminism(t *testing.T) {
	for _, w := range Widths {
		a := Article("a-slug", "tech", "Technology", "A headline long enough to wrap onto a second line of the card", "The Daily Pipe", w)
		if b := a.Bounds(); b.Dx() != w || b.Dy() != HeightFor(w) {
			t.Errorf("width %d: %v, want %d×%d", w, b, w, HeightFor(w))
		}
		b := Article("a-slug", "tech", "Technology", "A headline long enough to wrap onto a second line of the card", "The Daily Pipe", w)
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("width %d: two draws differ", w)
		}
	}
	if HeightFor(1200) != 630 || HeightFor(600) != 315 || HeightFor(300) != 158 {
		t.Errorf("heights %d %d %d", HeightFor(1200), HeightFor(600), HeightFor(300))
	}
	// Different slugs get different patterns.
	x, y := Article("one", "tech", "T", "Same", "", 300), Article("two", "tech", "T", "Same", "", 300)
	if bytes.Equal(x.Pix, y.Pix) {
		t.Error("two slugs drew the same picture")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, Logo("DP", 64)); err != nil {
		t.Fatal(err)
	}
}
