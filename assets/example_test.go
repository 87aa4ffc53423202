package assets_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/bigpipe-go/bigpipe/assets"
)

func ExampleWithBundle() {
	reg, err := assets.New(fstest.MapFS{
		"css/site.css": {Data: []byte("body { margin: 0px }\n")},
		"css/news.css": {Data: []byte(".news { color: #ff0000 }\n")},
	}, assets.WithBundle("css/page.css", "css/site.css", "css/news.css"))
	if err != nil {
		fmt.Println(err)
		return
	}
	page, _ := reg.Lookup("css/page.css")
	fmt.Printf("%s\n%q\n", page.Parts, page.Body)
	// Output:
	// [css/site.css css/news.css]
	// "body{margin:0}\n.news{color:red}"
}

func ExampleAsset_Inline() {
	reg, _ := assets.New(fstest.MapFS{
		"critical.css": {Data: []byte("body { margin: 0px }\n")},
		"evil.css":     {Data: []byte(`a::after { content: "</style>" }`)},
	})
	for _, name := range []string{"critical.css", "evil.css"} {
		a, _ := reg.Lookup(name)
		css, ok := a.Inline()
		fmt.Printf("%s: %q %v\n", name, css, ok)
	}
	// Output:
	// critical.css: "body{margin:0}" true
	// evil.css: "" false
}

func ExampleRegistry_ServeHTTP() {
	reg, _ := assets.New(fstest.MapFS{"site.css": {Data: []byte(strings.Repeat("body { margin: 0px }\n", 50))}})
	a, _ := reg.Lookup("site.css")
	req := httptest.NewRequest("GET", a.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, req)
	h := rec.Header()
	fmt.Println(rec.Code, h.Get("Content-Encoding"), h.Get("Vary"), strings.HasSuffix(h.Get("ETag"), `-br"`))
	fmt.Println(h.Get("Cache-Control"))
	// Output:
	// 200 br Accept-Encoding true
	// public, max-age=31536000, immutable
}

// ExampleNewDev shows how a server picks dev mode: files from disk, rebuilt
// on change, instead of the embedded ones.
func ExampleNewDev() {
	dev := false // from a -dev flag
	var reg *assets.Registry
	var err error
	if dev {
		reg, err = assets.NewDev("static")
	} else {
		reg, err = assets.New(fstest.MapFS{"app.js": {Data: []byte("window.app = 1;")}}) // static.FS in main
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := reg.Lookup("app.js")
	fmt.Println(string(a.Body))
	// Output:
	// window.app=1
}
