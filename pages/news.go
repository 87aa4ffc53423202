// Package pages is the demo news portal, "The Daily Pipe": its page
// functions, layouts and pagelets, built on [pagelet.Page].
//
//	st, _ := store.Open("data/news.db")
//	site := pages.NewSite(st)
//	// site.Home, site.Search and site.Article have the render.PageFunc
//	// signature: func(http.ResponseWriter, *http.Request) (*pagelet.Page, error).
//
// # Pagelets
//
// Home: hotnews, breaking, society, finance, tech, sports, mostread, weather,
// notifications. A section ([Site.Section]): its block of the front page,
// mostread, notifications. Search: searchhead, results, suggestions. Article: story,
// related, comments, mostread, notifications. Messages: conversations.
// A conversation: messages, seen. The notifications, conversations,
// messages and seen pagelets are personal (their reader's alone).
// Every pagelet ID has static/pagelets/ID.css and static/pagelets/ID.js; the
// root element of its content has the class "pl-ID".
//
// # Live pagelets
//
// With [WithLive], breaking, finance and sports stay current on an open
// front page (state channels, published by [Sim] or any caller of
// [Site.PublishScores] and its siblings), and an article's comments
// (a stream channel) show each comment posted ([Site.PostComment]) to every
// reader. The store stays the source of truth: a reload shows what the
// last publication did.
//
// # Cache
//
// With [WithCache] the shared pagelets keep their rendered fragments in
// the renderer's cache: the front page's blocks, each article's story,
// related stories and comments (per slug), the most-read rail, and a
// signed-in reader's notifications (per reader, for them alone). The
// live publications keep them current; a write that no publication
// reports expires what it changed. Not cached: the account box (it holds
// one browser's sign-out form), an anonymous reader's notifications (a
// link back to the page), "reading now", the search page (keys a visitor
// chooses, each rarely asked twice), and the messages and desk pages.
//
// # Search engines and link previews
//
// Every page's head carries a canonical link on the site's public origin
// ([WithPublicURL], or each request's), without tracking or mode
// parameters. The front page, the section pages and each article also
// carry Open Graph and Twitter card tags with a 1200×630 picture and JSON-LD
// structured data: a WebSite with a SearchAction, a CollectionPage, a
// NewsArticle with its BreadcrumbList. Each article's picture (made by go
// generate in static/, see internal/artimg) also shows under its headline.
package pages

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/sync/errgroup"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

const siteName = "The Daily Pipe"

// homeDescription is the front page's description.
const homeDescription = "Today's top stories, society, business and markets, technology and sport from " + siteName + "."

// DefaultTimeout bounds each pagelet of the site unless [WithTimeout] says
// otherwise.
const DefaultTimeout = 3 * time.Second

// SiteCSS is the stylesheet every page of the site links.
const SiteCSS = "css/site.css"

// Site serves the news portal's pages from a store. Create it with [NewSite].
type Site struct {
	st      *store.Store
	reg     *assets.Registry // for the 404 page's stylesheet URL and the pictures; nil = the plain name, no pictures
	timeout time.Duration
	now     func() time.Time
	feeds   *feeds // nil: not live (WithLive)
	log     *slog.Logger

	secret   []byte          // keys the comment form's CSRF tokens (WithSecret)
	comments *form.Handler   // the comment form's posts
	posts    *addressLimiter // comments per client address (WithCommentRate)
	postCap  int             // comment and message posts running at once (WithPostLimit)

	acc         *accounts.Accounts // nil: no accounts (WithAccounts)
	accOn       bool
	accOpts     []accounts.Option
	onReply     func(ctx context.Context, reply, to store.Comment) // WithOnReply
	dir         Directory                                          // the readers a message may go to (WithDirectory)
	mail        *form.Handler                                      // the message form's posts
	noticesRead *form.Handler                                      // the mark-all-read form's posts

	editors     []string      // the editors' reader ids, sorted (WithEditors)
	deskRules   *form.Handler // the rules form's posts
	deskAct     *form.Handler // the desk's actions' posts
	match       matcherCache  // every editor's rules, compiled
	deskMetrics *deskMetrics  // WithMetrics
	postMetrics *postMetrics  // WithMetrics

	cache *cache.Cache // the renderer's pagelet cache (WithCache); nil: no pagelet is cached

	publicURL    string // scheme://host of every absolute URL the site writes (WithPublicURL, origin.go); "": each request's own
	sitemapLimit int    // most URLs in one sitemap before /sitemap.xml becomes an index (tests lower it)
}

// Option configures a [Site].
type Option func(*Site)

// WithTimeout sets every pagelet's timeout. Non-positive values are ignored.
func WithTimeout(d time.Duration) Option {
	return func(s *Site) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithNow sets the clock used for the masthead date and relative times.
// The default is [time.Now].
func WithNow(now func() time.Time) Option {
	return func(s *Site) { s.now = now }
}

// WithAssets gives the site the asset registry its pages' files are served
// from, so that the pages it writes itself (the 404 page) link the
// content-hashed stylesheet, like the rendered pages do, rather than its
// plain name.
func WithAssets(reg *assets.Registry) Option {
	return func(s *Site) { s.reg = reg }
}

// NewSite returns the site backed by st. The caller keeps ownership of st.
func NewSite(st *store.Store, opts ...Option) *Site {
	s := &Site{st: st, timeout: DefaultTimeout, now: time.Now, sitemapLimit: maxSitemapURLs, postCap: DefaultPostLimit}
	for _, o := range opts {
		o(s)
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		_, _ = rand.Read(s.secret) // never fails (crypto/rand)
	}
	if s.posts == nil {
		s.posts = newAddressLimiter(DefaultCommentRate, DefaultCommentBurst, func() time.Time { return s.now() })
	}
	if s.deskMetrics == nil {
		s.deskMetrics, s.postMetrics = newDeskMetrics(), newPostMetrics()
	}
	s.comments = s.newCommentHandler()
	s.newAccounts()
	s.mail, s.noticesRead = s.newMessageHandler(), s.newNoticesReadHandler()
	s.newDeskHandlers()
	return s
}

// section describes one news section for navigation and headings.
type section struct{ ID, Title string }

func sections() []section {
	return []section{
		{"hotnews", "Top stories"},
		{"society", "Society"},
		{"finance", "Business"},
		{"tech", "Technology"},
		{"sports", "Sport"},
	}
}

// blockTitle is the heading of the block that holds the pagelet id on the
// front page (and the shared most-read rail): the layout shows it, and the
// pagelet's fallback names the block by it.
func blockTitle(id string) string {
	switch id {
	case "hotnews":
		return "Top stories"
	case "finance":
		return "Business & markets"
	case "mostread":
		return "Most popular"
	case "weather":
		return "Weather"
	}
	return sectionTitle(id)
}

func sectionTitle(id string) string {
	for _, s := range sections() {
		if s.ID == id {
			return s.Title
		}
	}
	return id
}

// homeLayoutKey is the front page's pagelet.Page.LayoutKey: its layout
// shows the day, and for a signed-in reader their notifications box (a
// form with their token), which is theirs alone: no key then.
func homeLayoutKey(c chrome, nb noticesBox) string {
	if nb.SignedIn {
		return ""
	}
	return "/\x00" + c.Now.Format(time.DateOnly)
}

// Home is the front page, "/". Other paths get the 404 page ([Site.NotFound]).
func (s *Site) Home(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	if r.URL.Path != "/" {
		s.NotFound(w, r)
		return nil, nil
	}
	now := s.now()
	c := chrome{Now: now, Current: "home", NameH1: true}
	notices, nb := s.noticesPagelet(w, r)
	return &pagelet.Page{
		Title:     siteName + " — news, business, technology and sport",
		Lang:      "en",
		Head:      templ.Join(headMeta(homeDescription, false), seoTags(s.homeSEO(r, homeDescription)), feedLinks(true)),
		CSS:       []string{SiteCSS},
		JS:        noticesJS(nb), // the mark-all-read form's enhancer
		Layout:    func(slot pagelet.Slot) templ.Component { return homeLayout(s.withAccountSlot(c, slot), nb, slot) },
		LayoutKey: homeLayoutKey(c, nb),
		Pagelets: append([]pagelet.Pagelet{
			s.sectionPagelet("hotnews", now),
			s.cached(breakingCache(), s.live(ChannelBreaking, s.pagelet("breaking", "Breaking news", 90, skelBreaking(),
				pagelet.Fetch(s.breakingData, breaking)))),
			s.sectionPagelet("society", now),
			s.sectionPagelet("finance", now),
			s.sectionPagelet("tech", now),
			s.sectionPagelet("sports", now),
			s.mostReadPagelet(),
			s.cached(weatherCache(), s.pagelet("weather", blockTitle("weather"), 10, skelWeather(),
				pagelet.Fetch(s.st.Weather, func(w store.Weather) templ.Component { return weather(w, now) }))),
			notices,
		}, s.accountPagelets(w, r)...),
	}, nil
}

// sectionPagelet is the front page's block of the section id, which its
// section page ([Site.Section]) shows too (one cached fragment for both).
func (s *Site) sectionPagelet(id string, now time.Time) pagelet.Pagelet {
	switch id {
	case "hotnews":
		return s.cached(storiesCache("", sectionTag("hotnews")), s.pagelet("hotnews", blockTitle("hotnews"), 100, skelHotnews(),
			pagelet.Fetch(s.section("hotnews", 12), func(a []store.Article) templ.Component { return hotNews(a, now) })))
	case "society":
		return s.cached(storiesCache("", sectionTag("society")), withStories(s.pagelet("society", blockTitle("society"), 50, skelStories(5),
			pagelet.Fetch(s.section("society", 5), func(a []store.Article) templ.Component { return society(a, now) }))))
	case "finance":
		return s.cached(marketsCache(), s.live(ChannelMarkets, withStories(s.pagelet("finance", blockTitle("finance"), 60, skelFinance(),
			pagelet.Fetch(s.financeData, finance)))))
	case "tech":
		return s.cached(storiesCache("", sectionTag("tech")), s.pagelet("tech", blockTitle("tech"), 40, skelTech(),
			pagelet.Fetch(s.section("tech", 6), func(a []store.Article) templ.Component { return tech(a, now) })))
	case "sports":
		return s.cached(scoresCache(), s.live(ChannelScores, withStories(s.pagelet("sports", blockTitle("sports"), 30, skelSports(),
			pagelet.Fetch(s.sportsData, sports)))))
	}
	panic("pages: no section " + id)
}

// section returns a fetch of the newest limit articles of a section.
func (s *Site) section(name string, limit int) func(context.Context) ([]store.Article, error) {
	return func(ctx context.Context) ([]store.Article, error) { return s.st.Section(ctx, name, limit) }
}

// financeData fetches business news and the market table concurrently.
func (s *Site) financeData(ctx context.Context) (financeData, error) {
	news, quotes, err := both(ctx, "finance", s.section("finance", 3), s.st.Markets)
	return financeData{News: news, Quotes: quotes, Now: s.now()}, err
}

// sportsData fetches sports news and the scores concurrently.
func (s *Site) sportsData(ctx context.Context) (sportsData, error) {
	news, scores, err := both(ctx, "sports", s.section("sports", 4), s.st.Scores)
	return sportsData{News: news, Scores: scores, Now: s.now()}, err
}

// breakingData fetches the breaking-news banner.
func (s *Site) breakingData(ctx context.Context) (breakingData, error) {
	b, err := s.st.Breaking(ctx)
	return breakingData{News: b, Now: s.now()}, err
}

// popular fetches the most read and most commented stories concurrently.
func (s *Site) popular(ctx context.Context) (popular, error) {
	read, commented, err := both(ctx, "mostread",
		func(ctx context.Context) ([]store.Article, error) { return s.st.MostRead(ctx, 5) },
		func(ctx context.Context) ([]store.Article, error) { return s.st.MostCommented(ctx, 5) })
	return popular{Read: read, Commented: commented}, err
}

// mostReadPagelet is the "most popular" rail, shared by several pages
// (one cached fragment for them all).
func (s *Site) mostReadPagelet() pagelet.Pagelet {
	return s.cached(mostReadCache(), s.pagelet("mostread", blockTitle("mostread"), 20, skelMostRead(), pagelet.Fetch(s.popular, mostRead)))
}

// pagelet builds a pagelet with the site's conventions: assets named after
// the id, a skeleton placeholder, a "<name> is temporarily unavailable."
// fallback and the site timeout.
func (s *Site) pagelet(id, name string, priority int, bars []string, load func(context.Context) (templ.Component, error)) pagelet.Pagelet {
	return pagelet.Pagelet{
		ID:          id,
		Load:        load,
		CSS:         []string{"pagelets/" + id + ".css"},
		JS:          []string{"pagelets/" + id + ".js"},
		Placeholder: skeleton(bars),
		Fallback:    func(error) templ.Component { return fallback(name) },
		Timeout:     s.timeout,
		Priority:    priority,
	}
}

// storiesCSS styles the headline list (storyList) that several pagelets
// share. It is one file for all of them: the runtime fetches it once.
const storiesCSS = "pagelets/stories.css"

// withStories adds the shared headline-list stylesheet to p.
func withStories(p pagelet.Pagelet) pagelet.Pagelet {
	p.CSS = append([]string{storiesCSS}, p.CSS...)
	return p
}

// both runs two fetches of pagelet id concurrently and waits for both,
// with the group semantics of [errgroup.WithContext]: the first to fail
// cancels the other's context (the pagelet falls back anyway, so the other
// result would be thrown away) and is the error returned. A panic in either
// is recovered into that fetch's error, a [render.PanicError] with its
// stack, which the renderer logs and counts as the pagelet's panic and
// answers with its fallback: a panic in a goroutine of its own would
// otherwise crash the server, out of reach of the renderer's recover.
func both[A, B any](ctx context.Context, id string, fa func(context.Context) (A, error), fb func(context.Context) (B, error)) (A, B, error) {
	var (
		a A
		b B
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		defer recoverFetch(id, &err)
		a, err = fa(gctx)
		return err
	})
	g.Go(func() (err error) {
		defer recoverFetch(id, &err)
		b, err = fb(gctx)
		return err
	})
	err := g.Wait()
	return a, b, err
}

// recoverFetch, deferred by a fetch of pagelet id in a goroutine of its
// own, turns a panic into *err, a [render.PanicError] with the stack.
func recoverFetch(id string, err *error) {
	if v := recover(); v != nil {
		*err = &render.PanicError{ID: id, Value: v, Stack: debug.Stack()}
	}
}
