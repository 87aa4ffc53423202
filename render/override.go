package render

import "net/http"

// Names an operator uses to force a mode with [WithModeOverride].
const (
	// ForceModeHeader is the request header that forces a mode.
	ForceModeHeader = "X-BigPipe-Force-Mode"
	// ForceModeParam is the query parameter that forces a mode.
	ForceModeParam = "bigpipe_mode"
)

// WithModeOverride lets a request force its mode, for debugging: the header
// X-BigPipe-Force-Mode or the query parameter bigpipe_mode, set to
// pipelined, inorder or serial, wins over the [ModeFunc] (the header over
// the parameter). An unknown name is a 400. Leave it off in production, where
// anyone could ask for the costlier serial page; it is off by default.
func WithModeOverride() Option { return func(c *config) { c.override = true } }

// decide is the request's mode: forced, when the override is on and the
// request asks, else the ModeFunc's.
func (h *Handler) decide(r *http.Request) (Mode, error) {
	if h.override {
		if v := r.Header.Get(ForceModeHeader); v != "" {
			return ParseMode(v)
		}
		if v, ok := r.URL.Query()[ForceModeParam]; ok {
			return ParseMode(v[len(v)-1])
		}
	}
	return h.mode(r)
}
