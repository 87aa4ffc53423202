package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/render"
)

// signer is an engine that is not served, only used to sign tokens the
// served one must judge: with another secret (a forgery), an expiry in
// the past, or a larger channel limit.
func signer(t *testing.T, opts ...live.Option) *live.Engine {
	t.Helper()
	eng, err := live.New(siteAssets(t), append([]live.Option{live.WithLogger(nil)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	live.State(eng, "scores", raw)
	live.Stream(eng, "comments:", raw)
	t.Cleanup(func() {
		if err := eng.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return eng
}

func signed(t *testing.T, eng *live.Engine, channels ...string) string {
	t.Helper()
	tok, err := eng.Token(channels...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// refusal is how a connect is refused: a disconnect (its code in the SSE
// stream, or the WebSocket close code) or a reply error (a client that can
// send commands may ask again, as with a fresh token after 109).
type refusal struct {
	disconnect uint32
	replyError uint32
}

// tokenCases are connects the engine must refuse, each with how over SSE
// and over WebSocket.
func tokenCases(t *testing.T, f *fixture) []struct {
	name    string
	cmd     []byte
	sse, ws refusal
	reason  string // bigpipe_live_refused_total's label
} {
	forger := signer(t, live.WithSecret([]byte("another secret")))
	past := signer(t, live.WithSecret(testSecret), live.WithTokenTTL(-time.Minute))
	wide := signer(t, live.WithSecret(testSecret), live.WithLimits(live.Limits{ChannelsPerConnection: 100}))
	good := f.token(t, "scores")
	payload, _, _ := strings.Cut(good, ".")
	_, sig, _ := strings.Cut(signed(t, forger, "scores", "comments:a"), ".")
	var many []string
	for i := range 33 {
		many = append(many, fmt.Sprintf("comments:%d", i))
	}
	scores := fmtSubs("scores", 0, "")
	invalid := refusal{disconnect: 3500}
	return []struct {
		name    string
		cmd     []byte
		sse, ws refusal
		reason  string
	}{
		{"forged signature", connectCmd(t, signed(t, forger, "scores"), scores), invalid, invalid, "token_invalid"},
		{"claims of one token, signature of another", connectCmd(t, payload+"."+sig, scores), invalid, invalid, "token_invalid"},
		{"signature stripped", connectCmd(t, payload+".", scores), invalid, invalid, "token_invalid"},
		{"no token", connectCmd(t, "", scores), invalid, invalid, "token_invalid"},
		{"garbage", connectCmd(t, "garbage", scores), invalid, invalid, "token_invalid"},
		{"not base64", connectCmd(t, "!!!.???", scores), invalid, invalid, "token_invalid"},
		{"huge", connectCmd(t, strings.Repeat("a", 20000)+"."+strings.Repeat("b", 43), scores), invalid, invalid, "token_invalid"},
		{"expired", connectCmd(t, signed(t, past, "scores"), scores), refusal{disconnect: 3005}, refusal{replyError: 109}, "token_expired"},
		{"token for other channels", connectCmd(t, f.token(t, "comments:a"), scores), refusal{disconnect: 3507}, refusal{replyError: 103}, "not_granted"},
		{"a channel not granted", connectCmd(t, good, map[string]sub{"scores": {}, "comments:a": {}}), refusal{disconnect: 3507}, refusal{replyError: 103}, "not_granted"},
		{"more channels than the limit", connectCmd(t, signed(t, wide, many...), nil), refusal{disconnect: 3505}, refusal{disconnect: 3505}, "channel_limit"},
	}
}

// TestTokenRefusedSSE checks that every bad token or channel request is
// refused over SSE with its disconnect code in the stream, which then
// ends at once (it does not hold the connection until a timeout).
func TestTokenRefusedSSE(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	for _, tc := range tokenCases(t, f) {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": tc.reason})
			s := f.dialSSE(t, tc.cmd)
			if s.res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", s.res.StatusCode)
			}
			r, ok := s.next(t, 5*time.Second)
			if !ok || r.Push == nil || r.Push.Disconnect == nil {
				t.Fatalf("want a disconnect, got %s (stream open: %v)", r.Raw, ok)
			}
			if got := r.Push.Disconnect.Code; got != tc.sse.disconnect {
				t.Errorf("disconnect code %d (%s), want %d", got, r.Push.Disconnect.Reason, tc.sse.disconnect)
			}
			s.ended(t, 2*time.Second)
			if after, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": tc.reason}); after != before+1 {
				t.Errorf("refused{reason=%q} went from %v to %v, want one more", tc.reason, before, after)
			}
		})
	}
	// The engine still serves a good connect after all that.
	f.dialSSE(t, connectCmd(t, f.token(t, "scores"), nil)).connected(t)
}

// TestTokenRefusedWebSocket checks the same refusals over WebSocket: a
// disconnect is the close frame's code; a reply error is the connect's
// reply, after which the connection is good for nothing else.
func TestTokenRefusedWebSocket(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	for _, tc := range tokenCases(t, f) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // some wait for the server to close
			c, _, err := f.dialWS(t, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(websocket.TextMessage, tc.cmd); err != nil {
				t.Fatal(err)
			}
			r, err := wsRead(t, c, 5*time.Second)
			switch {
			case tc.ws.disconnect != 0:
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("want close %d, got reply %s, err %v", tc.ws.disconnect, r.Raw, err)
				}
				if ce.Code != int(tc.ws.disconnect) {
					t.Errorf("close code %d (%s), want %d", ce.Code, ce.Text, tc.ws.disconnect)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if r.ID != 1 || r.Error == nil || r.Error.Code != tc.ws.replyError {
					t.Fatalf("want reply error %d to the connect, got %s", tc.ws.replyError, r.Raw)
				}
				// A client closes the connection then; a hostile one that
				// goes on gets no answer (the server reads no more commands)
				// and is closed by the server after centrifuge's close-frame
				// wait (5 s).
				if err := c.WriteMessage(websocket.TextMessage, []byte(`{"id":2,"subscribe":{"channel":"scores"}}`)); err != nil {
					t.Fatal(err)
				}
				if r, err := wsRead(t, c, 8*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("a command after the refusal: %s, %v; want the connection closed", r.Raw, err)
				}
			}
		})
	}
}

// TestClientSubscribeRefused checks that a connected client cannot add a
// channel its token did not grant by a subscribe command of its own.
func TestClientSubscribeRefused(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, connectCmd(t, f.token(t, "scores"), nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := wsRead(t, c, 5*time.Second); err != nil || r.Connect == nil {
		t.Fatalf("connect: %s, %v", r.Raw, err)
	}
	for i, ch := range []string{"comments:secret", "scores"} {
		cmd := fmt.Sprintf(`{"id":%d,"subscribe":{"channel":%q}}`, i+2, ch)
		if err := c.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
			t.Fatal(err)
		}
		r, err := wsRead(t, c, 5*time.Second)
		if err != nil {
			t.Fatalf("subscribe %q: %v", ch, err)
		}
		if r.Error == nil {
			t.Errorf("subscribe %q accepted: %s", ch, r.Raw)
		}
	}
}

// TestOrigin checks the WebSocket upgrade's Origin check: another site's
// page is refused with 403; the same host, an allowed origin, or no Origin
// at all (not a browser) is accepted.
func TestOrigin(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t, live.WithOrigins("https://app.example"))
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"", http.StatusSwitchingProtocols},
		{"http://" + host, http.StatusSwitchingProtocols},
		{"https://app.example", http.StatusSwitchingProtocols},
		{"HTTPS://APP.EXAMPLE", http.StatusSwitchingProtocols},
		{"https://evil.example", http.StatusForbidden},
		{"https://app.example.evil.example", http.StatusForbidden},
		{"http://evil@" + host, http.StatusForbidden},
		{"http://" + host + ".evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			before, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": "origin"})
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, res, err := f.dialWS(t, h)
			if res == nil {
				t.Fatalf("no response: %v", err)
			}
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d (%v)", res.StatusCode, tc.want, err)
			}
			after, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": "origin"})
			if c == nil {
				if after != before+1 {
					t.Errorf("refused{reason=origin} %v → %v, want one more", before, after)
				}
				return
			}
			// Accepted: it connects and is subscribed.
			if err := c.WriteMessage(websocket.TextMessage, connectCmd(t, f.token(t, "scores"), nil)); err != nil {
				t.Fatal(err)
			}
			if r, err := wsRead(t, c, 5*time.Second); err != nil || r.Connect == nil || r.Connect.Subs["scores"].Epoch == "" {
				t.Fatalf("connect: %s, %v", r.Raw, err)
			}
		})
	}
}

// TestOversized checks that what a client sends over Limits.MessageSize is
// refused cleanly, and that a publication over it is not published.
func TestOversized(t *testing.T) {
	checkLeaks(t)
	const limit = 4096
	f := newFixture(t, live.WithLimits(live.Limits{MessageSize: limit}))
	big := connectCmd(t, f.token(t, "scores"), map[string]sub{"scores": {Epoch: strings.Repeat("x", limit)}})

	t.Run("WebSocket frame", func(t *testing.T) {
		c, _, err := f.dialWS(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMessage(websocket.TextMessage, big); err != nil {
			t.Fatal(err)
		}
		var ce *websocket.CloseError
		if r, err := wsRead(t, c, 5*time.Second); !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Fatalf("got %s, %v; want close %d (message too big)", r.Raw, err, websocket.CloseMessageTooBig)
		}
	})
	t.Run("SSE cf_connect", func(t *testing.T) {
		s := f.dialSSE(t, big)
		if s.res.StatusCode == http.StatusOK {
			r, ok := s.next(t, 5*time.Second)
			if !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 3501 {
				t.Fatalf("got %s (open %v), want disconnect 3501 (bad request)", r.Raw, ok)
			}
			s.ended(t, 2*time.Second)
		} else if s.res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", s.res.StatusCode)
		}
	})
	t.Run("SSE POST body", func(t *testing.T) {
		res, err := f.srv.Client().Post(f.srv.URL+f.eng.Path()+"sse", "application/json", strings.NewReader(string(big)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", res.StatusCode)
		}
	})
	t.Run("Publish", func(t *testing.T) {
		ctx := context.Background()
		before, err := f.eng.Position(ctx, "scores")
		if err != nil {
			t.Fatal(err)
		}
		s := f.dialSSE(t, connectCmd(t, f.token(t, "scores"), nil))
		s.connected(t)
		err = f.scores.Publish(ctx, "scores", strings.Repeat("<b>x</b>", limit/8))
		if !errors.Is(err, live.ErrTooLarge) {
			t.Fatalf("Publish over the limit: %v, want ErrTooLarge", err)
		}
		after, err := f.eng.Position(ctx, "scores")
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("position moved from %+v to %+v: something was published", before, after)
		}
		if v, _ := metric(t, f.reg, "bigpipe_live_publications_total", map[string]string{"kind": "state"}); v != 0 {
			t.Errorf("publications counted: %v", v)
		}
		// The next publication within the limit is the first the client sees.
		if err := f.scores.Publish(ctx, "scores", "small"); err != nil {
			t.Fatal(err)
		}
		if _, pub := s.nextPub(t, 5*time.Second); pub.content(t) != "small" || pub.Offset != before.Offset+1 {
			t.Errorf("got %s at offset %d", pub.Data, pub.Offset)
		}
	})
}

// TestConnectionsPerAddress checks the per-address bound: over it, 429
// with a message; a connection that ends gives its slot back.
func TestConnectionsPerAddress(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t, live.WithLimits(live.Limits{ConnectionsPerAddress: 2}))
	cmd := connectCmd(t, f.token(t, "scores"), nil)
	a := f.dialSSE(t, cmd)
	a.connected(t)
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{"sse", "ws"} {
		res, err := f.srv.Client().Get(f.srv.URL + f.eng.Path() + transport + "?cf_connect=" + url.QueryEscape(string(cmd)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "too many live connections") || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: a third connection got %d %q (Retry-After %q), want 429 with a message and Retry-After", transport, res.StatusCode, body, res.Header.Get("Retry-After"))
		}
	}
	if v, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": "address_limit"}); v != 2 {
		t.Errorf("refused{reason=address_limit} = %v, want 2", v)
	}
	// The client script is not a connection: it is always served.
	g, err := f.eng.Grant(context.Background(), []string{"scores"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.srv.Client().Get(f.srv.URL + g.Script); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("client script: %v %v", res, err)
	} else {
		_ = res.Body.Close()
	}
	// A WebSocket holds its slot after the upgrade, while it is open, and
	// closing it frees the slot.
	if v, _ := metric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "websocket"}); v != 1 {
		t.Errorf("connections{transport=websocket} = %v with one open", v)
	}
	_ = c.Close()
	waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "websocket"}, 0, 5*time.Second)
	f.dialSSE(t, cmd).connected(t)
}

// TestConnectionsBound checks the engine-wide bound: over it, 503 with
// Retry-After whatever the address, counted as refused for capacity; a
// connection that ends gives its place back.
func TestConnectionsBound(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t, live.WithLimits(live.Limits{Connections: 1}))
	cmd := connectCmd(t, f.token(t, "scores"), nil)
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{"sse", "ws"} {
		res, err := f.srv.Client().Get(f.srv.URL + f.eng.Path() + transport + "?cf_connect=" + url.QueryEscape(string(cmd)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "at capacity") {
			t.Errorf("%s: a second connection got %d, Retry-After %q, %q; want 503 with Retry-After and a message",
				transport, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	if v, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": "capacity"}); v != 2 {
		t.Errorf("refused{reason=capacity} = %v, want 2", v)
	}
	_ = c.Close()
	waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "websocket"}, 0, 5*time.Second)
	f.dialSSE(t, cmd).connected(t)
}

// TestSlowClient checks that a client that stops reading (over SSE or
// WebSocket) is disconnected once Limits.QueueSize bytes wait for it,
// without delaying a normal subscriber's deliveries, and is counted.
func TestSlowClient(t *testing.T) {
	checkLeaks(t)
	// The slow client's socket has a small receive buffer, so that what
	// waits for it fills the server's queue soon.
	small := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	for _, tc := range []struct {
		transport string
		// dial connects the slow client, which then never reads; it
		// returns its connection.
		dial func(t *testing.T, f *fixture, cmd []byte) net.Conn
	}{
		{"sse", func(t *testing.T, f *fixture, cmd []byte) net.Conn {
			conn, err := small.Dial("tcp", f.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = conn.Close() })
			fmt.Fprintf(conn, "GET %ssse?cf_connect=%s HTTP/1.1\r\nHost: %s\r\n\r\n", f.eng.Path(), url.QueryEscape(string(cmd)), f.srv.Listener.Addr())
			return conn
		}},
		{"websocket", func(t *testing.T, f *fixture, cmd []byte) net.Conn {
			d := websocket.Dialer{NetDialContext: small.DialContext, Subprotocols: []string{"centrifuge-json"}}
			c, _, err := d.Dial(f.wsURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			if err := c.WriteMessage(websocket.TextMessage, cmd); err != nil {
				t.Fatal(err)
			}
			return c.NetConn()
		}},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			f := newFixture(t, live.WithLimits(live.Limits{QueueSize: 64 << 10}))
			cmd := connectCmd(t, f.token(t, "scores"), nil)
			normal := f.dialSSE(t, cmd)
			normal.connected(t)
			conn := tc.dial(t, f, cmd)
			waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": tc.transport}, map[bool]float64{true: 2, false: 1}[tc.transport == "sse"], 5*time.Second)
			// Connected is not subscribed yet: a WebSocket's connect command
			// runs off its read loop. Publications before the subscription
			// would pass the slow client by.
			for deadline := time.Now().Add(5 * time.Second); f.eng.Node().Hub().NumSubscribers("scores") < 2; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("slow client not subscribed after 5 s (%d subscribers)", f.eng.Node().Hub().NumSubscribers("scores"))
				}
			}

			// Publish until the slow one is disconnected, or until far more
			// than its socket's buffers and its queue can hold is published;
			// the normal one must see every publication, each soon after it
			// was made. The server decides "slow" as the queue overflows,
			// but the disconnect is reported (and counted) once the close
			// is written, after the blocked write's own timeout (a second):
			// the publisher does not wait for that, so neither does this
			// loop.
			content := strings.Repeat("<i>score</i> ", 1200) // ~15 KB a publication
			const enough = 16 << 20                          // bytes: the server's socket send buffer (at most 4 MiB here, net.ipv4.tcp_wmem), the client's 4 KiB one and the queue, several times over
			ctx := context.Background()
			var took []time.Duration
			for i := 1; i*len(content) < enough; i++ {
				t0 := time.Now()
				if err := f.scores.Publish(ctx, "scores", fmt.Sprint(i, content)); err != nil {
					t.Fatal(err)
				}
				_, pub := normal.nextPub(t, 5*time.Second)
				took = append(took, time.Since(t0))
				if got := pub.content(t); !strings.HasPrefix(got, fmt.Sprint(i, "<i>")) {
					t.Fatalf("publication %d: got %.20q", i, got)
				}
				if v, _ := metric(t, f.reg, "bigpipe_live_slow_disconnects_total", nil); v == 1 {
					break
				}
			}
			waitMetric(t, f.reg, "bigpipe_live_slow_disconnects_total", nil, 1, 10*time.Second)
			// A delivery held up by the slow client would wait for its
			// blocked write, which gives up after a second (centrifuge's
			// write timeouts), or for ever. The 99th percentile, not the
			// maximum: on a loaded machine (-race, other packages' tests) a
			// single delivery may stall for scheduling, anywhere in the run;
			// and bounds well under that second, not what a quiet machine
			// takes (a few ms), which a starved one can multiply.
			at := slices.Index(took, slices.Max(took))
			slices.Sort(took)
			p50, p99, worst := took[len(took)/2], took[len(took)*99/100], took[len(took)-1]
			t.Logf("%d publications; delivery to the normal one: p50 %v, p99 %v, max %v (publication %d)", len(took), p50, p99, worst, at+1)
			if p99 >= 500*time.Millisecond || p50 >= 250*time.Millisecond {
				t.Errorf("the normal subscriber was delayed: p50 %v, p99 %v (want under 250 ms and 500 ms)", p50, p99)
			}
			if v, _ := metric(t, f.reg, "centrifuge_client_num_server_disconnects", map[string]string{"code": "3008"}); v != 1 {
				t.Errorf("server disconnects with 3008 (slow): %v, want 1", v)
			}
			waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": tc.transport}, map[bool]float64{true: 1, false: 0}[tc.transport == "sse"], 5*time.Second)
			// The server closed the slow connection: what it still had to
			// read ends.
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, bufio.NewReader(conn)); err != nil {
				t.Errorf("slow connection not closed by the server: %v", err)
			}
		})
	}
}

// TestHostileContent checks that published content that would break out
// of a script or a JSON string reaches the client encoded as
// render.AppendFragment encodes it: valid JSON, no '<', no raw U+2028 and
// invalid UTF-8 replaced.
func TestHostileContentEncoded(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := context.Background()
	s := f.dialSSE(t, connectCmd(t, f.token(t, "comments:x"), nil))
	s.connected(t)
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, connectCmd(t, f.token(t, "comments:x"), nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := wsRead(t, c, 5*time.Second); err != nil || r.Connect == nil {
		t.Fatalf("connect: %s %v", r.Raw, err)
	}
	for _, tc := range []struct{ content, key string }{
		{"</script><script>alert(1)</script>", "</script>"},
		{"line\u2028separator\u2029", "\u2028"},
		{"invalid \xff\xfe \xc3 utf-8", "\xff"},
		{`<!-- "quotes" \ backslash`, `"`},
	} {
		t.Run(tc.content, func(t *testing.T) {
			if err := f.comments.Publish(ctx, "comments:x", tc.content, live.WithKey(tc.key)); err != nil {
				t.Fatal(err)
			}
			want := render.AppendFragment(nil, &render.Fragment{Content: []byte(tc.content), Key: tc.key})
			_, pub := s.nextPub(t, 5*time.Second)
			r, err := wsRead(t, c, 5*time.Second)
			if err != nil || r.Push == nil || r.Push.Pub == nil {
				t.Fatalf("WebSocket: %s %v", r.Raw, err)
			}
			for transport, got := range map[string]json.RawMessage{"sse": pub.Data, "websocket": r.Push.Pub.Data} {
				if string(got) != string(want) {
					t.Errorf("%s: data %q, want %q (render.AppendFragment)", transport, got, want)
				}
				if !scriptInert(string(got)) || strings.ContainsAny(string(got), "\u2028\u2029") || !utf8.Valid(got) || !json.Valid(got) {
					t.Errorf("%s: data not inert JSON: %q", transport, got)
				}
				var frag struct{ Content, Key string }
				if err := json.Unmarshal(got, &frag); err != nil {
					t.Fatal(err)
				}
				if want := strings.ToValidUTF8(tc.content, "\uFFFD"); utf8.ValidString(tc.content) && frag.Content != want {
					t.Errorf("%s: content %q, want %q", transport, frag.Content, want)
				}
			}
		})
	}
}
