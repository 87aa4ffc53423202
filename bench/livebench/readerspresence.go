package livebench

// "Reading now" across two instances through Redis: an article channel
// (benchp:article) on a feed declared live.WithPresence(1s, report), whose
// report publishes the count to the state channel benchn:article. A
// watcher on each instance (an SSE connection of the bench's own, to A and
// to B) follows that channel. -live-presence readers join the article,
// connection i on instance i mod 2, from two client processes; then the
// first process's readers leave (its process ends: its sockets close), then
// the second's. For each step: from the last join (the clients reported
// every connection subscribed) or from the start of the leave (before the
// process is ended, so the figure is an upper bound) until each watcher's
// latest "reading now" equals the truth; then, one reporting period later,
// whether it still does.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// presenceWait bounds the wait for a correct count after a step.
const presenceWait = 15 * time.Second

// ReadersPresence is "reading now" across two instances.
type ReadersPresence struct {
	Instances int            `json:"instances"`
	Readers   int            `json:"readers"`
	Every     time.Duration  `json:"every"` // the feed's reporting period
	Steps     []PresenceStep `json:"steps"`
}

// PresenceStep is readers joining or leaving, and when each watcher saw
// the right count.
type PresenceStep struct {
	What    string          `json:"what"`
	Truth   int             `json:"truth"`   // pages open on the article after the step
	Correct []time.Duration `json:"correct"` // per watcher (on A, on B): until its count was the truth; -1 if never within presenceWait
	Final   []int           `json:"final"`   // per watcher: the count one period after both were correct
}

// Worst is the step's slowest watcher, or -1 if one never saw the truth.
func (s PresenceStep) Worst() time.Duration {
	var w time.Duration
	for _, d := range s.Correct {
		if d < 0 {
			return -1
		}
		w = max(w, d)
	}
	return w
}

// readersPresence runs the joins and leaves on srvs (A and B).
func readersPresence(ctx context.Context, rig liveRig, srvs []*liveServer, n int) (*ReadersPresence, error) {
	p := &ReadersPresence{Instances: len(srvs), Readers: n, Every: presenceEvery}
	article, count := presenceFeed+presenceArticle, countFeed+presenceArticle
	grants, err := liveGrants(ctx, srvs[0], article, count)
	if err != nil {
		return p, err
	}
	var wg sync.WaitGroup
	defer wg.Wait() // after stop (deferred later, run earlier): each watcher's connection is closed
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var watchers []*countWatcher
	for _, s := range srvs {
		w := &countWatcher{changed: make(chan struct{})}
		watchers = append(watchers, w)
		if err := w.start(wctx, &wg, s.addr, count, grants[count]); err != nil {
			return p, err
		}
	}
	var addrs []string
	for _, s := range srvs {
		addrs = append(addrs, s.addr)
	}
	half := n / 2
	var cfgs []liveClientConfig
	for k, m := range []int{half, n - half} {
		cfgs = append(cfgs, liveClientConfig{Transport: readersTransport, Conns: m, Sources: []string{fmt.Sprintf("%s9.%d", rig.source, k+1)},
			Concurrency: liveClientConcurrency, Grants: grants, Addrs: addrs, Channel: article})
	}
	rig.progress(fmt.Sprintf("readers: presence: %d readers join the article on A and B", n))
	clients, err := startLiveClients(ctx, rig.exe, cfgs)
	if err != nil {
		return p, err
	}
	defer clients.stop()
	ready, err := clients.ready(ctx, time.Minute, nil)
	if err == nil && ready.failed > 0 {
		err = fmt.Errorf("%d of %d failed to join: %s", ready.failed, n, ready.firstErr)
	}
	if err != nil {
		return p, err
	}
	steps := []struct {
		what  string
		truth int
		leave *liveProc
	}{{fmt.Sprintf("%d joined", n), n, nil}, {fmt.Sprintf("%d left", half), n - half, clients.procs[0]}, {fmt.Sprintf("the other %d left", n-half), 0, clients.procs[1]}}
	var errs []error
	for _, s := range steps {
		t0 := time.Now()
		if s.leave != nil {
			rig.progress("readers: presence: " + s.what)
			s.leave.stop()
		}
		st := presenceStep(ctx, watchers, s.what, s.truth, t0)
		p.Steps = append(p.Steps, st)
		if st.Worst() < 0 {
			errs = append(errs, fmt.Errorf("%s: the count was not %d within %v on every instance (%v)", s.what, s.truth, presenceWait, st.Final))
		}
	}
	return p, errors.Join(errs...)
}

// presenceStep waits until every watcher's count is truth (from t0), then
// one reporting period more, and reads their counts again.
func presenceStep(ctx context.Context, watchers []*countWatcher, what string, truth int, t0 time.Time) PresenceStep {
	st := PresenceStep{What: what, Truth: truth}
	for _, w := range watchers {
		st.Correct = append(st.Correct, w.until(ctx, truth, t0, presenceWait))
	}
	select {
	case <-time.After(presenceEvery + presenceEvery/5):
	case <-ctx.Done():
	}
	for _, w := range watchers {
		n, _ := w.latest()
		st.Final = append(st.Final, n)
	}
	return st
}
