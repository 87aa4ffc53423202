package page

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// writeReaders prints the readers section: signed-in readers held against
// anonymous connections, PublishTo, presence, messages.
func writeReaders(w io.Writer, r *livebench.LiveReaders) {
	fmt.Fprintf(w, "\n== live readers (signed in, private channels), in %v\n", r.Elapsed)
	if h := r.Held; h != nil {
		writeReadersHeld(w, h)
	}
	if p := r.Presence; p != nil {
		fmt.Fprintf(w, "reading now: %d readers over %d instances through redis-server %s, reported every %v; ms until the count published was the truth, as seen on A / B\n",
			p.Readers, p.Instances, r.Redis, p.Every)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "step\ttruth\ton A ms\ton B ms\tone period later\t")
		for _, s := range p.Steps {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", s.What, s.Truth, presenceMS(s.Correct, 0), presenceMS(s.Correct, 1), strings.Trim(fmt.Sprint(s.Final), "[]"))
		}
		tw.Flush()
	}
	if m := r.Messages; m != nil {
		writeReadersMessages(w, m)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "live readers: %s\n", e)
	}
}

// writeReadersHeld prints the connections held and PublishTo.
func writeReadersHeld(w io.Writer, h *livebench.ReadersHeld) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "held on one instance ("+h.Transport+")\tasked\ttried\theld\terrors\topen s\tRSS/conn KiB\theap/conn KiB\tstack/conn KiB\tpeak RSS MiB\t")
	for _, c := range []struct {
		name string
		c    *livebench.LiveConns
	}{{"anonymous, one public channel", h.Anonymous}, {"signed-in readers, a private channel each", h.Readers}} {
		if k := c.c; k != nil {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", c.name, k.Asked, k.Conns, k.Held, k.Errors,
				k.Open.Seconds(), k.RSSPerConn/1024, k.HeapPerConn/1024, k.StackPerConn/1024, float64(k.PeakRSS)/(1<<20))
		}
	}
	tw.Flush()
	if h.RSSRatio > 0 {
		fmt.Fprintf(w, "RSS per connection, readers over anonymous: %.2f\n", h.RSSRatio)
	}
	if len(h.PublishTo) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "PublishTo one reader\tpublications\tPublishTo p50 µs\tp99 µs\tmax µs\treceived\tto receipt p50 ms\tp99 ms\t")
		for _, p := range h.PublishTo {
			fmt.Fprintf(tw, "%d readers connected\t%d\t%s\t%s\t%s\t%d\t%s\t%s\t\n", p.Connected, p.Pubs, us(p.P50), us(p.P99), us(p.Max), p.Received, f2(p.RecvP50), f2(p.RecvP99))
		}
		tw.Flush()
	}
}

// writeReadersMessages prints messages posted → visible, ours and
// socket.io's.
func writeReadersMessages(w io.Writer, m *livebench.ReadersMessages) {
	if m.Skipped != "" {
		fmt.Fprintf(w, "message posted → visible: skipped (%s)\n", m.Skipped)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "message posted on A → visible on B\tclient's transport\tmessages\tshown\tp50 ms\tp99 ms\tmax ms\tconnected ms\t")
	for _, v := range []struct {
		name string
		v    *livebench.LiveVisible
	}{{"bigpipe (live, PublishTo)", m.BigPipe}, {"socket.io " + m.SocketIOVersion + " + Redis adapter", m.SocketIO}} {
		if v.v != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", v.name, v.v.Client, v.v.Publications, v.v.Shown, f1(v.v.P50), f1(v.v.P99), f1(v.v.Max), f1(v.v.Connect))
		}
	}
	tw.Flush()
	if m.P50Ratio > 0 {
		fmt.Fprintf(w, "ours over socket.io's: p50 %.2f, p99 %.2f\n", m.P50Ratio, m.P99Ratio)
	}
	if m.SocketIOSkipped != "" {
		fmt.Fprintf(w, "socket.io: not measured: %s\n", m.SocketIOSkipped)
	}
}

// presenceMS is watcher i's time in ms, "never" for -1.
func presenceMS(ds []time.Duration, i int) string {
	switch {
	case i >= len(ds):
		return "-"
	case ds[i] < 0:
		return "never"
	}
	return f1(ds[i])
}

// us formats d in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Microsecond)) }
