package scale

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(RoleEnv); role != "" { // a client: this test binary in its role
		os.Exit(RunRole(role))
	}
	os.Exit(m.Run())
}

// TestCluster runs the cluster part small: 200 connections over two
// instances of the real binary behind a real redis-server, as the front
// page's client connects, over each transport, and a publication every one
// of them receives.
func TestCluster(t *testing.T) {
	for _, transport := range []string{"sse", "ws"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			o := Options{Part: "cluster", Conns: 200, Instances: 2, Transport: transport, Pubs: 1, PerSource: PerSourceDefault, Concurrency: 20}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := measureCluster(ctx, o, func(s string) { t.Log(s) })
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			res.print(&b)
			t.Log(b.String())
			if res.Open != o.Conns || res.Failed != 0 {
				t.Errorf("%d open, %d failed (%s); want %d open", res.Open, res.Failed, res.FirstErr, o.Conns)
			}
			if res.AliveEnd != o.Conns {
				t.Errorf("%d connections open at the end, want %d", res.AliveEnd, o.Conns)
			}
			if len(res.Pubs) != 1 || res.Pubs[0].Received != o.Conns || res.Pubs[0].Last <= 0 {
				t.Errorf("publications %+v; want one received by all %d", res.Pubs, o.Conns)
			}
			for i, p := range res.PerInstance {
				if p.Conns != o.Conns/2 {
					t.Errorf("instance %d holds %d connections, want %d", i, p.Conns, o.Conns/2)
				}
			}
			if len(res.Channels) < 2 {
				t.Errorf("channels %v: want the front page's", res.Channels)
			}
		})
	}
}

func TestPlanCluster(t *testing.T) {
	for _, tc := range []struct {
		name                string
		conns, instances    int
		nofile              uint64
		wantInst, wantProcs int
		wantErr             string
	}{
		{name: "100k here", conns: 100_000, nofile: 20_000, wantInst: 6, wantProcs: 16_667},
		{name: "five instances asked", conns: 99_680, instances: 5, nofile: 20_000, wantInst: 5, wantProcs: 19_936},
		{name: "too many per instance", conns: 100_000, instances: 5, nofile: 20_000, wantErr: "allows 19936"},
		{name: "small", conns: 200, instances: 2, nofile: 20_000, wantInst: 2, wantProcs: 200},
		{name: "no room", conns: 1, nofile: 10, wantErr: "no room"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planCluster(tc.conns, tc.instances, tc.nofile)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || p.instances != tc.wantInst || p.perProc != tc.wantProcs {
				t.Errorf("planCluster = %+v, %v; want %d instances, %d per client process", p, err, tc.wantInst, tc.wantProcs)
			}
		})
	}
}

func TestParseGrant(t *testing.T) {
	page := `<script>bigPipe.setup({"live":{"src":"/_live/live.1.js","url":"/_live/","token":"tok.sig"}})</script>
<script>bigPipe.onArrive({"id":"a","live":{"channel":"scores","kind":"state","offset":7,"epoch":"E1"}})</script>
<script>bigPipe.onArrive({"id":"b","live":{"channel":"scores","kind":"state","offset":5,"epoch":"E1"}})</script>
<script>bigPipe.onArrive({"id":"c","live":{"channel":"comments:x","kind":"stream","offset":0,"epoch":""}})</script>`
	g, err := parseGrant([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if g.URL != "/_live/" || g.Token != "tok.sig" || len(g.Channels) != 2 || g.Channels["scores"] != (Position{5, "E1"}) {
		t.Errorf("grant %+v", g)
	}
	got, want := string(g.connectCommand()), `{"id":1,"connect":{"token":"tok.sig","name":"bigpipe","subs":{"comments:x":{"recover":true,"offset":0,"epoch":""},"scores":{"recover":true,"offset":5,"epoch":"E1"}}}}`
	if got != want {
		t.Errorf("connect command\n got %s\nwant %s", got, want)
	}
	for _, bad := range []string{"", `"live":{"src":"x","url":"/_live/","token":"t"}`} {
		if _, err := parseGrant([]byte(bad)); err == nil {
			t.Errorf("parseGrant(%q): no error", bad)
		}
	}
}

func TestSourceIP(t *testing.T) {
	for a, want := range map[int]string{0: "127.20.0.1", 254: "127.20.0.255", 255: "127.20.1.0", 70_000: "127.21.17.113"} {
		if got := sourceIP(a).String(); got != want {
			t.Errorf("sourceIP(%d) = %s, want %s", a, got, want)
		}
	}
}
