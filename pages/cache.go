package pages

import (
	"context"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// WithCache makes the site cache its shared pagelets in c, which must be
// the renderer's cache (render.WithCache) and, on a live site, the live
// engine's (live.WithCache): the front page's blocks, each article's
// story, related stories and comments (per slug), the most-read rail, and
// a signed-in reader's notifications (per reader). See [Site.Home] and
// [Site.Article] for each one's policy.
//
// The live publications keep them current on every instance: a state
// publication (scores, markets, breaking news, a reader's notifications)
// is the pagelet's new content; a comment's publication, or an editor's
// hide or pin, expires its article's comments. A change that no
// publication reports (the site not live, or the broker down: the
// publication is retried, but until then) expires the fragments it
// touches through c. Without WithCache no pagelet has a cache policy, and
// a renderer with a cache loads them all on every request.
func WithCache(c *cache.Cache) Option { return func(s *Site) { s.cache = c } }

// The tags of the site's cached fragments: one invalidation expires every
// fragment with the tag.
const (
	tagStories  = "stories"  // every headline list read from the sections
	tagBreaking = "breaking" // the breaking-news banner
	tagMarkets  = "markets"  // the market table
	tagScores   = "scores"   // the sports scores
	tagMostRead = "mostread" // the most-read rail
	tagWeather  = "weather"  // the weather
)

// sectionTag is the tag of the fragments that list section id's stories.
func sectionTag(id string) string { return "section:" + id }

// articleTag is the tag of every fragment of the article slug's page that
// is the article's own (story, related, comments).
func articleTag(slug string) string { return "article:" + slug }

// commentsTag is the tag of the article slug's comments.
func commentsTag(slug string) string { return "comments:" + slug }

// noticesTag is the tag of the reader id's notifications.
func noticesTag(id string) string { return "notices:" + id }

// The policies. Fresh is how long a fragment is served as it is; Stale how
// long after that it is still served at once while one refresh runs;
// StaleIfError how long after Fresh it stands in for a backend that fails.
//
// The demo's news never changes once seeded, but its pagelets show times
// worked out at the read (a match's clock, "Markets at 15:04", a story's
// "New" badge): Fresh bounds how old those may be, and is short where they
// move (the scores). The live pagelets are replaced by each publication,
// so their Fresh is what they may lag without one (the simulator off). A
// failing backend is covered for as long as old headlines are better than
// "temporarily unavailable": an hour for news, less for prices and scores.

// storiesCache is a section's headline list: hotnews, society, tech, an
// article's related stories.
func storiesCache(key string, tags ...string) pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: time.Hour, Key: key,
		Tags: append([]string{tagStories}, tags...)}
}

// marketsCache is the business block: the market table, live on
// [ChannelMarkets], and the business headlines.
func marketsCache() pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: 30 * time.Minute,
		Tags: []string{tagStories, sectionTag("finance"), tagMarkets}}
}

// scoresCache is the sport block: the scores, live on [ChannelScores],
// whose match clocks the store works out at each read, and the sport
// headlines.
func scoresCache() pagelet.Cache {
	return pagelet.Cache{Fresh: 15 * time.Second, Stale: time.Minute, StaleIfError: 10 * time.Minute,
		Tags: []string{tagStories, sectionTag("sports"), tagScores}}
}

// breakingCache is the breaking-news banner, live on [ChannelBreaking].
func breakingCache() pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: 30 * time.Minute, Tags: []string{tagBreaking}}
}

// mostReadCache is the most-read rail, the same on every page that shows
// it: one fragment for them all.
func mostReadCache() pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: time.Hour, Key: "mostread", Tags: []string{tagMostRead}}
}

// weatherCache is the weather: its local clock ticks in the browser.
func weatherCache() pagelet.Cache {
	return pagelet.Cache{Fresh: 2 * time.Minute, Stale: 10 * time.Minute, StaleIfError: 2 * time.Hour, Tags: []string{tagWeather}}
}

// storyCache is an article's story, which never changes.
func storyCache(slug string) pagelet.Cache {
	return pagelet.Cache{Fresh: 5 * time.Minute, Stale: time.Hour, StaleIfError: 24 * time.Hour,
		Key: "article:" + slug + ":story", Tags: []string{articleTag(slug)}}
}

// commentsCache is an article's comments, live on its
// [CommentsChannel]: each comment posted, hidden or pinned expires it.
func commentsCache(slug string) pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: 10 * time.Minute,
		Key: "article:" + slug + ":comments", Tags: []string{articleTag(slug), commentsTag(slug)}}
}

// noticesCache is a signed-in reader's notifications, a personal pagelet
// (cached per reader, served to no one else), live on their
// [NotificationsFeed] channel; the same on every page.
func noticesCache(reader string) pagelet.Cache {
	return pagelet.Cache{Fresh: time.Minute, Stale: 5 * time.Minute, StaleIfError: 10 * time.Minute,
		Key: "notifications", Tags: []string{noticesTag(reader)}}
}

// cached gives p the cache policy c if the site has a cache ([WithCache]).
func (s *Site) cached(c pagelet.Cache, p pagelet.Pagelet) pagelet.Pagelet {
	if s.cache != nil {
		p.Cache = c
	}
	return p
}

// expire expires the cached fragments with any of tags, on every
// instance: the next page loads them afresh. A write calls it when no
// publication told the caches what it changed: the site is not live, or
// the publication failed (it is retried, but until then the fragments
// would show the old data). A failure to reach the other instances is
// logged: this one's fragments are expired whatever it is.
func (s *Site) expire(ctx context.Context, tags ...string) {
	if s.cache == nil {
		return
	}
	if err := s.cache.InvalidateTags(context.WithoutCancel(ctx), tags...); err != nil {
		s.logger().Warn("pages: cached fragments expired here, but maybe not on the other instances", "tags", tags, "err", err)
	}
}

// expireOnError expires the fragments with any of tags if *err is not nil
// when the function that defers it returns: a publication that should have
// kept them current failed.
func (s *Site) expireOnError(ctx context.Context, err *error, tags ...string) {
	if *err != nil {
		s.expire(ctx, tags...)
	}
}
