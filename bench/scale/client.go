package scale

// The load client: a child process (this binary with RoleEnv=client) that
// opens its share of the idle live connections, each connecting as the
// front page's live client does (live/live.js: the page's token, every
// live channel of the page from its position, SSE or WebSocket), and notes
// when each receives a publication it is told to watch for. Its sockets
// are bound to loopback source addresses, PerSource connections each, so
// that no address holds more than an instance's per-address limit and
// each has its own ephemeral ports. An SSE stream, once its connect reply
// has subscribed it, is read by the process's receiver (receiver.go), one
// epoll set for all; a WebSocket connection by a goroutine of its own,
// which answers the server's pings.
//
// It reads commands on stdin and answers on stdout, a line each:
//
//	(start)              "progress <open> <failed>" now and then, then "ready <open> <failed> <first error>"
//	"alive"              "alive <connections open> <reconnects so far>"
//	"watch <marker> <ms>" "got <marker> <received> <unix ns of the last receipt> <of the first>" once every open
//	                     connection received a message holding marker, or after ms
//	EOF                  closes every connection and exits

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/websocket"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// Client timing: a dial, and from the dial to the connect reply.
const (
	dialTimeout    = 10 * time.Second
	connectTimeout = 30 * time.Second
)

// Target is one instance as a client connects to it: its address, and the
// connect command made from the grant of its own front page.
type Target struct {
	Addr    string `json:"addr"`
	URL     string `json:"url"`     // the live endpoints' path
	Connect string `json:"connect"` // the command live.js would send
	Subs    int    `json:"subs"`    // channels the reply must subscribe
}

// clientConfig is one client process's share: connections First to
// First+Count-1 of the run, connection g to Targets[g % len] from source
// address sourceIP(g / PerSource).
type clientConfig struct {
	Targets     []Target `json:"targets"`
	Transport   string   `json:"transport"` // "sse" or "ws"
	First       int      `json:"first"`
	Count       int      `json:"count"`
	PerSource   int      `json:"per_source"`
	Concurrency int      `json:"concurrency"`
}

// sourceIP is the a-th source address: 127.20.0.1, 127.20.0.2, … (Linux
// routes all of 127/8 to the loopback interface).
func sourceIP(a int) net.IP {
	a++
	return net.IPv4(127, byte(20+a>>16), byte(a>>8), byte(a))
}

// watch counts the receipts of one marker.
type watch struct {
	marker []byte
	want   int64
	got    atomic.Int64
	last   atomic.Int64 // unix ns
	first  atomic.Int64 // unix ns; 0: none yet
	done   chan struct{}
	once   sync.Once
}

// note counts a receipt at now.
func (w *watch) note(now int64) {
	for {
		f := w.first.Load()
		if (f != 0 && f <= now) || w.first.CompareAndSwap(f, now) {
			break
		}
	}
	for {
		l := w.last.Load()
		if now <= l || w.last.CompareAndSwap(l, now) {
			break
		}
	}
	if w.got.Add(1) >= w.want {
		w.once.Do(func() { close(w.done) })
	}
}

// clientState is the client process's connections.
type clientState struct {
	cfg        clientConfig
	recv       *receiver // reads the SSE streams once subscribed
	alive      atomic.Int64
	reconnects atomic.Int64 // connections the server ended, connected again
	watch      atomic.Pointer[watch]
	mu         sync.Mutex
	firstEr    error
}

// clientMain runs the client role: opens cfg's connections, then answers
// commands from stdin until it is closed.
func clientMain(cfgJSON string, stdin io.Reader, stdout io.Writer) error {
	var cfg clientConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(cfg.Targets) == 0 || cfg.Count < 0 || cfg.PerSource < 1 || cfg.Concurrency < 1 {
		return fmt.Errorf("config %+v: want targets, a count, per_source and concurrency", cfg)
	}
	if _, err := measure.RaiseNofile(); err != nil {
		return err
	}
	out := &lineWriter{w: stdout}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &clientState{cfg: cfg}
	var wg sync.WaitGroup
	if cfg.Transport == "sse" {
		var err error
		if st.recv, err = newReceiver(st); err != nil {
			return err
		}
		wg.Go(func() { st.recv.run(ctx) })
	}
	opened, failed := st.openAll(ctx, &wg, out)
	first := "-"
	if st.firstEr != nil {
		first = strings.ReplaceAll(st.firstEr.Error(), "\n", " ")
	}
	out.printf("ready %d %d %s", opened, failed, first)
	err := st.commands(stdin, out)
	cancel()
	wg.Wait()
	return err
}

// openAll opens the connections, Concurrency at a time, each running in
// wg until ctx ends, reporting progress every half second; it returns
// once every connection is open or has failed.
func (st *clientState) openAll(ctx context.Context, wg *sync.WaitGroup, out *lineWriter) (opened, failed int64) {
	var nOpen, nFail atomic.Int64
	sem := make(chan struct{}, st.cfg.Concurrency)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				out.printf("progress %d %d", nOpen.Load(), nFail.Load())
			}
		}
	}()
	for i := range st.cfg.Count {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.run(ctx, st.cfg.First+i, func(err error) {
				if err != nil {
					nFail.Add(1)
					st.mu.Lock()
					if st.firstEr == nil {
						st.firstEr = err
					}
					st.mu.Unlock()
				} else {
					nOpen.Add(1)
				}
				<-sem
			})
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(stop)
	<-stopped
	return nOpen.Load(), nFail.Load()
}

// commands answers the commands read from stdin until it is closed.
func (st *clientState) commands(stdin io.Reader, out *lineWriter) error {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "alive":
			out.printf("alive %d %d", st.alive.Load(), st.reconnects.Load())
		case len(f) == 3 && f[0] == "watch":
			ms, err := strconv.Atoi(f[2])
			if err != nil {
				return fmt.Errorf("bad command %q", sc.Text())
			}
			w := &watch{marker: []byte(f[1]), want: st.alive.Load(), done: make(chan struct{})}
			if w.want == 0 {
				close(w.done)
			}
			st.watch.Store(w)
			go func() {
				t := time.NewTimer(time.Duration(ms) * time.Millisecond)
				defer t.Stop()
				select {
				case <-w.done:
				case <-t.C:
				}
				out.printf("got %s %d %d %d", w.marker, w.got.Load(), w.last.Load(), w.first.Load())
			}()
		default:
			return fmt.Errorf("bad command %q", sc.Text())
		}
	}
	return sc.Err()
}

// run opens connection g, calls opened once (nil when the connect reply
// says it is subscribed to every channel of the page), then reads it
// until ctx is done. A connection the server ends after it was open
// connects again, as live.js does: after a random 0.5–2 s, doubling on
// each failure up to 10 s, with the page's positions (what it missed is
// recovered in the connect reply).
func (st *clientState) run(ctx context.Context, g int, opened func(error)) {
	var once sync.Once
	open := func(err error) { once.Do(func() { opened(err) }) }
	defer open(errors.New("connection ended before its connect reply"))
	t := st.cfg.Targets[g%len(st.cfg.Targets)]
	src := sourceIP(g / st.cfg.PerSource)
	var seen *watch // the last marker this connection counted
	was := false    // it was open once
	backoff := 500 * time.Millisecond
	for {
		ok, err := st.session(ctx, t, src, &seen, func() { was = true; open(nil) })
		if !was {
			open(err) // the first connect failed: counted as failed, not retried
			return
		}
		if ok {
			backoff = 500 * time.Millisecond
		} else {
			backoff = min(2*backoff, 10*time.Second)
		}
		if ctx.Err() != nil {
			return
		}
		st.reconnects.Add(1)
		if sleep(ctx, backoff+rand.N(3*backoff)) != nil {
			return
		}
	}
}

// session makes one connection and reads it until it ends; subscribed
// is called once it is. It returns whether it was.
func (st *clientState) session(ctx context.Context, t Target, src net.IP, seen **watch, subscribed func()) (bool, error) {
	if st.cfg.Transport == "sse" {
		return st.sseSession(ctx, t, src, seen, subscribed)
	}
	msgs, conn, err := st.dial(ctx, t, src)
	if err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	ok := false
	for m := range msgs {
		if !ok {
			reply, err := connectReply(m, t.Subs)
			if err != nil {
				return false, err
			}
			if !reply {
				continue // a ping before the reply
			}
			ok = true
			_ = conn.SetDeadline(time.Time{})
			st.alive.Add(1)
			defer st.alive.Add(-1)
			subscribed()
		}
		// The connect reply too: after a reconnect it holds what was missed.
		st.note(m, seen)
	}
	return ok, nil
}

// sseSession is session over SSE: the connect reply is read here, the
// rest of the stream by the process's receiver.
func (st *clientState) sseSession(ctx context.Context, t Target, src net.IP, seen **watch, subscribed func()) (bool, error) {
	c, br, err := dialSSE(ctx, t, src)
	if err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	for {
		line, err := readLine(br, maxMessage)
		if err != nil {
			stop()
			c.Close()
			return false, fmt.Errorf("before the connect reply: %w", err)
		}
		m, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue // the chunks' sizes, the events' blank lines
		}
		reply, err := connectReply(m, t.Subs)
		if err != nil {
			stop()
			c.Close()
			return false, err
		}
		if reply {
			// After a reconnect the reply holds what was missed.
			st.note(m, seen)
			break
		}
	}
	if !stop() { // ctx is done: c is closed
		return false, ctx.Err()
	}
	_ = c.SetDeadline(time.Time{})
	// What was read past the reply is scanned here; the receiver reads on.
	rest, _ := br.Peek(br.Buffered())
	st.note(rest, seen)
	s, err := st.recv.add(c, c.Close, rest[max(0, len(rest)-carryLen):], seen)
	if err != nil {
		c.Close()
		return false, err
	}
	st.alive.Add(1)
	defer st.alive.Add(-1)
	subscribed()
	select {
	case <-s.done:
	case <-ctx.Done(): // the receiver ends the stream as it stops
	}
	return true, nil
}

// note counts a receipt of the watched marker if m holds it and this
// connection has not counted it yet.
func (st *clientState) note(m []byte, seen **watch) {
	if w := st.watch.Load(); w != nil && w != *seen && bytes.Contains(m, w.marker) {
		*seen = w
		w.note(time.Now().UnixNano())
	}
}

// maxMessage is the longest line a client reads before its connect
// reply (the reply lists the publications it recovered).
const maxMessage = 1 << 20

// readLine reads a line of at most max bytes, its end included.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(long) > max {
			return nil, fmt.Errorf("a line over %d bytes", max)
		}
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// connectReply reads a message before the connect reply: true for the
// reply when it subscribed subs channels, false for anything else (a
// ping), an error for a refusal.
func connectReply(m []byte, subs int) (bool, error) {
	var r struct {
		ID    int `json:"id"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Connect *struct {
			Subs map[string]json.RawMessage `json:"subs"`
		} `json:"connect"`
		Disconnect *struct {
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		} `json:"disconnect"`
	}
	if err := json.Unmarshal(m, &r); err != nil {
		return false, fmt.Errorf("connect reply %.80q: %w", m, err)
	}
	switch {
	case r.Error != nil:
		return false, fmt.Errorf("connect refused: %d %s", r.Error.Code, r.Error.Message)
	case r.Disconnect != nil:
		return false, fmt.Errorf("disconnected: %d %s", r.Disconnect.Code, r.Disconnect.Reason)
	case r.Connect == nil:
		return false, nil
	case len(r.Connect.Subs) != subs:
		return false, fmt.Errorf("connect reply subscribed %d channels, want the page's %d", len(r.Connect.Subs), subs)
	}
	return true, nil
}

// conn is what closes a connection and sets its deadline.
type conn interface {
	io.Closer
	SetDeadline(time.Time) error
}

// dialSSE opens an SSE stream to t from src with the connect command and
// reads the response's header; the stream's bytes follow in the reader,
// as they come (chunked: each chunk holds whole events).
func dialSSE(ctx context.Context, t Target, src net.IP) (*net.TCPConn, *bufio.Reader, error) {
	d := &net.Dialer{Timeout: dialTimeout, LocalAddr: &net.TCPAddr{IP: src}}
	nc, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	c := nc.(*net.TCPConn)
	req, err := http.NewRequest(http.MethodGet, "http://"+t.Addr+t.URL+"sse?cf_connect="+url.QueryEscape(t.Connect), nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	req.Header.Set("User-Agent", headless.ChromeUA)
	req.Header.Set("Accept", "text/event-stream")
	_ = c.SetDeadline(time.Now().Add(connectTimeout))
	if err := req.Write(c); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("request: %w", err)
	}
	br := bufio.NewReaderSize(c, 4<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, nil, fmt.Errorf("response: %s", resp.Status)
	}
	return c, br, nil
}

// dial opens a WebSocket connection to t from src and sends the connect
// command; it returns the connection's messages, one JSON each.
func (st *clientState) dial(ctx context.Context, t Target, src net.IP) (func(yield func([]byte) bool), conn, error) {
	d := &net.Dialer{Timeout: dialTimeout, LocalAddr: &net.TCPAddr{IP: src}}
	switch st.cfg.Transport {
	case "ws":
		wcfg, err := websocket.NewConfig("ws://"+t.Addr+t.URL+"ws", "http://"+t.Addr)
		if err != nil {
			return nil, nil, err
		}
		wcfg.Dialer = d
		wcfg.Header = http.Header{"User-Agent": {headless.ChromeUA}}
		ws, err := wcfg.DialContext(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("dial: %w", err)
		}
		_ = ws.SetDeadline(time.Now().Add(connectTimeout))
		if err := websocket.Message.Send(ws, t.Connect); err != nil {
			ws.Close()
			return nil, nil, fmt.Errorf("connect command: %w", err)
		}
		return func(yield func([]byte) bool) {
			for {
				var frame []byte
				if err := websocket.Message.Receive(ws, &frame); err != nil {
					return
				}
				for m := range bytes.SplitSeq(frame, []byte("\n")) {
					if bytes.Equal(m, []byte("{}")) { // the server's ping: answer it, as live.js does
						if websocket.Message.Send(ws, "{}") != nil {
							return
						}
						continue
					}
					if len(m) > 0 && !yield(m) {
						return
					}
				}
			}
		}, ws, nil
	}
	return nil, nil, fmt.Errorf("unknown transport %q", st.cfg.Transport)
}

// lineWriter writes whole lines from several goroutines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
