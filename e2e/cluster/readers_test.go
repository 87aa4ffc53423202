package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// reader is an account of the site, signed up through one instance: its
// session cookie is good on every instance (PostgreSQL keeps sessions).
type reader struct {
	name, session string
}

var (
	tokenField      = regexp.MustCompile(`name="_token" value="([^"]+)"`)
	submissionField = regexp.MustCompile(`name="_submission" value="([^"]+)"`)
)

// signUp makes the account name through base, as a browser without
// JavaScript would (GET the form, POST it), and returns its session.
func signUp(t *testing.T, base, name string) reader {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/account/signup")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok, sub := tokenField.FindSubmatch(body), submissionField.FindSubmatch(body)
	if tok == nil || sub == nil {
		t.Fatalf("GET /account/signup: %d, no form fields", res.StatusCode)
	}
	form := url.Values{"_token": {string(tok[1])}, "_submission": {string(sub[1])}, "name": {name},
		"password": {"correct horse battery " + name}, "next": {"/"}}
	res, err = client.PostForm(base+"/account/signup", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /account/signup %s: %d", name, res.StatusCode)
	}
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "dp_session" {
			return reader{name: name, session: c.Value}
		}
	}
	t.Fatalf("sign-up of %s set no session cookie", name)
	return reader{}
}

// client is an HTTP client signed in as r on base (and, cookies not
// telling ports apart, on every instance), that does not follow
// redirects: a test reads the 303 itself.
func (r reader) client(base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base)
	jar.SetCookies(u, []*http.Cookie{{Name: "dp_session", Value: r.session, Path: "/"}})
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// as gives tb r's session cookie, as if r had signed in in that browser.
// Cookies do not tell ports apart: it is good for every instance.
func (tb *tab) as(t *testing.T, r reader) {
	t.Helper()
	httpOnly := true
	_, err := chromedp.Call(tb.Ctx, network.SetCookie, network.SetCookieParams{Name: "dp_session", Value: r.session,
		Domain: "127.0.0.1", Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax})
	if err != nil {
		t.Fatalf("tab %s: set cookie: %v", tb.Name, err)
	}
}

// TestSignOutEndsLiveEverywhere checks signing out across instances: Ada
// has an article open on A and on B; she signs out in the tab on A; her
// tab on B is closed by the server within a second (4501: it stops, and
// does not reconnect), and the token that tab's page carried, replayed,
// connects to neither instance. Bob's tab, on B too, stays live.
func TestSignOutEndsLiveEverywhere(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a, b := ins[0], ins[1]
	slug := articleSlug(t, a)
	ada, bob := signUp(t, a.base(), "ada_lovelace"), signUp(t, b.base(), "bob_shaw")

	onA, onB, bobTab := newTab(t, "Ada on A"), newTab(t, "Ada on B"), newTab(t, "Bob on B")
	onA.as(t, ada)
	onB.as(t, ada)
	bobTab.as(t, bob)
	for _, x := range []struct {
		tb   *tab
		base string
	}{{onA, a.base()}, {onB, b.base()}, {bobTab, b.base()}} {
		x.tb.open(t, x.base+"/article/"+slug)
	}
	if who := eval[string](t, onB, `(document.querySelector('.account-box__name') || {}).textContent || ''`); who != "ada_lovelace" {
		t.Fatalf("Ada's tab on B shows %q as the reader", who)
	}
	token := eval[string](t, onB, `window.bigPipe.liveCfg.token`)

	// Sign out in the tab on A, as she would: the account box's button.
	signedOut := time.Now()
	if err := chromedp.Do(onA.Ctx, chromedp.Click(".account-box__button")); err != nil {
		t.Fatal(err)
	}
	if err := onB.Poll(onB.Ctx, `window.bigPipe.liveState.stopped`); err != nil {
		t.Fatalf("Ada's tab on B still live after she signed out on A: %v", err)
	}
	if d := time.Since(signedOut); d > 5*time.Second {
		t.Errorf("Ada's tab on B stopped %v after the click", d)
	}
	var code int
	for _, e := range onB.events(t) {
		if e.Type == "disconnected" {
			code = e.Code
		}
	}
	if code != 4501 {
		t.Errorf("Ada's tab on B was disconnected with %d, want 4501 (session ended)", code)
	}
	for _, in := range ins {
		if got := replayToken(t, in.base(), token); got != 4501 {
			t.Errorf("Ada's token replayed on %s after sign-out: %d, want 4501", in.name, got)
		}
	}
	// The replay is refused for the session, not for being a replay: Bob's
	// token, replayed, connects.
	if got := replayToken(t, a.base(), eval[string](t, bobTab, `window.bigPipe.liveCfg.token`)); got != 0 {
		t.Errorf("Bob's token replayed: refused with %d, want connected", got)
	}
	if st := bobTab.liveState(t); st.Stopped || st.Connects != 1 {
		t.Errorf("Bob's tab: %+v, want connected once, not stopped", st)
	}
}

// disconnectCode matches the code of a disconnect in an SSE frame.
var disconnectCode = regexp.MustCompile(`"disconnect":\{"code":(\d+)`)

// replayToken connects to base's SSE endpoint with tok and returns the
// disconnect code it is refused with, or 0 if it connected.
func replayToken(t *testing.T, base, tok string) int {
	t.Helper()
	cmd := fmt.Sprintf(`{"id":1,"connect":{"token":%q,"name":"replay"}}`, tok)
	res, err := plainClient.Get(base + "/_live/sse?cf_connect=" + url.QueryEscape(cmd))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		frame, ok := strings.CutPrefix(sc.Text(), "data: ")
		switch {
		case !ok:
		case strings.Contains(frame, `"connect":{`):
			return 0
		case disconnectCode.MatchString(frame):
			code, _ := strconv.Atoi(disconnectCode.FindStringSubmatch(frame)[1])
			return code
		}
	}
	t.Fatalf("replayed token on %s: the stream ended without a connect or a disconnect: %v", base, sc.Err())
	return 0
}

// TestReadingNowAcrossInstances checks an article's "readers now" through
// Redis: a tab on A and a tab on B of the same article each come to show
// 2, and 1 once the tab on B is gone.
func TestReadingNowAcrossInstances(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	slug := articleSlug(t, ins[0])
	onA, onB := newTab(t, "on A"), newTab(t, "on B")
	onA.open(t, ins[0].base()+"/article/"+slug)
	onB.open(t, ins[1].base()+"/article/"+slug)
	const shown = `((document.querySelector('#reading .reading-now') || {}).textContent || '')`
	// Each wait is bounded below the tabs' own timeout, so that a failure
	// can still say what both tabs show; past presenceRecheck (30 s) every
	// instance counts its channels again, however a report was lost.
	const wait = 45 * time.Second
	fail := func(format string, args ...any) {
		t.Helper()
		for _, tb := range []*tab{onA, onB} {
			state, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[map[string]any](`({shown: `+shown+`, live: (window.bigPipe || {}).liveState, events: window.__live || []})`))
			t.Logf("tab %s: %+v %v", tb.Name, state, err)
		}
		t.Fatalf(format, args...)
	}
	poll := func(tb *tab, expr string) error {
		ctx, cancel := context.WithTimeout(tb.Ctx, wait)
		defer cancel()
		return tb.Poll(ctx, expr)
	}
	for _, tb := range []*tab{onA, onB} {
		if err := poll(tb, shown+`.includes('2 readers now')`); err != nil {
			fail("tab %s does not show 2 readers now within %s: %v", tb.Name, wait, err)
		}
	}
	if err := chromedp.Do(onB.Ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if err := poll(onA, shown+`.includes('1 reader now')`); err != nil {
		fail("tab on A does not show 1 reader now within %s of B leaving: %v", wait, err)
	}
}
