package accounts_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// site is accounts served over loopback, with "/whoami" saying who the
// middleware says the reader is.
type site struct {
	t   *testing.T
	acc *accounts.Accounts
	st  *store.Store
	srv *httptest.Server
	out chan pagelet.Reader // sign-outs the hook saw
}

func newSite(t *testing.T, tls bool, opts ...accounts.Option) *site {
	t.Helper()
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &site{t: t, st: st, out: make(chan pagelet.Reader, 10)}
	s.acc = accounts.New(st, append([]accounts.Option{accounts.WithToken("dp_client", []byte("test secret")),
		accounts.WithSignOut(func(_ context.Context, r pagelet.Reader) { s.out <- r })}, opts...)...)
	mux := http.NewServeMux()
	s.acc.Routes(mux, s.acc.Middleware)
	mux.Handle("GET /whoami", s.acc.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd := pagelet.ReaderFrom(r.Context())
		fmt.Fprintf(w, "%s|%s|%s", rd.ID, accounts.NameFrom(r.Context()), rd.Session)
	})))
	if tls {
		s.srv = httptest.NewTLSServer(mux)
	} else {
		s.srv = httptest.NewServer(mux)
	}
	t.Cleanup(s.srv.Close)
	return s
}

// browser is one cookie jar on s, not following redirects.
type browser struct {
	s *site
	c *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: s.srv.Client().Transport, Jar: jar, Timeout: 20 * time.Second}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{s: s, c: c}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.s.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string, header ...string) (*http.Response, string) {
	req, _ := http.NewRequestWithContext(b.s.t.Context(), "GET", b.s.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var (
	tokenRE = regexp.MustCompile(`name="_token" value="([^"]+)"`)
	idRE    = regexp.MustCompile(`name="_submission" value="([^"]+)"`)
)

// form GETs the form kind and returns its hidden fields with fields added.
func (b *browser) form(kind string, fields ...string) url.Values {
	b.s.t.Helper()
	_, body := b.get("/account/" + kind)
	tok, id := tokenRE.FindStringSubmatch(body), idRE.FindStringSubmatch(body)
	if tok == nil || id == nil {
		b.s.t.Fatalf("no token or submission id on /account/%s:\n%s", kind, body)
	}
	v := url.Values{form.TokenField: {tok[1]}, form.IDField: {id[1]}}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Set(fields[i], fields[i+1])
	}
	return v
}

func (b *browser) post(kind string, v url.Values) (*http.Response, string) {
	req, _ := http.NewRequestWithContext(b.s.t.Context(), "POST", b.s.srv.URL+"/account/"+kind, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// whoami returns the reader id the site sees.
func (b *browser) whoami(header ...string) string {
	_, body := b.get("/whoami", header...)
	return strings.SplitN(body, "|", 2)[0]
}

func (b *browser) session() *http.Cookie {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == accounts.SessionCookie {
			return c
		}
	}
	return nil
}

// signUp signs b up as name and fails unless it is a 303.
func (b *browser) signUp(name, password string) {
	b.s.t.Helper()
	if resp, body := b.post("signup", b.form("signup", "name", name, "password", password)); resp.StatusCode != 303 {
		b.s.t.Fatalf("sign up %s: %d\n%s", name, resp.StatusCode, body)
	}
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == accounts.SessionCookie {
			return c
		}
	}
	return nil
}

// TestSignUpInOut: sign up, sign out, sign in and out again, each a 303
// back to where the reader came from, with the session cookie set or
// cleared and the reader as the middleware sees it.
func TestSignUpInOut(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	resp, body := b.post("signup", b.form("signup", "name", "Ada_L", "password", "correct horse", "next", "/article/x?y=1"))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/article/x?y=1" {
		t.Fatalf("sign up: %d to %q, want 303 to /article/x?y=1\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	c := sessionCookie(resp)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || len(c.Value) != 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure without TLS, 43 characters", c)
	}
	if _, body := b.get("/whoami"); !strings.HasPrefix(body, "ada_l|Ada_L|") || strings.Contains(body, c.Value) {
		t.Errorf("whoami after sign-up = %q, want ada_l|Ada_L|<hash, not the cookie>", body)
	}
	signedIn := c.Value

	resp, _ = b.post("signout", b.form("signin", "next", "/search"))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/search" {
		t.Errorf("sign out: %d to %q, want 303 to /search", resp.StatusCode, resp.Header.Get("Location"))
	}
	if c := sessionCookie(resp); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign out's cookie %+v: want it cleared", c)
	}
	select {
	case r := <-s.out:
		if r.ID != "ada_l" || r.Session == "" {
			t.Errorf("sign-out hook got %+v", r)
		}
	default:
		t.Error("the sign-out hook was not called")
	}
	if id := b.whoami(); id != "" {
		t.Errorf("after sign-out the reader is %q", id)
	}
	// The old cookie, sent again by hand, no longer names anyone.
	if id := b.whoami("Cookie", accounts.SessionCookie+"="+signedIn); id != "" {
		t.Errorf("the signed-out session's cookie still reads as %q", id)
	}

	resp, body = b.post("signin", b.form("signin", "name", "ADA_L", "password", "correct horse"))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d to %q, want 303 to /\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if c := sessionCookie(resp); c == nil || c.Value == signedIn {
		t.Errorf("sign in's cookie %+v: want a new session id", c)
	}
	if id := b.whoami(); id != "ada_l" {
		t.Errorf("after sign-in the reader is %q", id)
	}
}

// TestSecureCookieUnderTLS: over TLS the session cookie is Secure.
func TestSecureCookieUnderTLS(t *testing.T) {
	s := newSite(t, true)
	b := s.browser()
	resp, _ := b.post("signup", b.form("signup", "name", "ada", "password", "correct horse"))
	if c := sessionCookie(resp); resp.StatusCode != 303 || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("over TLS: %d, cookie %+v; want 303 and a Secure, HttpOnly, SameSite=Lax cookie", resp.StatusCode, c)
	}
}

// TestSessionFixation: a session cookie the browser had before signing in
// (planted by an attacker, or an old one of its own) is replaced, and
// never becomes valid.
func TestSessionFixation(t *testing.T) {
	s := newSite(t, false)
	s.browser().signUp("ada", "correct horse")
	b := s.browser()
	u, _ := url.Parse(s.srv.URL)
	planted := strings.Repeat("A", 43)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: accounts.SessionCookie, Value: planted, Path: "/"}})
	resp, _ := b.post("signin", b.form("signin", "name", "ada", "password", "correct horse"))
	if c := sessionCookie(resp); resp.StatusCode != 303 || c == nil || c.Value == planted {
		t.Fatalf("sign in: %d, cookie %+v; want 303 and a new id", resp.StatusCode, c)
	}
	attacker := s.browser()
	if id := attacker.whoami("Cookie", accounts.SessionCookie+"="+planted); id != "" {
		t.Errorf("the planted id reads as %q after the victim signed in", id)
	}
	// Signing in again ends the session before.
	first := b.session().Value
	b.post("signin", b.form("signin", "name", "ada", "password", "correct horse"))
	if second := b.session().Value; second == first {
		t.Error("a second sign-in kept the session id")
	}
	if id := attacker.whoami("Cookie", accounts.SessionCookie+"="+first); id != "" {
		t.Errorf("the session before the second sign-in still reads as %q", id)
	}
}

// TestCSRF: every form refuses a post without its token, or with another
// browser's, with 403.
func TestCSRF(t *testing.T) {
	s := newSite(t, false)
	other := s.browser().form("signin")
	for _, kind := range []string{"signup", "signin", "signout"} {
		t.Run(kind, func(t *testing.T) {
			b := s.browser()
			v := b.form("signin", "name", "csrf-"+kind, "password", "correct horse")
			for _, tc := range []struct {
				name  string
				token string
			}{{"no token", ""}, {"other browser's", other.Get(form.TokenField)}, {"forged", "x" + v.Get(form.TokenField)}} {
				v.Set(form.TokenField, tc.token)
				if resp, _ := b.post(kind, v); resp.StatusCode != 403 || sessionCookie(resp) != nil {
					t.Errorf("%s: %d, session cookie %v; want 403 and none", tc.name, resp.StatusCode, sessionCookie(resp))
				}
			}
		})
	}
}

// TestNext: only a local path is followed after sign-in; anything else
// goes to "/".
func TestNext(t *testing.T) {
	s := newSite(t, false)
	s.browser().signUp("ada", "correct horse")
	for _, tc := range []struct{ next, want string }{
		{"/article/a#sec-comments", "/article/a#sec-comments"},
		{"//evil.com", "/"},
		{"/\\evil.com", "/"},
		{"https://evil.com", "/"},
		{"javascript:alert(1)", "/"},
		{"", "/"},
	} {
		t.Run(tc.next, func(t *testing.T) {
			b := s.browser()
			resp, _ := b.post("signin", b.form("signin", "name", "ada", "password", "correct horse", "next", tc.next))
			if got := resp.Header.Get("Location"); resp.StatusCode != 303 || got != tc.want {
				t.Errorf("next %q: %d to %q, want 303 to %q", tc.next, resp.StatusCode, got, tc.want)
			}
		})
	}
	// The form takes next from the query, or from a Referer of this site.
	b := s.browser()
	for _, tc := range []struct{ path, referer, want string }{
		{"/account/signin?next=/search%3Fq%3Dx", "", "/search?q=x"},
		{"/account/signin?next=//evil.com", "", "/"},
		{"/account/signin", s.srv.URL + "/article/b", "/article/b"},
		{"/account/signin", "https://evil.com/article/b", "/"},
	} {
		_, body := b.get(tc.path, "Referer", tc.referer)
		if want := `name="next" value="` + tc.want + `"`; !strings.Contains(body, want) {
			t.Errorf("GET %s (Referer %q): no %s in\n%s", tc.path, tc.referer, want, body)
		}
	}
}

// TestSignInLimit: past the failures allowed per name, then per address,
// sign-in answers 429 with Retry-After and says so in the form, even for
// the right password; the limit of one name does not block another.
func TestSignInLimit(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newSite(t, false, accounts.WithSignInLimits(4, 2, 5*time.Minute, 100), accounts.WithNow(func() time.Time { return now }))
	b := s.browser()
	b.signUp("ada", "correct horse")
	b.signUp("bob", "correct horse")
	try := func(name, password string) (*http.Response, string) {
		return b.post("signin", b.form("signin", "name", name, "password", password))
	}
	for range 2 {
		if resp, _ := try("ada", "wrong password"); resp.StatusCode != 422 {
			t.Fatalf("a wrong password: %d, want 422", resp.StatusCode)
		}
	}
	resp, body := try("ada", "correct horse")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "300" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Errorf("past the name's limit: %d, Retry-After %q; want 429, 300 and the message in the form\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := try("bob", "correct horse"); resp.StatusCode != 303 {
		t.Errorf("another name from the same address: %d, want 303", resp.StatusCode)
	}
	for range 2 {
		try("nobody", "wrong password")
	}
	if resp, _ := try("bob", "correct horse"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("past the address's limit: %d, want 429 with Retry-After", resp.StatusCode)
	}
}

// TestSameAnswer: an unknown name and a wrong password get the same
// status, message and page.
func TestSameAnswer(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	b.signUp("ada", "correct horse")
	strip := regexp.MustCompile(`value="[^"]*"`)
	answer := func(name string) (int, string) {
		resp, body := b.post("signin", b.form("signin", "name", name, "password", "wrong password"))
		return resp.StatusCode, strip.ReplaceAllString(strings.ReplaceAll(body, name, "NAME"), "")
	}
	s1, b1 := answer("ada")
	s2, b2 := answer("zed")
	if s1 != 422 || s1 != s2 || b1 != b2 {
		t.Errorf("wrong password: %d\n%s\nunknown name: %d\n%s", s1, b1, s2, b2)
	}
}

// TestSignUpRefused: a name taken (by case or look-alike), an invalid name
// or a short password is a 422 with the reason by its field, and no
// session.
func TestSignUpRefused(t *testing.T) {
	s := newSite(t, false)
	s.browser().signUp("bill", "correct horse")
	for _, tc := range []struct{ name, password, says string }{
		{"BILL", "correct horse", "That name is taken"},
		{"Bi11", "correct horse", "That name is taken"},
		{"b1ll", "correct horse", "That name is taken"},
		{"ab", "correct horse", "3 to 30"},
		{"bіll", "correct horse", "U+0456"},
		{"evil\u202egnp", "correct horse", "U+202E"},
		{"carol", "short", "at least 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := s.browser()
			resp, body := b.post("signup", b.form("signup", "name", tc.name, "password", tc.password))
			if resp.StatusCode != 422 || !strings.Contains(html.UnescapeString(body), tc.says) || sessionCookie(resp) != nil {
				t.Errorf("%d, cookie %v; want 422 saying %q, no cookie\n%s", resp.StatusCode, sessionCookie(resp), tc.says, body)
			}
			if strings.Contains(body, tc.password) {
				t.Error("the password is shown again")
			}
		})
	}
}

// TestHostileName: markup through the name field is refused and shown
// back only as text.
func TestHostileName(t *testing.T) {
	s := newSite(t, false)
	for _, name := range []string{`"><img src=x onerror=alert(1)>`, "</script><script>alert(1)</script>", "javascript:alert(1)", "\u2028<!--"} {
		b := s.browser()
		for _, kind := range []string{"signup", "signin"} {
			resp, body := b.post(kind, b.form(kind, "name", name, "password", "correct horse"))
			if resp.StatusCode != 422 || strings.Contains(body, "<img") || strings.Contains(body, "<script") || strings.Contains(body, "<!--") {
				t.Errorf("%s %q: %d, markup in the page:\n%s", kind, name, resp.StatusCode, body)
			}
		}
	}
}

// TestReaderNotFromRequest: a reader id in a query, a header or a cookie
// other than the session's is never read.
func TestReaderNotFromRequest(t *testing.T) {
	s := newSite(t, false)
	s.browser().signUp("ada", "correct horse")
	b := s.browser()
	for _, h := range [][]string{
		{"X-Reader", "ada"}, {"X-User-Id", "ada"}, {"Authorization", "Bearer ada"},
		{"Cookie", "reader=ada; user=ada"}, {"Cookie", accounts.SessionCookie + "=ada"},
	} {
		if id := b.whoami(h...); id != "" {
			t.Errorf("%s: %s reads as %q", h[0], h[1], id)
		}
	}
	if _, body := b.get("/whoami?reader=ada&user=ada&id=ada"); body != "||" {
		t.Errorf("query: reader %q", body)
	}
}

// TestValid: the live engine's check of a reader's session.
func TestValid(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	b.signUp("ada", "correct horse")
	_, body := b.get("/whoami")
	parts := strings.Split(body, "|")
	ada := pagelet.Reader{ID: parts[0], Session: parts[2]}
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		r    pagelet.Reader
		want bool
	}{
		{"signed in", ada, true},
		{"anonymous", pagelet.Reader{}, true},
		{"another id", pagelet.Reader{ID: "bob", Session: ada.Session}, false},
		{"no session", pagelet.Reader{ID: "ada"}, false},
		{"unknown session", pagelet.Reader{ID: "ada", Session: "00"}, false},
	} {
		if ok, err := s.acc.Valid(ctx, tc.r); ok != tc.want || err != nil {
			t.Errorf("%s: Valid = %v, %v; want %v", tc.name, ok, err, tc.want)
		}
	}
	b.post("signout", b.form("signin"))
	if ok, err := s.acc.Valid(ctx, ada); ok || err != nil {
		t.Errorf("after sign-out: Valid = %v, %v; want false", ok, err)
	}
	s.st.Close()
	if _, err := s.acc.Valid(ctx, ada); err == nil {
		t.Error("Valid on a closed store: no error")
	}
}

// TestSessionExpiry: the store's expiry ends a session whatever the
// cookie says.
func TestSessionExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newSite(t, false, accounts.WithNow(func() time.Time { return clock() }), accounts.WithSessionTTL(time.Hour))
	b := s.browser()
	b.signUp("ada", "correct horse")
	if id := b.whoami(); id != "ada" {
		t.Fatalf("reader %q", id)
	}
	clock = func() time.Time { return now.Add(time.Hour) }
	if id := b.whoami(); id != "" {
		t.Errorf("an hour later the reader is still %q", id)
	}
}
