package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgstore"
	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

// fenceEvery is the lead interval of the fencing tests: a lease of 600 ms.
const fenceEvery = 200 * time.Millisecond

// leader is one instance of TestLeadFenced: its own proxy to the database,
// its pool through it, and what it did while it led.
type leader struct {
	name string
	px   *pgtest.Proxy
	db   *pgstore.DB
}

// acts records, in order, what the leaders did: the generation of each
// write that committed and of each publication (a publication is made
// only while the lease checks valid, under the same lock that orders
// them).
type acts struct {
	mu      sync.Mutex
	pubs    []int64
	fenced  int // writes refused with ErrFenced
	expired int // publications held back by an expired lease
	took    chan string
}

// run leads as ld until ctx ends: while it leads, it appends its
// generation to the document "fenced" and then publishes it, every few
// milliseconds.
func (a *acts) run(ctx context.Context, ld *leader) error {
	return ld.db.Lead(ctx, "sim", func(ctx context.Context) error {
		l := pgstore.LeaseFrom(ctx)
		a.took <- fmt.Sprintf("%s@%d", ld.name, l.Generation())
		for ctx.Err() == nil {
			err := ld.db.UpdateDoc(ctx, "fenced", func(raw []byte) ([]byte, error) {
				var gens []int64
				if raw != nil {
					if err := json.Unmarshal(raw, &gens); err != nil {
						return nil, err
					}
				}
				return json.Marshal(append(gens, l.Generation()))
			})
			a.mu.Lock()
			switch {
			case errors.Is(err, pgstore.ErrFenced):
				a.fenced++
			case err != nil:
			case l.Check() != nil:
				a.expired++
			default:
				a.pubs = append(a.pubs, l.Generation())
			}
			a.mu.Unlock()
			select { // the pace of the work, not a synchronisation
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
		return ctx.Err()
	})
}

// published returns how many publications generation gen made.
func (a *acts) published(gen int64) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, g := range a.pubs {
		if g == gen {
			n++
		}
	}
	return n
}

// TestLeadFenced runs two instances, each with its own connection (a
// fault-injecting proxy) to the database, contending for one lead while
// the leader writes and publishes its generation; then cuts the leader off
// from the database in three ways (its lead session terminated by the
// server, four times in turn; every connection reset; a partition).
// Another takes over each time, and no
// write or publication of the old leader comes after one of the new: the
// generations recorded, in the stored document and in the publications,
// never go down.
func TestLeadFenced(t *testing.T) {
	cluster := pgtest.Shared(t)
	for _, tc := range []struct {
		name   string
		rounds int // cuts, each of the leader of the time
		cut    func(t *testing.T, ld *leader, watch *pgx.Conn)
	}{
		{"terminate", 4, func(t *testing.T, _ *leader, watch *pgx.Conn) {
			_, holder := sessions(t, watch)
			if _, err := watch.Exec(t.Context(), "SELECT pg_terminate_backend($1)", holder); err != nil {
				t.Fatal(err)
			}
		}},
		{"reset", 1, func(t *testing.T, ld *leader, _ *pgx.Conn) { ld.px.Reset(t) }},
		{"partition", 1, func(t *testing.T, ld *leader, _ *pgx.Conn) { ld.px.Partition(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := database(t)
			watch, err := pgx.Connect(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer watch.Close(context.Background())
			a := &acts{took: make(chan string, 10)}
			leaders := map[string]*leader{}
			var wg sync.WaitGroup
			ctx, cancel := context.WithCancel(t.Context())
			defer func() { cancel(); wg.Wait() }()
			for _, name := range []string{"A", "B"} {
				px := pgtest.NewProxy(t, cluster.Addr())
				ld := &leader{name: name, px: px, db: open(t, px.URL(url), pgstore.WithLeadInterval(fenceEvery))}
				leaders[name] = ld
				wg.Go(func() { _ = a.run(ctx, ld) })
			}
			took := func(what string) (string, int64) {
				t.Helper()
				select {
				case ev := <-a.took:
					var who string
					var gen int64
					if _, err := fmt.Sscanf(ev, "%1s@%d", &who, &gen); err != nil {
						t.Fatalf("event %q: %v", ev, err)
					}
					return who, gen
				case <-time.After(30 * time.Second):
					t.Fatalf("nobody took the lead within 30 s: want %s", what)
					return "", 0
				}
			}
			who, gen := took("a first leader")
			gens := []int64{gen}
			waitFor(t, 10*time.Second, "the first leader to publish", func() bool { return a.published(gen) >= 5 })
			for range tc.rounds {
				began := time.Now()
				tc.cut(t, leaders[who], watch)
				next, ngen := took("another leader after the cut")
				t.Logf("%s led (generation %d), then %s (generation %d) %s after the cut", who, gen, next, ngen, time.Since(began).Round(time.Millisecond))
				waitFor(t, 10*time.Second, "the new leader to publish", func() bool { return a.published(ngen) >= 5 })
				leaders[who].px.Heal(t)
				who, gen = next, ngen
				gens = append(gens, gen)
			}
			cancel()
			wg.Wait()

			var raw []byte
			if err := watch.QueryRow(t.Context(), "SELECT value FROM docs WHERE key = 'fenced'").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var writes []int64
			if err := json.Unmarshal(raw, &writes); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d writes, %d publications, %d writes fenced, %d publications held back by an expired lease",
				len(writes), len(a.pubs), a.fenced, a.expired)
			if !slices.IsSorted(gens) {
				t.Errorf("the leaders' generations, in turn: %v; want them going up", gens)
			}
			for what, recorded := range map[string][]int64{"stored writes": writes, "publications": a.pubs} {
				if !slices.IsSorted(recorded) {
					t.Errorf("%s: the generations go down: an old leader acted after a new one: %v", what, compress(recorded))
				}
				for _, g := range gens {
					if !slices.Contains(recorded, g) {
						t.Errorf("%s: %v, want generation %d among them", what, compress(recorded), g)
					}
				}
			}
		})
	}
}

// compress shows a list of generations as runs: "3×12 4×30".
func compress(gens []int64) string {
	out := ""
	for i := 0; i < len(gens); {
		j := i
		for j < len(gens) && gens[j] == gens[i] {
			j++
		}
		out += fmt.Sprintf("%d×%d ", gens[i], j-i)
		i = j
	}
	return out
}

// waitFor polls cond until it holds, failing t after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
