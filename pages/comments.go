package pages

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
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
// form's CSRF check ([form.WithToken]): a random id, HttpOnly,
// SameSite=Lax. The form carries an HMAC of it ([Site] keys it with
// [WithSecret]); a cross-site POST is refused by its Sec-Fetch-Site or
// Origin header ([http.CrossOriginProtection]), or else comes without the
// cookie (SameSite), and a forged form without the HMAC.
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

// DefaultPostLimit is how many comment posts, and as many message posts,
// may be stored at once unless [WithPostLimit] says otherwise.
const DefaultPostLimit = 64

// WithPostLimit bounds the comment posts being stored at once, and the
// message posts: one more is refused at once with 503 and Retry-After
// (the form keeps its text) rather than waiting behind the others for a
// store that is already saturated ([form.WithMaxInFlight]). n ≤ 0: no
// bound. The default is [DefaultPostLimit].
func WithPostLimit(n int) Option { return func(s *Site) { s.postCap = n } }

// WithLogger sets where the site logs what it cannot tell the client (a
// comment stored but not published, say). The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Site) { s.log = l } }

// commentForm is what the comment form needs beside the article: its
// hidden fields and, shown again after a refused post, what was typed and
// what was wrong.
type commentForm struct {
	Slug   string
	Signed string      // the signed-in reader's name, who posts as it; "" for anonymous
	Fields form.Fields // the CSRF token and a fresh comment id
	Values url.Values  // the fields as posted; nil on the article
	Errors form.Errors // per field
	Alert  string      // why the post was refused
}

// ReplyTo is the id of the comment the form answers, or "": the posted
// reply_to, or the article's reply_to query parameter, if it can be a
// comment id.
func (f commentForm) ReplyTo() string {
	if id := f.Values.Get("reply_to"); validCommentID(id) {
		return id
	}
	return ""
}

// validCommentID reports whether id can be a comment's: the form
// package's submission ids, 8 to 64 letters, digits, '-' and '_'.
func validCommentID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == ""
}

// Action is the URL the form posts to.
func (f commentForm) Action() string { return "/article/" + f.Slug + "/comments" }

// commentForm returns the comment form for slug for r's client, setting
// the client cookie on w if r has none (or a malformed one).
func (s *Site) commentForm(w http.ResponseWriter, r *http.Request, slug string) commentForm {
	f := commentForm{Slug: slug, Fields: s.comments.Fields(w, r), Signed: readerName(r.Context())}
	if id := r.URL.Query().Get("reply_to"); validCommentID(id) {
		f.Values = url.Values{"reply_to": {id}}
	}
	return f
}

// newCommentHandler is the comment form's handler ([form.New]): the CSRF
// token bound to [ClientCookie], the comment id as the submission id, the
// form shown again on a refused plain post ([Site.commentRefused]).
func (s *Site) newCommentHandler() *form.Handler {
	return form.New(s.addComment,
		form.WithToken(ClientCookie, s.secret),
		form.WithMaxBytes(maxCommentBody),
		form.WithMaxInFlight(s.postCap),
		form.WithOutcomes(s.postMetrics.counter("comment")),
		form.WithErrorPage(s.commentRefused),
		form.WithLogger(s.logger()))
}

// cleanComment checks a comment's name and text and returns them as
// stored: trimmed, with line breaks as "\n". Both must be valid UTF-8,
// non-empty and within their limits, without control characters (a line
// break in the text is the one allowed) or bidirectional overrides, which
// would let one comment reorder the text shown after it. What is wrong is
// returned as field errors, one per field.
func cleanComment(name, text string) (string, string, form.Errors) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	name, text = strings.TrimSpace(name), strings.TrimSpace(text)
	var errs form.Errors
	for _, f := range []struct {
		field, what, v string
		max            int
		nl             bool
	}{{"name", "name", name, MaxCommentName, false}, {"text", "comment", text, MaxCommentText, true}} {
		if msg := checkField(f.what, f.v, f.max, f.nl); msg != "" {
			errs = append(errs, form.FieldError{Field: f.field, Message: msg})
		}
	}
	return name, text, errs
}

// checkField says what is wrong with a comment's field v, or "".
func checkField(what, v string, limit int, nl bool) string {
	switch n := utf8.RuneCountInString(v); {
	case !utf8.ValidString(v):
		return fmt.Sprintf("Your %s is not valid UTF-8 text.", what)
	case n == 0:
		return fmt.Sprintf("Your %s is empty.", what)
	case n > limit:
		return fmt.Sprintf("Your %s is %d characters long; at most %d are allowed.", what, n, limit)
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return (unicode.IsControl(r) && !(nl && r == '\n')) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
	}); i >= 0 {
		return fmt.Sprintf("Your %s contains a control character (%U), which is not allowed.", what, []rune(v[i:])[0])
	}
	return ""
}

// PostComment handles "POST /article/{slug}/comments": the comment form,
// answered by the form package ([form.New]): the cross-origin check and
// the CSRF token (403), the body (413, 415, 400), the fields (422, the
// form shown again with the text kept), the client address's rate (429,
// with Retry-After), the database away or not answering within three
// seconds (503, with Retry-After: the form shown again with the text, or
// the text left in the enhanced form's box). It stores the comment by its
// client-made id, the
// submission id (a retry or a double submission is stored and published
// once), publishes it to the article's channel, and redirects to the
// article's comments (303), where a browser without JavaScript sees it. A
// client that asks for JSON (Accept: application/json, as the form
// enhancer does) gets 201 {"ok":true,"data":{"id","seq"}} (200 for a
// comment another instance stored already; a replay of the same answer
// carries Idempotent-Replayed) or {"ok":false,"error","fields"} instead
// of the redirect and the page. An unknown article is the 404 page.
func (s *Site) PostComment(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if !ValidSlug(slug) {
		s.NotFound(w, r)
		return
	}
	if _, err := s.st.Headline(r.Context(), slug); errors.Is(err, store.ErrNotFound) {
		s.NotFound(w, r)
		return
	}
	s.comments.ServeHTTP(w, r)
}

// addComment is the comment form's [form.Action]: it checks and stores
// the comment sub posts to its article, and publishes it.
//
// A signed-in reader's comment carries their account's name whatever the
// name field says, and their reader id; an anonymous one the name field.
// A reply_to field names the comment it answers, which must be on the
// same article (else a field error); [WithOnReply] hears of it.
func (s *Site) addComment(ctx context.Context, sub *form.Submission) (form.Result, error) {
	if sessionUnknown(ctx) {
		return form.Result{}, sessionAway("comment")
	}
	ctx, cancel := context.WithTimeout(ctx, postStoreTimeout)
	defer cancel()
	slug := sub.Request.PathValue("slug")
	reader, name := pagelet.ReaderFrom(ctx), sub.Values.Get("name")
	if !reader.Anonymous() {
		name = readerName(ctx)
	}
	name, text, errs := cleanComment(name, sub.Values.Get("text"))
	to, err := s.repliedTo(ctx, slug, sub.Values.Get("reply_to"))
	if fe, ok := errors.AsType[form.Errors](err); ok {
		errs, err = append(errs, fe...), nil
	}
	if err != nil {
		return form.Result{}, storeAway("comment", err)
	}
	if errs != nil {
		return form.Result{}, errs
	}
	// A retry of a comment stored already (by another instance, by an
	// attempt whose answer was lost, or after the form handler forgot it)
	// is answered as a success without counting against the rate: it
	// changes nothing. It is published again, in case the attempt that
	// stored it did not get that far: the engine and the pages drop a
	// publication of a comment they have.
	c, found, err := s.storedComment(ctx, slug, sub.ID)
	if err != nil {
		return form.Result{}, storeAway("comment", fmt.Errorf("comments on %s: %w", slug, err))
	}
	added := false
	if found {
		s.republishComment(ctx, c)
	} else {
		addr := clientAddress(sub.Request)
		if wait, ok := s.posts.allow(addr); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			return form.Result{}, &form.Error{Status: http.StatusTooManyRequests,
				Header:  http.Header{"Retry-After": {strconv.Itoa(secs)}},
				Message: fmt.Sprintf("You are posting comments too quickly. Please wait %d seconds and post again.", secs)}
		}
		var err error
		c, added, err = s.st.AddComment(ctx, store.Comment{ID: sub.ID, Slug: slug, Name: name, Text: text, Posted: s.now(),
			Reader: reader.ID, ReplyTo: to.ID, ReplyName: to.Name})
		if err != nil {
			if refused := storeAway("comment", err); refused != err {
				s.posts.refund(addr) // nothing was posted, as far as the client knows
				return form.Result{}, refused
			}
			return form.Result{}, fmt.Errorf("store comment on %s: %w", slug, err)
		}
		if added {
			// Published after the store has it: a reader who reloads sees it
			// whether or not the publication reaches them. A publication that
			// fails (the broker down) is retried in the background. The
			// publication expires the article's cached comments; without
			// one, expire them here.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
			err := s.publishComment(ctx, c)
			cancel()
			if err != nil || s.feeds == nil {
				s.expire(ctx, commentsTag(slug))
			}
			if err != nil {
				s.publishCommentLater(c, err)
			}
			s.toDesks(context.WithoutCancel(ctx), c, store.CommentState{})
			if s.onReply != nil && c.ReplyTo != "" {
				s.onReply(context.WithoutCancel(ctx), c, to)
			}
		} else {
			s.republishComment(ctx, c)
		}
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return form.Result{Redirect: "/article/" + slug + "#sec-comments", Status: status, Message: "Posted.",
		Data: map[string]any{"id": c.ID, "seq": c.Seq}}, nil
}

// republishComment publishes c, a comment found stored already, again:
// the attempt that stored it may have lost its answer, and its
// publication, to a database that went away. A failure is retried in the
// background.
func (s *Site) republishComment(ctx context.Context, c store.Comment) {
	if s.feeds == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.publishComment(ctx, c); err != nil {
		s.expire(ctx, commentsTag(c.Slug))
		s.publishCommentLater(c, err)
	}
}

// msgReplyTo is the field error of a reply_to that names no comment of
// the article.
const msgReplyTo = "The comment you are answering is not on this article (it may have been removed). Post without answering it, or reload the article."

// repliedTo returns the comment on slug that id names, the zero Comment
// for an empty id, or a field error (form.Errors) if there is none.
func (s *Site) repliedTo(ctx context.Context, slug, id string) (store.Comment, error) {
	if id == "" {
		return store.Comment{}, nil
	}
	if !validCommentID(id) {
		return store.Comment{}, form.Errors{{Field: "reply_to", Message: msgReplyTo}}
	}
	c, err := s.st.Comment(ctx, slug, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Comment{}, form.Errors{{Field: "reply_to", Message: msgReplyTo}}
	}
	if err != nil {
		return store.Comment{}, fmt.Errorf("comment %q answers %q: %w", slug, id, err)
	}
	return c, nil
}

// storedComment returns the comment id on slug if it is stored already.
// It looks among the newest ones only: an older one is found by
// [store.Store.AddComment] itself, which never stores an id twice.
func (s *Site) storedComment(ctx context.Context, slug, id string) (store.Comment, bool, error) {
	cs, err := s.st.Comments(ctx, slug, commentsShown)
	if err != nil {
		return store.Comment{}, false, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, true, nil
		}
	}
	return store.Comment{}, false, nil
}

// commentRefused is the page a browser without JavaScript gets when its
// comment is refused: why, and the form again with what was typed and
// each error next to its field (when the post got that far), or the way
// back to the article.
func (s *Site) commentRefused(r *http.Request, f *form.Failure) templ.Component {
	slug := r.PathValue("slug")
	var cf *commentForm
	if f.Form.ID != "" && f.Values != nil {
		cf = &commentForm{Slug: slug, Fields: f.Form, Values: f.Values, Errors: f.Fields, Alert: f.Message, Signed: readerName(r.Context())}
	}
	var box templ.Component
	if s.acc != nil {
		box = accountBox(readerName(r.Context()), f.Form, r.URL.Path)
	}
	return commentRefusedPage(chrome{Now: s.now(), Account: box}, s.cssURL(), "/article/"+slug+"#sec-comments", f.Message, cf)
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

// refund gives back the token a post by addr took and that did not post
// anything (the store was away).
func (l *addressLimiter) refund(addr string) {
	if l.every <= 0 || l.burst < 1 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[addr]; ok {
		b.tokens = min(float64(l.burst), b.tokens+1)
	}
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
