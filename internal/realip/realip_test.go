package realip

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTrustProxies(t *testing.T) {
	trusted, err := ParseTrusted("127.0.0.1, 10.0.0.0/8,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		peer   string
		xff    []string
		client string // the RemoteAddr the handler sees
	}{
		{"no proxy: the header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:5000"},
		{"trusted proxy: the client it saw", "127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"a client's own claim left of it is not believed", "127.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"a chain of trusted proxies", "10.1.1.1:5000", []string{"198.51.100.1, 10.2.2.2", "10.3.3.3"}, "198.51.100.1:0"},
		{"no header: the proxy's own", "127.0.0.1:5000", nil, "127.0.0.1:5000"},
		{"garbage: the proxy's own", "127.0.0.1:5000", []string{"<script>"}, "127.0.0.1:5000"},
		{"garbage left of a trusted hop is not believed", "127.0.0.1:5000", []string{"bogus, 10.9.9.9"}, "10.9.9.9:0"},
		{"IPv6 client", "[fd00::1]:5000", []string{"2001:db8::7"}, "[2001:db8::7]:0"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"all hops trusted: the leftmost", "127.0.0.1:5000", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			h := Middleware(trusted)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.client {
				t.Errorf("RemoteAddr %q, want %q", got, tc.client)
			}
			if r.RemoteAddr != tc.peer {
				t.Errorf("the caller's request changed: %q", r.RemoteAddr)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"localhost", "10.0.0.0/33", "1.2.3"} {
		if _, err := ParseTrusted(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	got, err := ParseTrusted(" 10.1.2.3/8 ,::1,")
	if err != nil || len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "::1/128" {
		t.Errorf("got %v, %v", got, err)
	}
}

func FuzzForwardedFor(f *testing.F) {
	trusted, _ := ParseTrusted("127.0.0.1,10.0.0.0/8")
	f.Add("127.0.0.1:1", "1.2.3.4, 10.0.0.1")
	f.Add("10.0.0.1:1", ",,,")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		a, ok := forwardedFor(r, trusted)
		if ok && !a.IsValid() {
			t.Fatalf("ok with an invalid address for %q %q", peer, xff)
		}
		if p, err := peerAddr(peer); ok && (err != nil || !isTrusted(p, trusted)) {
			t.Fatalf("believed %q from an untrusted peer %q", xff, peer)
		}
	})
}
