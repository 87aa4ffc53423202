package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
)

// Proxy is a fault-injecting TCP proxy between the tests' clients and a
// server: a toxiproxy (github.com/Shopify/toxiproxy/v2) proxy run in the
// test's process on a free loopback port. Its faults (toxics) apply to the
// connections open through it and to those opened later, until [Proxy.Heal].
//
//	px := pgtest.NewProxy(t, c.Addr())
//	url := px.URL(c.Database(t, "news")) // the same database, through the proxy
//	px.Partition(t)                      // nothing gets through any more
//	px.Heal(t)
type Proxy struct {
	// Addr is the proxy's loopback address (127.0.0.1:N).
	Addr string

	p *toxiproxy.Proxy
}

// Addr returns the cluster's TCP address (127.0.0.1:port).
func (c *Cluster) Addr() string { return fmt.Sprintf("127.0.0.1:%d", c.Port) }

// NewProxy starts a proxy to upstream (host:port), stopped when t ends
// (every connection through it closed).
//
// Toxiproxy's toxics log through zerolog's global logger: NewProxy sets
// zerolog's global level to warnings, or they would fill the test's
// output with a line per interrupted toxic.
func NewProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(server, strings.ReplaceAll(t.Name(), "/", "_"), "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("pgtest: start a proxy to %s: %v", upstream, err)
	}
	t.Cleanup(p.Stop)
	return &Proxy{Addr: p.Listen, p: p}
}

// URL returns the PostgreSQL URL u with its host and port replaced by the
// proxy's.
func (px *Proxy) URL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		panic("pgtest: Proxy.URL: " + err.Error()) // URLs come from Cluster.Database
	}
	parsed.Host = px.Addr
	return parsed.String()
}

// Stream names the direction of a fault: [Upstream] is what clients send
// the server, [Downstream] what the server answers.
type Stream string

// The two directions.
const (
	Upstream   Stream = "upstream"
	Downstream Stream = "downstream"
)

// toxic adds a toxic of typ with attributes (JSON) to stream.
func (px *Proxy) toxic(t testing.TB, name, typ string, stream Stream, attributes string) {
	t.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, typ, stream, attributes)
	if _, err := px.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("pgtest: add the %s toxic %s: %v", typ, name, err)
	}
}

// Latency delays everything each way by ms milliseconds.
func (px *Proxy) Latency(t testing.TB, ms int) {
	t.Helper()
	for _, s := range []Stream{Upstream, Downstream} {
		px.toxic(t, "latency_"+string(s), "latency", s, fmt.Sprintf(`{"latency":%d}`, ms))
	}
}

// Bandwidth limits each way to kbps kilobytes a second.
func (px *Proxy) Bandwidth(t testing.TB, kbps int) {
	t.Helper()
	for _, s := range []Stream{Upstream, Downstream} {
		px.toxic(t, "bandwidth_"+string(s), "bandwidth", s, fmt.Sprintf(`{"rate":%d}`, kbps))
	}
}

// Reset resets (TCP RST) every connection through the proxy at its next
// byte, and every new one, until [Proxy.Heal].
func (px *Proxy) Reset(t testing.TB) {
	t.Helper()
	px.toxic(t, "reset", "reset_peer", Upstream, `{"timeout":0}`)
	px.toxic(t, "reset_down", "reset_peer", Downstream, `{"timeout":0}`)
}

// Stall drops everything sent one way (the connections stay open), until
// [Proxy.Heal]: a Downstream stall lets statements reach the server, and
// commit, while their answers are lost.
func (px *Proxy) Stall(t testing.TB, s Stream) {
	t.Helper()
	px.toxic(t, "stall_"+string(s), "timeout", s, `{"timeout":0}`)
}

// Partition drops everything both ways, keeping the connections open (as
// a network partition does, which neither end notices at once), until
// [Proxy.Heal].
func (px *Proxy) Partition(t testing.TB) {
	t.Helper()
	px.Stall(t, Upstream)
	px.Stall(t, Downstream)
}

// Heal removes every fault: new connections go through again. What a
// stall or partition dropped is lost: clients find their connections
// broken.
func (px *Proxy) Heal(t testing.TB) {
	t.Helper()
	px.p.Toxics.ResetToxics(context.Background())
}
