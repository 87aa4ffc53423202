package form

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// Handler answers the posts of one form to one [Action]. Create it with
// [New]; it is safe for concurrent use.
type Handler struct {
	action     Action
	cop        *http.CrossOriginProtection
	cookie     string // WithToken's cookie; "" without a token
	secret     []byte
	replays    Replays // nil: no replays
	replaysSet bool
	ttl        time.Duration
	entries    int
	maxBytes   int64
	page       func(r *http.Request, f *Failure) templ.Component
	log        *slog.Logger
	running    chan struct{} // WithMaxInFlight's places; nil: no bound
	outcome    func(Outcome) // WithOutcomes; nil: none
}

var _ http.Handler = (*Handler)(nil)

// New returns the Handler that runs action for each post of a form. By
// default it checks cross-origin posts with [http.NewCrossOriginProtection],
// remembers successes in memory ([DefaultReplayTTL], [DefaultReplayEntries])
// and reads at most [DefaultMaxBytes]; it sends no CSRF token unless
// [WithToken] says so. Like [http.ServeMux.Handle] it panics on a nil
// action, a setup error.
func New(action Action, opts ...Option) *Handler {
	if action == nil {
		panic("form: New: nil Action")
	}
	h := &Handler{action: action, cop: http.NewCrossOriginProtection(), ttl: DefaultReplayTTL, entries: DefaultReplayEntries}
	for _, o := range opts {
		o(h)
	}
	h.config()
	return h
}

// The refusals the Handler makes itself, before the action runs.
var (
	errMethod      = &Error{Status: http.StatusMethodNotAllowed, Message: "This address only takes form posts (POST).", Header: http.Header{"Allow": {"POST"}}}
	errCrossOrigin = &Error{Status: http.StatusForbidden, Message: "This form was posted from another site, so it was refused. Open the page on this site and post it there."}
	errContentType = &Error{Status: http.StatusUnsupportedMediaType, Message: "The form was not sent as a form (application/x-www-form-urlencoded).", Header: http.Header{"Accept-Post": {"application/x-www-form-urlencoded"}}}
	errUnreadable  = &Error{Status: http.StatusBadRequest, Message: "The form could not be read."}
	errUTF8        = &Error{Status: http.StatusBadRequest, Message: "The form's text is not valid UTF-8."}
	errNoCookie    = &Error{Status: http.StatusForbidden, Message: "Your browser did not send this site's cookie, which the form needs: allow cookies for this site, reload the page and post again."}
	errToken       = &Error{Status: http.StatusForbidden, Message: "This form has expired or did not come from this site: reload the page and post again."}
	errID          = &Error{Status: http.StatusBadRequest, Message: "The form has no valid submission id: reload the page and post again."}
	errBusy        = &Error{Status: http.StatusServiceUnavailable, Message: "Too many forms are being sent just now. Please post again in a moment.", Header: http.Header{"Retry-After": {"1"}}}
	errInternal    = &Error{Status: http.StatusInternalServerError, Message: "The form could not be processed. Please try again."}
)

// ServeHTTP checks and reads the post, runs the action once per submission
// and answers: see the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{h: h, w: w, r: r, json: wantsJSON(r)}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		x.fail(errMethod, nil)
		return
	}
	if h.cop != nil {
		if err := h.cop.Check(r); err != nil {
			x.fail(errCrossOrigin, nil)
			return
		}
	}
	x.form = true // from here on a refusal may show the form again
	if e := h.read(w, r); e != nil {
		x.fail(e, nil)
		return
	}
	x.values = url.Values{}
	for k, v := range r.PostForm {
		if k != TokenField && k != IDField {
			x.values[k] = v
		}
	}
	id := r.PostForm.Get(IDField)
	if validID(id) {
		x.id = id
	}
	client := ""
	if h.cookie != "" {
		if client = h.client(r); client == "" {
			x.fail(errNoCookie, nil)
			return
		}
		if !hmac.Equal([]byte(r.PostForm.Get(TokenField)), []byte(h.sign(client))) {
			x.fail(errToken, nil)
			return
		}
	}
	if x.id == "" {
		x.fail(errID, nil)
		return
	}
	h.run(x, client)
}

// read checks the content type and parses the body within its limit.
func (h *Handler) read(w http.ResponseWriter, r *http.Request) *Error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return errContentType
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBytes)
	if err := r.ParseForm(); err != nil {
		if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &Error{Status: http.StatusRequestEntityTooLarge, Err: err,
				Message: fmt.Sprintf("The form is too large: at most %d KiB can be sent.", tooBig.Limit>>10)}
		}
		return &Error{Status: errUnreadable.Status, Message: errUnreadable.Message, Err: err}
	}
	for k, vs := range r.PostForm {
		if !utf8.ValidString(k) {
			return errUTF8
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return errUTF8
			}
		}
	}
	return nil
}

// run runs the action under the submission's claim and answers.
func (h *Handler) run(x *exchange, client string) {
	ctx := x.r.Context()
	key := h.key(x.r.URL.Path, client, x.id)
	if h.replays != nil {
		res, found, err := h.replays.Claim(ctx, key)
		switch {
		case ctx.Err() != nil:
			return // the client is gone
		case errors.Is(err, ErrReplaysFull):
			x.fail(errBusy, nil)
			return
		case err != nil:
			h.log.Error("form: replays: claim", "path", x.r.URL.Path, "err", err)
			x.fail(errInternal, nil)
			return
		case found:
			x.w.Header().Set("Idempotent-Replayed", "true")
			x.replayed = true
			x.succeed(res)
			return
		}
	}
	if !h.enter() {
		if h.replays != nil {
			_ = h.replays.Release(context.WithoutCancel(ctx), key)
		}
		x.fail(errBusy, nil)
		return
	}
	res, err := h.call(ctx, &Submission{Request: x.r, Values: x.values, ID: x.id})
	h.leave()
	if err == nil {
		res, err = encodeData(res)
	}
	bg := context.WithoutCancel(ctx)
	if h.replays != nil {
		if err == nil {
			err = h.replays.Done(bg, key, res)
			if err != nil {
				err = fmt.Errorf("form: replays: done: %w", err)
				_ = h.replays.Release(bg, key)
			}
		} else if rerr := h.replays.Release(bg, key); rerr != nil {
			h.log.Error("form: replays: release", "path", x.r.URL.Path, "err", rerr)
		}
	}
	if err != nil {
		x.fail(h.refusal(x.r, err), fieldErrors(err))
		return
	}
	x.succeed(res)
}

// enter takes a place to run an action (WithMaxInFlight), or reports
// false if none is free.
func (h *Handler) enter() bool {
	if h.running == nil {
		return true
	}
	select {
	case h.running <- struct{}{}:
		return true
	default:
		return false
	}
}

// leave gives a place back.
func (h *Handler) leave() {
	if h.running != nil {
		<-h.running
	}
}

// call runs the action, its panic recovered into an error with the stack.
func (h *Handler) call(ctx context.Context, s *Submission) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("form: action panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return h.action(ctx, s)
}

// refusal is what the user is told of err, an action's error: its own
// *Error, 422 for field errors, or a 500 that says nothing of err (logged).
func (h *Handler) refusal(r *http.Request, err error) *Error {
	if fe := fieldErrors(err); fe != nil {
		return &Error{Status: http.StatusUnprocessableEntity, Message: fe.Error()}
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	h.log.Error("form: action failed", "path", r.URL.Path, "err", err)
	return errInternal
}

// fieldErrors returns err's field errors, or nil.
func fieldErrors(err error) Errors {
	if fe, ok := errors.AsType[Errors](err); ok && len(fe) > 0 {
		return fe
	}
	return nil
}

// key is the replay key of submission id of the form at path, by the
// browser client: hashed, so that no cookie reaches a shared store.
func (h *Handler) key(path, client, id string) string {
	sum := sha256.Sum256([]byte(path + "\x00" + client + "\x00" + id))
	return hex.EncodeToString(sum[:])
}

// wantsJSON reports whether r asks for JSON, as the enhancer does.
func wantsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && mt == "application/json" && params["q"] != "0" {
				return true
			}
		}
	}
	return false
}
