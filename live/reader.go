package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/centrifugal/centrifuge"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// A reader's live connections.
//
// A page is rendered for its reader, [pagelet.ReaderFrom] its request's
// context (the site's session middleware puts it there). [Engine.Grant]
// binds that reader and their session into the page's token, and the
// connection the token opens carries the reader id as centrifuge's user id
// and the session as a label: the engine, not the client, decides whose
// connection it is. Three scopes follow, each delivered by the broker to
// every instance:
//
//   - one reader: a feed declared with a name ending in '#' has one
//     channel per reader, name + reader id ([Feed.ReaderChannel]); only a
//     token of that reader grants it, and [Feed.PublishTo] reaches every
//     tab of theirs and no one else's, at the cost of their connections
//     only; a channel of a few readers, their ids joined by ',' after the
//     '#' ([Feed.ReadersChannel], a conversation), is granted to each of
//     them and to no one else;
//   - everyone: a channel of any other feed, as for an anonymous page;
//   - every signed-in reader: a feed declared [SignedIn], granted to no
//     anonymous page.
//
// A publication that answers a reader's own action can leave out the
// connection that made it ([Except]). Signing out ends it:
// [Engine.Disconnect] closes a session's connections on every instance,
// and with [WithSessions] a token of an ended session no longer connects.

// SessionCheck reports whether r's session is still valid: the session
// exists and has not expired. An error is a failure to find out (the
// store is away), not a refusal.
type SessionCheck func(ctx context.Context, r pagelet.Reader) (bool, error)

// WithSessions makes the engine check a signed-in reader's session each
// time one of their pages connects (and reconnects): a page whose session
// has ended since it was rendered is refused with [DisconnectSessionEnded]
// and stops, so that a page left open after its reader signed out
// receives nothing more. Without it, a token stays good until it expires
// ([WithTokenTTL]) and only [Engine.Disconnect] ends its connections.
func WithSessions(check SessionCheck) Option { return func(c *config) { c.sessions = check } }

// DisconnectSessionEnded is how the engine closes a connection whose
// reader's session has ended (signed out, revoked): the client does not
// reconnect.
var DisconnectSessionEnded = centrifuge.Disconnect{Code: 4501, Reason: "session ended"}

// Errors of [Engine.Grant] for a channel the request's reader may not have.
var (
	ErrNotYours       = errors.New("live: a private channel of another reader")
	ErrSignedInOnly   = errors.New("live: a channel for signed-in readers only")
	ErrBadReaderID    = errors.New("live: reader id empty, too long, or with a control character, space, '#' or ','")
	errSessionUnknown = errors.New("live: session check failed")
)

// maxReaderID bounds a reader id, which is part of a channel name.
const maxReaderID = 128

// maxOwners bounds the readers of one private channel.
const maxOwners = 16

// validReaderID reports whether id can name a reader's channel: 1 to
// maxReaderID bytes of UTF-8 without control characters, spaces, '#' or
// ','.
func validReaderID(id string) bool {
	if id == "" || len(id) > maxReaderID || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '#' || r == ',' || r >= 0x80 && r < 0xa0 {
			return false
		}
	}
	return true
}

// validOwners reports whether s, the part of a private channel after its
// '#', names 1 to maxOwners valid reader ids, sorted and each once, so
// that one set of readers has one channel.
func validOwners(s string) bool {
	ids := strings.Split(s, ",")
	if len(ids) > maxOwners {
		return false
	}
	for i, id := range ids {
		if !validReaderID(id) || i > 0 && ids[i-1] >= id {
			return false
		}
	}
	return true
}

// owns reports whether reader is one of the readers private channel ch of
// spec belongs to.
func (s *feedSpec) owns(ch, reader string) bool {
	if !s.private || reader == "" {
		return false
	}
	for id := range strings.SplitSeq(ch[len(s.name):], ",") {
		if id == reader {
			return true
		}
	}
	return false
}

// allows reports whether a connection of reader may receive ch of spec:
// a private channel only its owners', a signed-in feed's only a reader's.
func (s *feedSpec) allows(ch, reader string) error {
	switch {
	case s.private && !s.owns(ch, reader):
		return ErrNotYours
	case s.signedIn && reader == "":
		return ErrSignedInOnly
	}
	return nil
}

// SignedIn makes a feed's channels for signed-in readers only: a page
// rendered for an anonymous reader is not granted them (its token would
// grant nothing), so a publication reaches every signed-in reader and no
// one else.
func SignedIn() FeedOption { return func(s *feedSpec) { s.signedIn = true } }

// ReaderChannel returns the channel of this feed that belongs to the
// reader whose id is reader. It panics if the feed is not declared per
// reader (its name does not end in '#'): a setup error.
func (f *Feed[T]) ReaderChannel(reader string) string {
	if !f.spec.private {
		panic("live: ReaderChannel of feed " + f.spec.name + ", which is not per reader (its name does not end in '#')")
	}
	return f.spec.name + reader
}

// ReadersChannel returns the channel of this feed that belongs to the
// readers whose ids are readers, together, such as the two of a
// conversation: each of them is granted it, no one else. The order of the
// ids does not matter. It panics if the feed is not per reader, and
// returns "" (a channel no page is granted) for no ids, more than 16, or
// one that is not valid.
func (f *Feed[T]) ReadersChannel(readers ...string) string {
	if !f.spec.private {
		panic("live: ReadersChannel of feed " + f.spec.name + ", which is not per reader (its name does not end in '#')")
	}
	for _, id := range readers {
		if !validReaderID(id) {
			return ""
		}
	}
	ids := slices.Clone(readers)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	owners := strings.Join(ids, ",")
	if !validOwners(owners) {
		return ""
	}
	return f.spec.name + owners
}

// PublishTo publishes v to the reader whose id is reader: every tab of
// theirs, on every instance, and no one else's. It is Publish on
// [Feed.ReaderChannel].
func (f *Feed[T]) PublishTo(ctx context.Context, reader string, v T, opts ...PublishOption) error {
	if !f.spec.private {
		return fmt.Errorf("%w: %q is not per reader", ErrWrongFeed, f.spec.name)
	}
	if !validReaderID(reader) {
		return fmt.Errorf("live: publish to reader %q: %w", reader, ErrBadReaderID)
	}
	return f.Publish(ctx, f.spec.name+reader, v, opts...)
}

// ClientHeader is the request header in which the page's live client names
// its connection when it posts a form (render.FormScript sends it): the
// id [Except] takes.
const ClientHeader = "X-Bigpipe-Live-Client"

// ClientID returns the live connection a request says it comes from (see
// [ClientHeader]), or "" if it names none or not in the form centrifuge
// gives. It only ever narrows who receives a publication ([Except]), so a
// forged one costs nothing but the poster's own update.
func ClientID(r *http.Request) string {
	id := r.Header.Get(ClientHeader)
	if len(id) != 36 || strings.Trim(id, "0123456789abcdef-") != "" {
		return ""
	}
	return id
}

// Except leaves the connection whose id is client (see [ClientID]) out of
// a publication: the tab whose action caused it, which shows the result
// already. The publication reaches every other connection, and stays in
// the channel's history. An empty id leaves no one out.
func Except(client string) PublishOption { return func(o *publishOptions) { o.except = client } }

// exceptTag is the publication tag that names the connection [Except]
// leaves out; every subscription filters on it (subscriptionFor).
const exceptTag = "except"

// Disconnect closes the live connections of r's session on every instance
// (all of r's connections if r.Session is empty) with
// [DisconnectSessionEnded]: call it when the session ends. With
// [WithSessions] the tokens of that session do not connect again.
func (e *Engine) Disconnect(_ context.Context, r pagelet.Reader) error {
	if r.Anonymous() {
		return nil
	}
	opts := []centrifuge.DisconnectOption{centrifuge.WithCustomDisconnect(DisconnectSessionEnded)}
	if r.Session != "" {
		opts = append(opts, centrifuge.WithDisconnectLabelFilter(&centrifuge.FilterNode{Key: sessionLabel, Cmp: "eq", Val: r.Session}))
	}
	if err := e.node.Disconnect(r.ID, opts...); err != nil {
		return fmt.Errorf("live: disconnect reader %q: %w", r.ID, err)
	}
	return nil
}

// sessionLabel is the connection label that holds its reader's session.
const sessionLabel = "session"
