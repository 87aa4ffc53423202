package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

func openTemp(t *testing.T, opts ...store.Option) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "data", "news.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestSeededSections(t *testing.T) {
	st := openTemp(t)
	ctx := t.Context()
	total := 0
	seen := make(map[string]bool)
	for _, name := range store.Sections() {
		t.Run(name, func(t *testing.T) {
			arts, err := st.Section(ctx, name, 0)
			if err != nil {
				t.Fatalf("Section(%q): %v", name, err)
			}
			if got, want := len(arts), 15; got < want {
				t.Errorf("got %d articles, want at least %d", got, want)
			}
			total += len(arts)
			if !slices.IsSortedFunc(arts, func(a, b store.Article) int { return b.Published.Compare(a.Published) }) {
				t.Error("articles are not newest first")
			}
			for _, a := range arts {
				if a.Section != name {
					t.Errorf("%s: section %q, want %q", a.Slug, a.Section, name)
				}
				if a.Title == "" || a.Summary == "" || a.Author == "" || len(a.Body) == 0 || a.Published.IsZero() {
					t.Errorf("%s: incomplete article %+v", a.Slug, a)
				}
				if got, want := a.URL(), "/article/"+a.Slug; got != want || !strings.HasPrefix(got, "/article/") {
					t.Errorf("URL() = %q, want %q", got, want)
				}
				if seen[a.Slug] {
					t.Errorf("duplicate slug %q", a.Slug)
				}
				seen[a.Slug] = true
				if a.Views <= 0 || a.Comments < 0 {
					t.Errorf("%s: views %d comments %d", a.Slug, a.Views, a.Comments)
				}
			}
			limited, err := st.Section(ctx, name, 3)
			if err != nil || len(limited) != 3 || limited[0].Slug != arts[0].Slug {
				t.Errorf("Section(%q, 3) = %d articles, %v; want the 3 newest", name, len(limited), err)
			}
		})
	}
	if got, want := total, 80; got < want {
		t.Errorf("total articles %d, want at least %d", got, want)
	}
}

func TestUnknownSection(t *testing.T) {
	st := openTemp(t)
	_, err := st.Section(t.Context(), "gossip", 5)
	if !errors.Is(err, store.ErrUnknownSection) {
		t.Errorf("got %v, want ErrUnknownSection", err)
	}
}

func TestReopenKeepsContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := store.Open(path, store.WithNow(func() time.Time { return first }))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := st.Section(t.Context(), "hotnews", 0)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	later := first.AddDate(1, 0, 0)
	st, err = store.Open(path, store.WithNow(func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.Section(t.Context(), "hotnews", 0)
	if len(got) != len(want) {
		t.Fatalf("reopened store has %d hotnews articles, want %d", len(got), len(want))
	}
	for i := range got {
		// The same content, dated as far forward as the clock moved.
		if got[i].Slug != want[i].Slug || !got[i].Published.Equal(want[i].Published.Add(later.Sub(first))) {
			t.Errorf("article %d: %s at %v, want %s at %v a year on", i, got[i].Slug, got[i].Published, want[i].Slug, want[i].Published)
		}
	}
}

// TestContentStaysFresh opens a store seeded at one time and reads it with
// the store's clock at others, later (across a reopen of the file) and
// earlier: the newest story is always minutes old, the society section
// always has stories young enough for its NEW badge (three hours), matches
// are live or about to start, their clocks run within the hour, and the
// timeline starts over each hour.
func TestContentStaysFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	seeded := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := seeded // the clock the store reads; this test's own
	clock := store.WithNow(func() time.Time { return now })
	st, err := store.Open(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name   string
		after  time.Duration // since the seeding
		saltby string        // the clock of the match live at 67' at seeding
	}{
		{"at seeding", 0, "Live 67'"},
		{"10 minutes on", 10 * time.Minute, "Live 77'"},
		{"an hour on: replayed", time.Hour, "Live 67'"},
		{"a day and 59 minutes on", 24*time.Hour + 59*time.Minute, "Final FT"},
		{"400 days on", 400*24*time.Hour + 20*time.Minute, "Live 87'"},
		{"clock behind the seeding", -2*time.Hour - 50*time.Minute, "Live 77'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = seeded.Add(tc.after)
			hot, err := st.Section(t.Context(), "hotnews", 1)
			if err != nil {
				t.Fatal(err)
			}
			if age := now.Sub(hot[0].Published); age < 4*time.Minute || age >= 64*time.Minute {
				t.Errorf("newest story is %v old, want 4m to 64m", age)
			}
			a, err := st.Article(t.Context(), hot[0].Slug)
			if err != nil || !a.Published.Equal(hot[0].Published) {
				t.Errorf("Article(%s) dated %v, %v; Section dated it %v", hot[0].Slug, a.Published, err, hot[0].Published)
			}
			society, err := st.Section(t.Context(), "society", 0)
			if err != nil {
				t.Fatal(err)
			}
			if age := now.Sub(society[0].Published); age >= 3*time.Hour {
				t.Errorf("newest society story is %v old: no NEW badge", age)
			}
			scores, err := st.Scores(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			live, saltby := 0, ""
			for _, sc := range scores {
				switch sc.State {
				case store.MatchLive:
					live++
				case store.MatchScheduled:
					if !sc.KickOff.After(now) || sc.Clock != sc.KickOff.Format("15:04") {
						t.Errorf("%s–%s scheduled for %v (%s), at %v", sc.Home, sc.Away, sc.KickOff, sc.Clock, now)
					}
				}
				if sc.Home == "Saltby Town" && sc.Competition == "Premier Division" {
					saltby = map[string]string{store.MatchLive: "Live ", store.MatchFinal: "Final "}[sc.State] + sc.Clock
				}
			}
			if live == 0 {
				t.Errorf("no live match at %v: %+v", now, scores)
			}
			if saltby != tc.saltby {
				t.Errorf("Saltby Town–Brackwater %q, want %q", saltby, tc.saltby)
			}
		})
	}
}

// TestUpgradeV1 reopens a file in the first version's layout (no seeding
// time, scores with fixed clocks and no kick-off): it is upgraded in place
// and its content is as fresh as a new file's.
func TestUpgradeV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	seeded := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := store.Open(path, store.WithNow(func() time.Time { return seeded }))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		return errors.Join(meta.Put([]byte("version"), []byte("1")), meta.Delete([]byte("seeded")),
			tx.Bucket([]byte("data")).Put([]byte("scores"), []byte(`[{"competition":"Premier Division","home":"Saltby Town","away":"Brackwater","homeScore":2,"awayScore":2,"state":"live","clock":"67'"}]`)))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}

	now := seeded.AddDate(0, 1, 0).Add(5 * time.Minute)
	for range 2 { // upgraded, then opened as this version
		st, err := store.Open(path, store.WithNow(func() time.Time { return now }))
		if err != nil {
			t.Fatalf("Open of a version-1 file: %v", err)
		}
		hot, err := st.Section(t.Context(), "hotnews", 1)
		if err != nil {
			t.Fatal(err)
		}
		if age := now.Sub(hot[0].Published); age != 9*time.Minute {
			t.Errorf("newest story is %v old, want 9m (4m at seeding, 5m since)", age)
		}
		scores, err := st.Scores(t.Context())
		if err != nil || len(scores) < 5 {
			t.Fatalf("Scores() = %d, %v", len(scores), err)
		}
		if sc := scores[2]; sc.Home != "Saltby Town" || sc.State != store.MatchLive || sc.Clock != "72'" {
			t.Errorf("Saltby Town–Brackwater: %+v, want live at 72'", sc)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearch(t *testing.T) {
	st := openTemp(t)
	tests := []struct {
		name     string
		q        string
		limit    int
		wantMin  int
		wantMax  int
		mustFind string // a word every result's title or summary contains
	}{
		{"word", "rail", 0, 2, 100, "rail"},
		{"case insensitive", "RAIL", 0, 2, 100, "rail"},
		{"surrounding space", "  storm ", 0, 1, 100, "storm"},
		{"limit", "the", 3, 3, 3, "the"},
		{"empty", "", 0, 0, 0, ""},
		{"blank", "   ", 0, 0, 0, ""},
		{"no match", "zzqxj", 0, 0, 0, ""},
		{"markup", "<script>alert(1)</script>", 0, 0, 0, ""},
		{"invalid utf-8", "\xff\xfe", 0, 0, 0, ""},
		{"non-ascii", "°C", 0, 1, 100, "°c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Search(t.Context(), tc.q, tc.limit)
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.q, err)
			}
			if len(got) < tc.wantMin || len(got) > tc.wantMax {
				t.Fatalf("Search(%q) = %d results, want %d..%d", tc.q, len(got), tc.wantMin, tc.wantMax)
			}
			for _, a := range got {
				text := strings.ToLower(a.Title + " " + a.Summary)
				if !strings.Contains(text, tc.mustFind) {
					t.Errorf("result %q does not contain %q", a.Title, tc.mustFind)
				}
			}
		})
	}
}

func TestArticle(t *testing.T) {
	st := openTemp(t)
	top, err := st.Section(t.Context(), "tech", 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		slug    string
		wantErr error
	}{
		{"known", top[0].Slug, nil},
		{"unknown", "no-such-story", store.ErrNotFound},
		{"empty", "", store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for name, get := range map[string]func(context.Context, string) (store.Article, error){
				"Article": st.Article, "Headline": st.Headline,
			} {
				a, err := get(t.Context(), tc.slug)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("%s(%q) error = %v, want %v", name, tc.slug, err, tc.wantErr)
				}
				if err == nil && a.Title != top[0].Title {
					t.Errorf("%s(%q).Title = %q, want %q", name, tc.slug, a.Title, top[0].Title)
				}
			}
		})
	}
}

func TestRankings(t *testing.T) {
	st := openTemp(t)
	tests := []struct {
		name string
		get  func(context.Context, int) ([]store.Article, error)
		key  func(store.Article) int
	}{
		{"MostRead", st.MostRead, func(a store.Article) int { return a.Views }},
		{"MostCommented", st.MostCommented, func(a store.Article) int { return a.Comments }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.get(t.Context(), 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 5 {
				t.Fatalf("got %d articles, want 5", len(got))
			}
			for i := 1; i < len(got); i++ {
				if tc.key(got[i]) > tc.key(got[i-1]) {
					t.Errorf("not descending at %d: %d > %d", i, tc.key(got[i]), tc.key(got[i-1]))
				}
			}
		})
	}
}

func TestMarketsScoresWeather(t *testing.T) {
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	st := openTemp(t, store.WithNow(func() time.Time { return now }))
	quotes, err := st.Markets(t.Context())
	if err != nil || len(quotes) < 5 {
		t.Fatalf("Markets() = %d quotes, %v; want at least 5", len(quotes), err)
	}
	for _, q := range quotes {
		if len(q.History) < 2 || q.History[len(q.History)-1] != q.Price {
			t.Errorf("%s: history %v does not end at price %v", q.Symbol, q.History, q.Price)
		}
	}
	scores, err := st.Scores(t.Context())
	if err != nil || len(scores) < 5 {
		t.Fatalf("Scores() = %d, %v; want at least 5", len(scores), err)
	}
	w, err := st.Weather(t.Context())
	if err != nil || w.City == "" || len(w.Forecast) != 3 {
		t.Fatalf("Weather() = %+v, %v", w, err)
	}
	if got, want := w.Forecast[0].Date.Day(), 4; got != want {
		t.Errorf("first forecast day = %d, want %d (tomorrow)", got, want)
	}
}

func TestLatency(t *testing.T) {
	st := openTemp(t, store.WithLatency(map[string]time.Duration{
		"hotnews": 200 * time.Millisecond,
		"*":       50 * time.Millisecond,
		"society": 0,
	}))
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want time.Duration
	}{
		{"own entry", func(ctx context.Context) error { _, err := st.Section(ctx, "hotnews", 1); return err }, 200 * time.Millisecond},
		{"zero entry", func(ctx context.Context) error { _, err := st.Section(ctx, "society", 1); return err }, 0},
		{"default", func(ctx context.Context) error { _, err := st.Markets(ctx); return err }, 50 * time.Millisecond},
		{"search default", func(ctx context.Context) error { _, err := st.Search(ctx, "rail", 1); return err }, 50 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				if err := tc.call(t.Context()); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tc.want {
					t.Errorf("took %v, want %v", got, tc.want)
				}
			})
		})
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	st := openTemp(t, store.WithLatency(map[string]time.Duration{"*": time.Hour}))
	t.Run("cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			start := time.Now()
			done := make(chan error, 1)
			go func() { _, err := st.Section(ctx, "finance", 3); done <- err }()
			time.Sleep(time.Second)
			synctest.Wait()
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
			if got := time.Since(start); got != time.Second {
				t.Errorf("returned after %v, want 1s (at cancel)", got)
			}
		})
	})
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			start := time.Now()
			_, err := st.Weather(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want context.DeadlineExceeded", err)
			}
			if got := time.Since(start); got != 3*time.Second {
				t.Errorf("returned after %v, want 3s", got)
			}
		})
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for name, err := range map[string]error{
			"Search":   func() error { _, err := st.Search(ctx, "rail", 1); return err }(),
			"Headline": func() error { _, err := st.Headline(ctx, "x"); return err }(),
			"MostRead": func() error { _, err := st.MostRead(ctx, 1); return err }(),
		} {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: got %v, want context.Canceled", name, err)
			}
		}
	})
}

func TestFailures(t *testing.T) {
	st := openTemp(t, store.WithFailures("finance", store.SourceMarkets))
	if _, err := st.Section(t.Context(), "finance", 1); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Section(finance): got %v, want ErrUnavailable", err)
	}
	if _, err := st.Markets(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Markets: got %v, want ErrUnavailable", err)
	}
	if _, err := st.Section(t.Context(), "tech", 1); err != nil {
		t.Errorf("Section(tech): %v", err)
	}
}

func TestOpenMemory(t *testing.T) {
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	arts, err := st.Section(t.Context(), "sports", 0)
	if err != nil || len(arts) == 0 {
		t.Fatalf("Section(sports) = %d, %v", len(arts), err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("garbage!", 1024)), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"parent is a file": filepath.Join(file, "news.db"),
		"not a database":   notDB,
	} {
		t.Run(name, func(t *testing.T) {
			if st, err := store.Open(path); err == nil {
				st.Close()
				t.Errorf("Open(%q) succeeded, want an error", path)
			}
		})
	}
}

// TestOpenInUse opens a file a Store already holds: the second Open fails
// after LockTimeout with ErrInUse and a message that says what to do, and
// the file opens again once the first Store is closed.
func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	first, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(path)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, store.ErrInUse) {
		t.Errorf("error %v does not wrap ErrInUse", err)
	}
	for _, want := range []string{path, "in use by another process", "another bigpipe server", "stop that process", "another file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := store.Open(path)
	if err != nil {
		t.Fatalf("Open after the first Store closed: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}
