package compress_test

import (
	"bytes"
	"compress/gzip" // the standard library's decoder, independent of the klauspost encoder
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/bigpipe-go/bigpipe/compress"
)

// serve runs h behind the middleware on a loopback HTTP/1.1 server.
func serve(t *testing.T, h http.HandlerFunc, opts ...compress.Option) *httptest.Server {
	t.Helper()
	return serveProto(t, "http1", h, opts...)
}

// serveProto is serve speaking proto: "http1" or "h2c" (HTTP/2 without TLS).
func serveProto(t *testing.T, proto string, h http.HandlerFunc, opts ...compress.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(compress.New(opts...)(h))
	srv.Config.Protocols = protocols(proto)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func protocols(proto string) *http.Protocols {
	var p http.Protocols
	if proto == "h2c" {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	return &p
}

// client speaks HTTP/1.1. It does not ask for or decode compression itself,
// so the test sees the body as it went over the wire.
func client(t *testing.T) *http.Client {
	t.Helper()
	return clientProto(t, "http1")
}

// clientProto is client speaking proto, as serveProto.
func clientProto(t *testing.T, proto string) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableCompression: true, Protocols: protocols(proto)}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// do sends method to url over HTTP/1.1 with the given Accept-Encoding ("-"
// for none).
func do(t *testing.T, ctx context.Context, method, url, acceptEncoding string) *http.Response {
	t.Helper()
	return doProto(t, ctx, "http1", method, url, acceptEncoding)
}

// doProto is do speaking proto, as serveProto.
func doProto(t *testing.T, ctx context.Context, proto, method, url, acceptEncoding string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptEncoding != "-" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := clientProto(t, proto).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// decoder decodes r as the Content-Encoding says.
func decoder(t *testing.T, contentEncoding string, r io.Reader) io.Reader {
	t.Helper()
	switch contentEncoding {
	case "":
		return r
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip header: %v", err)
		}
		return zr
	case "br":
		return brotli.NewReader(r)
	}
	t.Fatalf("unexpected Content-Encoding %q", contentEncoding)
	return nil
}

// decodeAll decodes a whole body.
func decodeAll(t *testing.T, contentEncoding string, body []byte) string {
	t.Helper()
	got, err := io.ReadAll(decoder(t, contentEncoding, bytes.NewReader(body)))
	if err != nil {
		t.Fatalf("decode %s: %v", contentEncoding, err)
	}
	return string(got)
}

// incremental reads a decoded body a read at a time, as a browser parses it.
type incremental struct {
	r    io.Reader
	body []byte
}

// until reads until the decoded body contains marker and returns when it
// became readable. It fails on an error or the end of the body.
func (d *incremental) until(t *testing.T, marker string) time.Time {
	t.Helper()
	buf := make([]byte, 32<<10)
	for !bytes.Contains(d.body, []byte(marker)) {
		n, err := d.r.Read(buf)
		d.body = append(d.body, buf[:n]...)
		if err != nil && !bytes.Contains(d.body, []byte(marker)) {
			t.Fatalf("reading up to %q: %v (decoded so far: %q)", marker, err, d.body)
		}
	}
	return time.Now()
}

// rest reads to the end of the body and returns the error that ended it
// (nil for a clean end).
func (d *incremental) rest() error {
	b, err := io.ReadAll(d.r)
	d.body = append(d.body, b...)
	return err
}

// chunk is a pagelet-sized piece of HTML carrying marker.
func chunk(marker string) string {
	return `<script>bigPipe.onPageletArrive({"id":"` + marker + `","content":"\u003cdiv class=\"pagelet\">` +
		marker + ` headline, byline and summary\u003c/div>"})</script>` + "\n"
}
