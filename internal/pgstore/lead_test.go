package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgstore"
)

// leadEvery is the lead interval of these tests: how often a contender
// tries, and a leader checks its connection.
const leadEvery = 100 * time.Millisecond

// election watches contenders for one lead: who leads now, the most that
// ever led at once, and each taking and losing of the lead, in order.
type election struct {
	mu      sync.Mutex
	leading []string
	most    int
	events  chan string // "took A", "left A: <cause>"
}

func newElection() *election { return &election{events: make(chan string, 100)} }

// contend runs db.Lead for who until the returned cancel is called; fn
// holds the lead until its context ends. done gets Lead's result.
func (e *election) contend(t *testing.T, db *pgstore.DB, who string) (cancel context.CancelFunc, done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- db.Lead(ctx, "sim", func(ctx context.Context) error {
			e.mu.Lock()
			e.leading = append(e.leading, who)
			e.most = max(e.most, len(e.leading))
			e.mu.Unlock()
			e.events <- "took " + who
			<-ctx.Done()
			e.mu.Lock()
			e.leading = slices.DeleteFunc(e.leading, func(s string) bool { return s == who })
			e.mu.Unlock()
			e.events <- fmt.Sprintf("left %s: %v", who, context.Cause(ctx))
			return ctx.Err()
		})
		close(errc) // a second receive, after the test's own, does not block
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-errc:
		case <-time.After(10 * time.Second):
			t.Errorf("Lead of %s still running 10 s after its context ended", who)
		}
	})
	return cancel, errc
}

// next returns the next event, failing t if none comes within d.
func (e *election) next(t *testing.T, d time.Duration, what string) string {
	t.Helper()
	select {
	case ev := <-e.events:
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %s: want %s", d, what)
		return ""
	}
}

func (e *election) state() (leading []string, most int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.leading), e.most
}

// sessions returns the pids of the database's lead connections, and of
// the one holding an advisory lock.
func sessions(t *testing.T, conn *pgx.Conn) (contenders int, holder int32) {
	t.Helper()
	err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bigpipe lead'`).Scan(&contenders)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.QueryRow(t.Context(), `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&holder)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return contenders, holder
}

// TestLead runs instances contending for one lead: one leads at a time;
// when the leader's context ends another takes over within a second, with
// no overlap; when the leader's connection is killed (as when its process
// is), its fn is told the lead was lost and another takes over, and the
// killed one contends again.
func TestLead(t *testing.T) {
	url := database(t)
	dbs := make([]*pgstore.DB, 3)
	for i := range dbs {
		dbs[i] = open(t, url, pgstore.WithLeadInterval(leadEvery))
	}
	watch, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(context.Background())

	e := newElection()
	cancels := map[string]context.CancelFunc{}
	dones := map[string]<-chan error{}
	for i, who := range []string{"A", "B"} {
		cancels[who], dones[who] = e.contend(t, dbs[i], who)
	}
	first := e.next(t, 5*time.Second, "one of A and B to take the lead")[len("took "):]
	other := map[string]string{"A": "B", "B": "A"}[first]

	// Both contend; only one leads, for several of the other's tries.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if n, _ := sessions(t, watch); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second contender never connected")
		}
		time.Sleep(leadEvery / 4)
	}
	select {
	case ev := <-e.events:
		t.Fatalf("%s while %s leads", ev, first)
	case <-time.After(5 * leadEvery):
	}

	// The leader's context ends: it unlocks, the other takes over at its
	// next try, and nobody led alongside anybody.
	began := time.Now()
	cancels[first]()
	if ev := e.next(t, 2*time.Second, first+" to leave"); ev != "left "+first+": context canceled" {
		t.Fatalf("got %q, want %s to leave on its context", ev, first)
	}
	if err := <-dones[first]; !errors.Is(err, context.Canceled) {
		t.Errorf("Lead of %s returned %v, want fn's context.Canceled", first, err)
	}
	if ev := e.next(t, 2*time.Second, other+" to take over"); ev != "took "+other {
		t.Fatalf("got %q, want %s to take over", ev, other)
	}
	t.Logf("handover after the leader's context ended: %s", time.Since(began).Round(time.Millisecond))
	if leading, most := e.state(); most != 1 || !slices.Equal(leading, []string{other}) {
		t.Errorf("leading %v, at most %d at once; want %s alone, never two", leading, most, other)
	}

	// A third contender; then the leader's session is killed.
	cancels["C"], dones["C"] = e.contend(t, dbs[2], "C")
	for deadline := time.Now().Add(5 * time.Second); ; {
		if n, _ := sessions(t, watch); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("C never connected")
		}
		time.Sleep(leadEvery / 4)
	}
	_, holder := sessions(t, watch)
	if holder == 0 {
		t.Fatalf("no session holds the lead while %s leads", other)
	}
	began = time.Now()
	var killed bool
	if err := watch.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", holder).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", holder, killed, err)
	}
	var left, took string
	for left == "" || took == "" {
		ev := e.next(t, 3*time.Second, "the killed leader to leave and another to lead")
		switch {
		case ev == "took C" || ev == "took "+other:
			took = ev
		case strings.HasPrefix(ev, "left "+other+":"):
			left = ev
		default:
			t.Fatalf("unexpected %q", ev)
		}
	}
	t.Logf("after the leader's session was killed: %q, %q; %s", left, took, time.Since(began).Round(time.Millisecond))
	if !strings.HasPrefix(left, "left "+other+": "+pgstore.ErrLeadLost.Error()) {
		t.Errorf("killed leader: %q, want its context's cause to be ErrLeadLost", left)
	}
	select {
	case err := <-dones[other]:
		t.Errorf("Lead of the killed leader returned %v; want it to contend again", err)
	default:
	}
	if leading, _ := e.state(); len(leading) != 1 {
		t.Errorf("leading %v after the takeover, want one", leading)
	}
}

// TestLeadEnds: a fn that returns by itself ends Lead with its error and
// unlocks (another takes the lead at once); a Lead whose context ends while
// it waits returns the context's cause.
func TestLeadEnds(t *testing.T) {
	dbs := instances(t, 2, pgstore.WithLeadInterval(leadEvery))
	boom := errors.New("boom")
	if err := dbs[0].Lead(t.Context(), "job", func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Lead = %v, want fn's error", err)
	}
	held := make(chan struct{})
	release := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- dbs[1].Lead(t.Context(), "job", func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the lead was not free after fn returned")
	}
	ctx, cancel := context.WithTimeoutCause(t.Context(), 5*leadEvery, errors.New("gave up waiting"))
	defer cancel()
	err := dbs[0].Lead(ctx, "job", func(context.Context) error {
		t.Error("led while another held the lead")
		return nil
	})
	if err == nil || err.Error() != "gave up waiting" {
		t.Errorf("Lead whose context ended while waiting = %v, want its cause", err)
	}
	close(release)
	if err := <-errc; err != nil {
		t.Errorf("holder's Lead = %v", err)
	}
	// Another name is another lead.
	if err := dbs[0].Lead(t.Context(), "other job", func(context.Context) error { return nil }); err != nil {
		t.Error(err)
	}
}
