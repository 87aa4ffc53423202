package cache

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// memBus joins caches in one process: what one broadcasts, every other
// one receives, at once.
type memBus struct {
	mu     sync.Mutex
	caches []*Cache
	sent   [][]byte
	err    error // Broadcast's, after delivering
}

func (b *memBus) join(c *Cache) {
	b.mu.Lock()
	b.caches = append(b.caches, c)
	b.mu.Unlock()
	c.Join(b)
}

func (b *memBus) Broadcast(_ context.Context, msg []byte) error {
	b.mu.Lock()
	b.sent = append(b.sent, msg)
	caches := b.caches
	b.mu.Unlock()
	for _, c := range caches {
		if err := c.Receive(msg); err != nil { // the sender's own too: it ignores it
			return err
		}
	}
	return b.err
}

// Two instances' caches on one bus: what one is told, the other applies.
func TestBus(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		on       func(a *Cache) error // what instance A is told
		wantB    string               // what B then serves: "" for expired
		wantLive *Position
	}{
		{"a tag invalidated", func(a *Cache) error { return a.InvalidateTags(ctx, "news") }, "", nil},
		{"a key invalidated", func(a *Cache) error { return a.InvalidateKeys(ctx, "front") }, "", nil},
		{"another tag invalidated", func(a *Cache) error { return a.InvalidateTags(ctx, "sports") }, "v1", at(5, "e")},
		{"a state publication", func(a *Cache) error {
			return a.Published(ctx, "ch", true, []byte("published"), *at(6, "e"))
		}, "published", at(6, "e")},
		{"an older state publication", func(a *Cache) error {
			return a.Published(ctx, "ch", true, []byte("published"), *at(4, "e"))
		}, "v1", at(5, "e")},
		{"a stream publication", func(a *Cache) error {
			return a.Published(ctx, "ch", false, []byte("item"), Position{Kind: "stream", Offset: 6, Epoch: "e"})
		}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := newTest(t), newTest(t)
				bus := &memBus{}
				bus.join(a)
				bus.join(b)
				src := newSource("v1")
				src.set("v1", at(5, "e"), nil)
				f := src.fill("front", "news")
				f.Channel = "ch"
				get(t, a, f)
				get(t, b, f)

				if err := tc.on(a); err != nil {
					t.Fatal(err)
				}
				if len(bus.sent) != 1 {
					t.Fatalf("%d messages sent, want 1", len(bus.sent))
				}
				for name, c := range map[string]*Cache{"A": a, "B": b} {
					e, o, ok := c.Peek(f)
					if html(e) != tc.wantB || ok != (tc.wantB != "") {
						t.Errorf("%s: %q, %s, %t; want %q", name, html(e), o, ok, tc.wantB)
					}
					if ok && !samePos(e.Live, tc.wantLive) {
						t.Errorf("%s at %v, want %v", name, e.Live, tc.wantLive)
					}
				}
			})
		})
	}
}

// A cache ignores its own messages (it applied them as it sent them), and
// a bus that fails leaves this instance's change made and says so.
func TestBusOwnMessagesAndErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTest(t)
		bus := &memBus{}
		bus.join(a)
		src := newSource("v1")
		f := src.fill("front", "news")
		get(t, a, f)
		if err := a.InvalidateTags(context.Background(), "sports"); err != nil {
			t.Fatal(err)
		}
		// Its own message again, and one of a state publication that would
		// replace the fragment: both ignored.
		pub, err := json.Marshal(&message{Origin: a.origin, Op: opPublish, Names: []string{"c"}, HTML: []byte("x"), Pos: at(1, "e")})
		if err != nil {
			t.Fatal(err)
		}
		inv, _ := json.Marshal(&message{Origin: a.origin, Op: opInvalidate, Names: []string{"tnews"}})
		for _, m := range [][]byte{bus.sent[0], pub, inv} {
			if err := a.Receive(m); err != nil {
				t.Errorf("Receive(own): %v", err)
			}
		}
		if e, o, ok := a.Peek(f); !ok || o != Hit || html(e) != "v1" {
			t.Errorf("after its own messages: %q, %s, %t; want them ignored", html(e), o, ok)
		}
		// The same from another origin is applied.
		inv, _ = json.Marshal(&message{Origin: "peer", Op: opInvalidate, Names: []string{"tnews"}})
		if err := a.Receive(inv); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := a.Peek(f); ok {
			t.Error("a peer's invalidation was not applied")
		}

		get(t, a, f)
		bus.err = errors.New("broker down")
		if err := a.InvalidateTags(context.Background(), "news"); !errors.Is(err, bus.err) {
			t.Errorf("InvalidateTags with the bus down: %v", err)
		}
		if _, _, ok := a.Peek(f); ok {
			t.Error("with the bus down, this instance's fragment was not expired")
		}
	})
}

// Every origin gets its own id.
func TestOrigins(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		o := newOrigin()
		if len(o) != 16 || seen[o] {
			t.Fatalf("origin %q (%d seen)", o, len(seen))
		}
		seen[o] = true
	}
}

// decode, the bus's parser, takes what a cache sends and refuses anything
// else with errMessage.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		ok   bool
		want string // in the error
	}{
		{`{"o":"x","op":"invalidate","n":["tnews","kfront","cch"]}`, true, ""},
		{`{"o":"x","op":"publish","n":["cch"],"h":"PHA+","p":{"Kind":"state","Offset":6,"Epoch":"e"}}`, true, ""},
		{`{"op":"invalidate","n":["tnews"]}`, true, ""}, // no origin: no cache's but this one's is empty
		{``, false, "unexpected end"},
		{`null`, false, `op ""`},
		{`[]`, false, "cannot unmarshal"},
		{`{"op":"drop","n":["tnews"]}`, false, `op "drop"`},
		{`{"op":"invalidate"}`, false, "0 names"},
		{`{"op":"invalidate","n":[]}`, false, "0 names"},
		{`{"op":"invalidate","n":[""]}`, false, `name ""`},
		{`{"op":"invalidate","n":["xnews"]}`, false, `name "xnews"`},
		{`{"op":"invalidate","n":["tnews",""]}`, false, `name ""`},
		{`{"op":"invalidate","n":"tnews"}`, false, "cannot unmarshal"},
		{`{"op":"publish","n":["cch"]}`, false, "one channel and a position"},
		{`{"op":"publish","n":["tnews"],"p":{}}`, false, "one channel and a position"},
		{`{"op":"publish","n":["cch","cother"],"p":{}}`, false, "one channel and a position"},
		{`{"op":"publish","n":[""],"p":{}}`, false, ""},
		{`{"op":"publish","n":["c"],"h":"not base64!","p":{}}`, false, "illegal base64"},
		{`{"op":"invalidate","n":["t` + strings.Repeat("x", maxName) + `"]}`, false, "name"},
		{`{"op":"invalidate","n":[` + strings.Repeat(`"tx",`, maxNames) + `"tx"]}`, false, "1025 names"},
		{`{"op":"invalidate","n":["tx"],"h":"` + strings.Repeat("A", maxMessages) + `"}`, false, "bytes"},
	} {
		name := tc.msg
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		m, err := decode([]byte(tc.msg))
		if tc.ok {
			if err != nil || m == nil {
				t.Errorf("decode(%s): %v", name, err)
			}
			continue
		}
		if !errors.Is(err, errMessage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decode(%s): %v; want errMessage with %q", name, err, tc.want)
		}
	}
}

// Whatever comes on the bus, Receive never panics, and applies only what
// decode accepts: a message of known op with well-formed names.
func FuzzReceive(f *testing.F) {
	valid := []any{
		&message{Origin: "peer", Op: opInvalidate, Names: []string{"tnews", "kfront"}},
		&message{Origin: "peer", Op: opInvalidate, Names: []string{"cch"}},
		&message{Origin: "peer", Op: opPublish, Names: []string{"cch"}, HTML: []byte("<p>x</p>"), Pos: at(6, "e")},
	}
	for _, m := range valid {
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"op":"publish"}`, `{"op":"publish","n":[""],"p":{}}`,
		`{"op":"invalidate","n":[""]}`, `{"op":"invalidate","n":["k"]}`, `{"op":"publish","n":["c"],"p":null}`,
		`{"op":"invalidate","n":["t\u0000"]}`, `{"op":"publish","n":["cch"],"h":"%%%","p":{"Offset":-1}}`,
	} {
		f.Add([]byte(s))
	}
	c, err := New(MaxEntries(100), MaxBytes(1<<20))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = c.Close(context.Background()) })
	src := newSource("v1")
	fill := src.fill("front", "news")
	fill.Channel = "ch"

	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, _, err := c.Get(context.Background(), fill); err != nil {
			t.Fatal(err)
		}
		m, derr := decode(msg)
		err := c.Receive(msg)
		if (err == nil) != (derr == nil) {
			t.Fatalf("Receive: %v; decode: %v", err, derr)
		}
		if err != nil {
			if !errors.Is(err, errMessage) {
				t.Fatalf("Receive's error is no errMessage: %v", err)
			}
			return
		}
		if m.Op != opInvalidate && m.Op != opPublish || len(m.Names) == 0 {
			t.Fatalf("accepted %+v", m)
		}
		for _, n := range m.Names {
			if n == "" || !strings.ContainsRune("tck", rune(n[0])) {
				t.Fatalf("accepted the name %q", n)
			}
		}
		if m.Op == opPublish && (m.Pos == nil || len(m.Names) != 1 || m.Names[0][0] != 'c') {
			t.Fatalf("accepted the publication %+v", m)
		}
	})
}
