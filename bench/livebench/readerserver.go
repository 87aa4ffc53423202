package livebench

// The server role's readers (readers.go measures them): a private feed,
// one channel per signed-in reader, an article feed that counts the pages
// open on it, and the routes that use them:
//
//	GET  /_bench/reader?id=ID      reader ID's grant, as a page rendered for them gets it:
//	                               eng.Grant with pagelet.WithReader(ctx, {ID, session}) for their
//	                               private channel; {"token","offset","epoch","channel"}
//	GET  /_bench/publishto?prefix=P&readers=K&pubs=N&seq=S
//	                               N publications, one at a time, each to a reader P<random below K>
//	                               with PublishTo, numbered from S; {"took":[ns of each PublishTo]}
//	POST /bench/message?to=ID&seq=N&sent=NS
//	                               a message posted: stores nothing, calls PublishTo(ID) with a
//	                               message item carrying seq and sent; 204
//	GET  /_bench/inbox?reader=ID   the recipient's page: one personal live pagelet on ID's private
//	                               channel, each message appended as it comes
//
// The sessions are the bench's own: reader ID's session is "s-" + ID, and
// the engine checks it at every connect (live.WithSessions) as a site's
// store would be asked. The inbox takes its reader from the query, which a
// site never does (its session middleware reads the session cookie): the
// bench has no sign-in.

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// The readers' feeds: readerFeed has a channel per reader; an article's
// pages on presenceFeed are counted, and the count published to the
// state channel of the same name on countFeed.
const (
	readerFeed      = "benchr#"
	presenceFeed    = "benchp:"
	countFeed       = "benchn:"
	presenceArticle = "article"
	// presenceEvery is the article feed's reporting period (WithPresence).
	presenceEvery = time.Second
	// readerGrantPath is the route of a reader's grant; inboxPath the
	// recipient's page; messagePath where a message is posted.
	readerGrantPath = "/_bench/reader"
	inboxPath       = "/_bench/inbox"
	messagePath     = "/bench/message"
	inboxID         = "inbox"
	// maxPublishTo bounds one /_bench/publishto request.
	maxPublishTo = 100_000
)

// readerSession is the session of reader id in the bench.
func readerSession(id string) string { return "s-" + id }

// readerSessions is the engine's session check: a reader's session is
// current when it is theirs.
func readerSessions(_ context.Context, r pagelet.Reader) (bool, error) {
	return r.Session == readerSession(r.ID), nil
}

// countView renders an article's "reading now".
func countView(n int) templ.Component {
	return templ.Raw(fmt.Sprintf(`<p class="bench-count" data-count="%d">%d reading now</p>`, n, n))
}

// readerRoutes declares the readers' feeds on eng and adds their routes
// to mux; rd renders the inbox.
func readerRoutes(mux *http.ServeMux, eng *live.Engine, rd *render.Renderer) {
	private := live.Stream(eng, readerFeed, liveView)
	counts := live.State(eng, countFeed, countView)
	live.Stream(eng, presenceFeed, liveView, live.WithPresence(presenceEvery, func(ctx context.Context, ch string, pages int) {
		_ = counts.Publish(ctx, countFeed+strings.TrimPrefix(ch, presenceFeed), pages)
	}))
	mux.HandleFunc("GET "+readerGrantPath, func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		ctx := pagelet.WithReader(r.Context(), pagelet.Reader{ID: id, Session: readerSession(id)})
		ch := private.ReaderChannel(id)
		g, err := eng.Grant(ctx, []string{ch})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pos, err := eng.Position(r.Context(), ch)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSONResponse(w, liveGrant{Token: g.Token, Offset: pos.Offset, Epoch: pos.Epoch, Channel: ch})
	})
	mux.HandleFunc("GET /_bench/publishto", func(w http.ResponseWriter, r *http.Request) {
		publishToRun(w, r, private)
	})
	mux.HandleFunc("POST "+messagePath, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		seq, err1 := strconv.Atoi(q.Get("seq"))
		sent, err2 := strconv.ParseInt(q.Get("sent"), 10, 64)
		if err1 != nil || err2 != nil {
			http.Error(w, "want seq and sent", http.StatusBadRequest)
			return
		}
		if err := private.PublishTo(r.Context(), q.Get("to"), livePub{Seq: seq, Sent: sent}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("GET "+inboxPath, inbox(rd, private))
}

// publishToRun answers /_bench/publishto: its publications, one at a
// time, each timed around its PublishTo.
func publishToRun(w http.ResponseWriter, r *http.Request, private *live.Feed[livePub]) {
	q := r.URL.Query()
	readers, err1 := strconv.Atoi(q.Get("readers"))
	pubs, err2 := strconv.Atoi(q.Get("pubs"))
	seq, err3 := strconv.Atoi(q.Get("seq"))
	if err1 != nil || err2 != nil || err3 != nil || readers < 1 || pubs < 1 || pubs > maxPublishTo {
		http.Error(w, "want readers ≥ 1, 1 ≤ pubs ≤ 100000 and seq", http.StatusBadRequest)
		return
	}
	prefix := q.Get("prefix")
	took := make([]int64, 0, pubs)
	for i := range pubs {
		id := prefix + strconv.Itoa(rand.IntN(readers))
		t0 := time.Now()
		if err := private.PublishTo(r.Context(), id, livePub{Seq: seq + i, Sent: t0.UnixNano()}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		took = append(took, time.Since(t0).Nanoseconds())
	}
	writeJSONResponse(w, map[string][]int64{"took": took})
}

// inbox is the recipient's page: one personal live pagelet on the
// reader's private channel, rendered for the reader the query names.
func inbox(rd *render.Renderer, private *live.Feed[livePub]) http.Handler {
	layout := func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, "<main><h1>inbox</h1>"); err != nil {
				return err
			}
			if err := slot(inboxID).Render(ctx, w); err != nil {
				return err
			}
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
	page := rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		reader := pagelet.ReaderFrom(r.Context())
		box := pagelet.Pagelet{ID: inboxID, Personal: true, Load: pagelet.Static(templ.Raw(`<ul data-live-items></ul>`))}
		if !reader.Anonymous() {
			box = private.Pagelet(private.ReaderChannel(reader.ID), box)
		}
		return &pagelet.Page{Title: "inbox", Layout: layout, Pagelets: []pagelet.Pagelet{box}}, nil
	}, render.WithCSP(true))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("reader")
		page.ServeHTTP(w, r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: id, Session: readerSession(id)})))
	})
}
