package page

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			if c.runs != 4 || c.loadDuration != 5*time.Second || !slices.Equal(c.concurrency, intList{1, 16, 128}) || !slices.Equal(c.capacity, intList{1000, 10000}) {
				t.Errorf("defaults = %+v", c)
			}
			if c.flags["runs"] != "4" || c.flags["capacity"] != "1000,10000" {
				t.Errorf("flags for the report = %v", c.flags)
			}
		}},
		{name: "quick", args: []string{"-quick"}, check: func(t *testing.T, c config) {
			if c.runs != 2 || c.loadDuration != time.Second || !slices.Equal(c.capacity, intList{200}) || !slices.Equal(c.concurrency, intList{1, 8}) {
				t.Errorf("-quick = %+v", c)
			}
		}},
		{name: "quick keeps what is set", args: []string{"-quick", "-runs", "1", "-capacity", "300"}, check: func(t *testing.T, c config) {
			if c.runs != 1 || !slices.Equal(c.capacity, intList{300}) {
				t.Errorf("-quick -runs 1 -capacity 300 = runs %d, capacity %v", c.runs, c.capacity)
			}
		}},
		{name: "lists", args: []string{"-concurrency", "2, 4", "-capacity", "50"}, check: func(t *testing.T, c config) {
			if !slices.Equal(c.concurrency, intList{2, 4}) || !slices.Equal(c.capacity, intList{50}) {
				t.Errorf("lists = %v, %v", c.concurrency, c.capacity)
			}
		}},
		{name: "live defaults", check: func(t *testing.T, c config) {
			if c.noLive || c.liveOnly || c.liveConns != 20000 || c.liveFanout != 10000 || c.livePubs != 250 {
				t.Errorf("live defaults = no %v, only %v, conns %d, fan-out %d, pubs %d", c.noLive, c.liveOnly, c.liveConns, c.liveFanout, c.livePubs)
			}
		}},
		{name: "quick live", args: []string{"-quick", "-live-only", "-live-conns", "500"}, check: func(t *testing.T, c config) {
			if !c.liveOnly || c.liveConns != 500 || c.liveFanout != 100 || c.livePubs != 20 {
				t.Errorf("-quick -live-only -live-conns 500 = only %v, conns %d, fan-out %d, pubs %d", c.liveOnly, c.liveConns, c.liveFanout, c.livePubs)
			}
		}},
		{name: "live cluster defaults", check: func(t *testing.T, c config) {
			if c.noLiveCluster || c.liveClusterSubs != 20000 || c.liveStorm != 10000 || c.liveStormGap != 2*time.Second {
				t.Errorf("live cluster defaults = no %v, subscribers %d, storm %d, gap %v", c.noLiveCluster, c.liveClusterSubs, c.liveStorm, c.liveStormGap)
			}
		}},
		{name: "quick live cluster", args: []string{"-quick", "-live-storm", "1000", "-no-live-cluster"}, check: func(t *testing.T, c config) {
			if !c.noLiveCluster || c.liveClusterSubs != 300 || c.liveStorm != 1000 {
				t.Errorf("-quick -live-storm 1000 -no-live-cluster = no %v, subscribers %d, storm %d", c.noLiveCluster, c.liveClusterSubs, c.liveStorm)
			}
		}},
		{name: "cache defaults", check: func(t *testing.T, c config) {
			if c.noCache || c.cacheOnly || c.cacheRounds != 3 || c.cacheRound != 2*time.Second || c.cacheHerd != 1000 || c.cachePubs != 200 {
				t.Errorf("cache defaults = no %v, only %v, rounds %d of %v, herd %d, pubs %d", c.noCache, c.cacheOnly, c.cacheRounds, c.cacheRound, c.cacheHerd, c.cachePubs)
			}
		}},
		{name: "quick cache", args: []string{"-quick", "-cache-only", "-cache-herd", "1000"}, check: func(t *testing.T, c config) {
			if !c.cacheOnly || c.cacheRounds != 1 || c.cacheRound != 500*time.Millisecond || c.cacheHerd != 1000 || c.cachePubs != 20 {
				t.Errorf("-quick -cache-only -cache-herd 1000 = only %v, rounds %d of %v, herd %d, pubs %d", c.cacheOnly, c.cacheRounds, c.cacheRound, c.cacheHerd, c.cachePubs)
			}
		}},
		{name: "cache only and no cache", args: []string{"-cache-only", "-no-cache"}, wantErr: "pick one"},
		{name: "cache only and live only", args: []string{"-cache-only", "-live-only"}, wantErr: "pick one"},
		{name: "zero cache herd", args: []string{"-cache-herd", "0"}, wantErr: "-cache-herd 0"},
		{name: "zero storm", args: []string{"-live-storm", "0"}, wantErr: "-live-storm 0"},
		{name: "negative storm gap", args: []string{"-live-storm-gap", "-1s"}, wantErr: "-live-storm-gap -1s"},
		{name: "live only and no live", args: []string{"-live-only", "-no-live"}, wantErr: "pick one"},
		{name: "live only and front only", args: []string{"-live-only", "-front-only"}, wantErr: "pick one"},
		{name: "zero live conns", args: []string{"-live-conns", "0"}, wantErr: "-live-conns 0"},
		{name: "zero runs", args: []string{"-runs", "0"}, wantErr: "-runs 0"},
		{name: "bad concurrency", args: []string{"-concurrency", "1,0"}, wantErr: "not a positive whole number"},
		{name: "https url", args: []string{"-url", "https://example.com"}, wantErr: "want http://host:port"},
		{name: "arguments", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
