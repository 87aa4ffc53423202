// Package artimg draws the demo site's images: one lead picture per
// article (its section's colour, a pattern drawn from its slug and its
// headline in Go Bold), one per section, the site's own card and the
// publisher logo. The design is a pure function of its inputs, so the same
// article always gets the same picture. The images are made once, at build
// time, by go generate in static/ (cmd/genimages), and served from the
// asset registry like every other file of the site.
package artimg

import (
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Card sizes: the 1.91:1 preview size that Open Graph, X and the search
// engines ask for, and two smaller ones for the page (srcset).
const (
	Width, Height = 1200, 630
)

// Widths are the widths each article's picture is made in, largest first;
// [HeightFor] gives each one's height.
var Widths = []int{1200, 600, 300}

// HeightFor is the height of the picture width w wide: 1200×630 scaled,
// rounded to the nearest pixel.
func HeightFor(w int) int { return (w*Height + Width/2) / Width }

// Palette is each section's colour (dark enough for white text).
var Palette = map[string]color.RGBA{
	"hotnews": {0x9e, 0x1b, 0x22, 0xff}, // the brand red
	"society": {0x2e, 0x5e, 0x4e, 0xff}, // green
	"finance": {0x1d, 0x3f, 0x6e, 0xff}, // navy
	"tech":    {0x4a, 0x2f, 0x7a, 0xff}, // violet
	"sports":  {0x8a, 0x4b, 0x0f, 0xff}, // amber brown
}

// brand is the site's own colour, the one sections fall back to.
var brand = color.RGBA{0xb3, 0x12, 0x1b, 0xff}

func colourOf(section string) color.RGBA {
	if c, ok := Palette[section]; ok {
		return c
	}
	return brand
}

var (
	fontsOnce   sync.Once
	bold, plain *opentype.Font
)

func fonts() (*opentype.Font, *opentype.Font) {
	fontsOnce.Do(func() {
		var err error
		if bold, err = opentype.Parse(gobold.TTF); err != nil {
			panic(err) // the embedded font always parses
		}
		if plain, err = opentype.Parse(goregular.TTF); err != nil {
			panic(err)
		}
	})
	return bold, plain
}

func face(f *opentype.Font, size float64) font.Face {
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(err) // only for a nonsensical size
	}
	return fc
}

// Article draws an article's picture w pixels wide (height [HeightFor]):
// the section's colour shading to a darker tone, a pattern of translucent
// discs placed by the slug, the section's name above the headline and the
// site's name in the corner.
func Article(slug, section, sectionTitle, title, site string, w int) *image.RGBA {
	return card(seed(slug), colourOf(section), strings.ToUpper(sectionTitle), title, site, w)
}

// Section draws a section's picture w pixels wide.
func Section(section, sectionTitle, tagline, site string, w int) *image.RGBA {
	return card(seed("section:"+section), colourOf(section), strings.ToUpper(site), sectionTitle+": "+tagline, "", w)
}

// Site draws the site's own picture w pixels wide, for the front page.
func Site(site, tagline string, w int) *image.RGBA {
	return card(seed("site"), brand, strings.ToUpper(tagline), site, "", w)
}

func seed(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// card is the common design.
func card(sd uint64, base color.RGBA, kicker, title, corner string, w int) *image.RGBA {
	h := HeightFor(w)
	k := float64(w) / Width // scale from the 1200 px design
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	dark := shade(base, 0.55)
	// A diagonal gradient from the colour to its dark tone.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := (float64(x)/float64(w) + float64(y)/float64(h)) / 2
			img.SetRGBA(x, y, mix(base, dark, t))
		}
	}
	// Three translucent discs, placed and sized by the seed.
	r := sd
	next := func() float64 { // xorshift: deterministic, dependency-free
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		return float64(r%10000) / 10000
	}
	for i := 0; i < 3; i++ {
		cx := (0.45 + 0.6*next()) * float64(w)
		cy := next() * float64(h)
		rad := (0.18 + 0.3*next()) * float64(h)
		alpha := 0.07 + 0.06*next()
		disc(img, cx, cy, rad, color.RGBA{0xff, 0xff, 0xff, 0xff}, alpha)
	}
	// A rule above the kicker, in white.
	margin := int(64 * k)
	draw.Draw(img, image.Rect(margin, int(72*k), margin+int(96*k), int(72*k)+max(1, int(6*k))), image.NewUniform(color.White), image.Point{}, draw.Src)
	b, p := fonts()
	white := image.NewUniform(color.White)
	soft := image.NewUniform(color.NRGBA{0xff, 0xff, 0xff, 0xd0})
	if kicker != "" {
		fc := face(b, 26*k)
		d := font.Drawer{Dst: img, Src: soft, Face: fc, Dot: fixed.P(margin, int(120*k))}
		d.DrawString(kicker)
		_ = fc.Close()
	}
	// The headline: as large as fits in at most four lines.
	maxW := fixed.I(w - 2*margin)
	for _, size := range []float64{64, 56, 48, 42, 36} {
		fc := face(b, size*k)
		lines := wrap(fc, title, maxW)
		if len(lines) <= 4 || size == 36 {
			if len(lines) > 4 {
				lines = lines[:4]
				lines[3] += "…"
			}
			lh := int(size * 1.18 * k)
			y := h - int(96*k) - (len(lines)-1)*lh
			for _, l := range lines {
				d := font.Drawer{Dst: img, Src: white, Face: fc, Dot: fixed.P(margin, y)}
				d.DrawString(l)
				y += lh
			}
			_ = fc.Close()
			break
		}
		_ = fc.Close()
	}
	if corner != "" {
		fc := face(p, 22*k)
		adv := font.MeasureString(fc, corner)
		d := font.Drawer{Dst: img, Src: soft, Face: fc, Dot: fixed.Point26_6{X: fixed.I(w-margin) - adv, Y: fixed.I(int(120 * k))}}
		d.DrawString(corner)
		_ = fc.Close()
	}
	return img
}

// wrap splits s into lines no wider than maxW in face fc.
func wrap(fc font.Face, s string, maxW fixed.Int26_6) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if line != "" && font.MeasureString(fc, try) > maxW {
			lines = append(lines, line)
			line = word
			continue
		}
		line = try
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// Logo draws the publisher logo, size×size: the site's initials in white on
// the brand red.
func Logo(initials string, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.NewUniform(brand), image.Point{}, draw.Src)
	b, _ := fonts()
	fc := face(b, float64(size)*0.42)
	adv := font.MeasureString(fc, initials)
	m := fc.Metrics()
	y := (fixed.I(size) + m.CapHeight) / 2
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: fc, Dot: fixed.Point26_6{X: (fixed.I(size) - adv) / 2, Y: y}}
	d.DrawString(initials)
	_ = fc.Close()
	return img
}

func shade(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), 0xff}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 0xff}
}

// disc blends a filled circle of colour c at opacity alpha into img, with
// a one-pixel soft edge.
func disc(img *image.RGBA, cx, cy, rad float64, c color.RGBA, alpha float64) {
	bnd := img.Bounds()
	x0, x1 := max(bnd.Min.X, int(cx-rad-1)), min(bnd.Max.X, int(cx+rad+2))
	y0, y1 := max(bnd.Min.Y, int(cy-rad-1)), min(bnd.Max.Y, int(cy+rad+2))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			cov := math.Max(0, math.Min(1, rad-d+0.5))
			if cov == 0 {
				continue
			}
			a := alpha * cov
			o := img.RGBAAt(x, y)
			bl := func(p, q uint8) uint8 { return uint8(math.Round(float64(p)*(1-a) + float64(q)*a)) }
			img.SetRGBA(x, y, color.RGBA{bl(o.R, c.R), bl(o.G, c.G), bl(o.B, c.B), 0xff})
		}
	}
}
