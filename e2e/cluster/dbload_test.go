package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/redistest"
)

// dbSite is a cluster whose instances share a PostgreSQL of the test's
// own (which it may restart or stall), each through a fault-injecting
// proxy of its own (pgtest.Proxy), so that a fault can cut one instance
// off alone.
type dbSite struct {
	c       *cluster
	pg      *pgtest.Cluster
	url     string // the database, directly
	proxies []*pgtest.Proxy
	ins     []*instance
	slug    string
	ada     reader
	bob     reader
}

// newDBSite starts n instances (with the simulator on) on a PostgreSQL
// of their own, each through its own proxy, and signs up two readers.
func newDBSite(t *testing.T, n int) *dbSite {
	t.Helper()
	server.Path(t)
	pg := pgtest.Start(t)
	s := &dbSite{pg: pg, url: pg.Database(t, "site")}
	s.c = &cluster{t: t, redis: redistest.Start(t), db: s.url,
		secret: "dbfault secret " + strconv.FormatInt(time.Now().UnixNano(), 36), drain: time.Second}
	for range n {
		px := pgtest.NewProxy(t, pg.Addr())
		s.proxies = append(s.proxies, px)
		s.ins = append(s.ins, s.c.add(1, "-db", px.URL(s.url), "-live-sim=true")...)
	}
	s.c.startAll(t)
	s.slug = articleSlug(t, s.ins[0])
	s.ada, s.bob = signUp(t, s.ins[0].base(), "ada_"+suffix()), signUp(t, s.ins[len(s.ins)-1].base(), "bob_"+suffix())
	return s
}

// rows returns how many rows of table (comments or messages) have each of
// ids, read directly.
func (s *dbSite) rows(t *testing.T, table string, ids []string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT id, count(*) FROM "+table+" WHERE id = ANY($1) GROUP BY id", ids)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for rows.Next() {
		var id string
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		n[id] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// attempt is one answer to a post.
type attempt struct {
	at     time.Time // when it was answered (a page read: begun)
	took   time.Duration
	in     string // the instance
	status int    // 0: no answer (the client's timeout)
	retry  string // its Retry-After
	body   string
}

// post is one comment or message a reader means to post, and every
// attempt at it, all with the same submission id.
type post struct {
	kind, id string // "comments" or "messages"
	tries    []attempt
}

// ok reports whether the site stored it (2xx), and the answer.
func (p *post) ok() (attempt, bool) {
	for _, a := range p.tries {
		if a.status >= 200 && a.status < 300 {
			return a, true
		}
	}
	return attempt{}, false
}

// workload posts comments (anonymously, on s.slug) and messages (Ada to
// Bob) through every instance in turn, each post retried with its id
// until the site stores it, as a reader who clicks Send again would; and
// reads the article page on every instance, timing it.
type workload struct {
	s      *dbSite
	csrf   string // the comment form's token for cookie
	cookie string
	msgTok string // the message form's token for Ada
	ada    *http.Client
	quit   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	posts []*post
	pages []attempt
	n     int
}

// startWorkload starts the posting and reading goroutines.
func (s *dbSite) startWorkload(t *testing.T) *workload {
	t.Helper()
	p := newPoster(t, s.ins[0], s.slug)
	m := newMessenger(t, s.ins[0].base(), s.ada, s.bob)
	w := &workload{s: s, csrf: p.csrf, cookie: p.cookie, quit: make(chan struct{}), ada: m.client, msgTok: m.token}
	for _, kind := range []string{"comments", "messages"} {
		w.wg.Go(func() { w.postLoop(kind) })
	}
	w.wg.Go(w.readLoop)
	return w
}

// stop ends the workload once every post begun is stored (or d passes).
func (w *workload) stop(t *testing.T) {
	t.Helper()
	close(w.quit)
	w.wg.Wait()
}

// stopping reports whether stop was called.
func (w *workload) stopping() bool {
	select {
	case <-w.quit:
		return true
	default:
		return false
	}
}

// pause waits d unless stop was called, for the pace of the workload.
func (w *workload) pause(d time.Duration) {
	select {
	case <-w.quit:
	case <-time.After(d):
	}
}

// postLoop posts one kind of thing until stopped, each until stored.
func (w *workload) postLoop(kind string) {
	for !w.stopping() {
		w.mu.Lock()
		w.n++
		n := w.n
		p := &post{kind: kind, id: fmt.Sprintf("%s%s%05d", kind[:1], suffix(), n)}
		w.posts = append(w.posts, p)
		w.mu.Unlock()
		giveUp := time.Now().Add(60 * time.Second)
		for i := 0; time.Now().Before(giveUp); i++ {
			in := w.s.ins[(n+i)%len(w.s.ins)]
			a := w.send(kind, p.id, n, in, true)
			w.mu.Lock()
			p.tries = append(p.tries, a)
			w.mu.Unlock()
			if a.status >= 200 && a.status < 300 {
				break
			}
			time.Sleep(200 * time.Millisecond) // the reader's pause before Send again
		}
		w.pause(100 * time.Millisecond)
	}
}

// send makes one attempt at post id (number n) through in, asking for
// JSON as the form enhancer does, or as a plain form.
func (w *workload) send(kind, id string, n int, in *instance, json bool) attempt {
	var req *http.Request
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		// Each post from an address of its own: the per-address rate is for people.
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 1, byte(n/250), byte(1+n%250))}, Timeout: 2 * time.Second}).DialContext}}
	if kind == "comments" {
		form := url.Values{"_token": {w.csrf}, "_submission": {id}, "name": {"Reader " + id}, "text": {"Text of " + id}}
		req, _ = http.NewRequest(http.MethodPost, in.base()+"/article/"+w.s.slug+"/comments", strings.NewReader(form.Encode()))
		req.Header.Set("Cookie", "dp_client="+w.cookie)
	} else {
		form := url.Values{"_token": {w.msgTok}, "_submission": {id}, "id": {id}, "text": {"Text of " + id}}
		req, _ = http.NewRequest(http.MethodPost, in.base()+"/messages/"+w.s.bob.name, strings.NewReader(form.Encode()))
		client.Jar = w.ada.Jar
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if json {
		req.Header.Set("Accept", "application/json")
	}
	began := time.Now()
	res, err := client.Do(req)
	a := attempt{at: time.Now(), in: in.name, took: time.Since(began)}
	if err != nil {
		a.body = err.Error()
		return a
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a.status, a.retry, a.body = res.StatusCode, res.Header.Get("Retry-After"), string(b)
	return a
}

// readLoop reads the article page on every instance until stopped.
func (w *workload) readLoop() {
	for i := 0; !w.stopping(); i++ {
		in := w.s.ins[i%len(w.s.ins)]
		began := time.Now()
		status, _, err := get(plainClient, in.base()+"/article/"+w.s.slug)
		a := attempt{at: began, in: in.name, status: status, took: time.Since(began)}
		if err != nil {
			a.body = err.Error()
		}
		w.mu.Lock()
		w.pages = append(w.pages, a)
		w.mu.Unlock()
		w.pause(150 * time.Millisecond)
	}
}

// firstStored returns when the first post through in that was begun after
// since was stored: the end of an outage as a reader of in sees it.
func (w *workload) firstStored(in string, since time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first time.Time
	for _, p := range w.posts {
		for _, a := range p.tries {
			// Begun after since: a post begun before a fault may be
			// stored before it and answered during it (what follows the
			// store waits for the database too, within its bound).
			if begun := a.at.Add(-a.took); a.in == in && begun.After(since) && a.status >= 200 && a.status < 300 && (first.IsZero() || a.at.Before(first)) {
				first = a.at
			}
		}
	}
	return first, !first.IsZero()
}

// waitStored waits until a post through in begun after since is stored,
// and returns how long after since that was.
func (w *workload) waitStored(t *testing.T, in *instance, since time.Time, d time.Duration) time.Duration {
	t.Helper()
	var at time.Time
	if err := waitFor(nil, d, func() error {
		var ok bool
		if at, ok = w.firstStored(in.name, since); !ok {
			return fmt.Errorf("no post through %s stored since the fault ended", in.name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return at.Sub(since)
}

// check checks what the workload saw: every post stored exactly once
// (each was retried until a 2xx), every refusal a 503 with Retry-After
// that says the post was not sent, and every page read answered 200
// within the pagelets' timeout and some slack. It returns the number of
// refusals, and of posts stored by an attempt whose answer said otherwise
// (found on the retry: 200, not 201).
func (w *workload) check(t *testing.T) (refused, foundOnRetry int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := map[string][]string{}
	for _, p := range w.posts {
		ids[p.kind] = append(ids[p.kind], p.id)
	}
	stored := map[string]map[string]int{}
	for kind, list := range ids {
		stored[kind] = w.s.rows(t, kind, list)
	}
	for _, p := range w.posts {
		final, ok := p.ok()
		if !ok {
			t.Errorf("%s %s never stored in 60 s of retries: %+v", p.kind, p.id, p.tries)
			continue
		}
		for _, a := range p.tries {
			switch {
			case a.status >= 200 && a.status < 300:
			case a.status == http.StatusServiceUnavailable && a.retry != "" && strings.Contains(a.body, "not sent"):
				refused++
			default:
				t.Errorf("%s %s through %s: %d (Retry-After %q) %.200s; want 2xx or 503 with Retry-After saying it was not sent",
					p.kind, p.id, a.in, a.status, a.retry, a.body)
			}
		}
		if len(p.tries) > 1 && final.status == http.StatusOK {
			foundOnRetry++
		}
		if n := stored[p.kind][p.id]; n != 1 {
			t.Errorf("%s %s: %d rows, want 1 (answered %d)", p.kind, p.id, n, final.status)
		}
	}
	for _, a := range w.pages {
		if a.status != http.StatusOK || a.took > 8*time.Second {
			t.Errorf("article page on %s at %s: %d in %s (%s); want 200 within the pagelets' 3 s timeout and slack",
				a.in, a.at.Format("15:04:05.000"), a.status, a.took, a.body)
		}
	}
	return refused, foundOnRetry
}

// counts returns how many posts the workload made and how many pages it
// read.
func (w *workload) counts() (posts, pages int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.posts), len(w.pages)
}

// summary says what readers of in saw between from and to: posts stored
// and refused, with the median time of an answer, and page reads with
// their median and longest time.
func (w *workload) summary(in string, from, to time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var stored, refused int
	var postTimes, pageTimes []time.Duration
	for _, p := range w.posts {
		for _, a := range p.tries {
			if a.in != in || a.at.Before(from) || !a.at.Before(to) {
				continue
			}
			switch {
			case a.status >= 200 && a.status < 300:
				stored++
			case a.status == http.StatusServiceUnavailable:
				refused++
			}
			postTimes = append(postTimes, a.took)
		}
	}
	for _, a := range w.pages {
		if a.in == in && !a.at.Before(from) && a.at.Before(to) {
			pageTimes = append(pageTimes, a.took)
		}
	}
	return fmt.Sprintf("posts through %s: %d stored, %d refused (503), median answer %s; %d page reads, median %s, longest %s",
		in, stored, refused, median(postTimes), len(pageTimes), median(pageTimes), longest(pageTimes))
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2].Round(time.Millisecond)
}

func longest(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds).Round(time.Millisecond)
}
