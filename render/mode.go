package render

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Mode is how a page is delivered.
type Mode int

const (
	// Pipelined is BigPipe: the skeleton at once, then each pagelet as an
	// onPageletArrive script in completion order. It needs JavaScript.
	Pipelined Mode = iota
	// InOrder is plain HTML streamed in document order: each pagelet inline
	// as soon as it and every pagelet before it are ready. Fetches still run
	// concurrently from the start. Crawlers and no-JS browsers get this.
	InOrder
	// Serial is the classic page: fetch everything, then send the whole
	// document at once. It exists as a baseline for benchmarks.
	Serial
	// Native is BigPipe that the browser's own parser assembles: each
	// placeholder sits between <?start name=…> and <?end> markers, and each
	// finished pagelet streams, in completion order, as a
	// <template for=…> that the parser patches into its slot, with or
	// without JavaScript (Chromium 156 and later). The runtime, where
	// JavaScript runs, still opens the JS barrier and places any patch the
	// browser did not apply. A browser without JavaScript gets its first
	// visit in one request, each pagelet at its own time.
	Native
)

// NativeMinChrome is the lowest Chrome major version served [Native] by
// [Renderer.DetectMode]: the first checked to patch <template for>
// streamed into <?start>…<?end> markers, with JavaScript off too.
const NativeMinChrome = 156

// outOfOrder reports whether m streams pagelets in completion order after
// a skeleton, run by the client runtime: Pipelined and Native.
func (m Mode) outOfOrder() bool { return m == Pipelined || m == Native }

// String returns the mode's name as used in URLs and the X-BigPipe-Mode header.
func (m Mode) String() string {
	switch m {
	case Pipelined:
		return "pipelined"
	case InOrder:
		return "inorder"
	case Serial:
		return "serial"
	case Native:
		return "native"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses a mode name as returned by [Mode.String].
func ParseMode(s string) (Mode, error) {
	switch s {
	case "pipelined":
		return Pipelined, nil
	case "inorder":
		return InOrder, nil
	case "serial":
		return Serial, nil
	case "native":
		return Native, nil
	}
	return 0, fmt.Errorf("%w %q (want pipelined, native, inorder or serial)", ErrBadMode, s)
}

// ModeFunc decides the mode of a request. An error becomes a 400 response
// with the error's text.
type ModeFunc func(r *http.Request) (Mode, error)

// Detector tells clients that do not run JavaScript (crawlers, text-mode
// browsers, plain HTTP clients) from browsers, by User-Agent.
type Detector interface {
	IsCrawler(userAgent string) bool
}

// NoJSCookie is the cookie that marks a browser without JavaScript. The
// <noscript> redirect in the BigPipe skeleton sets it (see [Renderer.NoJS]).
const NoJSCookie = "bigpipe_nojs"

// DetectMode is the default [ModeFunc]: InOrder for "?nojs=1", for a
// browser carrying the no-JS cookie and for crawlers; Native for a
// browser whose User-Agent names Chrome [NativeMinChrome] or later;
// Pipelined otherwise. "?nojs=0" forces Pipelined. Any other nojs value is
// an error.
//
// The decision reads the User-Agent alone, so it costs no round trip. A
// Chromium build that names a supporting version but has the feature off
// still shows every pagelet where JavaScript runs (the runtime places a
// patch the parser did not apply); with JavaScript off as well it would
// keep its placeholders, a combination the User-Agent cannot tell apart.
func (rd *Renderer) DetectMode(r *http.Request) (Mode, error) {
	if m, ok, err := nojsParam(r); ok || err != nil {
		return m, err
	}
	if hasNoJSCookie(r) {
		return InOrder, nil
	}
	if rd.detector != nil && rd.detector.IsCrawler(r.UserAgent()) {
		return InOrder, nil
	}
	if chromeMajor(r.UserAgent()) >= NativeMinChrome {
		return Native, nil
	}
	return Pipelined, nil
}

// chromeMajor is the major version after "Chrome/" in a User-Agent (Chrome,
// Chromium, Edge and the other Chromium browsers all carry it), or 0.
func chromeMajor(ua string) int {
	i := strings.Index(ua, "Chrome/")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range []byte(ua[i+len("Chrome/"):]) {
		if c < '0' || c > '9' || n > 1e6 {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// nojsParam reads the nojs query parameter: ok reports whether there is one.
// Parsing a query allocates, so it is parsed only when it can hold one.
func nojsParam(r *http.Request) (m Mode, ok bool, err error) {
	if !strings.Contains(r.URL.RawQuery, "nojs") {
		return 0, false, nil
	}
	v, ok := r.URL.Query()["nojs"]
	if !ok {
		return 0, false, nil
	}
	switch v[len(v)-1] {
	case "1", "true":
		return InOrder, true, nil
	case "0", "false":
		return Pipelined, true, nil
	}
	return 0, false, fmt.Errorf("%w: nojs must be 0 or 1", ErrBadMode)
}

// hasNoJSCookie reports whether r carries the no-JS cookie; the cookies
// are parsed only when the header can hold it.
func hasNoJSCookie(r *http.Request) bool {
	if !slices.ContainsFunc(r.Header.Values("Cookie"), func(v string) bool { return strings.Contains(v, NoJSCookie) }) {
		return false
	}
	c, err := r.Cookie(NoJSCookie)
	return err == nil && c.Value == "1"
}

// decide is the request's mode: forced, when [WithModeOverride] is on and
// the request asks, else the ModeFunc's. An error is the request's fault
// (a 400).
func (h *Handler) decide(r *http.Request) (Mode, error) {
	m, err := h.requestedMode(r)
	if err == nil && (m < Pipelined || m > Native) {
		err = fmt.Errorf("%w %v", ErrBadMode, m)
	}
	if err != nil {
		return 0, &requestError{err}
	}
	return m, nil
}

func (h *Handler) requestedMode(r *http.Request) (Mode, error) {
	if h.override {
		if v := r.Header.Get(ForceModeHeader); v != "" {
			return ParseMode(v)
		}
		if strings.Contains(r.URL.RawQuery, ForceModeParam) {
			if v, ok := r.URL.Query()[ForceModeParam]; ok {
				return ParseMode(v[len(v)-1])
			}
		}
	}
	return h.mode(r)
}
