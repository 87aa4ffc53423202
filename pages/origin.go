package pages

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// WithPublicURL sets the site's public origin, such as
// https://news.example: the scheme and host that the absolute URLs of its
// sitemaps, feeds and robots.txt use, whatever Host a request came with.
// Without it (or with ""), each request's own origin is used (see
// [Site.Origin]). A value that [ParsePublicURL] rejects is ignored.
func WithPublicURL(origin string) Option {
	return func(s *Site) {
		if o, err := ParsePublicURL(origin); err == nil {
			s.publicURL = o
		}
	}
}

// ParsePublicURL checks a public origin for [WithPublicURL]: http or https,
// a valid host[:port], no user, path (but "/"), query or fragment. It
// returns it as scheme://host, lower case.
func ParsePublicURL(origin string) (string, error) {
	if origin == "" {
		return "", nil
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an origin such as https://news.example", origin)
	}
	host, ok := ValidHost(u.Host)
	if !ok {
		return "", fmt.Errorf("%q: %q is not a host[:port]", origin, u.Host)
	}
	return u.Scheme + "://" + host, nil
}

// errBadHost is what [Site.Origin] returns for a request whose Host header
// is not a host[:port].
var errBadHost = errors.New("the Host header is not a valid host[:port]")

// Origin is the scheme://host the site's absolute URLs take for r: the
// -public-url the site was given ([WithPublicURL]), else r's own, so that a
// sitemap fetched through any name of the site names that name. The scheme
// is https when r came over TLS or with "X-Forwarded-Proto: https": the
// server strips that header from every request but those of its trusted
// proxies (internal/realip), so here it can be believed. The host is r's Host,
// checked by [ValidHost] (a Host with anything else, say a quote, angle
// bracket, space, path or user, is an error: it never reaches a URL, let
// alone XML).
func (s *Site) Origin(r *http.Request) (string, error) {
	if s.publicURL != "" {
		return s.publicURL, nil
	}
	host, ok := ValidHost(r.Host)
	if !ok {
		return "", errBadHost
	}
	return forwardedScheme(r) + "://" + host, nil
}

// forwardedScheme is the scheme r's client used: what a trusted proxy's
// X-Forwarded-Proto says (the server strips the header from every other
// request, and keeps the nearest proxy's value: internal/realip), else https
// under TLS, else http.
func forwardedScheme(r *http.Request) string {
	switch p := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); {
	case p == "http" || p == "https":
		return p
	case r.TLS != nil:
		return "https"
	}
	return "http"
}

// origin is [Site.Origin] for the pages' own absolute URLs (canonical
// links, Open Graph and Twitter tags, structured data): a request whose
// Host is not a host[:port] (which net/http mostly refuses before) gets
// "localhost", so that nothing it sent reaches the markup.
func (s *Site) origin(r *http.Request) string {
	o, err := s.Origin(r)
	if err != nil {
		return forwardedScheme(r) + "://localhost"
	}
	return o
}

// absURL returns path (starting with "/") on the site's origin for r.
func (s *Site) absURL(r *http.Request, path string) string { return s.origin(r) + path }

// ValidHost reports whether h is a host[:port] fit for an absolute URL: a
// DNS name (letters, digits, hyphens and dots, labels of at most 63
// characters, 253 in all), an IPv4 address or a bracketed IPv6 one,
// optionally with a port from 1 to 65535. It returns h in lower case.
func ValidHost(h string) (string, bool) {
	if h == "" || len(h) > 260 {
		return "", false
	}
	h = strings.ToLower(h)
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", false
		}
		host, port = h[1:end], strings.TrimPrefix(h[end+1:], ":")
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" || (port == "" && len(h) != end+1) {
			return "", false
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
		if port == "" {
			return "", false
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
			return "", false
		}
	}
	if strings.HasPrefix(h, "[") {
		return h, true
	}
	if net.ParseIP(host) != nil {
		return h, strings.Count(host, ":") == 0 // an IPv6 address needs brackets
	}
	if len(host) > 253 {
		return "", false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, c := range []byte(label) {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return "", false
			}
		}
	}
	return h, true
}
