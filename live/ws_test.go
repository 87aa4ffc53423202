package live_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/live"
)

// rawWS is a WebSocket client that writes frames byte by byte as a test
// wants them, good or bad, to the engine's own transport.
type rawWS struct {
	conn net.Conn
	br   *bufio.Reader
}

// wsSampleKey and wsSampleAccept are RFC 6455's example handshake (section 1.3).
const (
	wsSampleKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	wsSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// upgradeRequest is a well-formed upgrade request for f's endpoint with
// the header fields in set replaced (an empty value removes one) and
// method.
func upgradeRequest(f *fixture, method string, set map[string]string) string {
	fields := map[string]string{
		"Host":                  strings.TrimPrefix(f.srv.URL, "http://"),
		"Upgrade":               "websocket",
		"Connection":            "keep-alive, Upgrade",
		"Sec-WebSocket-Key":     wsSampleKey,
		"Sec-WebSocket-Version": "13",
	}
	for k, v := range set {
		fields[k] = v
	}
	var b strings.Builder
	b.WriteString(method + " " + f.eng.Path() + "ws HTTP/1.1\r\n")
	for _, k := range []string{"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Origin", "Sec-WebSocket-Protocol"} {
		if v := fields[k]; v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// dialRawWS sends req to f and returns the connection and the response.
func dialRawWS(t *testing.T, f *fixture, req string) (*rawWS, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	w := &rawWS{conn: conn, br: bufio.NewReader(conn)}
	res, err := http.ReadResponse(w.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	return w, res
}

// upgrade opens a WebSocket to f with the raw client.
func upgrade(t *testing.T, f *fixture) *rawWS {
	t.Helper()
	w, res := dialRawWS(t, f, upgradeRequest(f, http.MethodGet, nil))
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", res.Status)
	}
	return w
}

// frame is a client frame: masked unless unmasked is set.
type frame struct {
	notFin   bool
	op       byte
	rsv      byte
	payload  []byte
	unmasked bool
	length   uint64 // the length the header claims, if not len(payload)
}

// bytes encodes fr as a client sends it.
func (fr frame) bytes() []byte {
	b := []byte{fr.op | fr.rsv<<4}
	if !fr.notFin {
		b[0] |= 0x80
	}
	n := fr.length
	if n == 0 {
		n = uint64(len(fr.payload))
	}
	mask := byte(0x80)
	if fr.unmasked {
		mask = 0
	}
	switch {
	case n < 126:
		b = append(b, mask|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, mask|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, mask|127), n)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	if !fr.unmasked {
		b = append(b, key[:]...)
	}
	for i, c := range fr.payload {
		if !fr.unmasked {
			c ^= key[i%4]
		}
		b = append(b, c)
	}
	return b
}

// send writes frames, each in a write of its own.
func (w *rawWS) send(t *testing.T, frames ...frame) {
	t.Helper()
	for _, fr := range frames {
		if _, err := w.conn.Write(fr.bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// next reads the server's next frame: its opcode and payload.
func (w *rawWS) next(t *testing.T) (op byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if h[0]&0x80 == 0 || h[0]&0x70 != 0 || h[1]&0x80 != 0 {
		t.Fatalf("server frame header %08b %08b: want final, no reserved bits, unmasked", h[0], h[1])
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, _ = io.ReadFull(w.br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, _ = io.ReadFull(w.br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, payload); err != nil {
		t.Fatalf("reading a frame's payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// nextData reads the server's next text frame, answering its pings (the
// engine's, "{}") as a client must.
func (w *rawWS) nextData(t *testing.T) []byte {
	t.Helper()
	for {
		op, p := w.next(t)
		if op != 0x1 {
			t.Fatalf("frame opcode %#x (%q), want text", op, p)
		}
		if string(p) == "{}" {
			w.send(t, frame{op: 0x1, payload: []byte("{}")})
			continue
		}
		return p
	}
}

// closed reads frames up to the server's close frame and returns its
// code, then checks the server closes the connection.
func (w *rawWS) closed(t *testing.T) uint16 {
	t.Helper()
	for {
		op, p := w.next(t)
		if op != 0x8 {
			continue
		}
		if len(p) < 2 {
			t.Fatalf("close frame %q without a code", p)
		}
		w.send(t, frame{op: 0x8, payload: p[:2]})
		if _, err := w.br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("after the closing handshake: %v, want the connection closed (EOF)", err)
		}
		return binary.BigEndian.Uint16(p)
	}
}

// TestWebSocketHandshake checks the engine's answer to upgrade requests,
// good and bad (RFC 6455, section 4.2).
func TestWebSocketHandshake(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	cases := []struct {
		name   string
		method string
		set    map[string]string
		status int
		header map[string]string
	}{
		{"good", http.MethodGet, nil, 101, map[string]string{"Sec-WebSocket-Accept": wsSampleAccept, "Upgrade": "websocket"}},
		{"subprotocol", http.MethodGet, map[string]string{"Sec-WebSocket-Protocol": "centrifuge-json"}, 101, map[string]string{"Sec-WebSocket-Protocol": "centrifuge-json"}},
		{"same origin", http.MethodGet, map[string]string{"Origin": "http://" + strings.TrimPrefix(f.srv.URL, "http://")}, 101, nil},
		{"other origin", http.MethodGet, map[string]string{"Origin": "https://evil.example"}, 403, nil},
		{"POST", http.MethodPost, nil, 405, map[string]string{"Allow": "GET"}},
		{"no Connection upgrade", http.MethodGet, map[string]string{"Connection": "keep-alive"}, 400, nil},
		{"no Upgrade", http.MethodGet, map[string]string{"Upgrade": ""}, 400, nil},
		{"version 8", http.MethodGet, map[string]string{"Sec-WebSocket-Version": "8"}, 426, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"no key", http.MethodGet, map[string]string{"Sec-WebSocket-Key": ""}, 400, nil},
		{"short key", http.MethodGet, map[string]string{"Sec-WebSocket-Key": "c2hvcnQ="}, 400, nil},
		{"key not base64", http.MethodGet, map[string]string{"Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!=="}, 400, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, res := dialRawWS(t, f, upgradeRequest(f, tc.method, tc.set))
			if res.StatusCode != tc.status {
				t.Fatalf("status %s, want %d", res.Status, tc.status)
			}
			for k, v := range tc.header {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestWebSocketFrames checks what the transport does with frames a client
// may send: a command cut into fragments with a ping between them, pings,
// and the closing handshake started by the client.
func TestWebSocketFrames(t *testing.T) {
	for _, m := range readModes {
		t.Run(m.name, func(t *testing.T) { testWebSocketFrames(t, m.watched, m.opts...) })
	}
}

// readModes are the two ways a held connection is read: by the poller
// (Linux), and by a goroutine of its own (elsewhere, or a socket the
// poller cannot watch).
var readModes = []struct {
	name    string
	watched int // connections the poller watches while one is open
	opts    []live.Option
}{
	{"poller", 1, nil},
	{"goroutine", 0, []live.Option{live.WithoutPoller()}},
}

func testWebSocketFrames(t *testing.T, watched int, opts ...live.Option) {
	checkLeaks(t)
	f := newFixture(t, opts...)
	cmd := connectCmd(t, f.token(t, "scores"), nil)
	w := upgrade(t, f)
	third := len(cmd) / 3
	w.send(t,
		frame{op: 0x1, notFin: true, payload: cmd[:third]},
		frame{op: 0x9, payload: []byte("are you there")},
		frame{op: 0x0, notFin: true, payload: cmd[third : 2*third]},
		frame{op: 0xA, payload: []byte("unasked pong")},
		frame{op: 0x0, payload: cmd[2*third:]},
	)
	if op, p := w.next(t); op != 0xA || string(p) != "are you there" {
		t.Fatalf("answer to a ping: opcode %#x %q, want a pong with its payload", op, p)
	}
	rs := parseReplies(t, w.nextData(t))
	if len(rs) != 1 || rs[0].ID != 1 || rs[0].Connect == nil {
		t.Fatalf("want the connect reply, got %+v", rs)
	}
	if n := live.Watched(f.eng); runtime.GOOS == "linux" && n != watched {
		t.Errorf("%d connections watched by the poller, want %d", n, watched)
	}
	if err := f.scores.Publish(t.Context(), "scores", "3-1"); err != nil {
		t.Fatal(err)
	}
	if p := string(w.nextData(t)); !strings.Contains(p, "3-1") {
		t.Fatalf("want the publication, got %s", p)
	}
	// The client closes: the server answers with the same code and closes
	// the connection.
	w.send(t, frame{op: 0x8, payload: binary.BigEndian.AppendUint16(nil, 1001)})
	op, p := w.next(t)
	if op != 0x8 || len(p) != 2 || binary.BigEndian.Uint16(p) != 1001 {
		t.Fatalf("answer to a close: opcode %#x %q, want close 1001", op, p)
	}
	if _, err := w.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the closing handshake: %v, want EOF", err)
	}
	waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "websocket"}, 0, 5*time.Second)
	if n := live.Watched(f.eng); n != 0 {
		t.Errorf("%d connections watched by the poller after the last closed", n)
	}
}

// TestSSEWatched checks that an SSE stream is watched by the poller, not a
// goroutine of its own, and that its client's leaving is seen.
func TestSSEWatched(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux's")
	}
	checkLeaks(t)
	f := newFixture(t)
	s := f.dialSSE(t, connectCmd(t, f.token(t, "scores"), nil))
	s.connected(t)
	if n := live.Watched(f.eng); n != 1 {
		t.Errorf("%d connections watched by the poller, want the one open", n)
	}
	s.close()
	waitMetric(t, f.reg, "bigpipe_live_connections", map[string]string{"transport": "sse"}, 0, 5*time.Second)
	if n := live.Watched(f.eng); n != 0 {
		t.Errorf("%d connections watched by the poller after the last closed", n)
	}
}

// TestWebSocketCommandByteByByte checks that a command arriving a byte
// per read is read as one.
func TestWebSocketCommandByteByByte(t *testing.T) {
	for _, m := range readModes {
		t.Run(m.name, func(t *testing.T) {
			checkLeaks(t)
			f := newFixture(t, m.opts...)
			commandByteByByte(t, f)
		})
	}
}

func commandByteByByte(t *testing.T, f *fixture) {
	w := upgrade(t, f)
	for _, c := range (frame{op: 0x1, payload: connectCmd(t, f.token(t, "scores"), nil)}).bytes() {
		if _, err := w.conn.Write([]byte{c}); err != nil {
			t.Fatal(err)
		}
	}
	if rs := parseReplies(t, w.nextData(t)); len(rs) != 1 || rs[0].Connect == nil {
		t.Fatalf("want the connect reply, got %+v", rs)
	}
}

// TestWebSocketBadFrames checks that a client that breaks the protocol is
// sent a close frame with the code that says how (RFC 6455, section
// 7.4.1) and then closed, and that the engine goes on serving others.
func TestWebSocketBadFrames(t *testing.T) {
	for _, m := range readModes {
		t.Run(m.name, func(t *testing.T) {
			checkLeaks(t)
			testWebSocketBadFrames(t, newFixture(t, append([]live.Option{live.WithLimits(live.Limits{MessageSize: 1024})}, m.opts...)...))
		})
	}
}

func testWebSocketBadFrames(t *testing.T, f *fixture) {
	cases := []struct {
		name   string
		frames []frame
		code   uint16
	}{
		{"not masked", []frame{{op: 0x1, payload: []byte("{}"), unmasked: true}}, 1002},
		{"reserved bit", []frame{{op: 0x1, rsv: 4, payload: []byte("{}")}}, 1002},
		{"unknown opcode", []frame{{op: 0x3, payload: []byte("{}")}}, 1002},
		{"fragmented ping", []frame{{op: 0x9, notFin: true}}, 1002},
		{"long ping", []frame{{op: 0x9, payload: make([]byte, 126)}}, 1002},
		{"over the size limit", []frame{{op: 0x1, length: 1025}}, 1009},
		{"huge length", []frame{{op: 0x1, length: 1 << 63}}, 1002},
		{"fragments over the limit", []frame{{op: 0x1, notFin: true, payload: make([]byte, 600)}, {op: 0x0, payload: make([]byte, 600)}}, 1009},
		{"text not UTF-8", []frame{{op: 0x1, payload: []byte{'"', 0xff, '"'}}}, 1007},
		{"continuation alone", []frame{{op: 0x0, payload: []byte("{}")}}, 1002},
		{"message inside a message", []frame{{op: 0x1, notFin: true, payload: []byte("{")}, {op: 0x1, payload: []byte("}")}}, 1002},
		{"close of one byte", []frame{{op: 0x8, payload: []byte{3}}}, 1002},
		{"close code 1005", []frame{{op: 0x8, payload: binary.BigEndian.AppendUint16(nil, 1005)}}, 1002},
		{"close reason not UTF-8", []frame{{op: 0x8, payload: append(binary.BigEndian.AppendUint16(nil, 1000), 0xff)}}, 1007},
		{"not a command", []frame{{op: 0x1, payload: []byte("<script>alert(1)</script>")}}, 3501},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := upgrade(t, f)
			w.send(t, tc.frames...)
			if code := w.closed(t); code != tc.code {
				t.Errorf("close code %d, want %d", code, tc.code)
			}
		})
	}
	t.Run("still serving", func(t *testing.T) {
		w := upgrade(t, f)
		w.send(t, frame{op: 0x1, payload: connectCmd(t, f.token(t, "scores"), nil)})
		if rs := parseReplies(t, w.nextData(t)); len(rs) != 1 || rs[0].Connect == nil {
			t.Fatalf("want the connect reply, got %+v", rs)
		}
	})
}
