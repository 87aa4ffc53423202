package pages

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Comment limits. The form says the same (maxlength), but the server is
// the one that decides.
const (
	MaxCommentName = 60   // runes
	MaxCommentText = 2000 // runes
	// maxCommentBody bounds a comment POST's body: the longest text,
	// every rune percent-encoded, with room for the other fields.
	maxCommentBody = 64 << 10
	// commentsShown is how many of an article's comments its page shows:
	// the newest, oldest first.
	commentsShown = 200
	// publishTimeout bounds publishing a stored comment.
	publishTimeout = 5 * time.Second
)

// Default rate of comments per client address: a burst of 3, then one
// every 12 s (5 a minute).
const (
	DefaultCommentRate  = 12 * time.Second
	DefaultCommentBurst = 3
)

// ClientCookie names the cookie that identifies a browser to the comment
// form's CSRF check: a random id, HttpOnly, SameSite=Lax. The form carries
// an HMAC of it ([Site] keys it with [WithSecret]); a cross-site POST comes
// without the cookie (SameSite) and a forged form without the HMAC.
const ClientCookie = "dp_client"

// WithSecret sets the key of the comment form's CSRF tokens. Every
// instance of the site must share it, or a form served by one is refused
// by another. Without it a random key is made per site.
func WithSecret(key []byte) Option {
	return func(s *Site) { s.secret = append([]byte(nil), key...) }
}

// WithCommentRate sets how many comments one client address may post: a
// burst of burst, then one per every. every ≤ 0 or burst < 1: no limit.
func WithCommentRate(every time.Duration, burst int) Option {
	return func(s *Site) {
		s.posts = newAddressLimiter(every, burst, func() time.Time { return s.now() })
	}
}

// WithLogger sets where the site logs what it cannot tell the client (a
// comment stored but not published, say). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Site) { s.log = l } }

// commentForm is what the comment form needs beside the article.
type commentForm struct {
	Slug string
	CSRF string // the HMAC of the client's cookie
	ID   string // a fresh comment id: a resubmission of this form is the same comment
}

// Action is the URL the form posts to.
func (f commentForm) Action() string { return "/article/" + f.Slug + "/comments" }

// commentForm returns the comment form for slug for r's client, setting
// the client cookie on w if r has none (or a malformed one).
func (s *Site) commentForm(w http.ResponseWriter, r *http.Request, slug string) commentForm {
	id := clientID(r)
	if id == "" {
		id = newID()
		http.SetCookie(w, &http.Cookie{
			Name: ClientCookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
	}
	return commentForm{Slug: slug, CSRF: s.csrfToken(id), ID: newID()}
}

// clientID returns r's client cookie, or "" if it has none that this site
// could have set.
func clientID(r *http.Request) string {
	c, err := r.Cookie(ClientCookie)
	if err != nil || !validCommentID(c.Value) || len(c.Value) < 16 {
		return ""
	}
	return c.Value
}

// csrfToken is the form token of the client with cookie id.
func (s *Site) csrfToken(id string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("comment-form\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newID returns 128 random bits, base64url: a cookie or comment id.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validCommentID reports whether id can name a comment: 8 to 64 letters,
// digits, '-' and '_' (a UUID, or base64url). It is used in an element id
// and as the publication's key, so nothing else is let in.
func validCommentID(id string) bool {
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

// commentError is a comment refused, with the status and what to tell the
// poster.
type commentError struct {
	status int
	msg    string
}

func (e *commentError) Error() string { return e.msg }

func badComment(format string, args ...any) *commentError {
	return &commentError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// cleanComment checks a comment's name and text and returns them as
// stored: trimmed, with line breaks as "\n". Both must be valid UTF-8,
// non-empty and within their limits, without control characters (a line
// break in the text is the one allowed) or bidirectional overrides, which
// would let one comment reorder the text shown after it.
func cleanComment(name, text string) (string, string, error) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	name, text = strings.TrimSpace(name), strings.TrimSpace(text)
	for _, f := range []struct {
		what, v string
		max     int
		nl      bool
	}{{"name", name, MaxCommentName, false}, {"comment", text, MaxCommentText, true}} {
		switch n := utf8.RuneCountInString(f.v); {
		case !utf8.ValidString(f.v):
			return "", "", badComment("Your %s is not valid UTF-8 text.", f.what)
		case n == 0:
			return "", "", badComment("Your %s is empty.", f.what)
		case n > f.max:
			return "", "", badComment("Your %s is %d characters long; at most %d are allowed.", f.what, n, f.max)
		}
		if i := strings.IndexFunc(f.v, func(r rune) bool {
			return (unicode.IsControl(r) && !(f.nl && r == '\n')) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
		}); i >= 0 {
			return "", "", badComment("Your %s contains a control character (%U), which is not allowed.", f.what, []rune(f.v[i:])[0])
		}
	}
	return name, text, nil
}

// PostComment handles "POST /article/{slug}/comments": the comment form.
// It checks the CSRF token (403), the fields (400), the client address's
// rate (429, with Retry-After), stores the comment by its client-made id
// (a retry or a double submission is stored and published once), publishes
// it to the article's channel, and redirects to the article's comments
// (303), where a browser without JavaScript sees it. A client that asks
// for JSON (Accept: application/json, as the form's script does) gets
// 201 {"id","seq"} (200 for a comment stored already) or {"error"}
// instead of the redirect and the error page.
func (s *Site) PostComment(w http.ResponseWriter, r *http.Request) {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	slug := r.PathValue("slug")
	if !ValidSlug(slug) {
		s.NotFound(w, r)
		return
	}
	if _, err := s.st.Headline(r.Context(), slug); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.NotFound(w, r)
			return
		}
		s.commentRefused(w, r, slug, wantJSON, &commentError{http.StatusInternalServerError, "The comment could not be stored. Please try again."})
		return
	}
	c, added, err := s.addComment(w, r, slug)
	if err != nil {
		var ce *commentError
		if !errors.As(err, &ce) {
			s.logger().Error("comment not stored", "article", slug, "err", err)
			ce = &commentError{http.StatusInternalServerError, "The comment could not be stored. Please try again."}
		}
		s.commentRefused(w, r, slug, wantJSON, ce)
		return
	}
	if added {
		// Published after the store has it: a reader who reloads sees it
		// whether or not the publication reaches them. A publication that
		// fails (the broker down) is retried in the background.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), publishTimeout)
		err := s.publishComment(ctx, c)
		cancel()
		if err != nil {
			s.publishCommentLater(c, err)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if wantJSON {
		status := http.StatusOK
		if added {
			status = http.StatusCreated
		}
		writeJSON(w, status, map[string]any{"id": c.ID, "seq": c.Seq})
		return
	}
	http.Redirect(w, r, "/article/"+slug+"#sec-comments", http.StatusSeeOther)
}

// addComment checks and stores the comment r posts to slug.
func (s *Site) addComment(w http.ResponseWriter, r *http.Request, slug string) (store.Comment, bool, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxCommentBody)
	if err := r.ParseForm(); err != nil {
		return store.Comment{}, false, badComment("The comment could not be read: %s.", formError(err))
	}
	id := clientID(r)
	if id == "" {
		return store.Comment{}, false, &commentError{http.StatusForbidden,
			"Your browser did not send this site's cookie, which the comment form needs: allow cookies for this site, reload the article and post again."}
	}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.csrfToken(id))) {
		return store.Comment{}, false, &commentError{http.StatusForbidden,
			"This form has expired or did not come from this site: reload the article and post again."}
	}
	cid := r.PostForm.Get("id")
	if !validCommentID(cid) {
		return store.Comment{}, false, badComment("The comment has no valid id: reload the article and post again.")
	}
	name, text, err := cleanComment(r.PostForm.Get("name"), r.PostForm.Get("text"))
	if err != nil {
		return store.Comment{}, false, err
	}
	// A retry of a comment stored already is answered as a success
	// without counting against the rate: it changes nothing.
	if prev, ok := s.storedComment(r.Context(), slug, cid); ok {
		return prev, false, nil
	}
	if wait, ok := s.posts.allow(clientAddress(r)); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return store.Comment{}, false, &commentError{http.StatusTooManyRequests,
			fmt.Sprintf("You are posting comments too quickly. Please wait %d seconds and post again.", secs)}
	}
	return s.st.AddComment(r.Context(), store.Comment{ID: cid, Slug: slug, Name: name, Text: text, Posted: s.now()})
}

// storedComment returns the comment id on slug if it is stored already.
// It looks among the newest ones only: an older one is found by
// [store.Store.AddComment] itself, which never stores an id twice.
func (s *Site) storedComment(ctx context.Context, slug, id string) (store.Comment, bool) {
	cs, err := s.st.Comments(context.WithoutCancel(ctx), slug, commentsShown)
	if err != nil {
		return store.Comment{}, false
	}
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return store.Comment{}, false
}

// formError says why a comment form could not be parsed.
func formError(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Sprintf("it is over %d KiB", tooBig.Limit>>10)
	}
	return "it is not a form"
}

// commentRefused answers a refused comment: JSON for the form's script,
// otherwise a page of the site saying why, with a link back.
func (s *Site) commentRefused(w http.ResponseWriter, r *http.Request, slug string, wantJSON bool, e *commentError) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if wantJSON {
		writeJSON(w, e.status, map[string]string{"error": e.msg})
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	_ = commentRefusedPage(chrome{Now: s.now()}, s.cssURL(), "/article/"+slug+"#sec-comments", e.msg).Render(r.Context(), w)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Site) logger() *slog.Logger {
	if s.log != nil {
		return s.log
	}
	return slog.Default()
}

// clientAddress is the address a comment counts against: the peer's IP.
// Behind a proxy every client has the proxy's; the limit is then the
// proxy's.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addressLimiter is a token bucket per client address: burst tokens, one
// more every interval.
type addressLimiter struct {
	every time.Duration // ≤ 0: no limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time // when tokens was worked out
}

// maxTracked bounds the addresses an addressLimiter remembers: past it,
// those whose bucket has refilled (which would allow as much as a new one)
// are forgotten.
const maxTracked = 10000

func newAddressLimiter(every time.Duration, burst int, now func() time.Time) *addressLimiter {
	return &addressLimiter{every: every, burst: burst, now: now, buckets: make(map[string]*tokenBucket)}
}

// allow takes a token for addr, or says how long until one is there.
func (l *addressLimiter) allow(addr string) (time.Duration, bool) {
	if l.every <= 0 || l.burst < 1 {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= maxTracked {
			l.forgetFull(now)
		}
		b = &tokenBucket{tokens: float64(l.burst), at: now}
		l.buckets[addr] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(l.every)), false
	}
	b.tokens--
	return 0, true
}

func (l *addressLimiter) refill(b *tokenBucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(l.burst), b.tokens+float64(d)/float64(l.every))
		b.at = now
	}
}

func (l *addressLimiter) forgetFull(now time.Time) {
	for a, b := range l.buckets {
		if l.refill(b, now); b.tokens >= float64(l.burst) {
			delete(l.buckets, a)
		}
	}
}
