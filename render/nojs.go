package render

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NoJS returns the handler the BigPipe skeleton's <noscript> refresh points
// at, which [Renderer.ServeHTTP] serves at "nojs" under the Renderer's path.
// It remembers in a cookie that this browser runs no JavaScript and sends it
// back to the page it came from as plain HTML. The redirect adds nojs=1, so
// a browser that refuses cookies still lands on a plain page and never loops.
// A plain page served because of the cookie clears it from script, so a
// browser that runs JavaScript again returns to BigPipe on its next page.
func (rd *Renderer) NoJS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next := localTarget(r.URL.Query().Get("next"))
		q := next.Query()
		q.Set("nojs", "1")
		next.RawQuery = q.Encode()
		http.SetCookie(w, &http.Cookie{
			Name:     NoJSCookie,
			Value:    "1",
			Path:     "/",
			MaxAge:   int((30 * 24 * time.Hour).Seconds()),
			SameSite: http.SameSiteLaxMode,
		})
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, next.String(), http.StatusSeeOther)
	})
}

// localTarget parses next as a same-site path; anything else (absolute
// URLs, scheme-relative "//host", backslash tricks, garbage) becomes "/",
// so the endpoint can never redirect off-site.
func localTarget(next string) *url.URL {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return &url.URL{Path: "/"}
	}
	return &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
}
