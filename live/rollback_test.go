package live_test

import (
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
)

// TestRedisRolledBack: after a failover to a replica that had not
// received the last publication (Redis replicates asynchronously), the
// channel's history is behind what clients were shown, in the same
// epoch, and the next publication takes the lost one's offset: a client
// that skips offsets it has seen would never show it. The engine notices
// (what it delivered is past Redis's position), drops the channel's
// history so that its epoch changes, and tells its clients to resync:
// they refetch and end with every item once.
//
// The failover is staged without sentinels: the engine reaches Redis
// through a TCP proxy (Toxiproxy, in this process), the replica is
// detached (REPLICAOF NO ONE) before the last publication, and the proxy
// is then pointed at it.
func TestRedisRolledBack(t *testing.T) {
	checkLeaks(t)
	primary := redistest.Start(t)
	replica := redistest.StartReplica(t, primary)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	px := toxiproxy.NewProxy(srv, "redis", "127.0.0.1:0", primary.Addr)
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)

	a := newFixture(t, live.WithRedis("redis://"+px.Listen+"/0"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("engine's log:\n%s", a.log.String())
		}
	})
	const ch = "comments:rolled-back"
	var stored []string
	post := func(v string) { stored = append(stored, v); publishRetry(t, a, ch, v, 20*time.Second) }
	fl := newFollower(t, a, ch, stored)
	post("1")
	post("2")
	fl.await(t, a, stored, 10*time.Second)
	if n := primary.Do(t, "WAIT", "1", "5000"); n != "1" {
		t.Fatalf("WAIT: %s replicas", n)
	}
	replica.Do(t, "REPLICAOF", "NO", "ONE") // it keeps 1 and 2, and will not get 3
	post("3")
	fl.await(t, a, stored, 10*time.Second)

	// The failover: the engine's Redis is now the replica.
	px.Stop()
	waitHealth(t, a, false, 10*time.Second)
	px.Upstream = replica.Addr
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, a, true, 15*time.Second)
	post("4")
	post("5")
	fl.await(t, a, stored, 20*time.Second)
	if fl.refetches < 1 {
		t.Errorf("the client shows %q without a refetch: it cannot have recovered items whose offsets were reused", fl.items)
	}
	t.Logf("client: %d reconnects, %d refetches", fl.reconnect, fl.refetches)
}
