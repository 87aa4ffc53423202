package cluster_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// deliveryBudget bounds how long a publication may take to show in every
// tab once the site accepted it, on this 2-core machine with three
// instances, two proxies and Chromium sharing it.
const deliveryBudget = 20 * time.Second

// openViews opens, for each base URL, an article tab and (if front) a
// front-page tab, named after where they connect.
func openViews(t *testing.T, slug string, bases map[string]string, front bool) []view {
	t.Helper()
	var views []view
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range bases {
			if !yield(k) {
				return
			}
		}
	}) {
		a := newTab(t, "article via "+name)
		a.open(t, bases[name]+"/article/"+slug)
		views = append(views, view{tab: a, comments: true})
		if front {
			f := newTab(t, "front via "+name)
			f.open(t, bases[name]+"/")
			views = append(views, view{tab: f})
		}
	}
	return views
}

// TestPublicationsReachEveryInstance runs three instances behind nginx and
// HAProxy, with tabs on one article and on the front page through each
// proxy (HTTP/2) and directly on each instance. A comment posted through
// each instance and a breaking headline published through each one's
// admin endpoint reach every tab: each comment once, in the order posted,
// and the last headline.
func TestPublicationsReachEveryInstance(t *testing.T) {
	c := newCluster(t)
	ins := c.add(3)
	c.startAll(t)
	ngx, hap := startNginx(t, ins).base, startHAProxy(t, ins)
	slug := articleSlug(t, ins[0])
	bases := map[string]string{"nginx": ngx, "haproxy": hap}
	for _, in := range ins {
		bases[in.name] = in.base()
	}
	views := openViews(t, slug, bases, true)
	for _, v := range views {
		if strings.Contains(v.tab.Name, "proxy") || strings.Contains(v.tab.Name, "nginx") {
			if p := v.tab.protocol(t); p != "h2" {
				t.Errorf("tab %s: the page came over %q, want h2", v.tab.Name, p)
			}
		}
	}
	p := newPoster(t, ins[0], slug)
	var headline string
	for _, in := range ins {
		p.post(t, in.base())
		headline = "Headline published through instance " + in.name
		publishBreaking(t, in, headline)
	}
	waitShows(t, views, p.ids(), headline, deliveryBudget)
	for _, in := range ins {
		if n, err := in.metric("bigpipe_live_connections"); err != nil || n < 2 {
			t.Errorf("instance %s holds %v live connections (%v); want its own two tabs' at least", in.name, n, err)
		}
	}
	t.Log(summary(t, views))
}

// load keeps posting comments through the given instances, in turn, until
// stopped: the traffic a crash or a deploy happens under.
type load struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	errs []error
}

func startLoad(p *poster, every time.Duration, through ...*instance) *load {
	l := &load{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			if _, err := p.tryPost(through[i%len(through)].base()); err != nil {
				l.mu.Lock()
				l.errs = append(l.errs, err)
				l.mu.Unlock()
			}
			select {
			case <-l.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return l
}

// waitPosted waits until n more comments than now have been posted.
func (l *load) waitPosted(t *testing.T, p *poster, n int) {
	t.Helper()
	want := len(p.ids()) + n
	if err := waitFor(nil, 30*time.Second, func() error {
		if got := len(p.ids()); got < want {
			return fmt.Errorf("%d comments posted, waiting for %d", got, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// end stops the load and fails t if a comment was refused.
func (l *load) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	<-l.done
	for _, err := range l.errs {
		t.Error(err)
	}
}

// crash is the scene of the crash and deploy tests: three instances
// behind nginx, and tabs whose live connections are all on the first.
type crash struct {
	cluster *cluster
	a, b, c *instance
	nginx   *nginx
	poster  *poster // comments on the article the tabs show, through b
	views   []view
}

// crashSetup starts three instances behind nginx and opens articles
// article tabs and fronts front-page tabs through nginx while only the
// first instance runs, so that every tab's live connection is on it; then
// it starts the others.
func crashSetup(t *testing.T, articles, fronts int) *crash {
	t.Helper()
	c := newCluster(t)
	ins := c.add(3)
	ngx := startNginx(t, ins)
	ins[0].start(t)
	slug := articleSlug(t, ins[0])
	var views []view
	for i := range articles + fronts {
		if i < articles {
			tb := newTab(t, fmt.Sprintf("article %d", i+1))
			tb.open(t, ngx.base+"/article/"+slug)
			views = append(views, view{tab: tb, comments: true})
		} else {
			tb := newTab(t, fmt.Sprintf("front %d", i-articles+1))
			tb.open(t, ngx.base+"/")
			views = append(views, view{tab: tb})
		}
	}
	c.startAll(t)
	if n, err := ins[0].metric("bigpipe_live_connections"); err != nil || int(n) != len(views) {
		t.Fatalf("instance A holds %v live connections (%v); want every tab's, %d", n, err, len(views))
	}
	return &crash{cluster: c, a: ins[0], b: ins[1], c: ins[2], nginx: ngx, poster: newPoster(t, ins[1], slug), views: views}
}

// checkNoLiveUpstreams fails t if nginx answered a request 502 for want of
// an instance it counted as up: two of three ran throughout. The instances
// it had seen refuse connections while the tabs opened must not stay
// counted out while only live connections reach them.
func (s *crash) checkNoLiveUpstreams(t *testing.T) {
	t.Helper()
	if n := s.nginx.noLiveUpstreams(); n > 0 {
		t.Errorf(`nginx answered %d requests 502 "no live upstreams" while two instances ran`, n)
	}
}

// TestKillInstance kills (SIGKILL) the instance that holds every tab's
// live connection while comments keep being posted through the other two:
// every tab reconnects through nginx to a survivor and ends showing every
// comment once, in order, and the latest headline.
func TestKillInstance(t *testing.T) {
	s := crashSetup(t, 3, 2)
	p, views := s.poster, s.views
	p.post(t, s.b.base())
	publishBreaking(t, s.c, "Before the crash")
	waitShows(t, views, p.ids()[:1], "Before the crash", deliveryBudget)
	l := startLoad(p, 100*time.Millisecond, s.b, s.c)
	s.a.kill9(t)
	for _, v := range views {
		v.tab.WaitTrue(t, `window.bigPipe.liveState.connects >= 2`)
	}
	l.end(t)
	p.post(t, s.c.base())
	publishBreaking(t, s.b, "After the crash")
	waitShows(t, views, p.ids(), "After the crash", deliveryBudget)
	s.checkNoLiveUpstreams(t)
	t.Logf("%d comments; %s", len(p.ids()), summary(t, views))
}

// TestSigtermDrain deploys the instance that holds every tab's live
// connection (SIGTERM, -live-drain-window 3s) while comments keep being
// posted through the other two: /readyz says draining, the tabs are told
// to go at moments spread over the window (not all at once), resume on the
// others through nginx with every comment once, in order, and the latest
// headline; the instance exits 0.
func TestSigtermDrain(t *testing.T) {
	s := crashSetup(t, 5, 3)
	a, p, views, drainWindow := s.a, s.poster, s.views, s.cluster.drain
	p.post(t, s.b.base())
	publishBreaking(t, s.c, "Before the deploy")
	waitShows(t, views, p.ids()[:1], "Before the deploy", deliveryBudget)
	l := startLoad(p, 100*time.Millisecond, s.b, s.c)
	start := time.Now()
	a.sigterm(t)
	draining := false
	err := waitFor(nil, drainWindow+15*time.Second, func() error {
		status, body, err := get(plainClient, a.base()+"/readyz")
		if err == nil && status == http.StatusServiceUnavailable && strings.Contains(body, "draining") {
			draining = true
		}
		if a.proc().Exited() {
			return nil
		}
		return errNotYet
	})
	if err != nil {
		t.Fatalf("instance A after SIGTERM: %v", err)
	}
	took := time.Since(start)
	if code, _ := a.proc().Wait(0); code != 0 {
		t.Errorf("instance A exited with %d after SIGTERM, want 0", code)
	}
	if !draining {
		t.Error(`instance A's /readyz never answered 503 "draining" while it drained`)
	}
	l.end(t)
	p.post(t, s.c.base())
	publishBreaking(t, s.b, "After the deploy")
	waitShows(t, views, p.ids(), "After the deploy", deliveryBudget)
	s.checkNoLiveUpstreams(t)

	// When each tab was told to go: its first disconnection after SIGTERM.
	var at []time.Time
	for _, v := range views {
		for _, e := range v.tab.events(t) {
			if e.Type == "disconnected" && time.UnixMilli(e.At).After(start) {
				at = append(at, time.UnixMilli(e.At))
				break
			}
		}
	}
	if len(at) != len(views) {
		t.Fatalf("%d of %d tabs saw a disconnection after SIGTERM", len(at), len(views))
	}
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	first, last := at[0].Sub(start), at[len(at)-1].Sub(start)
	t.Logf("drain: %d tabs told to go between %v and %v after SIGTERM; exited after %v", len(at), first.Round(time.Millisecond), last.Round(time.Millisecond), took.Round(time.Millisecond))
	// Eight moments drawn uniformly over 3 s span less than a quarter of
	// it with a probability of about 4e-4.
	if spread := last - first; spread < drainWindow/4 {
		t.Errorf("the tabs were told to reconnect within %v of each other; want them spread over the %v window", spread, drainWindow)
	}
	if last > drainWindow+time.Second {
		t.Errorf("the last tab was told to go %v after SIGTERM, past the %v window", last, drainWindow)
	}
	t.Log(summary(t, views))
}

// health returns an instance's /healthz answer as one line.
func health(in *instance) string {
	status, body, err := get(plainClient, in.base()+"/healthz")
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
}

func degraded(h string) bool { return strings.Contains(h, "degraded") || !strings.HasPrefix(h, "200 ") }

// healthWatch polls every instance's /healthz until stopped, noting which
// said degraded at least once.
type healthWatch struct {
	mu   sync.Mutex
	seen map[string]bool
	quit chan struct{}
	done chan struct{}
}

func watchHealth(ins []*instance) *healthWatch {
	w := &healthWatch{seen: map[string]bool{}, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			for _, in := range ins {
				if degraded(health(in)) {
					w.mu.Lock()
					w.seen[in.name] = true
					w.mu.Unlock()
				}
			}
			select {
			case <-w.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

// degradedOn returns the instances that said degraded so far.
func (w *healthWatch) degradedOn() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.seen)
}

// stop ends the watch and returns the instances that said degraded.
func (w *healthWatch) stop() map[string]bool {
	close(w.quit)
	<-w.done
	return w.degradedOn()
}

// faultSetup starts three instances behind nginx with an article tab on
// each instance directly and through nginx, and front-page tabs on the
// first two.
func faultSetup(t *testing.T) (*cluster, []*instance, *poster, []view) {
	t.Helper()
	c := newCluster(t)
	ins := c.add(3)
	c.startAll(t)
	ngx := startNginx(t, ins).base
	slug := articleSlug(t, ins[0])
	views := openViews(t, slug, map[string]string{"A": ins[0].base(), "B": ins[1].base(), "C": ins[2].base(), "nginx": ngx}, false)
	for _, in := range ins[:2] {
		f := newTab(t, "front via "+in.name)
		f.open(t, in.base()+"/")
		views = append(views, view{tab: f})
	}
	return c, ins, newPoster(t, ins[0], slug), views
}

// waitHealthy waits until every instance's /healthz says ok again, by
// itself.
func waitHealthy(t *testing.T, ins []*instance, d time.Duration) {
	t.Helper()
	for _, in := range ins {
		if err := waitFor(nil, d, func() error {
			if h := health(in); degraded(h) {
				return fmt.Errorf("instance %s /healthz: %s", in.name, h)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
}

// TestRedisRestart restarts Redis (same port, every key lost) under load:
// the instances reconnect by themselves and /healthz says ok after, and
// every tab ends with every comment once, in order, and the latest
// headline, whether it recovered them or refetched its pagelets.
func TestRedisRestart(t *testing.T) {
	c, ins, p, views := faultSetup(t)
	p.post(t, ins[0].base())
	publishBreaking(t, ins[1], "Before the Redis restart")
	waitShows(t, views, p.ids(), "Before the Redis restart", deliveryBudget)
	l := startLoad(p, 150*time.Millisecond, ins...)
	w := watchHealth(ins)
	l.waitPosted(t, p, 3) // some comments before the restart
	c.redis.Restart(t)
	l.waitPosted(t, p, 5) // and some after
	l.end(t)
	seen := w.stop()
	waitHealthy(t, ins, 20*time.Second)
	p.post(t, ins[2].base())
	publishBreaking(t, ins[0], "After the Redis restart")
	waitShows(t, views, p.ids(), "After the Redis restart", deliveryBudget)
	t.Logf("/healthz said degraded on %v; %d comments; %s", seen, len(p.ids()), summary(t, views))
}

// TestRedisPause stops Redis (SIGSTOP: connections stay open, nothing
// answers) for three seconds under load, then lets it go on (SIGCONT):
// each instance's /healthz says degraded meanwhile and ok after, by
// itself, and every tab ends with every comment once, in order, and the
// latest headline.
func TestRedisPause(t *testing.T) {
	c, ins, p, views := faultSetup(t)
	p.post(t, ins[0].base())
	publishBreaking(t, ins[1], "Before the Redis pause")
	waitShows(t, views, p.ids(), "Before the Redis pause", deliveryBudget)
	w := watchHealth(ins)
	c.redis.Pause(t)
	pausedAt := time.Now()
	l := startLoad(p, 300*time.Millisecond, ins...)
	// The outage lasts until every instance has noticed it, and 3 s at least.
	err := waitFor(nil, 20*time.Second, func() error {
		if d := w.degradedOn(); len(d) < len(ins) || time.Since(pausedAt) < 3*time.Second {
			return fmt.Errorf("degraded so far on %v", d)
		}
		return nil
	})
	c.redis.Resume(t)
	l.end(t)
	seen := w.stop()
	if err != nil {
		t.Errorf("while Redis was stopped: %v", err)
	}
	for _, in := range ins {
		if !seen[in.name] {
			t.Errorf("instance %s: /healthz never said degraded while Redis was stopped", in.name)
		}
	}
	waitHealthy(t, ins, 20*time.Second)
	p.post(t, ins[2].base())
	publishBreaking(t, ins[0], "After the Redis pause")
	waitShows(t, views, p.ids(), "After the Redis pause", deliveryBudget)
	t.Logf("%d comments; %s", len(p.ids()), summary(t, views))
}

// stuckSSE opens an SSE live connection to base that never reads: a
// socket with the smallest receive buffer, the connect request sent, and
// nothing read after. It is closed when t ends. It returns the
// connection's local port.
func stuckSSE(t *testing.T, base string, g grant) int {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1) })
		if err != nil {
			return err
		}
		return serr
	}}
	u := g.connectURL(base, g.pos)
	host := strings.TrimPrefix(base, "http://")
	conn, err := d.DialContext(t.Context(), "tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	path := strings.TrimPrefix(u, base)
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: text/event-stream\r\n\r\n", path, host, chromeUA); err != nil {
		t.Fatal(err)
	}
	return conn.LocalAddr().(*net.TCPAddr).Port
}

// unsent returns the bytes the kernel holds unsent (its send queue) on the
// loopback TCP connection from port from to port to, read from
// /proc/net/tcp: a peer that stops reading makes it grow.
func unsent(from, to int) (int64, error) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	local, remote := fmt.Sprintf("0100007F:%04X", from), fmt.Sprintf("0100007F:%04X", to)
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[1] == local && f[2] == remote {
			tx, _, _ := strings.Cut(f[4], ":")
			return strconv.ParseInt(tx, 16, 64)
		}
	}
	return 0, fmt.Errorf("no connection %s -> %s in /proc/net/tcp", local, remote)
}

// TestSlowSubscriberOnOneInstance holds a live connection on instance A
// that never reads while a flood of long comments is published through A,
// until the kernel holds hundreds of KiB unsent for it: tabs on A and on
// B still get every comment promptly. "Promptly" is within 5 s: a
// delivery held up by the stuck client waits for its blocked write (a
// second, centrifuge's write timeout) or for ever, and the 25 comments
// posted between two checks pile such waits up; a starved machine (-race,
// other tests) can take a couple of seconds to show one in the tabs.
func TestSlowSubscriberOnOneInstance(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a := ins[0]
	slug := articleSlug(t, a)
	stuck := stuckSSE(t, a.base(), articleGrant(t, a.base(), slug))
	var views []view
	for _, in := range ins {
		tb := newTab(t, "article via "+in.name)
		tb.open(t, in.base()+"/article/"+slug)
		views = append(views, view{tab: tb, comments: true})
	}
	p := newPoster(t, a, slug)
	p.text = strings.Repeat("Lorem ipsum dolor sit amet, é ", 66) // ~2000 characters, ~2 KiB of UTF-8 each
	const backlog = 256 << 10
	var worst time.Duration
	var held int64
	for i := 0; i < 600 && held < backlog; i++ {
		id := p.post(t, a.base())
		if i%25 != 0 {
			continue
		}
		sent := time.Now()
		for _, v := range views {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			err := v.tab.Poll(ctx, fmt.Sprintf(`!!document.querySelector('[data-live-key="%s"]')`, id))
			cancel()
			if err != nil {
				t.Fatalf("tab %s: comment %d: %v", v.tab.Name, i+1, err)
			}
		}
		worst = max(worst, time.Since(sent))
		n, err := unsent(a.port, stuck)
		if err != nil {
			t.Fatalf("the client that does not read: %v", err)
		}
		held = n
	}
	slow, _ := a.metric("bigpipe_live_slow_disconnects_total")
	t.Logf("%d comments through A; %d KiB unsent to the stuck client; slow disconnects on A: %v; slowest comment to show in both tabs: %v",
		len(p.ids()), held>>10, slow, worst.Round(time.Millisecond))
	if held < backlog && slow == 0 {
		t.Errorf("the client that does not read holds only %d KiB unsent and was not cut off: the test did not make it slow", held>>10)
	}
	waitShows(t, views, p.ids(), "", deliveryBudget)
	if worst > 5*time.Second {
		t.Errorf("a comment took %v to show in the tabs while a client of A was stuck", worst)
	}
}

// TestNoStickySessions connects a raw SSE client (as any Centrifuge SDK
// could) to instance A with the token and position an article page of A
// gave, lets it receive two comments, drops it, posts two more, and
// reconnects it to instance B from its last position: B accepts A's token
// and sends exactly the two it missed, recovered, then the next one live.
func TestNoStickySessions(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a, b := ins[0], ins[1]
	slug := articleSlug(t, a)
	g := articleGrant(t, a.base(), slug)
	p := newPoster(t, a, slug)

	first := dialSSE(t, a.base(), g, g.pos)
	want := []string{p.post(t, a.base()), p.post(t, b.base())}
	first.waitPubs(t, 2, 10*time.Second)
	if got := first.keys(); !slices.Equal(got, want) {
		t.Fatalf("on A the client received %v, want %v", got, want)
	}
	first.close()
	last := first.pos

	missed := []string{p.post(t, b.base()), p.post(t, a.base())}
	second := dialSSE(t, b.base(), g, last)
	if !second.recovered {
		t.Errorf("on B the client resuming from %+v was not recovered", last)
	}
	if got := second.keys(); !slices.Equal(got, missed) {
		t.Errorf("on B the client recovered %v, want exactly the missed %v", got, missed)
	}
	live := p.post(t, a.base())
	second.waitPubs(t, 3, 10*time.Second)
	if got := second.keys(); !slices.Equal(got, append(missed, live)) {
		t.Errorf("on B the client then received %v, want %v", got, append(missed, live))
	}
}
