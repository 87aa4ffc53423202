package live_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// sessions is a site's session store as the engine's WithSessions sees
// it: the sessions that are current, and a switch that makes the check
// fail (the store away).
type sessions struct {
	mu      sync.Mutex
	current map[pagelet.Reader]bool
	down    bool
}

func newSessions(rs ...pagelet.Reader) *sessions {
	s := &sessions{current: make(map[pagelet.Reader]bool)}
	for _, r := range rs {
		s.current[r] = true
	}
	return s
}

func (s *sessions) check(_ context.Context, r pagelet.Reader) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return false, errors.New("session store unreachable")
	}
	return s.current[r], nil
}

func (s *sessions) end(r pagelet.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.current, r)
}

func (s *sessions) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// errNoFeed stands for Grant's error for a channel no feed declares.
var errNoFeed = errors.New("no feed declares it")

var (
	ada   = pagelet.Reader{ID: "ada", Session: "s-ada-1"}
	ada2  = pagelet.Reader{ID: "ada", Session: "s-ada-2"} // Ada on another device
	bob   = pagelet.Reader{ID: "bob", Session: "s-bob-1"}
	carol = pagelet.Reader{ID: "carol", Session: "s-carol-1"}
)

// readerFixture is a fixture whose engine checks sessions, with a feed
// per reader "inbox#" and a state feed "members" for signed-in readers.
type readerFixture struct {
	*fixture
	sessions *sessions
	inbox    *live.Feed[string]
	members  *live.Feed[string]
	dm       *live.Feed[string] // conversations: a channel of two readers
}

func newReaderFixture(t *testing.T, opts ...live.Option) *readerFixture {
	t.Helper()
	s := newSessions(ada, ada2, bob, carol)
	f := newFixture(t, append([]live.Option{live.WithSessions(s.check)}, opts...)...)
	return &readerFixture{fixture: f, sessions: s,
		inbox:   live.Stream(f.eng, "inbox#", raw),
		members: live.State(f.eng, "members", raw, live.SignedIn()),
		dm:      live.Stream(f.eng, "dm#", raw, live.WithPresence(time.Second, nil))}
}

// grant returns the token a page rendered for r showing channels carries.
func grant(t testing.TB, eng *live.Engine, r pagelet.Reader, channels ...string) string {
	t.Helper()
	g, err := eng.Grant(pagelet.WithReader(context.Background(), r), channels)
	if err != nil {
		t.Fatal(err)
	}
	return g.Token
}

// TestGrantReader checks what a page's reader may be granted: their own
// private channels, signed-in channels once signed in, public ones always.
func TestGrantReader(t *testing.T) {
	f := newReaderFixture(t)
	anon := pagelet.Reader{}
	for _, tc := range []struct {
		name     string
		reader   pagelet.Reader
		channels []string
		want     error
	}{
		{"anonymous, public", anon, []string{"scores", "comments:a"}, nil},
		{"own inbox", ada, []string{"scores", "inbox#ada"}, nil},
		{"another reader's inbox", ada, []string{"inbox#bob"}, live.ErrNotYours},
		{"anonymous asks for an inbox", anon, []string{"inbox#ada"}, live.ErrNotYours},
		{"inbox named by case", ada, []string{"inbox#ADA"}, live.ErrNotYours},
		{"signed-in channel", bob, []string{"members"}, nil},
		{"a conversation of Ada's", ada, []string{"dm#ada,bob"}, nil},
		{"the same conversation, Bob's", bob, []string{"dm#ada,bob"}, nil},
		{"a conversation of others", carol, []string{"dm#ada,bob"}, live.ErrNotYours},
		{"a conversation named out of order", ada, []string{"dm#bob,ada"}, errNoFeed},
		{"a conversation naming a reader twice", ada, []string{"dm#ada,ada"}, errNoFeed},
		{"signed-in channel, anonymous", anon, []string{"members"}, live.ErrSignedInOnly},
		{"reader id with a '#'", pagelet.Reader{ID: "a#b", Session: "x"}, []string{"scores"}, live.ErrBadReaderID},
		{"reader id with a space", pagelet.Reader{ID: "a b", Session: "x"}, []string{"scores"}, live.ErrBadReaderID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.eng.Grant(pagelet.WithReader(context.Background(), tc.reader), tc.channels)
			if tc.want == errNoFeed {
				if err == nil || !strings.Contains(err.Error(), "no feed declares it") {
					t.Fatalf("err %v, want no feed", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestPublishToReader checks the scope "one reader": a publication to Ada
// reaches both her tabs (two sessions, SSE and WebSocket) and not Bob,
// who shows the same feed for himself.
func TestPublishToReader(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	ctx := context.Background()
	adaSSE := f.dialSSE(t, connectCmd(t, grant(t, f.eng, ada, "inbox#ada"), nil))
	adaSSE.connected(t)
	adaWS := f.wsConnect(t, grant(t, f.eng, ada2, "inbox#ada", "scores"))
	bobSSE := f.dialSSE(t, connectCmd(t, grant(t, f.eng, bob, "inbox#bob"), nil))
	bobSSE.connected(t)

	if err := f.inbox.PublishTo(ctx, "ada", "<p>for Ada</p>"); err != nil {
		t.Fatal(err)
	}
	if err := f.inbox.PublishTo(ctx, "bob", "<p>for Bob</p>"); err != nil {
		t.Fatal(err)
	}
	if ch, p := adaSSE.nextPub(t, 5*time.Second); ch != "inbox#ada" || p.content(t) != "<p>for Ada</p>" {
		t.Errorf("Ada's SSE tab: %q on %q", p.content(t), ch)
	}
	if r := wsNextPub(t, adaWS); r.Push.Channel != "inbox#ada" || r.Push.Pub.content(t) != "<p>for Ada</p>" {
		t.Errorf("Ada's WebSocket tab: %s", r.Raw)
	}
	// Bob's first publication is his own: Ada's, published before it,
	// never reached his connection.
	if ch, p := bobSSE.nextPub(t, 5*time.Second); ch != "inbox#bob" || p.content(t) != "<p>for Bob</p>" {
		t.Errorf("Bob: %q on %q", p.content(t), ch)
	}
	if n := f.eng.Node().Hub().NumSubscribers("inbox#ada"); n != 2 {
		t.Errorf("inbox#ada has %d subscribers here, want Ada's 2", n)
	}
	for _, bad := range []string{"", "a#b", "a b", strings.Repeat("x", 200)} {
		if err := f.inbox.PublishTo(ctx, bad, "x"); !errors.Is(err, live.ErrBadReaderID) {
			t.Errorf("PublishTo(%q): %v, want ErrBadReaderID", bad, err)
		}
	}
	if err := f.scores.PublishTo(ctx, "ada", "x"); !errors.Is(err, live.ErrWrongFeed) {
		t.Errorf("PublishTo on a public feed: %v, want ErrWrongFeed", err)
	}
}

// wsConnect opens a WebSocket connection with tok, asking for nothing
// more than it grants, and reads the connect reply.
func (f *fixture) wsConnect(t testing.TB, tok string) *websocket.Conn {
	t.Helper()
	c, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, connectCmd(t, tok, nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := wsRead(t, c, 5*time.Second); err != nil || r.Connect == nil {
		t.Fatalf("connect: %s, %v", r.Raw, err)
	}
	return c
}

// wsNextPub reads the next publication on c.
func wsNextPub(t testing.TB, c *websocket.Conn) reply {
	t.Helper()
	r, err := wsRead(t, c, 5*time.Second)
	if err != nil || r.Push == nil || r.Push.Pub == nil {
		t.Fatalf("want a publication, got %s, %v", r.Raw, err)
	}
	return r
}

// readerAttacks are connects of Bob's (or of someone without a session)
// aimed at what is Ada's, each refused, with how over SSE and WebSocket.
func readerAttacks(t *testing.T, f *readerFixture) []struct {
	name    string
	cmd     []byte
	sse, ws refusal
	reason  string
} {
	bobTok := grant(t, f.eng, bob, "inbox#bob")
	payload, sig, _ := strings.Cut(bobTok, ".")
	claims, err := b64Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	altered := strings.NewReplacer(`"sub":"bob"`, `"sub":"ada"`, `inbox#bob`, `inbox#ada`, `s-bob-1`, `s-ada-1`).Replace(string(claims))
	gone := pagelet.Reader{ID: "dan", Session: "s-dan-ended"} // never current
	forger := signer(t, live.WithSecret([]byte("another secret")))
	live.Stream(forger, "inbox#", raw)
	invalid := refusal{disconnect: 3500}
	denied := refusal{disconnect: 3507}
	return []struct {
		name    string
		cmd     []byte
		sse, ws refusal
		reason  string
	}{
		{"Bob's token asks for Ada's inbox", connectCmd(t, bobTok, map[string]sub{"inbox#ada": {}}), denied, refusal{replyError: 103}, "not_granted"},
		{"Bob's claims altered to Ada's", connectCmd(t, b64Encode([]byte(altered))+"."+sig, nil), invalid, invalid, "token_invalid"},
		{"Ada's inbox signed with another secret", connectCmd(t, grant(t, forger, ada, "inbox#ada"), nil), invalid, invalid, "token_invalid"},
		{"a token of a session that has ended", connectCmd(t, grant(t, f.eng, gone, "inbox#dan"), nil), refusal{disconnect: 4501}, refusal{disconnect: 4501}, "session_ended"},
		{"an anonymous token asks for Ada's inbox", connectCmd(t, f.token(t, "scores"), map[string]sub{"inbox#ada": {}}), denied, refusal{replyError: 103}, "not_granted"},
	}
}

// TestReaderAttacksRefused checks the attacks of readerAttacks over SSE
// and WebSocket: each refused with its code, with nothing of Ada's sent.
func TestReaderAttacksRefused(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	for _, tc := range readerAttacks(t, f) {
		t.Run("sse/"+tc.name, func(t *testing.T) {
			before, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": tc.reason})
			s := f.dialSSE(t, tc.cmd)
			r, ok := s.next(t, 5*time.Second)
			if !ok || r.Push == nil || r.Push.Disconnect == nil {
				t.Fatalf("want a disconnect, got %s (stream open: %v)", r.Raw, ok)
			}
			if got := r.Push.Disconnect.Code; got != tc.sse.disconnect {
				t.Errorf("disconnect %d (%s), want %d", got, r.Push.Disconnect.Reason, tc.sse.disconnect)
			}
			s.ended(t, 2*time.Second)
			if after, _ := metric(t, f.reg, "bigpipe_live_refused_total", map[string]string{"reason": tc.reason}); after != before+1 {
				t.Errorf("refused{reason=%q} went from %v to %v, want one more", tc.reason, before, after)
			}
		})
		t.Run("ws/"+tc.name, func(t *testing.T) {
			c, _, err := f.dialWS(t, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(websocket.TextMessage, tc.cmd); err != nil {
				t.Fatal(err)
			}
			r, err := wsRead(t, c, 5*time.Second)
			if tc.ws.disconnect != 0 {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != int(tc.ws.disconnect) {
					t.Fatalf("want close %d, got %s, %v", tc.ws.disconnect, r.Raw, err)
				}
				return
			}
			if err != nil || r.Error == nil || r.Error.Code != tc.ws.replyError {
				t.Fatalf("want reply error %d, got %s, %v", tc.ws.replyError, r.Raw, err)
			}
		})
	}
}

// TestPrivateSubscribeRefused checks that a connected reader cannot
// subscribe, client-side, to any private channel by its name: another
// reader's, or their own (a page gets its channels from its token only).
func TestPrivateSubscribeRefused(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	c := f.wsConnect(t, grant(t, f.eng, bob, "scores"))
	for i, ch := range []string{"inbox#ada", "inbox#bob", "members"} {
		cmd := fmt.Sprintf(`{"id":%d,"subscribe":{"channel":%q}}`, i+2, ch)
		if err := c.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
			t.Fatal(err)
		}
		r, err := wsRead(t, c, 5*time.Second)
		if err != nil {
			t.Fatalf("subscribe %q: %v", ch, err)
		}
		if r.Error == nil {
			t.Errorf("subscribe %q accepted: %s", ch, r.Raw)
		}
	}
	if err := f.inbox.PublishTo(context.Background(), "ada", "<p>secret</p>"); err != nil {
		t.Fatal(err)
	}
	if err := f.scores.Publish(context.Background(), "scores", "<p>public</p>"); err != nil {
		t.Fatal(err)
	}
	if r := wsNextPub(t, c); r.Push.Channel != "scores" {
		t.Errorf("Bob's connection got %s, want only the public score", r.Raw)
	}
}

// TestSessionEnds checks signing out: Disconnect of one of Ada's sessions
// closes that session's connections (both its tabs) with 4501 and leaves
// her other session's connected; the ended session's token, replayed,
// connects no more; and a session check that fails (the store away) is
// a temporary refusal, not an end.
func TestSessionEnds(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	ctx := context.Background()
	tok := grant(t, f.eng, ada, "inbox#ada")
	tab1 := f.dialSSE(t, connectCmd(t, tok, nil))
	tab1.connected(t)
	tab2 := f.wsConnect(t, tok)
	other := f.dialSSE(t, connectCmd(t, grant(t, f.eng, ada2, "inbox#ada"), nil))
	other.connected(t)

	f.sessions.end(ada)
	if err := f.eng.Disconnect(ctx, ada); err != nil {
		t.Fatal(err)
	}
	r, ok := tab1.next(t, time.Second)
	if !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 4501 {
		t.Fatalf("tab 1: want disconnect 4501 within a second, got %s", r.Raw)
	}
	tab1.ended(t, 2*time.Second)
	var ce *websocket.CloseError
	if r, err := wsRead(t, tab2, time.Second); !errors.As(err, &ce) || ce.Code != 4501 {
		t.Fatalf("tab 2: want close 4501 within a second, got %s, %v", r.Raw, err)
	}
	if err := f.inbox.PublishTo(ctx, "ada", "<p>after</p>"); err != nil {
		t.Fatal(err)
	}
	if _, p := other.nextPub(t, 5*time.Second); p.content(t) != "<p>after</p>" {
		t.Errorf("Ada's other session: %q", p.content(t))
	}
	replay := f.dialSSE(t, connectCmd(t, tok, nil))
	if r, ok := replay.next(t, 5*time.Second); !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 4501 {
		t.Fatalf("the ended session's token replayed: %s, want 4501", r.Raw)
	}

	f.sessions.setDown(true)
	down := f.dialSSE(t, connectCmd(t, grant(t, f.eng, bob, "inbox#bob"), nil))
	if r, ok := down.next(t, 5*time.Second); !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 3004 {
		t.Fatalf("session store away: %s, want 3004 (reconnect later)", r.Raw)
	}
	f.sessions.setDown(false)
	f.dialSSE(t, connectCmd(t, grant(t, f.eng, bob, "inbox#bob"), nil)).connected(t)
	// Disconnecting an anonymous reader is nothing.
	if err := f.eng.Disconnect(ctx, pagelet.Reader{}); err != nil {
		t.Error(err)
	}
}

// TestExcept checks that a publication can leave out the connection that
// caused it: Ada's tab that posted does not get it, her other tab does,
// and the next publication reaches both.
func TestExcept(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	ctx := context.Background()
	tok := grant(t, f.eng, ada, "inbox#ada")
	poster := f.dialSSE(t, connectCmd(t, tok, nil))
	posterID := poster.connected(t).Client
	other := f.dialSSE(t, connectCmd(t, tok, nil))
	other.connected(t)
	if err := f.inbox.PublishTo(ctx, "ada", "<p>mine</p>", live.Except(posterID)); err != nil {
		t.Fatal(err)
	}
	if err := f.inbox.PublishTo(ctx, "ada", "<p>next</p>"); err != nil {
		t.Fatal(err)
	}
	if _, p := poster.nextPub(t, 5*time.Second); p.content(t) != "<p>next</p>" {
		t.Errorf("the posting tab got %q first, want only the next", p.content(t))
	}
	for _, want := range []string{"<p>mine</p>", "<p>next</p>"} {
		if _, p := other.nextPub(t, 5*time.Second); p.content(t) != want {
			t.Errorf("the other tab got %q, want %q", p.content(t), want)
		}
	}
}

// TestSignedInScope checks the scope "every signed-in reader": a
// publication on a SignedIn feed reaches Ada and Bob, and an anonymous
// page cannot have the channel.
func TestSignedInScope(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	a := f.dialSSE(t, connectCmd(t, grant(t, f.eng, ada, "members"), nil))
	a.connected(t)
	b := f.dialSSE(t, connectCmd(t, grant(t, f.eng, bob, "members", "scores"), nil))
	b.connected(t)
	if err := f.members.Publish(context.Background(), "members", "<p>all of you</p>"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sseStream{a, b} {
		if ch, p := s.nextPub(t, 5*time.Second); ch != "members" || p.content(t) != "<p>all of you</p>" {
			t.Errorf("%q on %q", p.content(t), ch)
		}
	}
	if _, err := f.eng.Token("members"); !errors.Is(err, live.ErrSignedInOnly) {
		t.Errorf("anonymous token for members: %v, want ErrSignedInOnly", err)
	}
}

// TestReadersAcrossInstances checks the scopes through Redis: a
// publication to Ada on instance A reaches her tab on B and not Bob's on
// B, and signing Ada out on A closes her tab on B within a second.
func TestReadersAcrossInstances(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a := newReaderFixture(t, live.WithRedis(r.URL))
	b := newReaderFixture(t, live.WithRedis(r.URL))
	ctx := context.Background()
	adaOnB := b.dialSSE(t, connectCmd(t, grant(t, a.eng, ada, "inbox#ada"), nil))
	adaOnB.connected(t)
	bobOnB := b.dialSSE(t, connectCmd(t, grant(t, a.eng, bob, "inbox#bob"), nil))
	bobOnB.connected(t)
	if err := a.inbox.PublishTo(ctx, "ada", "<p>to Ada via A</p>"); err != nil {
		t.Fatal(err)
	}
	if err := a.inbox.PublishTo(ctx, "bob", "<p>to Bob via A</p>"); err != nil {
		t.Fatal(err)
	}
	if _, p := adaOnB.nextPub(t, 5*time.Second); p.content(t) != "<p>to Ada via A</p>" {
		t.Errorf("Ada on B: %q", p.content(t))
	}
	if _, p := bobOnB.nextPub(t, 5*time.Second); p.content(t) != "<p>to Bob via A</p>" {
		t.Errorf("Bob on B: %q, want only his own", p.content(t))
	}
	if err := a.eng.Disconnect(ctx, ada); err != nil {
		t.Fatal(err)
	}
	if r, ok := adaOnB.next(t, time.Second); !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 4501 {
		t.Fatalf("Ada on B after signing out on A: %s, want 4501 within a second", r.Raw)
	}
}

func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func b64Encode(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }

// TestConversation checks a channel of two readers: a message published
// once reaches Ada's and Bob's tabs and not Carol's, ReadersOn says who
// has it open, and ReadersChannel names one channel whatever the order.
func TestConversation(t *testing.T) {
	checkLeaks(t)
	f := newReaderFixture(t)
	ctx := context.Background()
	conv := f.dm.ReadersChannel("bob", "ada")
	if conv != "dm#ada,bob" || f.dm.ReadersChannel("ada", "bob", "ada") != conv {
		t.Fatalf("ReadersChannel: %q", conv)
	}
	for _, bad := range [][]string{nil, {"a,b"}, {"a#"}, {""}} {
		if ch := f.dm.ReadersChannel(bad...); ch != "" {
			t.Errorf("ReadersChannel(%q) = %q, want none", bad, ch)
		}
	}
	a := f.dialSSE(t, connectCmd(t, grant(t, f.eng, ada, conv), nil))
	a.connected(t)
	b := f.dialSSE(t, connectCmd(t, grant(t, f.eng, bob, conv), nil))
	b.connected(t)
	c := f.dialSSE(t, connectCmd(t, grant(t, f.eng, carol, "inbox#carol"), map[string]sub{conv: {}}))
	if r, ok := c.next(t, 5*time.Second); !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 3507 {
		t.Fatalf("Carol asking for the conversation: %s, want 3507", r.Raw)
	}
	if err := f.dm.Publish(ctx, conv, "<p>hi Bob</p>"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sseStream{a, b} {
		if _, p := s.nextPub(t, 5*time.Second); p.content(t) != "<p>hi Bob</p>" {
			t.Errorf("%q", p.content(t))
		}
	}
	who, err := f.eng.ReadersOn(ctx, conv)
	if err != nil || strings.Join(who, " ") != "ada bob" {
		t.Errorf("ReadersOn: %q, %v; want ada and bob", who, err)
	}
	b.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		who, err = f.eng.ReadersOn(ctx, conv)
		if err == nil && strings.Join(who, " ") == "ada" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadersOn after Bob left: %q, %v", who, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := f.eng.ReadersOn(ctx, "inbox#ada"); err == nil {
		t.Error("ReadersOn a feed without presence: no error")
	}
}
