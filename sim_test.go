package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

// TestPostgresSimLeads runs two server processes with the simulator on one
// database: the first leads and runs it, the second waits; killed -9, the
// first's session ends and the second takes the lead within seconds and
// moves the markets.
func TestPostgresSimLeads(t *testing.T) {
	c := pgtest.Start(t)
	db := c.Database(t, "news")
	// Start-up bounds for a busy machine, not figures: under the race
	// detector a process compresses the site's assets and seeds the
	// database first (15 s was once too few beside the rest of make test).
	first := startProcess(t, "-db", db)
	first.until(t, "took the lead", time.Minute)
	second := startProcess(t, "-db", db)
	second.until(t, "waiting to lead", time.Minute)

	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bigpipe lead'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lead connections, want both servers contending", n)
		}
	}

	killed := time.Now()
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	second.until(t, "took the lead", 10*time.Second)
	t.Logf("the second server took the lead %s after the first was killed", time.Since(killed).Round(time.Millisecond))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var updated time.Time
		err := conn.QueryRow(t.Context(), `SELECT updated_at FROM docs WHERE key = 'markets'`).Scan(&updated)
		if err == nil && updated.After(killed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("markets not moved since the first server was killed (updated %v, %v)", updated, err)
		}
	}
}

// TestLiveSimPublishes runs the server as `go run .` does: a visitor's
// live connection gets a change of the front page (the markets tick every
// 2 to 5 s; the test waits up to 20 s, for a slow machine), and /metrics
// shows the engine's metrics beside the renderer's.
func TestLiveSimPublishes(t *testing.T) {
	srv := startRun(t)
	s := openLive(t, srv.base, frontPageToken(t, srv.base))
	s.until(t, `"connect":{"client"`, 10*time.Second)
	start := time.Now()
	push := s.until(t, `"push":{"channel":"markets"`, 20*time.Second)
	t.Logf("first markets publication %v after connecting", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(push, `pl-finance`) {
		t.Errorf("markets publication without the finance pagelet: %.300s", push)
	}
	waitMetrics(t, srv.base+"/metrics", `bigpipe_live_connections{transport="sse"} 1`)
	_, body := fetch(t, srv.base+"/metrics")
	for _, want := range []string{"bigpipe_live_publications_total", "centrifuge_", "bigpipe_requests_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestLogsLiveSim starts the command itself and reads its log up to the
// "serving" line: with -live-sim (the default) the simulator says it is
// on; with -live-sim=false it does not; without -live-secret the random
// secret is logged as such (never its value).
func TestLogsLiveSim(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		sim, rand bool
	}{
		{"default", nil, true, true},
		{"off, with a secret", []string{"-live-sim=false", "-live-secret", "hunter2"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-db", filepath.Join(t.TempDir(), "news.db")}, tc.args...)
			log := logUntil(t, []string{"BIGPIPE_LIVE_SECRET="}, args, func(line string) bool {
				return strings.Contains(line, "simulator on") || strings.Contains(line, "msg=serving") && !tc.sim
			})
			all := strings.Join(log, "\n")
			if got := strings.Contains(all, "simulator on"); got != tc.sim {
				t.Errorf("simulator logged on = %v, want %v; log:\n%s", got, tc.sim, all)
			}
			if got := strings.Contains(all, "made a random one for this process"); got != tc.rand {
				t.Errorf("random secret logged = %v, want %v; log:\n%s", got, tc.rand, all)
			}
			if strings.Contains(all, "hunter2") {
				t.Error("the secret is in the log")
			}
		})
	}
}
