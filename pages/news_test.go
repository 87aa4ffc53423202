package pages_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/pages"
)

// staticFS is the asset root the pages' CSS and JS names are relative to.
var staticFS = os.DirFS("../static")

var testNow = time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)

func newSite(t *testing.T, opts ...store.Option) (*pages.Site, *store.Store) {
	t.Helper()
	opts = append([]store.Option{store.WithNow(func() time.Time { return testNow })}, opts...)
	st, err := store.Open(filepath.Join(t.TempDir(), "news.db"), opts...)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return pages.NewSite(st, pages.WithNow(func() time.Time { return testNow })), st
}

// pageFunc is the render.PageFunc signature.
type pageFunc func(http.ResponseWriter, *http.Request) (*pagelet.Page, error)

// get runs a page func for target the way the renderer's preflight does.
func get(t *testing.T, fn pageFunc, target string, pathValues ...string) (*pagelet.Page, *httptest.ResponseRecorder) {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	for i := 0; i+1 < len(pathValues); i += 2 {
		r.SetPathValue(pathValues[i], pathValues[i+1])
	}
	w := httptest.NewRecorder()
	page, err := fn(w, r)
	if err != nil {
		t.Fatalf("GET %s: error %v", target, err)
	}
	return page, w
}

// getAs is get with the reader id in the request's context, as the site's
// session middleware puts it there.
func getAs(t *testing.T, id string, fn pageFunc, target string, pathValues ...string) (*pagelet.Page, *httptest.ResponseRecorder) {
	t.Helper()
	return get(t, func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		return fn(w, r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: id, Session: "s-" + id})))
	}, target, pathValues...)
}

// renderPlain renders the page body as the plain-HTML mode would: the
// layout with every slot replaced by its pagelet's loaded content. It fails
// the test if the layout places a slot other than exactly once.
func renderPlain(t *testing.T, page *pagelet.Page) string {
	t.Helper()
	placed := map[string]int{}
	byID := map[string]pagelet.Pagelet{}
	for _, p := range page.Pagelets {
		byID[p.ID] = p
	}
	slot := func(id string) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			placed[id]++
			p, ok := byID[id]
			if !ok {
				t.Errorf("layout placed unknown pagelet %q", id)
				return nil
			}
			c, err := p.Load(ctx)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, `<div id="`+id+`" class="pagelet" data-bigpipe="inline">`); err != nil {
				return err
			}
			if err := c.Render(ctx, w); err != nil {
				return err
			}
			_, err = io.WriteString(w, `</div>`)
			return err
		})
	}
	var buf bytes.Buffer
	if err := page.Layout(slot).Render(t.Context(), &buf); err != nil {
		t.Fatalf("rendering layout: %v", err)
	}
	for _, p := range page.Pagelets {
		if got := placed[p.ID]; got != 1 {
			t.Errorf("layout placed pagelet %q %d times, want once", p.ID, got)
		}
	}
	return buf.String()
}

func renderComponent(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(t.Context(), &buf); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.String()
}

func readStatic(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(staticFS, name)
	if err != nil {
		t.Fatalf("asset %s: %v", name, err)
	}
	return string(b)
}

func firstSlug(t testing.TB, st *store.Store, section string) string {
	t.Helper()
	arts, err := st.Section(t.Context(), section, 1)
	if err != nil || len(arts) == 0 {
		t.Fatalf("Section(%s): %v", section, err)
	}
	return arts[0].Slug
}

func TestPages(t *testing.T) {
	site, st := newSite(t)
	slug := firstSlug(t, st, "finance")
	tests := []struct {
		name       string
		fn         pageFunc
		target     string
		pathValues []string
		wantIDs    []string
		wantText   []string
	}{
		{"home", site.Home, "/", nil,
			[]string{"hotnews", "breaking", "society", "finance", "tech", "sports", "mostread", "weather", "notifications"},
			[]string{"<h1 class=\"masthead__name\">The Daily Pipe</h1>", "Tuesday 3 March 2026", "Overnight storm cuts power", "DP100", "Harbour City", "Most commented", "Port Halden"}},
		{"search", site.Search, "/search?q=rail", nil,
			[]string{"searchhead", "results", "suggestions"},
			[]string{"Search results for", `value="rail"`, "<mark>rail</mark>", "Sections with matches", "Latest headlines"}},
		{"search without query", site.Search, "/search", nil,
			[]string{"searchhead", "results", "suggestions"},
			[]string{"What are you looking for?", "Popular searches"}},
		{"search without matches", site.Search, "/search?q=zzqxj", nil,
			[]string{"searchhead", "results", "suggestions"},
			[]string{"No stories match <q>zzqxj</q>"}},
		{"article", site.Article, "/article/" + slug, []string{"slug", slug},
			[]string{"story", "related", "comments", "mostread", "reading", "notifications"},
			[]string{`<h1 id="article-title"`, "Central bank holds rates", "Policymakers voted", "More from Business"}},
		{"article without path value", site.Article, "/article/" + slug, nil,
			[]string{"story", "related", "comments", "mostread", "reading", "notifications"},
			[]string{"Central bank holds rates"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, w := get(t, tc.fn, tc.target, tc.pathValues...)
			if page == nil {
				t.Fatalf("got no page (status %d: %s)", w.Code, w.Body)
			}
			if w.Body.Len() != 0 || w.Code != http.StatusOK {
				t.Errorf("page func wrote a response (%d, %q); it should leave that to the renderer", w.Code, w.Body)
			}
			if err := page.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if page.Title == "" || page.Lang != "en" || page.Head == nil {
				t.Errorf("Title %q, Lang %q, Head %v: want all set", page.Title, page.Lang, page.Head)
			}
			for _, css := range page.CSS {
				readStatic(t, css)
			}
			var ids []string
			for _, p := range page.Pagelets {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Errorf("pagelet ids %v, want %v", ids, tc.wantIDs)
			}
			body := renderPlain(t, page)
			inspectMarkup(t, body)
			for _, want := range tc.wantText {
				if !strings.Contains(body, want) {
					t.Errorf("page does not contain %q", want)
				}
			}
			for _, landmark := range []string{"<header", "<nav", "<main", "<aside", "<footer", `role="search"`} {
				if !strings.Contains(body, landmark) {
					t.Errorf("page has no %s landmark", landmark)
				}
			}
			if n := strings.Count(body, "<h1"); n != 1 {
				t.Errorf("page has %d <h1>, want 1", n)
			}
		})
	}
}

// chromePagelets are the pagelets that are part of the page's chrome, not
// blocks of their own: a line in the article's header, styled by the
// site's CSS, with no script. The others each have their own CSS and JS.
var chromePagelets = map[string]bool{"reading": true}

// checkChromePagelet checks that a chrome pagelet links no assets of its
// own and renders its placeholder and fallback.
func checkChromePagelet(t *testing.T, p pagelet.Pagelet) {
	t.Helper()
	if len(p.CSS) > 0 || len(p.JS) > 0 {
		t.Errorf("chrome pagelet %s links CSS %v, JS %v; want none (site.css styles it)", p.ID, p.CSS, p.JS)
	}
	if p.Placeholder == nil || p.Fallback == nil {
		t.Errorf("chrome pagelet %s: placeholder %v, fallback set %v", p.ID, p.Placeholder, p.Fallback != nil)
	}
}

// TestPagelets checks every pagelet of every page: its assets exist and
// prove themselves, its placeholder, fallback and content render.
func TestPagelets(t *testing.T) {
	site, st := newSite(t)
	slug := firstSlug(t, st, "sports")
	all := map[string]*pagelet.Page{}
	for name, target := range map[string]string{"home": "/", "search": "/search?q=storm", "article": "/article/" + slug} {
		fn := map[string]pageFunc{"home": site.Home, "search": site.Search, "article": site.Article}[name]
		page, _ := get(t, fn, target, "slug", slug)
		all[name] = page
	}
	mail := pages.NewSite(st, pages.WithDirectory(readers), pages.WithNow(func() time.Time { return testNow }))
	all["messages"], _ = getAs(t, "ada", mail.Messages, "/messages")
	all["conversation"], _ = getAs(t, "ada", mail.Conversation, "/messages/bob", "name", "bob")
	for name, page := range all {
		for _, p := range page.Pagelets {
			t.Run(name+"/"+p.ID, func(t *testing.T) {
				if chromePagelets[p.ID] {
					checkChromePagelet(t, p)
					return
				}
				root := "pl-" + p.ID
				if got, want := p.CSS, []string{"pagelets/" + p.ID + ".css"}; !slices.Equal(got, want) &&
					!slices.Equal(got, append([]string{"pagelets/stories.css"}, want...)) {
					t.Errorf("CSS = %v, want %v, optionally after the shared pagelets/stories.css", got, want)
				}
				for _, name := range p.CSS {
					readStatic(t, name) // every listed file exists
				}
				if got, want := p.JS, []string{"pagelets/" + p.ID + ".js"}; !slices.Equal(got, want) {
					t.Errorf("JS = %v, want %v", got, want)
				}
				css := readStatic(t, "pagelets/"+p.ID+".css")
				if !regexp.MustCompile(`\.` + root + `\s*\{[^}]*border-top:\s*3px solid #`).MatchString(css) {
					t.Errorf("%s.css does not give .%s its distinctive border-top", p.ID, root)
				}
				js := readStatic(t, "pagelets/"+p.ID+".js")
				for _, want := range []string{`.push("` + p.ID + `")`, "window.__pageletJS", "__pendingAtJS", `[data-bigpipe="pending"]`} {
					if !strings.Contains(strings.ReplaceAll(js, "w.__pageletJS", "window.__pageletJS"), want) {
						t.Errorf("%s.js does not contain %q", p.ID, want)
					}
				}
				if p.Timeout <= 0 || p.Timeout > 5*time.Second {
					t.Errorf("Timeout = %v, want a few seconds", p.Timeout)
				}
				if p.Placeholder == nil || p.Fallback == nil {
					t.Fatal("no placeholder or fallback")
				}
				if ph := renderComponent(t, p.Placeholder); !strings.Contains(ph, `class="skel"`) || !strings.Contains(ph, `aria-hidden="true"`) {
					t.Errorf("placeholder %q is not a hidden skeleton", ph)
				}
				fb := renderComponent(t, p.Fallback(errors.New("backend down: secret detail")))
				if !strings.Contains(fb, `role="status"`) || !strings.Contains(fb, "temporarily unavailable") {
					t.Errorf("fallback %q is not a status notice", fb)
				}
				if strings.Contains(fb, "secret detail") {
					t.Errorf("fallback leaks the error: %q", fb)
				}
				c, err := p.Load(t.Context())
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				out := renderComponent(t, c)
				if !strings.Contains(out, `class="`+root+`"`) {
					t.Errorf("content has no root element with class %q: %.200s", root, out)
				}
			})
		}
	}
	if hot := all["home"].Pagelets[0]; hot.ID != "hotnews" || slices.ContainsFunc(all["home"].Pagelets[1:], func(p pagelet.Pagelet) bool { return p.Priority >= hot.Priority }) {
		t.Errorf("hotnews must have the highest priority on the home page")
	}
}

// TestNoOrphanAssets checks that every pagelet asset file belongs to a pagelet.
func TestNoOrphanAssets(t *testing.T) {
	site, st := newSite(t)
	slug := firstSlug(t, st, "tech")
	used := map[string]bool{}
	mail := pages.NewSite(st, pages.WithDirectory(readers)) // the messages pages, for a signed-in reader
	desk := pages.NewSite(st, pages.WithEditors("ed"))      // the desk, for an editor
	for _, page := range []*pagelet.Page{
		must(get(t, site.Home, "/")),
		must(get(t, site.Search, "/search?q=x")),
		must(get(t, site.Article, "/article/"+slug, "slug", slug)),
		must(getAs(t, "ada", mail.Messages, "/messages")),
		must(getAs(t, "ada", mail.Conversation, "/messages/bob", "name", "bob")),
		must(getAs(t, "ed", desk.Desk, "/desk")),
	} {
		for _, p := range page.Pagelets {
			for _, a := range append(slices.Clone(p.CSS), p.JS...) {
				used[a] = true
			}
		}
	}
	files, err := fs.Glob(staticFS, "pagelets/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no pagelet assets found: %v", err)
	}
	for _, f := range files {
		if !used[f] {
			t.Errorf("%s is not used by any pagelet", f)
		}
	}
}

func must(p *pagelet.Page, _ *httptest.ResponseRecorder) *pagelet.Page { return p }

func TestPageletFailures(t *testing.T) {
	t.Run("source down", func(t *testing.T) {
		site, _ := newSite(t, store.WithFailures("finance", store.SourceScores))
		page, _ := get(t, site.Home, "/")
		for _, p := range page.Pagelets {
			_, err := p.Load(t.Context())
			wantErr := p.ID == "finance" || p.ID == "sports"
			if wantErr != errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s: Load error %v, want ErrUnavailable: %v", p.ID, err, wantErr)
			}
		}
	})
	t.Run("cancelled while slow", func(t *testing.T) {
		site, _ := newSite(t, store.WithLatency(map[string]time.Duration{"*": time.Hour}))
		page, _ := get(t, site.Home, "/")
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		for _, p := range page.Pagelets {
			if p.ID == "notifications" {
				continue // an anonymous reader's reads nothing: a sign-in link
			}
			start := time.Now()
			if _, err := p.Load(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: Load error %v, want DeadlineExceeded", p.ID, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: Load took %v after the deadline", p.ID, d)
			}
		}
	})
}

// blockHeading matches a layout block and its heading.
var blockHeading = regexp.MustCompile(`<section id="sec-([a-z]+)"[^>]*>\s*<h2[^>]*>([^<]*)</h2>`)

// TestFallbackNamesBlock checks that a pagelet's fallback names the block it
// stands in by the block's own heading ("Business & markets is temporarily
// unavailable", not "Finance …"), on every page whose blocks have one.
func TestFallbackNamesBlock(t *testing.T) {
	site, st := newSite(t)
	slug := firstSlug(t, st, "finance")
	for _, tc := range []struct {
		name string
		page *pagelet.Page
		want map[string]string // pagelet id → heading that must be checked
	}{
		{"home", must(get(t, site.Home, "/")), map[string]string{
			"hotnews": "Top stories", "society": "Society", "finance": "Business & markets", "tech": "Technology",
			"sports": "Sport", "mostread": "Most popular", "weather": "Weather",
		}},
		{"article", must(get(t, site.Article, "/article/"+slug, "slug", slug)), map[string]string{"mostread": "Most popular", "related": "More from Business"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			empty := func(string) templ.Component { return templ.NopComponent }
			headings := map[string]string{}
			for _, m := range blockHeading.FindAllStringSubmatch(renderComponent(t, tc.page.Layout(empty)), -1) {
				headings[m[1]] = html.UnescapeString(strings.TrimSpace(m[2]))
			}
			for id, want := range tc.want {
				if headings[id] != want {
					t.Errorf("block %s heading %q, want %q", id, headings[id], want)
				}
			}
			for _, p := range tc.page.Pagelets {
				heading, ok := headings[p.ID]
				if !ok {
					continue // no block heading to match (the story itself)
				}
				got := html.UnescapeString(renderComponent(t, p.Fallback(errors.New("down"))))
				if want := heading + " is temporarily unavailable."; !strings.Contains(got, want) {
					t.Errorf("%s fallback %q, want it to say %q", p.ID, got, want)
				}
			}
		})
	}
}

// storyTime matches the publication time of a story on a page.
var storyTime = regexp.MustCompile(`<time datetime="([0-9-]+T[^"]+)">([^<]+)</time>`)

// TestHomeFreshOnOldStore renders the front page from a store file seeded a
// month before the clock (the store's and the site's, both injected): its
// stories are dated today, the newest minutes ago, and the sports table has
// a live match, as on the day the file was made.
func TestHomeFreshOnOldStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	seeded := testNow.AddDate(0, -1, 0)
	st, err := store.Open(path, store.WithNow(func() time.Time { return seeded }))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return testNow }
	st, err = store.Open(path, store.WithNow(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	site := pages.NewSite(st, pages.WithNow(clock))
	body := renderPlain(t, must(get(t, site.Home, "/")))

	times := storyTime.FindAllStringSubmatch(body, -1)
	if len(times) < 10 {
		t.Fatalf("only %d story times on the front page", len(times))
	}
	newest := time.Time{}
	for _, m := range times {
		p, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			t.Fatal(err)
		}
		if p.After(testNow) {
			t.Errorf("story dated %v, after now (%v)", p, testNow)
		}
		if p.After(newest) {
			newest = p
		}
	}
	if age := testNow.Sub(newest); age > time.Hour+4*time.Minute {
		t.Errorf("newest story on the front page is %v old", age)
	}
	if !strings.Contains(body, `<span class="pl-sports__live">Live</span>`) {
		t.Error("no live match on the front page")
	}
}
