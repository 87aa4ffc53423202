package pages

import (
	"context"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// ReadingFamily is the feed of every article's "reading now" count,
// ReadingChannel(slug): a state channel the live engine's presence
// reports on the article's comments channel publish to.
const ReadingFamily = "reading:"

// ReadingChannel returns the live channel of the number of pages open on
// the article slug.
func ReadingChannel(slug string) string { return ReadingFamily + slug }

// readingEvery is how often at most an article's "reading now" is
// published: readers coming and going between two publications make one.
const readingEvery = time.Second

// readingTimeout bounds reading the count when an article is rendered: a
// broker that does not answer leaves the pagelet empty, not the page
// waiting.
const readingTimeout = 300 * time.Millisecond

// reportReading publishes the number of pages open on an article's
// comments channel to its "reading now" channel (live.WithPresence's
// report). A failure is left: the next come or go reports again.
func (f *feeds) reportReading(ctx context.Context, channel string, pages int) {
	slug, ok := strings.CutPrefix(channel, CommentsFamily)
	if !ok {
		return
	}
	_ = f.reading.Publish(ctx, ReadingChannel(slug), pages)
}

// readingPagelet is an article's "N reading now": the pages open on it
// across instances, live. Without a live engine it shows nothing.
func (s *Site) readingPagelet(slug string) pagelet.Pagelet {
	p := pagelet.Pagelet{
		ID:          "reading",
		Timeout:     readingTimeout,
		Placeholder: readingNow(-1),
		Fallback:    func(error) templ.Component { return readingNow(-1) },
		Load: func(ctx context.Context) (templ.Component, error) {
			if s.feeds == nil {
				return readingNow(-1), nil
			}
			n, err := s.feeds.eng.Presence(ctx, CommentsChannel(slug))
			if err != nil {
				return nil, err
			}
			return readingNow(n), nil
		},
	}
	return s.live(ReadingChannel(slug), p)
}
