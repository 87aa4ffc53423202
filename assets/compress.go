package assets

import (
	"bytes"
	"math/bits"
	"mime"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// brotliQuality is the brotli quality of the precompressed variants: the
// best, since it is paid once at start-up.
const brotliQuality = brotli.BestCompression

// compressible reports whether a content type is text-like, so that gzip and
// brotli are worth trying: text/*, JavaScript, JSON, XML and their +json /
// +xml kinds (SVG, web manifests), and WebAssembly. Images, fonts and
// archives are already compressed.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/javascript", "application/json", "application/xml", "application/wasm":
		return true
	}
	return false
}

// compressor holds what compressing one file after another can reuse: the
// gzip writer (whose flate state is large) and an output buffer. It is not
// safe for concurrent use; each build worker has its own.
type compressor struct {
	gz  *gzip.Writer
	buf bytes.Buffer
}

func newCompressor() *compressor {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestCompression) // the level is valid
	return &compressor{gz: gz}
}

// gzip compresses b at gzip's best compression. The header carries no name
// and no time, so equal input gives equal output.
func (z *compressor) gzip(b []byte) ([]byte, error) {
	z.buf.Reset()
	z.gz.Reset(&z.buf)
	if _, err := z.gz.Write(b); err != nil {
		return nil, err
	}
	if err := z.gz.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(z.buf.Bytes()), nil
}

// brotli compresses b with brotli at brotliQuality. The window is sized to
// the input (a window is 2^lgwin-16 bytes), which saves the encoder's time
// and memory and tells the decoder it needs no more.
func (z *compressor) brotli(b []byte) ([]byte, error) {
	z.buf.Reset()
	lgwin := min(max(bits.Len(uint(len(b)+16)), 10), 24)
	bw := brotli.NewWriterOptions(&z.buf, brotli.WriterOptions{Quality: brotliQuality, LGWin: lgwin})
	if _, err := bw.Write(b); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(z.buf.Bytes()), nil
}
