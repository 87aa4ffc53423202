package cluster_test

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// solo is one server process as `go run .` runs it: no -live-secret (so a
// random secret per process), no Redis, a file store. It restarts on the
// same ports with the same file, as a developer's server does.
type solo struct {
	*instance        // its ports and the helpers that take an instance
	db        string // the store's file
	p         *proc
}

// newSolo reserves the ports and the store of a solo server.
func newSolo(t *testing.T) *solo {
	t.Helper()
	server.Path(t) // built before any timing starts
	return &solo{instance: &instance{name: "solo", port: freePort(t), admin: freePort(t)},
		db: filepath.Join(t.TempDir(), "news.db")}
}

// start runs a new process and returns when /readyz answers 200.
func (s *solo) start(t *testing.T) time.Time {
	t.Helper()
	p, err := startProc(t, "solo", server.Path(t),
		"-addr", s.addr(), "-admin", fmt.Sprintf("127.0.0.1:%d", s.admin), "-db", s.db,
		"-live-sim=false", "-live-drain-window", "1s", "-drain", "5s", "-log-level", "info")
	if err != nil {
		t.Fatal(err)
	}
	s.p = p
	if err := waitFor(p, 20*time.Second, func() error { return getOK(plainClient, s.base()+"/readyz") }); err != nil {
		t.Fatalf("solo server not ready: %v\n%s", err, p.Output())
	}
	return time.Now()
}

// stop ends the process with sig (SIGTERM: a deploy or Ctrl-C; SIGKILL: a
// crash) and waits for it to exit.
func (s *solo) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	if _, err := s.p.Wait(20 * time.Second); err != nil {
		t.Fatalf("after %v: %v", sig, err)
	}
}

// noNote is true while the page shows no note that live updates stopped.
const noNote = `document.querySelectorAll('.bigpipe-live-stopped').length === 0`

// TestRestartWithoutSecret restarts a server that has no -live-secret
// (every process signs its tokens with a random secret of its own) on the
// same port while tabs are open: the anonymous front page, after a SIGTERM
// (a deploy, Ctrl-C), shows the breaking headline published by the new
// process; a signed-in reader's conversation, after a SIGKILL (a crash),
// shows the message the other reader sends through the new process. Both
// without a reload, without stopping and without a note on the page.
// Each logs the recovery: from the new process ready to the page showing
// what it published at once. A reader who signed out while the server was
// away (her cookie gone) keeps a live front page, whose notifications
// turn into the sign-in link, and her conversation stops, saying so.
func TestRestartWithoutSecret(t *testing.T) {
	t.Run("front page, SIGTERM", func(t *testing.T) {
		s := newSolo(t)
		s.start(t)
		tb := newTab(t, "front page")
		tb.open(t, s.base()+"/")
		s.stop(t, syscall.SIGTERM)
		ready := s.start(t)
		headline := "After the restart " + suffix()
		publishBreaking(t, s.instance, headline)
		if err := tb.Poll(tb.Ctx, fmt.Sprintf(`(%s).trim() === %q`, headlineShown, headline)); err != nil {
			t.Fatalf("the open front page never showed the headline: %v; live state %+v", err, tb.liveState(t))
		}
		shown := time.Since(ready)
		tb.WaitTrue(t, `window.bigPipe.liveState.connects >= 2`)
		t.Logf("recovery: the headline shown %v after the new process was ready; %s", shown.Round(time.Millisecond), refreshTime(t, tb))
		checkLive(t, tb)
		// What the operator sees: the stale token refused, the pagelets
		// refetched, and nothing degraded.
		for name, least := range map[string]float64{"bigpipe_live_refused_total": 1, "bigpipe_live_refetches_total": 1, "bigpipe_live_connects_total": 1} {
			if v, err := s.metric(name); err != nil || v < least {
				t.Errorf("%s = %v (%v) on the new process, want at least %v", name, v, err, least)
			}
		}
		if h := health(s.instance); degraded(h) {
			t.Errorf("/healthz after the restart: %q", h)
		} else {
			t.Logf("/healthz: %q", h)
		}
		// And the next publication comes over the new connection.
		headline = "And the next one " + suffix()
		publishBreaking(t, s.instance, headline)
		tb.WaitTrue(t, fmt.Sprintf(`(%s).trim() === %q`, headlineShown, headline))
	})

	t.Run("conversation, SIGKILL", func(t *testing.T) {
		s := newSolo(t)
		s.start(t)
		ada, bob := signUp(t, s.base(), "ada"+suffix()), signUp(t, s.base(), "bob"+suffix())
		tb := readerTab(t, "Ada's conversation", ada)
		tb.open(t, s.base()+"/messages/"+bob.name)
		s.stop(t, syscall.SIGKILL)
		ready := s.start(t)
		m := newMessenger(t, s.base(), bob, ada) // the form's token is the new process's
		m.send(t, s.base(), 1)
		waitMessages(t, tb, m.ids)
		t.Logf("recovery: the message shown %v after the new process was ready", time.Since(ready).Round(time.Millisecond))
		tb.WaitTrue(t, `window.bigPipe.liveState.connects >= 2`)
		t.Log(refreshTime(t, tb))
		checkLive(t, tb)
		m.send(t, s.base(), 1)
		waitMessages(t, tb, m.ids)
	})

	t.Run("front page, signed out meanwhile", func(t *testing.T) {
		s := newSolo(t)
		s.start(t)
		ada := signUp(t, s.base(), "ada"+suffix())
		tb := readerTab(t, "Ada's front page", ada)
		tb.open(t, s.base()+"/")
		if !eval[bool](t, tb, `Object.values(bigPipe.live).some((l) => l.channel.startsWith('notices#'))`) {
			t.Fatal("Ada's front page has no live notifications channel")
		}
		s.stop(t, syscall.SIGKILL)
		signOut(t, tb)
		s.start(t)
		headline := "Still live when signed out " + suffix()
		publishBreaking(t, s.instance, headline)
		tb.WaitTrue(t, fmt.Sprintf(`(%s).trim() === %q`, headlineShown, headline))
		// Her notifications became what a signed-out page shows and left
		// the connection (asking for them would have been refused: 3507);
		// the public pagelets stay live.
		tb.WaitTrue(t, `!!document.querySelector('#notifications .pl-notifications__anon')`)
		tb.WaitTrue(t, `window.bigPipe.liveState.connects >= 2`)
		checkLive(t, tb)
	})

	t.Run("conversation, signed out meanwhile", func(t *testing.T) {
		s := newSolo(t)
		s.start(t)
		ada, bob := signUp(t, s.base(), "ada"+suffix()), signUp(t, s.base(), "bob"+suffix())
		tb := readerTab(t, "Ada's conversation", ada)
		tb.open(t, s.base()+"/messages/"+bob.name)
		s.stop(t, syscall.SIGKILL)
		signOut(t, tb)
		s.start(t)
		tb.WaitTrue(t, `window.bigPipe.liveState.stopped === true`)
		note := eval[string](t, tb, `(document.querySelector('[role=alert].bigpipe-live-stopped') || {}).textContent || ''`)
		if want := "Signed out: live updates stopped. Reload the page."; note != want {
			t.Errorf("the page says %q, want %q", note, want)
		}
		if st := tb.liveState(t); st.Connects != 1 {
			t.Errorf("%d connects, want 1 (before the restart): a signed-out page must not connect", st.Connects)
		}
	})
}

// checkLive fails t unless tb's live client is live: not stopped, and no
// note on the page.
func checkLive(t *testing.T, tb *tab) {
	t.Helper()
	if st := tb.liveState(t); st.Stopped {
		t.Errorf("tab %s: live client stopped: %+v", tb.Name, st)
	}
	if !eval[bool](t, tb, noNote) {
		t.Errorf("tab %s: the page says live updates stopped", tb.Name)
	}
}

// signOut deletes the session cookie of tb's browser, as signing out in
// another tab does while the server is away.
func signOut(t *testing.T, tb *tab) {
	t.Helper()
	if _, err := chromedp.Call(tb.Ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "dp_session", Domain: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
}

// refreshTime says how long tb's client took from its token's refusal
// (3500) to its next connect: the fresh token's cost, by the page's clock.
func refreshTime(t *testing.T, tb *tab) string {
	t.Helper()
	var refused int64
	for _, e := range tb.events(t) {
		switch {
		case e.Type == "disconnected" && e.Code == 3500:
			refused = e.At
		case e.Type == "connected" && refused != 0:
			return fmt.Sprintf("from the token refused to connected: %d ms", e.At-refused)
		}
	}
	return "no refused token followed by a connect"
}
