package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Message limits. The form says the same (maxlength); the server decides.
const (
	MaxMessageText = 2000 // runes
	// messagesShown is how many messages a conversation page shows: the
	// newest, oldest first, with a link to the ones before.
	messagesShown = 50
)

// Directory finds the readers the site knows by name: main gives it the
// accounts store ([WithDirectory]).
type Directory interface {
	// Lookup returns the reader id (the name folded to lower case) and
	// the display name of the account named name, ignoring case, or ok
	// false if there is none. An error is a failure to find out.
	Lookup(ctx context.Context, name string) (id, display string, ok bool, err error)
}

// WithDirectory gives the site the readers it knows, for the messages
// pages ([Site.Conversation]): a conversation is with an existing account
// only. Without it every /messages/{name} is the 404 page.
func WithDirectory(d Directory) Option { return func(s *Site) { s.dir = d } }

// errNoReader is what lookup returns for a name no account has.
var errNoReader = errors.New("pages: no such reader")

// person is a reader as the messages pages name them.
type person struct{ ID, Name string }

// lookup finds the reader named name ([errNoReader] if none).
func (s *Site) lookup(ctx context.Context, name string) (person, error) {
	if s.dir == nil || name == "" || len(name) > 64 {
		return person{}, errNoReader
	}
	id, display, ok, err := s.dir.Lookup(ctx, name)
	switch {
	case err != nil:
		return person{}, fmt.Errorf("pages: look up reader %q: %w", name, err)
	case !ok || id == "":
		return person{}, errNoReader
	}
	if display == "" {
		display = id
	}
	return person{ID: id, Name: display}, nil
}

// me is the request's reader as a person: their display name from the
// directory, or their id.
func (s *Site) me(ctx context.Context) person {
	r := pagelet.ReaderFrom(ctx)
	if p, err := s.lookup(ctx, r.ID); err == nil && p.ID == r.ID {
		return p
	}
	return person{ID: r.ID, Name: r.ID}
}

// conversationURL is the page of the conversation with the reader id.
func conversationURL(id string) string { return "/messages/" + url.PathEscape(id) }

// signInURL is the sign-in page that comes back to next.
func signInURL(next string) string { return "/account/signin?next=" + url.QueryEscape(next) }

// Messages is "/messages": the reader's conversations, the latest first,
// each with its unread count (a personal pagelet, live on their
// [ConversationsFeed] channel). A signed-out reader gets a page (401)
// that asks them to sign in.
func (s *Site) Messages(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	reader := pagelet.ReaderFrom(r.Context())
	switch {
	case reader.Anonymous() && sessionUnknown(r.Context()):
		s.storeAwayPage(w, r)
		return nil, nil
	case reader.Anonymous():
		s.signInNeeded(w, r, "/messages")
		return nil, nil
	}
	c := chrome{Now: s.now()}
	p := s.pagelet("conversations", "Your conversations", 100, skelStories(4),
		pagelet.Fetch(func(ctx context.Context) (convsData, error) {
			return s.conversations(ctx, pagelet.ReaderFrom(ctx).ID)
		}, conversationsView))
	p.Personal = true
	if s.feeds != nil {
		p = s.feeds.mail.convs.Pagelet(s.feeds.mail.convs.ReaderChannel(reader.ID), p)
	}
	return &pagelet.Page{
		Title:    "Messages — " + siteName,
		Lang:     "en",
		Head:     templ.Join(headMeta("Your conversations on "+siteName+".", true), canonicalLink(s.absURL(r, "/messages"))),
		CSS:      []string{SiteCSS},
		Layout:   func(slot pagelet.Slot) templ.Component { return messagesLayout(c, slot) },
		Pagelets: []pagelet.Pagelet{p},
	}, nil
}

// Conversation is "/messages/{name}": the conversation of the reader with
// the account named name: the newest messages at the bottom (a personal
// stream pagelet, live on the conversation's [MessagesFeed] channel),
// older ones a page each (?before=seq, not live), the read receipt (live
// on its [SeenFeed] channel) and the form that sends one
// ([Site.PostMessage]). Loading the newest page marks the conversation
// read. A signed-out reader gets the sign-in page (401); a name no
// account has, the 404 page; one's own name, a 400 page saying why.
func (s *Site) Conversation(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	ctx := r.Context()
	name := r.PathValue("name")
	reader := pagelet.ReaderFrom(ctx)
	switch {
	case reader.Anonymous() && sessionUnknown(ctx):
		s.storeAwayPage(w, r)
		return nil, nil
	case reader.Anonymous():
		s.signInNeeded(w, r, conversationURL(name))
		return nil, nil
	}
	lctx, cancel := context.WithTimeout(ctx, postStoreTimeout)
	defer cancel()
	them, err := s.lookup(lctx, name)
	switch {
	case errors.Is(err, errNoReader):
		s.NotFound(w, r)
		return nil, nil
	case errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
		s.storeAwayPage(w, r)
		return nil, nil
	case err != nil:
		return nil, err
	case them.ID == reader.ID:
		s.messagePage(w, r, http.StatusBadRequest, "This is you", "A conversation is with someone else: you cannot send messages to yourself.")
		return nil, nil
	}
	var before uint64
	if b := r.URL.Query().Get("before"); b != "" {
		if before, err = strconv.ParseUint(b, 10, 63); err != nil || before == 0 {
			s.messagePage(w, r, http.StatusBadRequest, "No such page", "The address asks for messages before "+strconv.Quote(b)+", which is not a message number.")
			return nil, nil
		}
	}
	me := s.me(lctx)
	if before == 0 {
		s.readConversation(lctx, me.ID, them.ID)
	}
	mf := messageForm{With: them, Fields: s.mail.Fields(w, r)}
	c := chrome{Now: s.now()}
	msgs := s.pagelet("messages", "The messages", 100, skelComments(),
		pagelet.Fetch(func(ctx context.Context) (messagesData, error) {
			list, err := s.st.Conversation(ctx, pagelet.ReaderFrom(ctx).ID, them.ID, before, messagesShown)
			return messagesData{With: them, List: list, Before: before}, err
		}, messagesView))
	seen := s.pagelet("seen", "The read receipt", 90, skelStories(1),
		pagelet.Fetch(func(ctx context.Context) (seenData, error) { return s.seen(ctx, pagelet.ReaderFrom(ctx).ID, them.ID) }, seenView))
	msgs.Personal, seen.Personal = true, true
	if s.feeds != nil && before == 0 { // an older page does not grow
		msgs = s.feeds.mail.dm.Pagelet(s.feeds.mail.dm.ReadersChannel(me.ID, them.ID), msgs)
		seen = s.feeds.mail.seen.Pagelet(s.feeds.mail.seen.ReadersChannel(me.ID, them.ID), seen)
	}
	return &pagelet.Page{
		Title: "Messages with " + them.Name + " — " + siteName,
		Lang:  "en",
		Head: templ.Join(headMeta("Your conversation with "+them.Name+" on "+siteName+".", true),
			canonicalLink(s.absURL(r, canonicalPath(conversationURL(them.ID), r.URL.Query(), "before")))),
		CSS:      []string{SiteCSS},
		JS:       []string{render.FormScript},
		Layout:   func(slot pagelet.Slot) templ.Component { return conversationLayout(c, mf, before, slot) },
		Pagelets: []pagelet.Pagelet{msgs, seen},
	}, nil
}

// readConversation marks reader's conversation with other read up to its
// latest message and, if that moved their receipt, publishes the receipt
// (the sender sees "seen") and reader's conversations (their unread
// counts, in their other tabs). A failure leaves it unread: logged.
func (s *Site) readConversation(ctx context.Context, reader, other string) {
	last, err := s.st.Conversation(ctx, reader, other, 0, 1)
	if err != nil || len(last) == 0 {
		if err != nil {
			s.logger().Warn("pages: conversation not marked read", "reader", reader, "err", err)
		}
		return
	}
	moved, err := s.st.MarkRead(ctx, reader, other, last[0].Seq, s.now())
	if err != nil {
		s.logger().Warn("pages: conversation not marked read", "reader", reader, "err", err)
		return
	}
	if moved {
		s.publish(ctx, "read receipt",
			func(ctx context.Context) error { return s.publishSeen(ctx, reader, other) },
			func(ctx context.Context) error { return s.publishConversations(ctx, reader) })
	}
}

// messagesData is a page of a conversation.
type messagesData struct {
	With   person
	List   []store.Message
	Before uint64 // the page's bound; 0: the newest
}

// Older is the link to the messages before this page's, or "".
func (d messagesData) Older() string {
	if len(d.List) == 0 || d.List[0].Seq <= 1 {
		return ""
	}
	return conversationURL(d.With.ID) + "?before=" + strconv.FormatUint(d.List[0].Seq, 10)
}

// messageForm is the form that sends a message, and after a refused plain
// post what was typed and what was wrong.
type messageForm struct {
	With   person
	Fields form.Fields
	Values url.Values
	Errors form.Errors
	Alert  string
}

// Action is the URL the form posts to.
func (f messageForm) Action() string { return conversationURL(f.With.ID) }

// newMessageHandler is the message form's handler: the CSRF token bound to
// [ClientCookie], the message id the submission id (or the form's id
// field), the form shown again on a refused plain post.
func (s *Site) newMessageHandler() *form.Handler {
	return form.New(s.addMessage,
		form.WithToken(ClientCookie, s.secret),
		form.WithMaxBytes(maxCommentBody),
		form.WithMaxInFlight(s.postCap),
		form.WithOutcomes(s.postMetrics.counter("message")),
		form.WithErrorPage(s.messageRefused),
		form.WithLogger(s.logger()))
}

// PostMessage handles "POST /messages/{name}": a message to the reader
// named name, answered by the form package ([form.New]): the cross-origin
// check and the CSRF token (403), a signed-out reader (401), a name no
// account has (404) or one's own (400), the text (1 to [MaxMessageText]
// characters after trimming, no control characters but line breaks: 422,
// the form shown again), the database away (503 with Retry-After, the
// form shown again with the text). It stores the message by its client-made id (the
// form's id field if it is one, else the submission id: a retry is stored
// once), publishes it to the conversation's channel (every tab of both
// readers, on every instance), marks it read at once if the recipient has
// the conversation open, and redirects to the conversation (303); a
// client that asks for JSON gets 201 {"ok":true,"data":{"id","seq"}} (200
// for a message stored already).
func (s *Site) PostMessage(w http.ResponseWriter, r *http.Request) { s.mail.ServeHTTP(w, r) }

// Refusals of a message post that are not about a field.
var (
	errSignedOut = &form.Error{Status: http.StatusUnauthorized, Message: "You are signed out: sign in to send messages."}
	errToSelf    = &form.Error{Status: http.StatusBadRequest, Message: "You cannot send messages to yourself."}
	errIDTaken   = &form.Error{Status: http.StatusConflict, Message: "This message's id is another's: reload the page and send it again."}
)

// addMessage is the message form's [form.Action].
func (s *Site) addMessage(ctx context.Context, sub *form.Submission) (form.Result, error) {
	reader := pagelet.ReaderFrom(ctx)
	switch {
	case reader.Anonymous() && sessionUnknown(ctx):
		return form.Result{}, sessionAway("message")
	case reader.Anonymous():
		return form.Result{}, errSignedOut
	}
	ctx, cancel := context.WithTimeout(ctx, postStoreTimeout)
	defer cancel()
	name := sub.Request.PathValue("name")
	them, err := s.lookup(ctx, name)
	switch {
	case errors.Is(err, errNoReader):
		return form.Result{}, &form.Error{Status: http.StatusNotFound, Message: "There is no reader named " + strconv.Quote(shorten(name, 40)) + "."}
	case err != nil:
		return form.Result{}, storeAway("message", err)
	case them.ID == reader.ID:
		return form.Result{}, errToSelf
	}
	text, errs := cleanMessage(sub.Values.Get("text"))
	id := sub.ID
	if v := sub.Values.Get("id"); v != "" {
		if !validMessageID(v) {
			errs = append(errs, form.FieldError{Field: "id", Message: "The message's id must be 8 to 64 letters, digits, '-' or '_'."})
		}
		id = v
	}
	if errs != nil {
		return form.Result{}, errs
	}
	me := s.me(ctx)
	m, added, err := s.st.AddMessage(ctx, store.Message{ID: id, From: me.ID, To: them.ID, FromName: me.Name, ToName: them.Name,
		Text: text, Posted: s.now()})
	switch {
	case errors.Is(err, store.ErrIDTaken):
		return form.Result{}, errIDTaken
	case err != nil:
		return form.Result{}, storeAway("message", fmt.Errorf("store message to %s: %w", them.ID, err))
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
		s.delivered(ctx, m)
	} else {
		// Stored by an attempt whose answer (and publication) may have
		// been lost: published again; pages drop a message they have.
		s.publish(context.WithoutCancel(ctx), "message",
			func(ctx context.Context) error { return s.publishMessage(ctx, m) })
	}
	return form.Result{Redirect: conversationURL(them.ID) + "#message-form", Status: status, Message: "Sent.",
		Data: map[string]any{"id": m.ID, "seq": m.Seq}}, nil
}

// delivered does what follows a message stored: the sender has read it;
// so has the recipient if they have the conversation open now; then it is
// published, with the receipt and both readers' conversations lists.
func (s *Site) delivered(ctx context.Context, m store.Message) {
	// The marks and the publications, which read the database too, are
	// bounded together as the store was: the database may have gone away
	// since, and a stall would otherwise hold the answer until it ends (a
	// publication each for up to publishTimeout). What does not go out in
	// time is retried in the background (publish).
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postStoreTimeout)
	defer cancel()
	_, away := s.st.MarkRead(mctx, m.From, m.To, m.Seq, m.Posted)
	if away != nil {
		s.logger().Warn("pages: sent message not marked read by its sender", "id", m.ID, "err", away)
	} else if s.readingNow(mctx, m.To, m.From, m.To) {
		if _, err := s.st.MarkRead(mctx, m.To, m.From, m.Seq, s.now()); err != nil {
			s.logger().Warn("pages: message not marked read by its reader", "id", m.ID, "err", err)
		}
	}
	message := func(ctx context.Context) error { return s.publishMessage(ctx, m) }
	lists := []func(context.Context) error{ // each reads the database
		func(ctx context.Context) error { return s.publishSeen(ctx, m.From, m.To) },
		func(ctx context.Context) error { return s.publishConversations(ctx, m.From) },
		func(ctx context.Context) error { return s.publishConversations(ctx, m.To) },
	}
	if away == nil {
		s.publish(mctx, "message", append([]func(context.Context) error{message}, lists...)...)
		return
	}
	// The database did not answer: the message itself goes out now (it
	// needs none, and gets a time of its own: the marks may have spent
	// the bound); the receipt and the lists once it is back.
	s.publish(context.WithoutCancel(ctx), "message", message)
	if s.feeds != nil {
		for _, p := range lists {
			s.publishLater(s.logger().With("what", "message"), "message", away, p)
		}
	}
}

// validMessageID reports whether id can be a message's: 8 to 64 letters,
// digits, '-' and '_', as the form package's submission ids are. It is
// used in element ids and as a key, so nothing else is let in.
func validMessageID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == ""
}

// cleanMessage checks a message's text and returns it as stored: trimmed,
// line breaks as "\n", valid UTF-8 of 1 to [MaxMessageText] characters
// without control characters (but line breaks) or bidirectional
// overrides.
func cleanMessage(text string) (string, form.Errors) {
	text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"))
	if msg := checkField("message", text, MaxMessageText, true); msg != "" {
		return "", form.Errors{{Field: "text", Message: msg}}
	}
	return text, nil
}

// messageRefused is the page a browser without JavaScript gets when its
// message is refused: why, and the form again with the text and the
// errors (when the post got that far).
func (s *Site) messageRefused(r *http.Request, f *form.Failure) templ.Component {
	name := r.PathValue("name")
	with := person{ID: name, Name: name}
	// Bounded: the refusal may be that the database is away, and its
	// answer must not wait for it to come back.
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if p, err := s.lookup(ctx, name); err == nil {
		with = p
	}
	var mf *messageForm
	if f.Form.ID != "" && f.Values != nil && f.Status != http.StatusUnauthorized && f.Status != http.StatusNotFound {
		mf = &messageForm{With: with, Fields: f.Form, Values: f.Values, Errors: f.Fields, Alert: f.Message}
	}
	back := conversationURL(with.ID)
	if f.Status == http.StatusUnauthorized {
		back = signInURL(back)
	}
	return messageRefusedPage(chrome{Now: s.now()}, s.cssURL(), back, f.Message, mf)
}

// signInNeeded answers r with a page (401) that asks the reader to sign
// in, with a link to the sign-in page that comes back to next.
func (s *Site) signInNeeded(w http.ResponseWriter, r *http.Request, next string) {
	s.writePage(w, r, http.StatusUnauthorized, signInNeededPage(chrome{Now: s.now()}, s.cssURL(), signInURL(next)))
}

// storeAwayPage answers r with a page (503, Retry-After) saying that the
// reader's messages cannot be shown for a moment: the database that holds
// them, or their session, is away.
func (s *Site) storeAwayPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	s.messagePage(w, r, http.StatusServiceUnavailable, "Back in a moment",
		"The site cannot reach its database just now, so your messages cannot be shown. Reload this page in a few seconds.")
}

// messagePage answers r with a page of the site saying why (a 400, say).
func (s *Site) messagePage(w http.ResponseWriter, r *http.Request, status int, title, why string) {
	s.writePage(w, r, status, notePage(chrome{Now: s.now()}, s.cssURL(), title, why))
}

// writePage writes a whole page the site renders itself, with status.
func (s *Site) writePage(w http.ResponseWriter, r *http.Request, status int, page templ.Component) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = page.Render(r.Context(), w) // a write error means the client has gone
}
