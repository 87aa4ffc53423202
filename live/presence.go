package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
)

// WithPresence makes a feed's channels count who has them open, across
// instances (centrifuge's presence: in memory, or in Redis with
// [WithRedis]), and report the count: report is called with a channel
// and the number of pages open on it at most once per every per channel,
// and only after pages came or went, so that a busy channel does not
// publish on each join. The count is of connections (a reader with two
// tabs counts twice). report usually publishes it to a state feed, the
// "reading now" of an article; every instance where pages come or go
// reports what the whole cluster sees. [Engine.Presence] reads a count at
// any time, and [Engine.ReadersOn] who is there; report may be nil when
// only they are needed.
func WithPresence(every time.Duration, report func(ctx context.Context, channel string, pages int)) FeedOption {
	return func(s *feedSpec) {
		s.presence, s.presenceEvery, s.presenceReport = true, max(every, minPresenceEvery), report
	}
}

// minPresenceEvery is the shortest reporting period [WithPresence] keeps:
// presence is stored in Redis by a round trip of its own per join.
const minPresenceEvery = 100 * time.Millisecond

// presenceRecheck is how often a channel with pages open here is counted
// again though none came or went here: pages of a crashed instance leave
// the count only when their presence expires, which no join or leave on
// a live instance announces.
const presenceRecheck = 30 * time.Second

// Presence returns how many pages have channel open now, on every
// instance. The channel's feed must be declared [WithPresence].
func (e *Engine) Presence(ctx context.Context, channel string) (int, error) {
	spec := e.lookup(channel)
	if spec == nil {
		return 0, fmt.Errorf("live: presence of %q: %w", channel, errNoFeed)
	}
	if !spec.presence {
		return 0, fmt.Errorf("live: presence of %q: %w", channel, errNoPresence)
	}
	st, err := await(ctx, func() (centrifuge.PresenceStatsResult, error) { return e.node.PresenceStats(channel) })
	if err != nil {
		return 0, fmt.Errorf("live: presence of %q: %w", channel, err)
	}
	return st.NumClients, nil
}

// errNoPresence is the answer for a channel whose feed keeps no presence.
var errNoPresence = errors.New("its feed is not declared WithPresence")

// ReadersOn returns the signed-in readers who have channel open now, on
// every instance, each once: whether the recipient of a message is
// reading the conversation, say. The channel's feed must be declared
// [WithPresence].
func (e *Engine) ReadersOn(ctx context.Context, channel string) ([]string, error) {
	spec := e.lookup(channel)
	if spec == nil {
		return nil, fmt.Errorf("live: readers on %q: %w", channel, errNoFeed)
	}
	if !spec.presence {
		return nil, fmt.Errorf("live: readers on %q: %w", channel, errNoPresence)
	}
	res, err := await(ctx, func() (centrifuge.PresenceResult, error) { return e.node.Presence(channel) })
	if err != nil {
		return nil, fmt.Errorf("live: readers on %q: %w", channel, err)
	}
	var ids []string
	for _, info := range res.Presence {
		if info.UserID != "" {
			ids = append(ids, info.UserID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// presence is the engine's presence reporting: which channels are due to
// be counted and reported, and how many pages each has open here.
type presence struct {
	mu    sync.Mutex
	due   map[string]time.Time // channel → when to count it
	local map[string]int       // channel → pages open on this instance
}

// startPresence starts the presence reporter, once, when the first feed
// with a presence report is declared: an engine without one neither ticks
// nor looks up the channels of every connection that comes and goes. It
// ends when the engine closes.
func (e *Engine) startPresence() {
	e.presenceOnce.Do(func() {
		e.presenceOn.Store(true)
		go func() {
			defer close(e.presenceDone)
			e.reportPresence(e.done)
		}()
	})
}

// comeOrGo notes that a page opened (delta 1) or closed (-1) channels:
// each of them with a presence report is due after its period, if it is
// not due already.
func (e *Engine) comeOrGo(channels []string, delta int) {
	if !e.presenceOn.Load() {
		return
	}
	now := time.Now()
	p := &e.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ch := range channels {
		spec := e.lookup(ch)
		if spec == nil || spec.presenceReport == nil { // nothing to report
			continue
		}
		if p.due == nil {
			p.due, p.local = make(map[string]time.Time), make(map[string]int)
		}
		if _, ok := p.due[ch]; !ok {
			p.due[ch] = now.Add(spec.presenceEvery)
		}
		if p.local[ch] += delta; p.local[ch] <= 0 {
			delete(p.local, ch)
		}
	}
}

// takeDue returns the channels due at now, no longer due, and with every
// presenceRecheck the channels open here, due again.
func (p *presence) takeDue(now time.Time, recheck bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var chs []string
	for ch, at := range p.due {
		if !at.After(now) {
			chs = append(chs, ch)
			delete(p.due, ch)
		}
	}
	if recheck {
		for ch := range p.local {
			if _, ok := p.due[ch]; !ok {
				p.due[ch] = now
			}
		}
	}
	return chs
}

// presenceTick is how often the reporter looks for channels due.
const presenceTick = 50 * time.Millisecond

// reportPresence counts and reports the channels due, until stop is
// closed.
func (e *Engine) reportPresence(stop <-chan struct{}) {
	tick := time.NewTicker(presenceTick)
	defer tick.Stop()
	lastRecheck := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			recheck := now.Sub(lastRecheck) >= presenceRecheck
			if recheck {
				lastRecheck = now
			}
			for _, ch := range e.presence.takeDue(now, recheck) {
				e.reportOne(ctx, ch)
			}
		}
	}
}

// reportOne counts channel's pages and hands the count to its feed's
// report. A count that fails is logged and left: the next come or go
// reports again.
func (e *Engine) reportOne(ctx context.Context, channel string) {
	spec := e.lookup(channel)
	if spec == nil || spec.presenceReport == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	n, err := e.Presence(ctx, channel)
	if err != nil {
		e.m.errors.WithLabelValues(errPresence).Inc()
		e.cfg.log.Warn("live: presence not reported", "channel", channel, "err", err)
		return
	}
	spec.presenceReport(ctx, channel, n)
}

// presenceOptions turns on presence in subscribe options of a feed with a
// presence report.
func (s *feedSpec) presenceOptions(o *centrifuge.SubscribeOptions) {
	if s.presence {
		o.EmitPresence = true
	}
}
