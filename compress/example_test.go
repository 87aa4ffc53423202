package compress_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/bigpipe-go/bigpipe/compress"
)

// Example compresses a page that is flushed in two parts. The client
// prefers gzip to br here, so it gets gzip.
func Example() {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8") // required: untyped responses are not compressed
		io.WriteString(w, "<p>skeleton</p>")
		http.NewResponseController(w).Flush() // reaches the client, decodable, at once
		io.WriteString(w, "<p>pagelet</p>")
	})
	h := compress.New()(page)

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br;q=0.9")
	h.ServeHTTP(rec, req)

	fmt.Println("Content-Encoding:", rec.Header().Get("Content-Encoding"))
	fmt.Println("Vary:", rec.Header().Get("Vary"))
	zr, _ := gzip.NewReader(rec.Body)
	body, _ := io.ReadAll(zr)
	fmt.Println(string(body))
	// Output:
	// Content-Encoding: gzip
	// Vary: Accept-Encoding
	// <p>skeleton</p><p>pagelet</p>
}
