package redistest_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
)

// TestFailover: the sentinels promote the replica once the primary is
// killed, and the promoted replica has what the primary held.
func TestFailover(t *testing.T) {
	p := redistest.Start(t)
	f := redistest.StartFailover(t, p)
	p.Do(t, "SET", "k", "v")
	if n := p.Do(t, "WAIT", "1", "5000"); n != "1" {
		t.Fatalf("WAIT: %s replicas have the key", n)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := f.WaitPrimary(t, f.Replica.Addr, 30*time.Second)
	t.Logf("replica promoted %v after the kill", took.Round(time.Millisecond))
	if got := f.Replica.Do(t, "GET", "k"); got != "v" {
		t.Errorf("promoted replica: k = %q, want v", got)
	}
	if role := f.Replica.Do(t, "ROLE"); role[:6] != "master" {
		t.Errorf("promoted replica's role: %q", role)
	}
}
