package live

import (
	"net"
	"net/http"
	"sync"
)

// addrLimiter bounds the live connections open at once per client address.
type addrLimiter struct {
	max  int // < 0: no bound
	mu   sync.Mutex
	open map[string]int
}

func newAddrLimiter(max int) *addrLimiter {
	return &addrLimiter{max: max, open: make(map[string]int)}
}

// acquire takes one connection for addr; release gives it back. It fails
// if addr holds the most already.
func (l *addrLimiter) acquire(addr string) (release func(), ok bool) {
	if l.max < 0 {
		return func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr] >= l.max {
		return nil, false
	}
	l.open[addr]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[addr]--; l.open[addr] <= 0 {
			delete(l.open, addr)
		}
	}, true
}

// clientAddr is the address a connection counts against: the peer's IP.
// Behind a proxy that is the proxy's; set the limit for that.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
