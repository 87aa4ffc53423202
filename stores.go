// Opening the stores: the news store -db names (a bbolt file, or a
// PostgreSQL database the instances of a site share), with the emulated
// backend latency (-latency).

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/internal/pgstore"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// stores is what openStores opened.
type stores struct {
	news  *store.Store
	pg    *pgstore.DB // the shared database of a postgres:// -db, for the simulator's lead; nil with a file
	close func()      // closes both
}

// openStores opens the news store that cfg.db names, with the emulated
// backend latency of cfg.latency, which it logs.
func openStores(ctx context.Context, cfg config, log *slog.Logger) (*stores, error) {
	latency, err := store.ParseLatency(cfg.latency)
	if err != nil {
		return nil, fmt.Errorf("-latency: %w", err)
	}
	log.Info("emulated backend latency", "latency", cmp.Or(store.FormatLatency(latency), "none"))
	st, pg, closeStore, err := openStore(ctx, cfg.db, []store.Option{store.WithLatency(latency)}, log)
	if err != nil {
		return nil, err
	}
	return &stores{news: st, pg: pg, close: closeStore}, nil
}

// isDatabaseURL reports whether -db names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a bbolt file.
func isDatabaseURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// dbLabel is -db as it may be logged: a URL without its password.
func dbLabel(db string) string {
	if !isDatabaseURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// openTimeout bounds opening a PostgreSQL -db: connecting (each attempt
// pgstore.ConnectTimeout), then creating the schema, which may wait for
// another instance starting at the same time.
const openTimeout = 30 * time.Second

// openStore opens the news store -db names. A file path is a bbolt file,
// created and seeded on first use. A PostgreSQL URL keeps what the
// instances of a site share there (comments, the live documents, the seed
// time; the schema is created on first start), with the news seed in memory
// (store.OpenMemory with store.WithShared); pg is then that database, which
// the simulator needs for its leadership (runSim). closeStore closes both.
func openStore(ctx context.Context, db string, opts []store.Option, log *slog.Logger) (st *store.Store, pg *pgstore.DB, closeStore func(), err error) {
	if !isDatabaseURL(db) {
		if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
			return nil, nil, nil, fmt.Errorf("store directory: %w", err)
		}
		st, err := store.Open(db, opts...)
		if errors.Is(err, store.ErrInUse) {
			return nil, nil, nil, fmt.Errorf("%w (-db names the file)", err)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		return st, nil, func() { _ = st.Close() }, nil
	}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if pg, err = pgstore.Open(octx, db, pgstore.WithLogger(log)); err != nil {
		return nil, nil, nil, fmt.Errorf("-db %s: %w", dbLabel(db), err)
	}
	if st, err = store.OpenMemory(append(opts, store.WithShared(pg))...); err != nil {
		pg.Close()
		return nil, nil, nil, fmt.Errorf("-db %s: %w", dbLabel(db), err)
	}
	log.Info("news store: seed in memory; comments and live news shared in PostgreSQL", "db", dbLabel(db))
	return st, pg, func() { _ = st.Close(); pg.Close() }, nil
}

// health is the shared database's line for /healthz: "ok" (also with a
// file store), or "degraded: database unreachable since …".
func (s *stores) health() string {
	if s.pg == nil {
		return "ok"
	}
	return s.pg.Health().String()
}

// registerMetrics registers the shared database's health in reg (nothing
// with a file store): bigpipe_db_up (1 while its checks are answered),
// bigpipe_db_outages_total and bigpipe_db_check_failures_total.
func (s *stores) registerMetrics(reg prometheus.Registerer) error {
	if s.pg == nil {
		return nil
	}
	pg := s.pg
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bigpipe_db_up",
			Help: "1 while the shared PostgreSQL database answers its health checks (a ping a second, bounded by a second), else 0."},
			func() float64 {
				if pg.Health().Up {
					return 1
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "bigpipe_db_outages_total",
			Help: "Times the shared PostgreSQL database went from answering its health checks to not."},
			func() float64 { return float64(pg.Health().Outages) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "bigpipe_db_check_failures_total",
			Help: "Health checks of the shared PostgreSQL database that failed or timed out."},
			func() float64 { return float64(pg.Health().Failures) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("database metrics: %w", err)
		}
	}
	return nil
}

// joinHealth joins the health lines of an instance's dependencies ("ok"
// or "degraded: …") into one: "ok" when all are, else "degraded: " and
// the reasons, separated by "; ".
func joinHealth(lines ...string) string {
	var bad []string
	for _, l := range lines {
		if l != "ok" {
			bad = append(bad, strings.TrimPrefix(l, "degraded: "))
		}
	}
	if bad == nil {
		return "ok"
	}
	return "degraded: " + strings.Join(bad, "; ")
}
