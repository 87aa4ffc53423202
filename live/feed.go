package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/centrifugal/centrifuge"
	"go.opentelemetry.io/otel/trace"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// kind is what a channel's publications do to the pagelet.
type kind int

const (
	stateKind  kind = iota + 1 // replace its content; only the latest matters
	streamKind                 // add an item; every one matters, in order
)

func (k kind) String() string {
	if k == streamKind {
		return "stream"
	}
	return "state"
}

// feedSpec is what the engine knows of a feed, whatever its data type.
type feedSpec struct {
	name     string
	kind     kind
	private  bool // one channel per reader: the name ends in '#' (reader.go)
	signedIn bool // SignedIn: for signed-in readers only

	presence       bool                                                 // WithPresence: keep who has a channel open
	presenceEvery  time.Duration                                        // WithPresence's period
	presenceReport func(ctx context.Context, channel string, pages int) // WithPresence's report; nil: no presence
	css            []string                                             // asset names, applied before a publication is shown
	history        int                                                  // publications kept for clients that reconnect
	ttl            time.Duration
	filter         FilterFunc // WithFilter's; nil: every page gets every publication
}

// exceptFilter passes the publications that do not leave out connection
// client ([Except]).
func exceptFilter(client string) *centrifuge.FilterNode {
	return &centrifuge.FilterNode{Key: exceptTag, Cmp: "neq", Val: client}
}

// subscribeOptions are the options of a connection for a channel of this
// feed: recovery from the client's position, positioning to notice a lost
// message, for state only the latest publication (cache mode), and none of
// the publications that leave it out (except, from exceptFilter: see
// [Except]) or that its token's filter f does not match ([WithFilter];
// nil: none).
func (s *feedSpec) subscribeOptions(except *centrifuge.FilterNode, f *filterNode) centrifuge.SubscribeOptions {
	o := centrifuge.SubscribeOptions{EnableRecovery: true, EnablePositioning: true, ServerTagsFilter: except}
	if f != nil {
		// A removal reaches every page, whatever its filter: removing an
		// item a page does not show does nothing.
		removal := &centrifuge.FilterNode{Key: opTag, Cmp: "eq", Val: opRemove}
		o.ServerTagsFilter = &centrifuge.FilterNode{Op: "and", Nodes: []*centrifuge.FilterNode{except,
			{Op: "or", Nodes: []*centrifuge.FilterNode{f.node(), removal}}}}
	}
	if s.kind == stateKind {
		o.RecoveryMode = centrifuge.RecoveryModeCache
	}
	s.presenceOptions(&o)
	return o
}

// metaTTL is how long a channel's position (offset and epoch) outlives its
// last publication: well past the history, so that a client coming back
// late learns it is too late (and refetches) rather than starting afresh.
func (s *feedSpec) metaTTL() time.Duration { return 10 * s.ttl }

// Feed is a declared live channel, or family of channels, whose
// publications are values of T rendered by the feed's view. Create it with
// [State] or [Stream].
type Feed[T any] struct {
	e    *Engine
	spec *feedSpec
	view func(T) templ.Component
}

// FeedOption configures a feed.
type FeedOption func(*feedSpec)

// WithCSS names the stylesheets (asset names of the site's registry) a
// publication needs: the client applies them before it shows one. They are
// usually the live pagelet's own CSS.
func WithCSS(names ...string) FeedOption {
	return func(s *feedSpec) { s.css = append(s.css, names...) }
}

// WithHistory sets how many publications a channel keeps, and for how
// long, for clients that reconnect: a client further behind refetches the
// pagelet instead.
func WithHistory(size int, ttl time.Duration) FeedOption {
	return func(s *feedSpec) { s.history, s.ttl = size, ttl }
}

// State declares a state feed: each publication replaces the content of
// every pagelet showing the channel, and a client that missed several
// publications gets only the latest. name is a channel, a family ending
// in ':', or a feed per reader ending in '#' (see [Feed.ReaderChannel]).
// It panics if name is not one of those or is declared already: a setup
// error.
func State[T any](e *Engine, name string, view func(T) templ.Component, opts ...FeedOption) *Feed[T] {
	return declare(e, name, stateKind, view, 1, DefaultStateTTL, opts)
}

// Stream declares a stream feed: each publication is an item appended to
// every pagelet showing the channel, inside its element marked
// data-live-items (or at its end), each shown once, in order. name is a
// channel, a family ending in ':', or a feed per reader ending in '#'. It
// panics if name is not one of those or is declared already.
func Stream[T any](e *Engine, name string, view func(T) templ.Component, opts ...FeedOption) *Feed[T] {
	return declare(e, name, streamKind, view, DefaultStreamHistory, DefaultStreamTTL, opts)
}

func declare[T any](e *Engine, name string, k kind, view func(T) templ.Component, history int, ttl time.Duration, opts []FeedOption) *Feed[T] {
	if !validFeedName(name) {
		panic(fmt.Sprintf("live: bad feed name %q", name))
	}
	if view == nil {
		panic("live: nil view for feed " + name)
	}
	spec := &feedSpec{name: name, kind: k, history: history, ttl: ttl, private: strings.HasSuffix(name, "#")}
	for _, o := range opts {
		o(spec)
	}
	if spec.history < 1 || spec.ttl <= 0 {
		panic(fmt.Sprintf("live: feed %q: history must keep at least one publication for a positive time", name))
	}
	for _, css := range spec.css {
		if _, err := e.site.Get(css); err != nil {
			panic(fmt.Sprintf("live: feed %q: %v", name, err))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.feeds[name]; dup {
		panic("live: feed declared twice: " + name)
	}
	e.feeds[name] = spec
	if spec.presenceReport != nil {
		e.startPresence()
	}
	return &Feed[T]{e: e, spec: spec, view: view}
}

// validFeedName reports whether name can name a feed: a channel (no ':'
// or '#' but inside), a family ending in its only ':', or a per-reader
// feed ending in its only '#'.
func validFeedName(name string) bool {
	rest := strings.TrimRight(name, ":#")
	switch {
	case rest == "" || strings.Contains(rest, "#") || len(name)-len(rest) > 1:
		return false
	case strings.HasSuffix(name, ":"):
		return !strings.Contains(rest, ":")
	}
	return true
}

// Pagelet returns p made live on channel, which must be one of this feed's:
// a channel no feed declares leaves every page showing it without live
// updates (render.Renderer.Check reports it at start), and another feed's
// channel shows that feed's publications, rendered by its view. The engine
// logs such a mistake when Pagelet is called, once per feed and channel,
// not on every page.
func (f *Feed[T]) Pagelet(channel string, p pagelet.Pagelet) pagelet.Pagelet {
	if s := f.e.lookup(channel); s != f.spec {
		f.e.misused(f.spec.name, channel, s)
	}
	p.Channel = channel
	return p
}

// maxMisuses bounds the mistaken [Feed.Pagelet] calls an engine remembers
// having logged (a channel per article may make many distinct ones).
const maxMisuses = 64

// misused logs, once per feed and channel, a [Feed.Pagelet] call for a
// channel that is not the feed's; owner is the feed that declares it, if
// any.
func (e *Engine) misused(feed, channel string, owner *feedSpec) {
	key := feed + "\x00" + channel
	e.misuseMu.Lock()
	_, seen := e.misuses[key]
	full := len(e.misuses) >= maxMisuses
	if !seen && !full {
		if e.misuses == nil {
			e.misuses = make(map[string]struct{})
		}
		e.misuses[key] = struct{}{}
	}
	e.misuseMu.Unlock()
	if seen || full {
		return
	}
	why := "no feed declares it: the page gets no live updates (declare the feed, or fix the channel)"
	if owner != nil {
		why = fmt.Sprintf("feed %q declares it: the pagelet shows that feed's publications (use that feed's Pagelet, or fix the channel)", owner.name)
	}
	e.cfg.log.Warn("live: Feed.Pagelet: the channel is not this feed's (logged once)",
		"feed", feed, "channel", channel, "why", why)
}

// PublishOption configures one publication.
type PublishOption func(*publishOptions)

type publishOptions struct {
	key    string
	order  uint64
	except string            // Except's connection id
	op     string            // Replace's "replace"; Remove's "remove"; "" adds
	pin    *bool             // Pin's
	tags   map[string]string // WithTags's, unprefixed
}

// WithKey gives a stream item its key, such as the id a client generated
// for a comment: a publication with a key already published is not
// published again (within the channel's history), and a page that shows an
// item with that key already does not show it twice.
func WithKey(key string) PublishOption { return func(o *publishOptions) { o.key = key } }

// WithOrder gives a stream item its place among the others, such as a
// comment's sequence number: a page puts it before the first item it shows
// whose data-live-order attribute is greater (render the items a page
// starts with with that attribute), so that items published out of order
// (a publication retried after a broker outage, two instances publishing
// at once) show in the order a reload shows them. Without it an item goes
// at the end (or the start, for data-live-items="prepend").
func WithOrder(n uint64) PublishOption { return func(o *publishOptions) { o.order = n } }

// Errors of [Feed.Publish].
var (
	ErrWrongFeed = errors.New("live: channel does not belong to this feed")
	ErrTooLarge  = errors.New("live: publication over the message size limit")
)

// Publish renders v with the feed's view, once, and sends the same bytes to
// every page showing channel, on every instance the broker reaches. While
// the broker is known down it fails at once with [ErrBrokerDown]. The
// content is encoded as the page stream's payloads are (render.AppendFragment),
// and the client inserts it inert: published text cannot run script.
// On a stream channel [Replace] and [Pin] change an item the pages show
// rather than add one.
func (f *Feed[T]) Publish(ctx context.Context, channel string, v T, opts ...PublishOption) error {
	return f.publish(ctx, channel, &v, opts)
}

// publish renders v (nil: no content, a [Feed.Remove]) and publishes it.
func (f *Feed[T]) publish(ctx context.Context, channel string, v *T, opts []PublishOption) (err error) {
	if f.e.lookup(channel) != f.spec {
		return fmt.Errorf("%w: %q is not %q", ErrWrongFeed, channel, f.spec.name)
	}
	var po publishOptions
	for _, o := range opts {
		o(&po)
	}
	if err := po.check(f.spec); err != nil {
		return fmt.Errorf("live: publish to %q: %w", channel, err)
	}
	t0 := time.Now()
	tags := publishTimeTags(t0)
	var (
		res  centrifuge.PublishResult
		data []byte
	)
	if t := f.e.cfg.tracer; t != nil { // trace.go
		var sp trace.Span
		ctx, sp = startPublish(ctx, t, f.spec, channel, po.key)
		injectTrace(ctx, tags)
		defer func() { endPublish(sp, res, len(data), err) }()
	}
	var buf bytes.Buffer
	if v != nil {
		if err := f.view(*v).Render(ctx, &buf); err != nil {
			return fmt.Errorf("live: render publication for %q: %w", channel, err)
		}
	}
	frag := render.Fragment{Content: buf.Bytes(), Key: po.key, Order: po.order, Op: po.op, Pin: po.pin}
	for _, name := range f.spec.css {
		a, err := f.e.site.Get(name)
		if err != nil {
			return fmt.Errorf("live: publication for %q: %w", channel, err)
		}
		frag.CSS = append(frag.CSS, a.URL)
	}
	data = render.AppendFragment(nil, &frag)
	size := len(data) + appTags(tags, po.tags)
	if size > f.e.cfg.limits.MessageSize {
		f.e.m.errors.WithLabelValues(errPublish).Inc()
		return fmt.Errorf("%w: %d bytes for %q, limit %d", ErrTooLarge, size, channel, f.e.cfg.limits.MessageSize)
	}
	if po.except != "" {
		tags[exceptTag] = po.except
	}
	if po.op == opRemove {
		tags[opTag] = po.op
	}
	popts := []centrifuge.PublishOption{centrifuge.WithHistory(f.spec.history, f.spec.ttl, f.spec.metaTTL()), centrifuge.WithTags(tags)}
	if po.key != "" && po.op == "" {
		// Only an add is deduplicated: a replace, a pin or a remove of an
		// item (an op that may be repeated) must never be taken for the
		// add of the same key, nor for an earlier op.
		popts = append(popts, centrifuge.WithIdempotencyKey(po.key), centrifuge.WithIdempotentResultTTL(f.spec.ttl))
	}
	if err := f.e.brokerCheck(channel); err != nil {
		f.e.m.errors.WithLabelValues(errPublish).Inc()
		return fmt.Errorf("live: publish to %q: %w", channel, err)
	}
	if res, err = f.e.node.Publish(channel, data, popts...); err != nil {
		f.e.m.errors.WithLabelValues(errPublish).Inc()
		return fmt.Errorf("live: publish to %q: %w", channel, err)
	}
	f.e.published(ctx, f.spec, channel, frag.Content, res, po.op)
	kind := f.spec.kind.String()
	f.e.m.publications.WithLabelValues(kind).Inc()
	f.e.m.deliveries.WithLabelValues(kind).Add(float64(f.e.node.Hub().NumSubscribers(channel)))
	f.e.m.publishSeconds.WithLabelValues(kind).Observe(time.Since(t0).Seconds())
	return nil
}
