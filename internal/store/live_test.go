package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestComments adds comments to articles: each gets the next sequence
// number and the store's time, they come back oldest first (the newest
// limit of them), an id posted again is not stored again (also when the
// posts race), and an unknown article or a comment without id is refused.
// They survive a reopen of the file.
func TestComments(t *testing.T) {
	now := time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "news.db")
	st, err := store.Open(path, store.WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	slug := firstSlug(t, st, "society")

	for i, tc := range []struct {
		c     store.Comment
		added bool
		seq   uint64
		err   error
	}{
		{store.Comment{ID: "c1", Slug: slug, Name: "Ada", Text: "first"}, true, 1, nil},
		{store.Comment{ID: "c2", Slug: slug, Name: "Bo", Text: "second"}, true, 2, nil},
		{store.Comment{ID: "c1", Slug: slug, Name: "Ada", Text: "first, again"}, false, 1, nil},
		{store.Comment{ID: "c3", Slug: "no-such-story", Text: "x"}, false, 0, store.ErrNotFound},
		{store.Comment{Slug: slug, Text: "no id"}, false, 0, store.ErrBadComment},
	} {
		got, added, err := st.AddComment(ctx, tc.c)
		if !errors.Is(err, tc.err) || added != tc.added || got.Seq != tc.seq {
			t.Errorf("%d: AddComment(%s) = seq %d, added %v, %v; want seq %d, %v, %v", i, tc.c.ID, got.Seq, added, err, tc.seq, tc.added, tc.err)
		}
		if err == nil && (got.Text != map[string]string{"c1": "first", "c2": "second"}[tc.c.ID] || !got.Posted.Equal(now)) {
			t.Errorf("%d: stored %+v", i, got)
		}
	}

	// Ten racing posts of one id: one is added.
	var wg sync.WaitGroup
	results := make(chan bool, 10)
	for range 10 {
		wg.Go(func() {
			_, added, err := st.AddComment(ctx, store.Comment{ID: "raced", Slug: slug, Name: "R", Text: "once"})
			if err != nil {
				t.Error(err)
			}
			results <- added
		})
	}
	wg.Wait()
	close(results)
	n := 0
	for a := range results {
		if a {
			n++
		}
	}
	if n != 1 {
		t.Errorf("10 racing posts of one id: %d added, want 1", n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openTemp2(t, path)
	for _, tc := range []struct {
		limit int
		want  string
	}{{0, "[c1 c2 raced]"}, {2, "[c2 raced]"}, {-1, "[c1 c2 raced]"}} {
		cs, err := st.Comments(ctx, slug, tc.limit)
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if err != nil || fmt.Sprint(ids) != tc.want {
			t.Errorf("Comments(limit %d) = %v, %v; want %s", tc.limit, ids, err, tc.want)
		}
	}
	if cs, err := st.Comments(ctx, firstSlug(t, st, "tech"), 0); err != nil || len(cs) != 0 {
		t.Errorf("comments of an article without any: %v, %v", cs, err)
	}
}

func openTemp2(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func firstSlug(t *testing.T, st *store.Store, section string) string {
	t.Helper()
	arts, err := st.Section(t.Context(), section, 1)
	if err != nil || len(arts) == 0 {
		t.Fatalf("Section(%s): %v", section, err)
	}
	return arts[0].Slug
}

// TestLiveUpdates changes the markets, the scores and the breaking news:
// each change is what a read returns afterwards; a failing update changes
// nothing; UpdateScores keeps only the scores.
func TestLiveUpdates(t *testing.T) {
	st := openTemp(t)
	ctx := t.Context()

	b, err := st.Breaking(ctx)
	top := firstSlug(t, st, "hotnews")
	if err != nil || b.Slug != top || b.URL() != "/article/"+top || b.Headline == "" {
		t.Errorf("default breaking news = %+v, %v; want the top story", b, err)
	}
	at := time.Date(2026, 3, 3, 9, 31, 0, 0, time.UTC)
	if err := st.SetBreaking(ctx, store.Breaking{Headline: "Bridge reopens", At: at}); err != nil {
		t.Fatal(err)
	}
	if b, err := st.Breaking(ctx); err != nil || b.Headline != "Bridge reopens" || !b.At.Equal(at) || b.URL() != "" {
		t.Errorf("Breaking after SetBreaking = %+v, %v", b, err)
	}

	boom := errors.New("boom")
	before, _ := st.Markets(ctx)
	if err := st.UpdateMarkets(ctx, func(qs []store.Quote) error { qs[0].Price = 1; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing UpdateMarkets: %v, want boom", err)
	}
	if qs, _ := st.Markets(ctx); qs[0].Price != before[0].Price {
		t.Error("a failing UpdateMarkets changed the markets")
	}
	if err := st.UpdateMarkets(ctx, func(qs []store.Quote) error { qs[0].Price = 1234.5; return nil }); err != nil {
		t.Fatal(err)
	}
	if qs, _ := st.Markets(ctx); qs[0].Price != 1234.5 {
		t.Errorf("after UpdateMarkets the price is %v", qs[0].Price)
	}

	scores, _ := st.Scores(ctx)
	err = st.UpdateScores(ctx, func(s []store.Score) error {
		s[0].HomeScore, s[0].AwayScore = 9, 8
		s[0].Home, s[0].State = "Renamed", store.MatchScheduled // not kept
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := st.Scores(ctx)
	if after[0].HomeScore != 9 || after[0].AwayScore != 8 || after[0].Home != scores[0].Home || after[0].State != scores[0].State {
		t.Errorf("after UpdateScores: %+v (was %+v)", after[0], scores[0])
	}
}
