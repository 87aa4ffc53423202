package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Mail is what readers send each other and what the site tells them:
// direct messages between two readers, read receipts, and notifications
// (someone answered your comment). Readers are named by their reader id
// (pagelet.Reader.ID). A [Store] implements it on its own file; with
// [WithShared] of a Shared that implements Mail too (package pgstore's),
// a Store keeps its mail there, shared by every instance of the site.
// Implementations are safe for concurrent use.
type Mail interface {
	// AddMessage stores m (whose ID, From and To are set) unless a
	// message with its ID is stored in its conversation already, and
	// returns the stored message and whether it was added now. A new
	// message gets the conversation's next sequence number, from 1
	// without gaps; of concurrent posts of one ID, exactly one adds it.
	// A message whose ID is taken by another sender's is [ErrIDTaken].
	AddMessage(ctx context.Context, m Message) (Message, bool, error)
	// Conversation returns the newest limit messages between the readers
	// a and b whose seq is below before (any seq for 0), oldest first
	// (all of them for a limit of zero or less).
	Conversation(ctx context.Context, a, b string, before uint64, limit int) ([]Message, error)
	// Conversations returns reader's conversations, the one with the
	// latest message first, each with that message and how many messages
	// reader has not read there.
	Conversations(ctx context.Context, reader string) ([]ConversationSummary, error)
	// MarkRead records that reader has read their conversation with other
	// up to the message upTo (at most the conversation's last), at time
	// at, and reports whether that moved their receipt forward: a receipt
	// never moves back.
	MarkRead(ctx context.Context, reader, other string, upTo uint64, at time.Time) (bool, error)
	// ReadUpTo returns reader's receipt in their conversation with other:
	// the last message read (0 for none) and when.
	ReadUpTo(ctx context.Context, reader, other string) (Receipt, error)

	// AddNotification stores n (whose ID and To are set) unless a
	// notification with its ID is stored for n.To already, and returns
	// the stored one and whether it was added now. A new one gets the
	// reader's next notification seq, from 1 without gaps.
	AddNotification(ctx context.Context, n Notification) (Notification, bool, error)
	// Notifications returns reader's newest limit notifications, newest
	// first (all of them for a limit of zero or less), each marked Read
	// or not.
	Notifications(ctx context.Context, reader string, limit int) ([]Notification, error)
	// UnreadNotifications returns how many of reader's notifications are
	// not read.
	UnreadNotifications(ctx context.Context, reader string) (int, error)
	// MarkNotificationsRead marks reader's notifications read up to the
	// seq upTo (every one for 0), and reports whether that changed
	// anything.
	MarkNotificationsRead(ctx context.Context, reader string, upTo uint64) (bool, error)
}

// Message is one direct message from one reader to another. Its ID is
// made by the client that posts it, so that a retry is stored once.
type Message struct {
	ID       string    `json:"id"`
	From     string    `json:"from"` // the sender's reader id
	To       string    `json:"to"`   // the recipient's
	FromName string    `json:"from_name"`
	ToName   string    `json:"to_name"`
	Text     string    `json:"text"`
	Posted   time.Time `json:"posted"`
	Seq      uint64    `json:"seq"` // its place in the conversation, from 1
}

// Name returns the display name of reader, one of m's two readers.
func (m Message) Name(reader string) string {
	if reader == m.From {
		return m.FromName
	}
	return m.ToName
}

// ConversationKey is the key of m's conversation ([ConversationKey]).
func (m Message) ConversationKey() string { return ConversationKey(m.From, m.To) }

// ConversationSummary is one of a reader's conversations, as
// [Mail.Conversations] lists them.
type ConversationSummary struct {
	With     string  // the other reader's id
	WithName string  // their display name, as the latest message has it
	Last     Message // the latest message
	Unread   int     // messages the reader has not read
}

// Receipt is how far a reader has read a conversation.
type Receipt struct {
	Seq uint64    // the last message read; 0: none
	At  time.Time // when it was marked
}

// Notification is something the site tells one reader, such as an answer
// to their comment. Its ID says what it is about ("reply:" and the
// answer's comment id), so that telling it again stores nothing.
type Notification struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`   // the reader told
	Kind      string    `json:"kind"` // "reply"
	From      string    `json:"from"` // who did it, by name
	Slug      string    `json:"slug"` // the article, if any
	Title     string    `json:"title"`
	CommentID string    `json:"comment_id"`
	Text      string    `json:"text"` // an excerpt
	Posted    time.Time `json:"posted"`
	Seq       uint64    `json:"seq"`  // its place among the reader's, from 1
	Read      bool      `json:"read"` // as Notifications returns it
}

// Errors of [Mail].
var (
	// ErrBadMail is a message or notification without an id or a reader,
	// or a message to its own sender.
	ErrBadMail = errors.New("store: bad message or notification")
	// ErrIDTaken is a message whose id another sender's message in the
	// conversation has.
	ErrIDTaken = errors.New("store: message id taken by another sender")
)

// ConversationKey is the key of the conversation between the readers a
// and b: their ids sorted, joined by ','.
func ConversationKey(a, b string) string {
	ids := []string{a, b}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// CheckMessage returns an [ErrBadMail] error for a message no
// implementation stores.
func CheckMessage(m Message) error {
	if m.ID == "" || m.From == "" || m.To == "" || m.From == m.To || strings.Contains(m.From+m.To, ",") {
		return errBadMessage(m)
	}
	return nil
}

func errBadMessage(m Message) error {
	return &mailError{what: "message " + m.ID + " from " + m.From + " to " + m.To}
}

// CheckNotification returns an [ErrBadMail] error for a notification no
// implementation stores.
func CheckNotification(n Notification) error {
	if n.ID == "" || n.To == "" {
		return &mailError{what: "notification " + n.ID + " to " + n.To}
	}
	return nil
}

type mailError struct{ what string }

func (e *mailError) Error() string { return ErrBadMail.Error() + ": " + e.what }
func (e *mailError) Unwrap() error { return ErrBadMail }

// sharedMail is the Mail a Store delegates to: its shared store's, if
// that keeps mail, else nil (the Store keeps it in its own file).
func (s *Store) sharedMail() Mail {
	m, _ := s.shared.(Mail)
	return m
}

var _ Mail = (*Store)(nil)
