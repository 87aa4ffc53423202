package pages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// withTiming reports each pagelet in Server-Timing, with how the cache
// served it.
var withTiming = []render.Option{render.WithServerTiming(true)}

// backendCalls returns the store's backend calls of each of sources.
func backendCalls(st *store.Store, sources ...string) map[string]uint64 {
	out := make(map[string]uint64, len(sources))
	for _, s := range sources {
		out[s] = st.Calls(s)
	}
	return out
}

// hit reports whether a page's Server-Timing says the cache served
// pagelet id fresh.
func hit(resp *http.Response, id string) bool {
	return strings.Contains(resp.Header.Get("Server-Timing"), `desc="`+id+` (cache hit)"`)
}

// markup is the pagelets' HTML in a page of either mode.
func markup(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	if resp.Header.Get("X-BigPipe-Mode") == "pipelined" {
		return pageletMarkup(t, body)
	}
	return body
}

// TestCachedPageletsIgnoreReader audits the site's cache policies: every
// pagelet with one is either personal (cached per reader) or renders the
// same for a signed-in reader as for nobody, since a shared pagelet's
// Load sees no reader once cached. The pagelets cached are the ones the
// package documents.
func TestCachedPageletsIgnoreReader(t *testing.T) {
	ls := newSiteWith(t, siteSetup{cached: true}, pages.WithDirectory(readers), pages.WithEditors("ada"))
	slug := firstSlug(t, ls.st, "society")
	// Something of Ada's alone, for a shared pagelet to give away.
	if err := ls.site.NotifyReply(t.Context(), "ada", "bob", store.Comment{ID: "reply-audit1", Slug: slug, Name: "Bob", Text: "Ada's own", Posted: testNow}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		fn     pageFunc
		target string
		path   []string
		cached []string // the ids of the pagelets with a policy, in order
	}{
		{"home", ls.site.Home, "/", nil, []string{"hotnews", "breaking", "society", "finance", "tech", "sports", "mostread", "weather", "notifications"}},
		{"article", ls.site.Article, "/article/" + slug, []string{"slug", slug}, []string{"story", "related", "comments", "mostread", "notifications"}},
		{"search", ls.site.Search, "/search?q=harbour", nil, nil},
		{"messages", ls.site.Messages, "/messages", nil, nil},
		{"conversation", ls.site.Conversation, "/messages/bob", []string{"name", "bob"}, nil},
		{"desk", ls.site.Desk, "/desk", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, w := getAs(t, "ada", tc.fn, tc.target, tc.path...)
			if page == nil {
				t.Fatalf("no page for ada: %d", w.Code)
			}
			var cached []string
			for _, p := range page.Pagelets {
				if !p.Cache.On() {
					continue
				}
				cached = append(cached, p.ID)
				if p.Personal {
					continue
				}
				as := func(r pagelet.Reader) string {
					c, err := p.Load(pagelet.WithReader(t.Context(), r))
					if err != nil {
						t.Fatalf("%s: Load: %v", p.ID, err)
					}
					var buf bytes.Buffer
					if err := c.Render(pagelet.WithReader(t.Context(), r), &buf); err != nil {
						t.Fatalf("%s: Render: %v", p.ID, err)
					}
					return buf.String()
				}
				if ada, nobody := as(pagelet.Reader{ID: "ada", Session: "s-ada"}), as(pagelet.Reader{}); ada != nobody {
					t.Errorf("%s is cached for every reader, but shows Ada something else than nobody:\n%s\n%s", p.ID, ada, nobody)
				}
			}
			if !slices.Equal(cached, tc.cached) {
				t.Errorf("cached pagelets %v, want %v", cached, tc.cached)
			}
		})
	}
	// Without a cache of its own the site caches nothing: a renderer with
	// a cache cannot keep what the site would not keep current.
	plain := newLiveSite(t)
	page, _ := get(t, plain.site.Home, "/")
	for _, p := range page.Pagelets {
		if p.Cache.On() {
			t.Errorf("%s has a cache policy on a site without WithCache", p.ID)
		}
	}
}

// TestCachePublications: a front page is cached; the simulator changes the
// markets, the scores or the breaking news and publishes them; the next
// front page, plain or pipelined, shows exactly the publication, from the
// cache (Server-Timing says hit), without one more call of the
// pagelet's backends.
func TestCachePublications(t *testing.T) {
	for _, tc := range []struct {
		channel, id string
		step        func(*pages.Sim) func(context.Context) error
		sources     []string // the pagelet's backends
	}{
		{pages.ChannelMarkets, "finance", func(m *pages.Sim) func(context.Context) error { return m.StepMarkets }, []string{store.SourceMarkets, "finance"}},
		{pages.ChannelScores, "sports", func(m *pages.Sim) func(context.Context) error { return m.StepScores }, []string{store.SourceScores, "sports"}},
		{pages.ChannelBreaking, "breaking", func(m *pages.Sim) func(context.Context) error { return m.StepBreaking }, []string{store.SourceBreaking, "hotnews"}},
	} {
		t.Run(tc.channel, func(t *testing.T) {
			ls := newSiteWith(t, siteSetup{cached: true, render: withTiming})
			rd := newReader(t, ls)
			before := rd.page("/", crawlerUA, "inorder") // loaded, and cached
			// A scores tick as long as the mean time between goals: every
			// match being played scores.
			sim := ls.site.NewSim(pages.WithSimRand(rand.New(rand.NewPCG(1, 2))),
				pages.WithSimRates(pages.SimRates{Scores: pages.Interval{Min: 9 * time.Minute, Max: 9 * time.Minute}}))
			sub := subscribe(t, ls, tc.channel)
			if err := tc.step(sim)(t.Context()); err != nil {
				t.Fatal(err)
			}
			pub := sub.next(t, tc.channel)
			if strings.Contains(before, pub.Content) {
				t.Fatalf("the front page showed the publication before it: the step changed nothing")
			}
			calls := backendCalls(ls.st, tc.sources...)
			for _, ua := range []string{crawlerUA, chromeUA} {
				resp, body := rd.get("/", ua)
				if !strings.Contains(markup(t, resp, body), pub.Content) {
					t.Errorf("%s front page: the %s pagelet is not the publication %.200s", resp.Header.Get("X-BigPipe-Mode"), tc.id, pub.Content)
				}
				if !hit(resp, tc.id) {
					t.Errorf("%s front page: %s not a cache hit: Server-Timing %s", resp.Header.Get("X-BigPipe-Mode"), tc.id, resp.Header.Get("Server-Timing"))
				}
			}
			if got := backendCalls(ls.st, tc.sources...); fmt.Sprint(got) != fmt.Sprint(calls) {
				t.Errorf("backend calls after the publication: %v, then %v for two front pages; want none", calls, got)
			}
		})
	}
}

// TestCachePersonal: signed-in readers' notifications are cached, each
// reader's for them alone: with Ada's and Bob's pages loaded at the same
// time, in both modes, on the front page and an article, each sees their
// own, an anonymous reader neither; a new notification for Ada replaces
// hers and reaches no one else.
func TestCachePersonal(t *testing.T) {
	ls := newSiteWith(t, siteSetup{wrap: withSessions, cached: true, render: withTiming}, pages.WithDirectory(readers))
	slug := firstSlug(t, ls.st, "society")
	notify := func(to, id, text string) {
		t.Helper()
		if err := ls.site.NotifyReply(t.Context(), to, "carol", store.Comment{ID: id, Slug: slug, Name: "Carol", Text: text, Posted: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	notify("ada", "reply-ada-001", "Meant for Ada")
	notify("bob", "reply-bob-001", "Meant for Bob")
	ada, bob, anon := signedIn(t, ls, "ada"), signedIn(t, ls, "bob"), newReader(t, ls)

	// sees loads rd's pages and reports what is wrong with them: mine
	// missing, or one of others there. Safe to call from any goroutine.
	sees := func(rd *reader, mine string, others ...string) (problems []string) {
		for _, path := range []string{"/", "/article/" + slug} {
			for _, ua := range []string{crawlerUA, chromeUA} {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", ls.srv.URL+path, nil)
				req.Header.Set("User-Agent", ua)
				resp, err := rd.client.Do(req)
				if err != nil {
					return append(problems, err.Error())
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var m string
				if resp.Header.Get("X-BigPipe-Mode") == "pipelined" {
					m = string(b) + strings.Join(payloadStrings(string(b)), "")
				} else {
					m = string(b)
				}
				where := path + " " + resp.Header.Get("X-BigPipe-Mode")
				if !strings.HasSuffix(strings.TrimSpace(string(b)), "</html>") {
					problems = append(problems, where+": incomplete")
				}
				if mine != "" && !strings.Contains(m, mine) {
					problems = append(problems, where+": lacks "+mine)
				}
				for _, o := range others {
					if strings.Contains(m, o) {
						problems = append(problems, where+": shows "+o)
					}
				}
			}
		}
		return problems
	}
	check := func(step string, want map[*reader][]string) {
		t.Helper()
		var (
			mu       sync.Mutex
			problems []string
			wg       sync.WaitGroup
		)
		names := map[*reader]string{ada: "ada", bob: "bob", anon: "anonymous"}
		for range 4 {
			for rd, w := range want {
				wg.Go(func() {
					p := sees(rd, w[0], w[1:]...)
					mu.Lock()
					for _, s := range p {
						problems = append(problems, names[rd]+" "+s)
					}
					mu.Unlock()
				})
			}
		}
		wg.Wait()
		slices.Sort(problems)
		for _, p := range slices.Compact(problems) {
			t.Errorf("%s: %s", step, p)
		}
	}
	check("cold", map[*reader][]string{
		ada:  {"Meant for Ada", "Meant for Bob"},
		bob:  {"Meant for Bob", "Meant for Ada"},
		anon: {"", "Meant for Ada", "Meant for Bob"},
	})
	if resp, _ := ada.get("/", crawlerUA); !hit(resp, "notifications") {
		t.Errorf("Ada's notifications not cached: Server-Timing %s", resp.Header.Get("Server-Timing"))
	}
	notify("ada", "reply-ada-002", "Again for Ada")
	check("after Ada's second notification", map[*reader][]string{
		ada:  {"Again for Ada", "Meant for Bob"},
		bob:  {"Meant for Bob", "Meant for Ada", "Again for Ada"},
		anon: {"", "Meant for Ada", "Meant for Bob", "Again for Ada"},
	})
}

// payloadStrings returns the decoded "content" strings of a pipelined
// page's payloads (pageletMarkup without its checks, for any goroutine).
func payloadStrings(body string) []string {
	var out []string
	for _, m := range payloadContent.FindAllStringSubmatch(body, -1) {
		var s string
		if err := json.Unmarshal([]byte(m[1]), &s); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// TestCacheComments: an article's comments are cached, and kept current:
// a comment posted shows on the next article page, plain and pipelined;
// one an editor hides is gone from it, and back once unhidden. On a live
// site the comment's publication (an editor's, a remove or a replace)
// expires the cached comments; on a site that is not live, the post and
// the action do.
func TestCacheComments(t *testing.T) {
	for _, static := range []bool{false, true} {
		t.Run(map[bool]string{false: "live", true: "not live"}[static], func(t *testing.T) {
			ls := newSiteWith(t, siteSetup{wrap: withSessions, cached: true, static: static, render: withTiming},
				pages.WithDirectory(readers), pages.WithCommentRate(0, 0), pages.WithEditors("ed"))
			slug := firstSlug(t, ls.st, "tech")
			ada, ed := newReader(t, ls), signedIn(t, ls, "ed")
			// shows loads the article in both modes, and reports whether
			// each shows s.
			shows := func(s string) [2]bool {
				t.Helper()
				var out [2]bool
				for i, ua := range []string{crawlerUA, chromeUA} {
					resp, body := ada.get("/article/"+slug, ua)
					if resp.StatusCode != 200 || !strings.HasSuffix(body, "</html>") {
						t.Fatalf("article: %d, incomplete", resp.StatusCode)
					}
					out[i] = strings.Contains(markup(t, resp, body), s)
				}
				return out
			}
			text := "A comment the cache must not hide"
			if got := shows(text); got != [2]bool{} {
				t.Fatal("the comment shows before it is posted")
			}
			if resp, _ := ada.get("/article/"+slug, crawlerUA); !hit(resp, "comments") {
				t.Errorf("the comments are not cached: Server-Timing %s", resp.Header.Get("Server-Timing"))
			}
			f := ada.form(slug)
			if resp, body := ada.post(slug, with(f, "text", text)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("post: %d %.300s", resp.StatusCode, body)
			}
			if got := shows(text); got != [2]bool{true, true} {
				t.Errorf("after the post, the article shows the comment (plain, pipelined): %v", got)
			}
			id := `id="comment-` + f.Get(form.IDField) + `"`
			act := func(kind string) {
				t.Helper()
				if resp, body := ed.postTo("/desk/comments/"+f.Get(form.IDField)+"/"+kind, with(deskFields(t, ed), "slug", slug)); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: %d %.300s", kind, resp.StatusCode, body)
				}
			}
			act(store.ActionHide)
			if got := shows(id); got != [2]bool{} {
				t.Errorf("after hide, the article shows the comment (plain, pipelined): %v", got)
			}
			act(store.ActionUnhide)
			if got := shows(id); got != [2]bool{true, true} {
				t.Errorf("after unhide, the article shows the comment (plain, pipelined): %v", got)
			}
		})
	}
}
