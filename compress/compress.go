// Package compress is HTTP response-compression middleware (brotli, gzip)
// that keeps streamed responses streaming: every Flush reaches the client as
// bytes it can decode at once.
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /{$}", page)
//	srv := &http.Server{Handler: compress.New()(mux)}
//
// # Streaming
//
// A BigPipe page is flushed many times: the skeleton, then each pagelet.
// When the handler flushes (with [http.NewResponseController]), the
// middleware flushes its encoder (a deflate sync flush, a brotli flush) and
// then the connection, so nothing waits for the end of the page. Writes
// between flushes may sit in the encoder. The wrapper has Flush, FlushError
// and Unwrap, so [http.ResponseController] also reaches SetWriteDeadline and
// the rest of the connection through it.
//
// # What is compressed
//
// The decision is made once, at the first WriteHeader, Write or Flush of a
// final (non-1xx) status. A response is compressed when its Content-Type is
// one of the compressible types (see [WithContentTypes]; a response without
// a Content-Type is never compressed: set it before writing), no
// Content-Encoding is set already (pre-compressed assets pass through), the
// status is not 204, 206 or 304, there is no Content-Range, and the client
// accepts br or gzip (see the negotiation rules below). Then Content-Length is
// removed, Content-Encoding is set and a strong ETag is made weak. Every
// compressible response, compressed or not, gets Vary: Accept-Encoding. A HEAD
// response gets the headers a GET would and no body.
//
// 1xx responses such as 103 Early Hints go straight through and decide
// nothing: the final response is still compressed.
//
// # Negotiation
//
// Accept-Encoding weights are honoured: the highest q wins; at equal q, br
// beats gzip and both beat identity; q=0 refuses a coding; "*" stands for
// every coding not named; a malformed q counts as 0. br and gzip must be
// offered (by name or "*"); when nothing is acceptable the response goes out
// as identity, never 406. The asset server reads the header by the same
// rules (internal/header) for its pre-compressed files.
//
// # Aborting
//
// If the handler panics (say with [http.ErrAbortHandler] to abandon a
// half-sent page), the middleware does not recover and does not finish the
// compressed stream, so the client sees a truncated stream rather than a
// clean end that would make a cut-short page look whole.
//
// # Memory
//
// Encoders are pooled per [New], so a request allocates almost nothing, but
// a stream holds its encoder for as long as it is open, and a BigPipe stream
// stays open while it waits for its slowest pagelet. At the defaults an
// in-flight stream holds about 1.1 MB for gzip and 0.9 MB for brotli
// (BenchmarkInFlight); 1,000 concurrent streams need about a gigabyte.
// WithGzipLevel(-3) (stateless) holds about 22 KB per stream for about 30 %
// more bytes. Brotli's window is fixed at 64 KB (lgwin 16): larger windows
// compress HTML pages no better (identical on the 49 KB demo page, 1.5 %
// better on a 105 KB one) but double the memory at quality 5 (1.9 MB at
// lgwin 18) and multiply it at higher qualities (33 MB at quality 9, lgwin 18).
// The price: at lgwin 16 brotli picks a smaller match finder for quality 5
// that costs about 10 % more CPU.
//
// See [RFC 9110 §12.5.3] for Accept-Encoding and [RFC 9110 §8.4] for
// Content-Encoding.
//
// [RFC 9110 §12.5.3]: https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3
// [RFC 9110 §8.4]: https://www.rfc-editor.org/rfc/rfc9110#section-8.4
package compress

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// Defaults, tuned on the demo home page (49 KB, flushed in 8 parts) by
// BenchmarkDemoPage and BenchmarkBrotliWindow. Per page, on one core:
//
//	gzip 1:  21.9 %, 0.12 ms     br 3: 19.5 %, 0.48 ms
//	gzip 5:  19.5 %, 0.15 ms     br 4: 18.7 %, 0.69 ms
//	gzip 6:  19.0 %, 0.18 ms     br 5: 17.5 %, 1.0 ms
//	gzip 9:  18.4 %, 1.25 ms     br 6: 17.2 %, 1.0 ms
const (
	// DefaultGzipLevel is klauspost/compress's own default: level 6 saves
	// 2.4 % more for 20 % more CPU, level 9 6 % for 8 times the CPU.
	DefaultGzipLevel = 5
	// DefaultBrotliQuality is the lowest quality at which brotli earns its
	// preference over gzip: 10 % smaller than gzip 5 (quality 4 is only 4 %
	// smaller), at about 50 MB/s.
	DefaultBrotliQuality = 5
	// brotliWindow is lgwin: a 64 KB window. See Memory in the package doc.
	brotliWindow = 16
)

// defaultContentTypes are the media types compressed unless
// [WithContentTypes] says otherwise.
func defaultContentTypes() []string {
	return []string{
		"text/html",
		"text/css",
		"text/plain",
		"text/javascript",
		"application/javascript",
		"application/json",
		"image/svg+xml",
		"application/xml",      // sitemaps
		"application/atom+xml", // feeds
	}
}

// Option configures the middleware returned by [New].
type Option func(*config)

type config struct {
	gzipLevel int
	brQuality int
	types     []string
}

// WithGzipLevel sets the gzip level: 1 (fastest) to 9 (smallest), or one of
// klauspost/compress/gzip's special levels (-1 default, -2 Huffman only,
// -3 stateless). The default is [DefaultGzipLevel]. New panics on a level
// gzip does not know.
func WithGzipLevel(level int) Option {
	return func(c *config) { c.gzipLevel = level }
}

// WithBrotliQuality sets the brotli quality, 0 (fastest) to 11 (smallest).
// The default, [DefaultBrotliQuality], suits streams compressed on the fly.
// Up to 8 an in-flight stream holds about 0.9 MB, at 9 about 1.7 MB, at 10
// and 11 about 1.4 MB; 10 and 11 take 20–60 ms per 49 KB page and are for
// assets compressed once, not for streams. New panics outside 0–11.
func WithBrotliQuality(q int) Option {
	return func(c *config) { c.brQuality = q }
}

// WithContentTypes replaces the compressible media types. The default is
// text/html, text/css, text/plain, text/javascript, application/javascript,
// application/json and image/svg+xml. Types match exactly and
// case-insensitively, without parameters: "text/html" matches
// "text/html; charset=utf-8". With no types, nothing is compressed.
func WithContentTypes(types ...string) Option {
	return func(c *config) { c.types = types }
}

// middleware is the configuration and encoder pools shared by every request
// through one [New].
type middleware struct {
	types map[string]bool
	gzip  sync.Pool // *pooled
	br    sync.Pool // *pooled
}

// New returns middleware that compresses responses as the package doc
// describes, in the shape chi and others use:
//
//	handler = compress.New(compress.WithBrotliQuality(4))(handler)
//
// It panics, with a message prefixed "compress: ", on an out-of-range gzip
// level or brotli quality.
func New(opts ...Option) func(http.Handler) http.Handler {
	c := config{gzipLevel: DefaultGzipLevel, brQuality: DefaultBrotliQuality, types: defaultContentTypes()}
	for _, opt := range opts {
		opt(&c)
	}
	if _, err := gzip.NewWriterLevel(io.Discard, c.gzipLevel); err != nil {
		panic(fmt.Sprintf("compress: gzip level %d: %v", c.gzipLevel, err))
	}
	if c.brQuality < brotli.BestSpeed || c.brQuality > brotli.BestCompression {
		panic(fmt.Sprintf("compress: brotli quality %d outside %d–%d", c.brQuality, brotli.BestSpeed, brotli.BestCompression))
	}

	m := &middleware{types: make(map[string]bool, len(c.types))}
	for _, t := range c.types {
		m.types[strings.ToLower(strings.TrimSpace(t))] = true
	}
	m.gzip.New = func() any {
		p := new(pooled)
		p.enc, _ = gzip.NewWriterLevel(&p.dst, c.gzipLevel) // level checked above
		return p
	}
	m.br.New = func() any {
		p := new(pooled)
		p.enc = brotli.NewWriterOptions(&p.dst, brotli.WriterOptions{Quality: c.brQuality, LGWin: brotliWindow})
		return p
	}

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cw := &responseWriter{
				w:      w,
				m:      m,
				coding: negotiate(r.Header.Values("Accept-Encoding")),
				head:   r.Method == http.MethodHead,
			}
			next.ServeHTTP(cw, r)
			// Not deferred on purpose: if next panics, the stream stays
			// unfinished (no trailer) and the encoder is dropped, not pooled.
			_ = cw.close()
		})
	}
}

// compressible reports whether a Content-Type value names a compressible
// media type.
func (m *middleware) compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return mt != "" && m.types[strings.ToLower(strings.TrimSpace(mt))]
}

// encoder is what gzip.Writer and brotli.Writer have in common.
type encoder interface {
	io.Writer
	Flush() error
	Close() error
	Reset(io.Writer)
}

// pooled is an encoder with the writer it writes to. The encoder always
// writes to dst, which forwards to the current response; clearing dst.w
// when the encoder goes back to the pool keeps the pool from holding on to
// finished responses.
type pooled struct {
	enc encoder
	dst forward
}

type forward struct{ w io.Writer }

func (f *forward) Write(p []byte) (int, error) { return f.w.Write(p) }

func (m *middleware) get(c coding, w io.Writer) *pooled {
	pool := &m.gzip
	if c == brCoding {
		pool = &m.br
	}
	p := pool.Get().(*pooled)
	p.dst.w = w
	p.enc.Reset(&p.dst)
	return p
}

func (m *middleware) put(c coding, p *pooled) {
	p.dst.w = nil
	if c == brCoding {
		m.br.Put(p)
	} else {
		m.gzip.Put(p)
	}
}
