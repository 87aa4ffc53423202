package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Stream item operations.
//
// A stream publication adds an item; with a key ([WithKey]) it can also
// change the item the pages show with that key: [Replace] it in place,
// [Pin] it to the top of the list or unpin it, or remove it
// ([Feed.Remove]). Operations go through the channel's history like any
// publication, so a client that recovers missed publications applies them
// in order: an item added then removed while a page was away is not shown
// when it comes back.

// Errors of item operations.
var (
	ErrNoKey    = errors.New("live: an item operation needs the item's key (WithKey)")
	ErrNotItems = errors.New("live: item operations are for stream feeds")
)

// Replace makes a stream publication replace the item with its key
// ([WithKey], required): a page showing that item swaps it in place (the
// focused field in it keeps its focus and value, the page its scroll); a
// page that does not show it adds it, in its place by [WithOrder]. A
// replacement is never taken for the add of the same key (which is
// published once): it is published every time.
func Replace() PublishOption { return func(o *publishOptions) { o.op = opReplace } }

// Pin pins (pinned true) or unpins a stream item, with [Replace]: pinned
// items stay at the top of the list, the latest pinned first, marked
// data-live-pinned; an unpinned item goes back to its place by its
// data-live-order. A replacement without Pin keeps the item's pin. A page
// rendered with pinned items marks them data-live-pinned itself, at the top
// of the list: the client keeps new items below them.
func Pin(pinned bool) PublishOption { return func(o *publishOptions) { o.pin = &pinned } }

// Operations a publication carries (render.Fragment.Op).
const (
	opReplace = "replace"
	opRemove  = "remove"
)

// opTag marks a removal among a publication's tags: every filter lets it
// through ([WithFilter]).
const opTag = "bp.op"

// check returns why o cannot be published on a channel of spec.
func (o *publishOptions) check(spec *feedSpec) error {
	if len(o.tags) > maxTags {
		return fmt.Errorf("%d tags, over %d", len(o.tags), maxTags)
	}
	if o.op == "" && o.pin == nil {
		return nil
	}
	if spec.kind != streamKind {
		return ErrNotItems
	}
	if o.key == "" {
		return ErrNoKey
	}
	return nil
}

// Remove removes the item with key from every page that shows it. The
// removal is a publication of the channel's ([Except] applies), reaching
// every page of the channel whatever its filter ([WithFilter]), kept in its
// history: a page that recovers the add
// and the removal ends without the item, and an add of the same key
// retried within the history is not published again. A page rendered later
// shows what the site's store holds.
func (f *Feed[T]) Remove(ctx context.Context, channel, key string, opts ...PublishOption) error {
	return f.publish(ctx, channel, nil, append(slices.Clip(opts), WithKey(key), func(o *publishOptions) { o.op, o.pin = opRemove, nil }))
}
