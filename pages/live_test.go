package pages_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// liveSite is the demo site made live, served over loopback HTTP with its
// engine mounted as main.go mounts it.
type liveSite struct {
	site  *pages.Site
	st    *store.Store
	eng   *live.Engine
	srv   *httptest.Server
	cache *cache.Cache // with siteSetup.cached; else nil
}

// siteSetup is what newSiteWith makes a site with besides the defaults.
type siteSetup struct {
	wrap   func(http.Handler) http.Handler // around the site's routes (the session middleware, say); nil: none
	store  []store.Option                  // besides the test clock
	cached bool                            // a pagelet cache, given to the renderer, the engine and the site, as main.go does
	static bool                            // no live engine: the site is not live (liveSite.eng is nil)
	render []render.Option                 // besides the live engine and the logger (and the cache)
}

var discard = slog.New(slog.DiscardHandler)

// newLiveSite serves a live site from a fresh store on the test clock.
func newLiveSite(t testing.TB, opts ...pages.Option) *liveSite {
	t.Helper()
	return newLiveSiteWrapped(t, func(h http.Handler) http.Handler { return h }, opts...)
}

// newLiveSiteWrapped is newLiveSite with the site's routes behind wrap, a
// middleware (the session middleware that says who the reader is, say).
func newLiveSiteWrapped(t testing.TB, wrap func(http.Handler) http.Handler, opts ...pages.Option) *liveSite {
	t.Helper()
	return newSiteWith(t, siteSetup{wrap: wrap}, opts...)
}

// newSiteWith is newLiveSite as setup says.
func newSiteWith(t testing.TB, setup siteSetup, opts ...pages.Option) *liveSite {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "news.db"), append([]store.Option{store.WithNow(func() time.Time { return testNow })}, setup.store...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var pc *cache.Cache
	liveOpts := []live.Option{live.WithLogger(discard), live.WithSecret([]byte("pages test secret"))}
	rdOpts := append([]render.Option{render.WithLogger(discard)}, setup.render...)
	if setup.cached {
		if pc, err = cache.New(cache.WithLogger(discard)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // after the server and the engine, before the store its loads read
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := pc.Close(ctx); err != nil {
				t.Error(err)
			}
		})
		liveOpts = append(liveOpts, live.WithCache(pc))
		rdOpts = append(rdOpts, render.WithCache(pc))
		opts = append([]pages.Option{pages.WithCache(pc)}, opts...)
	}
	reg, err := assets.New(staticFS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	base := []pages.Option{pages.WithNow(func() time.Time { return testNow }), pages.WithAssets(reg)}
	mux := http.NewServeMux()
	var eng *live.Engine
	if !setup.static {
		if eng, err = live.New(reg, liveOpts...); err != nil {
			t.Fatal(err)
		}
		rdOpts = append(rdOpts, render.WithLive(eng))
		base = append(base, pages.WithLive(eng))
		mux.Handle(eng.Path(), eng)
	}
	opts = append(append(base, pages.WithLogger(discard)), opts...)
	rd, err := render.New(reg, rdOpts...)
	if err != nil {
		t.Fatal(err)
	}
	site := pages.NewSite(st, opts...)
	wrap := setup.wrap
	if wrap == nil {
		wrap = func(h http.Handler) http.Handler { return h }
	}
	mux.Handle("/", wrap(pages.Routes(rd, reg, site)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if eng != nil {
		t.Cleanup(func() { // before srv.Close: the engine ends its SSE streams
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = eng.Close(ctx)
		})
	}
	return &liveSite{site: site, st: st, eng: eng, srv: srv, cache: pc}
}

// livePub is one publication as a subscriber receives it.
type livePub struct {
	Channel string
	Offset  uint64
	Content string
	CSS     []string
	Key     string
}

// sseSub is a subscriber on the engine's SSE endpoint that speaks the
// protocol by hand, as a browser's EventSource would carry it.
type sseSub struct {
	pubs   chan livePub
	done   chan struct{}
	cancel context.CancelFunc
}

// close disconnects the subscriber and waits until it has.
func (s *sseSub) close() {
	s.cancel()
	<-s.done
}

// subscribe connects to the live SSE endpoint of base with a token for
// channels and returns once the server has subscribed it to them: a
// publication made after it returns reaches it. It disconnects when t ends.
func subscribe(t testing.TB, ls *liveSite, channels ...string) *sseSub {
	t.Helper()
	tok, err := ls.eng.Token(channels...)
	if err != nil {
		t.Fatal(err)
	}
	return subscribeToken(t, ls, tok)
}

// subscribeToken is subscribe with the token tok, such as one granted to
// a reader's page.
func subscribeToken(t testing.TB, ls *liveSite, tok string) *sseSub {
	t.Helper()
	connect, _ := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{"token": tok}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ls.srv.URL+ls.eng.Path()+"sse?cf_connect="+url.QueryEscape(string(connect)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		resp.Body.Close()
		t.Fatalf("SSE connect: %s", resp.Status)
	}
	s := &sseSub{pubs: make(chan livePub, 1024), done: make(chan struct{}), cancel: cancel}
	connected := make(chan error, 1)
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var msg struct {
				Connect *struct {
					Subs map[string]json.RawMessage `json:"subs"`
				} `json:"connect"`
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
				Push *struct {
					Channel string `json:"channel"`
					Pub     *struct {
						Offset uint64 `json:"offset"`
						Data   struct {
							Content string   `json:"content"`
							CSS     []string `json:"css"`
							Key     string   `json:"key"`
						} `json:"data"`
					} `json:"pub"`
				} `json:"push"`
			}
			if err := json.Unmarshal([]byte(data), &msg); err != nil {
				connected <- fmt.Errorf("bad message %q: %v", data, err)
				return
			}
			switch {
			case msg.Error != nil:
				connected <- fmt.Errorf("connect refused: %d %s", msg.Error.Code, msg.Error.Message)
			case msg.Connect != nil:
				connected <- nil
			case msg.Push != nil && msg.Push.Pub != nil:
				p := msg.Push.Pub
				s.pubs <- livePub{Channel: msg.Push.Channel, Offset: p.Offset, Content: p.Data.Content, CSS: p.Data.CSS, Key: p.Data.Key}
			}
		}
	}()
	t.Cleanup(s.close)
	select {
	case err := <-connected:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connect reply in 10 s")
	}
	return s
}

// next returns the next publication on channel, skipping others', within
// 10 s.
func (s *sseSub) next(t testing.TB, channel string) livePub {
	t.Helper()
	return s.nextWithin(t, channel, 10*time.Second)
}

// nextWithin is next, waiting up to d.
func (s *sseSub) nextWithin(t testing.TB, channel string, d time.Duration) livePub {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-s.pubs:
			if p.Channel == channel {
				return p
			}
		case <-s.done:
			t.Fatalf("subscriber disconnected waiting for %q", channel)
		case <-deadline:
			t.Fatalf("no publication on %q in %v", channel, d)
		}
	}
}

// pageletContent loads the pagelet id of the front page and renders it, as
// the page would show it now.
func pageletContent(t *testing.T, site *pages.Site, id string) (string, string) {
	t.Helper()
	page, _ := get(t, site.Home, "/")
	for _, p := range page.Pagelets {
		if p.ID == id {
			c, err := p.Load(t.Context())
			if err != nil {
				t.Fatalf("%s: Load: %v", id, err)
			}
			return renderComponent(t, c), p.Channel
		}
	}
	t.Fatalf("no pagelet %q on the front page", id)
	return "", ""
}

// TestSimPublishesWhatLoadShows runs one step of each of the simulator's
// moves on a live site: the step changes the store, a subscriber receives
// the publication, and its content is exactly what the pagelet's own Load
// renders from the store afterwards (same component, same data), with the
// pagelet's stylesheets.
func TestSimPublishesWhatLoadShows(t *testing.T) {
	for _, tc := range []struct {
		channel, pagelet string
		step             func(*pages.Sim) func(context.Context) error
		state            func(*store.Store) (any, error) // what the step must change
		css              []string
	}{
		{pages.ChannelMarkets, "finance", func(m *pages.Sim) func(context.Context) error { return m.StepMarkets },
			func(st *store.Store) (any, error) { return st.Markets(context.Background()) },
			[]string{"pagelets/stories.css", "pagelets/finance.css"}},
		{pages.ChannelScores, "sports", func(m *pages.Sim) func(context.Context) error { return m.StepScores },
			func(st *store.Store) (any, error) { return st.Scores(context.Background()) },
			[]string{"pagelets/stories.css", "pagelets/sports.css"}},
		{pages.ChannelBreaking, "breaking", func(m *pages.Sim) func(context.Context) error { return m.StepBreaking },
			func(st *store.Store) (any, error) { return st.Breaking(context.Background()) },
			[]string{"pagelets/breaking.css"}},
	} {
		t.Run(tc.channel, func(t *testing.T) {
			ls := newLiveSite(t)
			// A scores tick as long as the mean time between goals: every
			// match being played scores in each step.
			sim := ls.site.NewSim(pages.WithSimRand(rand.New(rand.NewPCG(1, 2))),
				pages.WithSimRates(pages.SimRates{Scores: pages.Interval{Min: 9 * time.Minute, Max: 9 * time.Minute}}))
			before, err := tc.state(ls.st)
			if err != nil {
				t.Fatal(err)
			}
			sub := subscribe(t, ls, tc.channel)
			if err := tc.step(sim)(t.Context()); err != nil {
				t.Fatal(err)
			}
			pub := sub.next(t, tc.channel)
			after, err := tc.state(ls.st)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(before) == fmt.Sprint(after) {
				t.Errorf("the step did not change the store: %v", after)
			}
			want, channel := pageletContent(t, ls.site, tc.pagelet)
			if channel != tc.channel {
				t.Errorf("pagelet %s: Channel %q, want %q", tc.pagelet, channel, tc.channel)
			}
			if pub.Content != want {
				t.Errorf("publication differs from the pagelet's Load:\npublished %s\nloaded    %s", pub.Content, want)
			}
			if len(pub.CSS) != len(tc.css) {
				t.Fatalf("publication CSS %v, want %v", pub.CSS, tc.css)
			}
			for i, u := range pub.CSS {
				if base := strings.TrimSuffix(tc.css[i], ".css"); !strings.HasPrefix(u, "/static/"+base+".") {
					t.Errorf("publication CSS %d = %q, want the URL of %s", i, u, tc.css[i])
				}
			}
		})
	}
}

// TestSimRun runs the simulator at test speed: each of the three channels
// gets publications, and Run returns, its goroutine gone, once its
// context is cancelled.
func TestSimRun(t *testing.T) {
	ls := newLiveSite(t)
	sub := subscribe(t, ls, pages.ChannelMarkets, pages.ChannelScores, pages.ChannelBreaking)
	fast := pages.Interval{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	sim := ls.site.NewSim(pages.WithSimRand(rand.New(rand.NewPCG(3, 4))), pages.WithSimRates(pages.SimRates{Markets: fast, Scores: fast, Breaking: fast}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	seen := map[string]bool{}
	for deadline := time.After(10 * time.Second); len(seen) < 3; {
		select {
		case p := <-sub.pubs:
			seen[p.Channel] = true
		case <-deadline:
			t.Fatalf("publications in 10 s only on %v", seen)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after its context was cancelled")
	}
}

// TestSimDeterministic runs two simulators seeded alike on two stores on
// the same clock: they move the markets and scores alike.
func TestSimDeterministic(t *testing.T) {
	var tables [2]string
	for i := range tables {
		ls := newLiveSite(t)
		sim := ls.site.NewSim(pages.WithSimRand(rand.New(rand.NewPCG(7, 8))))
		for range 20 {
			if err := sim.StepMarkets(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := sim.StepScores(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		qs, err := ls.st.Markets(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ls.st.Scores(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		tables[i] = fmt.Sprint(qs, sc)
	}
	if tables[0] != tables[1] {
		t.Errorf("same seed, different moves:\n%s\n%s", tables[0], tables[1])
	}
}
