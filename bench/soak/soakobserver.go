package soak

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// Headers by which a soak client tells the server's observer who it is.
const (
	soakKindHeader = "X-Soak-Kind" // its soakKind; none for the calibration
	soakIDHeader   = "X-Soak-Id"   // a slow reader's id, to hear when the server gave up on it
)

// soakObserver is the soak server's render.Observer: it counts how every
// page ended by client kind, how every pagelet settled, and checks both
// against what that kind of client should get. Slow readers wait on it to
// learn that the server has cut them off.
type soakObserver struct {
	mu         sync.Mutex
	outcomes   map[soakKind]map[render.Outcome]int
	failures   map[render.Failure]int
	unexpected []string // the first few server-side surprises
	nUnexp     int
	gone       map[string]chan struct{} // closed at PageDone of a slow reader, by id
}

func newSoakObserver() *soakObserver {
	return &soakObserver{
		outcomes: map[soakKind]map[render.Outcome]int{},
		failures: map[render.Failure]int{},
		gone:     map[string]chan struct{}{},
	}
}

var _ render.Observer = (*soakObserver)(nil)

func (o *soakObserver) PageStarted(*http.Request) {}

// PageletDone checks the pagelets of pages read to the end: a pagelet with
// an injected fault fails the way that fault should, every other one
// renders its content.
func (o *soakObserver) PageletDone(r *http.Request, s render.PageletStats) {
	kind := requestKind(r)
	want := s.Failure
	if kind.readsAll() { // else given up when the client went: any failure is fair
		want = expectedFailure(r, s.ID)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures[s.Failure]++
	if s.Failure != want {
		o.surprise("server: %s %s: pagelet %s failed with %q (%v), want %q", kind, r.URL.RequestURI(), s.ID, s.Failure, s.Err, want)
	}
}

// PageDone counts the outcome and checks it: a page read to the end is
// complete with 200, a disconnecting client's is complete or client_gone
// (it may have left after the last byte was sent), a slow reader's is
// client_gone: the write timeout cut it.
func (o *soakObserver) PageDone(r *http.Request, s render.PageStats) {
	kind := requestKind(r)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.outcomes[kind] == nil {
		o.outcomes[kind] = map[render.Outcome]int{}
	}
	o.outcomes[kind][s.Outcome]++
	ok := s.Outcome == render.Complete && s.Status == http.StatusOK
	switch kind {
	case kindDisconnect:
		ok = s.Outcome == render.Complete || s.Outcome == render.ClientGone
	case kindSlow:
		ok = s.Outcome == render.ClientGone
		if ch, found := o.gone[r.Header.Get(soakIDHeader)]; found {
			close(ch)
			delete(o.gone, r.Header.Get(soakIDHeader))
		}
	}
	if !ok {
		o.surprise("server: %s %s: outcome %s, status %d", kind, r.URL.RequestURI(), s.Outcome, s.Status)
	}
}

// watch returns a channel closed once the page of the slow reader id is
// done.
func (o *soakObserver) watch(id string) <-chan struct{} {
	ch := make(chan struct{})
	o.mu.Lock()
	o.gone[id] = ch
	o.mu.Unlock()
	return ch
}

// unwatch forgets id if its page never ended.
func (o *soakObserver) unwatch(id string) {
	o.mu.Lock()
	delete(o.gone, id)
	o.mu.Unlock()
}

// surprise records an unexpected outcome. o.mu must be held.
func (o *soakObserver) surprise(format string, args ...any) {
	o.nUnexp++
	if len(o.unexpected) < 10 {
		o.unexpected = append(o.unexpected, fmt.Sprintf(format, args...))
	}
}

// snapshot returns copies of the counts and the surprises.
func (o *soakObserver) snapshot() (outcomes map[soakKind]map[render.Outcome]int, failures map[render.Failure]int, n int, samples []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	outcomes = map[soakKind]map[render.Outcome]int{}
	for k, m := range o.outcomes {
		outcomes[k] = map[render.Outcome]int{}
		for oc, c := range m {
			outcomes[k][oc] = c
		}
	}
	failures = map[render.Failure]int{}
	for f, c := range o.failures {
		failures[f] = c
	}
	return outcomes, failures, o.nUnexp, append([]string(nil), o.unexpected...)
}

// requestKind is the soak client kind r comes from; the calibration's
// requests carry none.
func requestKind(r *http.Request) soakKind {
	if k := r.Header.Get(soakKindHeader); k != "" {
		return soakKind(k)
	}
	return kindCalibration
}

// expectedFailure is how pagelet id of the /bench request r should settle,
// given its fail parameter.
func expectedFailure(r *http.Request, id string) render.Failure {
	q := r.URL.Query()
	delays, err := pages.ParseDelays(q.Get("delays"))
	if err != nil || q.Get("fail") == "" {
		return render.FailNone
	}
	faults, err := pages.ParseFailures(q.Get("fail"), len(delays))
	if err != nil {
		return render.FailNone
	}
	var i int
	if _, err := fmt.Sscanf(strings.TrimPrefix(id, "p"), "%d", &i); err != nil || i < 0 || i >= len(faults) {
		return render.FailNone
	}
	return faultFailure(faults[i])
}

// faultFailure is the failure the renderer reports for an injected fault.
func faultFailure(f pages.Fault) render.Failure {
	switch f {
	case pages.FaultError, pages.FaultBadRender:
		return render.FailError
	case pages.FaultPanic:
		return render.FailPanic
	case pages.FaultHang, pages.FaultTimeout:
		return render.FailTimeout
	}
	return render.FailNone
}
