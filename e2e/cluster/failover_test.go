package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
)

// Redis failover (issue 26): a primary, a replica and three sentinels
// (redistest.StartFailover) behind -redis redis+sentinel://…, two
// instances with the simulator on, tabs on each, and comments and messages
// posted through both while the primary dies (SIGKILL) or stalls (SIGSTOP
// for 10 s, then SIGCONT: the sentinels fail over meanwhile and the old
// primary comes back as a replica). What must hold:
//
//   - every comment and message is answered 2xx (the store has it; a
//     publication that fails is retried until the broker takes it);
//   - each instance's /healthz says degraded while it cannot reach a
//     primary, and ok again by itself after the failover;
//   - every tab ends showing what a reload shows, each item once, in
//     order: recovered from the promoted replica's history, or refetched;
//   - the front pages take the simulator's updates again.
//
// The time from the fault until publications flow again is logged
// ("failover: …"), measured twice: until a publication is accepted again
// (the admin's breaking news on each instance) and until a comment posted
// after the fault shows in every article tab.

// seenScript records, in the page, when each element with a
// data-live-key first appeared: window.__seen = {key: ms since the epoch}.
const seenScript = `window.__seen = {};
new MutationObserver(() => {
	for (const e of document.querySelectorAll('[data-live-key]')) {
		if (!(e.dataset.liveKey in window.__seen)) window.__seen[e.dataset.liveKey] = Date.now();
	}
}).observe(document, {subtree: true, childList: true});`

// faultTabTimeout bounds everything a fault test does in one tab: longer
// than tabTimeout, for a fault that lasts 10 s and a failover after it.
const faultTabTimeout = 3 * time.Minute

// seenTab is a tab that records its live events and when each live item
// appeared, with scripts more (recordFrames).
func seenTab(t *testing.T, name string, scripts ...string) *tab {
	t.Helper()
	tb := &tab{chromium.NewTab(t, name, faultTabTimeout)}
	for _, src := range append([]string{liveEvents, seenScript}, scripts...) {
		if _, err := chromedp.Call(tb.Ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
		}
	}
	return tb
}

// showsMessages waits, up to d, until tb shows exactly want, in order,
// and fails t saying what it shows if not.
func showsMessages(t *testing.T, tb *tab, want []string, d time.Duration) {
	t.Helper()
	js, _ := json.Marshal(want)
	ctx, cancel := context.WithTimeout(tb.Ctx, d)
	defer cancel()
	if err := tb.Poll(ctx, `JSON.stringify(`+messageKeys+`) === JSON.stringify(`+string(js)+`)`); err != nil {
		got := eval[[]string](t, tb, messageKeys)
		ev := tb.events(t)
		t.Errorf("tab %s shows messages %v; want %v (missing %v) (live %+v; last events %+v)", tb.Name, got, want, missing(want, got), tb.liveState(t), ev[max(0, len(ev)-10):])
	}
}

// seenAt returns when key first showed in tb, if it did.
func seenAt(t *testing.T, tb *tab, key string) (time.Time, bool) {
	t.Helper()
	ms := eval[int64](t, tb, fmt.Sprintf(`(window.__seen || {})[%q] || 0`, key))
	return time.UnixMilli(ms), ms != 0
}

// failoverScene is what the failover tests run: the Redis setup, two
// instances, a poster and a messenger, and the tabs.
type failoverScene struct {
	redis    *redistest.Failover
	ins      []*instance
	poster   *poster
	msgs     *messenger
	articles []*tab // an article tab on each instance
	bobs     []*tab // Bob's conversation with Ada on each instance
	fronts   []*tab // a front page on each instance
}

func startFailoverScene(t *testing.T) *failoverScene {
	t.Helper()
	c := newCluster(t)
	f := redistest.StartFailover(t, c.redis)
	ins := c.add(2, "-redis", f.URL(), "-live-sim=true")
	c.startAll(t)
	s := &failoverScene{redis: f, ins: ins}
	slug := articleSlug(t, ins[0])
	s.poster = newPoster(t, ins[0], slug)
	ada, bob := signUp(t, ins[0].base(), "ada"+suffix()), signUp(t, ins[1].base(), "bob"+suffix())
	s.msgs = newMessenger(t, ins[0].base(), ada, bob)
	for _, in := range ins {
		a := seenTab(t, "article via "+in.name)
		a.open(t, in.base()+"/article/"+slug)
		s.articles = append(s.articles, a)
		b := seenTab(t, "Bob via "+in.name, recordFrames)
		b.as(t, bob)
		b.open(t, in.base()+"/messages/"+ada.name)
		s.bobs = append(s.bobs, b)
		fr := seenTab(t, "front via "+in.name)
		fr.open(t, in.base()+"/")
		s.fronts = append(s.fronts, fr)
	}
	return s
}

// trySend posts one message through base and returns its failure: a
// status other than 201 too.
func (m *messenger) trySend(base string) error {
	id := fmt.Sprintf("m%s%04d", suffix(), len(m.ids))
	form := url.Values{"_token": {m.token}, "_submission": {id}, "id": {id}, "text": {"Message " + id}}
	req, _ := http.NewRequest(http.MethodPost, base+"/messages/"+m.to.name, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("message %s through %s: %w", id, base, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("message %s through %s: %d %s", id, base, res.StatusCode, body)
	}
	m.ids = append(m.ids, id)
	return nil
}

// mixedLoad posts a comment and a message through each instance in turn,
// every 150 ms, until stopped, noting every answer that is not a 2xx.
type mixedLoad struct {
	stop, done chan struct{}
	mu         sync.Mutex
	errs       []error
}

func (s *failoverScene) startLoad() *mixedLoad {
	l := &mixedLoad{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			base := s.ins[i%len(s.ins)].base()
			_, err := s.poster.tryPost(base)
			err2 := s.msgs.trySend(base)
			l.mu.Lock()
			for _, e := range []error{err, err2} {
				if e != nil {
					l.errs = append(l.errs, e)
				}
			}
			l.mu.Unlock()
			select {
			case <-l.stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()
	return l
}

// end stops the load and fails t for each answer that was not a 2xx.
func (l *mixedLoad) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	<-l.done
	for _, err := range l.errs {
		t.Errorf("not answered 2xx during the fault: %v", err)
	}
}

// publishWatch publishes a breaking headline through each instance's
// admin endpoint every 100 ms from start until each has been accepted
// once, and notes when: the moment publications flow again there.
func publishWatch(ins []*instance, start time.Time, d time.Duration) map[string]time.Duration {
	out := make(map[string]time.Duration)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			for i := 0; time.Since(start) < d; i++ {
				if tryPublishBreaking(in, fmt.Sprintf("Failover probe %d through %s", i, in.name)) == nil {
					mu.Lock()
					out[in.name] = time.Since(start)
					mu.Unlock()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	return out
}

// firstShown returns how long after start the first of the comments ids
// (posted after start) showed in tb.
func firstShown(t *testing.T, tb *tab, ids []string, start time.Time) (time.Duration, bool) {
	t.Helper()
	var first time.Time
	for _, id := range ids {
		at, ok := seenAt(t, tb, id)
		if ok && at.After(start) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first.Sub(start), !first.IsZero()
}

var liveKey = regexp.MustCompile(`class="pl-(?:comments|messages)__item"[^>]*data-live-key="([^"]+)"`)

// reloadKeys returns the comment or message keys a fresh load of path
// through base shows, in order, as client (nil: anonymous).
func reloadKeys(t *testing.T, client *http.Client, base, path string) []string {
	t.Helper()
	if client == nil {
		client = plainClient
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("reload %s%s: %v", base, path, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var keys []string
	for _, m := range liveKey.FindAllStringSubmatch(string(body), -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// converge waits until every tab shows what a reload shows, each item
// once, in order, and that is everything answered 2xx.
func (s *failoverScene) converge(t *testing.T) {
	t.Helper()
	slug := s.poster.slug
	stored := reloadKeys(t, nil, s.ins[1].base(), "/article/"+slug)
	if !slices.Equal(stored, s.poster.ids()) {
		t.Errorf("a reload of the article shows %d comments, %d were answered 2xx; missing %v", len(stored), len(s.poster.ids()), missing(s.poster.ids(), stored))
	}
	var views []view
	for _, a := range s.articles {
		views = append(views, view{tab: a, comments: true})
	}
	waitShows(t, views, stored, "", deliveryBudget)
	// A reload shows the latest 50 messages; an open conversation keeps
	// the older ones it showed, and adds each new one once, in order.
	shown := reloadKeys(t, s.msgs.to.client(s.ins[0].base()), s.ins[0].base(), "/messages/"+s.msgs.from.name)
	want := s.msgs.ids[max(0, len(s.msgs.ids)-50):]
	if !slices.Equal(shown, want) {
		t.Errorf("a reload of Bob's conversation shows %d messages, want the last %d answered 2xx; missing %v", len(shown), len(want), missing(want, shown))
	}
	for _, b := range s.bobs {
		showsMessages(t, b, s.msgs.ids, deliveryBudget)
	}
}

// waitFrontsUpdate waits until every front-page tab has applied more live
// updates than applied says it had: the simulator's reach them again.
func (s *failoverScene) waitFrontsUpdate(t *testing.T, applied []int) {
	t.Helper()
	for i, fr := range s.fronts {
		ctx, cancel := context.WithTimeout(t.Context(), deliveryBudget)
		err := fr.Poll(ctx, fmt.Sprintf(`window.bigPipe.liveState.applied > %d`, applied[i]))
		cancel()
		if err != nil {
			t.Errorf("front tab %s: no live update applied after the failover (live %+v)", fr.Name, fr.liveState(t))
		}
	}
}

func (s *failoverScene) applied(t *testing.T) []int {
	var n []int
	for _, fr := range s.fronts {
		n = append(n, fr.liveState(t).Applied)
	}
	return n
}

// runFailover stages fault on the scene's primary under load, then checks
// and logs the outcome (see the top of this file).
// fault returns how long after start every sentinel named the replica as
// the primary.
func runFailover(t *testing.T, name string, fault func(s *failoverScene, start time.Time) time.Duration) {
	s := startFailoverScene(t)
	s.poster.post(t, s.ins[1].base())
	if err := s.msgs.trySend(s.ins[0].base()); err != nil {
		t.Fatal(err)
	}
	s.converge(t)
	w := watchHealth(s.ins)
	l := s.startLoad()
	l0 := len(s.poster.ids())
	if err := waitFor(nil, 30*time.Second, func() error {
		if len(s.poster.ids()) < l0+3 {
			return errNotYet
		}
		return nil
	}); err != nil {
		t.Fatalf("load before the fault: %v", err)
	}
	before := len(s.poster.ids())
	start := time.Now()
	watched := make(chan map[string]time.Duration, 1)
	go func() { watched <- publishWatch(s.ins, start, 60*time.Second) }() // ends within 60 s
	promoted := fault(s, start)
	accepted := <-watched
	if err := waitFor(nil, 30*time.Second, func() error {
		if len(s.poster.ids()) < before+6 {
			return errNotYet
		}
		return nil
	}); err != nil {
		t.Errorf("load after the fault: %v", err)
	}
	l.end(t)
	applied := s.applied(t)
	seen := w.stop()
	waitHealthy(t, s.ins, 30*time.Second)
	s.converge(t)
	s.waitFrontsUpdate(t, applied)

	after := s.poster.ids()[before:]
	var shown []string
	var worst time.Duration
	for _, a := range s.articles {
		d, ok := firstShown(t, a, after, start)
		if !ok {
			t.Errorf("tab %s: no comment posted after the fault has shown", a.Name)
			continue
		}
		worst = max(worst, d)
		shown = append(shown, fmt.Sprintf("%s %v", a.Name, d.Round(time.Millisecond)))
	}
	for _, in := range s.ins {
		if _, ok := accepted[in.name]; !ok {
			t.Errorf("instance %s: no publication accepted within 60 s of the fault", in.name)
		}
	}
	if worst > 60*time.Second {
		t.Errorf("publications flowed again only %v after the fault, want within 60 s", worst)
	}
	var acc []string
	for _, in := range s.ins {
		acc = append(acc, fmt.Sprintf("%s %v", in.name, accepted[in.name].Round(time.Millisecond)))
	}
	js, _ := json.Marshal(seen)
	t.Logf("failover (%s): replica promoted by every sentinel %v after the fault; publication accepted again: %s; first comment posted after the fault shown: %s; "+
		"/healthz degraded on %s; %d comments, %d messages, all 2xx; %s",
		name, promoted.Round(time.Millisecond), strings.Join(acc, ", "), strings.Join(shown, ", "), js,
		len(s.poster.ids()), len(s.msgs.ids), summary(t, append(articleViews(s.articles), articleViews(s.bobs)...)))
}

func articleViews(tabs []*tab) []view {
	var v []view
	for _, tb := range tabs {
		v = append(v, view{tab: tb})
	}
	return v
}

// TestRedisFailoverKill kills the Redis primary (SIGKILL) while comments,
// messages and the simulator's updates flow (see runFailover).
func TestRedisFailoverKill(t *testing.T) {
	runFailover(t, "primary killed", func(s *failoverScene, start time.Time) time.Duration {
		if err := s.redis.Primary.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		s.redis.WaitPrimary(t, s.redis.Replica.Addr, 60*time.Second)
		return time.Since(start)
	})
}

// TestRedisFailoverStall stops the Redis primary (SIGSTOP) for 10 s, then
// lets it go on (SIGCONT): the sentinels fail over meanwhile, and the old
// primary comes back as a replica of the new one (see runFailover).
func TestRedisFailoverStall(t *testing.T) {
	runFailover(t, "primary stalled 10 s", func(s *failoverScene, start time.Time) time.Duration {
		s.redis.Primary.Pause(t)
		stopped := time.Now()
		t.Cleanup(func() { _ = s.redis.Primary.Signal(syscall.SIGCONT) })
		s.redis.WaitPrimary(t, s.redis.Replica.Addr, 30*time.Second)
		promoted := time.Since(start)
		time.Sleep(time.Until(stopped.Add(10 * time.Second))) // the stall lasts 10 s: a duration, not a synchronisation
		s.redis.Primary.Resume(t)
		if err := waitFor(nil, 30*time.Second, func() error {
			info, err := s.redis.Primary.Info("replication")
			if err != nil || info["role"] != "slave" {
				return fmt.Errorf("old primary: role %q (%v)", info["role"], err)
			}
			return nil
		}); err != nil {
			t.Errorf("after SIGCONT the old primary did not become a replica: %v", err)
		}
		return promoted
	})
}
