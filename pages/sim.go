package pages

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Interval is a range of waits: a simulator waits a random time in
// [Min, Max] between two steps of one kind.
type Interval struct{ Min, Max time.Duration }

// pick draws a wait in the interval.
func (iv Interval) pick(r *rand.Rand) time.Duration {
	if iv.Max <= iv.Min {
		return iv.Min
	}
	return iv.Min + time.Duration(r.Int64N(int64(iv.Max-iv.Min)+1))
}

// mean is the interval's middle.
func (iv Interval) mean() time.Duration { return (iv.Min + iv.Max) / 2 }

// SimRates are how often a [Sim] moves each thing on the front page.
type SimRates struct {
	Markets  Interval // a market tick: some prices move
	Scores   Interval // a look at the matches: goals, and the clocks the store works out
	Breaking Interval // the next breaking headline
}

// DefaultSimRates are lively enough that a visitor sees the front page
// change within a few seconds (the markets), with the match clocks
// turning each minute, a goal in some match every few minutes, and a new
// breaking headline every minute or two.
func DefaultSimRates() SimRates {
	return SimRates{
		Markets:  Interval{2 * time.Second, 5 * time.Second},
		Scores:   Interval{3 * time.Second, 6 * time.Second},
		Breaking: Interval{60 * time.Second, 150 * time.Second},
	}
}

// goalEvery is the mean time between goals in one football match while
// the sim runs: livelier than real football (about one per 33 minutes),
// so that a goal is seen now and then with only two or three matches on.
const goalEvery = 9 * time.Minute

// maxGoals stops a simulated football match at this many goals: the
// store replays the same hour of matches, and the sim's goals add up.
const maxGoals = 7

// Sim is the demo's simulator: it moves market prices, scores goals in the
// matches being played and breaks news, writing each change to the store
// (the source of truth: a reload shows the same) and then publishing the
// pagelet it changes ([Site.PublishMarkets], [Site.PublishScores],
// [Site.PublishBreaking]). Create it with [Site.NewSim]; [Sim.Run] runs it
// until its context ends. The site must be live ([WithLive]).
type Sim struct {
	site  *Site
	rnd   *rand.Rand
	rates SimRates

	lastScores string // what the scores table showed at the last publication
	next       int    // the next breaking headline
	gate       func(context.Context) error
}

// SimOption configures a [Sim].
type SimOption func(*Sim)

// WithSimRand makes the simulator draw from r: a seeded one makes its
// moves, given the store's clock, the same on every run. The default is
// seeded randomly.
func WithSimRand(r *rand.Rand) SimOption { return func(m *Sim) { m.rnd = r } }

// WithSimGate makes the simulator call gate just before each publication
// and skip it (the step fails with gate's error) unless gate returns nil:
// the check of a lease that lets one instance at a time publish (a leader
// whose lease ran out publishes nothing more). The default lets every
// publication through.
func WithSimGate(gate func(ctx context.Context) error) SimOption {
	return func(m *Sim) { m.gate = gate }
}

// publish publishes through fn unless the gate says no.
func (m *Sim) publish(ctx context.Context, fn func(context.Context) error) error {
	if m.gate != nil {
		if err := m.gate(ctx); err != nil {
			return fmt.Errorf("sim: publication held back: %w", err)
		}
	}
	return fn(ctx)
}

// WithSimRates sets how often the simulator moves each thing.
func WithSimRates(r SimRates) SimOption { return func(m *Sim) { m.rates = r } }

// NewSim returns a simulator of s's live front page.
func (s *Site) NewSim(opts ...SimOption) *Sim {
	m := &Sim{site: s, rates: DefaultSimRates()}
	for _, o := range opts {
		o(m)
	}
	if m.rnd == nil {
		m.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	m.next = m.rnd.IntN(len(breakingHeadlines()))
	return m
}

// Run moves the front page until ctx ends, then returns ctx's cause. A
// step that fails (a store error, a publication refused) is logged and the
// next one tried as usual.
func (m *Sim) Run(ctx context.Context) error {
	type kind struct {
		name string
		iv   Interval
		step func(context.Context) error
	}
	kinds := []kind{
		{"markets", m.rates.Markets, m.StepMarkets},
		{"scores", m.rates.Scores, m.StepScores},
		{"breaking", m.rates.Breaking, m.StepBreaking},
	}
	timers := make([]*time.Timer, len(kinds))
	for i, k := range kinds {
		timers[i] = time.NewTimer(k.iv.pick(m.rnd))
		defer timers[i].Stop()
	}
	for {
		var i int
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-timers[0].C:
			i = 0
		case <-timers[1].C:
			i = 1
		case <-timers[2].C:
			i = 2
		}
		if err := kinds[i].step(ctx); err != nil && ctx.Err() == nil {
			m.site.logger().Warn("live demo: simulator step failed", "what", kinds[i].name, "err", err)
		}
		timers[i].Reset(kinds[i].iv.pick(m.rnd))
	}
}

// StepMarkets moves some market prices (a random walk, drawn back a little
// towards the previous close) and publishes the market table.
func (m *Sim) StepMarkets(ctx context.Context) error {
	err := m.site.st.UpdateMarkets(ctx, func(qs []store.Quote) error {
		moved := false
		for i := range qs {
			if m.rnd.Float64() < 0.6 {
				moved = m.move(&qs[i]) || moved
			}
		}
		for tries := 0; !moved && len(qs) > 0 && tries < 10; tries++ {
			moved = m.move(&qs[m.rnd.IntN(len(qs))])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sim: markets: %w", err)
	}
	return m.publish(ctx, m.site.PublishMarkets)
}

// move takes one random-walk step of q's price, and reports whether the
// price shown changed.
func (m *Sim) move(q *store.Quote) bool {
	prevClose := q.Price - q.Change
	var step float64
	switch q.Unit {
	case "%": // a yield moves by basis points
		step = 0.01
	default:
		step = q.Price * 0.0004
	}
	next := q.Price + step*m.rnd.NormFloat64() - 0.01*(q.Price-prevClose)
	p := math.Pow(10, float64(q.Decimals))
	next = math.Round(next*p) / p
	if next == q.Price || next <= 0 {
		return false
	}
	q.Change = math.Round((next-prevClose)*p) / p
	q.Price = next
	if len(q.History) > 0 {
		q.History = append(q.History[1:], next)
	}
	return true
}

// StepScores scores the goals (or baskets) of the matches being played,
// sets an upcoming match back to 0–0 when the store's hour of matches
// starts over, and publishes the scores table if it changed since the last
// publication: a goal, or a match clock that turned.
func (m *Sim) StepScores(ctx context.Context) error {
	tick := m.rates.Scores.mean()
	var shown strings.Builder
	err := m.site.st.UpdateScores(ctx, func(scores []store.Score) error {
		for i := range scores {
			sc := &scores[i]
			basketball := strings.Contains(sc.Competition, "Basketball")
			switch {
			case sc.State == store.MatchScheduled:
				sc.HomeScore, sc.AwayScore = 0, 0
			case sc.State != store.MatchLive || sc.Clock == "HT":
			case basketball: // a few points a tick
				sc.HomeScore += m.rnd.IntN(4)
				sc.AwayScore += m.rnd.IntN(4)
			case sc.HomeScore+sc.AwayScore < maxGoals && m.rnd.Float64() < float64(tick)/float64(goalEvery):
				if m.rnd.IntN(2) == 0 {
					sc.HomeScore++
				} else {
					sc.AwayScore++
				}
			}
			fmt.Fprintf(&shown, "%s|%s|%d|%d;", sc.State, sc.Clock, sc.HomeScore, sc.AwayScore)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sim: scores: %w", err)
	}
	if shown.String() == m.lastScores {
		return nil
	}
	if err := m.publish(ctx, m.site.PublishScores); err != nil {
		return err
	}
	m.lastScores = shown.String()
	return nil
}

// StepBreaking breaks the next headline of the simulator's list and
// publishes the banner.
func (m *Sim) StepBreaking(ctx context.Context) error {
	all := breakingHeadlines()
	b := store.Breaking{Headline: all[m.next%len(all)], At: m.site.now()}
	m.next++
	if err := m.site.st.SetBreaking(ctx, b); err != nil {
		return fmt.Errorf("sim: breaking news: %w", err)
	}
	return m.publish(ctx, m.site.PublishBreaking)
}

// breakingHeadlines are the simulator's breaking headlines, as fictional
// as the rest of the demo's news.
func breakingHeadlines() []string {
	return []string{
		"Power restored to most homes on the eastern coast, grid operator says",
		"Kessel Bridge to reopen to pedestrians on Saturday",
		"Central bank governor to speak at 14:00 on the rate decision",
		"Harbour City confirm new head coach on a three-year deal",
		"Ferry services to Gull Island resume after engine checks",
		"Heatwave alert lowered to yellow in three southern districts",
		"Halden International reports record passenger numbers for the month",
		"Rail strike ballot opens; result expected within two weeks",
	}
}
