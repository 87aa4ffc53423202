// The demo's simulator (-live-sim): market prices, match scores and breaking
// news that change and are published to open pages, on one instance at a
// time when several share a PostgreSQL -db.

package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/bigpipe-go/bigpipe/internal/pgstore"
	"github.com/bigpipe-go/bigpipe/pages"
)

// simulator is the simulator's goroutine, running or not.
type simulator struct {
	cancel context.CancelFunc
	done   chan struct{} // closed once the simulator has returned
}

// startSim starts the simulator (runSim) when on, until ctx ends or stop
// is called. Stop it before the live engine it publishes through closes,
// and before the store.
func startSim(ctx context.Context, on bool, site *pages.Site, pg *pgstore.DB, log *slog.Logger) *simulator {
	simCtx, cancel := context.WithCancel(ctx)
	s := &simulator{cancel: cancel, done: make(chan struct{})}
	if !on {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		runSim(simCtx, site, pg, log)
	}()
	log.Info("live demo simulator on: market prices, match scores and breaking news change (-live-sim=false: off)")
	return s
}

// stop stops the simulator and waits for it to return. It may be called
// more than once.
func (s *simulator) stop() {
	s.cancel()
	<-s.done
}

// simLead is the name of the lead the instances sharing a PostgreSQL -db
// take turns at, to run the simulator on one of them at a time.
const simLead = "pages: simulator"

// runSim runs the demo's simulator until ctx ends: at once with a file
// store (pg nil), and with a shared database only while this instance
// leads, so that one instance at a time moves the scores and markets.
// Another takes over at once after a clean end, and a lease (three
// seconds) after a fault cut the leader off: two instances never run it at
// once (pgstore.Lease).
func runSim(ctx context.Context, site *pages.Site, pg *pgstore.DB, log *slog.Logger) {
	if pg == nil {
		_ = site.NewSim().Run(ctx)
		return
	}
	log.Info("live demo simulator: waiting to lead; one instance sharing the database runs it", "lead", simLead)
	_ = pg.Lead(ctx, simLead, func(ctx context.Context) error {
		log.Info("live demo simulator: this instance took the lead; running it", "lead", simLead)
		// Its writes are fenced by the lease's generation (pgstore's
		// UpdateDoc); its publications are gated by the lease.
		err := site.NewSim(pages.WithSimGate(func(ctx context.Context) error {
			return pgstore.LeaseFrom(ctx).Check()
		})).Run(ctx)
		if cause := context.Cause(ctx); errors.Is(cause, pgstore.ErrLeadLost) {
			log.Warn("live demo simulator: this instance lost the lead; stopped it, contending again", "lead", simLead, "err", cause)
		}
		return err
	})
}
