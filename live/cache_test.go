package live_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// The pagelet cache with the live engine (live.WithCache): instances of
// one site, each with its own engine, cache and renderer, behind one
// redis-server; a publication or an invalidation made on one reaches the
// cache of the other.

// crawlerUA is a crawler's User-Agent: the renderer's plain (in-order) mode.
const crawlerUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// Keys and content of the cached site's pagelets.
const (
	scoresKey   = "page/scores"   // a state channel's pagelet: a publication is its content
	newsKey     = "page/news"     // tagged "news"
	commentsKey = "page/comments" // a stream channel's pagelet: a publication expires it
	newsTag     = "news"
	commentsCh  = "comments:x"
)

// pageletKeys are the pagelets' cache keys, by id.
var pageletKeys = map[string]string{"scores": scoresKey, "news": newsKey, "comments": commentsKey}

// cachedPolicy is the cache policy of the site's pagelets: an hour fresh,
// so that only a publication or an invalidation changes what is served.
func cachedPolicy(key string, tags ...string) pagelet.Cache {
	return pagelet.Cache{Fresh: time.Hour, Key: key, Tags: tags}
}

// backend is the site's data, shared by its instances as a database is:
// each pagelet's Load reads its text here.
type backend struct {
	mu   sync.Mutex
	text map[string]string // by pagelet id
}

func newBackend() *backend {
	return &backend{text: map[string]string{"scores": "scores v0", "news": "news v0", "comments": "comments v0"}}
}

func (b *backend) get(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text[id]
}

func (b *backend) set(id, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.text[id] = text
}

// cacheNode is one instance of the cached site: a live engine that keeps
// its cache current, a renderer with the same cache, and the page (three
// cached pagelets: scores, live on the state channel "scores"; news,
// tagged; comments, live on the stream channel comments:x) and the
// engine's endpoints served over loopback HTTP.
type cacheNode struct {
	eng      *live.Engine
	cache    *cache.Cache
	scores   *live.Feed[string]
	comments *live.Feed[string]
	srv      *httptest.Server
	log      *testenv.LockedBuffer
	loads    map[string]*atomic.Int64 // Load runs, by pagelet id
}

// newInstance starts an instance of the site over be with engine options
// opts (live.WithRedis for several). When tb ends its server, its engine
// and then its cache stop, in that order.
func newInstance(tb testing.TB, be *backend, opts ...live.Option) *cacheNode {
	tb.Helper()
	in := &cacheNode{log: &testenv.LockedBuffer{}, loads: make(map[string]*atomic.Int64)}
	logger := slog.New(slog.NewTextHandler(in.log, nil))
	c, err := cache.New(cache.WithLogger(logger))
	if err != nil {
		tb.Fatal(err)
	}
	in.cache = c
	tb.Cleanup(func() { // runs last: after the engine's Close
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			tb.Errorf("cache Close: %v", err)
		}
	})
	base := []live.Option{live.WithSecret(testSecret), live.WithLogger(logger), live.WithCache(c)}
	eng, err := live.New(siteAssets(tb), append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	in.eng = eng
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := eng.Close(ctx); err != nil {
			tb.Errorf("engine Close: %v", err)
		}
	})
	in.scores = live.State(eng, "scores", raw)
	in.comments = live.Stream(eng, "comments:", raw)
	rd, err := render.New(siteAssets(tb), render.WithLive(eng), render.WithCache(c), render.WithLogger(logger))
	if err != nil {
		tb.Fatal(err)
	}
	load := func(id string) func(context.Context) (templ.Component, error) {
		n := new(atomic.Int64)
		in.loads[id] = n
		return func(context.Context) (templ.Component, error) {
			n.Add(1)
			return raw("<p>" + be.get(id) + "</p>"), nil
		}
	}
	pagelets := []pagelet.Pagelet{
		in.scores.Pagelet("scores", pagelet.Pagelet{ID: "scores", Cache: cachedPolicy(scoresKey), Load: load("scores")}),
		{ID: "news", Cache: cachedPolicy(newsKey, newsTag), Load: load("news")},
		in.comments.Pagelet(commentsCh, pagelet.Pagelet{ID: "comments", Cache: cachedPolicy(commentsKey), Load: load("comments")}),
	}
	page := func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title: "Cached",
			Layout: func(slot pagelet.Slot) templ.Component {
				return templ.Join(slot("scores"), slot("news"), slot("comments"))
			},
			Pagelets: slices.Clone(pagelets),
		}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(page))
	mux.Handle(rd.Path(), rd)
	mux.Handle(eng.Path(), eng)
	in.srv = httptest.NewServer(mux)
	tb.Cleanup(in.srv.Close) // runs first
	return in
}

// get fetches the page as the browser (or crawler) ua and returns its body.
func (in *cacheNode) get(tb testing.TB, ua string) string {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, in.srv.URL+"/", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	res, err := in.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET / as %.20q: %d\n%s", ua, res.StatusCode, body)
	}
	return string(body)
}

// await polls the page as ua until it shows text, failing tb after d,
// and returns it and how long that took.
func (in *cacheNode) await(tb testing.TB, ua, text string, d time.Duration) (string, time.Duration) {
	tb.Helper()
	t0 := time.Now()
	for {
		body := in.get(tb, ua)
		if strings.Contains(body, text) {
			return body, time.Since(t0)
		}
		if time.Since(t0) > d {
			tb.Fatalf("after %v the page does not show %q:\n%s", d, text, pageBody(body))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// loaded returns how many times each pagelet's Load ran.
func (in *cacheNode) loaded() map[string]int64 {
	out := make(map[string]int64, len(in.loads))
	for id, n := range in.loads {
		out[id] = n.Load()
	}
	return out
}

// peek is the instance's cached fragment of pagelet id, nil if none can
// be served at once.
func (in *cacheNode) peek(id string) *cache.Entry {
	e, _, ok := in.cache.Peek(&cache.Fill{Name: id, Policy: cachedPolicy(pageletKeys[id])})
	if !ok {
		return nil
	}
	return e
}

// scoresPosition is the live position of the scores pagelet in a page's
// setup (its payload, or its entry among the pagelets the skeleton shows).
var scoresPosition = regexp.MustCompile(`"live":\{"channel":"scores","kind":"state","offset":(\d+),"epoch":"([^"]*)"\}`)

// staleBound bounds every wait for a change to reach the other instance:
// generous, for a busy machine; the time it took is logged, not asserted.
const staleBound = 5 * time.Second

// TestCacheAcrossInstances: two instances, each with its own engine,
// cache and renderer, behind one Redis. Both caches are warm; a change
// made on A (a state publication, a tag invalidation, a stream
// publication) reaches B's cache: B's pages, browser and crawler alike,
// show the new content, a state publication's without running B's Load
// (the publication is the content, at its position in the channel, which
// the page carries for its client to recover from), the others' by
// loading it again once.
func TestCacheAcrossInstances(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	be := newBackend()
	a := newInstance(t, be, live.WithRedis(r.URL))
	b := newInstance(t, be, live.WithRedis(r.URL))
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		pagelet string
		text    string                    // the new content B must show
		change  func(t *testing.T) uint64 // made on A; returns the scores channel's offset it published at, or 0
		loads   int64                     // B's Load runs for pagelet it takes
	}{
		{"state publication", "scores", "scores v1", func(t *testing.T) uint64 {
			// A publisher stores, then publishes the new content: nothing
			// needs the store to render it again.
			be.set("scores", "scores v1")
			if err := a.scores.Publish(ctx, "scores", "<p>scores v1</p>"); err != nil {
				t.Fatal(err)
			}
			pos, err := a.eng.Position(ctx, "scores")
			if err != nil {
				t.Fatal(err)
			}
			return pos.Offset
		}, 0},
		{"tag invalidation", "news", "news v1", func(t *testing.T) uint64 {
			be.set("news", "news v1")
			if err := a.cache.InvalidateTags(ctx, newsTag); err != nil {
				t.Fatal(err)
			}
			return 0
		}, 1},
		{"stream publication", "comments", "comments v1", func(t *testing.T) uint64 {
			be.set("comments", "comments v1")
			if err := a.comments.Publish(ctx, commentsCh, "<p>comments v1</p>"); err != nil {
				t.Fatal(err)
			}
			return 0
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Warm: every pagelet cached on both instances, each loaded at
			// most once there.
			for _, in := range []*cacheNode{a, b} {
				in.get(t, chromeUA)
				for id, n := range in.loaded() {
					if n < 1 {
						t.Fatalf("pagelet %s never loaded", id)
					}
				}
			}
			before := b.loaded()
			if got := b.get(t, chromeUA); strings.Contains(got, tc.text) {
				t.Fatalf("B shows %q before the change", tc.text)
			}
			if after := b.loaded(); !mapsEqual(after, before) {
				t.Fatalf("B's warm page ran Loads: %v, then %v", before, after)
			}

			t0 := time.Now()
			offset := tc.change(t)
			body, polled := b.await(t, chromeUA, tc.text, staleBound)
			took := time.Since(t0)
			t.Logf("%s on A → B's page shows it after %v (%v of polling B; within 100 ms: %v)",
				tc.name, took.Round(time.Microsecond), polled.Round(time.Microsecond), took <= 100*time.Millisecond)

			after := b.loaded()
			if got := after[tc.pagelet] - before[tc.pagelet]; got != tc.loads {
				t.Errorf("B's %s Load ran %d times for the change, want %d", tc.pagelet, got, tc.loads)
			}
			for id := range before {
				if id != tc.pagelet && after[id] != before[id] {
					t.Errorf("B's %s Load ran %d more times: only %s changed", id, after[id]-before[id], tc.pagelet)
				}
			}
			if tc.pagelet == "scores" {
				e := b.peek("scores")
				if e == nil || string(e.HTML) != "<p>scores v1</p>" || e.Live == nil || e.Live.Offset != offset {
					t.Fatalf("B's cached scores: %+v, want the publication at offset %d", e, offset)
				}
				// The page carries the publication's position: its client
				// recovers what is published after it, from there.
				m := scoresPosition.FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no live position for scores in B's page:\n%s", pageBody(body))
				}
				if got, _ := strconv.ParseUint(m[1], 10, 64); got != offset || m[2] != e.Live.Epoch || offset == 0 {
					t.Errorf("B's page positions scores at %s/%q, want the publication's %d/%q", m[1], m[2], offset, e.Live.Epoch)
				}
				if !grantRE.MatchString(body) {
					t.Errorf("B's page has no live grant:\n%s", pageBody(body))
				}
			}

			// A crawler's page (the plain mode) shows it too, from the
			// same cache: no Load runs for it.
			if got := b.get(t, crawlerUA); !strings.Contains(got, tc.text) {
				t.Errorf("B's crawler page does not show %q:\n%s", tc.text, pageBody(got))
			}
			if got := b.loaded(); !mapsEqual(got, after) {
				t.Errorf("B's crawler page ran Loads: %v, then %v", after, got)
			}
		})
	}
}

// mapsEqual reports whether a and b hold the same counts.
func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestCacheMemoryBroker: one instance, the memory broker (no Redis). A
// state publication is the cached pagelet's content at once, when Publish
// returns, with no Load; its own notification (centrifuge's Notify calls
// the local handler too) is not applied a second time; a stream
// publication and a tag invalidation expire theirs.
func TestCacheMemoryBroker(t *testing.T) {
	checkLeaks(t)
	be := newBackend()
	in := newInstance(t, be)
	ctx := context.Background()
	in.get(t, chromeUA)
	before := in.loaded()

	be.set("scores", "scores v1")
	if err := in.scores.Publish(ctx, "scores", "<p>scores v1</p>"); err != nil {
		t.Fatal(err)
	}
	body := in.get(t, chromeUA)
	if !strings.Contains(body, "scores v1") {
		t.Fatalf("the page after the publication:\n%s", pageBody(body))
	}
	if m := scoresPosition.FindStringSubmatch(body); m == nil || m[1] != "1" {
		t.Errorf("scores' position in the page: %q, want offset 1", m)
	}
	if got := in.loaded(); !mapsEqual(got, before) {
		t.Errorf("Loads ran: %v, then %v; the publication is the content", before, got)
	}
	if strings.Contains(in.log.String(), "cache message refused") {
		t.Errorf("the engine refused its own message:\n%s", in.log)
	}

	be.set("news", "news v1")
	be.set("comments", "comments v1")
	if err := in.cache.InvalidateTags(ctx, newsTag); err != nil {
		t.Fatal(err)
	}
	if err := in.comments.Publish(ctx, commentsCh, "<p>new</p>"); err != nil {
		t.Fatal(err)
	}
	body = in.get(t, crawlerUA)
	if !strings.Contains(body, "news v1") || !strings.Contains(body, "comments v1") || !strings.Contains(body, "scores v1") {
		t.Errorf("the page after the invalidations:\n%s", pageBody(body))
	}
	got := in.loaded()
	if got["news"] != before["news"]+1 || got["comments"] != before["comments"]+1 || got["scores"] != before["scores"] {
		t.Errorf("Loads: %v, then %v; want one more of news and comments", before, got)
	}
}

// pageBody is a page's <body>, for failure messages: its head is the
// runtime's script.
func pageBody(page string) string {
	if i := strings.Index(page, "<body>"); i >= 0 {
		return page[i:]
	}
	return page
}

// TestCacheMessageLimits: what a cache sends its peers over Redis is what
// they accept, whatever the application asks: an invalidation of more
// tags than one message may carry, a tag too long for a peer (refused,
// the others sent), a state publication too large to be carried whole
// (the engine allows up to its MessageSize, and more than the peers
// accept: they expire the fragment and load it).
func TestCacheMessageLimits(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	be := newBackend()
	limits := live.WithLimits(live.Limits{MessageSize: 8 << 20})
	a := newInstance(t, be, live.WithRedis(r.URL), limits)
	b := newInstance(t, be, live.WithRedis(r.URL), limits)
	ctx := context.Background()
	big := strings.Repeat("x", 4<<20)

	for _, tc := range []struct {
		name    string
		pagelet string
		text    string
		change  func(t *testing.T)
		loads   int64
	}{
		{"many tags", "news", "news v1", func(t *testing.T) {
			tags := make([]string, 3000)
			for i := range tags {
				tags[i] = fmt.Sprint("other-", i)
			}
			tags[2500] = newsTag
			if err := a.cache.InvalidateTags(ctx, tags...); err != nil {
				t.Fatal(err)
			}
		}, 1},
		{"a tag too long", "news", "news v2", func(t *testing.T) {
			long := strings.Repeat("t", 4096)
			err := a.cache.InvalidateTags(ctx, long, newsTag)
			if err == nil || !strings.Contains(err.Error(), "bytes") {
				t.Errorf("invalidating a %d-byte tag: %v, want an error saying it was not sent", len(long), err)
			}
		}, 1},
		{"a large state publication", "scores", "scores v1 " + big[:64], func(t *testing.T) {
			if err := a.scores.Publish(ctx, "scores", "<p>scores v1 "+big+"</p>"); err != nil {
				t.Fatal(err)
			}
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.get(t, crawlerUA) // warm
			before := b.loaded()
			be.set(tc.pagelet, tc.text)
			if tc.pagelet == "scores" {
				be.set("scores", "scores v1 "+big)
			}
			tc.change(t)
			_, took := b.await(t, crawlerUA, tc.text, staleBound)
			t.Logf("B shows it after %v", took)
			if got := b.loaded()[tc.pagelet] - before[tc.pagelet]; got != tc.loads {
				t.Errorf("B's %s Load ran %d times, want %d", tc.pagelet, got, tc.loads)
			}
			if log := b.log.String(); strings.Contains(log, "refused") {
				t.Errorf("B refused a message:\n%s", log)
			}
		})
	}
}

// waitUp polls in's engine until its broker is up (or down), failing tb
// after d.
func (in *cacheNode) waitUp(tb testing.TB, up bool, d time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for in.eng.Health().BrokerUp != up {
		if time.Now().After(deadline) {
			tb.Fatalf("broker up %v after %v, want %v: %+v", !up, d, up, in.eng.Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCacheBrokerDown: while Redis does not answer (paused), a
// publication fails at once (ErrBrokerDown) and changes no cache, not
// even its own instance's: nothing was published; an invalidation
// expires the instance's own fragments and fails at once too, instead
// of waiting for Redis's timeout. Once Redis answers again, publications
// reach the other instance's cache as before.
func TestCacheBrokerDown(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	be := newBackend()
	a := newInstance(t, be, live.WithRedis(r.URL))
	b := newInstance(t, be, live.WithRedis(r.URL))
	ctx := context.Background()
	a.get(t, chromeUA)
	b.get(t, chromeUA)
	before := a.loaded()

	r.Pause(t)
	// Before the probe knows, an invalidation waits for Redis as long as
	// its context lets it, not for Redis's own timeout (seconds).
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err := a.cache.InvalidateTags(wctx, "other")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, live.ErrBrokerDown) {
		t.Errorf("InvalidateTags with a 100 ms context as Redis stops: %v, want the context's end or ErrBrokerDown", err)
	}
	a.waitUp(t, false, 10*time.Second)
	be.set("scores", "scores v1")
	t0 := time.Now()
	err = a.scores.Publish(ctx, "scores", "<p>scores v1</p>")
	t.Logf("Publish while down: %v after %v", err, time.Since(t0))
	if !errors.Is(err, live.ErrBrokerDown) {
		t.Errorf("Publish while down: %v, want ErrBrokerDown", err)
	}
	if e := a.peek("scores"); e == nil || string(e.HTML) != "<p>scores v0</p>" {
		t.Errorf("A's cached scores after a publication that failed: %+v, want the old one", e)
	}
	be.set("news", "news v1")
	t0 = time.Now()
	err = a.cache.InvalidateTags(ctx, newsTag)
	t.Logf("InvalidateTags while down: %v after %v", err, time.Since(t0))
	if !errors.Is(err, live.ErrBrokerDown) {
		t.Errorf("InvalidateTags while down: %v, want ErrBrokerDown", err)
	}
	if a.peek("news") != nil {
		t.Error("A's news fragment is still served after InvalidateTags")
	}

	r.Resume(t)
	a.waitUp(t, true, 15*time.Second)
	b.waitUp(t, true, 15*time.Second)
	if body := a.get(t, crawlerUA); !strings.Contains(body, "news v1") || !strings.Contains(body, "scores v0") {
		t.Errorf("A's page after the outage:\n%s", pageBody(body))
	}
	if got := a.loaded(); got["news"] != before["news"]+1 || got["scores"] != before["scores"] {
		t.Errorf("A's Loads: %v, then %v; want news loaded again, nothing else", before, got)
	}
	be.set("scores", "scores v2")
	if err := a.scores.Publish(ctx, "scores", "<p>scores v2</p>"); err != nil {
		t.Fatal(err)
	}
	_, took := b.await(t, crawlerUA, "scores v2", staleBound)
	t.Logf("after the outage, a publication on A reaches B's page in %v", took)
}

// TestCacheCloseOrder: an engine with a cache stops cleanly whichever of
// the two is closed first, and what the other does meanwhile (a page
// served, a publication, an invalidation) neither hangs nor panics.
func TestCacheCloseOrder(t *testing.T) {
	for _, redis := range []bool{false, true} {
		for _, engineFirst := range []bool{true, false} {
			name := fmt.Sprintf("redis=%v/engine first=%v", redis, engineFirst)
			t.Run(name, func(t *testing.T) {
				checkLeaks(t)
				var opts []live.Option
				if redis {
					opts = append(opts, live.WithRedis(redistest.Start(t).URL))
				}
				be := newBackend()
				in := newInstance(t, be, opts...)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				in.get(t, chromeUA)
				closeEngine := func() {
					if err := in.eng.Close(ctx); err != nil {
						t.Errorf("engine Close: %v", err)
					}
				}
				closeCache := func() {
					if err := in.cache.Close(ctx); err != nil {
						t.Errorf("cache Close: %v", err)
					}
				}
				if engineFirst {
					closeEngine()
					err := in.cache.InvalidateTags(ctx, newsTag)
					t.Logf("InvalidateTags after the engine's Close: %v", err)
					if in.peek("news") != nil {
						t.Error("the fragment is still served after InvalidateTags")
					}
					be.set("news", "news v1")
					if body := in.get(t, crawlerUA); !strings.Contains(body, "news v1") {
						t.Errorf("the page after the engine's Close:\n%s", pageBody(body))
					}
					closeCache()
					return
				}
				closeCache()
				if err := in.scores.Publish(ctx, "scores", "<p>scores v1</p>"); err != nil {
					t.Errorf("Publish after the cache's Close: %v", err)
				}
				if e := in.peek("scores"); e == nil || string(e.HTML) != "<p>scores v1</p>" {
					t.Errorf("the closed cache's scores after a publication: %+v", e)
				}
				if body := in.get(t, crawlerUA); !strings.Contains(body, "scores v1") {
					t.Errorf("the page after the cache's Close:\n%s", pageBody(body))
				}
				closeEngine()
			})
		}
	}
}

// TestCacheLoadedWithoutPosition: a live pagelet loaded while its
// channel's position cannot be read (the broker down) is shown at an
// unknown position (its client refetches it once connected) on the pages
// of that moment only: once the broker is back the next page carries a
// position again, instead of every page served from a fragment stored
// without one, for as long as it is fresh (an hour here), each of its
// readers refetching it.
func TestCacheLoadedWithoutPosition(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	be := newBackend()
	in := newInstance(t, be, live.WithRedis(r.URL))
	r.Pause(t)
	in.waitUp(t, false, 10*time.Second)
	body := in.get(t, chromeUA)
	if m := scoresPosition.FindStringSubmatch(body); !strings.Contains(body, "scores v0") || m == nil || m[1] != "0" || m[2] != "" {
		t.Errorf("the page while the broker is down: want scores shown at an unknown live position:\n%s", pageBody(body))
	}
	r.Resume(t)
	in.waitUp(t, true, 15*time.Second)
	body = in.get(t, chromeUA)
	if m := scoresPosition.FindStringSubmatch(body); !strings.Contains(body, "scores v0") || m == nil || m[2] == "" {
		t.Errorf("the page once the broker is back: want scores live again:\n%s", pageBody(body))
	}
	loads := in.loaded()["scores"]
	in.get(t, chromeUA)
	if got := in.loaded()["scores"]; got != loads {
		t.Errorf("scores loaded %d times more once the broker is back: want it cached again", got-loads)
	}
}

// BenchmarkCacheStaleness measures how stale instance B's cache is after a
// state publication on instance A, both behind one redis-server: the time
// from Publish called on A until B serves the publication's content,
// looked for in B's cache (peek: Cache.Peek, polled every 20 µs) or in
// B's page (page: a GET, as a browser, polled back to back). It reports
// its percentiles as p50-µs, p99-µs and max-µs.
//
//	go test -run '^$' -bench CacheStaleness -benchtime 2000x ./live
func BenchmarkCacheStaleness(b *testing.B) {
	r := redistest.Start(b)
	be := newBackend()
	a := newInstance(b, be, live.WithRedis(r.URL))
	peer := newInstance(b, be, live.WithRedis(r.URL))
	ctx := context.Background()
	for _, via := range []string{"peek", "page"} {
		b.Run(via, func(b *testing.B) {
			a.get(b, chromeUA)
			peer.get(b, chromeUA) // both warm: B's scores fragment cached
			served := func(content string) bool {
				if via == "peek" {
					e := peer.peek("scores")
					return e != nil && string(e.HTML) == content
				}
				return strings.Contains(peer.get(b, chromeUA), content)
			}
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				content := fmt.Sprintf("<p>scores %s %d</p>", via, i)
				t0 := time.Now()
				if err := a.scores.Publish(ctx, "scores", content); err != nil {
					b.Fatal(err)
				}
				for !served(content) {
					if time.Since(t0) > staleBound {
						b.Fatalf("publication %d not served by B after %v", i, staleBound)
					}
					if via == "peek" {
						time.Sleep(20 * time.Microsecond)
					}
				}
				took = append(took, time.Since(t0))
			}
			b.StopTimer()
			if loads := peer.loaded()["scores"]; loads != 1 {
				b.Errorf("B loaded scores %d times: want once, the publications being the content", loads)
			}
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[int(p*float64(len(took)-1))].Nanoseconds()) / 1e3
			}
			b.ReportMetric(pct(.50), "p50-µs")
			b.ReportMetric(pct(.99), "p99-µs")
			b.ReportMetric(pct(1), "max-µs")
		})
	}
}
