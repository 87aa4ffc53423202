package redistest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redisserver"
)

// Failover is a Redis that Sentinel fails over: a primary, one replica of
// it, and three sentinels that agree (two of three) when the primary is
// down and promote the replica.
type Failover struct {
	Primary, Replica *Server
	Sentinels        []*Server
	// Master is the name the sentinels monitor the primary by.
	Master string
}

// StartFailover starts a replica of primary and three sentinels watching
// it, each on a free loopback port and stopped when t ends, and returns
// once the replica has synced and every sentinel knows of it. Without
// redis-sentinel installed the test fails, saying how to install it.
func StartFailover(t testing.TB, primary *Server) *Failover {
	t.Helper()
	f := &Failover{Primary: primary, Master: "bigpipe"}
	f.Replica = StartReplica(t, primary)
	for range 3 {
		s, err := redisserver.StartSentinel(primary.Server, f.Master, 2)
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		t.Cleanup(s.Stop)
		f.Sentinels = append(f.Sentinels, &Server{s})
	}
	// A sentinel learns of the replica from the primary's INFO, and of the
	// other sentinels from their hellos, within a couple of seconds: a
	// failover before then would find nothing to promote.
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range f.Sentinels {
		for {
			reps, err1 := redisserver.Do(s.Addr, 2*time.Second, "SENTINEL", "replicas", f.Master)
			others, err2 := redisserver.Do(s.Addr, 2*time.Second, "SENTINEL", "sentinels", f.Master)
			if err1 == nil && err2 == nil && hasLine(reps, portOf(f.Replica.Addr)) && countLines(others, "name") >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: sentinel %s does not know the replica and the other sentinels after 20 s: %v %v\n%s\n%s", s.Addr, err1, err2, reps, others)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return f
}

// countLines is how many lines of s are v: SENTINEL's replies, flattened
// by redisserver.Do, give each entry's fields one a line.
func countLines(s, v string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if l == v {
			n++
		}
	}
	return n
}

func hasLine(s, v string) bool { return countLines(s, v) > 0 }

// portOf is the port of a host:port.
func portOf(addr string) string { _, p, _ := strings.Cut(addr, ":"); return p }

// URL is the redis+sentinel:// URL of the primary, naming all three
// sentinels.
func (f *Failover) URL() string {
	u := fmt.Sprintf("redis+sentinel://%s/0?sentinel_master_name=%s", f.Sentinels[0].Addr, f.Master)
	for _, s := range f.Sentinels[1:] {
		u += "&addr=" + s.Addr
	}
	return u
}

// WaitPrimary waits, up to d, until every sentinel names addr as the
// primary, and returns how long that took.
func (f *Failover) WaitPrimary(t testing.TB, addr string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for _, s := range f.Sentinels {
		for {
			got, err := s.Primary(f.Master)
			if err == nil && got == addr {
				break
			}
			if time.Since(start) > d {
				t.Fatalf("redistest: sentinel %s names %q (%v) as the primary after %v, want %s", s.Addr, got, err, d, addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// StartReplica starts a replica of primary on a free loopback port,
// stopped when t ends, and returns it once it has synced.
func StartReplica(t testing.TB, primary *Server) *Server {
	t.Helper()
	r, err := redisserver.StartReplica(primary.Server)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(r.Stop)
	if err := r.WaitSynced(10 * time.Second); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return &Server{r}
}
