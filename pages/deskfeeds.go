package pages

import (
	"context"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
)

// The moderation desk's feeds.
const (
	// DeskFeed is each editor's desk, "desk#ada": a stream of the
	// comments their rules match, keyed by comment id, newest first; an
	// item is replaced in place when an editor acts on its comment.
	DeskFeed = "desk#"
	// DeskActionsFeed is the desk's latest actions, "deskactions#ada":
	// the same for every editor, published to each.
	DeskActionsFeed = "deskactions#"
)

// deskFeeds are the desk's feeds.
type deskFeeds struct {
	items   *live.Feed[deskItem]
	actions *live.Feed[actionsData]
}

func declareDesk(eng *live.Engine) deskFeeds {
	return deskFeeds{
		items:   live.Stream(eng, DeskFeed, deskItemView, live.WithCSS("pagelets/desk.css")),
		actions: live.State(eng, DeskActionsFeed, actionsView, live.WithCSS("pagelets/deskactions.css")),
	}
}

// This file and deskops*.go are the only ones that use the operations
// package live gains in issue 23 (a stream item replaced or removed by
// key, pinned): deskops_liveops.go calls them, built with -tags liveops
// until they are on this branch; deskops_fallback.go does what the
// library of today can meanwhile. Once live has them, keep the former
// without its build line and delete the latter.

// publishDeskItem puts it on editor's desk, replacing the item of its
// comment if the desk shows it already.
func (s *Site) publishDeskItem(ctx context.Context, editor string, it deskItem) error {
	return s.feeds.desk.publishItem(ctx, editor, it)
}

// publishActions publishes the latest actions to every editor's desk.
func (s *Site) publishActions(ctx context.Context) error {
	d, err := s.actions(ctx)
	if err != nil {
		return err
	}
	for _, e := range s.editorIDs() {
		if err := s.feeds.desk.actions.PublishTo(ctx, e, d); err != nil {
			return err
		}
	}
	return nil
}

// publishCommentState shows c, whose state an editor changed, as it is
// now on every open page of its article: removed if hidden (from the
// channel's history too, so that a client recovering it does not show it
// again), replaced (and pinned or not) otherwise.
func (s *Site) publishCommentState(ctx context.Context, c store.Comment, st store.CommentState) error {
	if st.Hidden {
		return s.feeds.removeComment(ctx, c)
	}
	c.Pinned = st.Pinned
	return s.feeds.replaceComment(ctx, c)
}
