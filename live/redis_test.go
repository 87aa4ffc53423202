package live_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
)

// The Redis broker's tests: several engines (instances of one site, each
// its own HTTP server) on real redis-servers started per test.

// TestRedisFanOut: a publication made through one instance reaches a
// client connected to another, state and stream alike, and the other
// instance accepts the first one's token (the shared secret).
func TestRedisFanOut(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a := newFixture(t, live.WithRedis(r.URL))
	b := newFixture(t, live.WithRedis(r.URL))
	ctx := context.Background()

	s := b.dialSSE(t, connectCmd(t, a.token(t, "scores", "comments:x"), nil))
	s.connected(t)
	if err := a.scores.Publish(ctx, "scores", "<p>1 – 0</p>"); err != nil {
		t.Fatal(err)
	}
	if ch, p := s.nextPub(t, 5*time.Second); ch != "scores" || p.content(t) != "<p>1 – 0</p>" || p.Offset != 1 {
		t.Errorf("got %q at %d on %q, want the score at 1 on scores", p.content(t), p.Offset, ch)
	}
	for i := range 3 {
		if err := a.comments.Publish(ctx, "comments:x", fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if ch, p := s.nextPub(t, 5*time.Second); ch != "comments:x" || p.content(t) != fmt.Sprint("c", i) {
			t.Errorf("item %d: %q on %q", i, p.content(t), ch)
		}
	}
	// Both instances read the same position: the one in Redis.
	pa, err := a.eng.Position(ctx, "comments:x")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.eng.Position(ctx, "comments:x")
	if err != nil {
		t.Fatal(err)
	}
	if pa != pb || pa.Offset != 3 {
		t.Errorf("positions: A %+v, B %+v; want the same, offset 3", pa, pb)
	}
}

// TestRedisRecoveryAcrossInstances: a page rendered by instance A (its
// position read there) whose client connects to B recovers what was
// published in between, on either instance; so does a client that was
// connected to A and reconnects to B. No sticky sessions are needed.
func TestRedisRecoveryAcrossInstances(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a := newFixture(t, live.WithRedis(r.URL))
	b := newFixture(t, live.WithRedis(r.URL))
	ctx := context.Background()
	const ch = "comments:story"

	pos, err := a.eng.Position(ctx, ch) // the render, on A
	if err != nil {
		t.Fatal(err)
	}
	if err := a.comments.Publish(ctx, ch, "one"); err != nil {
		t.Fatal(err)
	}
	if err := b.comments.Publish(ctx, ch, "two"); err != nil {
		t.Fatal(err)
	}
	s := b.dialSSE(t, connectCmd(t, a.token(t, ch), fmtSubs(ch, pos.Offset, pos.Epoch)))
	sub := s.connected(t).Subs[ch]
	if got := contents(t, sub.Publications); !sub.Recovered || !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("on B from A's position: recovered %v, %q; want one, two", sub.Recovered, got)
	}
	s.close()

	// Connected to A, then away while both publish, then back on B.
	s = a.dialSSE(t, connectCmd(t, a.token(t, ch), fmtSubs(ch, 2, pos.Epoch)))
	s.connected(t)
	if err := b.comments.Publish(ctx, ch, "three"); err != nil {
		t.Fatal(err)
	}
	_, p := s.nextPub(t, 5*time.Second)
	s.close()
	for _, v := range []string{"four", "five"} {
		if err := a.comments.Publish(ctx, ch, v); err != nil {
			t.Fatal(err)
		}
	}
	s = b.dialSSE(t, connectCmd(t, a.token(t, ch), fmtSubs(ch, p.Offset, pos.Epoch)))
	sub = s.connected(t).Subs[ch]
	if got := contents(t, sub.Publications); !sub.Recovered || !slices.Equal(got, []string{"four", "five"}) {
		t.Fatalf("reconnected to B from offset %d: recovered %v, %q; want four, five", p.Offset, sub.Recovered, got)
	}
}

// contents are the publications' contents, in order.
func contents(t *testing.T, pubs []publication) []string {
	t.Helper()
	var out []string
	for _, p := range pubs {
		out = append(out, p.content(t))
	}
	return out
}

// TestRedisShards: with two Redis servers, channels are spread over both,
// each on the one ShardOf names, and publications on every channel reach
// clients of the other instance.
func TestRedisShards(t *testing.T) {
	checkLeaks(t)
	r0, r1 := redistest.Start(t), redistest.Start(t)
	a := newFixture(t, live.WithRedis(r0.URL, r1.URL))
	b := newFixture(t, live.WithRedis(r0.URL, r1.URL))
	ctx := context.Background()

	var channels []string
	for i := range 16 {
		channels = append(channels, fmt.Sprint("comments:", i))
	}
	s := b.dialSSE(t, connectCmd(t, a.token(t, channels...), nil))
	s.connected(t)
	for _, ch := range channels {
		if err := a.comments.Publish(ctx, ch, ch); err != nil {
			t.Fatal(err)
		}
	}
	got := make(map[string]bool)
	for range channels {
		ch, p := s.nextPub(t, 5*time.Second)
		if p.content(t) != ch || got[ch] {
			t.Errorf("on %q: %q (seen already: %v)", ch, p.content(t), got[ch])
		}
		got[ch] = true
	}

	// Each shard also holds a channel of the engine's health probe.
	servers := []*redistest.Server{r0, r1}
	on := make([][]string, 2)
	n := 0
	for i, r := range servers {
		for key := range strings.SplitSeq(r.Do(t, "KEYS", "centrifuge.stream.meta.*"), "\n") {
			ch, ok := strings.CutPrefix(key, "centrifuge.stream.meta.")
			if !ok {
				continue
			}
			if want := live.ShardOf(ch, 2); want != i {
				t.Errorf("%q is on shard %d, ShardOf says %d", ch, i, want)
			}
			if strings.HasPrefix(ch, "comments:") {
				on[i] = append(on[i], ch)
				n++
			}
		}
	}
	if len(on[0]) == 0 || len(on[1]) == 0 || n != len(channels) {
		t.Fatalf("channels' positions: %q on shard 0, %q on shard 1; want all %d spread over both", on[0], on[1], len(channels))
	}
}

// TestWithRedisRefused: New refuses Redis without a shared secret and a URL
// it cannot use (naming it, its passwords hidden). A Redis it cannot reach
// is not refused: TestRedisDownAtStart.
func TestWithRedisRefused(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		name   string
		opts   []live.Option
		want   string
		hidden string // must not appear in the error
	}{
		{"no secret", []live.Option{live.WithRedis("redis://127.0.0.1:6379/0")}, "WithRedis needs WithSecret", ""},
		{"other scheme", []live.Option{live.WithRedis("http://127.0.0.1:6379")}, `"http://127.0.0.1:6379": the scheme must be redis://`, ""},
		{"no port", []live.Option{live.WithRedis("redis://localhost/0")}, `"redis://localhost/0": it needs a host and a port`, ""},
		{"bad db", []live.Option{live.WithRedis("redis://:hunter2@127.0.0.1:6379/zero")}, "the path must be a database number", "hunter2"},
		{"query", []live.Option{live.WithRedis("redis://127.0.0.1:6379/0?protocol=3")}, "no query", ""},
		{"not a URL", []live.Option{live.WithRedis("redis://:hunter2@[::1")}, "is not a URL", "hunter2"},
		{"second of two bad", []live.Option{live.WithRedis("redis://127.0.0.1:6379/0", "redis:///1")}, `"redis:///1"`, ""},
		{"sentinel without master", []live.Option{live.WithRedis("redis+sentinel://127.0.0.1:26379")}, "it needs sentinel_master_name", ""},
		{"sentinel bad addr", []live.Option{live.WithRedis("redis+sentinel://127.0.0.1:26379?sentinel_master_name=m&addr=s2")}, "addr: it needs a host and a port", ""},
		{"sentinel unknown parameter", []live.Option{live.WithRedis("redis+sentinel://127.0.0.1:26379?sentinel_master_name=m&sentinel_password=hunter2&db=1")},
			"unknown parameter db", "hunter2"},
		{"rediss", []live.Option{live.WithRedis("rediss://127.0.0.1:6379")}, "the scheme must be redis:// or redis+sentinel://", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.name != "no secret" {
				opts = append([]live.Option{live.WithSecret(testSecret)}, opts...)
			}
			eng, err := live.New(siteAssets(t), opts...)
			if err == nil {
				_ = eng.Close(context.Background())
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || tc.hidden != "" && strings.Contains(err.Error(), tc.hidden) {
				t.Errorf("error %q, want it to say %q (and not %q)", err, tc.want, tc.hidden)
			}
		})
	}
}

// TestShardOf: one shard holds everything; with several, every shard gets
// some channels and a channel always maps to the same one.
func TestShardOf(t *testing.T) {
	if got := live.ShardOf("scores", 1); got != 0 {
		t.Errorf("ShardOf(scores, 1) = %d", got)
	}
	seen := make(map[int]int)
	for i := range 300 {
		ch := fmt.Sprint("comments:", i)
		s := live.ShardOf(ch, 3)
		if s < 0 || s >= 3 || live.ShardOf(ch, 3) != s {
			t.Fatalf("ShardOf(%q, 3) = %d", ch, s)
		}
		seen[s]++
	}
	for s := range 3 {
		if seen[s] < 60 {
			t.Errorf("shard %d holds %d of 300 channels", s, seen[s])
		}
	}
}
