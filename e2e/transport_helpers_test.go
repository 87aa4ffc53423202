package e2e_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/internal/wire"
)

// The transport tests run the real server binary (main.go) as a separate
// process and read /bench through the ways a reader's bytes can travel:
// directly, through nginx, over HTTP/2 with TLS and over h2c, with and
// without compression. Each asserts the BigPipe promise on the wire: the
// skeleton comes at once and every pagelet at about its own delay.

// benchDelays are the pagelet delays of benchPath, pagelet pI's at index I.
var benchDelays = []time.Duration{
	50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond,
}

const (
	// benchPath is the page under test, forced to the BigPipe mode whatever
	// the client's User-Agent.
	benchPath = "/bench?delays=50,100,200,400,800,1600&mode=pipelined"
	// firstByteLimit is how soon the first body byte (the skeleton) must
	// come: well before the fastest pagelet (50 ms).
	firstByteLimit = 40 * time.Millisecond
	// markerSlack is how late after its own delay a pagelet's marker may
	// arrive. A buffering hop holds markers back by a whole later pagelet's
	// delay or more, far beyond it.
	markerSlack = 300 * time.Millisecond
	// streamTimeout bounds one request of benchPath (it takes ~1.6 s).
	streamTimeout = 5 * time.Second
)

// benchMarkers returns the marker text of each pagelet of benchPath.
func benchMarkers() []string {
	m := make([]string, len(benchDelays))
	for i := range m {
		m[i] = fmt.Sprintf("PAGELET-p%d-READY", i)
	}
	return m
}

// proc is a program a test started (testenv.Proc: killed when the test
// ends, its output logged if the test failed).
type proc = testenv.Proc

// startProc starts bin with args.
func startProc(t *testing.T, bin string, args ...string) (*proc, error) {
	t.Helper()
	return testenv.StartProc(t, "", bin, args...)
}

// startOnFreePort starts a server program on a free loopback port and waits
// until ready says it serves. The port is picked, released and handed to
// the program, so another process may take it in between: then the program
// exits complaining about the address, and it is tried again on another.
func startOnFreePort(t *testing.T, start func(port int) (*proc, error), ready func(port int) error) int {
	t.Helper()
	const attempts = 3
	for attempt := 1; ; attempt++ {
		port := testenv.FreePort(t)
		p, err := start(port)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		err = waitReady(p, func() error { return ready(port) })
		if err == nil {
			return port
		}
		p.Kill()
		if attempt < attempts && strings.Contains(strings.ToLower(p.Output()), "address already in use") {
			t.Logf("%s: port %d was taken meanwhile; trying another", p.Name, port)
			continue
		}
		t.Fatalf("%s did not come up on port %d: %v\n%s", p.Name, port, err, p.Output())
	}
}

// waitReady polls ready until it succeeds, p exits or 15 s pass.
func waitReady(p *proc, ready func() error) error { return testenv.WaitFor(p, 15*time.Second, ready) }

// getOK fetches url with client and returns an error unless it answers 200.
func getOK(client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// startServer runs the bigpipe binary with args on a free loopback port,
// with a fresh store, and returns its base URL once client gets 200 from
// /healthz. scheme is "http", or "https" when args include -tls-cert.
func startServer(t *testing.T, scheme string, client *http.Client, args ...string) string {
	t.Helper()
	bin := server.Path(t)
	db := filepath.Join(t.TempDir(), "news.db")
	port := startOnFreePort(t,
		func(port int) (*proc, error) {
			a := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-db", db, "-log-level", "warn"}, args...)
			return startProc(t, bin, a...)
		},
		func(port int) error { return getOK(client, fmt.Sprintf("%s://127.0.0.1:%d/healthz", scheme, port)) })
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
}

// plainClient is an HTTP/1.1 client that leaves Content-Encoding alone.
func plainClient() *http.Client {
	var p http.Protocols
	p.SetHTTP1(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p, DisableCompression: true}}
}

// streamTiming is when a response's decoded body became visible to the
// client, measured from just before the request was sent.
type streamTiming struct {
	Proto      string // as in the status line, e.g. "HTTP/2.0"
	ProtoMajor int
	Encoding   string // Content-Encoding; "" is identity
	Header     http.Header
	Early      []wire.Informational // the 1xx responses before the final one
	WireBytes  int                  // body bytes as sent, before content decoding
	First      time.Duration        // first decoded body byte
	Markers    []time.Duration      // marker i fully visible in the decoded text; -1 if never
	Last       time.Duration        // end of the body
	Body       []byte               // decoded
}

// measureStream GETs url with the given Accept-Encoding, decodes the body
// as it comes (identity, gzip or br) through a small buffer, and records
// when each marker becomes visible. client must not decode on its own
// (DisableCompression).
func measureStream(ctx context.Context, client *http.Client, url, acceptEncoding string, markers []string) (streamTiming, error) {
	tm := streamTiming{Markers: make([]time.Duration, len(markers))}
	for i := range tm.Markers {
		tm.Markers[i] = -1
	}
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	var (
		mu    sync.Mutex // Got1xxResponse runs on the transport's goroutine
		early []wire.Informational
	)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			mu.Lock()
			defer mu.Unlock()
			early = append(early, wire.Informational{Status: code, Header: http.Header(h).Clone()})
			return nil
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return tm, err
	}
	req.Header.Set("Accept-Encoding", acceptEncoding)
	req.Header.Set("User-Agent", chromeUA)
	start := time.Now()
	resp, err := client.Do(req)
	mu.Lock()
	tm.Early = slices.Clone(early)
	mu.Unlock()
	if err != nil {
		return tm, fmt.Errorf("%w (1xx responses before: %v)", err, statuses(tm.Early))
	}
	defer resp.Body.Close()
	tm.Proto, tm.ProtoMajor, tm.Header = resp.Proto, resp.ProtoMajor, resp.Header
	tm.Encoding = resp.Header.Get("Content-Encoding")
	if resp.StatusCode != http.StatusOK {
		return tm, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	raw := &countingReader{r: resp.Body}
	var r io.Reader
	switch tm.Encoding {
	case "", "identity":
		r = raw
	case "gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return tm, fmt.Errorf("gzip header: %w", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(raw)
	default:
		return tm, fmt.Errorf("unexpected Content-Encoding %q", tm.Encoding)
	}
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		at := time.Since(start)
		tm.WireBytes = raw.n
		if n > 0 {
			if len(tm.Body) == 0 {
				tm.First = at
			}
			from := max(0, len(tm.Body)-64) // a marker may straddle two reads
			tm.Body = append(tm.Body, buf[:n]...)
			tm.Last = at
			for i, m := range markers {
				if tm.Markers[i] < 0 && bytes.Contains(tm.Body[from:], []byte(m)) {
					tm.Markers[i] = at
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return tm, nil
		}
		if err != nil {
			return tm, fmt.Errorf("read the %s body after %d decoded bytes: %w", encodingName(tm.Encoding), len(tm.Body), err)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// statuses returns the status codes of rs.
func statuses(rs []wire.Informational) []int {
	codes := make([]int, len(rs))
	for i, r := range rs {
		codes[i] = r.Status
	}
	return codes
}

func encodingName(enc string) string {
	if enc == "" {
		return "identity"
	}
	return enc
}

// streamingViolations lists how tm breaks the streaming promise for
// benchPath: the skeleton at once, each marker at about its own delay, the
// whole document in the end.
func streamingViolations(tm streamTiming) []string {
	var v []string
	// The skeleton must come in a read of its own, before the first
	// pagelet's: a hop that holds it back sends it with a pagelet (or the
	// whole page) at once. Relative to the first pagelet, not to the clock,
	// so a busy machine that is slow in both does not fail it (a loaded run
	// saw the skeleton at 44.5 ms and p0 at 55.1 ms through nginx).
	if len(tm.Markers) > 0 && tm.Markers[0] >= 0 && tm.First >= tm.Markers[0] {
		v = append(v, fmt.Sprintf("first body byte at %v, not before the first pagelet (%v): the skeleton waited", ms(tm.First), ms(tm.Markers[0])))
	}
	for i, d := range benchDelays {
		got := tm.Markers[i]
		switch {
		case got < 0:
			v = append(v, fmt.Sprintf("PAGELET-p%d-READY never arrived", i))
		case got < d || got >= d+markerSlack:
			v = append(v, fmt.Sprintf("PAGELET-p%d-READY at %v, want in [%v, %v)", i, ms(got), d, d+markerSlack))
		}
	}
	if !bytes.HasSuffix(bytes.TrimSpace(tm.Body), []byte("</html>")) {
		v = append(v, fmt.Sprintf("body (%d bytes) does not end with </html>", len(tm.Body)))
	}
	return v
}

// checkStreamed fails t for every violation of the streaming promise, and
// unless the response came with wantEncoding. (X-Accel-Buffering is not
// checked here: nginx consumes it and never passes it on.)
func checkStreamed(t *testing.T, tm streamTiming, wantEncoding string) {
	t.Helper()
	if got := encodingName(tm.Encoding); got != wantEncoding {
		t.Errorf("Content-Encoding = %q, want %q", got, wantEncoding)
	}
	for _, v := range streamingViolations(tm) {
		t.Error(v)
	}
	if t.Failed() {
		t.Logf("timing: %s", tm)
	}
}

func (tm streamTiming) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: first %v", tm.Proto, encodingName(tm.Encoding), ms(tm.First))
	for i, at := range tm.Markers {
		if at < 0 {
			fmt.Fprintf(&b, ", p%d never", i)
			continue
		}
		fmt.Fprintf(&b, ", p%d %v", i, ms(at))
	}
	fmt.Fprintf(&b, ", last %v, %d bytes (%d on the wire)", ms(tm.Last), len(tm.Body), tm.WireBytes)
	return b.String()
}

// ms rounds d to a tenth of a millisecond for printing.
func ms(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
