package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordFrames keeps, in the page, every message its live connection
// receives, before the live client sees it: window.__frames. A reader's
// tab that was never sent something has no frame holding it, whatever
// its DOM shows.
const recordFrames = `window.__frames = [];
(() => {
  const ES = window.EventSource;
  window.EventSource = function (url, opts) {
    const es = new ES(url, opts);
    es.addEventListener('message', (e) => window.__frames.push(e.data));
    return es;
  };
  window.EventSource.prototype = ES.prototype;
})();`

// readerTab opens a tab signed in as r, recording its live frames.
func readerTab(t *testing.T, name string, r reader) *tab {
	t.Helper()
	tb := newTab(t, name)
	if _, err := chromedp.Call(tb.Ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: recordFrames}); err != nil {
		t.Fatal(err)
	}
	tb.as(t, r)
	return tb
}

// count is how many elements match selector in tb's page.
func count(t *testing.T, tb *tab, selector string) int {
	t.Helper()
	return eval[int](t, tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, selector))
}

// framesWith is how many live frames tb's connection received that hold s.
func framesWith(t *testing.T, tb *tab, s string) int {
	t.Helper()
	return eval[int](t, tb, fmt.Sprintf(`(window.__frames || []).filter((f) => f.includes(%q)).length`, s))
}

// TestMessageReachesBothReadersOnly checks a message across instances in
// Chromium: Ada and Bob each have their conversation open on A and on B;
// Ada sends from her tab on A; the message shows once in all four tabs.
// Carol, with tabs on both instances, never receives it: not in her DOM,
// not in her connection's frames.
func TestMessageReachesBothReadersOnly(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a, b := ins[0], ins[1]
	ada, bob, carol := signUp(t, a.base(), "ada"+suffix()), signUp(t, b.base(), "bob"+suffix()), signUp(t, a.base(), "carol"+suffix())

	type open struct {
		tb   *tab
		url  string
		gets bool // should show the message
	}
	tabs := []open{
		{readerTab(t, "Ada on A", ada), a.base() + "/messages/" + bob.name, true},
		{readerTab(t, "Ada on B", ada), b.base() + "/messages/" + bob.name, true},
		{readerTab(t, "Bob on A", bob), a.base() + "/messages/" + ada.name, true},
		{readerTab(t, "Bob on B", bob), b.base() + "/messages/" + ada.name, true},
		{readerTab(t, "Carol on A", carol), a.base() + "/messages/" + ada.name, false},
		{readerTab(t, "Carol on B", carol), b.base() + "/", false},
	}
	for _, o := range tabs {
		o.tb.open(t, o.url)
	}
	text := "Tea at four? " + suffix()
	sender := tabs[0].tb
	if err := chromedp.Do(sender.Ctx, chromedp.SendKeys(`#message-form textarea[name=text]`, text)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(sender.Ctx, chromedp.Click(`#message-form .message-form__submit`)); err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprintf(`Array.from(document.querySelectorAll('#messages li[data-live-key]')).filter((e) => e.textContent.includes(%q)).length`, text)
	for _, o := range tabs[:4] {
		if err := o.tb.Poll(o.tb.Ctx, shown+` === 1`); err != nil {
			t.Fatalf("tab %s: the message is not shown once: %d times (%v)", o.tb.Name, eval[int](t, o.tb, shown), err)
		}
	}
	// Give a wrong delivery every chance to arrive before looking.
	time.Sleep(time.Second)
	for _, o := range tabs {
		n, frames := eval[int](t, o.tb, shown), framesWith(t, o.tb, text)
		switch {
		case o.gets && (n != 1 || frames == 0):
			// frames > 0 also shows the recorder sees what the connection gets.
			t.Errorf("tab %s shows the message %d times (want once), received it in %d frames", o.tb.Name, n, frames)
		case !o.gets && (n != 0 || frames != 0):
			t.Errorf("tab %s (not a party) shows the message %d times, received it in %d frames", o.tb.Name, n, frames)
		}
	}
}

// suffix makes names and texts of one run unique.
func suffix() string { return strings.ToLower(fmt.Sprintf("%x", time.Now().UnixNano()%0xffffff)) }

// TestReplyNotifiesOnlyTheAuthor checks a notification across instances:
// Ada comments; Bob answers her comment through B; Ada's front pages on A
// and B show one unread notification, once; Carol's front page neither
// shows nor receives it.
func TestReplyNotifiesOnlyTheAuthor(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a, b := ins[0], ins[1]
	slug := articleSlug(t, a)
	ada, bob, carol := signUp(t, a.base(), "ada"+suffix()), signUp(t, b.base(), "bob"+suffix()), signUp(t, b.base(), "carol"+suffix())
	adaA, adaB, carolA := readerTab(t, "Ada on A", ada), readerTab(t, "Ada on B", ada), readerTab(t, "Carol on A", carol)
	adaA.open(t, a.base()+"/")
	adaB.open(t, b.base()+"/")
	carolA.open(t, a.base()+"/")

	first := postComment(t, a.base(), slug, ada, "", "First, and proud of it.")
	postComment(t, b.base(), slug, bob, first, "Answering Ada "+suffix())
	const unread = `+((document.querySelector('#notifications .unread-count') || {dataset: {}}).dataset.unread || 0)`
	for _, tb := range []*tab{adaA, adaB} {
		if err := tb.Poll(tb.Ctx, unread+` === 1`); err != nil {
			t.Fatalf("tab %s: unread notifications %d, want 1: %v", tb.Name, eval[int](t, tb, unread), err)
		}
		if n := count(t, tb, `#notifications li[data-notice-id="reply:`+first+`"], #notifications li[data-notice-id]`); n < 1 {
			t.Errorf("tab %s lists no notification", tb.Name)
		}
	}
	time.Sleep(time.Second)
	if f := framesWith(t, adaA, "Answering Ada"); f == 0 {
		t.Errorf("Ada's tab on A: the notification in no frame of its connection")
	}
	if n, f := eval[int](t, carolA, unread), framesWith(t, carolA, "Answering Ada"); n != 0 || f != 0 {
		t.Errorf("Carol's tab: %d unread, %d frames with the reply's notification; want none", n, f)
	}
}

// postComment posts a comment on slug through base as r (answering the
// comment replyTo unless empty) and returns its id.
func postComment(t *testing.T, base, slug string, r reader, replyTo, text string) string {
	t.Helper()
	client := r.client(base)
	res, err := client.Get(base + "/article/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok := tokenField.FindSubmatch(body)
	if tok == nil {
		t.Fatalf("GET /article/%s as %s: no comment form", slug, r.name)
	}
	id := "c" + suffix() + r.name
	form := url.Values{"_token": {string(tok[1])}, "_submission": {id}, "text": {text}}
	if replyTo != "" {
		form.Set("reply_to", replyTo)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/article/"+slug+"/comments", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("comment by %s: %d %s", r.name, res.StatusCode, body)
	}
	return id
}

// messenger posts messages as one reader to another through any instance,
// as a browser without JavaScript would, and remembers their ids in the
// order the site stored them.
type messenger struct {
	from, to reader
	client   *http.Client
	token    string
	ids      []string
}

func newMessenger(t *testing.T, base string, from, to reader) *messenger {
	t.Helper()
	m := &messenger{from: from, to: to, client: from.client(base)}
	res, err := m.client.Get(base + "/messages/" + to.name)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok := tokenField.FindSubmatch(body)
	if tok == nil {
		t.Fatalf("GET /messages/%s as %s: %d, no form", to.name, from.name, res.StatusCode)
	}
	m.token = string(tok[1])
	return m
}

// send posts n messages through base, one after the other.
func (m *messenger) send(t *testing.T, base string, n int) {
	t.Helper()
	for range n {
		id := fmt.Sprintf("m%s%04d", suffix(), len(m.ids))
		form := url.Values{"_token": {m.token}, "_submission": {id}, "id": {id}, "text": {"Message " + id}}
		req, _ := http.NewRequest(http.MethodPost, base+"/messages/"+m.to.name, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		res, err := m.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("message %s: %d %s", id, res.StatusCode, body)
		}
		m.ids = append(m.ids, id)
	}
}

// messageKeys is the expression for the keys of the messages a page
// shows, in order.
const messageKeys = `Array.from(document.querySelectorAll('#messages li[data-live-key]')).map((e) => e.dataset.liveKey)`

// waitMessages waits until tb shows exactly want, in order.
func waitMessages(t *testing.T, tb *tab, want []string) {
	t.Helper()
	js, _ := json.Marshal(want) // a JSON array is a JavaScript one
	if err := tb.Poll(tb.Ctx, `JSON.stringify(`+messageKeys+`) === JSON.stringify(`+string(js)+`)`); err != nil {
		t.Fatalf("tab %s shows %v, want %d messages in order %v…: %v", tb.Name, eval[[]string](t, tb, messageKeys), len(want), want[:min(3, len(want))], err)
	}
}

// TestMessagesSurviveCutOff checks that nothing is lost for a recipient
// whose tab was cut off: Bob reads the conversation on B; B is killed,
// then later stopped for a deploy, while Ada sends through A; each time
// B is back, Bob's tab shows every message once, in order, recovered
// from the channel's history. Cut off for longer than the history keeps
// (more than 200 messages), it refetches the conversation instead.
func TestMessagesSurviveCutOff(t *testing.T) {
	c := newCluster(t)
	ins := c.add(2)
	c.startAll(t)
	a, b := ins[0], ins[1]
	ada, bob := signUp(t, a.base(), "ada"+suffix()), signUp(t, b.base(), "bob"+suffix())
	m := newMessenger(t, a.base(), ada, bob)
	m.send(t, a.base(), 2)

	tb := readerTab(t, "Bob on B", bob)
	tb.open(t, b.base()+"/messages/"+ada.name)
	waitMessages(t, tb, m.ids)

	b.kill9(t)
	m.send(t, a.base(), 5)
	b.start(t)
	waitMessages(t, tb, m.ids)

	b.sigterm(t)
	if _, err := b.proc().Wait(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	m.send(t, a.base(), 3)
	b.start(t)
	waitMessages(t, tb, m.ids)
	if st := tb.liveState(t); st.Refetches != 0 || st.Stopped {
		t.Errorf("Bob's tab after a crash and a deploy: %+v, want recovered (no refetch), live", st)
	}

	long := readerTab(t, "Bob on B, away long", bob)
	long.open(t, b.base()+"/messages/"+ada.name)
	b.kill9(t)
	m.send(t, a.base(), 205)
	b.start(t)
	waitMessages(t, long, m.ids[len(m.ids)-50:]) // the page shows the latest 50
	if st := long.liveState(t); st.Refetches == 0 {
		t.Errorf("Bob's tab away for 205 messages: %+v, want a refetch (the history keeps 200)", st)
	}
}
