package live_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// op is what a test reads of a publication's data: the item operation.
type op struct {
	Content string `json:"content"`
	Key     string `json:"key"`
	Op      string `json:"op"`
	Pin     *bool  `json:"pin"`
	Order   uint64 `json:"order"`
}

func (o op) String() string {
	s := o.Op
	if s == "" {
		s = "add"
	}
	s += " " + o.Key
	if o.Pin != nil {
		s += map[bool]string{true: " pin", false: " unpin"}[*o.Pin]
	}
	if o.Content != "" {
		s += " " + o.Content
	}
	return s
}

func decodeOp(t testing.TB, p *publication) op {
	t.Helper()
	var o op
	if err := json.Unmarshal(p.Data, &o); err != nil {
		t.Fatalf("publication data %s: %v", p.Data, err)
	}
	return o
}

// TestItemOps: replacements, pins and removals are publications of the
// channel's, in its history, each published every time (never
// deduplicated as the add of their key), and an add retried after its
// item's removal is not published again; a client that recovers them gets
// them in order, once.
func TestItemOps(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := t.Context()
	const ch = "comments:ops"
	pos, err := f.eng.Position(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return f.comments.Publish(ctx, ch, "<li>a</li>", live.WithKey("k1"), live.WithOrder(1)) },
		func() error { return f.comments.Publish(ctx, ch, "<li>b</li>", live.WithKey("k2"), live.WithOrder(2)) },
		func() error { return f.comments.Publish(ctx, ch, "<li>a2</li>", live.WithKey("k1"), live.Replace()) },
		// The same replacement again: published again, not taken for a retry.
		func() error { return f.comments.Publish(ctx, ch, "<li>a2</li>", live.WithKey("k1"), live.Replace()) },
		func() error {
			return f.comments.Publish(ctx, ch, "<li>b</li>", live.WithKey("k2"), live.Replace(), live.Pin(true))
		},
		func() error { return f.comments.Remove(ctx, ch, "k1") },
		// The add of k1 retried after its removal: not published again.
		func() error { return f.comments.Publish(ctx, ch, "<li>a</li>", live.WithKey("k1"), live.WithOrder(1)) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{"add k1 <li>a</li>", "add k2 <li>b</li>", "replace k1 <li>a2</li>", "replace k1 <li>a2</li>", "replace k2 pin <li>b</li>", "remove k1"}
	now, err := f.eng.Position(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if got := now.Offset - pos.Offset; got != uint64(len(want)) {
		t.Errorf("%d publications, want %d", got, len(want))
	}

	// A page rendered before them recovers all of them, in order.
	s := f.dialSSE(t, connectCmd(t, f.token(t, ch), fmtSubs(ch, pos.Offset, pos.Epoch)))
	sr := s.connected(t).Subs[ch]
	if !sr.Recovered {
		t.Fatalf("not recovered: %+v", sr)
	}
	var got []string
	for _, p := range sr.Publications {
		got = append(got, decodeOp(t, &p).String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("recovered %q, want %q", got, want)
	}

	// Live, the same.
	if err := f.comments.Publish(ctx, ch, "<li>b</li>", live.WithKey("k2"), live.Replace(), live.Pin(false)); err != nil {
		t.Fatal(err)
	}
	if _, p := s.nextPub(t, 5*time.Second); decodeOp(t, p).String() != "replace k2 unpin <li>b</li>" {
		t.Errorf("live publication %s", p.Data)
	}

	// Misuse is refused, publishing nothing.
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"replace without a key", f.comments.Publish(ctx, ch, "x", live.Replace()), live.ErrNoKey},
		{"pin without a key", f.comments.Publish(ctx, ch, "x", live.Pin(true)), live.ErrNoKey},
		{"remove without a key", f.comments.Remove(ctx, ch, ""), live.ErrNoKey},
		{"replace on a state feed", f.scores.Publish(ctx, "scores", "x", live.WithKey("k"), live.Replace()), live.ErrNotItems},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

// filterFixture is a fixture with a filtered stream feed "desk:": a
// reader's filter is the one the test gives for their id.
func filterFixture(t *testing.T, filters map[string]live.Filter) (*fixture, *live.Feed[string]) {
	t.Helper()
	f := newFixture(t)
	desk := live.Stream(f.eng, "desk:", raw, live.WithFilter(func(_ context.Context, r pagelet.Reader, channel string) (live.Filter, error) {
		if !strings.HasPrefix(channel, "desk:") {
			t.Errorf("filter asked for channel %q", channel)
		}
		return filters[r.ID], nil
	}))
	return f, desk
}

// readerToken is a token granting channels to reader.
func readerToken(t testing.TB, f *fixture, reader string, channels ...string) string {
	t.Helper()
	g, err := f.eng.Grant(pagelet.WithReader(context.Background(), pagelet.Reader{ID: reader, Session: "s-" + reader}), channels)
	if err != nil {
		t.Fatal(err)
	}
	return g.Token
}

// TestFilteredDelivery: two subscribers of one channel with different
// filters (one over SSE, one over WebSocket) each get the publications
// their filter matches, and a removal, and nothing else: a publication that
// does not match never reaches the connection.
func TestFilteredDelivery(t *testing.T) {
	checkLeaks(t)
	f, desk := filterFixture(t, map[string]live.Filter{
		"ada": live.TagEquals("section", "sport"),
		"bob": live.AnyOf(live.TagIn("section", "news", "arts"), live.TagContains("text", "harbour")),
	})
	ctx := t.Context()
	const ch = "desk:all"
	sse := f.dialSSE(t, connectCmd(t, readerToken(t, f, "ada", ch), nil))
	sse.connected(t)
	ws, _, err := f.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, connectCmd(t, readerToken(t, f, "bob", ch), nil)); err != nil {
		t.Fatal(err)
	}
	if r, err := wsRead(t, ws, 5*time.Second); err != nil || r.Connect == nil {
		t.Fatalf("connect: %v %s", err, r.Raw)
	}
	pubs := []struct {
		v    string
		tags map[string]string
	}{
		{"p1", map[string]string{"section": "sport"}},
		{"p2", map[string]string{"section": "news"}},
		{"p3", map[string]string{"section": "sport", "text": "the harbour bridge"}},
		{"p4", map[string]string{"section": "weather"}},
		{"p5", nil},
		{"p6", map[string]string{"section": "arts"}},
	}
	for _, p := range pubs {
		if err := desk.Publish(ctx, ch, p.v, live.WithKey(p.v), live.WithTags(p.tags)); err != nil {
			t.Fatal(err)
		}
	}
	// A removal reaches every page, whatever its filter.
	if err := desk.Remove(ctx, ch, "p4"); err != nil {
		t.Fatal(err)
	}
	var ada, bob []string
	for range 3 {
		_, p := sse.nextPub(t, 5*time.Second)
		ada = append(ada, decodeOp(t, p).String())
	}
	for _, p := range wsPubs(t, ws, 4) {
		bob = append(bob, decodeOp(t, p).String())
	}
	if want := []string{"add p1 p1", "add p3 p3", "remove p4"}; !slices.Equal(ada, want) {
		t.Errorf("ada (SSE) got %q, want %q", ada, want)
	}
	if want := []string{"add p2 p2", "add p3 p3", "add p6 p6", "remove p4"}; !slices.Equal(bob, want) {
		t.Errorf("bob (WebSocket) got %q, want %q", bob, want)
	}
	// Nothing else was written to either connection: the next publication
	// they get is the one after.
	if err := desk.Publish(ctx, ch, "p7", live.WithTags(map[string]string{"section": "sport", "text": "harbour"})); err != nil {
		t.Fatal(err)
	}
	if _, p := sse.nextPub(t, 5*time.Second); decodeOp(t, p).Content != "p7" {
		t.Errorf("ada's next: %s", p.Data)
	}
	if p := wsPubs(t, ws, 1)[0]; decodeOp(t, p).Content != "p7" {
		t.Errorf("bob's next: %s", p.Data)
	}
}

// TestFilteredRecovery: a filtered subscriber that reconnects recovers
// only the publications its filter matches (and removals), in order; its
// filter survives the reconnect, being in its token.
func TestFilteredRecovery(t *testing.T) {
	checkLeaks(t)
	f, desk := filterFixture(t, map[string]live.Filter{"ada": live.AllOf(live.TagEquals("section", "sport"), live.Filter{})})
	ctx := t.Context()
	const ch = "desk:r"
	tok := readerToken(t, f, "ada", ch)
	s := f.dialSSE(t, connectCmd(t, tok, nil))
	s.connected(t)
	if err := desk.Publish(ctx, ch, "p1", live.WithKey("p1"), live.WithTags(map[string]string{"section": "sport"})); err != nil {
		t.Fatal(err)
	}
	_, p1 := s.nextPub(t, 5*time.Second)
	pos, err := f.eng.Position(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	s.close() // away
	for i, sec := range []string{"news", "sport", "arts", "sport"} {
		v := "q" + string(rune('1'+i))
		if err := desk.Publish(ctx, ch, v, live.WithKey(v), live.WithTags(map[string]string{"section": sec})); err != nil {
			t.Fatal(err)
		}
	}
	if err := desk.Remove(ctx, ch, "q2"); err != nil {
		t.Fatal(err)
	}
	s = f.dialSSE(t, connectCmd(t, tok, fmtSubs(ch, p1.Offset, pos.Epoch)))
	sr := s.connected(t).Subs[ch]
	if !sr.Recovered {
		t.Fatalf("not recovered: %+v", sr)
	}
	var got []string
	for _, p := range sr.Publications {
		got = append(got, decodeOp(t, &p).String())
	}
	if want := []string{"add q2 q2", "add q4 q4", "remove q2"}; !slices.Equal(got, want) {
		t.Errorf("recovered %q, want %q", got, want)
	}
	// Live after the reconnect: still filtered.
	for _, sec := range []string{"news", "sport"} {
		if err := desk.Publish(ctx, ch, sec, live.WithTags(map[string]string{"section": sec})); err != nil {
			t.Fatal(err)
		}
	}
	if _, p := s.nextPub(t, 5*time.Second); decodeOp(t, p).Content != "sport" {
		t.Errorf("after the reconnect got %s, want the sport publication only", p.Data)
	}
}

// TestFilterInToken: the filter is signed into the token: claims with the
// filter taken out, under the original signature, are an invalid token
// (3500); a filter over the bounds fails the grant.
func TestFilterInToken(t *testing.T) {
	checkLeaks(t)
	huge := make([]string, 100)
	for i := range huge {
		huge[i] = strings.Repeat("x", 10)
	}
	f, _ := filterFixture(t, map[string]live.Filter{
		"ada":   live.TagEquals("section", "sport"),
		"bob":   live.TagIn("section", huge...),
		"carol": live.TagEquals("section", strings.Repeat("x", 300)),
	})
	tok := readerToken(t, f, "ada", "desk:t")
	payload, sig, _ := strings.Cut(tok, ".")
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["f"]; !ok {
		t.Fatalf("no filter in the claims: %s", body)
	}
	delete(claims, "f")
	body, err = json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	s := f.dialSSE(t, connectCmd(t, base64.RawURLEncoding.EncodeToString(body)+"."+sig, nil))
	if r, ok := s.next(t, 5*time.Second); !ok || r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 3500 {
		t.Errorf("altered filter: want disconnect 3500, got %s", r.Raw)
	}
	for _, reader := range []string{"bob", "carol"} {
		_, err := f.eng.Grant(pagelet.WithReader(context.Background(), pagelet.Reader{ID: reader}), []string{"desk:t"})
		if !errors.Is(err, live.ErrFilterTooLarge) {
			t.Errorf("%s's grant: %v, want ErrFilterTooLarge", reader, err)
		}
	}
	// A channel without a filter for its reader has none in the token.
	tok = readerToken(t, f, "dan", "desk:t", "comments:a")
	payload, _, _ = strings.Cut(tok, ".")
	if body, _ := base64.RawURLEncoding.DecodeString(payload); strings.Contains(string(body), `"f"`) {
		t.Errorf("unfiltered claims carry a filter: %s", body)
	}
}

// wsPubs reads n publications from c, however the server batches them in
// frames, failing t on anything else.
func wsPubs(t *testing.T, c *websocket.Conn, n int) []*publication {
	t.Helper()
	var out []*publication
	for len(out) < n {
		if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, frame, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("%d publications of %d, then %v", len(out), n, err)
		}
		for _, r := range parseReplies(t, frame) {
			if r.Push == nil || r.Push.Pub == nil {
				t.Fatalf("want a publication, got %s", r.Raw)
			}
			out = append(out, r.Push.Pub)
		}
	}
	if len(out) > n {
		t.Fatalf("%d publications, want %d", len(out), n)
	}
	return out
}
