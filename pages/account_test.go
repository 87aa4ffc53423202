package pages_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
)

// replies records what WithOnReply hears.
type replies struct {
	mu  sync.Mutex
	got [][2]store.Comment
}

func (r *replies) add(_ context.Context, reply, to store.Comment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, [2]store.Comment{reply, to})
}

// accountPost GETs the account form kind and posts it with fields.
func (rd *reader) accountPost(kind string, fields ...string) (*http.Response, string) {
	rd.t.Helper()
	resp, err := rd.client.Get(rd.ls.srv.URL + "/account/" + kind)
	if err != nil {
		rd.t.Fatal(err)
	}
	body := readBody(rd.t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `class="masthead`) {
		rd.t.Fatalf("GET /account/%s: %d, want 200 and the site's frame\n%s", kind, resp.StatusCode, body)
	}
	csrf, id := csrfField.FindStringSubmatch(body), idField.FindStringSubmatch(body)
	if csrf == nil || id == nil {
		rd.t.Fatalf("no token on /account/%s", kind)
	}
	v := url.Values{form.TokenField: {csrf[1]}, form.IDField: {id[1]}}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Set(fields[i], fields[i+1])
	}
	req, _ := http.NewRequestWithContext(rd.t.Context(), "POST", rd.ls.srv.URL+"/account/"+kind, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = rd.client.Do(req)
	if err != nil {
		rd.t.Fatal(err)
	}
	return resp, readBody(rd.t, resp)
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAccountBox: an anonymous reader's pages link to the account forms;
// once signed up, every page says who is signed in and offers to sign
// out, and signing out goes back to the page.
func TestAccountBox(t *testing.T) {
	ls := newLiveSite(t, pages.WithAccounts())
	slug := firstSlug(t, ls.st, "hotnews")
	rd := newReader(t, ls)
	for _, path := range []string{"/", "/article/" + slug, "/search?q=x"} {
		if body := rd.page(path, crawlerUA, "inorder"); !strings.Contains(body, `href="/account/signin?next=`) || strings.Contains(body, "Signed in as") {
			t.Errorf("anonymous %s: no sign-in link, or a signed-in box", path)
		}
	}
	if resp, body := rd.accountPost("signup", "name", "Ada_L", "password", "correct horse", "next", "/article/"+slug); resp.StatusCode != 303 || resp.Header.Get("Location") != "/article/"+slug {
		t.Fatalf("sign up: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, path := range []string{"/", "/article/" + slug, "/search?q=x", "/no-such-page"} {
		resp, err := rd.client.Get(ls.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if !strings.Contains(body, `Signed in as <strong class="account-box__name">Ada_L</strong>`) || !strings.Contains(body, `action="/account/signout"`) {
			t.Errorf("signed in, %s has no account box with a sign-out form", path)
		}
	}
	body := rd.page("/article/"+slug, crawlerUA, "inorder")
	if !strings.Contains(body, "Commenting as") || strings.Contains(body, `id="comment-name"`) {
		t.Error("a signed-in reader's comment form asks for a name")
	}
}

// TestAccountFormRefused: a refused sign-up is the form again, in the
// site's frame, with the reason next to its field and markup in the name
// shown as text.
func TestAccountFormRefused(t *testing.T) {
	ls := newLiveSite(t, pages.WithAccounts())
	rd := newReader(t, ls)
	rd.accountPost("signup", "name", "bill", "password", "correct horse")
	for _, tc := range []struct{ name, password, says string }{
		{"Bi11", "correct horse", "That name is taken"},
		{`"><img src=x onerror=alert(1)>`, "correct horse", "U+0022"},
		{"</script><script>alert(1)</script>", "correct horse", "U+003C"},
		{"carol", "short", "at least 10"},
	} {
		resp, body := newReader(t, ls).accountPost("signup", "name", tc.name, "password", tc.password)
		if resp.StatusCode != 422 || !strings.Contains(html.UnescapeString(body), tc.says) || !strings.Contains(body, `id="account-name-error"`) && !strings.Contains(body, `id="account-password-error"`) {
			t.Errorf("sign up %q: %d, want 422 saying %q by its field\n%s", tc.name, resp.StatusCode, tc.says, body)
		}
		if strings.Contains(body, "<img") || strings.Contains(body, "<script>alert") || !strings.Contains(body, `class="masthead`) {
			t.Errorf("sign up %q: markup in the page, or no site frame", tc.name)
		}
	}
	resp, body := newReader(t, ls).accountPost("signin", "name", "bill", "password", "wrong password")
	if resp.StatusCode != 422 || !strings.Contains(body, "do not match an account") {
		t.Errorf("wrong password: %d\n%s", resp.StatusCode, body)
	}
}

// TestSignedComment: a signed-in reader's comment carries their account's
// name and reader id, whatever the name field says.
func TestSignedComment(t *testing.T) {
	ls := newLiveSite(t, pages.WithAccounts())
	slug := firstSlug(t, ls.st, "society")
	rd := newReader(t, ls)
	rd.accountPost("signup", "name", "Ada_L", "password", "correct horse")
	if resp, body := rd.post(slug, with(rd.form(slug), form.IDField, "signed-00001", "name", "Mallory")); resp.StatusCode != 303 {
		t.Fatalf("post: %d\n%s", resp.StatusCode, body)
	}
	anon := newReader(t, ls)
	if resp, _ := anon.post(slug, with(anon.form(slug), form.IDField, "anon-000001", "name", "Ada_L")); resp.StatusCode != 303 {
		t.Fatalf("anonymous post: %d", resp.StatusCode)
	}
	cs, err := ls.st.Comments(t.Context(), slug, 0)
	if err != nil || len(cs) != 2 {
		t.Fatalf("comments: %v, %v", cs, err)
	}
	if cs[0].Name != "Ada_L" || cs[0].Reader != "ada_l" {
		t.Errorf("signed comment: name %q, reader %q; want Ada_L, ada_l", cs[0].Name, cs[0].Reader)
	}
	if cs[1].Name != "Ada_L" || cs[1].Reader != "" {
		t.Errorf("anonymous comment: name %q, reader %q; want the name field and no reader", cs[1].Name, cs[1].Reader)
	}
}

// TestReplyTo: a comment answers another on the same article; a reply_to
// naming no comment of the article is a field error; the site hears of
// each reply.
func TestReplyTo(t *testing.T) {
	var heard replies
	ls := newLiveSite(t, pages.WithAccounts(), pages.WithOnReply(heard.add))
	slug, other := firstSlug(t, ls.st, "tech"), firstSlug(t, ls.st, "sports")
	anon := newReader(t, ls)
	if resp, _ := anon.post(slug, with(anon.form(slug), form.IDField, "first-00001", "name", "Bob")); resp.StatusCode != 303 {
		t.Fatal(resp.StatusCode)
	}
	if resp, _ := anon.post(other, with(anon.form(other), form.IDField, "elsewhere-01", "name", "Bob")); resp.StatusCode != 303 {
		t.Fatal(resp.StatusCode)
	}
	rd := newReader(t, ls)
	rd.accountPost("signup", "name", "Ada", "password", "correct horse")
	for _, tc := range []struct{ replyTo string }{{"nope-000001"}, {"elsewhere-01"}, {"<script>"}} {
		resp, body := rd.post(slug, with(rd.form(slug), "reply_to", tc.replyTo))
		if resp.StatusCode != 422 || !strings.Contains(body, "not on this article") {
			t.Errorf("reply_to %q: %d, want 422 with the field error\n%s", tc.replyTo, resp.StatusCode, body)
		}
	}
	if resp, body := rd.post(slug, with(rd.form(slug), form.IDField, "reply-000001", "reply_to", "first-00001")); resp.StatusCode != 303 {
		t.Fatalf("reply: %d\n%s", resp.StatusCode, body)
	}
	c, err := ls.st.Comment(t.Context(), slug, "reply-000001")
	if err != nil || c.ReplyTo != "first-00001" || c.ReplyName != "Bob" || c.Reader != "ada" {
		t.Errorf("stored reply %+v, %v", c, err)
	}
	heard.mu.Lock()
	if len(heard.got) != 1 || heard.got[0][0].ID != "reply-000001" || heard.got[0][1].ID != "first-00001" {
		t.Errorf("WithOnReply heard %+v", heard.got)
	}
	heard.mu.Unlock()
	body := rd.page("/article/"+slug, crawlerUA, "inorder")
	if !strings.Contains(body, `in reply to <a href="#comment-first-00001">Bob</a>`) {
		t.Error("the reply does not say whom it answers")
	}
	if body := rd.page("/article/"+slug+"?reply_to=first-00001", crawlerUA, "inorder"); !strings.Contains(body, `name="reply_to" value="first-00001"`) {
		t.Error("the Reply link's form does not carry reply_to")
	}
}

// TestReaderNotSmuggled: a reader named in a query or a header is not
// the page's reader.
func TestReaderNotSmuggled(t *testing.T) {
	ls := newLiveSite(t, pages.WithAccounts())
	newReader(t, ls).accountPost("signup", "name", "Ada", "password", "correct horse")
	slug := firstSlug(t, ls.st, "society")
	rd := newReader(t, ls)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ls.srv.URL+"/article/"+slug+"?reader=ada&user=ada", nil)
	req.Header.Set("User-Agent", crawlerUA)
	req.Header.Set("X-Reader", "ada")
	resp, err := rd.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); strings.Contains(body, "Signed in as") {
		t.Error("a reader smuggled in the query or a header was taken")
	}
	if resp, _ := rd.post(slug, with(rd.form(slug), form.IDField, "smuggle-0001", "name", "Eve"), "X-Reader", "ada"); resp.StatusCode != 303 {
		t.Fatal(resp.StatusCode)
	}
	if c, err := ls.st.Comment(t.Context(), slug, "smuggle-0001"); err != nil || c.Reader != "" || c.Name != "Eve" {
		t.Errorf("comment with a smuggled reader: %+v, %v", c, err)
	}
}
