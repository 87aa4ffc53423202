package main

// The live section's load client: a child process (this binary with
// liveRoleEnv=client) that opens many idle live connections to the server
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

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/websocket"

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
}

// liveClientState is the client role's connections.
type liveClientState struct {
	cfg   liveClientConfig
	alive atomic.Int64

	mu      sync.Mutex
	waits   map[int]*liveWait // by seq
	firstEr error
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
	if _, err := capRaiseNofile(); err != nil {
		return err
	}
	out := &lineWriter{w: stdout}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &liveClientState{cfg: cfg, waits: map[int]*liveWait{}}

	var (
		wg               sync.WaitGroup
		opened, failed   atomic.Int64
		sem              = make(chan struct{}, cfg.Concurrency)
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
				out.printf("progress %d %d", opened.Load(), failed.Load())
			}
		}
	}()
	for i := range cfg.Conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.run(ctx, i, func(err error) {
				if err != nil {
					failed.Add(1)
					st.noteErr(err)
				} else {
					opened.Add(1)
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
	st.mu.Lock()
	first := "-"
	if st.firstEr != nil {
		first = strings.ReplaceAll(st.firstEr.Error(), "\n", " ")
	}
	st.mu.Unlock()
	out.printf("ready %d %d %s", opened.Load(), failed.Load(), first)

	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
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
	cancel()
	wg.Wait()
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
// server closes it.
func (st *liveClientState) run(ctx context.Context, i int, opened func(error)) {
	var once sync.Once
	open := func(err error) { once.Do(func() { opened(err) }) }
	defer open(errors.New("connection ended before its connect reply"))

	ch := liveIdle
	if i < st.cfg.Fan {
		ch = liveFanChan
	}
	g := st.cfg.Grants[ch]
	connect, err := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{
		"token": g.Token,
		"subs":  map[string]any{ch: map[string]any{"recover": true, "offset": g.Offset, "epoch": g.Epoch}},
	}})
	if err != nil {
		open(err)
		return
	}
	d := &net.Dialer{Timeout: liveDialTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(st.cfg.Sources[i%len(st.cfg.Sources)])}}
	var msgs func(yield func([]byte) bool) // the connection's messages, one JSON each
	var closer io.Closer
	switch st.cfg.Transport {
	case "sse":
		conn, err := d.DialContext(ctx, "tcp", st.cfg.Addr)
		if err != nil {
			open(fmt.Errorf("dial: %w", err))
			return
		}
		closer = conn
		u := "http://" + st.cfg.Addr + live.DefaultPath + "sse?cf_connect=" + url.QueryEscape(string(connect))
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			conn.Close()
			open(err)
			return
		}
		req.Header.Set("User-Agent", ChromeUA)
		req.Header.Set("Accept", "text/event-stream")
		_ = conn.SetDeadline(time.Now().Add(liveConnectTimeout))
		if err := req.Write(conn); err != nil {
			conn.Close()
			open(fmt.Errorf("request: %w", err))
			return
		}
		br := bufio.NewReaderSize(conn, 2<<10)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			conn.Close()
			open(fmt.Errorf("response: %w", err))
			return
		}
		if resp.StatusCode != http.StatusOK {
			conn.Close()
			open(fmt.Errorf("response: %s", resp.Status))
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		msgs = func(yield func([]byte) bool) {
			for sc.Scan() {
				if data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok && !yield(data) {
					return
				}
			}
		}
	case "ws":
		wcfg, err := websocket.NewConfig("ws://"+st.cfg.Addr+live.DefaultPath+"ws", "http://"+st.cfg.Addr)
		if err != nil {
			open(err)
			return
		}
		wcfg.Dialer = d
		wcfg.Header = http.Header{"User-Agent": {ChromeUA}}
		ws, err := wcfg.DialContext(ctx)
		if err != nil {
			open(fmt.Errorf("dial: %w", err))
			return
		}
		closer = ws
		_ = ws.SetDeadline(time.Now().Add(liveConnectTimeout))
		if err := websocket.Message.Send(ws, string(connect)); err != nil {
			ws.Close()
			open(fmt.Errorf("connect command: %w", err))
			return
		}
		msgs = func(yield func([]byte) bool) {
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
		}
	default:
		open(fmt.Errorf("unknown transport %q", st.cfg.Transport))
		return
	}
	stop := context.AfterFunc(ctx, func() { closer.Close() })
	defer stop()
	defer closer.Close()

	subscribed := false
	for m := range msgs {
		if !subscribed {
			var r struct {
				Connect *struct {
					Subs map[string]json.RawMessage `json:"subs"`
				} `json:"connect"`
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(m, &r); err != nil {
				open(fmt.Errorf("connect reply %q: %w", m, err))
				return
			}
			switch {
			case r.Error != nil:
				open(fmt.Errorf("connect refused: %d %s", r.Error.Code, r.Error.Message))
				return
			case r.Connect == nil:
				continue // a ping before the reply
			case r.Connect.Subs[ch] == nil:
				open(fmt.Errorf("connect reply without a subscription to %s: %s", ch, m))
				return
			}
			subscribed = true
			if dl, ok := closer.(interface{ SetDeadline(time.Time) error }); ok {
				_ = dl.SetDeadline(time.Time{})
			}
			st.alive.Add(1)
			defer st.alive.Add(-1)
			open(nil)
			continue
		}
		if seq, ok := livePushSeq(m, ch); ok {
			st.received(seq, time.Now().UnixNano())
		}
	}
}

// livePushSeq returns the sequence number of a publication pushed on ch,
// if m is one.
func livePushSeq(m []byte, ch string) (int, bool) {
	if !bytes.Contains(m, []byte(`"push"`)) {
		return 0, false
	}
	var p struct {
		Push struct {
			Channel string `json:"channel"`
			Pub     *struct {
				Data struct {
					Content string `json:"content"`
				} `json:"data"`
			} `json:"pub"`
		} `json:"push"`
	}
	if json.Unmarshal(m, &p) != nil || p.Push.Channel != ch || p.Push.Pub == nil {
		return 0, false
	}
	return liveContentSeq(p.Push.Pub.Data.Content)
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
