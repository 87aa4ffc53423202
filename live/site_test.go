package live_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// The test site: one page with a state pagelet "scores" (channel "scores"),
// a stream pagelet "comments" (channel "comments:x") and, after them, a
// second pagelet on "scores", "ticker"; their data lives
// in a model that outlives the server, as a database outlives a restart.

// lateColor is what late.css gives .late: only publications name late.css,
// so the page has not loaded it before the first one that needs it.
const lateColor = "rgb(1, 2, 3)"

var siteFiles = fstest.MapFS{
	"scores.css": {Data: []byte(".score { font-weight: 700 }")},
	"late.css":   {Data: []byte(".late { color: " + lateColor + " }")},
}

// comment is a stream item. Text is escaped; Raw, when set, is published as
// it is, to test hostile markup.
type comment struct{ ID, Text, Raw string }

func commentView(c comment) templ.Component {
	body := html.EscapeString(c.Text)
	if c.Raw != "" {
		body = c.Raw
	}
	return templ.Raw(fmt.Sprintf(`<li class="comment" data-live-key="%s">%s</li>`, html.EscapeString(c.ID), body))
}

// model is the site's data: what a pagelet's Load reads.
type model struct {
	mu       sync.Mutex
	scores   string // HTML
	comments []comment
}

func (m *model) scoresHTML() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scores
}

func (m *model) commentsHTML(ctx context.Context) (string, error) {
	m.mu.Lock()
	list := append([]comment(nil), m.comments...)
	m.mu.Unlock()
	var b strings.Builder
	b.WriteString("<ul data-live-items>")
	for _, c := range list {
		if err := commentView(c).Render(ctx, &b); err != nil {
			return "", err
		}
	}
	b.WriteString(`</ul><textarea id="reply" aria-label="Reply"></textarea>`)
	return b.String(), nil
}

// instance is one run of the server: an engine (and its memory broker),
// a renderer and an HTTP server on the pageFixture's address.
type instance struct {
	eng      *live.Engine
	scores   *live.Feed[string]
	comments *live.Feed[comment]
	srv      *httptest.Server
}

// pageFixture is the test site for one test: its data, its server on a fixed
// loopback address (so that it can restart there), and how long late.css
// takes to serve.
type pageFixture struct {
	t        *testing.T
	secret   []byte // of the next instance to start
	opts     []live.Option
	csp      bool // pages sent with the renderer's Content-Security-Policy
	data     *model
	addr     string
	cssDelay atomic.Int64 // nanoseconds
	// failFragments is how many fragment requests to fail (503) before
	// answering again; fragments counts the requests.
	failFragments, fragments atomic.Int32
	// refuseFragments, when not 0, is the status every fragment request
	// gets (401: the reader signed out, say); badTokens makes the
	// fragments carry a token no engine accepts.
	refuseFragments atomic.Int32
	badTokens       atomic.Bool

	conns *connSet // every connection the site accepted, hijacked ones too

	mu  sync.Mutex
	cur *instance
}

// newPageFixture starts the site on a loopback port, its engine with opts,
// its pages under the renderer's CSP; it stops when t ends.
func newPageFixture(t *testing.T, opts ...live.Option) *pageFixture {
	t.Helper()
	return newPageSite(t, true, opts...)
}

// newPageSite is [newPageFixture], with the CSP or without.
func newPageSite(t *testing.T, csp bool, opts ...live.Option) *pageFixture {
	t.Helper()
	f := &pageFixture{t: t, secret: []byte("test secret, shared by every instance"), opts: opts, csp: csp,
		data: &model{scores: `<p class="score">0 – 0</p>`}, conns: &connSet{m: make(map[net.Conn]struct{})}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f.addr = ln.Addr().String()
	f.start(ln)
	t.Cleanup(f.stop)
	return f
}

// url is path on the site.
func (f *pageFixture) url(path string) string { return "http://" + f.addr + path }

// start serves a new instance on ln.
func (f *pageFixture) start(ln net.Listener) {
	t := f.t
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	reg, err := assets.New(siteFiles)
	if err != nil {
		t.Fatalf("assets.New: %v", err)
	}
	eng, err := live.New(reg, append([]live.Option{live.WithSecret(f.secret), live.WithLogger(log)}, f.opts...)...)
	if err != nil {
		t.Fatalf("live.New: %v", err)
	}
	in := &instance{eng: eng,
		scores:   live.State(eng, "scores", func(s string) templ.Component { return templ.Raw(s) }, live.WithCSS("late.css")),
		comments: live.Stream(eng, "comments:", commentView),
	}
	ropts := []render.Option{render.WithLive(eng), render.WithLogger(log)}
	if f.csp {
		ropts = append(ropts, render.WithCSP(true))
	}
	rd, err := render.New(reg, ropts...)
	if err != nil {
		t.Fatalf("render.New: %v", err)
	}
	page := rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		var head templ.Component
		if r.URL.Query().Has("meta_websocket") { // the page asks for WebSocket
			head = templ.Raw(`<meta name="bigpipe-live-transport" content="websocket">`)
		}
		return &pagelet.Page{
			Title: "Live",
			Head:  head,
			Layout: func(slot pagelet.Slot) templ.Component {
				return templ.Join(templ.Raw("<h1>Live</h1>"), slot("scores"), slot("comments"), slot("ticker"))
			},
			Pagelets: []pagelet.Pagelet{{
				ID: "scores", Channel: "scores", CSS: []string{"scores.css"},
				Load: func(context.Context) (templ.Component, error) { return templ.Raw(f.data.scoresHTML()), nil },
			}, {
				// A second pagelet on the same channel: both show each publication.
				ID: "ticker", Channel: "scores",
				Load: func(context.Context) (templ.Component, error) { return templ.Raw(f.data.scoresHTML()), nil },
			}, {
				ID: "comments", Channel: "comments:x",
				Load: func(ctx context.Context) (templ.Component, error) {
					s, err := f.data.commentsHTML(ctx)
					return templ.Raw(s), err
				},
			}},
		}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has(render.FragmentParam) {
			f.fragments.Add(1)
			if f.failFragments.Add(-1) >= 0 {
				http.Error(w, "503 failing on purpose", http.StatusServiceUnavailable)
				return
			}
			if code := int(f.refuseFragments.Load()); code != 0 {
				http.Error(w, http.StatusText(code), code)
				return
			}
			if f.badTokens.Load() {
				rec := httptest.NewRecorder()
				page.ServeHTTP(rec, r)
				w.WriteHeader(rec.Code)
				_, _ = w.Write(fragmentToken.ReplaceAll(rec.Body.Bytes(), []byte(`"token":"forged.token"`)))
				return
			}
		}
		page.ServeHTTP(w, r)
	}))
	mux.Handle(eng.Path(), eng)
	mux.Handle(rd.Path(), rd)
	mux.Handle("GET /static/", f.slowCSS(reg))
	in.srv = httptest.NewUnstartedServer(mux)
	_ = in.srv.Listener.Close()
	in.srv.Listener = &trackListener{Listener: ln, conns: f.conns}
	in.srv.Start()
	f.mu.Lock()
	f.cur = in
	f.mu.Unlock()
}

// fragmentToken is the token in a fragment's JSON.
var fragmentToken = regexp.MustCompile(`"token":"[^"]*"`)

// slowCSS serves reg, late.css after the pageFixture's cssDelay.
func (f *pageFixture) slowCSS(reg http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(f.cssDelay.Load()); d > 0 && strings.Contains(r.URL.Path, "/late.") {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		reg.ServeHTTP(w, r)
	})
}

// now is the running instance.
func (f *pageFixture) now() *instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur
}

// stop shuts the running instance down: the engine first (it tells its
// clients to reconnect and ends their streams), then the HTTP server.
func (f *pageFixture) stop() {
	f.mu.Lock()
	in := f.cur
	f.cur = nil
	f.mu.Unlock()
	if in == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.eng.Close(ctx); err != nil {
		f.t.Errorf("engine Close: %v", err)
	}
	in.srv.CloseClientConnections()
	in.srv.Close()
}

// restart stops the instance, if it runs, and starts a fresh one on the same address:
// a new engine whose memory broker has new epochs and no history.
func (f *pageFixture) restart() {
	f.t.Helper()
	f.stop()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatalf("listen again on %s: %v", f.addr, err)
	}
	f.start(ln)
}

// setScores makes html the current scores and publishes it.
func (f *pageFixture) setScores(html string) {
	f.t.Helper()
	f.data.mu.Lock()
	f.data.scores = html
	f.data.mu.Unlock()
	if err := f.now().scores.Publish(context.Background(), "scores", html); err != nil {
		f.t.Fatalf("publish scores: %v", err)
	}
}

// addComment stores c and publishes it, keyed by its ID.
func (f *pageFixture) addComment(c comment) {
	f.t.Helper()
	f.data.mu.Lock()
	f.data.comments = append(f.data.comments, c)
	f.data.mu.Unlock()
	if err := f.now().comments.Publish(context.Background(), "comments:x", c, live.WithKey(c.ID)); err != nil {
		f.t.Fatalf("publish comment: %v", err)
	}
}

// connSet is a set of open connections.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

// closeAll closes every connection of the set: the server's end of a TCP
// connection, WebSocket or not (httptest forgets hijacked connections).
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		_ = c.Close()
		delete(s.m, c)
	}
}

// trackListener adds every connection it accepts to conns.
type trackListener struct {
	net.Listener
	conns *connSet
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.conns.mu.Lock()
		l.conns.m[c] = struct{}{}
		l.conns.mu.Unlock()
	}
	return c, err
}

// proxy is a TCP proxy between the browser and the site that can drop
// every connection it carries and refuse new ones, as a load balancer or
// a network path that fails does.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

// newProxy proxies to target until t ends.
func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &proxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst until either fails, then closes both.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// setDown makes the proxy refuse (accept and close at once) new
// connections, or take them again.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// drop closes every connection the proxy carries.
func (p *proxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *proxy) close() {
	_ = p.ln.Close()
	p.drop()
	p.wg.Wait()
}
