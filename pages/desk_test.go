package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
)

// newDeskSite is a live site with readers, and ed and ann its editors.
func newDeskSite(t testing.TB) *liveSite {
	t.Helper()
	return newLiveSiteWrapped(t, withSessions, pages.WithDirectory(readers), pages.WithCommentRate(0, 0), pages.WithEditors("ed", "Ann"))
}

// deskFields returns rd's desk form fields (the token and a submission
// id), from the rules page.
func deskFields(t testing.TB, rd *reader) url.Values {
	t.Helper()
	resp, body := rd.get("/desk/rules", chromeUA)
	csrf, id := csrfField.FindStringSubmatch(body), idField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || csrf == nil || id == nil {
		t.Fatalf("GET /desk/rules: %d, no form fields", resp.StatusCode)
	}
	return url.Values{form.TokenField: {csrf[1]}, form.IDField: {id[1]}}
}

func saveRules(t testing.TB, rd *reader, kv ...string) (*http.Response, string) {
	t.Helper()
	return rd.postTo("/desk/rules", with(deskFields(t, rd), kv...))
}

// TestDeskAccess: every desk route, GET and POST, is the editors' alone:
// 401 signed out (with the way to sign in), 403 for another reader.
func TestDeskAccess(t *testing.T) {
	ls := newDeskSite(t)
	slug := firstSlug(t, ls.st, "tech")
	anon, bob, ed := newReader(t, ls), signedIn(t, ls, "bob"), signedIn(t, ls, "ed")
	bobFields := url.Values{form.TokenField: {"x"}, form.IDField: {"submission-0001"}}
	for _, path := range []string{"/desk", "/desk/rules"} {
		if resp, body := anon.get(path, chromeUA); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "/account/signin?next=%2Fdesk") {
			t.Errorf("signed out GET %s: %d; want 401 with the sign-in link", path, resp.StatusCode)
		}
		if resp, body := bob.get(path, chromeUA); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "editors") {
			t.Errorf("non-editor GET %s: %d; want 403 saying why", path, resp.StatusCode)
		}
		if resp, _ := ed.get(path, chromeUA); resp.StatusCode != http.StatusOK {
			t.Errorf("editor GET %s: %d; want 200", path, resp.StatusCode)
		}
	}
	// bob's own valid token: still refused, as a non-editor.
	bobFields = deskTokenOf(t, bob, slug)
	for _, path := range []string{"/desk/rules", "/desk/comments/comment-0001/hide", "/desk/comments/comment-0001/pin"} {
		if resp, _ := bob.postTo(path, with(bobFields, "slug", slug, "words", "x")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("non-editor POST %s: %d; want 403", path, resp.StatusCode)
		}
		if resp, _ := anon.postTo(path, with(deskTokenOf(t, anon, slug), "slug", slug)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("signed out POST %s: %d; want 401", path, resp.StatusCode)
		}
		// CSRF: an editor's post without the token, or with another's.
		if resp, _ := ed.postTo(path, url.Values{form.IDField: {"submission-0002"}, "slug": {slug}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("editor POST %s without a token: %d; want 403", path, resp.StatusCode)
		}
		if resp, _ := ed.postTo(path, with(bobFields, "slug", slug)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("editor POST %s with another browser's token: %d; want 403", path, resp.StatusCode)
		}
	}
}

// deskTokenOf returns the form fields of rd's browser from an article's
// comment form (anyone has one).
func deskTokenOf(t *testing.T, rd *reader, slug string) url.Values {
	t.Helper()
	f := rd.form(slug)
	return url.Values{form.TokenField: f[form.TokenField], form.IDField: f[form.IDField]}
}

// TestDeskRules: rules round-trip through the form; bad ones are 422
// with the reasons and what was typed.
func TestDeskRules(t *testing.T) {
	ls := newDeskSite(t)
	ed := signedIn(t, ls, "ed")
	resp, _ := saveRules(t, ed, "words", "Spam\nbuy now", "sections", "tech,finance", "authors", "Mallory, bob", "links", "on")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST rules: %d; want 303", resp.StatusCode)
	}
	r, err := ls.st.Rules(t.Context(), "ed")
	if err != nil || strings.Join(r.Words, "|") != "spam|buy now" || strings.Join(r.Sections, ",") != "tech,finance" ||
		strings.Join(r.Authors, ",") != "mallory,bob" || !r.Links || r.NewAccounts {
		t.Errorf("stored rules %+v, %v", r, err)
	}
	_, body := ed.get("/desk/rules", chromeUA)
	for _, want := range []string{"spam\nbuy now</textarea>", `value="tech" checked`, `value="mallory, bob"`, `name="links" value="on" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("rules page lacks %q", want)
		}
	}
	for _, tc := range []struct{ field, value, why string }{
		{"words", "!!!", "no letter"},
		{"words", "a\x01b", "control character"},
		{"sections", "weather", "not a section"},
		{"authors", "<script>", "not an account name"},
		{"words", strings.Repeat("long ", 30), "characters long"},
	} {
		resp, body := saveRules(t, ed, tc.field, tc.value)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.why) || strings.Contains(body, "<script>") {
			t.Errorf("%s=%q: %d; want 422 saying %q, escaped", tc.field, tc.value, resp.StatusCode, tc.why)
		}
	}
	if r2, _ := ls.st.Rules(t.Context(), "ed"); strings.Join(r2.Words, "|") != "spam|buy now" {
		t.Errorf("a refused post changed the rules: %+v", r2)
	}
}

// TestDeskLive: a comment that matches an editor's rules reaches their
// desk channel, words marked and hostile text inert; one that does not
// never reaches it; ann, whose rules differ, gets only hers.
func TestDeskLive(t *testing.T) {
	ls := newDeskSite(t)
	slug := firstSlug(t, ls.st, "tech")
	ed, ann := signedIn(t, ls, "ed"), signedIn(t, ls, "ann")
	saveRules(t, ed, "words", "spam")
	saveRules(t, ann, "words", "eggs")
	edSub := subscribeAs(t, ls, "ed", pages.DeskFeed+"ed")
	annSub := subscribeAs(t, ls, "ann", pages.DeskFeed+"ann")
	ada := newReader(t, ls)
	if resp, body := ada.post(slug, with(ada.form(slug), "text", "a fine comment")); resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.Status, body)
	}
	edSub.none(t, pages.DeskFeed+"ed", 300*time.Millisecond)
	f := ada.form(slug)
	if resp, _ := ada.post(slug, with(f, "text", "SPAM <script>alert(1)</script> spam")); resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.Status)
	}
	p := edSub.next(t, pages.DeskFeed+"ed")
	if p.Key != f.Get(form.IDField) || !strings.Contains(p.Content, "<mark>SPAM</mark>") || strings.Contains(p.Content, "<script>") ||
		!strings.Contains(p.Content, `class="desk-hide"`) {
		t.Errorf("desk publication: key %q, %.400s", p.Key, p.Content)
	}
	annSub.none(t, pages.DeskFeed+"ann", 300*time.Millisecond)
	// The desk page shows it, as the publication does.
	if _, body := ed.get("/desk", crawlerUA); !strings.Contains(body, "<mark>SPAM</mark>") || !strings.Contains(body, `data-live-key="`+f.Get(form.IDField)+`"`) {
		t.Errorf("the desk page lacks the matching comment")
	}
}

// TestDeskActions: hiding takes a comment off the article's page (the
// plain one too) and records the action; unhiding brings it back;
// pinning puts it first, marked data-live-pinned.
func TestDeskActions(t *testing.T) {
	ls := newDeskSite(t)
	slug := firstSlug(t, ls.st, "tech")
	ed, ada := signedIn(t, ls, "ed"), newReader(t, ls)
	var ids []string
	for _, text := range []string{"first comment", "second comment", "third comment"} {
		f := ada.form(slug)
		if resp, _ := ada.post(slug, with(f, "text", text)); resp.StatusCode != http.StatusSeeOther {
			t.Fatal(resp.Status)
		}
		ids = append(ids, f.Get(form.IDField))
	}
	act := func(id, kind string) {
		t.Helper()
		if resp, body := ed.postTo("/desk/comments/"+id+"/"+kind, with(deskFields(t, ed), "slug", slug)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %s: %d %.300s", kind, id, resp.StatusCode, body)
		}
	}
	shown := func() []string {
		t.Helper()
		cs, err := ls.st.VisibleComments(t.Context(), slug, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	act(ids[1], store.ActionHide)
	body := ed.page("/article/"+slug, crawlerUA, "inorder")
	if strings.Contains(body, ids[1]) || !strings.Contains(body, ids[0]) {
		t.Errorf("after hide, the plain article page still shows %s (or lost the others)", ids[1])
	}
	act(ids[2], store.ActionPin)
	if got := shown(); len(got) != 2 || got[0] != ids[2] {
		t.Errorf("after pin, comments are %v; want %s first", got, ids[2])
	}
	body = ed.page("/article/"+slug, crawlerUA, "inorder")
	if i := strings.Index(body, `id="comment-`+ids[2]+`"`); i < 0 || i > strings.Index(body, `id="comment-`+ids[0]+`"`) ||
		!strings.Contains(body[i:i+300], "data-live-pinned") {
		t.Errorf("the article page does not show the pinned comment first, marked data-live-pinned")
	}
	act(ids[1], store.ActionUnhide)
	act(ids[2], store.ActionUnpin)
	if got := shown(); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("after unhide and unpin, comments are %v; want %v", got, ids)
	}
	as, err := ls.st.Actions(t.Context(), 0)
	if err != nil || len(as) != 4 || as[0].Kind != store.ActionUnpin || as[3].Kind != store.ActionHide || as[3].Editor != "ed" || as[3].CommentID != ids[1] {
		t.Errorf("actions recorded: %+v, %v", as, err)
	}
	if _, body := ed.get("/desk", crawlerUA); !strings.Contains(body, `data-kind="hide"`) {
		t.Error("the desk's actions pagelet does not show the hide")
	}
	if resp, _ := ed.postTo("/desk/comments/"+ids[0]+"/delete", with(deskFields(t, ed), "slug", slug)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown action: %d; want 404", resp.StatusCode)
	}
	if resp, _ := ed.postTo("/desk/comments/nosuchcomment1/hide", with(deskFields(t, ed), "slug", slug)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown comment: %d; want 404", resp.StatusCode)
	}
}
