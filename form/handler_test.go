package form_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
)

// notes is a site with one form: a note with a required text, and a
// counter of the action's runs.
type notes struct {
	h    *form.Handler
	runs atomic.Int32
	gate chan struct{} // if set, the action waits on it
	srv  *httptest.Server
	c    *http.Client // follows no redirect
}

func newNotes(t *testing.T, opts ...form.Option) *notes {
	t.Helper()
	n := &notes{}
	act := func(ctx context.Context, s *form.Submission) (form.Result, error) {
		n.runs.Add(1)
		if n.gate != nil {
			<-n.gate
		}
		switch text := s.Values.Get("text"); text {
		case "":
			return form.Result{}, form.Errors{{Field: "text", Message: "Your note is empty."}}
		case "panic":
			panic("the action broke")
		case "fail":
			return form.Result{}, errors.New("the database is down")
		case "slow down":
			return form.Result{}, &form.Error{Status: http.StatusTooManyRequests, Message: "Too fast.", Header: http.Header{"Retry-After": {"7"}}}
		default:
			return form.Result{Redirect: "/notes#" + s.ID, Status: http.StatusCreated, Message: "Saved.", Data: map[string]string{"id": s.ID, "text": text}}, nil
		}
	}
	page := func(_ *http.Request, f *form.Failure) templ.Component {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			_, err := fmt.Fprintf(w, "<p>%d %s</p><textarea name=text>%s</textarea><em>%s</em>", f.Status,
				templ.EscapeString(f.Message), templ.EscapeString(f.Values.Get("text")), templ.EscapeString(f.Fields.Get("text")))
			return err
		})
	}
	n.h = form.New(act, append([]form.Option{form.WithToken("client", []byte("test secret")), form.WithErrorPage(page), form.WithMaxBytes(1 << 10), form.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	mux := http.NewServeMux()
	mux.Handle("POST /notes", n.h)
	mux.HandleFunc("GET /notes", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_ = n.h.Fields(w, r).Render(r.Context(), w)
	})
	n.srv = httptest.NewServer(mux)
	t.Cleanup(n.srv.Close)
	n.c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return n
}

var hidden = regexp.MustCompile(`name="(_token|_submission)" value="([^"]+)"`)

// browser loads the form as a browser would (cookie and hidden fields).
func (n *notes) browser(t *testing.T) (cookie string, f url.Values) {
	t.Helper()
	resp, err := n.srv.Client().Get(n.srv.URL + "/notes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	f = url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(string(b), -1) {
		f.Set(m[1], m[2])
	}
	cs := resp.Cookies()
	if len(cs) != 1 || len(f) != 2 {
		t.Fatalf("GET /notes: cookies %v, fields %v; want one cookie and two fields", cs, f)
	}
	return cs[0].Value, f
}

type post struct {
	body        string
	contentType string
	header      []string // key, value, ...
}

func (n *notes) post(t *testing.T, cookie string, p post) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.srv.URL+"/notes", strings.NewReader(p.body))
	req.Header.Set("Content-Type", p.contentType)
	if p.contentType == "-" {
		req.Header.Del("Content-Type")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "client", Value: cookie})
	}
	for i := 0; i+1 < len(p.header); i += 2 {
		req.Header.Set(p.header[i], p.header[i+1])
	}
	resp, err := n.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func with(f url.Values, kv ...string) string {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		g.Set(kv[i], kv[i+1])
	}
	return g.Encode()
}

const urlencoded = "application/x-www-form-urlencoded"

var asJSON = []string{"Accept", "application/json"}

// TestHandler posts every kind of post, as a plain browser and as the
// enhancer (JSON), and checks the status, the answer and whether the
// action ran.
func TestHandler(t *testing.T) {
	n := newNotes(t)
	cookie, f := n.browser(t)
	_, other := n.browser(t) // another browser's form: its token is not for cookie
	id := func(s string) string { return s + "-0123456789" }
	for _, tc := range []struct {
		name   string
		cookie string
		post   post
		status int
		want   string // in the body, or the Location of a 303
		ran    bool
	}{
		{"plain success", cookie, post{with(f, "_submission", id("a"), "text", "hello"), urlencoded, nil}, 303, "/notes#" + id("a"), true},
		{"plain replay, another text", cookie, post{with(f, "_submission", id("a"), "text", "changed"), urlencoded, nil}, 303, "/notes#" + id("a"), false},
		{"JSON replay of a plain success", cookie, post{with(f, "_submission", id("a"), "text", "x"), urlencoded, asJSON}, 201, `"data":{"id":"` + id("a") + `","text":"hello"}`, false},
		{"JSON success", cookie, post{with(f, "_submission", id("b"), "text", "hi"), urlencoded, asJSON}, 201, `{"ok":true,"message":"Saved.","data":{"id":"` + id("b") + `","text":"hi"}}`, true},
		{"plain field error keeps the text", cookie, post{with(f, "_submission", id("c"), "text", ""), urlencoded, nil}, 422, "<em>Your note is empty.</em>", true},
		{"field error again: not remembered", cookie, post{with(f, "_submission", id("c"), "text", ""), urlencoded, nil}, 422, "422 Your note is empty.", true},
		{"JSON field error", cookie, post{with(f, "_submission", id("d"), "text", ""), urlencoded, asJSON}, 422, `{"ok":false,"error":"Your note is empty.","fields":{"text":"Your note is empty."}}`, true},
		{"refusal with header", cookie, post{with(f, "_submission", id("e"), "text", "slow down"), urlencoded, asJSON}, 429, `"error":"Too fast."`, true},
		{"action error: 500 says nothing of it", cookie, post{with(f, "_submission", id("f"), "text", "fail"), urlencoded, nil}, 500, "could not be processed", true},
		{"action panic: 500", cookie, post{with(f, "_submission", id("g"), "text", "panic"), urlencoded, asJSON}, 500, "could not be processed", true},
		{"cross-origin", cookie, post{with(f, "_submission", id("h"), "text", "x"), urlencoded, []string{"Sec-Fetch-Site", "cross-site"}}, 403, "from another site", false},
		{"cross-origin by Origin", cookie, post{with(f, "_submission", id("h"), "text", "x"), urlencoded, []string{"Origin", "https://evil.example"}}, 403, "from another site", false},
		{"forged token", cookie, post{with(f, "_submission", id("i"), "_token", "forged", "text", "x"), urlencoded, nil}, 403, "expired or did not come from this site", false},
		{"no token", cookie, post{with(f, "_submission", id("i"), "_token", "", "text", "x"), urlencoded, asJSON}, 403, "did not come from this site", false},
		{"another browser's token", cookie, post{with(other, "_submission", id("i"), "text", "x"), urlencoded, nil}, 403, "did not come from this site", false},
		{"no cookie", "", post{with(f, "_submission", id("i"), "text", "x"), urlencoded, nil}, 403, "cookie", false},
		{"bad id", cookie, post{with(f, "_submission", `"><script>`, "text", "x"), urlencoded, nil}, 400, "no valid submission id", false},
		{"no id", cookie, post{with(f, "_submission", "", "text", "x"), urlencoded, asJSON}, 400, "no valid submission id", false},
		{"oversized", cookie, post{with(f, "_submission", id("j"), "text", strings.Repeat("x", 2<<10)), urlencoded, nil}, 413, "at most 1 KiB", false},
		{"JSON body", cookie, post{`{"text":"x"}`, "application/json", asJSON}, 415, "not sent as a form", false},
		{"multipart", cookie, post{"--x--", "multipart/form-data; boundary=x", nil}, 415, "not sent as a form", false},
		{"no content type", cookie, post{with(f, "text", "x"), "-", nil}, 415, "not sent as a form", false},
		{"charset parameter", cookie, post{with(f, "_submission", id("k"), "text", "ok"), urlencoded + "; charset=UTF-8", nil}, 303, "/notes#" + id("k"), true},
		{"invalid UTF-8", cookie, post{with(f, "_submission", id("l"), "text", "a\xff"), urlencoded, nil}, 400, "not valid UTF-8", false},
		{"bad escape", cookie, post{"text=%zz&" + with(f), urlencoded, nil}, 400, "could not be read", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.runs.Load()
			resp, body := n.post(t, tc.cookie, tc.post)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %.300s", resp.StatusCode, tc.status, body)
			}
			got := body
			if tc.status == 303 {
				got = resp.Header.Get("Location")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want it to contain %q", got, tc.want)
			}
			if ran := n.runs.Load() != before; ran != tc.ran {
				t.Errorf("action ran %v, want %v", ran, tc.ran)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
}

// TestHandlerHeaders checks the headers a refusal or replay carries.
func TestHandlerHeaders(t *testing.T) {
	n := newNotes(t)
	cookie, f := n.browser(t)
	body := with(f, "_submission", "replayed-1234", "text", "once")
	first, _ := n.post(t, cookie, post{body, urlencoded, asJSON})
	again, _ := n.post(t, cookie, post{body, urlencoded, asJSON})
	if first.Header.Get("Idempotent-Replayed") != "" || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed: first %q, replay %q; want none, then true", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed"))
	}
	slow, _ := n.post(t, cookie, post{with(f, "_submission", "too-fast-123", "text", "slow down"), urlencoded, nil})
	if slow.Header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After %q, want 7", slow.Header.Get("Retry-After"))
	}
	ct, _ := n.post(t, cookie, post{"", "text/plain", nil})
	if ct.Header.Get("Accept-Post") != urlencoded {
		t.Errorf("415 Accept-Post %q", ct.Header.Get("Accept-Post"))
	}
	req := httptest.NewRequest("GET", "/notes", nil)
	w := httptest.NewRecorder()
	n.h.ServeHTTP(w, req)
	if w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q; want 405 POST", w.Code, w.Header().Get("Allow"))
	}
}

// TestConcurrentDuplicates posts one submission many times at once while
// the action is held: it runs once, and every post gets its answer.
func TestConcurrentDuplicates(t *testing.T) {
	n := newNotes(t)
	n.gate = make(chan struct{})
	cookie, f := n.browser(t)
	body := with(f, "_submission", "double-click-1", "text", "twice")
	const posts = 8
	var wg sync.WaitGroup
	answers := make([]string, posts)
	for i := range posts {
		wg.Go(func() {
			resp, b := n.post(t, cookie, post{body, urlencoded, asJSON})
			answers[i] = fmt.Sprint(resp.StatusCode, " ", b)
		})
	}
	for n.runs.Load() == 0 { // the first post is in the action
		runtime.Gosched()
	}
	close(n.gate)
	wg.Wait()
	if got := n.runs.Load(); got != 1 {
		t.Errorf("action ran %d times, want once", got)
	}
	for i, a := range answers {
		if a != answers[0] || !strings.HasPrefix(a, "201 ") {
			t.Errorf("answer %d: %s; want all the same 201: %s", i, a, answers[0])
		}
	}
}

// TestReplaysOff turns replays off: every post runs the action.
func TestReplaysOff(t *testing.T) {
	n := newNotes(t, form.WithReplays(nil), form.WithCrossOriginProtection(nil))
	cookie, f := n.browser(t)
	body := with(f, "_submission", "each-time-12", "text", "x")
	for range 2 {
		if resp, b := n.post(t, cookie, post{body, urlencoded, []string{"Sec-Fetch-Site", "cross-site"}}); resp.StatusCode != 303 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	}
	if got := n.runs.Load(); got != 2 {
		t.Errorf("action ran %d times, want 2", got)
	}
}

// TestJSONAnswer decodes the enhancer's answers as it does.
func TestJSONAnswer(t *testing.T) {
	n := newNotes(t, form.WithToken("", nil)) // no token: the cross-origin check alone
	_, body := n.post(t, "", post{"_submission=follow-me-12&text=x", urlencoded, asJSON})
	var got struct {
		OK   bool
		Data map[string]string
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || !got.OK || got.Data["text"] != "x" {
		t.Errorf("answer %s: %+v, %v", body, got, err)
	}
}

// TestMaxInFlight holds one post in the action with WithMaxInFlight(1):
// another submission is refused at once with 503 and Retry-After, its
// text shown again, without running the action; posted again once the
// first is done, it runs.
func TestMaxInFlight(t *testing.T) {
	n := newNotes(t, form.WithMaxInFlight(1))
	n.gate = make(chan struct{})
	cookie, f := n.browser(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		if resp, b := n.post(t, cookie, post{with(f, "_submission", "first-post-1", "text", "first"), urlencoded, nil}); resp.StatusCode != 303 {
			t.Errorf("first post: %d %s", resp.StatusCode, b)
		}
	})
	for n.runs.Load() == 0 { // the first post is in the action
		runtime.Gosched()
	}
	second := post{with(f, "_submission", "second-post-1", "text", "second"), urlencoded, nil}
	resp, body := n.post(t, cookie, second)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "<textarea name=text>second</textarea>") {
		t.Errorf("second post while the first runs: %d, Retry-After %q, body %q; want 503 with Retry-After and the text kept",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if got := n.runs.Load(); got != 1 {
		t.Errorf("action ran %d times while full, want once", got)
	}
	close(n.gate)
	wg.Wait()
	if resp, b := n.post(t, cookie, second); resp.StatusCode != 303 {
		t.Errorf("second post again: %d %s; want 303", resp.StatusCode, b)
	}
	if got := n.runs.Load(); got != 2 {
		t.Errorf("action ran %d times, want 2", got)
	}
}

// outcomes collects what WithOutcomes reports.
type outcomes struct {
	mu   sync.Mutex
	seen []form.Outcome
}

func (o *outcomes) add(x form.Outcome) { o.mu.Lock(); o.seen = append(o.seen, x); o.mu.Unlock() }

// take returns what was reported since the last take.
func (o *outcomes) take() []form.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.seen
	o.seen = nil
	return s
}

// TestOutcomes posts one of each kind and checks that WithOutcomes hears
// each once, as what it was; a shed post (WithMaxInFlight) is busy, apart
// from an action's own 503.
func TestOutcomes(t *testing.T) {
	var got outcomes
	n := newNotes(t, form.WithOutcomes(got.add), form.WithMaxInFlight(1))
	cookie, f := n.browser(t)
	for _, tc := range []struct {
		name string
		p    post
		want form.Outcome
	}{
		{"stored", post{with(f, "_submission", "outcome-done-1", "text", "hello"), urlencoded, nil}, form.OutcomeDone},
		{"the same again", post{with(f, "_submission", "outcome-done-1", "text", "hello"), urlencoded, nil}, form.OutcomeReplayed},
		{"empty text", post{with(f, "_submission", "outcome-empty-1", "text", ""), urlencoded, nil}, form.OutcomeRefused},
		{"bad token", post{with(f, "_token", "forged", "_submission", "outcome-token-1", "text", "x"), urlencoded, nil}, form.OutcomeRefused},
		{"the action's 429", post{with(f, "_submission", "outcome-slow-1", "text", "slow down"), urlencoded, nil}, form.OutcomeRefused},
		{"the action fails", post{with(f, "_submission", "outcome-fail-1", "text", "fail"), urlencoded, nil}, form.OutcomeFailed},
		{"the action panics", post{with(f, "_submission", "outcome-panic-1", "text", "panic"), urlencoded, nil}, form.OutcomeFailed},
	} {
		n.post(t, cookie, tc.p)
		if s := got.take(); !slices.Equal(s, []form.Outcome{tc.want}) {
			t.Errorf("%s: outcomes %v, want [%s]", tc.name, s, tc.want)
		}
	}

	n.gate = make(chan struct{})
	before := n.runs.Load()
	var wg sync.WaitGroup
	wg.Go(func() {
		n.post(t, cookie, post{with(f, "_submission", "outcome-held-1", "text", "held"), urlencoded, nil})
	})
	for n.runs.Load() == before { // the held post is in the action
		runtime.Gosched()
	}
	if resp, _ := n.post(t, cookie, post{with(f, "_submission", "outcome-shed-1", "text", "shed"), urlencoded, nil}); resp.StatusCode != 503 {
		t.Errorf("a post while the only place is taken: %d, want 503", resp.StatusCode)
	}
	if s := got.take(); !slices.Equal(s, []form.Outcome{form.OutcomeBusy}) {
		t.Errorf("shed post: outcomes %v, want [busy]", s)
	}
	close(n.gate)
	wg.Wait()
	if s := got.take(); !slices.Equal(s, []form.Outcome{form.OutcomeDone}) {
		t.Errorf("held post: outcomes %v, want [done]", s)
	}
}
