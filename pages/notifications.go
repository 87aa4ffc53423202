package pages

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

const (
	// noticesShown is how many notifications the pagelet shows.
	noticesShown = 10
	// noticeExcerpt bounds a notification's excerpt of a reply, in runes.
	noticeExcerpt = 140
	// KindReply is the kind of a notification of an answer to a comment.
	KindReply = "reply"
)

// noticesData is a reader's notifications as their pagelet shows them.
type noticesData struct {
	List   []store.Notification
	Unread int
	Now    time.Time
}

func (s *Site) notices(ctx context.Context, reader string) (noticesData, error) {
	list, err := s.st.Notifications(ctx, reader, noticesShown)
	if err != nil {
		return noticesData{}, err
	}
	n, err := s.st.UnreadNotifications(ctx, reader)
	return noticesData{List: list, Unread: n, Now: s.now()}, err
}

// noticesBox is the notifications block of a page: for a signed-in
// reader, the mark-all-read form under the pagelet (in the layout, not in
// the pagelet, whose content a publication replaces for every tab of the
// reader, while a form's token is one browser's).
type noticesBox struct {
	SignedIn bool
	Fields   form.Fields
}

// noticesPagelet is the "notifications" pagelet of r's page (the front
// page, an article), personal: a signed-in reader's latest notifications
// and unread count, live on their [NotificationsFeed] channel; for an
// anonymous reader, a link to sign in, with no channel. It returns the
// box the layout puts around it; call it in the request check (it may set
// the form's cookie).
func (s *Site) noticesPagelet(w http.ResponseWriter, r *http.Request) (pagelet.Pagelet, noticesBox) {
	reader := pagelet.ReaderFrom(r.Context())
	next := returnPath(r)
	p := s.pagelet("notifications", "Notifications", 80, skelStories(2),
		func(ctx context.Context) (templ.Component, error) {
			rd := pagelet.ReaderFrom(ctx)
			if rd.Anonymous() {
				return noticesSignIn(signInURL(next)), nil
			}
			d, err := s.notices(ctx, rd.ID)
			if err != nil {
				return nil, err
			}
			return noticesView(d), nil
		})
	if reader.Anonymous() { // the same sign-in link for everyone
		return p, noticesBox{}
	}
	p.Personal = true // cached, if at all, for this reader alone
	p = s.cached(noticesCache(reader.ID), p)
	if s.feeds != nil {
		p = s.feeds.mail.notices.Pagelet(s.feeds.mail.notices.ReaderChannel(reader.ID), p)
	}
	return p, noticesBox{SignedIn: true, Fields: s.noticesRead.Fields(w, r)}
}

// NotifyReply tells the reader whose id is to that reply answers their
// comment: it stores the notification (its id "reply:" and the reply's,
// so that a reply told twice is stored and shown once) and publishes
// their notifications to every tab of theirs, on every instance. from is
// the replier's reader id ("" if anonymous): a reply to one's own comment
// tells no one, nor does one to an anonymous comment (to ""). main calls
// it when a reply is stored.
func (s *Site) NotifyReply(ctx context.Context, to, from string, reply store.Comment) error {
	if to == "" || to == from {
		return nil
	}
	title := reply.Slug
	if a, err := s.st.Headline(ctx, reply.Slug); err == nil {
		title = a.Title
	}
	_, added, err := s.st.AddNotification(ctx, store.Notification{
		ID: KindReply + ":" + reply.ID, To: to, Kind: KindReply, From: reply.Name,
		Slug: reply.Slug, Title: title, CommentID: reply.ID, Text: shorten(reply.Text, noticeExcerpt), Posted: reply.Posted,
	})
	if err != nil {
		return fmt.Errorf("pages: notify %s of reply %s: %w", to, reply.ID, err)
	}
	if added && !s.publish(ctx, "notification", func(ctx context.Context) error { return s.publishNotices(ctx, to) }) {
		s.expire(ctx, noticesTag(to))
	}
	return nil
}

// newNoticesReadHandler is the mark-all-read form's handler.
func (s *Site) newNoticesReadHandler() *form.Handler {
	return form.New(s.markNoticesRead,
		form.WithToken(ClientCookie, s.secret),
		form.WithErrorPage(func(r *http.Request, f *form.Failure) templ.Component {
			return notePage(chrome{Now: s.now()}, s.cssURL(), "Notifications not marked read", f.Message)
		}),
		form.WithLogger(s.logger()))
}

// MarkNoticesRead handles "POST /notifications/read" (the form's token):
// the reader's notifications are marked read, and their notifications
// pagelet is published to every tab of theirs (the count goes to 0
// everywhere). A plain post is sent back to the page it came from (303);
// a signed-out reader gets 401.
func (s *Site) MarkNoticesRead(w http.ResponseWriter, r *http.Request) { s.noticesRead.ServeHTTP(w, r) }

func (s *Site) markNoticesRead(ctx context.Context, _ *form.Submission) (form.Result, error) {
	reader := pagelet.ReaderFrom(ctx)
	if reader.Anonymous() {
		return form.Result{}, &form.Error{Status: http.StatusUnauthorized, Message: "You are signed out: sign in to see your notifications."}
	}
	moved, err := s.st.MarkNotificationsRead(ctx, reader.ID, 0)
	if err != nil {
		return form.Result{}, err
	}
	if moved && !s.publish(ctx, "notifications read", func(ctx context.Context) error { return s.publishNotices(ctx, reader.ID) }) {
		s.expire(ctx, noticesTag(reader.ID))
	}
	return form.Result{Message: "Marked read."}, nil
}

// noticeURL is where a notification leads: the answer on its article.
func noticeURL(n store.Notification) string {
	if !ValidSlug(n.Slug) {
		return "/"
	}
	if !validMessageID(n.CommentID) {
		return "/article/" + n.Slug
	}
	return "/article/" + n.Slug + "#comment-" + n.CommentID
}

// noticesJS is the scripts a page with the notifications block b needs:
// the form enhancer, for a signed-in reader's mark-all-read form.
func noticesJS(b noticesBox) []string {
	if b.SignedIn {
		return []string{render.FormScript}
	}
	return nil
}
