package accounts

import (
	"net/http"
	"net/url"
	"strings"
)

// NextField is the form field that says where to go after signing in,
// up or out: a path on this site.
const NextField = "next"

// LocalPath returns p if it is a path on this site that a redirect can
// safely send a browser to, or "/". It must start with one '/', not "//"
// nor "/\" (both of which browsers read as another host), and hold no
// backslash or control character anywhere.
func LocalPath(p string) string {
	if p == "" || p[0] != '/' || len(p) > 2048 || strings.HasPrefix(p, "//") {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}

// cameFrom is where the reader of r came from: the next query parameter
// if it is local, else the Referer if it is this site's (and not an
// account page itself), else "/".
func cameFrom(r *http.Request) string {
	if n := r.URL.Query().Get(NextField); n != "" {
		return LocalPath(n)
	}
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || (u.Scheme != "http" && u.Scheme != "https") || strings.HasPrefix(u.Path, "/account/") {
		return "/"
	}
	return LocalPath(u.RequestURI())
}
