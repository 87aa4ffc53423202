package live_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Notice is one of a reader's notifications.
type Notice struct{ ID, Text string }

func noticeView(n Notice) templ.Component {
	return templ.Raw(`<li data-live-key="` + templ.EscapeString(n.ID) + `">` + templ.EscapeString(n.Text) + `</li>`)
}

// sessionStore stands for the site's sessions (a database): session id →
// reader id.
type sessionStore map[string]string

// middleware is the site's session middleware: the session cookie, and
// nothing else the client sends, decides the request's reader.
func (s sessionStore) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && s[c.Value] != "" {
			r = r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: s[c.Value], Session: c.Value}))
		}
		next.ServeHTTP(w, r)
	})
}

// check is the engine's session check: a page connects while its session
// lasts.
func (s sessionStore) check(_ context.Context, r pagelet.Reader) (bool, error) {
	return s[r.Session] == r.ID, nil
}

// Readers: a feed per reader (its name ends in '#'), a personal pagelet
// that shows its reader's channel, publishing to one reader, presence on
// an article, and signing out.
func ExampleFeed_PublishTo() {
	ctx := context.Background()
	sessions := sessionStore{"s-1f9c": "ada"}
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")),
		live.WithSessions(sessions.check)) // a signed-out page's token connects no more
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	// One channel per reader: "notices#ada" is Ada's, and only a page
	// rendered for Ada's session is granted it.
	notices := live.Stream(eng, "notices#", noticeView)

	// "Reading now": the pages open on an article's comments, counted
	// across instances and published at most once a second.
	reading := live.State(eng, "reading:", func(n int) templ.Component {
		return templ.Raw(fmt.Sprintf("%d reading now", n))
	})
	live.Stream(eng, "comments:", noticeView, live.WithPresence(time.Second, func(ctx context.Context, channel string, pages int) {
		_ = reading.Publish(ctx, "reading:"+strings.TrimPrefix(channel, "comments:"), pages)
	}))

	rd, err := render.New(site, render.WithLive(eng))
	if err != nil {
		log.Fatal(err)
	}
	page := rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		reader := pagelet.ReaderFrom(r.Context())
		p := &pagelet.Page{Title: "Home", Layout: func(slot pagelet.Slot) templ.Component { return slot("notices") }}
		box := pagelet.Pagelet{ID: "notices", Personal: true, Load: pagelet.Static(templ.Raw(`<ul data-live-items></ul>`))}
		if !reader.Anonymous() {
			box = notices.Pagelet(notices.ReaderChannel(reader.ID), box)
		}
		p.Pagelets = []pagelet.Pagelet{box}
		return p, nil
	})
	handler := sessions.middleware(page)

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	req.AddCookie(&http.Cookie{Name: "session", Value: "s-1f9c"})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("Cache-Control"))
	fmt.Println(strings.Contains(rec.Body.String(), `"channel":"notices#ada"`))

	// Publishing to Ada reaches every tab of hers, on every instance, and
	// no one else's. A publication answering her own post can leave out
	// the tab that posted it: live.Except(live.ClientID(req)).
	if err := notices.PublishTo(ctx, "ada", Notice{ID: "n1", Text: "Lin answered your comment"}); err != nil {
		log.Fatal(err)
	}

	// A page rendered for Bob cannot be granted Ada's channel.
	bob := pagelet.WithReader(ctx, pagelet.Reader{ID: "bob", Session: "s-77aa"})
	_, err = eng.Grant(bob, []string{notices.ReaderChannel("ada")})
	fmt.Println(errors.Is(err, live.ErrNotYours))

	// Signing out: the session ends, then its pages' connections close on
	// every instance, and its tokens connect no more.
	delete(sessions, "s-1f9c")
	if err := eng.Disconnect(ctx, pagelet.Reader{ID: "ada", Session: "s-1f9c"}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// private, no-store
	// true
	// true
}
