package overload

// The store after the run: every post answered 2xx is there exactly once,
// none that was shed is.

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// storeCheck is what the store holds of the posts the load made.
type storeCheck struct {
	Answered, Stored int // posts answered 2xx, and of those the ones stored once
	Missing          int // answered 2xx, not stored
	Twice            int // stored more than once
	ShedStored       int // answered 503, stored all the same
	Shed             int // answered 503
	Unknown          int // no answer (a failed connection or a timeout): stored or not
	Samples          []string
}

// ok reports whether the store holds what the answers said.
func (c storeCheck) ok() bool { return c.Missing == 0 && c.Twice == 0 && c.ShedStored == 0 }

// checkStore opens the store file db (of a server that has stopped) and
// checks the ledger's posts against it.
func checkStore(ctx context.Context, db string, l *ledger) (storeCheck, error) {
	st, err := store.Open(db)
	if err != nil {
		return storeCheck{}, fmt.Errorf("overload: open the store: %w", err)
	}
	defer st.Close()
	// Every comment and message stored, counted by id.
	counts := map[string]int{}
	l.mu.Lock()
	defer l.mu.Unlock()
	slugs, pairs := map[string]bool{}, map[[2]string]bool{}
	for _, ps := range l.posts {
		for _, p := range ps {
			if p.slug != "" {
				slugs[p.slug] = true
			} else {
				a, b := min(p.from, p.to), max(p.from, p.to)
				pairs[[2]string{a, b}] = true
			}
		}
	}
	for _, slug := range slices.Sorted(maps.Keys(slugs)) {
		cs, err := st.Comments(ctx, slug, 1<<30)
		if err != nil {
			return storeCheck{}, fmt.Errorf("overload: comments of %s: %w", slug, err)
		}
		for _, c := range cs {
			counts["c/"+slug+"/"+c.ID]++
		}
	}
	for pair := range pairs {
		ms, err := st.Conversation(ctx, pair[0], pair[1], 0, 1<<30)
		if err != nil {
			return storeCheck{}, fmt.Errorf("overload: conversation %v: %w", pair, err)
		}
		for _, m := range ms {
			a, b := min(m.From, m.To), max(m.From, m.To)
			counts["m/"+a+"/"+b+"/"+m.ID]++
		}
	}
	key := func(p *post) string {
		if p.slug != "" {
			return "c/" + p.slug + "/" + p.id
		}
		return "m/" + min(p.from, p.to) + "/" + max(p.from, p.to) + "/" + p.id
	}
	var c storeCheck
	note := func(format string, args ...any) {
		if len(c.Samples) < 10 {
			c.Samples = append(c.Samples, fmt.Sprintf(format, args...))
		}
	}
	for _, p := range l.posts[postAnswered] {
		c.Answered++
		switch n := counts[key(p)]; {
		case n == 1:
			c.Stored++
		case n == 0:
			c.Missing++
			note("answered 2xx, not stored: %s", key(p))
		default:
			c.Twice++
			note("stored %d times: %s", n, key(p))
		}
	}
	for _, p := range l.posts[postShed] {
		c.Shed++
		if counts[key(p)] > 0 {
			c.ShedStored++
			note("answered 503, stored: %s", key(p))
		}
	}
	c.Unknown = len(l.posts[postUnknown])
	return c, nil
}
