// Command genimages writes the demo site's images into static/img (run by
// go generate in static/): each seeded article's picture in every width of
// [artimg.Widths] (img/a/SLUG-W.jpg), each section's picture and the site's
// own at 1200×630 (img/section/ID-1200.jpg, img/site-1200.jpg) and the
// publisher logo (img/logo.png). Pictures of articles no longer seeded are
// removed. The output is a pure function of the seed data and the design.
//
//	go run ./internal/artimg/cmd/genimages -out static/img
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bigpipe-go/bigpipe/internal/artimg"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

const siteName = "The Daily Pipe"

// sectionTitles are the section names the pages show (pages.sections).
var sectionTitles = map[string]string{
	"hotnews": "Top stories",
	"society": "Society",
	"finance": "Business",
	"tech":    "Technology",
	"sports":  "Sport",
}

// quality is the JPEG quality: the pictures are flat colour and large
// type, which stay clean at 80.
const quality = 70

func main() {
	out := flag.String("out", "img", "directory to write into")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	st, err := store.OpenMemory()
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	keep := map[string]bool{}
	write := func(name string, img image.Image) error {
		var b bytes.Buffer
		var err error
		if filepath.Ext(name) == ".png" {
			err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img)
		} else {
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: quality})
		}
		if err != nil {
			return err
		}
		p := filepath.Join(out, filepath.FromSlash(name))
		keep[p] = true
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b.Bytes()) {
			return nil
		}
		return os.WriteFile(p, b.Bytes(), 0o644)
	}
	for _, sec := range store.Sections() {
		title, ok := sectionTitles[sec]
		if !ok {
			return fmt.Errorf("genimages: section %q has no title here", sec)
		}
		arts, err := st.Section(context.Background(), sec, 0)
		if err != nil {
			return err
		}
		for _, a := range arts {
			for _, w := range artimg.Widths {
				if err := write("a/"+a.Slug+"-"+strconv.Itoa(w)+".jpg", artimg.Article(a.Slug, a.Section, title, a.Title, siteName, w)); err != nil {
					return err
				}
			}
		}
		if err := write("section/"+sec+"-1200.jpg", artimg.Section(sec, title, "the latest stories", siteName, artimg.Width)); err != nil {
			return err
		}
	}
	if err := write("site-1200.jpg", artimg.Site(siteName, "Independent news", artimg.Width)); err != nil {
		return err
	}
	if err := write("logo.png", artimg.Logo("DP", 512)); err != nil {
		return err
	}
	// Remove what no article has any more.
	return filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || keep[p] {
			return err
		}
		return os.Remove(p)
	})
}
