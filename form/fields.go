package form

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
)

// The hidden fields a form posts to a [Handler], as [Fields] renders them.
// The leading underscore keeps them apart from a site's own field names
// (a field named "id" would also shadow the form element's id property).
const (
	TokenField = "_token"      // the CSRF token, with WithToken
	IDField    = "_submission" // the submission id
)

// Fields are a form's hidden fields: the CSRF token ([WithToken]; "" without
// one) and a fresh submission id. Get them from [Handler.Fields] each time
// the form is rendered. A Fields is a templ.Component: render it inside the
// <form> (@fields in templ).
type Fields struct {
	Token string
	ID    string
}

// Render writes the hidden inputs: the token's (if any) and the id's.
func (f Fields) Render(_ context.Context, w io.Writer) error {
	s := ""
	if f.Token != "" {
		s = `<input type="hidden" name="` + TokenField + `" value="` + html.EscapeString(f.Token) + `">`
	}
	s += `<input type="hidden" name="` + IDField + `" value="` + html.EscapeString(f.ID) + `">`
	_, err := io.WriteString(w, s)
	return err
}

// Fields returns the hidden fields of one rendering of the form: a new
// submission id and, with [WithToken], the token of r's browser. If r has no
// valid cookie yet it sets one on w, so call Fields before the page's first
// byte is written: in a render.PageFunc (the request check), not in a
// pagelet.
func (h *Handler) Fields(w http.ResponseWriter, r *http.Request) Fields {
	return Fields{Token: h.token(w, r), ID: newID()}
}

// token returns r's browser's token, setting its cookie on w if it has
// none; "" without WithToken.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) string {
	if h.cookie == "" {
		return ""
	}
	id := h.client(r)
	if id == "" {
		id = newID()
		http.SetCookie(w, &http.Cookie{
			Name: h.cookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
	}
	return h.sign(id)
}

// client returns r's cookie value, or "" if it has none this package could
// have set.
func (h *Handler) client(r *http.Request) string {
	c, err := r.Cookie(h.cookie)
	if err != nil || len(c.Value) < 16 || !validID(c.Value) {
		return ""
	}
	return c.Value
}

// sign is the token of the browser whose cookie is id.
func (h *Handler) sign(id string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("bigpipe-form\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newID returns 128 random bits, base64url: a cookie or submission id.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validID reports whether id can be a submission id: 8 to 64 letters,
// digits, '-' and '_' (base64url, or a UUID as crypto.randomUUID makes).
// A site may use it in element ids and as a key, so nothing else is let in.
func validID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
