package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrFenced is the error of a write made under a [Lease] that another
// leader has superseded: the lead's generation in the database is newer
// than the lease's. It matches [ErrLeadLost] too.
var ErrFenced = fmt.Errorf("%w: fenced by a newer leader", ErrLeadLost)

// Lease is the right of the leader of a [DB.Lead] to act: its generation
// (the fencing token, one more at each taking of the lead, kept in the
// database's leads table) and the time until which it may act: the start
// of its last successful check of its connection plus the lease length
// (three lead intervals). The context Lead gives fn carries it
// ([LeaseFrom]) and ends when it expires.
//
// Writes that [DB.UpdateDoc] makes with a context carrying a lease are
// fenced: each checks, in its transaction, that the lead's generation is
// still the lease's (holding the row shared, so a new leader's taking of
// the lead waits for it to commit), and refuses with [ErrFenced]
// otherwise. What is not a database write (a publication) is gated by
// [Lease.Check] just before it is made: a new leader that took the lead
// without a clean handover waits a whole lease before it acts, by which
// time the old one's lease has ended, so the two never act at once.
type Lease struct {
	name       string
	generation int64
	length     time.Duration
	base       time.Time    // the monotonic reference of until
	until      atomic.Int64 // nanoseconds after base until which the leader may act
}

// leaseKey is the context key of a Lease.
type leaseKey struct{}

// LeaseFrom returns the lease the context of a [DB.Lead]'s fn carries, or
// nil for another context.
func LeaseFrom(ctx context.Context) *Lease {
	l, _ := ctx.Value(leaseKey{}).(*Lease)
	return l
}

// Generation returns the lease's fencing token: larger for every later
// taking of the lead.
func (l *Lease) Generation() int64 { return l.generation }

// Check returns nil while the lease is valid, else an error matching
// [ErrLeadLost]. A nil Lease (a context not under Lead) is always valid.
func (l *Lease) Check() error {
	if l == nil {
		return nil
	}
	if time.Since(l.base) >= time.Duration(l.until.Load()) {
		return fmt.Errorf("%w: lease of generation %d expired", ErrLeadLost, l.generation)
	}
	return nil
}

// renew extends the lease to a length after from.
func (l *Lease) renew(from time.Time) {
	l.until.Store(int64(from.Sub(l.base) + l.length))
}

// left returns how long the lease has to run.
func (l *Lease) left() time.Duration {
	return time.Duration(l.until.Load()) - time.Since(l.base)
}

// leadsSchema is the table of the leads' generations: generation is the
// last one given; released the last one its leader let go cleanly, having
// stopped acting (the next leader then needs not wait).
const leadsSchema = `
CREATE TABLE IF NOT EXISTS leads (
	name       text PRIMARY KEY,
	generation bigint NOT NULL,
	released   bigint NOT NULL DEFAULT 0
);
`

// takeGeneration gives the leader of name, on conn which holds its lock,
// the next generation, and reports whether the previous leader released
// the lead cleanly. The update waits for the fenced writes of the previous
// generation still running (they hold the row shared), at most bound.
func takeGeneration(ctx context.Context, conn *pgx.Conn, name string, bound time.Duration) (gen int64, clean bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	var released int64
	err = conn.QueryRow(ctx, `INSERT INTO leads (name, generation) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET generation = leads.generation + 1
		RETURNING generation, released`, name).Scan(&gen, &released)
	if err != nil {
		return 0, false, errorf("pgstore: lead %q: next generation: %w", name, err)
	}
	return gen, released == gen-1, nil
}

// release records that the leader of gen stopped acting and let go.
func release(ctx context.Context, conn *pgx.Conn, name string, gen int64) error {
	_, err := conn.Exec(ctx, `UPDATE leads SET released = $2 WHERE name = $1 AND generation = $2`, name, gen)
	return err
}

// fence checks, in tx, that the lease of ctx (if any) still holds its
// lead's current generation, locking the lead's row shared until tx ends.
func fence(ctx context.Context, tx pgx.Tx) error {
	l := LeaseFrom(ctx)
	if l == nil {
		return nil
	}
	if err := l.Check(); err != nil {
		return err
	}
	var gen int64
	err := tx.QueryRow(ctx, `SELECT generation FROM leads WHERE name = $1 FOR SHARE`, l.name).Scan(&gen)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: lead %q has no generation", ErrFenced, l.name)
	case err != nil:
		return err
	case gen != l.generation:
		return fmt.Errorf("%w: lead %q is at generation %d, this lease is %d", ErrFenced, l.name, gen, l.generation)
	}
	return nil
}
