//go:build !liveops

package pages

import (
	"context"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
)

// publishItem publishes it to editor's desk: without Replace, a desk that
// shows its comment already keeps the old item.
func (d deskFeeds) publishItem(ctx context.Context, editor string, it deskItem) error {
	return d.items.PublishTo(ctx, editor, it, live.WithKey(it.Comment.ID))
}

func (f *feeds) removeComment(context.Context, store.Comment) error { return errNoLiveOps }

func (f *feeds) replaceComment(context.Context, store.Comment) error { return errNoLiveOps }
