package pages_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/pages"
)

// crawlerUA gets plain HTML (in-order mode).
const crawlerUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

// reader is one browser on a live site: a cookie jar, and no redirect
// following unless asked.
type reader struct {
	t      testing.TB
	ls     *liveSite
	client *http.Client
}

func newReader(t testing.TB, ls *liveSite) *reader {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &reader{t: t, ls: ls, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfField = regexp.MustCompile(`<input type="hidden" name="_token" value="([^"]+)">`)
	idField   = regexp.MustCompile(`<input type="hidden" name="_submission" value="([^"]+)">`)
)

// page GETs path as a browser with ua and returns the body, failing
// unless the status is 200 and the mode is mode.
func (rd *reader) page(path, ua, mode string) string {
	rd.t.Helper()
	req, _ := http.NewRequestWithContext(rd.t.Context(), "GET", rd.ls.srv.URL+path, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := rd.client.Do(req)
	if err != nil {
		rd.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rd.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("X-BigPipe-Mode") != mode {
		rd.t.Fatalf("GET %s: %d, mode %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("X-BigPipe-Mode"), mode)
	}
	return string(b)
}

// form loads the article and returns its comment form's fields.
func (rd *reader) form(slug string) url.Values {
	rd.t.Helper()
	body := rd.page("/article/"+slug, crawlerUA, "inorder")
	csrf, id := csrfField.FindStringSubmatch(body), idField.FindStringSubmatch(body)
	if csrf == nil || id == nil {
		rd.t.Fatalf("no comment form with csrf and id fields on /article/%s", slug)
	}
	return url.Values{form.TokenField: {csrf[1]}, form.IDField: {id[1]}, "name": {"Ada"}, "text": {"A fine story."}}
}

// post posts the comment form f to slug and returns the response, its body
// read.
func (rd *reader) post(slug string, f url.Values, header ...string) (*http.Response, string) {
	rd.t.Helper()
	req, _ := http.NewRequestWithContext(rd.t.Context(), "POST", rd.ls.srv.URL+"/article/"+slug+"/comments", strings.NewReader(f.Encode()))
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

func with(f url.Values, kv ...string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		g.Set(kv[i], kv[i+1])
	}
	return g
}

// TestCommentPost posts comments of every kind to an article and checks the
// answer and what is stored: a valid comment is redirected to the
// comments (303) and stored once however often it is posted; a refused one
// gets its status and a message saying why, and nothing is stored.
func TestCommentPost(t *testing.T) {
	ls := newLiveSite(t, pages.WithCommentRate(0, 0)) // no rate limit here; see TestCommentRateLimit
	slug := firstSlug(t, ls.st, "hotnews")
	rd := newReader(t, ls)
	base := rd.form(slug)
	stranger := newReader(t, ls) // has a cookie, but not the one base's token is for
	stranger.form(slug)
	noCookie := newReader(t, ls)

	for _, tc := range []struct {
		name   string
		by     *reader
		form   url.Values
		status int
		msg    string // in the body
		stored bool
	}{
		{"valid", rd, with(base, form.IDField, "valid-comment-1"), 303, "", true},
		{"same id again", rd, with(base, form.IDField, "valid-comment-1", "text", "A retry may differ; the first one counts."), 303, "", false},
		{"line breaks", rd, with(base, form.IDField, "valid-comment-2", "text", "one\r\ntwo\rthree\n"), 303, "", true},
		{"bad csrf", rd, with(base, form.IDField, "bad-csrf-00", form.TokenField, "forged"), 403, "did not come from this site", false},
		{"no csrf", rd, with(base, form.IDField, "no-csrf-000", form.TokenField, ""), 403, "did not come from this site", false},
		{"another client's token", stranger, with(base, form.IDField, "stranger-00"), 403, "did not come from this site", false},
		{"no cookie", noCookie, with(base, form.IDField, "no-cookie-0"), 403, "cookie", false},
		{"name too long", rd, with(base, form.IDField, "long-name-0", "name", strings.Repeat("é", 61)), 422, "61 characters long; at most 60", false},
		{"text too long", rd, with(base, form.IDField, "long-text-0", "text", strings.Repeat("ü", 2001)), 422, "2001 characters long; at most 2000", false},
		{"longest text", rd, with(base, form.IDField, "max-text-00", "text", strings.Repeat("ü", 2000)), 303, "", true},
		{"empty text", rd, with(base, form.IDField, "empty-text0", "text", " \n\t "), 422, "comment is empty", false},
		{"empty name", rd, with(base, form.IDField, "empty-name0", "name", ""), 422, "name is empty", false},
		{"control character", rd, with(base, form.IDField, "control-000", "text", "bell\x07"), 422, "control character (U+0007)", false},
		{"tab", rd, with(base, form.IDField, "control-tab", "text", "a\tb"), 422, "control character (U+0009)", false},
		{"newline in name", rd, with(base, form.IDField, "control-nl0", "name", "A\nB"), 422, "control character (U+000A)", false},
		{"bidi override", rd, with(base, form.IDField, "bidi-00000", "text", "abc\u202edef"), 422, "control character (U+202E)", false},
		{"invalid UTF-8", rd, with(base, form.IDField, "bad-utf8-00", "text", "a\xff"), 400, "not valid UTF-8", false},
		{"bad id", rd, with(base, form.IDField, `"><script>`), 400, "no valid submission id", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.by.post(slug, tc.form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %.300s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 303 {
				if loc := resp.Header.Get("Location"); loc != "/article/"+slug+"#sec-comments" {
					t.Errorf("Location %q, want the article's comments", loc)
				}
			} else if !strings.Contains(body, tc.msg) {
				t.Errorf("body does not say %q: %.500s", tc.msg, body)
			}
			cs, err := ls.st.Comments(t.Context(), slug, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range cs {
				if c.ID == tc.form.Get(form.IDField) {
					n++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.stored || tc.name == "same id again"]; n != want {
				t.Errorf("comment %q stored %d times, want %d", tc.form.Get(form.IDField), n, want)
			}
		})
	}
	cs, _ := ls.st.Comments(t.Context(), slug, 0)
	var texts []string
	for _, c := range cs {
		texts = append(texts, c.Text)
	}
	if want := []string{"A fine story.", "one\ntwo\nthree", strings.Repeat("ü", 2000)}; strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("stored comments, oldest first: %q, want %q", texts, want)
	}
}

// TestCommentPostedTwicePublishedOnce posts one comment twice (a double
// submission) and then another: a subscriber of the article's channel gets
// the first one once, keyed by its id, then the other.
func TestCommentPostedTwicePublishedOnce(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "society")
	sub := subscribe(t, ls, pages.CommentsChannel(slug))
	rd := newReader(t, ls)
	f := rd.form(slug)
	for _, form := range []url.Values{with(f, form.IDField, "double-submit"), with(f, form.IDField, "double-submit"), with(f, form.IDField, "the-next-one", "text", "Second.")} {
		if resp, body := rd.post(slug, form); resp.StatusCode != 303 {
			t.Fatalf("POST: %d %s", resp.StatusCode, body)
		}
	}
	ch := pages.CommentsChannel(slug)
	first, second := sub.next(t, ch), sub.next(t, ch)
	if first.Key != "double-submit" || second.Key != "the-next-one" {
		t.Errorf("publications keyed %q then %q, want double-submit then the-next-one", first.Key, second.Key)
	}
	if !strings.Contains(first.Content, `id="comment-double-submit"`) || !strings.Contains(second.Content, "Second.") {
		t.Errorf("publications: %s\n%s", first.Content, second.Content)
	}
	if n := len(mustComments(t, ls, slug)); n != 2 {
		t.Errorf("%d comments stored, want 2", n)
	}
}

func mustComments(t *testing.T, ls *liveSite, slug string) []string {
	t.Helper()
	cs, err := ls.st.Comments(t.Context(), slug, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestCommentJSON posts as the form enhancer does (Accept:
// application/json): 201 with the comment's id, the same for a retry of it
// (replayed), and refusals as {"error"}, field errors with 422.
func TestCommentJSON(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "tech")
	rd := newReader(t, ls)
	f := rd.form(slug)
	for _, tc := range []struct {
		form   url.Values
		status int
		field  string
		want   string
	}{
		{with(f, form.IDField, "json-comment"), 201, "id", "json-comment"},
		{with(f, form.IDField, "json-comment"), 201, "id", "json-comment"},
		{with(f, form.IDField, "json-too-long", "name", strings.Repeat("x", 61)), 422, "error", "at most 60"},
		{with(f, form.IDField, "json-forged", form.TokenField, "x"), 403, "error", "did not come from this site"},
	} {
		resp, body := rd.post(slug, tc.form, "Accept", "application/json")
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %q, want %d JSON", tc.form.Get(form.IDField), resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
			continue
		}
		if data, ok := got["data"].(map[string]any); ok {
			got = data
		}
		if s, _ := got[tc.field].(string); !strings.Contains(s, tc.want) {
			t.Errorf("%s: %s = %q, want %q", tc.form.Get(form.IDField), tc.field, s, tc.want)
		}
	}
}

// TestCommentRateLimit posts from one address faster than the limit: the
// burst passes, the next is refused with 429, Retry-After and a message,
// and a retry of a stored comment still passes (it changes nothing).
func TestCommentRateLimit(t *testing.T) {
	ls := newLiveSite(t, pages.WithCommentRate(time.Minute, 3))
	slug := firstSlug(t, ls.st, "sports")
	rd := newReader(t, ls)
	f := rd.form(slug)
	for i, tc := range []struct {
		id     string
		status int
	}{{"rate-one-00", 303}, {"rate-two-00", 303}, {"rate-three0", 303}, {"rate-four-0", 429}, {"rate-one-00", 303}, {"rate-five-0", 429}} {
		resp, body := rd.post(slug, with(f, form.IDField, tc.id))
		if resp.StatusCode != tc.status {
			t.Fatalf("post %d (%s): %d, want %d: %.200s", i+1, tc.id, resp.StatusCode, tc.status, body)
		}
		if tc.status == 429 {
			// The test clock stands still: a token is a whole minute away.
			if ra := resp.Header.Get("Retry-After"); ra != "60" {
				t.Errorf("Retry-After %q, want 60", ra)
			}
			if !strings.Contains(body, "too quickly") || !strings.Contains(body, "60 seconds") {
				t.Errorf("429 body lacks its message: %.500s", body)
			}
		}
	}
	if got := mustComments(t, ls, slug); len(got) != 3 {
		t.Errorf("stored %v, want the first three", got)
	}
}

// hostile is comment text and a name that would run script if they were
// ever inserted as markup, or break out of an attribute.
const (
	hostileName = `"><img src=x onerror=alert(1)>`
	hostileText = "</textarea><script>alert(1)</script>\n<a href=\"javascript:alert(2)\" onclick='alert(3)'>x</a> & \u2028 ]]> <!--"
)

// TestCommentHostile posts a hostile comment: it is stored as it was
// typed, and rendered as text only, escaped, on the article page in
// plain (crawler) and pipelined mode and in the live publication.
func TestCommentHostile(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "finance")
	sub := subscribe(t, ls, pages.CommentsChannel(slug))
	rd := newReader(t, ls)
	if resp, body := rd.post(slug, with(rd.form(slug), form.IDField, "hostile-0001", "name", hostileName, "text", hostileText)); resp.StatusCode != 303 {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	pub := sub.next(t, pages.CommentsChannel(slug))
	plain := rd.page("/article/"+slug, crawlerUA, "inorder")
	pipelined := rd.page("/article/"+slug, chromeUA, "pipelined")
	if strings.Contains(pipelined, "<script>alert") || strings.Contains(pipelined, "<img src=x") {
		t.Error("the pipelined page's payloads carry the hostile markup unescaped")
	}
	for _, tc := range []struct{ where, markup string }{
		{"publication", pub.Content},
		{"plain page", plain},
		{"pipelined page", pageletMarkup(t, pipelined)},
	} {
		t.Run(tc.where, func(t *testing.T) {
			for _, bad := range []string{"<script>alert", "<img src=x", "<a href=\"javascript", "</textarea><script", " onclick='"} {
				if strings.Contains(tc.markup, bad) {
					t.Errorf("%s contains %q unescaped", tc.where, bad)
				}
			}
			for _, want := range []string{
				`<span class="pl-comments__name">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</span>`,
				`&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;`,
				`&lt;a href=&#34;javascript:alert(2)&#34; onclick=&#39;alert(3)&#39;&gt;x&lt;/a&gt; &amp;`,
				`id="comment-hostile-0001" data-live-key="hostile-0001"`,
			} {
				if !strings.Contains(tc.markup, want) {
					t.Errorf("%s lacks %s", tc.where, want)
				}
			}
		})
	}
	cs, err := ls.st.Comments(t.Context(), slug, 0)
	if err != nil || len(cs) != 1 || cs[0].Name != hostileName || cs[0].Text != strings.TrimSpace(hostileText) {
		t.Errorf("stored %+v, %v; want the comment as typed", cs, err)
	}
}

// payloadContent finds the "content" strings of a pipelined page's
// payloads.
var payloadContent = regexp.MustCompile(`"content":("(?:[^"\\]|\\.)*")`)

// pageletMarkup returns the pagelets' HTML in a pipelined page: the page
// itself, which holds the pagelets the skeleton placed (done before it was
// written), followed by the contents of its payloads, decoded from their
// JSON strings.
func pageletMarkup(t *testing.T, body string) string {
	t.Helper()
	var out strings.Builder
	out.WriteString(body) // the pagelets the skeleton placed, as HTML
	n := 0
	for _, m := range payloadContent.FindAllStringSubmatch(body, -1) {
		var s string
		if err := json.Unmarshal([]byte(m[1]), &s); err != nil {
			t.Fatalf("payload content %.100s: %v", m[1], err)
		}
		out.WriteString(s)
		n++
	}
	if n == 0 && !strings.Contains(body, `data-bigpipe="shown"`) {
		t.Fatal("no payloads and no placed pagelets in the pipelined page")
	}
	return out.String()
}

// TestCommentWithoutJavaScript follows a browser without JavaScript: it
// loads the article, posts the form, follows the 303 and finds its comment
// on the article it is sent back to, as plain HTML.
func TestCommentWithoutJavaScript(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "hotnews")
	rd := newReader(t, ls)
	f := rd.form(slug)
	rd.client.CheckRedirect = nil // follow, as a browser does
	text := "Posted without script, " + time.Now().Format(time.RFC3339Nano)
	resp, body := rd.post(slug, with(f, "text", text), "User-Agent", crawlerUA)
	if resp.StatusCode != 200 || resp.Request.Method != "GET" || resp.Request.URL.Path != "/article/"+slug {
		t.Fatalf("after the POST: %d on %s %s, want 200 on GET /article/%s", resp.StatusCode, resp.Request.Method, resp.Request.URL, slug)
	}
	if !strings.Contains(body, `<p class="pl-comments__text">`+text+`</p>`) {
		t.Errorf("the article the POST redirected to does not show the comment")
	}
	if strings.Contains(body, "No comments yet") {
		t.Error("the article still says it has no comments")
	}
}

// TestCommentRefusedKeepsText posts a comment with a field error as a
// browser without JavaScript does: the 422 page shows the form again with
// the text as typed, the error next to its field and the same comment id,
// and posting that form, corrected, stores the comment.
func TestCommentRefusedKeepsText(t *testing.T) {
	ls := newLiveSite(t)
	slug := firstSlug(t, ls.st, "tech")
	rd := newReader(t, ls)
	f := with(rd.form(slug), form.IDField, "refused-then-ok", "name", "", "text", "Kept <b>as typed</b>")
	resp, body := rd.post(slug, f)
	if resp.StatusCode != 422 {
		t.Fatalf("status %d, want 422: %.300s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`aria-invalid="true" aria-describedby="comment-name-error"`,
		`<span id="comment-name-error" class="bigpipe-form__error">Your name is empty.</span>`,
		`>Kept &lt;b&gt;as typed&lt;/b&gt;</textarea>`,
		`name="_submission" value="refused-then-ok"`,
		`action="/article/` + slug + `/comments"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the 422 page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="comment-text" class="comment-form__text" name="text" rows="4" maxlength="2000" required aria-invalid`) {
		t.Error("the text field is marked invalid")
	}
	again := with(f, "name", "Ada", form.TokenField, csrfField.FindStringSubmatch(body)[1])
	if resp, body := rd.post(slug, again); resp.StatusCode != 303 {
		t.Fatalf("corrected post: %d %.300s", resp.StatusCode, body)
	}
	if got := mustComments(t, ls, slug); len(got) != 1 || got[0] != "refused-then-ok" {
		t.Errorf("stored %v, want the corrected comment", got)
	}
}
