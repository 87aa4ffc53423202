// Package realip gives a request that came through trusted reverse
// proxies its client's address and scheme (X-Forwarded-For,
// X-Forwarded-Proto), and leaves every other request's as they came: the
// -trusted-proxies flag of the demo server.
package realip

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrusted reads a list of trusted proxies, such as -trusted-proxies: a comma-separated list of
// addresses (127.0.0.1) and networks (10.0.0.0/8, fd00::/8).
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %q is neither an address nor a network such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Middleware returns middleware that gives a request arriving from one
// of the trusted proxies its client's address: the right-most address of
// X-Forwarded-For that is not itself a trusted proxy's (each proxy appends
// the address it was reached from, so only the part the trusted proxies
// wrote can be believed; what a client sends in its own header is further
// left). Everything that limits per client (live connections per address,
// the comment rate) then counts clients, not the proxy in front of them.
// A request from anyone else keeps its peer address whatever it claims.
//
// X-Forwarded-Proto (the scheme the client used, which the site's absolute
// URLs take: pages.Site.Origin) is likewise believed
// from a trusted proxy only: there it is reduced to the value the nearest
// proxy wrote (the last one), http or https, and from anyone else, or
// when it is neither, it is removed before the site sees the request.
func Middleware(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := forwardedFor(r, trusted)
			proto, hasProto := r.Header["X-Forwarded-Proto"]
			if !ok && !hasProto {
				h.ServeHTTP(w, r)
				return
			}
			peer, err := peerAddr(r.RemoteAddr)
			fromProxy := err == nil && isTrusted(peer, trusted)
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it came
			if ok {
				r.RemoteAddr = net.JoinHostPort(a.String(), "0")
			}
			if hasProto {
				r.Header = r.Header.Clone()
				r.Header.Del("X-Forwarded-Proto")
				if p := forwardedProto(proto); p != "" && fromProxy {
					r.Header.Set("X-Forwarded-Proto", p)
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

// forwardedProto is the scheme the nearest proxy wrote in X-Forwarded-Proto
// (the last of its values), http or https in lower case, or "".
func forwardedProto(values []string) string {
	if len(values) == 0 {
		return ""
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	switch p := strings.ToLower(strings.TrimSpace(last)); p {
	case "http", "https":
		return p
	}
	return ""
}

// forwardedFor returns the client address X-Forwarded-For gives a request
// from a trusted peer, and false when the peer is not trusted or the
// header names no address to believe.
func forwardedFor(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, err := peerAddr(r.RemoteAddr)
	if err != nil || !isTrusted(peer, trusted) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := netip.Addr{}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // what is left of a hop a trusted proxy did not write cannot be believed
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client, client.IsValid()
}

// peerAddr is the IP of a RemoteAddr ("ip:port").
func peerAddr(remote string) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}, errors.Join(errors.New("remote address"), err)
	}
	return ap.Addr().Unmap(), nil
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
