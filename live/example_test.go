package live_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"

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
