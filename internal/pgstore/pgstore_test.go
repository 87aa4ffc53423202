package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/pgstore"
	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// database returns a fresh database of the shared cluster, named after the
// test.
func database(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
	return pgtest.Shared(t).Database(t, name)
}

// open opens url, closed when t ends.
func open(t *testing.T, url string, opts ...pgstore.Option) *pgstore.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	db, err := pgstore.Open(ctx, url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// instances opens n DBs on one fresh database, as n instances of a site do:
// all at once, so their schema creations race.
func instances(t *testing.T, n int, opts ...pgstore.Option) []*pgstore.DB {
	t.Helper()
	url := database(t)
	dbs := make([]*pgstore.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			dbs[i], errs[i] = pgstore.Open(ctx, url, opts...)
		})
	}
	wg.Wait()
	for i, db := range dbs {
		if db != nil {
			t.Cleanup(db.Close)
		}
		if errs[i] != nil {
			t.Fatalf("Open %d of %d at once: %v", i+1, n, errs[i])
		}
	}
	return dbs
}

// TestOpenCreatesSchemaOnce opens a fresh database from three instances at
// once, twice: every Open succeeds, and the second round finds the schema.
func TestOpenCreatesSchemaOnce(t *testing.T) {
	url := database(t)
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() {
				db, err := pgstore.Open(t.Context(), url)
				if err == nil {
					_, err = db.Comments(t.Context(), "any", 0)
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round+1, err)
		}
	}
}

// TestOpenErrors: a URL pgx cannot parse, a port nobody listens on and a
// database that does not exist fail Open at once, saying what, without
// the password.
func TestOpenErrors(t *testing.T) {
	c := pgtest.Shared(t)
	for _, tc := range []struct {
		name, url string
		want      []string
	}{
		{"bad URL", "postgres://bigpipe:secret@127.0.0.1:notaport/x", []string{"pgstore", "cannot parse"}},
		{"nobody listens", "postgres://bigpipe:secret@127.0.0.1:1/news?sslmode=disable", []string{"pgstore: connect to bigpipe@127.0.0.1:1/news"}},
		{"no such database", c.URL(pgtest.User, "no_such_db"), []string{"pgstore: connect to", "no_such_db", "does not exist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			db, err := pgstore.Open(t.Context(), tc.url)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if took := time.Since(began); took > pgstore.ConnectTimeout+time.Second {
				t.Errorf("Open took %s to fail", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestComments adds comments through two instances: each new one gets the
// article's next seq, an id posted again is not stored again, they come
// back oldest first (the newest limit of them), per article, and the
// posted time is kept to the microsecond, in UTC.
func TestComments(t *testing.T) {
	dbs := instances(t, 2)
	ctx := t.Context()
	posted := time.Date(2026, 3, 3, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	for i, tc := range []struct {
		db    *pgstore.DB
		c     store.Comment
		added bool
		seq   uint64
		text  string
		err   error
	}{
		{dbs[0], store.Comment{ID: "c1", Slug: "a", Name: "Ada", Text: "first", Posted: posted}, true, 1, "first", nil},
		{dbs[1], store.Comment{ID: "c2", Slug: "a", Name: "Bo", Text: "second", Posted: posted}, true, 2, "second", nil},
		{dbs[1], store.Comment{ID: "c1", Slug: "a", Name: "Ada", Text: "first, again", Posted: posted}, false, 1, "first", nil},
		{dbs[0], store.Comment{ID: "c1", Slug: "b", Name: "Cy", Text: "other article", Posted: posted}, true, 1, "other article", nil},
		{dbs[0], store.Comment{ID: "c3", Slug: "a", Name: "Di", Text: "third", Posted: posted}, true, 3, "third", nil},
		{dbs[0], store.Comment{Slug: "a", Text: "no id"}, false, 0, "", store.ErrBadComment},
	} {
		got, added, err := tc.db.AddComment(ctx, tc.c)
		if !errors.Is(err, tc.err) || added != tc.added || got.Seq != tc.seq || got.Text != tc.text {
			t.Errorf("%d: AddComment(%s on %s) = seq %d %q, added %v, %v; want seq %d %q, %v, %v",
				i, tc.c.ID, tc.c.Slug, got.Seq, got.Text, added, err, tc.seq, tc.text, tc.added, tc.err)
		}
		if want := posted.Truncate(time.Microsecond).UTC(); err == nil && (got.Posted != want || got.Slug != tc.c.Slug) {
			t.Errorf("%d: stored %+v, want posted %v", i, got, want)
		}
	}
	all, err := dbs[1].Comments(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ids := commentIDs(all); !reflect.DeepEqual(ids, []string{"c1:1", "c2:2", "c3:3"}) {
		t.Errorf("Comments(a, 0) = %v", ids)
	}
	first, _, _ := dbs[0].AddComment(ctx, store.Comment{ID: "c1", Slug: "a"})
	if !reflect.DeepEqual(first, all[0]) {
		t.Errorf("AddComment of a stored id returned %+v, Comments %+v", first, all[0])
	}
	for _, tc := range []struct {
		slug  string
		limit int
		want  []string
	}{
		{"a", 2, []string{"c2:2", "c3:3"}},
		{"a", 3, []string{"c1:1", "c2:2", "c3:3"}},
		{"a", 10, []string{"c1:1", "c2:2", "c3:3"}},
		{"a", -1, []string{"c1:1", "c2:2", "c3:3"}},
		{"b", 0, []string{"c1:1"}},
		{"none", 5, nil},
	} {
		cs, err := dbs[0].Comments(ctx, tc.slug, tc.limit)
		if got := commentIDs(cs); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Comments(%s, %d) = %v, %v; want %v", tc.slug, tc.limit, got, err, tc.want)
		}
	}
}

func commentIDs(cs []store.Comment) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s:%d", c.ID, c.Seq))
	}
	return out
}

// TestCommentsConcurrent posts from three instances at once, 90 times one
// id and 90 distinct ids: the one id is added once, the others once each,
// with the seqs 1…91 and no gap.
func TestCommentsConcurrent(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	var wg sync.WaitGroup
	added := make(chan string, 180)
	for i := range 30 {
		for j, db := range dbs {
			wg.Go(func() {
				for _, id := range []string{"same", fmt.Sprintf("own-%d-%d", i, j)} {
					_, ok, err := db.AddComment(ctx, store.Comment{ID: id, Slug: "raced", Name: "R", Text: id, Posted: time.Now()})
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
	for id, n := range count {
		if n != 1 {
			t.Errorf("%s added %d times", id, n)
		}
	}
	if len(count) != 91 {
		t.Errorf("%d ids added, want 91", len(count))
	}
	cs, err := dbs[0].Comments(ctx, "raced", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 91 {
		t.Fatalf("%d comments stored, want 91", len(cs))
	}
	for i, c := range cs {
		if c.Seq != uint64(i+1) {
			t.Fatalf("comment %d has seq %d: want 1…91 in order", i, c.Seq)
		}
	}
}

// TestDocs loads and updates documents: none at first, what UpdateDoc
// wrote after, unchanged by a failing fn; 60 concurrent increments from
// three instances are all kept.
func TestDocs(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	if raw, err := dbs[0].LoadDoc(ctx, "counter"); raw != nil || err != nil {
		t.Fatalf("LoadDoc of a new key = %q, %v; want nil, nil", raw, err)
	}
	boom := errors.New("boom")
	if err := dbs[0].UpdateDoc(ctx, "counter", func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("failing UpdateDoc: %v, want boom", err)
	}
	if raw, err := dbs[1].LoadDoc(ctx, "counter"); raw != nil || err != nil {
		t.Errorf("LoadDoc after a failing first update = %q, %v; want nil, nil", raw, err)
	}

	type counter struct{ N int }
	var wg sync.WaitGroup
	for range 20 {
		for _, db := range dbs {
			wg.Go(func() {
				err := db.UpdateDoc(ctx, "counter", func(raw []byte) ([]byte, error) {
					var c counter
					if raw != nil {
						if err := json.Unmarshal(raw, &c); err != nil {
							return nil, err
						}
					}
					c.N++
					return json.Marshal(c)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	raw, err := dbs[2].LoadDoc(ctx, "counter")
	var c counter
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.N != 60 {
		t.Errorf("after 60 concurrent increments: %q, %v; want N 60", raw, err)
	}
	if err := dbs[0].UpdateDoc(ctx, "counter", func([]byte) ([]byte, error) { return []byte("not json"), nil }); err == nil {
		t.Error("UpdateDoc stored a document that is not JSON")
	}
}

// TestAnchor: of instances proposing their times at once, every one gets
// the same, and later ones get it whatever they propose.
func TestAnchor(t *testing.T) {
	dbs := instances(t, 3)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	got := make([]time.Time, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			var err error
			if got[i], err = db.Anchor(t.Context(), base.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !got[0].Equal(got[1]) || !got[0].Equal(got[2]) || got[0].Before(base) || got[0].After(base.Add(2*time.Minute)) {
		t.Errorf("anchors %v: want one of the proposals, the same for all", got)
	}
	later, err := dbs[1].Anchor(t.Context(), base.Add(time.Hour))
	if err != nil || !later.Equal(got[0]) {
		t.Errorf("a later Anchor = %v, %v; want %v", later, err, got[0])
	}
}

// TestNewsStores opens three news stores on one database, 20 s apart
// across a minute's turn: they show the same page (articles, markets and
// scores as seeded, the default breaking news) before anything changed it,
// and the same after a comment and a market move through one of them.
func TestNewsStores(t *testing.T) {
	dbs := instances(t, 3)
	start := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)
	now := start // the clock every store reads, as instances share one
	var sts []*store.Store
	for i, db := range dbs {
		now = start.Add(time.Duration(i) * 20 * time.Second)
		st, err := store.OpenMemory(store.WithShared(db), store.WithNow(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		sts = append(sts, st)
	}
	ctx := t.Context()
	type page struct {
		Hot      []store.Article
		Markets  []store.Quote
		Scores   []store.Score
		Breaking store.Breaking
		Comments []store.Comment
	}
	read := func(st *store.Store) page {
		var p page
		var errs [5]error
		p.Hot, errs[0] = st.Section(ctx, "hotnews", 0)
		p.Markets, errs[1] = st.Markets(ctx)
		p.Scores, errs[2] = st.Scores(ctx)
		p.Breaking, errs[3] = st.Breaking(ctx)
		p.Comments, errs[4] = st.Comments(ctx, p.Hot[0].Slug, 0)
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(when string) {
		want := read(sts[0])
		for i, st := range sts[1:] {
			got := read(st)
			for _, f := range []string{"Hot", "Markets", "Scores", "Breaking", "Comments"} {
				g, w := reflect.ValueOf(got).FieldByName(f).Interface(), reflect.ValueOf(want).FieldByName(f).Interface()
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s: store %d shows other %s than store 0:\n got %+v\nwant %+v", when, i+1, f, g, w)
				}
			}
		}
	}
	check("as seeded")
	if first := read(sts[2]); len(first.Markets) == 0 || len(first.Scores) == 0 || first.Breaking.Slug != first.Hot[0].Slug {
		t.Errorf("as seeded: markets %d, scores %d, breaking %+v", len(first.Markets), len(first.Scores), first.Breaking)
	}
	slug := read(sts[0]).Hot[0].Slug
	if _, added, err := sts[1].AddComment(ctx, store.Comment{ID: "x1", Slug: slug, Name: "Ada", Text: "hello"}); err != nil || !added {
		t.Fatalf("AddComment: %v, %v", added, err)
	}
	if _, _, err := sts[1].AddComment(ctx, store.Comment{ID: "x2", Slug: "no-such-story", Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("comment on an unknown article: %v, want ErrNotFound", err)
	}
	if err := sts[2].UpdateMarkets(ctx, func(qs []store.Quote) error { qs[0].Price = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	check("after a comment and a market move")
	if p := read(sts[0]); len(p.Comments) != 1 || p.Markets[0].Price != 1 {
		t.Errorf("store 0 after a comment and a move through the others: %d comments, price %v", len(p.Comments), p.Markets[0].Price)
	}
}
