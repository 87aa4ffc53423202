package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// site is a page rendered by render with a live engine: a live pagelet
// "scores" (whose Load may publish while it runs) and a static "about".
type site struct {
	f    *fixture
	srv  *httptest.Server
	log  *testenv.LockedBuffer
	load func(ctx context.Context) // runs in the scores pagelet's Load
}

// newSite serves the page with lv as the renderer's render.Live (the
// fixture's engine unless a test wraps it) beside the engine's endpoints.
func newSite(t *testing.T, f *fixture, lv render.Live) *site {
	t.Helper()
	s := &site{f: f, log: &testenv.LockedBuffer{}}
	rd, err := render.New(siteAssets(t), render.WithLive(lv), render.WithLogger(slog.New(slog.NewTextHandler(s.log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	page := func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title: "Live",
			Layout: func(slot pagelet.Slot) templ.Component {
				return templ.Join(slot("scores"), slot("about"))
			},
			Pagelets: []pagelet.Pagelet{
				{ID: "scores", Channel: "scores", CSS: []string{"scores.css"}, Load: func(ctx context.Context) (templ.Component, error) {
					if s.load != nil {
						s.load(ctx)
					}
					return raw("<p>rendered</p>"), nil
				}},
				{ID: "about", Load: func(context.Context) (templ.Component, error) { return raw("<p>about</p>"), nil }},
			},
		}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(page))
	mux.Handle(rd.Path(), rd)
	mux.Handle(f.eng.Path(), f.eng)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// get fetches path as Chrome does and returns the status and body.
func (s *site) get(t *testing.T, path string) (int, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", chromeUA)
	t0 := time.Now()
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body), time.Since(t0)
}

var (
	grantRE    = regexp.MustCompile(`"live":\{"src":"([^"]+)","url":"([^"]+)","token":"([^"]+)"\}`)
	positionRE = regexp.MustCompile(`"live":\{"channel":"scores","kind":"(\w+)","offset":(\d+),"epoch":"([^"]*)"\}`)
)

// pagePosition is the grant in a page's setup and the position in its
// scores payload.
func pagePosition(t *testing.T, body string) (token string, offset uint64, epoch string) {
	t.Helper()
	g := grantRE.FindStringSubmatch(body)
	if g == nil {
		t.Fatalf("no live grant in the setup:\n%s", body)
	}
	p := positionRE.FindStringSubmatch(body)
	if p == nil {
		t.Fatalf("no live position in the scores payload:\n%s", body)
	}
	if p[1] != "state" {
		t.Errorf("kind %q, want state", p[1])
	}
	off, err := strconv.ParseUint(p[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return g[3], off, p[3]
}

// TestRenderedPage checks what render sends for a live pagelet: the grant
// (client URL, endpoint, a token for exactly the page's channels) in the
// setup, and in the payload the position read before Load, so that a
// publication made while Load runs reaches the client by recovery.
func TestRenderedPage(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := context.Background()
	s := newSite(t, f, f.eng)
	if err := f.scores.Publish(ctx, "scores", "<p>before</p>"); err != nil {
		t.Fatal(err)
	}
	before, err := f.eng.Position(ctx, "scores")
	if err != nil {
		t.Fatal(err)
	}
	s.load = func(ctx context.Context) {
		if err := f.scores.Publish(ctx, "scores", "<p>during Load</p>"); err != nil {
			t.Error(err)
		}
	}
	status, body, _ := s.get(t, "/")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	g := grantRE.FindStringSubmatch(body)
	if g == nil {
		t.Fatalf("no grant in:\n%s", body)
	}
	grant, err := f.eng.Grant(ctx, []string{"scores"})
	if err != nil {
		t.Fatal(err)
	}
	if g[1] != grant.Script || g[2] != f.eng.Path() {
		t.Errorf("grant src %q url %q, want %q %q", g[1], g[2], grant.Script, f.eng.Path())
	}
	token, offset, epoch := pagePosition(t, body)
	if offset != before.Offset || epoch != before.Epoch {
		t.Fatalf("page position %d/%s, want %d/%s: read before Load", offset, epoch, before.Offset, before.Epoch)
	}
	if strings.Count(body, `"live":{"channel"`) != 1 {
		t.Errorf("want one live payload (scores), the static one has none")
	}
	// The client script is served where the grant says.
	if status, _, _ := s.get(t, g[1]); status != http.StatusOK {
		t.Errorf("client %s: %d", g[1], status)
	}

	// The client connects from the page's position with the page's token
	// and recovers the publication made during Load.
	st := f.dialSSE(t, connectCmd(t, token, fmtSubs("scores", offset, epoch)))
	got := st.connected(t).Subs["scores"]
	if !got.Recovered || len(got.Publications) != 1 || got.Publications[0].content(t) != "<p>during Load</p>" {
		t.Fatalf("recovered %v %+v, want the publication made during Load", got.Recovered, got.Publications)
	}
	// The page's token grants exactly its channels.
	other := f.dialSSE(t, connectCmd(t, token, map[string]sub{"comments:x": {}}))
	if r, _ := other.next(t, 5*time.Second); r.Push == nil || r.Push.Disconnect == nil || r.Push.Disconnect.Code != 3507 {
		t.Errorf("page token used for another channel: %s", r.Raw)
	}
}

// faultyLive is a render.Live whose Position fails or blocks.
type faultyLive struct {
	render.Live
	position func(ctx context.Context) error
}

func (l faultyLive) Position(ctx context.Context, _ string) (render.LivePosition, error) {
	return render.LivePosition{}, l.position(ctx)
}

// TestPositionUnknown checks that a live engine that cannot tell a
// channel's position (an error, or no answer) does not hold the page up:
// the pagelet is rendered without live updates within
// render.LivePositionTimeout, and the renderer logs why.
func TestPositionUnknown(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	for _, tc := range []struct {
		name     string
		position func(ctx context.Context) error
	}{
		{"fails", func(context.Context) error { return errors.New("broker down") }},
		{"blocks", func(ctx context.Context) error { <-ctx.Done(); return context.Cause(ctx) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, f, faultyLive{Live: f.eng, position: tc.position})
			status, body, took := s.get(t, "/")
			if status != http.StatusOK || !strings.Contains(body, `<p>rendered<\/p>`) && !strings.Contains(body, `<p>rendered</p>`) { // a payload, or placed
				t.Fatalf("status %d, body:\n%s", status, body)
			}
			if positionRE.MatchString(body) {
				t.Errorf("the pagelet carries a live position it could not have")
			}
			if limit := render.LivePositionTimeout + 500*time.Millisecond; took > limit {
				t.Errorf("page took %v, want under %v", took, limit)
			}
			if log := s.log.String(); !strings.Contains(log, "live pagelet rendered without live updates") || !strings.Contains(log, "pagelet=scores") {
				t.Errorf("not logged:\n%s", log)
			}
		})
	}
}

// TestFragment checks the fragment endpoint the client refetches a
// pagelet from: JSON with the content, a fresh token and the position read
// before Load, a 404 for a pagelet the page does not have, and each refetch
// of a live pagelet counted.
func TestFragment(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := context.Background()
	s := newSite(t, f, f.eng)
	for range 2 {
		if err := f.scores.Publish(ctx, "scores", "<p>x</p>"); err != nil {
			t.Fatal(err)
		}
	}
	pos, err := f.eng.Position(ctx, "scores")
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ := s.get(t, "/?"+render.FragmentParam+"=scores")
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var frag struct {
		Content, ID, Token string
		CSS                []string
		Live               *struct {
			Channel, Kind, Epoch string
			Offset               uint64
		}
	}
	if err := json.Unmarshal([]byte(body), &frag); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if frag.ID != "scores" || frag.Content != "<p>rendered</p>" || len(frag.CSS) != 1 || !scriptInert(body) {
		t.Errorf("fragment %s", body)
	}
	if frag.Live == nil || frag.Live.Channel != "scores" || frag.Live.Kind != "state" || frag.Live.Offset != pos.Offset || frag.Live.Epoch != pos.Epoch {
		t.Errorf("live %+v, want scores/state at %d/%s", frag.Live, pos.Offset, pos.Epoch)
	}
	// The token is good for the page's channels.
	f.dialSSE(t, connectCmd(t, frag.Token, fmtSubs("scores", frag.Live.Offset, frag.Live.Epoch))).connected(t)
	if v, _ := metric(t, f.reg, "bigpipe_live_refetches_total", map[string]string{"kind": "state"}); v != 1 {
		t.Errorf("refetches{kind=state} = %v, want 1", v)
	}

	// A static pagelet: no live member, no refetch counted.
	status, body, _ = s.get(t, "/?"+render.FragmentParam+"=about")
	if status != http.StatusOK || strings.Contains(body, `"live"`) {
		t.Errorf("static fragment: %d %s", status, body)
	}
	if v, _ := metric(t, f.reg, "bigpipe_live_refetches_total", map[string]string{"kind": "state"}); v != 1 {
		t.Errorf("refetches{kind=state} = %v after a static fragment, want 1", v)
	}
	for _, id := range []string{"nope", "<script>", "scores\x00"} {
		status, body, _ := s.get(t, "/?"+render.FragmentParam+"="+url.QueryEscape(id))
		if status != http.StatusNotFound {
			t.Errorf("fragment %q: %d %s, want 404", id, status, body)
		}
	}
}
