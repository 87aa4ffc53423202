package live_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/live"
)

// checkLeaks fails t if goroutines it started outlive it: those running
// when it is called (the browser shared by the browser tests, say) are the
// baseline. Call it first in a test: cleanups run last-registered first, so
// it runs after the fixture's.
func checkLeaks(t *testing.T) {
	t.Helper()
	baseline := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		// Polled, as TestMain does: some goroutines end a bounded while
		// after their cause (centrifuge-go's wait for a reply to a command
		// sent as the client closed ends at its read timeout).
		err := goleak.Find(baseline)
		for deadline := time.Now().Add(6 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			err = goleak.Find(baseline)
		}
		if err != nil {
			t.Error(err)
		}
	})
}

// testSecret signs the fixtures' tokens; engines that share it accept each
// other's tokens, as instances of one site do.
var testSecret = []byte("test-secret-0123456789abcdef")

// siteAssets is a small site registry with a stylesheet for feeds.
func siteAssets(t testing.TB) *assets.Registry {
	t.Helper()
	reg, err := assets.New(fstest.MapFS{"scores.css": {Data: []byte(".scores { color: red }\n")}})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// raw is a view that inserts its string as HTML as it is: published
// content the encoding must make safe, not the view.
func raw(s string) templ.Component { return templ.Raw(s) }

// fixture is an engine with a state feed "scores" and a stream family
// "comments:", served over loopback HTTP.
type fixture struct {
	eng      *live.Engine
	srv      *httptest.Server
	reg      *prometheus.Registry
	scores   *live.Feed[string]
	comments *live.Feed[string]
	log      *testenv.LockedBuffer
}

// newFixture starts an engine with opts (after the fixture's secret,
// registry and logger, so that they may override them) and serves it at
// its path; both stop when t ends.
func newFixture(t *testing.T, opts ...live.Option) *fixture {
	t.Helper()
	f := &fixture{reg: prometheus.NewRegistry(), log: &testenv.LockedBuffer{}}
	base := []live.Option{live.WithSecret(testSecret), live.WithRegistry(f.reg), live.WithLogger(slog.New(slog.NewTextHandler(f.log, nil)))}
	eng, err := live.New(siteAssets(t), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	f.scores = live.State(eng, "scores", raw, live.WithCSS("scores.css"))
	f.comments = live.Stream(eng, "comments:", raw)
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		// The engine first: it ends the long-lived streams, which the
		// server's Close would otherwise wait for.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := eng.Close(ctx); err != nil {
			t.Errorf("engine Close: %v", err)
		}
		f.srv.Close()
	})
	return f
}

// token returns a token of the fixture's engine for channels.
func (f *fixture) token(t testing.TB, channels ...string) string {
	t.Helper()
	tok, err := f.eng.Token(channels...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sub is a channel position in a connect command: the client asks to
// recover what was published after it.
type sub struct {
	Recover bool   `json:"recover,omitempty"`
	Offset  uint64 `json:"offset,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
}

// connectCmd is the Centrifuge protocol's connect command, as live.js and
// the SDKs send it.
func connectCmd(t testing.TB, token string, subs map[string]sub) []byte {
	t.Helper()
	cmd := map[string]any{"id": 1, "connect": map[string]any{"token": token, "subs": subs}}
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reply is one message of the server: a command's reply or a push.
type reply struct {
	ID      uint32          `json:"id"`
	Error   *protoError     `json:"error"`
	Connect *connectResult  `json:"connect"`
	Push    *push           `json:"push"`
	Raw     json.RawMessage `json:"-"`
}

type protoError struct {
	Code    uint32 `json:"code"`
	Message string `json:"message"`
}

type connectResult struct {
	Client string               `json:"client"`
	Subs   map[string]subResult `json:"subs"`
	Ping   uint32               `json:"ping"`
}

type subResult struct {
	Recoverable   bool          `json:"recoverable"`
	Epoch         string        `json:"epoch"`
	Offset        uint64        `json:"offset"`
	Publications  []publication `json:"publications"`
	Recovered     bool          `json:"recovered"`
	WasRecovering bool          `json:"was_recovering"`
	Positioned    bool          `json:"positioned"`
}

type publication struct {
	Data   json.RawMessage `json:"data"`
	Offset uint64          `json:"offset"`
}

type push struct {
	Channel    string       `json:"channel"`
	Pub        *publication `json:"pub"`
	Disconnect *disconnect  `json:"disconnect"`
}

type disconnect struct {
	Code   uint32 `json:"code"`
	Reason string `json:"reason"`
}

// content decodes a publication's data, a render.Fragment in JSON.
func (p *publication) content(t testing.TB) string {
	t.Helper()
	var frag struct{ Content string }
	if err := json.Unmarshal(p.Data, &frag); err != nil {
		t.Fatalf("publication data %s: %v", p.Data, err)
	}
	return frag.Content
}

// parseReplies splits a frame of the JSON protocol (one reply per line)
// into replies; an empty one is a ping.
func parseReplies(t testing.TB, frame []byte) []reply {
	t.Helper()
	var out []reply
	for line := range bytes.SplitSeq(frame, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r reply
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("reply %q: %v", line, err)
		}
		r.Raw = append(json.RawMessage(nil), line...)
		out = append(out, r)
	}
	return out
}

// sseStream is a live SSE connection: its messages as they arrive.
type sseStream struct {
	res    *http.Response
	frames chan []byte // each "data:" line; closed when the stream ends
	cancel context.CancelFunc
	done   chan struct{}
}

// dialSSE connects to f's SSE endpoint with cmd, as live.js does. It
// returns the response: a stream when the status is 200.
func (f *fixture) dialSSE(t testing.TB, cmd []byte) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := f.srv.URL + f.eng.Path() + "sse?cf_connect=" + url.QueryEscape(string(cmd))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return f.startSSE(t, req, cancel)
}

// startSSE sends req and reads its stream until the stream ends or t does.
func (f *fixture) startSSE(t testing.TB, req *http.Request, cancel context.CancelFunc) *sseStream {
	t.Helper()
	res, err := f.srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{res: res, frames: make(chan []byte, 4096), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.frames)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok {
				s.frames <- append([]byte(nil), d...)
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

// close ends the stream from the client's side and waits for its reader.
func (s *sseStream) close() {
	s.cancel()
	<-s.done
	_ = s.res.Body.Close()
}

// next returns the stream's next reply that is not a ping, failing t if
// none comes within d; ok is false if the stream ended first.
func (s *sseStream) next(t testing.TB, d time.Duration) (r reply, ok bool) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case frame, open := <-s.frames:
			if !open {
				return reply{}, false
			}
			if rs := parseReplies(t, frame); len(rs) > 0 {
				if len(rs) > 1 {
					t.Fatalf("SSE frame with %d replies: %q", len(rs), frame)
				}
				return rs[0], true
			}
		case <-timer.C:
			t.Fatalf("no message within %v", d)
			return reply{}, false
		}
	}
}

// ended waits for the server to end the stream, failing t if it does not
// within d or sends anything but pings.
func (s *sseStream) ended(t testing.TB, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case frame, open := <-s.frames:
			if !open {
				return
			}
			if rs := parseReplies(t, frame); len(rs) > 0 {
				t.Fatalf("message after the end: %s", rs[0].Raw)
			}
		case <-timer.C:
			t.Fatalf("stream still open after %v", d)
		}
	}
}

// connected reads the connect reply, failing t if it is anything else.
func (s *sseStream) connected(t testing.TB) *connectResult {
	t.Helper()
	r, ok := s.next(t, 5*time.Second)
	if !ok || r.Connect == nil {
		t.Fatalf("want a connect reply, got %s (stream open: %v)", r.Raw, ok)
	}
	return r.Connect
}

// nextPub reads the next publication pushed on the stream.
func (s *sseStream) nextPub(t testing.TB, d time.Duration) (string, *publication) {
	t.Helper()
	r, ok := s.next(t, d)
	if !ok || r.Push == nil || r.Push.Pub == nil {
		t.Fatalf("want a publication, got %s (stream open: %v)", r.Raw, ok)
	}
	return r.Push.Channel, r.Push.Pub
}

// wsURL is f's WebSocket endpoint.
func (f *fixture) wsURL() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + f.eng.Path() + "ws"
}

// dialWS opens a WebSocket to f's endpoint with header (an Origin, say).
// It returns the connection, or the refused upgrade's response.
func (f *fixture) dialWS(t testing.TB, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: []string{"centrifuge-json"}}
	c, res, err := d.Dial(f.wsURL(), header)
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, res, err
}

// wsRead returns the next reply that is not a ping, answering pings as a
// client must; err is the connection's end (a *websocket.CloseError with
// the server's disconnect code).
func wsRead(t testing.TB, c *websocket.Conn, d time.Duration) (reply, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return reply{}, err
	}
	for {
		_, frame, err := c.ReadMessage()
		if err != nil {
			return reply{}, err
		}
		rs := parseReplies(t, frame)
		if len(rs) == 0 {
			if err := c.WriteMessage(websocket.TextMessage, []byte("{}")); err != nil {
				return reply{}, err
			}
			continue
		}
		if len(rs) > 1 {
			t.Fatalf("test reads one reply per frame, got %q", frame)
		}
		return rs[0], nil
	}
}

// metric returns the value of the metric name with labels (a counter, a
// gauge, or a histogram's count) in reg, and whether it exists.
func metric(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := make(map[string]string)
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// waitMetric polls reg until the metric has value want, failing t after d.
func waitMetric(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string, want float64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		v, _ := metric(t, reg, name, labels)
		if v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v after %v, want %v", name, labels, v, d, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fmtSubs is a channel's position as a connect command's subs entry.
func fmtSubs(channel string, offset uint64, epoch string) map[string]sub {
	return map[string]sub{channel: {Recover: true, Offset: offset, Epoch: epoch}}
}

// scriptInert reports whether s, placed inside a <script> element, cannot
// end it or open a comment or another script: render's payload encoding
// leaves a '<' alone only where the next byte is none of '/', '!', 's', 'S'.
func scriptInert(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; i = strings.IndexByte(s, '<') {
		if i+1 == len(s) || strings.IndexByte("/!sS", s[i+1]) >= 0 {
			return false
		}
		s = s[i+1:]
	}
	return true
}
