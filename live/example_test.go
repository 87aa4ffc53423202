package live_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Score is what the scores pagelet shows and what is published to it.
type Score struct {
	Home, Away string
	HomeGoals  int
	AwayGoals  int
}

// scoreView renders a Score: the pagelet's Load and every publication use
// it, so a live update looks exactly like the first render.
func scoreView(s Score) templ.Component {
	return templ.Raw(fmt.Sprintf(`<p class="score">%s %d–%d %s</p>`,
		templ.EscapeString(s.Home), s.HomeGoals, s.AwayGoals, templ.EscapeString(s.Away)))
}

// latestScore is the pagelet's data source (a database in a real site).
func latestScore(context.Context) (Score, error) {
	return Score{Home: "Harbour", Away: "Mill Lane", HomeGoals: 1}, nil
}

// A live pagelet: a feed declares the channel and its view, the pagelet
// names the channel, the renderer is given the engine, and the site
// publishes whenever the data changes.
func Example() {
	ctx := context.Background()
	site, err := assets.New(fstest.MapFS{"pagelets/scores.css": {Data: []byte(".score { font-weight: bold }")}})
	if err != nil {
		log.Fatal(err)
	}

	// The engine: one per process. Every instance of the site shares the
	// secret (from a flag or the environment), so that a page rendered by
	// one can connect to any.
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	// A state feed: each publication replaces the pagelet's content.
	// (live.Stream declares one whose publications are appended items.)
	scores := live.State(eng, "scores", scoreView, live.WithCSS("pagelets/scores.css"))

	// The pagelet: an ordinary one, with its channel.
	board := scores.Pagelet("scores", pagelet.Pagelet{
		ID:   "scores",
		Load: pagelet.Fetch(latestScore, scoreView),
		CSS:  []string{"pagelets/scores.css"},
	})

	// The renderer keeps live pagelets current through the engine; the
	// engine's endpoints (SSE, WebSocket, its client) are mounted beside
	// the pages.
	rd, err := render.New(site, render.WithLive(eng))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:    "Scores",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("scores") },
			Pagelets: []pagelet.Pagelet{board},
		}, nil
	}))
	mux.Handle(rd.Path(), rd)
	mux.Handle(eng.Path(), eng)

	// Publishing: rendered once, sent to every page showing the channel.
	if err := scores.Publish(ctx, "scores", Score{Home: "Harbour", Away: "Mill Lane", HomeGoals: 2}); err != nil {
		log.Fatal(err)
	}

	// A page now carries the channel's position with the pagelet: its
	// client subscribes from there, so nothing published after is lost.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	body := rec.Body.String()
	fmt.Println(strings.Contains(body, `"live":{"channel":"scores","kind":"state","offset":1,`))
	fmt.Println(strings.Contains(body, `"url":"/_live/","token":`))
	// Output:
	// true
	// true
}

// Comment is an item of an article's comment thread.
type Comment struct {
	ID     string // made by the client that posted it: the publication's key
	Seq    uint64 // its place in the thread
	Author string
	Text   string
}

// threadItem renders one comment: the pagelet's Load renders the thread
// with it, and every publication one more item.
func threadItem(c Comment) templ.Component {
	return templ.Raw(fmt.Sprintf(`<li data-live-key="%s" data-live-order="%d"><b>%s</b> %s</li>`,
		templ.EscapeString(c.ID), c.Seq, templ.EscapeString(c.Author), templ.EscapeString(c.Text)))
}

// A stream feed: each publication is an item appended to the pagelet's
// list (its data-live-items element), every item shown once and in order.
// A family of channels ("comments:" here) gives each article its own.
func ExampleStream() {
	ctx := context.Background()
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	comments := live.Stream(eng, "comments:", threadItem)

	// Two comments on one article. A publication retried with the same key
	// (after a timeout, say) is not published again.
	first := Comment{ID: "c-7f3a", Seq: 1, Author: "Ada", Text: "First!"}
	second := Comment{ID: "c-91be", Seq: 2, Author: "Lin", Text: "Second."}
	for _, c := range []Comment{first, second, second} {
		if err := comments.Publish(ctx, "comments:harbour-wins", c, live.WithKey(c.ID), live.WithOrder(c.Seq)); err != nil {
			log.Fatal(err)
		}
	}
	// A channel of another feed is refused.
	err = comments.Publish(ctx, "scores", first)
	fmt.Println(errors.Is(err, live.ErrWrongFeed))

	// The article's page: its comments pagelet is live on the article's
	// channel and carries the channel's position, from which its client
	// subscribes.
	thread := comments.Pagelet("comments:harbour-wins", pagelet.Pagelet{
		ID: "comments",
		Load: pagelet.Static(templ.Join(templ.Raw(`<ol data-live-items>`),
			threadItem(first), threadItem(second), templ.Raw(`</ol>`))),
	})
	rd, err := render.New(site, render.WithLive(eng), render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	page := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:    "Harbour wins",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("comments") },
			Pagelets: []pagelet.Pagelet{thread},
		}, nil
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, req)
	// Offset 2: the retried publication was not published again.
	fmt.Println(strings.Contains(rec.Body.String(), `"channel":"comments:harbour-wins","kind":"stream","offset":2,`))
	// Output:
	// true
	// true
}

// WithRegistry takes any prometheus.Registerer, as metrics.New does: here
// one that labels the engine's metrics, and centrifuge's, with the site
// they serve, in the registry that /metrics serves.
func ExampleWithRegistry() {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site,
		live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")),
		live.WithRegistry(prometheus.WrapRegistererWith(prometheus.Labels{"site": "news"}, reg)),
		live.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	mfs, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range mfs {
		switch name := mf.GetName(); name {
		case "bigpipe_live_drained_total", "centrifuge_node_num_clients":
			for _, l := range mf.GetMetric()[0].GetLabel() {
				fmt.Printf("%s{%s=%q}\n", name, l.GetName(), l.GetValue())
			}
		}
	}
	// Output:
	// bigpipe_live_drained_total{site="news"}
	// centrifuge_node_num_clients{site="news"}
}
