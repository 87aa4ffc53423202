package pages

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// The demo's live channels. The front page's sports scores, market table
// and breaking-news banner are state channels (each publication replaces
// the pagelet); an article's comments are a stream channel, one per
// article (each publication is one more comment).
const (
	ChannelScores   = "scores"
	ChannelMarkets  = "markets"
	ChannelBreaking = "breaking"
	// CommentsFamily is the feed of every article's comments channel,
	// CommentsChannel(slug).
	CommentsFamily = "comments:"
)

// CommentsChannel returns the live channel of the comments on the article
// slug.
func CommentsChannel(slug string) string { return CommentsFamily + slug }

// feeds are the site's live feeds. Each renders a publication with the
// same templ component, from the same data, as its pagelet's Load, so a
// live update and a reload show the same markup.
type feeds struct {
	scores   *live.Feed[sportsData]
	markets  *live.Feed[financeData]
	breaking *live.Feed[breakingData]
	comments *live.Feed[store.Comment]
	reading  *live.Feed[int] // each article's "reading now" (reading.go)
	mail     mailFeeds
	desk     deskFeeds
	eng      *live.Engine    // presence: pages on an article, who reads a conversation (ReadersOn)
	done     <-chan struct{} // the engine's Done: retries stop then
	retrying atomic.Int32    // comment publications being retried
}

// WithLive makes the site's pagelets live on eng: the front page's sports
// scores ([ChannelScores]), markets ([ChannelMarkets]) and breaking-news
// banner ([ChannelBreaking]), each article's comments
// ([CommentsChannel]) with the number of pages open on it
// ([ReadingChannel]), and readers' private channels: each conversation's
// messages and read receipt, each reader's conversations and
// notifications ([MessagesFeed] and its siblings). It declares their feeds on eng (so it may be given
// for one site per engine only) and lets [Site.PublishScores], its siblings and the comment
// form publish. eng's asset registry must hold the site's files. Without
// it the site is the same, only static: a posted comment shows on the
// next load.
func WithLive(eng *live.Engine) Option {
	return func(s *Site) {
		f := &feeds{
			scores:   live.State(eng, ChannelScores, sports, live.WithCSS(storiesCSS, "pagelets/sports.css")),
			markets:  live.State(eng, ChannelMarkets, finance, live.WithCSS(storiesCSS, "pagelets/finance.css")),
			breaking: live.State(eng, ChannelBreaking, breaking, live.WithCSS("pagelets/breaking.css")),
			reading:  live.State(eng, ReadingFamily, readingNow),
			mail:     declareMail(eng),
			desk:     declareDesk(eng),
			eng:      eng,
			done:     eng.Done(),
		}
		f.comments = live.Stream(eng, CommentsFamily, commentItem, live.WithCSS("pagelets/comments.css"),
			live.WithPresence(readingEvery, f.reportReading))
		s.feeds = f
	}
}

// errNotLive is what publishing on a site without [WithLive] returns.
var errNotLive = errors.New("pages: the site is not live (no WithLive)")

// live sets p's channel when the site is live.
func (s *Site) live(channel string, p pagelet.Pagelet) pagelet.Pagelet {
	if s.feeds != nil {
		p.Channel = channel
	}
	return p
}

// PublishScores publishes the sports pagelet as the store has it now to
// [ChannelScores].
//
// The publication is the cached pagelet's new content, on every
// instance; if it fails (or the site is not live), the cached scores table
// is expired instead, since the store may have changed.
func (s *Site) PublishScores(ctx context.Context) (err error) {
	defer s.expireOnError(ctx, &err, tagScores)
	if s.feeds == nil {
		return errNotLive
	}
	d, err := s.sportsData(ctx)
	if err != nil {
		return fmt.Errorf("pages: scores to publish: %w", err)
	}
	return s.feeds.scores.Publish(ctx, ChannelScores, d)
}

// PublishMarkets publishes the finance pagelet as the store has it now to
// [ChannelMarkets].
//
// The publication is the cached pagelet's new content, on every
// instance; if it fails (or the site is not live), the cached market table
// is expired instead, since the store may have changed.
func (s *Site) PublishMarkets(ctx context.Context) (err error) {
	defer s.expireOnError(ctx, &err, tagMarkets)
	if s.feeds == nil {
		return errNotLive
	}
	d, err := s.financeData(ctx)
	if err != nil {
		return fmt.Errorf("pages: markets to publish: %w", err)
	}
	return s.feeds.markets.Publish(ctx, ChannelMarkets, d)
}

// PublishBreaking publishes the breaking-news banner as the store has it
// now to [ChannelBreaking].
//
// The publication is the cached pagelet's new content, on every
// instance; if it fails (or the site is not live), the cached banner
// is expired instead, since the store may have changed.
func (s *Site) PublishBreaking(ctx context.Context) (err error) {
	defer s.expireOnError(ctx, &err, tagBreaking)
	if s.feeds == nil {
		return errNotLive
	}
	d, err := s.breakingData(ctx)
	if err != nil {
		return fmt.Errorf("pages: breaking news to publish: %w", err)
	}
	return s.feeds.breaking.Publish(ctx, ChannelBreaking, d)
}

// publishComment publishes c, one stored comment, to its article's
// channel, keyed by its id (a publication of the same comment again is
// dropped by the engine and by pages that show it already) and placed by
// its sequence number (one retried, or published by another instance at
// the same time, still shows in the store's order).
func (s *Site) publishComment(ctx context.Context, c store.Comment) error {
	if s.feeds == nil {
		return nil
	}
	return s.feeds.comments.Publish(ctx, CommentsChannel(c.Slug), c, live.WithKey(c.ID), live.WithOrder(c.Seq))
}

// Retries of a comment's publication when the broker failed: the comment is
// stored already (readers who reload see it); the retry makes it reach
// the open pages too once the broker is back.
const (
	publishRetryFirst = 250 * time.Millisecond // the first wait; doubled each time
	publishRetryMax   = 10 * time.Second       // the longest wait
	// publishRetryFor bounds the retries: the comments channel's history
	// lasts as long (live.DefaultStreamTTL), so a page open across a
	// longer outage refetches its comments anyway.
	publishRetryFor = live.DefaultStreamTTL
	// maxRetrying bounds the publications retried at once: past it a
	// comment is left to the readers' reloads (and logged so).
	maxRetrying = 1000
)

// publishCommentLater retries publishing c, whose publication failed with
// err, in the background ([Site.publishLater]). c's id is the
// publication's key: if an attempt that seemed to fail was published after
// all, the engine and the pages drop the repeat.
func (s *Site) publishCommentLater(c store.Comment, err error) {
	s.publishLater(s.logger().With("article", c.Slug, "id", c.ID), "comment", err,
		func(ctx context.Context) error { return s.publishComment(ctx, c) })
}

// publishLater retries publish, whose first attempt failed with err, in
// a goroutine of its own, with full-jitter backoff, until it succeeds, the
// engine stops (Done), publishRetryFor has passed or the error cannot be
// cured by waiting (a publication too large). what names what was stored
// but not published ("comment", "message") in the log, where each outcome
// goes. A publication retried must be one the pages show once however
// often it arrives: a keyed stream item, or a state.
func (s *Site) publishLater(log *slog.Logger, what string, err error, publish func(context.Context) error) {
	if !retryable(err) {
		log.Warn(what+" stored but not published: readers see it when they reload", "err", err)
		return
	}
	f := s.feeds
	if f.retrying.Add(1) > maxRetrying {
		f.retrying.Add(-1)
		log.Warn(what+" stored but not published, and too many publications retried already: readers see it when they reload", "err", err)
		return
	}
	log.Warn(what+" stored but not published: retrying in the background", "err", err)
	go func() {
		defer f.retrying.Add(-1)
		start := time.Now()
		wait := publishRetryFirst
		timer := time.NewTimer(0)
		defer timer.Stop()
		for attempt := 2; ; attempt++ {
			timer.Reset(rand.N(wait) + time.Millisecond)
			select {
			case <-timer.C:
			case <-f.done:
				log.Warn(what+" not published: the live engine stopped first; readers see it when they reload", "attempts", attempt-1)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
			err := publish(ctx)
			cancel()
			switch {
			case err == nil:
				log.Info(what+" published after a retry", "attempts", attempt, "after", time.Since(start).Round(time.Millisecond))
				return
			case !retryable(err) || time.Since(start) > publishRetryFor:
				log.Warn(what+" not published: gave up; readers see it when they reload", "attempts", attempt, "err", err)
				return
			}
			wait = min(2*wait, publishRetryMax)
		}
	}()
}

// retryable reports whether a failed publication may succeed later: a
// broker failure may, a publication the engine refuses never does.
func retryable(err error) bool {
	return !errors.Is(err, live.ErrTooLarge) && !errors.Is(err, live.ErrWrongFeed)
}
