package pages

import (
	"context"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
)

// publishItem publishes it to editor's desk, replacing the item with its
// key (adding it if absent).
func (d deskFeeds) publishItem(ctx context.Context, editor string, it deskItem) error {
	return d.items.PublishTo(ctx, editor, it, live.WithKey(it.Comment.ID), live.Replace())
}

// removeComment removes c from every page of its article, and from the
// channel's history.
func (f *feeds) removeComment(ctx context.Context, c store.Comment) error {
	return f.comments.Remove(ctx, CommentsChannel(c.Slug), c.ID)
}

// replaceComment replaces c on every page of its article (adding it if a
// page lacks it: an unhidden comment), pinned to the top or not.
func (f *feeds) replaceComment(ctx context.Context, c store.Comment) error {
	return f.comments.Publish(ctx, CommentsChannel(c.Slug), c, live.WithKey(c.ID), live.WithOrder(c.Seq), live.Replace(), live.Pin(c.Pinned))
}
