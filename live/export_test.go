package live

import "time"

// WithPositionCheck sets centrifuge's position check delay to client (and
// the clients' tick to a tenth of it), and the engine's check of each
// channel with Redis to every round, so that a test sees them run within
// seconds instead of 40.
func WithPositionCheck(client, round time.Duration) Option {
	return func(c *config) { c.positionCheck, c.positionRound = client, round }
}

// Watched is how many of e's connections its poller watches.
func Watched(e *Engine) int { return e.poll.len() }

// WithoutPoller has each held connection read by a goroutine of its own,
// the path taken where there is no poller.
func WithoutPoller() Option { return func(c *config) { c.noPoller = true } }
