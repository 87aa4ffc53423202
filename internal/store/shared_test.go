package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// instances opens a store to share (seeded at seeded) and n stores that
// share it ([store.WithShared]), each with its own file and a clock that
// started some seconds after the one before, as instances of a site
// started one after another do. The clocks read each instance's start.
func instances(t *testing.T, seeded time.Time, n int) (hub *store.Store, insts []*store.Store) {
	t.Helper()
	hub = openTemp(t, store.WithNow(func() time.Time { return seeded }))
	for i := range n {
		started := seeded.Add(time.Duration(i+1) * 7 * time.Second)
		insts = append(insts, openTemp(t, store.WithShared(hub), store.WithNow(func() time.Time { return started })))
	}
	return hub, insts
}

// TestSharedSamePage opens three instances seconds apart on one shared
// store: each dates its seed from the shared anchor, so all three show the
// same articles, dates, markets and scores.
func TestSharedSamePage(t *testing.T) {
	seeded := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, insts := instances(t, seeded, 3)
	ctx := t.Context()
	type page struct {
		Hot     []store.Article
		Sports  []store.Article
		Article store.Article
		Markets []store.Quote
		Scores  []store.Score
		News    store.Breaking
	}
	read := func(st *store.Store) page {
		var p page
		var errs [6]error
		p.Hot, errs[0] = st.Section(ctx, "hotnews", 0)
		p.Sports, errs[1] = st.Section(ctx, "sports", 0)
		p.Markets, errs[2] = st.Markets(ctx)
		p.Scores, errs[3] = st.Scores(ctx)
		p.News, errs[4] = st.Breaking(ctx)
		p.Article, errs[5] = st.Article(ctx, p.Hot[len(p.Hot)-1].Slug)
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := read(insts[0])
	if newest := want.Hot[0].Published; !newest.Before(seeded) || newest.Before(seeded.Add(-time.Hour)) {
		t.Errorf("newest story published %v, want within the hour before the anchor %v", newest, seeded)
	}
	for i, st := range insts[1:] {
		if got := read(st); !reflect.DeepEqual(got, want) {
			t.Errorf("instance %d shows another page than instance 0:\n got %+v\nwant %+v", i+1, got, want)
		}
	}
}

// TestSharedComments posts comments through two instances: both read the
// same list, in one sequence, an id posted on both is stored once (also
// when the posts race), and a comment on an article missing from the
// instance's seed is refused before it reaches the shared store.
func TestSharedComments(t *testing.T) {
	seeded := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hub, insts := instances(t, seeded, 2)
	a, b := insts[0], insts[1]
	ctx := t.Context()
	slug := firstSlug(t, a, "tech")

	for i, tc := range []struct {
		via   *store.Store
		c     store.Comment
		added bool
		seq   uint64
		err   error
	}{
		{a, store.Comment{ID: "c1", Slug: slug, Name: "Ada", Text: "first"}, true, 1, nil},
		{b, store.Comment{ID: "c2", Slug: slug, Name: "Bo", Text: "second"}, true, 2, nil},
		{b, store.Comment{ID: "c1", Slug: slug, Name: "Ada", Text: "first, again"}, false, 1, nil},
		{a, store.Comment{ID: "c3", Slug: "no-such-story", Text: "x"}, false, 0, store.ErrNotFound},
		{b, store.Comment{Slug: slug, Text: "no id"}, false, 0, store.ErrBadComment},
	} {
		got, added, err := tc.via.AddComment(ctx, tc.c)
		if !errors.Is(err, tc.err) || added != tc.added || got.Seq != tc.seq {
			t.Errorf("%d: AddComment(%s) = seq %d, added %v, %v; want seq %d, %v, %v", i, tc.c.ID, got.Seq, added, err, tc.seq, tc.added, tc.err)
		}
	}

	var wg sync.WaitGroup
	added := make(chan string, 40)
	for i := range 20 {
		for _, st := range insts {
			wg.Go(func() {
				for _, id := range []string{"raced", fmt.Sprintf("own-%d", i)} {
					_, ok, err := st.AddComment(ctx, store.Comment{ID: id, Slug: slug, Name: "R", Text: id})
					if err != nil {
						t.Error(err)
					}
					if ok {
						added <- id
					}
				}
			})
		}
	}
	wg.Wait()
	close(added)
	count := map[string]int{}
	for id := range added {
		count[id]++
	}
	if len(count) != 21 || count["raced"] != 1 {
		t.Errorf("added %v; want raced once and own-0…own-19 once each", count)
	}

	want, err := hub.Comments(ctx, slug, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 23 {
		t.Fatalf("shared store has %d comments, want 23", len(want))
	}
	for i, c := range want {
		if c.Seq != uint64(i+1) {
			t.Fatalf("comment %d has seq %d: want 1…23 in order", i, c.Seq)
		}
	}
	for i, st := range insts {
		got, err := st.Comments(ctx, slug, 5)
		if err != nil || !reflect.DeepEqual(got, want[len(want)-5:]) {
			t.Errorf("instance %d: Comments(5) = %v, %v; want the newest 5 of the shared store", i, got, err)
		}
	}
	if cs, _ := hub.Comments(ctx, "no-such-story", 0); len(cs) != 0 {
		t.Errorf("refused comment reached the shared store: %v", cs)
	}
}

// TestSharedLiveDocs changes the markets, scores and breaking news through
// one instance and reads them through the other; concurrent updates
// through both are all kept.
func TestSharedLiveDocs(t *testing.T) {
	seeded := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, insts := instances(t, seeded, 2)
	a, b := insts[0], insts[1]
	ctx := t.Context()

	at := seeded.Add(3 * time.Minute)
	if err := a.SetBreaking(ctx, store.Breaking{Headline: "Bridge reopens", At: at}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Breaking(ctx); err != nil || got.Headline != "Bridge reopens" || !got.At.Equal(at) {
		t.Errorf("B's breaking news after A set it: %+v, %v", got, err)
	}
	if err := b.UpdateScores(ctx, func(s []store.Score) error { s[0].HomeScore = 9; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Scores(ctx); err != nil || got[0].HomeScore != 9 {
		t.Errorf("A's scores after B scored: %+v, %v", got, err)
	}

	before, err := a.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		for _, st := range insts {
			wg.Go(func() {
				if err := st.UpdateMarkets(ctx, func(qs []store.Quote) error { qs[0].Price++; return nil }); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	after, err := b.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after[0].Price, before[0].Price+40; got != want {
		t.Errorf("after 40 concurrent increments the price is %v, want %v", got, want)
	}
}

// TestSharedReseedsFile opens a file seeded at one time with a shared store
// anchored at another: its articles are dated from the anchor, as the
// shared store's own are.
func TestSharedReseedsFile(t *testing.T) {
	anchor := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hub := openTemp(t, store.WithNow(func() time.Time { return anchor }))
	path := filepath.Join(t.TempDir(), "news.db")
	own := anchor.Add(-50 * time.Hour).Add(17 * time.Minute)
	st, err := store.Open(path, store.WithNow(func() time.Time { return own }))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, store.WithShared(hub), store.WithNow(func() time.Time { return anchor }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err1 := st.Section(t.Context(), "society", 0)
	want, err2 := hub.Section(t.Context(), "society", 0)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("file seeded at %v and opened on a store anchored at %v:\n got %v\nwant %v", own, anchor, got[0].Published, want[0].Published)
	}
}
