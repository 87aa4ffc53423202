package cache

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// An invalidation expires the fragments it names, and no others: the next
// request loads them again (and would serve the old one on error).
func TestInvalidate(t *testing.T) {
	// Four fragments: two with the tag "news", one personal fragment per
	// reader under the key "inbox", one "sports".
	fills := func(src *source) map[string]*Fill {
		a, b := src.fill("inbox", "mail"), src.fill("inbox", "mail")
		a.Personal, b.Personal = true, true
		a.Reader, b.Reader = "@a", "@b"
		return map[string]*Fill{
			"front": src.fill("front", "news", "home"), "story": src.fill("story:1", "news"),
			"inbox@a": a, "inbox@b": b, "sports": src.fill("sports", "sports"),
		}
	}
	for _, tc := range []struct {
		name        string
		invalidate  func(c *Cache) error
		wantExpired []string
	}{
		{"by tag", func(c *Cache) error { return c.InvalidateTags(context.Background(), "news") }, []string{"front", "story"}},
		{"by tags", func(c *Cache) error { return c.InvalidateTags(context.Background(), "home", "sports") }, []string{"front", "sports"}},
		{"by key", func(c *Cache) error { return c.InvalidateKeys(context.Background(), "story:1") }, []string{"story"}},
		{"a personal fragment's key, for every reader", func(c *Cache) error { return c.InvalidateKeys(context.Background(), "inbox") }, []string{"inbox@a", "inbox@b"}},
		{"a tag nothing has", func(c *Cache) error { return c.InvalidateTags(context.Background(), "weather") }, nil},
		{"a key as a tag: tags and keys are apart", func(c *Cache) error { return c.InvalidateTags(context.Background(), "front") }, nil},
		{"a tag as a key", func(c *Cache) error { return c.InvalidateKeys(context.Background(), "news") }, nil},
		{"nothing", func(c *Cache) error { return c.InvalidateTags(context.Background()) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("v1")
				fs := fills(src)
				for _, f := range fs {
					get(t, c, f)
				}
				if err := tc.invalidate(c); err != nil {
					t.Fatal(err)
				}
				src.set("", nil, errBackend)
				for name, f := range fs {
					expired := slices.Contains(tc.wantExpired, name)
					if _, o, ok := c.Peek(f); ok == expired {
						t.Errorf("%s: Peek %s, %t; expired: %t", name, o, ok, expired)
					}
					if !expired {
						continue
					}
					if e, o, err := c.Get(context.Background(), f); o != StaleOnError || html(e) != "v1" || err == nil {
						t.Errorf("%s with the backend down: %q, %s, %v; want the old one on error", name, html(e), o, err)
					}
				}
				src.set("v2", nil, nil)
				for _, name := range tc.wantExpired {
					if e, o := get(t, c, fs[name]); o != Miss || html(e) != "v2" {
						t.Errorf("%s: %q, %s; want it loaded again", name, html(e), o)
					}
				}
			})
		})
	}
}

// Readers of a personal pagelet with the same key never see each other's
// fragment.
func TestPersonalFragments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		var fills []*Fill
		for _, r := range []string{"@a", "@b", "@"} {
			src := newSource("inbox of " + r)
			f := src.fill("inbox")
			f.Personal, f.Reader = true, r
			fills = append(fills, f)
		}
		shared := newSource("everyone's inbox").fill("inbox")
		for _, f := range fills {
			if e, o := get(t, c, f); o != Miss || html(e) != "inbox of "+f.Reader {
				t.Errorf("reader %q: %q, %s; want its own, loaded", f.Reader, html(e), o)
			}
		}
		if _, _, ok := c.Peek(shared); ok {
			t.Error("a shared fill was served a reader's fragment")
		}
		get(t, c, shared)
		for _, f := range fills {
			if e, o, ok := c.Peek(f); !ok || o != Hit || html(e) != "inbox of "+f.Reader {
				t.Errorf("reader %q: %q, %s, %t", f.Reader, html(e), o, ok)
			}
		}
		if n := c.Len(); n != 4 {
			t.Errorf("Len: %d, want 4", n)
		}
	})
}

// What an invalidation or a publication does to a load running meanwhile:
// the Load may have read its data before the change.
func TestChangeDuringLoad(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		loadPos  *Position
		change   func(c *Cache) // while the Load runs
		want     string         // what the waiting requests get
		wantPeek string         // then; "" for expired
		wantLive *Position
	}{
		{
			name:   "an invalidation by tag expires its result",
			change: func(c *Cache) { _ = c.InvalidateTags(ctx, "news") },
			want:   "loaded",
		},
		{
			name:   "an invalidation by key expires its result",
			change: func(c *Cache) { _ = c.InvalidateKeys(ctx, "front") },
			want:   "loaded",
		},
		{
			name:     "an invalidation of something else does not",
			change:   func(c *Cache) { _ = c.InvalidateTags(ctx, "sports") },
			want:     "loaded",
			wantPeek: "loaded",
		},
		{
			name:    "a stream publication expires its result",
			loadPos: at(5, "e"),
			change:  func(c *Cache) { _ = c.Published(ctx, "ch", false, []byte("item"), *at(6, "e")) },
			want:    "loaded",
		},
		{
			name:     "a newer state publication replaces its result",
			loadPos:  at(5, "e"),
			change:   func(c *Cache) { _ = c.Published(ctx, "ch", true, []byte("published"), *at(6, "e")) },
			want:     "published",
			wantPeek: "published",
			wantLive: at(6, "e"),
		},
		{
			name:     "a state publication replaces a result read at no position",
			change:   func(c *Cache) { _ = c.Published(ctx, "ch", true, []byte("published"), *at(6, "e")) },
			want:     "published",
			wantPeek: "published",
			wantLive: at(6, "e"),
		},
		{
			name:    "the latest of two state publications replaces its result",
			loadPos: at(5, "e"),
			change: func(c *Cache) {
				_ = c.Published(ctx, "ch", true, []byte("second"), *at(7, "e"))
				_ = c.Published(ctx, "ch", true, []byte("first"), *at(6, "e")) // late
			},
			want:     "second",
			wantPeek: "second",
			wantLive: at(7, "e"),
		},
		{
			name:     "an older state publication does not",
			loadPos:  at(5, "e"),
			change:   func(c *Cache) { _ = c.Published(ctx, "ch", true, []byte("published"), *at(4, "e")) },
			want:     "loaded",
			wantPeek: "loaded",
			wantLive: at(5, "e"),
		},
		{
			name:     "a publication on another channel does not",
			loadPos:  at(5, "e"),
			change:   func(c *Cache) { _ = c.Published(ctx, "other", true, []byte("published"), *at(6, "e")) },
			want:     "loaded",
			wantPeek: "loaded",
			wantLive: at(5, "e"),
		},
		{
			name:    "an invalidation after a state publication expires it",
			loadPos: at(5, "e"),
			change: func(c *Cache) {
				_ = c.Published(ctx, "ch", true, []byte("published"), *at(6, "e"))
				_ = c.InvalidateTags(ctx, "news")
			},
			want: "published",
		},
		{
			name:    "a state publication after an invalidation is the content",
			loadPos: at(5, "e"),
			change: func(c *Cache) {
				_ = c.InvalidateTags(ctx, "news")
				_ = c.Published(ctx, "ch", true, []byte("published"), *at(6, "e"))
			},
			want:     "published",
			wantPeek: "published",
			wantLive: at(6, "e"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("loaded")
				src.set("loaded", tc.loadPos, nil)
				release := src.hold()
				f := src.fill("front", "news")
				f.Channel = "ch"
				var wg sync.WaitGroup
				wg.Go(func() {
					if e, _ := get(t, c, f); html(e) != tc.want {
						t.Errorf("the waiting request got %q, want %q", html(e), tc.want)
					}
				})
				synctest.Wait()
				tc.change(c)
				release()
				wg.Wait()

				e, o, ok := c.Peek(f)
				if html(e) != tc.wantPeek || ok != (tc.wantPeek != "") {
					t.Fatalf("then: %q, %s, %t; want %q", html(e), o, ok, tc.wantPeek)
				}
				if ok && !samePos(e.Live, tc.wantLive) {
					t.Errorf("then at %v, want %v", e.Live, tc.wantLive)
				}
				if !ok {
					src.set("reloaded", nil, nil)
					if e, o := get(t, c, f); o != Miss || html(e) != "reloaded" {
						t.Errorf("the next request: %q, %s; want it loaded again", html(e), o)
					}
				}
			})
		})
	}
}

func samePos(p, q *Position) bool {
	if p == nil || q == nil {
		return p == q
	}
	return *p == *q
}

// A publication on a live channel: a state one replaces the fragments
// showing it, with its position, unless they were read at a later one; a
// stream one expires them.
func TestPublished(t *testing.T) {
	for _, tc := range []struct {
		name     string
		loadPos  *Position
		state    bool
		pos      *Position
		wantHTML string // "" for expired
		wantLive *Position
	}{
		{"a newer state replaces", at(5, "e"), true, at(7, "e"), "published", at(7, "e")},
		{"an older state does not", at(5, "e"), true, at(4, "e"), "loaded", at(5, "e")},
		{"the same position does not", at(5, "e"), true, at(5, "e"), "loaded", at(5, "e")},
		{"a state of another epoch replaces", at(5, "e"), true, at(1, "f"), "published", at(1, "f")},
		{"a state replaces a fragment read at no position", nil, true, at(1, "e"), "published", at(1, "e")},
		{"a stream publication expires", at(5, "e"), false, &Position{Kind: "stream", Offset: 6, Epoch: "e"}, "", nil},
		{"an older stream publication expires too", at(5, "e"), false, &Position{Kind: "stream", Offset: 4, Epoch: "e"}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTest(t)
				src := newSource("loaded")
				src.set("loaded", tc.loadPos, nil)
				f := src.fill("front", "news")
				f.Channel = "ch"
				other := src.fill("sports")
				other.Channel = "other"
				get(t, c, f)
				get(t, c, other)
				if err := c.Published(context.Background(), "ch", tc.state, []byte("published"), *tc.pos); err != nil {
					t.Fatal(err)
				}
				e, o, ok := c.Peek(f)
				if html(e) != tc.wantHTML || ok != (tc.wantHTML != "") {
					t.Fatalf("Peek: %q, %s, %t; want %q", html(e), o, ok, tc.wantHTML)
				}
				if ok && (o != Hit || !samePos(e.Live, tc.wantLive)) {
					t.Errorf("Peek: %s at %v, want hit at %v", o, e.Live, tc.wantLive)
				}
				if e, o, ok := c.Peek(other); !ok || o != Hit || html(e) != "loaded" {
					t.Errorf("the other channel's fragment: %q, %s, %t", html(e), o, ok)
				}
			})
		})
	}
}

// A state publication makes its fragments fresh from then on, and the
// load that replaces it after Fresh keeps the newer position's content.
func TestPublishedRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTest(t)
		src := newSource("loaded")
		src.set("loaded", at(5, "e"), nil)
		f := src.fill("front")
		f.Channel = "ch"
		get(t, c, f)
		time.Sleep(policy.Fresh - time.Nanosecond)
		if err := c.Published(context.Background(), "ch", true, []byte("published"), *at(7, "e")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(policy.Fresh - time.Nanosecond)
		if e, o, ok := c.Peek(f); !ok || o != Hit || html(e) != "published" {
			t.Fatalf("within Fresh of the publication: %q, %s, %t", html(e), o, ok)
		}
		// Past Fresh, a refresh that read the channel at an older position
		// (a lagging replica) does not bring older content back.
		time.Sleep(2 * time.Nanosecond)
		src.set("lagging", at(6, "e"), nil)
		if e, o, ok := c.Peek(f); !ok || o != StaleHit || html(e) != "published" {
			t.Fatalf("past Fresh: %q, %s, %t", html(e), o, ok)
		}
		synctest.Wait()
		if e, _, ok := c.Peek(f); !ok || html(e) != "published" || !samePos(e.Live, at(7, "e")) {
			t.Errorf("after a refresh read at an older position: %q at %v", html(e), e.Live)
		}
		synctest.Wait()
	})
}
