package livebench

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestMain runs this test binary as a child of the live section when
// RoleEnv says so (the section starts os.Executable() again).
func TestMain(m *testing.M) {
	if role := os.Getenv(RoleEnv); role != "" {
		os.Exit(RunRole(role))
	}
	os.Exit(m.Run())
}

func TestLiveContentInt(t *testing.T) {
	for _, tc := range []struct {
		content, attr string
		want          int64
		ok            bool
	}{
		{`<p class="bench-live" data-seq="7" data-sent="1700000000123456789">x</p>`, "data-sent", 1700000000123456789, true},
		{`<p class="bench-count" data-count="0">0 reading now</p>`, "data-count", 0, true},
		{`<p data-xdata-count="5" data-count="6">`, "data-count", 6, true},
		{`<p data-count="x">`, "data-count", 0, false},
		{`<p data-count="5`, "data-count", 0, false},
		{`<p>no count</p>`, "data-count", 0, false},
	} {
		got, ok := liveContentInt(tc.content, tc.attr)
		if got != tc.want || ok != tc.ok {
			t.Errorf("liveContentInt(%q, %q) = %d, %v; want %d, %v", tc.content, tc.attr, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReceipts(t *testing.T) {
	var r readerReceipts
	r.received(`<p class="bench-live" data-seq="1" data-sent="1000000">`, 3_500_000)
	r.received(`<p class="bench-live" data-seq="2">no time</p>`, 9_000_000)
	r.received(`<p class="bench-live" data-seq="3" data-sent="2000000">`, 2_250_000)
	line := r.take()
	if line != "receipts 2 2500 250" {
		t.Errorf("take = %q", line)
	}
	got, err := parseReceipts(strings.Fields(line))
	if want := []time.Duration{2500 * time.Microsecond, 250 * time.Microsecond}; err != nil || !slices.Equal(got, want) {
		t.Errorf("parseReceipts = %v, %v; want %v", got, err, want)
	}
	if again := r.take(); again != "receipts 0" {
		t.Errorf("a second take = %q, want none", again)
	}
	for _, bad := range []string{"receipts", "receipts 2 1", "receipts 1 x", "got 1 2"} {
		if _, err := parseReceipts(strings.Fields(bad)); err == nil {
			t.Errorf("parseReceipts(%q): no error", bad)
		}
	}
}

// TestReaders runs the readers section at a tiny size with real processes
// (servers, clients, redis-server, Node.js and Chromium when present) and
// checks what it measured is complete and consistent; never its speed.
func TestReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers, clients, redis-server and Chromium as child processes")
	}
	if testenv.InCI() { // in CI every part runs: fail, not skip, when a program is missing
		testenv.RequireProgram(t, "redis-server", "chromium", "node", "npm")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("needs redis-server (apt-get install -y redis-server)")
	}
	_, chromiumErr := measure.ChromiumPath()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute) // a bound, not a figure
	defer cancel()
	o := ReadersOptions{Readers: 20, Pubs: 30, Presence: 20, Messages: 10, Browser: chromiumErr == nil}
	res, err := Measure(ctx, Options{Readers: &o, ReadersOnly: true}, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	r := res.Readers
	if r == nil || r.Held == nil || r.Presence == nil || r.Messages == nil {
		t.Fatalf("readers = %+v, want every part", r)
	}
	checkHeld(t, r.Held)
	checkPresence(t, r.Presence)
	if !o.Browser {
		t.Logf("no Chromium: %v", chromiumErr)
		return
	}
	m := r.Messages
	if v := m.BigPipe; v == nil || v.Publications != 10 || v.Shown != 10 || v.P50 <= 0 || v.Client != "sse" {
		t.Errorf("messages = %+v, want 10 shown over SSE", v)
	}
	if v := m.SocketIO; v != nil && (v.Publications != 10 || v.Shown != 10 || v.P50 <= 0) {
		t.Errorf("socket.io messages = %+v, want 10 shown", v)
	} else if v == nil && testenv.InCI() {
		t.Errorf("socket.io not measured in CI: %s", m.SocketIOSkipped)
	} else if v == nil {
		t.Logf("socket.io not measured: %s", m.SocketIOSkipped)
	}
}

func checkHeld(t *testing.T, h *ReadersHeld) {
	t.Helper()
	if h.Anonymous == nil || h.Readers == nil {
		t.Fatalf("held = %+v, want both runs", h)
	}
	for _, c := range []*LiveConns{h.Anonymous, h.Readers} {
		if c.Conns != 20 || c.Held != 20 || c.Errors != 0 {
			t.Errorf("held = %+v, want 20 of 20", c)
		}
	}
	if len(h.PublishTo) != 2 {
		t.Fatalf("publish to = %+v, want two runs", h.PublishTo)
	}
	for _, p := range h.PublishTo {
		if p.Pubs != 30 || p.Received != 30 || p.P50 <= 0 || p.RecvP50 <= 0 {
			t.Errorf("publish to = %+v, want 30 made and received", p)
		}
	}
}

func checkPresence(t *testing.T, p *ReadersPresence) {
	t.Helper()
	truths := []int{20, 10, 0}
	if len(p.Steps) != len(truths) {
		t.Fatalf("presence = %+v, want %d steps", p, len(truths))
	}
	for i, s := range p.Steps {
		if s.Truth != truths[i] || s.Worst() < 0 || !slices.Equal(s.Final, []int{s.Truth, s.Truth}) {
			t.Errorf("step %q = %+v, want %d seen on both instances", s.What, s, truths[i])
		}
	}
}
