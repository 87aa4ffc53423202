package pages_test

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
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/pages"
)

// directory is the readers the tests' site knows: id → display name.
type directory map[string]string

func (d directory) Lookup(_ context.Context, name string) (string, string, bool, error) {
	id := strings.ToLower(name)
	display, ok := d[id]
	return id, display, ok, nil
}

var readers = directory{"ada": "Ada", "bob": "Bob", "carol": "Carol", "eve": hostileName}

// sessionCookie is the tests' session: its value is the reader id. The
// site's own middleware (package accounts) looks sessions up; this one
// stands in for it.
const sessionCookie = "test_session"

func withSessions(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			r = r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: c.Value, Session: "s-" + c.Value}))
		}
		h.ServeHTTP(w, r)
	})
}

// newMailSite is a live site with readers: the directory above, and
// sessions by withSessions.
func newMailSite(t *testing.T) *liveSite {
	t.Helper()
	return newLiveSiteWrapped(t, withSessions, pages.WithDirectory(readers), pages.WithCommentRate(0, 0))
}

// signedIn is a browser signed in as the reader id.
func signedIn(t testing.TB, ls *liveSite, id string) *reader {
	t.Helper()
	rd := newReader(t, ls)
	u, _ := url.Parse(ls.srv.URL)
	rd.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: id, Path: "/"}})
	return rd
}

// get GETs path as a browser with ua and returns the response, its body
// read.
func (rd *reader) get(path, ua string) (*http.Response, string) {
	rd.t.Helper()
	req, _ := http.NewRequestWithContext(rd.t.Context(), "GET", rd.ls.srv.URL+path, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := rd.client.Do(req)
	if err != nil {
		rd.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// messageForm loads the conversation with name and returns its form's
// fields with a text.
func (rd *reader) messageForm(name string) url.Values {
	rd.t.Helper()
	body := rd.page("/messages/"+name, crawlerUA, "inorder")
	csrf, id := csrfField.FindStringSubmatch(body), idField.FindStringSubmatch(body)
	if csrf == nil || id == nil {
		rd.t.Fatalf("no message form with csrf and id fields on /messages/%s", name)
	}
	return url.Values{form.TokenField: {csrf[1]}, form.IDField: {id[1]}, "text": {"Hello there."}}
}

// send posts the message form f to the conversation with name.
func (rd *reader) send(name string, f url.Values, header ...string) (*http.Response, string) {
	rd.t.Helper()
	return rd.postTo("/messages/"+name, f, header...)
}

func (rd *reader) postTo(path string, f url.Values, header ...string) (*http.Response, string) {
	rd.t.Helper()
	req, _ := http.NewRequestWithContext(rd.t.Context(), "POST", rd.ls.srv.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", chromeUA)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := rd.client.Do(req)
	if err != nil {
		rd.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// conversation returns the ids of the messages between a and b, in order.
func conversation(t *testing.T, ls *liveSite, a, b string) []string {
	t.Helper()
	ms, err := ls.st.Conversation(t.Context(), a, b, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, m := range ms {
		if m.Seq != uint64(i+1) {
			t.Errorf("message %s has seq %d, want %d", m.ID, m.Seq, i+1)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// subscribeAs subscribes a page of the reader id to channels, granted as
// the renderer grants a page rendered for them.
func subscribeAs(t testing.TB, ls *liveSite, id string, channels ...string) *sseSub {
	t.Helper()
	g, err := ls.eng.Grant(pagelet.WithReader(t.Context(), pagelet.Reader{ID: id, Session: "s-" + id}), channels)
	if err != nil {
		t.Fatalf("Grant %v to %s: %v", channels, id, err)
	}
	return subscribeToken(t, ls, g.Token)
}

// none fails if a publication on channel arrives within d.
func (s *sseSub) none(t testing.TB, channel string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case p := <-s.pubs:
			if p.Channel == channel {
				t.Errorf("unexpected publication on %s: key %q %.200s", channel, p.Key, p.Content)
			}
		case <-deadline:
			return
		}
	}
}

// TestMessagePost posts messages of every kind and checks the answer and
// what is stored: a valid message is redirected to the conversation (303)
// and stored once however often it is posted; a refused one gets its
// status and a message saying why, and nothing is stored.
func TestMessagePost(t *testing.T) {
	ls := newMailSite(t)
	slug := firstSlug(t, ls.st, "hotnews")
	ada := signedIn(t, ls, "ada")
	base := ada.messageForm("bob")
	anon := newReader(t, ls)
	anonForm := with(anon.form(slug), "text", "Who am I?") // a valid token for its cookie, and no session
	for _, tc := range []struct {
		name     string
		by       *reader
		to       string
		form     url.Values
		status   int
		msg      string
		stored   int // messages stored between ada and bob
		storedID string
	}{
		{"valid", ada, "bob", with(base, form.IDField, "msg-valid-1"), 303, "", 1, "msg-valid-1"},
		{"same id again", ada, "bob", with(base, form.IDField, "msg-valid-1", "text", "a retry may differ"), 303, "", 0, ""},
		{"explicit id field", ada, "bob", with(base, form.IDField, "msg-sub-0002", "id", "msg-own-id-2"), 303, "", 1, "msg-own-id-2"},
		{"explicit id again, other submission", ada, "bob", with(base, form.IDField, "msg-sub-0003", "id", "msg-own-id-2"), 303, "", 0, ""},
		{"bad id field", ada, "bob", with(base, form.IDField, "msg-sub-0004", "id", "<bad id>"), 422, "8 to 64 letters", 0, ""},
		{"name in another case", ada, "BOB", with(base, form.IDField, "msg-upper-1"), 303, "", 1, "msg-upper-1"},
		{"longest text", ada, "bob", with(base, form.IDField, "msg-long-ok", "text", strings.Repeat("ü", 2000)), 303, "", 1, "msg-long-ok"},
		{"text too long", ada, "bob", with(base, form.IDField, "msg-too-long", "text", strings.Repeat("ü", 2001)), 422, "2001 characters long; at most 2000", 0, ""},
		{"empty text", ada, "bob", with(base, form.IDField, "msg-empty-0", "text", " \r\n\t "), 422, "message is empty", 0, ""},
		{"control character", ada, "bob", with(base, form.IDField, "msg-control", "text", "bell\x07"), 422, "control character (U+0007)", 0, ""},
		{"bidi override", ada, "bob", with(base, form.IDField, "msg-bidi-00", "text", "a\u202eb"), 422, "control character (U+202E)", 0, ""},
		{"invalid UTF-8", ada, "bob", with(base, form.IDField, "msg-utf8-00", "text", "caf\xc3"), 400, "not valid UTF-8", 0, ""},
		{"bad csrf", ada, "bob", with(base, form.IDField, "msg-csrf-00", form.TokenField, "forged"), 403, "did not come from this site", 0, ""},
		{"signed out", anon, "bob", with(anonForm, form.IDField, "msg-anon-00"), 401, "sign in to send messages", 0, ""},
		{"unknown reader", ada, "nobody", with(base, form.IDField, "msg-nobody0"), 404, "There is no reader named", 0, ""},
		{"to oneself", ada, "ada", with(base, form.IDField, "msg-self-00"), 400, "cannot send messages to yourself", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := conversation(t, ls, "ada", "bob")
			resp, body := tc.by.send(tc.to, tc.form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			if tc.msg != "" && !strings.Contains(body, tc.msg) {
				t.Errorf("body lacks %q: %.400s", tc.msg, body)
			}
			if tc.status == 303 {
				if loc := resp.Header.Get("Location"); loc != "/messages/bob#message-form" {
					t.Errorf("Location %q", loc)
				}
			} else if !strings.Contains(strings.ToLower(body), "<!doctype html>") || !strings.Contains(body, "not sent — The Daily Pipe</title>") {
				t.Errorf("a refusal is not a page of the site: %.300s", body)
			}
			after := conversation(t, ls, "ada", "bob")
			if len(after)-len(before) != tc.stored {
				t.Errorf("%d messages stored, want %d", len(after)-len(before), tc.stored)
			}
			if tc.storedID != "" && !slices.Contains(after, tc.storedID) {
				t.Errorf("message %s not stored: %v", tc.storedID, after)
			}
		})
	}
	t.Run("JSON", func(t *testing.T) {
		f := with(base, form.IDField, "msg-json-001")
		for i, replayed := range []string{"", "true"} { // a retry gets the first answer again
			resp, body := ada.send("bob", f, "Accept", "application/json")
			if got := resp.Header.Get("Idempotent-Replayed"); got != replayed {
				t.Errorf("post %d: Idempotent-Replayed %q, want %q", i+1, got, replayed)
			}
			var got struct {
				OK   bool
				Data struct {
					ID  string
					Seq uint64
				}
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 201 || !got.OK || got.Data.ID != "msg-json-001" || got.Data.Seq == 0 {
				t.Errorf("post %d: %d %s, want 201 ok with the id and seq", i+1, resp.StatusCode, body)
			}
		}
	})
}

// TestMessageRetriedConcurrently posts one message, by its id, from eight
// clients at once (a retry racing the first post, on any instance): it
// is stored once.
func TestMessageRetriedConcurrently(t *testing.T) {
	ls := newMailSite(t)
	ada := signedIn(t, ls, "ada")
	f := with(ada.messageForm("bob"), "id", "msg-raced-01")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			g := with(f, form.IDField, fmt.Sprintf("submission-%02d", i))
			if resp, body := ada.send("bob", g, "Accept", "application/json"); resp.StatusCode != 201 && resp.StatusCode != 200 {
				t.Errorf("post %d: %d %s", i, resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if got := conversation(t, ls, "ada", "bob"); !slices.Equal(got, []string{"msg-raced-01"}) {
		t.Errorf("stored %v, want the message once", got)
	}
}

// addMessages stores n messages between ada and bob, alternating.
func addMessages(t *testing.T, ls *liveSite, n int) {
	t.Helper()
	for i := range n {
		from, to := "ada", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		_, _, err := ls.st.AddMessage(t.Context(), store.Message{ID: fmt.Sprintf("hist-%04d", i+1), From: from, To: to,
			FromName: readers[from], ToName: readers[to], Text: fmt.Sprintf("Message number %d.", i+1), Posted: testNow.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

var liveOrder = regexp.MustCompile(`data-live-order="(\d+)"`)

// orders returns the data-live-order values in body, in document order.
func orders(body string) []string {
	var out []string
	for _, m := range liveOrder.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func seqs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

// TestConversationPage: the conversation shows its newest 50 messages
// oldest first, with a link to the older ones, whose page shows the rest;
// the page grants the conversation's channels to its two readers; a third
// reader, on the URL of the same name, gets their own conversation and
// none of the others'. Every such page is private.
func TestConversationPage(t *testing.T) {
	ls := newMailSite(t)
	addMessages(t, ls, 60)
	ada := signedIn(t, ls, "ada")

	plain := ada.page("/messages/bob", crawlerUA, "inorder")
	if got := orders(plain); !slices.Equal(got, seqs(11, 60)) {
		t.Errorf("newest page shows %v, want 11 to 60 in order", got)
	}
	if !strings.Contains(plain, `href="/messages/bob?before=11" rel="prev">Older messages</a>`) {
		t.Error("no link to the older messages")
	}
	older := ada.page("/messages/bob?before=11", crawlerUA, "inorder")
	if got := orders(older); !slices.Equal(got, seqs(1, 10)) {
		t.Errorf("older page shows %v, want 1 to 10", got)
	}
	if strings.Contains(older, "Older messages") || !strings.Contains(older, `href="/messages/bob">Newest messages</a>`) {
		t.Error("the oldest page links further back, or not to the newest")
	}
	if resp, body := ada.get("/messages/bob?before=x", crawlerUA); resp.StatusCode != 400 || !strings.Contains(body, "not a message number") {
		t.Errorf("?before=x: %d %.200s", resp.StatusCode, body)
	}

	pipelined := ada.page("/messages/bob", chromeUA, "pipelined")
	for _, want := range []string{`"channel":"dm#ada,bob"`, `"channel":"seen#ada,bob"`, `Messages with <span class="conversation__with">Bob</span>`} {
		if !strings.Contains(pipelined, want) {
			t.Errorf("ada's conversation page lacks %s", want)
		}
	}
	if strings.Contains(older, `"channel"`) {
		t.Error("an older page is live")
	}

	carol := signedIn(t, ls, "carol")
	theirs := carol.page("/messages/bob", chromeUA, "pipelined")
	if !strings.Contains(theirs, `"channel":"dm#bob,carol"`) || strings.Contains(theirs, "ada,") || strings.Contains(theirs, "Message number") {
		t.Error("carol's page of /messages/bob is not her own conversation alone")
	}
	if _, err := ls.eng.Grant(pagelet.WithReader(t.Context(), pagelet.Reader{ID: "carol", Session: "s-carol"}),
		[]string{ls.site.MessagesChannel("ada", "bob")}); err == nil {
		t.Error("carol was granted ada and bob's conversation")
	}
	list := carol.page("/messages", chromeUA, "pipelined")
	if !strings.Contains(list, `"channel":"convs#carol"`) || strings.Contains(list, `data-with="ada"`) || !strings.Contains(list, "No conversations yet") {
		t.Error("carol's /messages is not hers alone")
	}
	adaList := ada.page("/messages", crawlerUA, "inorder")
	if !strings.Contains(adaList, `data-with="bob"`) || !strings.Contains(adaList, "Message number 60.") {
		t.Errorf("ada's /messages lacks her conversation with bob")
	}

	for _, path := range []string{"/messages", "/messages/bob", "/messages/bob?before=11", "/"} {
		resp, _ := ada.get(path, chromeUA)
		if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("%s: Cache-Control %q, want private, no-store", path, cc)
		}
	}
}

// TestMessagesSignedOut: a signed-out reader gets a page asking them to
// sign in (401), an unknown name the 404 page, one's own name a 400 page.
func TestMessagesSignedOut(t *testing.T) {
	ls := newMailSite(t)
	anon := newReader(t, ls)
	ada := signedIn(t, ls, "ada")
	for _, tc := range []struct {
		name   string
		by     *reader
		path   string
		status int
		want   string
	}{
		{"list", anon, "/messages", 401, `href="/account/signin?next=%2Fmessages"`},
		{"conversation", anon, "/messages/bob", 401, `href="/account/signin?next=%2Fmessages%2Fbob"`},
		{"unknown reader", ada, "/messages/nobody", 404, "Page not found"},
		{"oneself", ada, "/messages/ada", 400, "cannot send messages to yourself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ua := range []string{chromeUA, crawlerUA} {
				resp, body := tc.by.get(tc.path, ua)
				if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, `<p class="masthead__name"><a href="/">The Daily Pipe</a></p>`) {
					t.Errorf("%s: %d, want %d, a page of the site with %s: %.300s", ua, resp.StatusCode, tc.status, tc.want, body)
				}
			}
		})
	}
}

// TestMessageLive: a message posted reaches a page of each reader on the
// conversation's channel once, however often it is posted, and the
// recipient's conversations list is published with it, read: their page
// has the conversation open.
func TestMessageLive(t *testing.T) {
	ls := newMailSite(t)
	ch := ls.site.MessagesChannel("ada", "bob")
	bob := subscribeAs(t, ls, "bob", ch, "convs#bob")
	adaTab := subscribeAs(t, ls, "ada", ch)
	ada := signedIn(t, ls, "ada")
	f := with(ada.messageForm("bob"), form.IDField, "live-msg-001", "text", "Are you there?")
	for range 2 {
		if resp, body := ada.send("bob", f); resp.StatusCode != 303 {
			t.Fatalf("POST: %d %.200s", resp.StatusCode, body)
		}
	}
	for who, sub := range map[string]*sseSub{"bob": bob, "ada": adaTab} {
		p := sub.next(t, ch)
		if p.Key != "live-msg-001" || !strings.Contains(p.Content, `<p class="pl-messages__text">Are you there?</p>`) ||
			!strings.Contains(p.Content, `data-live-order="1"`) {
			t.Errorf("%s got %+v", who, p)
		}
	}
	list := bob.next(t, "convs#bob")
	if !strings.Contains(list.Content, `data-with="ada" data-unread="0"`) || !strings.Contains(list.Content, "Are you there?") {
		t.Errorf("bob's conversations: %.300s", list.Content)
	}
	bob.none(t, ch, 300*time.Millisecond)
}

// TestReadReceipt: the recipient opening the conversation marks it read
// and publishes the receipt ("Seen by"); a message to a recipient who has
// the conversation open is marked read at once.
func TestReadReceipt(t *testing.T) {
	ls := newMailSite(t)
	seenCh := "seen#ada,bob"
	adaTab := subscribeAs(t, ls, "ada", seenCh)
	bobList := subscribeAs(t, ls, "bob", "convs#bob")
	ada := signedIn(t, ls, "ada")
	f := ada.messageForm("bob")
	if resp, _ := ada.send("bob", with(f, form.IDField, "receipt-0001")); resp.StatusCode != 303 {
		t.Fatal(resp.Status)
	}
	if p := adaTab.next(t, seenCh); !strings.Contains(p.Content, `<p class="pl-seen__sent">Sent</p>`) {
		t.Errorf("receipt after sending: %.300s", p.Content)
	}
	if rc, _ := ls.st.ReadUpTo(t.Context(), "bob", "ada"); rc.Seq != 0 {
		t.Errorf("bob has read %d before opening it", rc.Seq)
	}
	bobList.next(t, "convs#bob") // the message, unread

	bob := signedIn(t, ls, "bob")
	bob.page("/messages/ada", chromeUA, "pipelined")
	if rc, _ := ls.st.ReadUpTo(t.Context(), "bob", "ada"); rc.Seq != 1 {
		t.Errorf("bob's receipt after opening: %d, want 1", rc.Seq)
	}
	if p := adaTab.next(t, seenCh); !strings.Contains(p.Content, `data-seen-seq="1"`) ||
		!strings.Contains(p.Content, `data-seen-by="bob">Seen by <span class="pl-seen__name">Bob</span> at`) {
		t.Errorf("receipt after bob opened it: %.300s", p.Content)
	}
	if p := bobList.next(t, "convs#bob"); !strings.Contains(p.Content, `data-with="ada" data-unread="0"`) {
		t.Errorf("bob's other tabs' conversations after reading: %.300s", p.Content)
	}

	// Bob has the conversation open: the next message is read at once.
	subscribeAs(t, ls, "bob", ls.site.MessagesChannel("ada", "bob"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ids, err := ls.eng.ReadersOn(t.Context(), ls.site.MessagesChannel("ada", "bob"))
		if err == nil && slices.Contains(ids, "bob") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob never on the conversation: %v %v", ids, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, _ := ada.send("bob", with(f, form.IDField, "receipt-0002")); resp.StatusCode != 303 {
		t.Fatal(resp.Status)
	}
	if rc, _ := ls.st.ReadUpTo(t.Context(), "bob", "ada"); rc.Seq != 2 {
		t.Errorf("bob's receipt after a message while open: %d, want 2", rc.Seq)
	}
	if p := adaTab.next(t, seenCh); !strings.Contains(p.Content, `data-seen-seq="2"`) || !strings.Contains(p.Content, "Seen by") {
		t.Errorf("receipt of a message read at once: %.300s", p.Content)
	}
}

// TestNotifications: a reply is told once, with its unread count, in the
// reader's tabs and on their pages; marking them read sets the count to 0
// in every tab; a reply to oneself or to an anonymous comment tells no
// one; an anonymous reader's pagelet has no channel.
func TestNotifications(t *testing.T) {
	ls := newMailSite(t)
	slug := firstSlug(t, ls.st, "society")
	tab := subscribeAs(t, ls, "ada", "notices#ada")
	reply := store.Comment{ID: "reply-00001", Slug: slug, Name: "Bob", Text: "I see it otherwise.", Posted: testNow}
	for range 2 {
		if err := ls.site.NotifyReply(t.Context(), "ada", "bob", reply); err != nil {
			t.Fatal(err)
		}
	}
	p := tab.next(t, "notices#ada")
	for _, want := range []string{`<span class="unread-count" data-unread="1">1</span>`, `data-notice-id="reply:reply-00001"`,
		`href="/article/` + slug + `#comment-reply-00001"`, `<q class="pl-notifications__text">I see it otherwise.</q>`} {
		if !strings.Contains(p.Content, want) {
			t.Errorf("publication lacks %s: %.400s", want, p.Content)
		}
	}
	tab.none(t, "notices#ada", 300*time.Millisecond)
	if n, _ := ls.st.UnreadNotifications(t.Context(), "ada"); n != 1 {
		t.Errorf("unread %d, want 1", n)
	}
	for _, to := range []string{"bob", ""} {
		if err := ls.site.NotifyReply(t.Context(), to, "bob", store.Comment{ID: "reply-self1", Slug: slug, Name: "Bob", Text: "me"}); err != nil {
			t.Fatal(err)
		}
	}
	if ns, _ := ls.st.Notifications(t.Context(), "bob", 0); len(ns) != 0 {
		t.Errorf("a reply to oneself told %v", ns)
	}

	ada := signedIn(t, ls, "ada")
	home := ada.page("/", chromeUA, "pipelined")
	if !strings.Contains(home, `"channel":"notices#ada"`) || !strings.Contains(pageletMarkup(t, home), `data-unread="1"`) {
		t.Error("ada's front page lacks her live notifications")
	}
	art := ada.page("/article/"+slug, crawlerUA, "inorder")
	if !strings.Contains(art, `data-notice-id="reply:reply-00001"`) || !strings.Contains(art, `action="/notifications/read"`) {
		t.Error("ada's article lacks her notifications and the mark-read form")
	}
	anon := newReader(t, ls)
	for _, path := range []string{"/", "/article/" + slug} {
		resp, body := anon.get(path, chromeUA)
		if strings.Contains(body, `notices#`) || !strings.Contains(pageletMarkup(t, body), "Sign in to get notifications") ||
			strings.Contains(body, `action="/notifications/read"`) {
			t.Errorf("%s for an anonymous reader: a channel, or no sign-in link", path)
		}
		// The same page for every anonymous reader: nothing personal in it.
		if cc := resp.Header.Get("Cache-Control"); cc != "" {
			t.Errorf("%s for an anonymous reader: Cache-Control %q, want none", path, cc)
		}
		// Ada's is hers alone.
		if resp, _ := ada.get(path, chromeUA); resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("%s for Ada: Cache-Control %q, want private, no-store", path, resp.Header.Get("Cache-Control"))
		}
	}

	fields := url.Values{form.TokenField: {csrfField.FindStringSubmatch(art)[1]}, form.IDField: {"mark-read-01"}}
	if resp, body := anon.postTo("/notifications/read", with(fields, form.TokenField, csrfField.FindStringSubmatch(anon.page("/article/"+slug, crawlerUA, "inorder"))[1])); resp.StatusCode != 401 {
		t.Errorf("anonymous mark read: %d %.200s", resp.StatusCode, body)
	}
	if resp, body := ada.postTo("/notifications/read", fields, "Referer", ada.ls.srv.URL+"/article/"+slug); resp.StatusCode != 303 {
		t.Fatalf("mark read: %d %.200s", resp.StatusCode, body)
	}
	if n, _ := ls.st.UnreadNotifications(t.Context(), "ada"); n != 0 {
		t.Errorf("unread after marking: %d", n)
	}
	if p := tab.next(t, "notices#ada"); !strings.Contains(p.Content, `data-unread="0"`) {
		t.Errorf("the other tab's count after marking read: %.300s", p.Content)
	}
}

// TestMailHostile sends hostile text from a reader with a hostile name:
// stored as typed, and only ever text in the messages, the conversations
// list, the notifications, on the pages and in the publications.
func TestMailHostile(t *testing.T) {
	ls := newMailSite(t)
	slug := firstSlug(t, ls.st, "tech")
	dm, list, notices := ls.site.MessagesChannel("ada", "eve"), "convs#ada", "notices#ada"
	tab := subscribeAs(t, ls, "ada", dm, list, notices)
	eve := signedIn(t, ls, "eve")
	if resp, body := eve.send("ada", with(eve.messageForm("ada"), form.IDField, "hostile-msg-1", "text", hostileText)); resp.StatusCode != 303 {
		t.Fatalf("POST: %d %.300s", resp.StatusCode, body)
	}
	if err := ls.site.NotifyReply(t.Context(), "ada", "eve", store.Comment{ID: "hostile-rep1", Slug: slug, Name: hostileName, Text: hostileText, Posted: testNow}); err != nil {
		t.Fatal(err)
	}
	ada := signedIn(t, ls, "ada")
	for _, tc := range []struct{ where, markup string }{
		{"message publication", tab.next(t, dm).Content},
		{"conversations publication", tab.next(t, list).Content},
		{"notifications publication", tab.next(t, notices).Content},
		{"plain conversation", ada.page("/messages/eve", crawlerUA, "inorder")},
		{"pipelined conversation", pageletMarkup(t, ada.page("/messages/eve", chromeUA, "pipelined"))},
		{"plain list", ada.page("/messages", crawlerUA, "inorder")},
		{"pipelined front page", pageletMarkup(t, ada.page("/", chromeUA, "pipelined"))},
	} {
		t.Run(tc.where, func(t *testing.T) {
			for _, bad := range []string{"<script>alert", "<img src=x", "<a href=\"javascript", "</textarea><script", " onclick='"} {
				if strings.Contains(tc.markup, bad) {
					t.Errorf("contains %q unescaped", bad)
				}
			}
			if !strings.Contains(tc.markup, `&#34;&gt;&lt;img src=x onerror=alert(1)&gt;`) && !strings.Contains(tc.markup, `&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;`) {
				t.Errorf("shows neither the name nor the text, escaped: %.300s", tc.markup)
			}
		})
	}
	ms, err := ls.st.Conversation(t.Context(), "ada", "eve", 0, 0)
	if err != nil || len(ms) != 1 || ms[0].Text != strings.TrimSpace(hostileText) || ms[0].FromName != hostileName {
		t.Errorf("stored %+v, %v; want the message as typed", ms, err)
	}
}
