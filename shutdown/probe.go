package shutdown

import (
	"io"
	"net/http"
)

// Ready returns the readiness probe's handler (mount it at /readyz, say):
// 200 "ready" until [Drainer.Shutdown] begins, then 503 "draining", so
// that the load balancer sends no more requests here. It answers any
// method; mount it with the pattern's method ("GET /readyz") to limit it.
func (d *Drainer) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainText(w)
		if d.Draining() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "draining\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
}

// Health returns the health probe's handler (/healthz, say): 200 while the
// process serves, draining or not, with the line [WithHealth] reports ("ok"
// by default). A degraded dependency (a live broker down) shows in its body
// but not its status: it must not take an instance that still serves pages
// out of the load balancer, nor get it restarted.
func (d *Drainer) Health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainText(w)
		line := "ok"
		if d.cfg.health != nil {
			line = d.cfg.health()
		}
		_, _ = io.WriteString(w, line+"\n")
	})
}

// plainText sets the headers of a probe's answer: never cached.
func plainText(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}
