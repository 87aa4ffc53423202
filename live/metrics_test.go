package live_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestMetrics checks what /metrics shows (promhttp on the registry given
// with WithRegistry): centrifuge's own metrics beside the engine's, with
// connections by transport, publications by kind, deliveries, refusals and
// recoveries.
func TestMetrics(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := context.Background()
	metrics := httptest.NewServer(promhttp.HandlerFor(f.reg, promhttp.HandlerOpts{}))
	t.Cleanup(metrics.Close)

	s := f.dialSSE(t, connectCmd(t, f.token(t, "scores", "comments:a"), nil))
	if ping := s.connected(t).Ping; ping != 20 {
		t.Errorf("SSE ping every %d s, want 20 (under a proxy's 60 s idle timeout)", ping)
	}
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, connectCmd(t, f.token(t, "scores"), nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := wsRead(t, c, 5*time.Second); err != nil || r.Connect == nil || r.Connect.Ping != 20 {
		t.Fatalf("connect: %s %v; want a ping every 20 s", r.Raw, err)
	}
	pos, err := f.eng.Position(ctx, "scores")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.scores.Publish(ctx, "scores", "1–0"); err != nil {
		t.Fatal(err)
	}
	if err := f.comments.Publish(ctx, "comments:a", "first"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s.nextPub(t, 5*time.Second)
	}
	if _, err := wsRead(t, c, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	f.dialSSE(t, connectCmd(t, "forged", nil)).next(t, 5*time.Second)
	// A page that connects from before the publication recovers it.
	rec := f.dialSSE(t, connectCmd(t, f.token(t, "scores"), fmtSubs("scores", pos.Offset, pos.Epoch)))
	if sub := rec.connected(t).Subs["scores"]; !sub.Recovered {
		t.Fatalf("not recovered: %+v", sub)
	}
	rec.close()
	waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "sse"}, 1, 5*time.Second)

	res, err := metrics.Client().Get(metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	page := string(body)
	for _, want := range []string{
		`bigpipe_live_connections{transport="sse"} 1`, // the forged one ended as it was refused
		`bigpipe_live_connections{transport="websocket"} 1`,
		`bigpipe_live_publications_total{kind="state"} 1`,
		`bigpipe_live_publications_total{kind="stream"} 1`,
		`bigpipe_live_deliveries_total{kind="state"} 2`,
		`bigpipe_live_deliveries_total{kind="stream"} 1`,
		`bigpipe_live_publish_seconds_count{kind="state"} 1`,
		`bigpipe_live_publish_to_write_seconds_count 3`, // scores to two clients, a comment to one
		`bigpipe_live_refused_total{reason="token_invalid"} 1`,
		`bigpipe_live_slow_disconnects_total 0`,
		`centrifuge_client_recover{channel_namespace="",has_recovered_publications="yes",recovered="yes"} 1`,
		"centrifuge_node_num_clients",
		"centrifuge_node_num_subscriptions",
		"centrifuge_transport_messages_sent",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("/metrics:\n%s", grepLines(page, "bigpipe_live_", "centrifuge_"))
	}
}

// grepLines returns the lines of s that start with one of prefixes.
func grepLines(s string, prefixes ...string) string {
	var out []string
	for line := range strings.Lines(s) {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "")
}
