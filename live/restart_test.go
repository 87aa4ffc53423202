package live_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/centrifugal/centrifuge"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// A restart without a shared secret: every open page's token was signed
// by a secret the new process does not know (3500). The page gets a fresh
// one from its own fragment endpoint (render.FragmentParam), for what the
// page grants its reader now, and resumes or refetches.

// readerSite is a site whose pages know their reader from a session
// cookie, checked against the readerFixture's sessions: the front page
// "/" with the public "scores" and, for a signed-in reader, their own
// "inbox#" channel; and the personal page "/inbox/{name}" (401 to a
// signed-out reader, 403 to another reader).
type readerSite struct {
	*readerFixture
	srv *httptest.Server
}

// sessionCookie is the readerSite's session cookie: the session id.
const sessionCookie = "sid"

func newReaderSite(t *testing.T, opts ...live.Option) *readerSite {
	t.Helper()
	s := &readerSite{readerFixture: newReaderFixture(t, opts...)}
	rd, err := render.New(siteAssets(t), render.WithLive(s.eng), render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	inbox := func(r pagelet.Reader) pagelet.Pagelet {
		return pagelet.Pagelet{ID: "inbox", Channel: s.inbox.ReaderChannel(r.ID),
			Load: func(context.Context) (templ.Component, error) { return raw("<p>inbox of " + r.ID + "</p>"), nil }}
	}
	scores := pagelet.Pagelet{ID: "scores", Channel: "scores",
		Load: func(context.Context) (templ.Component, error) { return raw("<p>0 – 0</p>"), nil }}
	front := rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		p := &pagelet.Page{Title: "Front", Pagelets: []pagelet.Pagelet{scores}}
		if reader := pagelet.ReaderFrom(r.Context()); !reader.Anonymous() {
			p.Pagelets = append(p.Pagelets, inbox(reader))
		}
		p.Layout = func(slot pagelet.Slot) templ.Component { return templ.Join(slot("scores"), slot("inbox")) }
		return p, nil
	})
	personal := rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		reader := pagelet.ReaderFrom(r.Context())
		switch {
		case reader.Anonymous():
			http.Error(w, "401 sign in to read your inbox", http.StatusUnauthorized)
			return nil, nil
		case reader.ID != r.PathValue("name"):
			http.Error(w, "403 not your inbox", http.StatusForbidden)
			return nil, nil
		}
		return &pagelet.Page{Title: "Inbox", Pagelets: []pagelet.Pagelet{inbox(reader)},
			Layout: func(slot pagelet.Slot) templ.Component { return slot("inbox") }}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", front)
	mux.Handle("GET /inbox/{name}", personal)
	mux.Handle(rd.Path(), rd)
	s.srv = httptest.NewServer(s.withReader(mux))
	t.Cleanup(s.srv.Close)
	return s
}

// withReader puts the reader of the request's session cookie, if that
// session is current, in its context, as a site's session middleware does.
func (s *readerSite) withReader(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			for _, rd := range []pagelet.Reader{ada, ada2, bob, carol} {
				if ok, _ := s.sessions.check(r.Context(), rd); ok && rd.Session == c.Value {
					r = r.WithContext(pagelet.WithReader(r.Context(), rd))
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// refresh asks path's fragment endpoint for pagelet id with the session
// cookie sid ("" for none), as live.js does for a fresh token, and returns
// the status and the fragment's token.
func (s *readerSite) refresh(t *testing.T, path, id, sid string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path+"?"+render.FragmentParam+"="+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", chromeUA)
	req.Header.Set("Accept", "application/json")
	if sid != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var frag struct{ Token string }
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&frag); err != nil {
			t.Fatalf("fragment %s of %s: %v", id, path, err)
		}
	}
	return res.StatusCode, frag.Token
}

// grantOf is what a token grants, read from its claims.
type grantOf struct {
	Channels []string `json:"ch"`
	Reader   string   `json:"sub"`
	Session  string   `json:"sid"`
}

func claimsOf(t *testing.T, tok string) grantOf {
	t.Helper()
	payload, _, _ := strings.Cut(tok, ".")
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	var g grantOf
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatalf("token claims %s: %v", body, err)
	}
	return g
}

// refusedSSE connects to f over SSE with cmd and returns the disconnect
// code the server ends the stream with; it fails t if it connects.
func refusedSSE(t *testing.T, f *fixture, cmd []byte) uint32 {
	t.Helper()
	s := f.dialSSE(t, cmd)
	r, ok := s.next(t, 5*time.Second)
	if !ok || r.Push == nil || r.Push.Disconnect == nil {
		t.Fatalf("want a disconnect, got %s (stream open: %v)", r.Raw, ok)
	}
	s.ended(t, 2*time.Second)
	return r.Push.Disconnect.Code
}

// TestRefreshAfterRestart: a token of the process before the restart
// (another secret) is refused with 3500; the page's fragment endpoint
// gives a fresh token that connects, granting what the page grants the
// reader of the session cookie and nothing else; a request for a token
// with no session, a forged or ended one, or another reader's page gets a
// clear 4xx.
func TestRefreshAfterRestart(t *testing.T) {
	checkLeaks(t)
	old := newReaderFixture(t, live.WithSecret([]byte("the secret of the process before the restart")))
	s := newReaderSite(t, live.WithSecret([]byte("the secret of the process after it")))

	// The page Ada had open before the restart.
	stale := grant(t, old.eng, ada, "scores", "inbox#ada")
	before, _ := metric(t, s.reg, "bigpipe_live_refused_total", map[string]string{"reason": "token_invalid"})
	if code := refusedSSE(t, s.fixture, connectCmd(t, stale, nil)); code != 3500 {
		t.Errorf("the old process's token: disconnect %d, want 3500 (invalid token)", code)
	}
	if after, _ := metric(t, s.reg, "bigpipe_live_refused_total", map[string]string{"reason": "token_invalid"}); after != before+1 {
		t.Errorf("refused{reason=token_invalid} went from %v to %v, want one more", before, after)
	}

	// Fresh tokens, each granting the page's channels for the cookie's
	// reader: never another reader's.
	for _, tc := range []struct {
		name, path, id, sid string
		want                grantOf
	}{
		{"Ada's front page", "/", "scores", ada.Session, grantOf{[]string{"scores", "inbox#ada"}, "ada", ada.Session}},
		{"Ada's front page, her other device", "/", "inbox", ada2.Session, grantOf{[]string{"scores", "inbox#ada"}, "ada", ada2.Session}},
		{"the same tab, Bob signed in since", "/", "scores", bob.Session, grantOf{[]string{"scores", "inbox#bob"}, "bob", bob.Session}},
		{"the same tab, signed out since", "/", "scores", "", grantOf{Channels: []string{"scores"}}},
		{"Ada's inbox", "/inbox/ada", "inbox", ada.Session, grantOf{[]string{"inbox#ada"}, "ada", ada.Session}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, tok := s.refresh(t, tc.path, tc.id, tc.sid)
			if status != http.StatusOK || tok == "" {
				t.Fatalf("fragment: %d, token %q; want 200 with a token", status, tok)
			}
			if got := claimsOf(t, tok); !slices.Equal(got.Channels, tc.want.Channels) || got.Reader != tc.want.Reader || got.Session != tc.want.Session {
				t.Errorf("the fresh token grants %+v, want %+v", got, tc.want)
			}
			subs := map[string]sub{}
			for _, ch := range tc.want.Channels {
				subs[ch] = sub{}
			}
			c := s.dialSSE(t, connectCmd(t, tok, subs))
			if res := c.connected(t); len(res.Subs) != len(tc.want.Channels) {
				t.Errorf("connected to %d channels, want %v", len(res.Subs), tc.want.Channels)
			}
			if tc.want.Reader == "" {
				return
			}
			// It reaches its reader's channel, on the new process.
			if err := s.inbox.PublishTo(t.Context(), tc.want.Reader, "for "+tc.want.Reader); err != nil {
				t.Fatal(err)
			}
			if ch, pub := c.nextPub(t, 5*time.Second); ch != "inbox#"+tc.want.Reader || !strings.Contains(pub.content(t), "for "+tc.want.Reader) {
				t.Errorf("got %s on %q, want %q's publication", pub.content(t), ch, tc.want.Reader)
			}
			c.close()
			// And asks in vain for Ada's when it is not hers.
			if tc.want.Reader != "ada" {
				if code := refusedSSE(t, s.fixture, connectCmd(t, tok, map[string]sub{"inbox#ada": {}})); code != centrifuge.DisconnectPermissionDenied.Code {
					t.Errorf("%s's fresh token asking for inbox#ada: disconnect %d, want %d (permission denied)", tc.want.Reader, code, centrifuge.DisconnectPermissionDenied.Code)
				}
			}
		})
	}

	// Refusals: clear, and with no token.
	s.sessions.end(carol) // her session expired
	for _, tc := range []struct {
		name, sid string
		want      int
	}{
		{"no session", "", http.StatusUnauthorized},
		{"a forged session", "s-ada-forged", http.StatusUnauthorized},
		{"an ended session", carol.Session, http.StatusUnauthorized},
		{"another reader's page", bob.Session, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, tok := s.refresh(t, "/inbox/ada", "inbox", tc.sid); status != tc.want || tok != "" {
				t.Errorf("fragment of Ada's inbox: %d with token %q, want %d and none", status, tok, tc.want)
			}
		})
	}
}

// TestTokenOfAnotherSecret: the server restarts with another secret (no
// shared one: a random secret per process), having changed while it was
// down. The open page's token is refused (3500); the client gets a fresh
// one from a refetch, shows the current content, each comment once, and
// the new process's publications after that. It does not stop.
func TestTokenOfAnotherSecret(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			f := newPageFixture(t)
			tb := open(t, f, tr.query)
			addComments(f, 1, 2)
			waitComments(t, tb, 2)
			f.stop()
			f.data.mu.Lock()
			f.data.scores = `<p class="score">4 – 1</p>`
			f.data.comments = append(f.data.comments, comment{ID: "c3", Text: "while down"})
			f.data.mu.Unlock()
			f.secret = []byte("the secret of the new process")
			f.restart()
			tb.WaitTrue(t, `bigPipe.liveState.connects === 2`)
			tb.WaitTrue(t, scoresIs("4 – 1"))
			waitComments(t, tb, 3)
			addComments(f, 4, 5)
			f.setScores(`<p class="score">5 – 1</p>`)
			tb.WaitTrue(t, scoresIs("5 – 1"))
			waitComments(t, tb, 5)
			st := eval[struct {
				state
				Stopped bool
			}](t, tb, `bigPipe.liveState`)
			if st.Stopped || st.Refetches != 3 {
				t.Errorf("stopped %v after %d refetches; want live, with 3 (every pagelet: the new process has new epochs)", st.Stopped, st.Refetches)
			}
			if got := eval[[]string](t, tb, `Array.from(document.querySelectorAll('#comments li.comment')).map(e => e.dataset.liveKey)`); !slices.Equal(got, keys(1, 5)) {
				t.Errorf("comments %v, want %v", got, keys(1, 5))
			}
		})
	}
}

// TestRefreshRefused: after a restart with another secret, the page asks
// its fragment endpoint for a fresh token and is refused: 401 (its reader
// signed out) or 403. The client stops for good and says so on the page,
// once, not only in the console; it asks no more.
func TestRefreshRefused(t *testing.T) {
	for _, tc := range []struct {
		status int
		says   string
	}{
		{http.StatusUnauthorized, "Signed out: live updates stopped. Reload the page."},
		{http.StatusForbidden, "Live updates stopped. Reload the page."},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			f := newPageFixture(t)
			tb := open(t, f, "")
			f.secret = []byte("the secret of the new process")
			f.refuseFragments.Store(int32(tc.status))
			f.restart()
			tb.WaitTrue(t, `bigPipe.liveState.stopped === true`)
			shown := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[role=alert].bigpipe-live-stopped')).map(e => e.textContent)`)
			if len(shown) != 1 || shown[0] != tc.says {
				t.Errorf("the page says %q, want %q once", shown, tc.says)
			}
			if !slices.ContainsFunc(tb.Console(), func(s string) bool { return strings.Contains(s, "bigpipe live: stopped: "+strconv.Itoa(tc.status)) }) {
				t.Errorf("no warning in the console: %q", tb.Console())
			}
			asked := f.fragments.Load()
			f.setScores(`<p class="score">not shown</p>`)
			tb.WaitTrue(t, `true`)
			if st := liveState(t, tb); st.Connects != 1 {
				t.Errorf("%d connects, want 1 (before the restart)", st.Connects)
			}
			if n := f.fragments.Load(); n != asked {
				t.Errorf("%d more fragment requests after the client stopped", n-asked)
			}
		})
	}
}

// TestTokenRefusedBacksOff: a fresh token that is refused again (here:
// every fragment carries one no engine accepts, as a proxy that sends
// the refetch and the connection to instances with different secrets
// might) does not make a tight loop: the client retries with backoff, and
// does not stop.
func TestTokenRefusedBacksOff(t *testing.T) {
	f := newPageFixture(t)
	tb := open(t, f, "")
	f.secret = []byte("the secret of the new process")
	f.badTokens.Store(true)
	f.restart()
	tb.WaitTrue(t, `bigPipe.liveState.errors >= 3`)
	// A window to count the attempts in (not a synchronisation): with
	// backoff a handful, in a tight loop hundreds.
	time.Sleep(3 * time.Second)
	st := eval[struct {
		state
		Stopped bool
	}](t, tb, `bigPipe.liveState`)
	t.Logf("%d refused connects and %d fragment requests", st.Errors, f.fragments.Load())
	if st.Stopped || st.Errors > 12 {
		t.Errorf("stopped %v after %d refused connects in about 3 s; want it trying, with backoff", st.Stopped, st.Errors)
	}
	if n := f.fragments.Load(); n > 3*int32(st.Errors) {
		t.Errorf("%d fragment requests for %d refused connects", n, st.Errors)
	}
}

// TestNewSecretResumes: a deploy that changes the secret of instances on
// Redis, whose channels keep their history. The client refetches the
// pagelets of one channel for a fresh token and recovers the others:
// what was published meanwhile shows once, without refetching every
// pagelet.
func TestNewSecretResumes(t *testing.T) {
	r := redistest.Start(t)
	f := newPageFixture(t, live.WithRedis(r.URL))
	tb := open(t, f, "")
	addComments(f, 1, 2)
	waitComments(t, tb, 2)
	f.stop()
	f.secret = []byte("the secret of the new deploy")
	f.restart()
	addComments(f, 3, 4)
	tb.WaitTrue(t, `bigPipe.liveState.connects === 2`)
	waitComments(t, tb, 4)
	addComments(f, 5, 5)
	waitComments(t, tb, 5)
	if got := eval[[]string](t, tb, `Array.from(document.querySelectorAll('#comments li.comment')).map(e => e.dataset.liveKey)`); !slices.Equal(got, keys(1, 5)) {
		t.Errorf("comments %v, want %v", got, keys(1, 5))
	}
	if st := liveState(t, tb); st.Refetches == 0 || st.Refetches > 2 {
		t.Errorf("%d refetches, want 1 or 2 (the pagelets of one channel, for the token; the other recovers)", st.Refetches)
	}
}
