package soak

// The soak's clients: what each kind asks for, and what it must get back.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/pages"
)

// soakKind is a kind of soak client.
type soakKind string

// The soak's clients.
const (
	kindBrowser     soakKind = "browser"     // Chrome: pipelined, reads the whole page
	kindCrawler     soakKind = "crawler"     // Googlebot: in-order, reads the whole page
	kindSerial      soakKind = "serial"      // mode=serial, reads the whole page
	kindFailing     soakKind = "failing"     // a page with injected faults (pipelined or in-order)
	kindDisconnect  soakKind = "disconnect"  // leaves after the first bytes
	kindSlow        soakKind = "slow"        // reads a few KB, then stops reading
	kindCalibration soakKind = "calibration" // the zero-delay pages that set the rate
)

// soakKinds lists the kinds in the order reports show them.
func soakKinds() []soakKind {
	return []soakKind{kindBrowser, kindCrawler, kindSerial, kindFailing, kindDisconnect, kindSlow, kindCalibration}
}

// readsAll reports whether a client of kind k reads every page to its end,
// so that every pagelet must be as its URL asks.
func (k soakKind) readsAll() bool {
	return k != kindDisconnect && k != kindSlow
}

// Sizes of the soak's pages.
const (
	soakPagelets  = 6
	soakMaxDelay  = 300 * time.Millisecond // slow pagelets: 0 to this
	soakSlowPage  = 16                     // a slow reader's page: pagelets…
	soakSlowPad   = 16 << 10               // …of this many bytes each, far more than the socket buffers hold
	soakSlowFirst = 4 << 10                // what a slow reader reads before it stops
)

// soakRequest is one page a client asks for.
type soakRequest struct {
	kind   soakKind
	target string // path and query
	ua     string
	faults []pages.Fault // by pagelet
}

// soakGen draws the requests of the open loop from a fixed-seed generator:
// every run offers the same sequence.
type soakGen struct {
	rng  *rand.Rand
	fail int // failing pages so far: each takes the next fault in turn
}

func newSoakGen() *soakGen { return &soakGen{rng: rand.New(rand.NewPCG(6, 6))} }

// next draws a request: 35 % browser, 15 % crawler, 10 % serial, 30 %
// failing, 10 % disconnect.
func (g *soakGen) next() soakRequest {
	var kind soakKind
	switch x := g.rng.IntN(100); {
	case x < 35:
		kind = kindBrowser
	case x < 50:
		kind = kindCrawler
	case x < 60:
		kind = kindSerial
	case x < 90:
		kind = kindFailing
	default:
		kind = kindDisconnect
	}
	delays := make([]time.Duration, soakPagelets)
	for i := range delays {
		delays[i] = time.Duration(g.rng.IntN(int(soakMaxDelay/time.Millisecond)+1)) * time.Millisecond
		if kind == kindDisconnect { // still loading when the client leaves
			delays[i] = max(delays[i], 100*time.Millisecond)
		}
	}
	q := url.Values{"delays": {measure.DelaysSpec(delays)}}
	req := soakRequest{kind: kind, ua: headless.ChromeUA, faults: make([]pages.Fault, soakPagelets)}
	switch kind {
	case kindCrawler:
		req.ua = measure.GooglebotUA
	case kindSerial:
		q.Set("mode", "serial")
	case kindFailing:
		var spec []string
		for range 1 + g.rng.IntN(2) { // one or two faulty pagelets
			i := g.rng.IntN(soakPagelets)
			if req.faults[i] != pages.FaultNone {
				continue
			}
			faults := [...]pages.Fault{pages.FaultError, pages.FaultPanic, pages.FaultHang, pages.FaultTimeout, pages.FaultBadRender}
			req.faults[i] = faults[g.fail%len(faults)]
			g.fail++
			spec = append(spec, fmt.Sprintf("%d:%s", i, req.faults[i]))
		}
		q.Set("fail", strings.Join(spec, ","))
		if g.rng.IntN(2) == 0 {
			req.ua = measure.GooglebotUA // in-order
		}
	}
	req.target = "/bench?" + q.Encode()
	return req
}

// newSoakRequest builds the HTTP request for r.
func newSoakRequest(ctx context.Context, baseURL string, r soakRequest) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+r.target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", r.ua)
	req.Header.Set(soakKindHeader, string(r.kind))
	return req, nil
}

// readPage asks for a whole page and checks it: 200, the closing </html>,
// every pagelet's marker as its faults say (PAGELET-pI-READY, or
// PAGELET-pI-FAILED for a faulty one) and no partial output of a failed
// render.
func readPage(ctx context.Context, client *http.Client, baseURL string, r soakRequest, body *bytes.Buffer) error {
	req, err := newSoakRequest(ctx, baseURL, r)
	if err != nil {
		return err
	}
	if err := measure.ReadWhole(client, req, body); err != nil {
		return err
	}
	b := body.Bytes()
	for i, f := range r.faults {
		want, not := "READY", "FAILED"
		if f != pages.FaultNone {
			want, not = not, want
		}
		if !bytes.Contains(b, fmt.Appendf(nil, "PAGELET-p%d-%s", i, want)) || bytes.Contains(b, fmt.Appendf(nil, "PAGELET-p%d-%s", i, not)) {
			return fmt.Errorf("pagelet p%d (fault %q) is not %s", i, f, want)
		}
	}
	if bytes.Contains(b, []byte("-PARTIAL")) {
		return errors.New("the partial output of a failed render reached the client")
	}
	return nil
}

// disconnect asks for a page, reads its first bytes and leaves.
func disconnect(ctx context.Context, client *http.Client, baseURL string, r soakRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := newSoakRequest(ctx, baseURL, r)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	var first [512]byte
	if n, err := resp.Body.Read(first[:]); n == 0 {
		return fmt.Errorf("no first bytes: %w", err)
	}
	cancel() // gone mid-stream: the transport closes the connection
	return nil
}

// slowRead is a client that stops reading: on a connection of its own
// with a small receive buffer (to the listener whose connections have a
// small send buffer: see soakSlowListener), it asks for a page far larger
// than both buffers, reads its first few KB, then reads nothing more until
// the server has given up on it (its observer says the page is done), at
// most patience. Then it reads what is left: the page must be cut short.
func slowRead(ctx context.Context, addr string, obs *soakObserver, id string, patience time.Duration) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(soakSlowFirst)
	}
	gone := obs.watch(id)
	defer obs.unwatch(id)
	delays := "0" + strings.Repeat(",0", soakSlowPage-1)
	req := "GET /bench?delays=" + delays + "&pad=" + strconv.Itoa(soakSlowPad) + " HTTP/1.1\r\n" +
		"Host: " + addr + "\r\nUser-Agent: " + headless.ChromeUA + "\r\n" +
		soakKindHeader + ": " + string(kindSlow) + "\r\n" + soakIDHeader + ": " + id + "\r\n\r\n"
	_ = conn.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	head := make([]byte, soakSlowFirst)
	if _, err := io.ReadFull(conn, head); err != nil {
		return fmt.Errorf("first %d bytes: %w", len(head), err)
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("response starts %.40q", head)
	}
	select {
	case <-gone:
	case <-time.After(patience):
		return fmt.Errorf("the server still writes to a client that stopped reading %v ago", patience)
	case <-ctx.Done():
		return nil // the run is over
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	rest, _ := io.ReadAll(conn) // to the server's close (EOF or reset)
	if bytes.Contains(rest, []byte("</html>")) {
		return errors.New("a client that stopped reading got the whole page")
	}
	return nil
}

// soakSlowListener is the listener the slow readers connect to: each of
// its connections gets a send buffer of sndbuf bytes. On loopback Linux
// grows a send buffer up to 4 MiB for a client that stopped reading, so
// without it a page would need megabytes before a write blocks.
type soakSlowListener struct {
	net.Listener
	sndbuf int
}

func (l soakSlowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		_ = tc.SetWriteBuffer(l.sndbuf)
	}
	return c, err
}
