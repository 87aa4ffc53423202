package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/bigpipe-go/bigpipe/pages"
)

// parseTrustedProxies reads -trusted-proxies: a comma-separated list of
// addresses (127.0.0.1) and networks (10.0.0.0/8, fd00::/8).
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
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

// trustProxies returns middleware that gives a request arriving from one
// of the trusted proxies its client's address: the right-most address of
// X-Forwarded-For that is not itself a trusted proxy's (each proxy appends
// the address it was reached from, so only the part the trusted proxies
// wrote can be believed; what a client sends in its own header is further
// left). Everything that limits per client (live connections per address,
// the comment rate) then counts clients, not the proxy in front of them.
// A request from anyone else keeps its peer address whatever it claims.
// With no trusted proxy it returns h unchanged.
func trustProxies(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		if len(trusted) == 0 {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a, ok := forwardedFor(r, trusted); ok {
				r = r.WithContext(r.Context()) // a copy: the caller's request stays as it came
				r.RemoteAddr = net.JoinHostPort(a.String(), "0")
				// The scheme the client used, for the pages' absolute URLs
				// when no -public-url fixes them (pages/origin.go).
				// A chain of proxies may list several: the last is the
				// nearest's.
				if proto := r.Header.Values("X-Forwarded-Proto"); len(proto) > 0 {
					last := proto[len(proto)-1]
					r = pages.ForwardedScheme(r, last[strings.LastIndexByte(last, ',')+1:])
				}
			}
			h.ServeHTTP(w, r)
		})
	}
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
