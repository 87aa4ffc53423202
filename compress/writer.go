package compress

import (
	"errors"
	"net/http"
	"strings"
)

// errFinished is returned by writes after the handler has returned.
var errFinished = errors.New("compress: write after the handler returned")

// state is where a response is in its life.
type state uint8

const (
	undecided   state = iota // no final status yet (1xx responses may have gone out)
	passthrough              // not compressed: writes go straight to the client
	compressing              // writes go through the encoder
	headOnly                 // a HEAD that would have been compressed: headers only
	finished                 // the handler has returned
)

// responseWriter compresses one response. Like any ResponseWriter it is
// used by the handler goroutine only.
type responseWriter struct {
	w      http.ResponseWriter
	m      *middleware
	coding coding // what the client accepts best
	head   bool   // a HEAD request
	state  state
	enc    *pooled // while compressing
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)

func (cw *responseWriter) Header() http.Header { return cw.w.Header() }

// WriteHeader sends 1xx responses (103 Early Hints) straight through without
// deciding anything; the first final status decides whether to compress.
func (cw *responseWriter) WriteHeader(code int) {
	if cw.state == undecided {
		if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
			cw.w.WriteHeader(code)
			return
		}
		cw.decide(code)
	}
	cw.w.WriteHeader(code) // a second final status: net/http reports it as superfluous
}

// decide sets the headers for a final status and picks the state.
func (cw *responseWriter) decide(code int) {
	cw.state = passthrough
	h := cw.w.Header()
	ct := h.Get("Content-Type")
	if code == http.StatusNotModified && ct == "" {
		addVary(h) // a 304 repeats the 200's Vary, and usually has no Content-Type to go by
		return
	}
	if !cw.m.compressible(ct) {
		return
	}
	addVary(h)
	switch {
	case cw.coding == identity,
		h.Get("Content-Encoding") != "",
		code < 200, code == http.StatusNoContent, code == http.StatusNotModified,
		code == http.StatusPartialContent, h.Get("Content-Range") != "":
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", cw.coding.String())
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et) // the compressed bytes differ: no longer strongly equal
	}
	if cw.head {
		cw.state = headOnly
		return
	}
	cw.enc = cw.m.get(cw.coding, cw.w)
	cw.state = compressing
}

func (cw *responseWriter) Write(p []byte) (int, error) {
	if cw.state == undecided {
		cw.WriteHeader(http.StatusOK)
	}
	switch cw.state {
	case compressing:
		return cw.enc.enc.Write(p)
	case headOnly:
		return len(p), nil // as net/http does for HEAD
	case finished:
		return 0, errFinished
	}
	return cw.w.Write(p)
}

// Flush is FlushError without the error, for [http.Flusher].
func (cw *responseWriter) Flush() { _ = cw.FlushError() }

// FlushError sends everything written so far to the client, decodable: it
// flushes the encoder, then the underlying writer. Like net/http's, it sends
// the header (status 200) if nothing was written yet.
func (cw *responseWriter) FlushError() error {
	switch cw.state {
	case undecided:
		cw.WriteHeader(http.StatusOK)
	case finished:
		return errFinished
	}
	if cw.state == compressing {
		if err := cw.enc.enc.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(cw.w).Flush()
}

// Unwrap returns the underlying ResponseWriter, for [http.ResponseController].
func (cw *responseWriter) Unwrap() http.ResponseWriter { return cw.w }

// close finishes the compressed stream and returns the encoder to its pool.
// A response that never got a final status is left to net/http as is.
func (cw *responseWriter) close() error {
	var err error
	if cw.state == compressing {
		err = cw.enc.enc.Close()
		cw.m.put(cw.coding, cw.enc)
		cw.enc = nil
	}
	cw.state = finished
	return err
}
