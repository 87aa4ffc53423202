package livebench

// The live section's load client: a child process (this binary with
// RoleEnv=client) that opens many idle live connections to the server
// role, each a real client of the engine's JSON protocol: it connects with
// a token from the engine (eng.Token) and the channel's position, as a page
// does, and counts as open once the connect reply says it is subscribed.
// Its sockets are bound to several loopback source addresses, each giving
// its own range of ephemeral ports. Several client processes share a run,
// each within its own open-file limit.
//
// It reads commands on stdin and answers on stdout, a line each:
//
//	(start)          "progress <open> <failed>" now and then, then "ready <open> <failed> <first error>"
//	"alive"          "alive <connections still open>"
//	"wait <seq> <ms>" "got <seq> <received> <unix ns of the last receipt>" once every
//	                 connection of the fan-out channel has publication seq, or after ms
//	EOF              closes every connection and exits
//
// and those of liveresume.go, for connections that reconnect, and of
// readerclient.go, for signed-in readers.

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
	"github.com/bigpipe-go/bigpipe/live"
)

// liveClientEnv holds the client role's liveClientConfig, as JSON.
const liveClientEnv = "BIGPIPE_BENCH_LIVE_CLIENT"

// Client timing: a dial, and the time from the dial to the connect reply.
const (
	liveDialTimeout    = 10 * time.Second
	liveConnectTimeout = 30 * time.Second
)

// liveClientConfig is one client process's share of the connections.
type liveClientConfig struct {
	Addr        string               `json:"addr"`      // the server, host:port
	Transport   string               `json:"transport"` // "sse" or "ws"
	Conns       int                  `json:"conns"`     // connections to open
	Fan         int                  `json:"fan"`       // the first Fan subscribe to liveFanChan, the rest to liveIdle
	Sources     []string             `json:"sources"`   // source IPs, used in turn
	Concurrency int                  `json:"concurrency"`
	Grants      map[string]liveGrant `json:"grants"` // by channel
	// Addrs, if set, are the servers: connection i goes to Addrs[i%len]
	// instead of Addr. Failover, if set, are the servers a connection that
	// ended reconnects to (one at random each time); without it a
	// connection that ends stays closed. Channel, if set, is every
	// connection's channel instead of Fan's split.
	Addrs    []string `json:"addrs,omitempty"`
	Failover []string `json:"failover,omitempty"`
	Channel  string   `json:"channel,omitempty"`
	// Reader, if set, makes connection i signed in as reader Reader +
	// (First + i), on that reader's private channel, with a grant it asks
	// the server for (readerclient.go) instead of Grants.
	Reader string `json:"reader,omitempty"`
	First  int    `json:"first,omitempty"`
}

// liveClientState is the client role's connections.
type liveClientState struct {
	cfg   liveClientConfig
	alive atomic.Int64

	mu      sync.Mutex
	waits   map[int]*liveWait // by seq
	firstEr error

	// Per connection, the last publication's sequence number seen (-1:
	// none yet); over all, the sequence numbers skipped and seen twice
	// (liveresume.go).
	seqs       []atomic.Int64
	gaps, dups atomic.Int64
	// The reconnects: done, of which recovered (and of those with missed
	// publications) and refetched, attempts that failed, and when the last
	// one was done (unix ns).
	resumes, recovered, recoveredPubs, refetched, attemptsFailed, lastResume atomic.Int64
	// Under mu: from each connection's end to its resume, and the first
	// and last end (unix ns).
	resumeTook          []time.Duration
	firstDrop, lastDrop int64
	dropCodes           map[int]int // connection ends by the server's disconnect code (0: none, the stream ended)

	readers readerReceipts // with cfg.Reader: the grants and what the readers' channels received (readerclient.go)
}

// liveWait counts the receipts of one publication.
type liveWait struct {
	got  int
	last int64
	done chan struct{} // closed when got reaches the fan-out connections
}

// liveClientMain runs the client role: opens cfg's connections, then
// answers commands from stdin until it is closed.
func liveClientMain(cfgJSON string, stdin io.Reader, stdout io.Writer) error {
	var cfg liveClientConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(cfg.Sources) == 0 || cfg.Conns < 0 || cfg.Concurrency < 1 {
		return fmt.Errorf("config %+v: want sources, conns and concurrency", cfg)
	}
	if _, err := measure.RaiseNofile(); err != nil {
		return err
	}
	out := &lineWriter{w: stdout}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &liveClientState{cfg: cfg, waits: map[int]*liveWait{}, seqs: make([]atomic.Int64, cfg.Conns), dropCodes: map[int]int{}}
	var wg sync.WaitGroup
	opened, failed := st.openAll(ctx, &wg, out)
	st.readers.closeIdle()
	st.mu.Lock()
	first := "-"
	if st.firstEr != nil {
		first = strings.ReplaceAll(st.firstEr.Error(), "\n", " ")
	}
	st.mu.Unlock()
	out.printf("ready %d %d %s", opened, failed, first)
	if err := st.commands(stdin, out); err != nil {
		return err
	}
	cancel()
	wg.Wait()
	return nil
}

// openAll opens the connections, Concurrency at a time, each running in
// wg until ctx ends, and reports "progress <opened> <failed>" every half
// second meanwhile. It returns once every dial has been answered.
func (st *liveClientState) openAll(ctx context.Context, wg *sync.WaitGroup, out *lineWriter) (opened, failed int64) {
	var (
		nOpen, nFail     atomic.Int64
		sem              = make(chan struct{}, st.cfg.Concurrency)
		progressDone     = make(chan struct{})
		progressFinished = make(chan struct{})
	)
	go func() {
		defer close(progressFinished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-t.C:
				out.printf("progress %d %d", nOpen.Load(), nFail.Load())
			}
		}
	}()
	for i := range st.cfg.Conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.run(ctx, i, func(err error) {
				if err != nil {
					nFail.Add(1)
					st.noteErr(err)
				} else {
					nOpen.Add(1)
				}
				<-sem
			})
		}()
	}
	for range cap(sem) {
		sem <- struct{}{} // every dial has been answered
	}
	close(progressDone)
	<-progressFinished
	return nOpen.Load(), nFail.Load()
}

// commands answers the commands read from stdin until it is closed: those
// of st.command, "alive", and "wait <seq> <ms>" (answered "got <seq> <n>
// <last>" once every fan-out connection had it, or after ms).
func (st *liveClientState) commands(stdin io.Reader, out *lineWriter) error {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if ok, err := st.command(f, out); err != nil {
			return err
		} else if ok {
			continue
		}
		switch {
		case len(f) == 1 && f[0] == "alive":
			out.printf("alive %d", st.alive.Load())
		case len(f) == 3 && f[0] == "wait":
			seq, err1 := strconv.Atoi(f[1])
			ms, err2 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil {
				return fmt.Errorf("bad command %q", sc.Text())
			}
			w := st.wait(seq)
			go func() {
				select {
				case <-w.done:
				case <-time.After(time.Duration(ms) * time.Millisecond):
				}
				st.mu.Lock()
				got, last := w.got, w.last
				st.mu.Unlock()
				out.printf("got %d %d %d", seq, got, last)
			}()
		default:
			return fmt.Errorf("bad command %q", sc.Text())
		}
	}
	return nil
}

func (st *liveClientState) noteErr(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.firstEr == nil {
		st.firstEr = err
	}
}

// fanConns is how many of this process's connections are on the fan-out
// channel.
func (st *liveClientState) fanConns() int { return min(st.cfg.Fan, st.cfg.Conns) }

// wait returns the receipt count of publication seq, made on first use
// (by the command or by the first receipt, whichever comes first).
func (st *liveClientState) wait(seq int) *liveWait {
	st.mu.Lock()
	defer st.mu.Unlock()
	w := st.waits[seq]
	if w == nil {
		w = &liveWait{done: make(chan struct{})}
		if st.fanConns() == 0 {
			close(w.done)
		}
		st.waits[seq] = w
	}
	return w
}

// received notes that a connection got publication seq at now.
func (st *liveClientState) received(seq int, now int64) {
	w := st.wait(seq)
	st.mu.Lock()
	defer st.mu.Unlock()
	w.got++
	w.last = max(w.last, now)
	if w.got == st.fanConns() {
		close(w.done)
	}
}

// run opens connection i, calls opened once (with nil when it is
// connected and subscribed), and then reads it until ctx is done or the
// server closes it. With cfg.Failover it then reconnects, as a page's
// client does: after a full-jitter backoff (liveBackoff), to one of the
// failover servers, with the last offset and epoch it saw, and so on until
// ctx is done or the server says not to.
func (st *liveClientState) run(ctx context.Context, i int, opened func(error)) {
	var once sync.Once
	open := func(err error) { once.Do(func() { opened(err) }) }
	defer open(errors.New("connection ended before its connect reply"))

	ch := st.channel(i)
	g := st.cfg.Grants[ch]
	if st.cfg.Reader != "" {
		var err error
		if g, err = st.readerGrant(ctx, i); err != nil {
			open(err)
			return
		}
		ch = g.Channel
	}
	c := &liveConn{i: i, ch: ch, token: g.Token, offset: g.Offset, epoch: g.Epoch}
	st.seqs[i].Store(-1)
	addr := st.cfg.Addr
	if len(st.cfg.Addrs) > 0 {
		addr = st.cfg.Addrs[i%len(st.cfg.Addrs)]
	}
	for tries := 0; ; {
		subscribed, code, err := st.session(ctx, c, addr, open)
		if !c.resumes && !subscribed {
			if err == nil {
				err = errors.New("connection ended before its connect reply")
			}
			open(err) // the first connection failed: no retry, it counts as failed
			return
		}
		if subscribed {
			tries = 0
		} else {
			st.attemptsFailed.Add(1)
		}
		if len(st.cfg.Failover) == 0 || ctx.Err() != nil || !liveReconnects(code) {
			return
		}
		if subscribed {
			st.dropped(c, code)
		}
		c.resumes = true
		t := time.NewTimer(liveBackoff(tries))
		tries++
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		addr = st.cfg.Failover[rand.IntN(len(st.cfg.Failover))]
	}
}

// liveConn is one connection's position on its channel, kept across its
// reconnects.
type liveConn struct {
	i       int
	ch      string
	token   string
	offset  uint64
	epoch   string
	resumes bool  // it has been connected before: the next connect is a resume
	dropped int64 // when it last ended, unix ns
}

// session makes one connection of c to addr, from c's position, and reads
// it until it ends. It calls open(nil) once it is subscribed, the first
// time. It returns whether it was subscribed, and the disconnect code the
// server gave (0 for none: a network failure or a closed stream).
func (st *liveClientState) session(ctx context.Context, c *liveConn, addr string, open func(error)) (bool, int, error) {
	connect, err := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{
		"token": c.token,
		"subs":  map[string]any{c.ch: map[string]any{"recover": true, "offset": c.offset, "epoch": c.epoch}},
	}})
	if err != nil {
		return false, 0, err
	}
	msgs, closer, err := st.dial(ctx, c.i, addr, connect)
	if err != nil {
		return false, 0, err
	}
	stop := context.AfterFunc(ctx, func() { closer.Close() })
	defer stop()
	defer closer.Close()

	subscribed := false
	for m := range msgs {
		if !subscribed {
			reply, err := parseLiveConnectReply(m, c.ch)
			if err != nil {
				return false, 0, err
			}
			if reply == nil {
				continue // a ping before the reply
			}
			subscribed = true
			if dl, ok := closer.(interface{ SetDeadline(time.Time) error }); ok {
				_ = dl.SetDeadline(time.Time{})
			}
			if c.resumes {
				st.resumed(c, reply)
			} else {
				c.offset, c.epoch = max(c.offset, reply.Offset), reply.Epoch
			}
			st.alive.Add(1)
			defer st.alive.Add(-1)
			open(nil)
			continue
		}
		p, ok := parseLivePush(m)
		switch {
		case !ok:
		case p.Disconnect != nil:
			return true, p.Disconnect.Code, nil
		case p.Channel == c.ch && p.Pub != nil:
			st.publication(c, p.Pub)
		}
	}
	return subscribed, 0, nil
}

// dial opens connection i to addr over the configured transport and sends
// connect; it returns the connection's messages, one JSON each, and what
// closes it.
func (st *liveClientState) dial(ctx context.Context, i int, addr string, connect []byte) (func(yield func([]byte) bool), io.Closer, error) {
	d := &net.Dialer{Timeout: liveDialTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(st.cfg.Sources[i%len(st.cfg.Sources)])}}
	switch st.cfg.Transport {
	case "sse":
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dial: %w", err)
		}
		u := "http://" + addr + live.DefaultPath + "sse?cf_connect=" + url.QueryEscape(string(connect))
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		req.Header.Set("User-Agent", headless.ChromeUA)
		req.Header.Set("Accept", "text/event-stream")
		_ = conn.SetDeadline(time.Now().Add(liveConnectTimeout))
		if err := req.Write(conn); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("request: %w", err)
		}
		br := bufio.NewReaderSize(conn, 2<<10)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("response: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			conn.Close()
			return nil, nil, fmt.Errorf("response: %s", resp.Status)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		return func(yield func([]byte) bool) {
			for sc.Scan() {
				if data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok && !yield(data) {
					return
				}
			}
		}, conn, nil
	case "ws":
		wcfg, err := websocket.NewConfig("ws://"+addr+live.DefaultPath+"ws", "http://"+addr)
		if err != nil {
			return nil, nil, err
		}
		wcfg.Dialer = d
		wcfg.Header = http.Header{"User-Agent": {headless.ChromeUA}}
		ws, err := wcfg.DialContext(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("dial: %w", err)
		}
		_ = ws.SetDeadline(time.Now().Add(liveConnectTimeout))
		if err := websocket.Message.Send(ws, string(connect)); err != nil {
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
					if bytes.Equal(m, []byte("{}")) { // the server's ping: answer it
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

// liveContentSeq reads data-seq="N" from a publication's content.
func liveContentSeq(content string) (int, bool) {
	_, rest, ok := strings.Cut(content, `data-seq="`)
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
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
