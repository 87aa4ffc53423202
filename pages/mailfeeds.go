package pages

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
)

// Readers' private feeds. Each name ends in '#': the engine grants a
// channel of it only to the readers it names ([live.Feed.ReaderChannel],
// [live.Feed.ReadersChannel]).
const (
	// MessagesFeed is the stream of a conversation's messages,
	// "dm#ada,bob": each message once, keyed by its id, ordered by its
	// seq. It keeps presence, so that a message to a reader who has the
	// conversation open is marked read at once.
	MessagesFeed = "dm#"
	// SeenFeed is the state of a conversation's read receipt,
	// "seen#ada,bob": whether its latest message was seen, by whom, when.
	SeenFeed = "seen#"
	// ConversationsFeed is the state of a reader's conversations list,
	// "convs#ada", with their unread counts.
	ConversationsFeed = "convs#"
	// NotificationsFeed is the state of a reader's notifications,
	// "notices#ada": the latest and the unread count.
	NotificationsFeed = "notices#"
)

// mailFeeds are the feeds of readers' messages and notifications.
type mailFeeds struct {
	dm      *live.Feed[store.Message]
	seen    *live.Feed[seenData]
	convs   *live.Feed[convsData]
	notices *live.Feed[noticesData]
}

// presenceEvery is how often a conversation's presence may be counted: it
// is read (ReadersOn) when a message is posted, never reported.
const presenceEvery = time.Second

func declareMail(eng *live.Engine) mailFeeds {
	return mailFeeds{
		dm:      live.Stream(eng, MessagesFeed, messageItem, live.WithCSS("pagelets/messages.css"), live.WithPresence(presenceEvery, nil)),
		seen:    live.State(eng, SeenFeed, seenView, live.WithCSS("pagelets/seen.css")),
		convs:   live.State(eng, ConversationsFeed, conversationsView, live.WithCSS("pagelets/conversations.css")),
		notices: live.State(eng, NotificationsFeed, noticesView, live.WithCSS("pagelets/notifications.css")),
	}
}

// MessagesChannel returns the live channel of the conversation between
// the readers a and b, or "" if the site is not live.
func (s *Site) MessagesChannel(a, b string) string {
	if s.feeds == nil {
		return ""
	}
	return s.feeds.mail.dm.ReadersChannel(a, b)
}

// seenData is a conversation's read receipt as its pagelet shows it: the
// latest message and, if its recipient has read it, who and when.
type seenData struct {
	Seq    uint64 // the latest message's; 0: none
	By     string // the reader who saw it; "": not seen yet
	ByName string
	At     time.Time
}

// seen returns the read receipt of the conversation of a and b.
func (s *Site) seen(ctx context.Context, a, b string) (seenData, error) {
	last, err := s.st.Conversation(ctx, a, b, 0, 1)
	if err != nil || len(last) == 0 {
		return seenData{}, err
	}
	m := last[0]
	rc, err := s.st.ReadUpTo(ctx, m.To, m.From)
	if err != nil {
		return seenData{}, err
	}
	d := seenData{Seq: m.Seq}
	if rc.Seq >= m.Seq {
		d.By, d.ByName, d.At = m.To, m.ToName, rc.At
	}
	return d, nil
}

// convsData is a reader's conversations as their pagelet shows them.
type convsData struct {
	List []store.ConversationSummary
	Now  time.Time
}

// Unread is the messages unread in every conversation.
func (d convsData) Unread() int {
	n := 0
	for _, c := range d.List {
		n += c.Unread
	}
	return n
}

func (s *Site) conversations(ctx context.Context, reader string) (convsData, error) {
	list, err := s.st.Conversations(ctx, reader)
	return convsData{List: list, Now: s.now()}, err
}

// publishMessage publishes m, a stored message, to its conversation's
// channel: keyed by its id (a repeat is dropped by the engine and by the
// pages) and placed by its seq.
func (s *Site) publishMessage(ctx context.Context, m store.Message) error {
	f := s.feeds.mail.dm
	return f.Publish(ctx, f.ReadersChannel(m.From, m.To), m, live.WithKey(m.ID), live.WithOrder(m.Seq))
}

// publishSeen publishes the read receipt of the conversation of a and b,
// as the store has it now.
func (s *Site) publishSeen(ctx context.Context, a, b string) error {
	d, err := s.seen(ctx, a, b)
	if err != nil {
		return fmt.Errorf("pages: read receipt to publish: %w", err)
	}
	f := s.feeds.mail.seen
	return f.Publish(ctx, f.ReadersChannel(a, b), d)
}

// publishConversations publishes reader's conversations list, as the
// store has it now, to every tab of theirs.
func (s *Site) publishConversations(ctx context.Context, reader string) error {
	d, err := s.conversations(ctx, reader)
	if err != nil {
		return fmt.Errorf("pages: conversations to publish: %w", err)
	}
	return s.feeds.mail.convs.PublishTo(ctx, reader, d)
}

// publishNotices publishes reader's notifications, as the store has them
// now, to every tab of theirs.
func (s *Site) publishNotices(ctx context.Context, reader string) error {
	d, err := s.notices(ctx, reader)
	if err != nil {
		return fmt.Errorf("pages: notifications to publish: %w", err)
	}
	return s.feeds.mail.notices.PublishTo(ctx, reader, d)
}

// publish runs each of publish, in order, on a site that is live, each
// with its own time limit, within ctx's deadline if it has one (what the
// caller may spend before it answers); ctx's cancellation does not stop
// them (the client that posted may leave: what it stored is published
// all the same). One that fails is retried in the background
// ([Site.publishLater]). Every publication here is a keyed item or a
// state, so a repeat shows once. It reports whether every one went out
// now: if not (or the site is not live), the caller expires what they
// would have kept current in the cache ([Site.expire]).
func (s *Site) publish(ctx context.Context, what string, publish ...func(context.Context) error) bool {
	if s.feeds == nil {
		return false
	}
	ctx, cancel := detach(ctx)
	defer cancel()
	all := true
	for _, p := range publish {
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		err := p(pctx)
		cancel()
		if err != nil {
			all = false
			s.publishLater(s.logger().With("what", what), what, err, p)
		}
	}
	return all
}

// detach returns a context with ctx's values and deadline but not its
// cancellation: work the caller bounds that must not stop when the
// client goes. The caller must call cancel.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, d)
	}
	return detached, func() {}
}

// readingNow reports whether reader has the conversation of a and b open
// now, on any instance. A site that is not live cannot tell: false.
func (s *Site) readingNow(ctx context.Context, reader, a, b string) bool {
	if s.feeds == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ids, err := s.feeds.eng.ReadersOn(ctx, s.feeds.mail.dm.ReadersChannel(a, b))
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.logger().Warn("pages: who reads a conversation: unknown; the message stays unread", "err", err)
		}
		return false
	}
	return slices.Contains(ids, reader)
}
