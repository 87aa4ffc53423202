package livebench

// The load client's side of reconnecting (liveclient.go): what a
// connection keeps of its channel across reconnects (its last offset and
// epoch, the last sequence number it saw), how it reads the server's
// replies and pushes, when and how soon it reconnects (as live/live.js
// does), and the commands that tell the bench how the reconnects went:
//
//	"resumed"          "resumed <resumes> <recovered> <recovered with missed publications> <refetched> <failed attempts>
//	                   <open> <unix ns of the last resume> <unix ns of the first and of the last connection end>
//	                   <p50, p99 and max ns from a connection's end to its resume>
//	                   <connection ends by disconnect code: code:count,… (0: the stream ended without one)>"
//	"check <seq> <ms>" "checked <connections at seq or past it> <gaps> <duplicates>" once every
//	                   connection has seen publication seq, or after ms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// livePubMsg is a publication as the server sends it, pushed or listed in
// a connect reply's recovered publications.
type livePubMsg struct {
	Data struct {
		Content string `json:"content"`
	} `json:"data"`
	Offset uint64 `json:"offset"`
}

// liveDisconnect is the server's disconnect: a code and a reason.
type liveDisconnect struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

// livePushMsg is a push: a publication on a channel, or a disconnect.
type livePushMsg struct {
	Channel    string          `json:"channel"`
	Pub        *livePubMsg     `json:"pub"`
	Disconnect *liveDisconnect `json:"disconnect"`
}

// parseLivePush reads a push, or a disconnect sent on its own; ok is false
// for anything else (a ping, a reply).
func parseLivePush(m []byte) (livePushMsg, bool) {
	if !bytes.Contains(m, []byte(`"push"`)) && !bytes.Contains(m, []byte(`"disconnect"`)) {
		return livePushMsg{}, false
	}
	var p struct {
		Push       *livePushMsg    `json:"push"`
		Disconnect *liveDisconnect `json:"disconnect"`
	}
	if json.Unmarshal(m, &p) != nil {
		return livePushMsg{}, false
	}
	switch {
	case p.Push != nil:
		return *p.Push, true
	case p.Disconnect != nil:
		return livePushMsg{Disconnect: p.Disconnect}, true
	}
	return livePushMsg{}, false
}

// livePushSeq returns the sequence number of a publication pushed on ch,
// if m is one.
func livePushSeq(m []byte, ch string) (int, bool) {
	p, ok := parseLivePush(m)
	if !ok || p.Channel != ch || p.Pub == nil {
		return 0, false
	}
	return liveContentSeq(p.Pub.Data.Content)
}

// liveConnectSub is a connect reply's subscription to one channel: its
// position, and on a resume whether the missed publications (listed) could
// be recovered.
type liveConnectSub struct {
	Offset       uint64       `json:"offset"`
	Epoch        string       `json:"epoch"`
	Recovered    bool         `json:"recovered"`
	Publications []livePubMsg `json:"publications"`
}

// parseLiveConnectReply reads the connect reply's subscription to ch: nil
// for a message that is not the reply (a ping before it), an error for a
// refusal or a reply without ch.
func parseLiveConnectReply(m []byte, ch string) (*liveConnectSub, error) {
	var r struct {
		Connect *struct {
			Subs map[string]*liveConnectSub `json:"subs"`
		} `json:"connect"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Disconnect *liveDisconnect `json:"disconnect"`
	}
	if err := json.Unmarshal(m, &r); err != nil {
		return nil, fmt.Errorf("connect reply %q: %w", m, err)
	}
	switch {
	case r.Error != nil:
		return nil, fmt.Errorf("connect refused: %d %s", r.Error.Code, r.Error.Message)
	case r.Disconnect != nil:
		return nil, fmt.Errorf("disconnected before the connect reply: %d %s", r.Disconnect.Code, r.Disconnect.Reason)
	case r.Connect == nil:
		return nil, nil
	case r.Connect.Subs[ch] == nil:
		return nil, fmt.Errorf("connect reply without a subscription to %s: %s", ch, m)
	}
	return r.Connect.Subs[ch], nil
}

// liveReconnects reports whether a client reconnects after the server's
// disconnect code, by live/live.js's rule: not after a code that says the
// client is at fault or must not come back (101–2999 but 111, 3500–3999,
// 4500–4999); after a network failure (0) and the others, yes.
func liveReconnects(code int) bool {
	return !(code > 100 && code < 3000 && code != 111 || code >= 3500 && code < 4000 || code >= 4500 && code < 5000)
}

// liveBackoff is the wait before reconnect attempt n (from 0), as
// live/live.js waits: full jitter, 500 ms doubling up to 20 s.
func liveBackoff(n int) time.Duration {
	ceil := min(20*time.Second, 500*time.Millisecond<<min(n, 6))
	return rand.N(ceil)
}

// channel is connection i's channel: cfg.Channel, or the fan-out channel
// for the first cfg.Fan and the idle one for the rest.
func (st *liveClientState) channel(i int) string {
	switch {
	case st.cfg.Channel != "":
		return st.cfg.Channel
	case i < st.cfg.Fan:
		return liveFanChan
	}
	return liveIdle
}

// publication notes that connection c received pub, pushed or recovered:
// its position moves on, its sequence number is checked against the last
// one (a duplicate, or a gap), and a fan-out publication is counted.
func (st *liveClientState) publication(c *liveConn, pub *livePubMsg) {
	c.offset = max(c.offset, pub.Offset)
	if st.cfg.Reader != "" {
		st.readers.received(pub.Data.Content, time.Now().UnixNano())
	}
	seq, ok := liveContentSeq(pub.Data.Content)
	if !ok {
		return
	}
	if c.ch == liveFanChan {
		st.received(seq, time.Now().UnixNano())
	}
	last := st.seqs[c.i].Load()
	switch {
	case last >= 0 && int64(seq) <= last:
		st.dups.Add(1)
		return
	case last >= 0 && int64(seq) > last+1:
		st.gaps.Add(int64(seq) - last - 1)
	}
	st.seqs[c.i].Store(int64(seq))
}

// resumed notes a reconnect's reply: the publications missed meanwhile,
// recovered; or, if they could not be, the position afresh, as a page's
// client takes it from the pagelet it refetches (its sequence then starts
// again from whatever comes next).
func (st *liveClientState) resumed(c *liveConn, reply *liveConnectSub) {
	now := time.Now().UnixNano()
	st.resumes.Add(1)
	st.mu.Lock()
	st.resumeTook = append(st.resumeTook, time.Duration(now-c.dropped))
	st.mu.Unlock()
	for last := st.lastResume.Load(); now > last && !st.lastResume.CompareAndSwap(last, now); last = st.lastResume.Load() {
	}
	if !reply.Recovered {
		st.refetched.Add(1)
		c.offset, c.epoch = reply.Offset, reply.Epoch
		st.seqs[c.i].Store(-1)
		return
	}
	st.recovered.Add(1)
	if len(reply.Publications) > 0 {
		st.recoveredPubs.Add(1)
	}
	for i := range reply.Publications {
		st.publication(c, &reply.Publications[i])
	}
	c.offset, c.epoch = max(c.offset, reply.Offset), reply.Epoch
}

// dropped notes that connection c ended (to be resumed), with the server's
// disconnect code.
func (st *liveClientState) dropped(c *liveConn, code int) {
	c.dropped = time.Now().UnixNano()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.dropCodes[code]++
	if st.firstDrop == 0 || c.dropped < st.firstDrop {
		st.firstDrop = c.dropped
	}
	st.lastDrop = max(st.lastDrop, c.dropped)
}

// command answers the reconnect commands; it reports false for any other.
func (st *liveClientState) command(f []string, out *lineWriter) (bool, error) {
	switch {
	case len(f) == 1 && f[0] == "receipts":
		out.printf("%s", st.readers.take())
		return true, nil
	case len(f) == 1 && f[0] == "resumed":
		st.mu.Lock()
		took := slices.Clone(st.resumeTook)
		first, last := st.firstDrop, st.lastDrop
		var codes []string
		for code, n := range st.dropCodes {
			codes = append(codes, fmt.Sprintf("%d:%d", code, n))
		}
		st.mu.Unlock()
		slices.Sort(codes)
		if len(codes) == 0 {
			codes = []string{"-"}
		}
		var p50, p99, pmax time.Duration
		if len(took) > 0 {
			p50, p99, pmax = measure.Percentile(took, 50), measure.Percentile(took, 99), measure.Percentile(took, 100)
		}
		out.printf("resumed %d %d %d %d %d %d %d %d %d %d %d %d %s", st.resumes.Load(), st.recovered.Load(), st.recoveredPubs.Load(), st.refetched.Load(),
			st.attemptsFailed.Load(), st.alive.Load(), st.lastResume.Load(), first, last, p50, p99, pmax, strings.Join(codes, ","))
		return true, nil
	case len(f) == 3 && f[0] == "check":
		seq, err1 := strconv.ParseInt(f[1], 10, 64)
		ms, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return true, fmt.Errorf("bad command %q", f)
		}
		go func() { // ends by its deadline at the latest
			deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
			for {
				n := 0
				for i := range st.seqs {
					if st.seqs[i].Load() >= seq {
						n++
					}
				}
				if n == len(st.seqs) || time.Now().After(deadline) {
					out.printf("checked %d %d %d", n, st.gaps.Load(), st.dups.Load())
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		return true, nil
	}
	return false, nil
}
