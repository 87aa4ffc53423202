package pages

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The site's public origin: every absolute URL the pages write (canonical
// links, Open Graph and Twitter tags, structured data) starts with it.
// With [WithPublicURL] (the server's -public-url flag) it is fixed, which
// production wants: nothing a client sends can change what the pages
// claim their address is, nor what a shared cache in front keeps. Without
// it, it is read from each request: the Host it was sent to (checked:
// a host name, IPv4 or bracketed IPv6 address and an optional port, or
// "localhost" when it is anything else) and the scheme it arrived over,
// https under TLS, or what a trusted proxy's X-Forwarded-Proto says
// ([ForwardedScheme], set by the server's -trusted-proxies middleware),
// else http.

// WithPublicURL fixes the site's public origin, such as
// "https://news.example" (see [ParsePublicURL]); an empty u leaves it to
// each request.
func WithPublicURL(u string) Option {
	return func(s *Site) {
		if o, err := ParsePublicURL(u); err == nil {
			s.public = o
		}
	}
}

// ParsePublicURL checks a public URL: http or https, a host, no path
// beyond "/", no query, fragment or user. It returns its origin,
// "scheme://host[:port]", lower case; "" for an empty u.
func ParsePublicURL(u string) (string, error) {
	if u == "" {
		return "", nil
	}
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return "", errors.New("want an http or https URL such as https://news.example")
	}
	if p.Host == "" || !validHost(p.Host) {
		return "", errors.New("want a host name such as https://news.example")
	}
	if (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" || p.User != nil || p.Opaque != "" {
		return "", errors.New("want an origin only, such as https://news.example: the site is served at the root")
	}
	return p.Scheme + "://" + strings.ToLower(p.Host), nil
}

type schemeKey struct{}

// ForwardedScheme returns r marked as reached by its client over scheme
// ("http" or "https"; anything else is ignored): what a trusted proxy in
// front, which terminated TLS, said in X-Forwarded-Proto. Only middleware
// that knows the proxy is trusted may call it.
func ForwardedScheme(r *http.Request, scheme string) *http.Request {
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	if scheme != "http" && scheme != "https" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), schemeKey{}, scheme))
}

// origin returns the public origin for r, "scheme://host[:port]", without
// a trailing slash.
func (s *Site) origin(r *http.Request) string {
	if s.public != "" {
		return s.public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if v, ok := r.Context().Value(schemeKey{}).(string); ok {
		scheme = v
	}
	host := strings.ToLower(r.Host)
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// absURL returns the absolute URL of path (which starts with "/") on r's
// public origin.
func (s *Site) absURL(r *http.Request, path string) string { return s.origin(r) + path }

// validHost reports whether h is a host and optional port that may be
// written into a URL as they are: a DNS name (letters, digits, '-', '.'),
// an IPv4 address or a bracketed IPv6 address, then ":" and up to five
// digits.
func validHost(h string) bool {
	if h == "" || len(h) > 260 {
		return false
	}
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		for _, c := range h[1:end] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return false
			}
		}
		if end == 1 {
			return false
		}
		rest := h[end+1:]
		if rest == "" {
			return true
		}
		if rest[0] != ':' {
			return false
		}
		return validPort(rest[1:])
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if name == "" || name[0] == '-' || name[0] == '.' {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
