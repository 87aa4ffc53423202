package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

// waitHealth waits until in's /healthz line satisfies want, and returns
// how long that took.
func waitHealth(t *testing.T, in *instance, d time.Duration, what string, want func(string) bool) time.Duration {
	t.Helper()
	began := time.Now()
	var last string
	if err := waitFor(nil, d, func() error {
		if last = health(in); !want(last) {
			return errNotYet
		}
		return nil
	}); err != nil {
		t.Fatalf("instance %s /healthz not %s within %s: %q", in.name, what, d, last)
	}
	return time.Since(began)
}

func dbDegraded(h string) bool { return strings.Contains(h, "database unreachable") }
func dbOK(h string) bool       { return !dbDegraded(h) && strings.HasPrefix(h, "200 ") }

// plainPostRefused posts a comment through in as a browser without
// JavaScript would, while the database is away, and checks the answer: 503
// with Retry-After, the page showing the form again with the text typed.
func plainPostRefused(t *testing.T, w *workload, in *instance) time.Duration {
	t.Helper()
	id := "plain" + suffix()
	began := time.Now()
	a := w.send("comments", id, 249, in, false)
	took := time.Since(began)
	if a.status != http.StatusServiceUnavailable || a.retry == "" {
		t.Fatalf("plain comment post while the database is away: %d (Retry-After %q), want 503 with Retry-After", a.status, a.retry)
	}
	for _, want := range []string{"<textarea", "Text of " + id, `value="` + id + `"`, "not sent"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the refusal page lacks %q (the form again, with the text and the same submission id):\n%.2000s", want, a.body)
		}
	}
	return took
}

// simMoved waits until the simulator has written a live document after
// since (some instance leads it again), and returns when.
func (s *dbSite) simMoved(t *testing.T, since time.Time, d time.Duration) time.Duration {
	t.Helper()
	var at time.Time
	if err := waitFor(nil, d, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.url)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(ctx, "SELECT max(updated_at) FROM docs").Scan(&at); err != nil {
			return err
		}
		if !at.After(since) {
			return errNotYet
		}
		return nil
	}); err != nil {
		t.Fatalf("the simulator wrote nothing within %s of the database's return: %v", d, err)
	}
	return at.Sub(since)
}

// TestDBRestartAndStall runs two instances with the simulator on, and
// comments, messages and page reads through both, while the database
// restarts (pg_ctl restart -m fast), then stalls (every PostgreSQL
// process stopped for 10 s, then continued). A post while it is away is
// refused with 503 and Retry-After, and the form keeps the text; pages
// render meanwhile, within the pagelets' timeout; /healthz says degraded,
// then ok again; after each fault posts are stored again, and after the
// stall the simulator runs again (its lead retaken); and every post, retried with its id until
// stored, is stored exactly once.
func TestDBRestartAndStall(t *testing.T) {
	s := newDBSite(t, 2)
	a, b := s.ins[0], s.ins[1]
	w := s.startWorkload(t)
	w.waitStored(t, a, time.Now(), 10*time.Second)

	// Restart.
	began := time.Now()
	if err := s.pg.Restart(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for _, in := range s.ins {
		t.Logf("restart: %s", w.summary(in.name, began, back))
	}
	t.Logf("restart: the database was down %s (pg_ctl restart -m fast)", back.Sub(began).Round(time.Millisecond))
	for _, in := range s.ins {
		t.Logf("restart: instance %s stores posts again %s after the database is back", in.name, w.waitStored(t, in, back, 20*time.Second).Round(time.Millisecond))
	}

	// Stall.
	if err := s.pg.Pause(); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = s.pg.Resume()
		}
	})
	for _, in := range s.ins {
		t.Logf("stall: /healthz of %s says the database is unreachable %s after the stall began",
			in.name, waitHealth(t, in, 30*time.Second, "degraded", dbDegraded).Round(time.Millisecond))
	}
	t.Logf("stall: a plain post on A was refused (503) in %s", plainPostRefused(t, w, a).Round(time.Millisecond))
	if d := 10*time.Second - time.Since(paused); d > 0 {
		time.Sleep(d) // the stall's length, not a synchronisation
	}
	if err := s.pg.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	back = time.Now()
	for _, in := range s.ins {
		t.Logf("stall: %s", w.summary(in.name, paused, back))
	}
	for _, in := range s.ins {
		t.Logf("stall: instance %s stores posts again %s after SIGCONT; /healthz ok after %s", in.name,
			w.waitStored(t, in, back, 20*time.Second).Round(time.Millisecond),
			waitHealth(t, in, 30*time.Second, "ok", dbOK).Round(time.Millisecond))
	}
	t.Logf("stall: the simulator wrote again %s after SIGCONT", s.simMoved(t, back, 20*time.Second).Round(time.Millisecond))
	w.waitStored(t, b, time.Now(), 10*time.Second)

	w.stop(t)
	posts, pages := w.counts()
	refused, found := w.check(t)
	t.Logf("%d posts, each stored once; %d attempts refused with 503; %d stored by an attempt whose answer was lost (found on the retry); %d page reads, all 200 in time",
		posts, refused, found, pages)
	if refused == 0 {
		t.Error("no post was refused while the database was away")
	}
}

// TestDBNetworkFaults puts faults between instance A and the database
// (its proxy) while B's connection stays clean: added latency, a
// bandwidth limit, connection resets, a one-way stall (answers lost, so
// statements commit without the instance hearing), and a partition of A.
// Latency and the bandwidth limit slow A's posts, which still succeed, and
// /healthz stays ok; the others refuse A's posts with 503 while they last,
// /healthz on A says degraded, B goes on storing, and A stores posts again
// within seconds of the fault's end. Every post is stored exactly once.
func TestDBNetworkFaults(t *testing.T) {
	s := newDBSite(t, 2)
	a, b := s.ins[0], s.ins[1]
	px := s.proxies[0]
	w := s.startWorkload(t)
	w.waitStored(t, a, time.Now(), 10*time.Second)

	for _, tc := range []struct {
		name   string
		fault  func(t testing.TB)
		lasts  time.Duration
		broken bool // posts through A are refused while it lasts
	}{
		{"latency 50 ms each way", func(t testing.TB) { px.Latency(t, 50) }, 3 * time.Second, false},
		{"bandwidth 16 KB/s", func(t testing.TB) { px.Bandwidth(t, 16) }, 3 * time.Second, false},
		{"connection reset", px.Reset, 3 * time.Second, true},
		{"one-way stall (answers lost)", func(t testing.TB) { px.Stall(t, pgtest.Downstream) }, 5 * time.Second, true},
		{"partition of A", px.Partition, 6 * time.Second, true},
	} {
		began := time.Now()
		tc.fault(t)
		if tc.broken {
			d := waitHealth(t, a, 30*time.Second, "degraded", dbDegraded) // the fault lasts until healed: a bound for a busy machine, not the figure
			t.Logf("%s: /healthz of A says the database is unreachable after %s", tc.name, d.Round(time.Millisecond))
		} else {
			d := w.waitStored(t, a, time.Now(), 15*time.Second)
			t.Logf("%s: A stores posts (first in %s)", tc.name, d.Round(time.Millisecond))
		}
		waitHealth(t, b, 30*time.Second, "ok (its connection is clean)", dbOK) // a ping slowed past its 1 s bound on a busy machine may say degraded for a moment
		w.waitStored(t, b, time.Now(), 10*time.Second)
		if d := tc.lasts - time.Since(began); d > 0 {
			time.Sleep(d) // the fault's length, not a synchronisation
		}
		if tc.broken {
			if at, ok := w.firstStored(a.name, began.Add(time.Second)); ok && at.Before(time.Now()) {
				t.Errorf("%s: a post through A was stored at %s, during the fault", tc.name, at.Format("15:04:05.000"))
			}
		}
		px.Heal(t)
		healed := time.Now()
		t.Logf("%s: %s", tc.name, w.summary(a.name, began, healed))
		stored := w.waitStored(t, a, healed, 20*time.Second)
		ok := waitHealth(t, a, 30*time.Second, "ok", dbOK)
		t.Logf("%s (%s): after the fault, A stores posts again in %s, /healthz ok in %s", tc.name, tc.lasts, stored.Round(time.Millisecond), ok.Round(time.Millisecond))
	}
	w.stop(t)
	posts, pages := w.counts()
	refused, found := w.check(t)
	t.Logf("%d posts, each stored once; %d attempts refused with 503; %d stored by an attempt whose answer was lost; %d page reads, all 200 in time",
		posts, refused, found, pages)
}

// TestDBStallFormKeepsText posts a comment from a real browser tab (the
// form enhancer, JavaScript on) while the database is stalled: the
// enhancer tries again with the same submission id, then says the comment
// was not sent and leaves the text in the box; sent again once the
// database is back, it is stored once and shown.
func TestDBStallFormKeepsText(t *testing.T) {
	s := newDBSite(t, 1)
	in := s.ins[0]
	tb := newTab(t, "article")
	tb.open(t, in.base()+"/article/"+s.slug)
	text := "Typed while the database slept " + suffix()
	eval[bool](t, tb, fmt.Sprintf(`(() => { const f = document.querySelector('form.comment-form');
		f.elements.name.value = 'Tab reader'; f.elements.text.value = %q; return true })()`, text))

	if err := s.pg.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = s.pg.Resume()
		}
	})
	began := time.Now()
	eval[bool](t, tb, `(document.querySelector('form.comment-form').requestSubmit(), true)`)
	ctx, cancel := context.WithTimeout(tb.Ctx, 40*time.Second)
	defer cancel()
	alert := `(document.querySelector('form.comment-form [data-bigpipe-form-alert]') || {}).textContent || ''`
	if err := tb.Poll(ctx, "("+alert+").includes('not sent')"); err != nil {
		t.Fatalf("no 'not sent' alert within 40 s of the post: %v (alert %q)", err, eval[string](t, tb, alert))
	}
	t.Logf("the form said %q after %s (three attempts: the enhancer's two retries)", eval[string](t, tb, alert), time.Since(began).Round(time.Millisecond))
	if got := eval[string](t, tb, `document.querySelector('form.comment-form').elements.text.value`); got != text {
		t.Errorf("the text box holds %q after the refusal, want what was typed, %q", got, text)
	}

	if err := s.pg.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	waitHealth(t, in, 30*time.Second, "ok", dbOK)
	eval[bool](t, tb, `(document.querySelector('form.comment-form').requestSubmit(), true)`)
	shown := fmt.Sprintf(`Array.from(document.querySelectorAll('#comments .pl-comments__item')).some((e) => e.textContent.includes(%q))`, text)
	// Shown (its publication may come before the post's answer), and the
	// form reset by the answer.
	if err := tb.Poll(ctx, shown+` && document.querySelector('form.comment-form').elements.text.value === ''`); err != nil {
		t.Fatalf("the comment sent again is not shown, or the form not reset: %v (alert %q, text box %q)", err,
			eval[string](t, tb, alert), eval[string](t, tb, `document.querySelector('form.comment-form').elements.text.value`))
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	conn, err := pgx.Connect(ctx2, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx2, "SELECT count(*) FROM comments WHERE text = $1", text).Scan(&n); err != nil || n != 1 {
		t.Errorf("comments with the text: %d (%v), want 1", n, err)
	}
}
