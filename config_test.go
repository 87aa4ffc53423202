package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLiveFlags checks what the live flags and their environment variable
// set.
func TestLiveFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     string // BIGPIPE_LIVE_SECRET
		args    []string
		secret  string
		origins []string
		sim     bool
	}{
		{"defaults", "", nil, "", nil, true},
		{"secret from env", "from-env", nil, "from-env", nil, true},
		{"flag over env", "from-env", []string{"-live-secret", "from-flag"}, "from-flag", nil, true},
		{"sim off", "", []string{"-live-sim=false"}, "", nil, false},
		{"origins", "", []string{"-live-origins", " https://news.example, http://localhost:3000/ ,"}, "", []string{"https://news.example", "http://localhost:3000"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BIGPIPE_LIVE_SECRET", tc.env)
			c, err := parseFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.liveSecret != tc.secret || !slices.Equal(c.liveOrigins, tc.origins) || c.liveSim != tc.sim {
				t.Errorf("secret %q, origins %q, sim %v; want %q, %q, %v", c.liveSecret, c.liveOrigins, c.liveSim, tc.secret, tc.origins, tc.sim)
			}
		})
	}
	for _, args := range [][]string{{"-live-origins", "news.example"}, {"-live-origins", "ftp://news.example"}, {"-live-origins", "https://news.example/path"}, {"-live-sim=maybe"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags %q: no error", args)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-latency", "finance=fast"}, {"-nope"}, {"-log-level", "loud"}, {"-log-repeat", "-1s"}, {"-pagelet-timeout", "0s"}, {"-tls-cert", "c.pem"}, {"stray"}, {"-early-hints", "sometimes"},
		{"-max-fetches", "-1"}, {"-max-pages", "-1"}, {"-max-posts", "-1"}, {"-live-max-conns", "-1"}, {"-fetch-queue", "-1"}, {"-page-fetches", "-1"}, {"-drain", "-1s"}, {"-page-timeout", "soon"},
		{"-live-drain-window", "-1s"}, {"-live-drain-window", "soon"}, {"-redis", "redis://127.0.0.1:6379/0"},
		{"-otlp", "127.0.0.1:4318"}, {"-otlp", "grpc://127.0.0.1:4317"},
		{"-cache-entries", "0"}, {"-cache-bytes", "-1"}, {"-cache-bytes", "64MiB"}, {"-cache=maybe"}} {
		if err := run(context.Background(), args, nil); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}

// TestCacheFlags: the pagelet cache is on by default, bounded by
// cache.DefaultMaxEntries and DefaultMaxBytes; -cache=false turns it off.
func TestCacheFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		on      bool
		entries int
		bytes   int64
	}{
		{nil, true, 10_000, 64 << 20},
		{[]string{"-cache=false"}, false, 10_000, 64 << 20},
		{[]string{"-cache-entries", "500", "-cache-bytes", "1048576"}, true, 500, 1 << 20},
	} {
		c, err := parseFlags(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if c.cache != tc.on || c.cacheEntries != tc.entries || c.cacheBytes != tc.bytes {
			t.Errorf("%q: cache %v, %d entries, %d bytes; want %v, %d, %d", tc.args, c.cache, c.cacheEntries, c.cacheBytes, tc.on, tc.entries, tc.bytes)
		}
	}
}

// TestRedisFlags: -redis and -live-drain-window, and their environment
// variables.
func TestRedisFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		redis   []string
		window  time.Duration
		wantErr string
	}{
		{name: "defaults", window: 5 * time.Second},
		{name: "flags", args: []string{"-redis", "redis://a:1/0, redis://b:2/0", "-live-secret", "s", "-live-drain-window", "2s"},
			redis: []string{"redis://a:1/0", "redis://b:2/0"}, window: 2 * time.Second},
		{name: "env", env: map[string]string{"BIGPIPE_REDIS": "redis://a:1/0", "BIGPIPE_LIVE_SECRET": "s", "BIGPIPE_LIVE_DRAIN_WINDOW": "1500ms"},
			redis: []string{"redis://a:1/0"}, window: 1500 * time.Millisecond},
		{name: "flag over env", env: map[string]string{"BIGPIPE_LIVE_DRAIN_WINDOW": "1s"}, args: []string{"-live-drain-window", "0"}},
		{name: "no secret", args: []string{"-redis", "redis://a:1/0"}, wantErr: "-redis needs -live-secret (or BIGPIPE_LIVE_SECRET), the same on every instance"},
		{name: "sentinel", args: []string{"-redis", "redis+sentinel://:pw@s1:26379/0?sentinel_master_name=news&addr=s2:26379&addr=s3:26379", "-live-secret", "s"},
			redis: []string{"redis+sentinel://:pw@s1:26379/0?sentinel_master_name=news&addr=s2:26379&addr=s3:26379"}, window: 5 * time.Second},
		{name: "sentinel without master", args: []string{"-redis", "redis+sentinel://s1:26379", "-live-secret", "s"}, wantErr: "-redis: live: WithRedis: \"redis+sentinel://s1:26379\": it needs sentinel_master_name"},
		{name: "bad URL", args: []string{"-redis", "redis://a/0", "-live-secret", "s"}, wantErr: "it needs a host and a port"},
		{name: "no secret, env", env: map[string]string{"BIGPIPE_REDIS": "redis://a:1/0"}, wantErr: "comment form's CSRF key derives from it too"},
		{name: "bad env window", env: map[string]string{"BIGPIPE_LIVE_DRAIN_WINDOW": "soon"}, wantErr: "BIGPIPE_LIVE_DRAIN_WINDOW"},
		{name: "negative window", args: []string{"-live-drain-window", "-1s"}, wantErr: "-live-drain-window cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"BIGPIPE_REDIS", "BIGPIPE_LIVE_SECRET", "BIGPIPE_LIVE_DRAIN_WINDOW"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.redis, tc.redis) || c.liveDrainWindow != tc.window {
				t.Errorf("redis %q, window %v; want %q, %v", c.redis, c.liveDrainWindow, tc.redis, tc.window)
			}
		})
	}
}

func TestParseEditors(t *testing.T) {
	c, err := parseFlags([]string{"-editors", " Ada, bob ,,Carol_1"})
	if err != nil || strings.Join(c.editors, ",") != "ada,bob,carol_1" {
		t.Errorf("-editors = %q, %v; want ada,bob,carol_1", c.editors, err)
	}
	for _, bad := range []string{"a b", "al", "ädam", "x<y>z"} {
		if _, err := parseFlags([]string{"-editors", bad}); err == nil || !strings.Contains(err.Error(), "-editors") {
			t.Errorf("-editors %q: err = %v; want a refusal", bad, err)
		}
	}
}
