package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestAccounts runs the accounts contract on a store's own file, and on a
// store that passes them to another ([store.WithShared]): a session made
// through one instance is valid through the other.
func TestAccounts(t *testing.T) {
	t.Run("own file", func(t *testing.T) {
		st := openTemp(t)
		accountsContract(t, st, st)
	})
	t.Run("shared", func(t *testing.T) {
		hub, insts := instances(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), 2)
		accountsContract(t, insts[0], insts[1])
		if _, err := hub.Account(t.Context(), "ada"); err != nil {
			t.Errorf("the shared store has no account: %v", err)
		}
	})
}

// accountsContract checks a and b, two handles on the same accounts.
func accountsContract(t *testing.T, a, b store.Accounts) {
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ada := store.Account{ID: "ada", Name: "Ada", Skeleton: "ada", Password: "$argon2id$x", Created: now}
	if err := a.CreateAccount(ctx, ada); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	for _, dup := range []store.Account{
		{ID: "ada", Name: "ADA", Skeleton: "other", Password: "p"},
		{ID: "aba", Name: "Aba", Skeleton: "ada", Password: "p"},
	} {
		if err := b.CreateAccount(ctx, dup); !errors.Is(err, store.ErrNameTaken) {
			t.Errorf("CreateAccount(%+v) = %v, want ErrNameTaken", dup, err)
		}
	}
	if err := a.CreateAccount(ctx, store.Account{ID: "x"}); !errors.Is(err, store.ErrBadAccount) {
		t.Errorf("CreateAccount without skeleton = %v, want ErrBadAccount", err)
	}
	got, err := b.Account(ctx, "ada")
	if err != nil || got.Name != "Ada" || got.Password != ada.Password || !got.Created.Equal(now) {
		t.Errorf("Account(ada) = %+v, %v", got, err)
	}
	if _, err := b.Account(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account(nobody) = %v, want ErrNotFound", err)
	}

	s1 := store.Session{Hash: "h1", Account: "ada", Name: "Ada", Created: now, Expires: now.Add(time.Hour)}
	s2 := store.Session{Hash: "h2", Account: "ada", Name: "Ada", Created: now, Expires: now.Add(time.Hour)}
	for _, s := range []store.Session{s1, s2} {
		if err := a.CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	for _, tc := range []struct {
		name string
		hash string
		at   time.Time
		ok   bool
	}{
		{"valid", "h1", now, true},
		{"just before expiry", "h1", now.Add(time.Hour - time.Microsecond), true},
		{"at expiry", "h1", now.Add(time.Hour), false},
		{"unknown", "nope", now, false},
		{"empty", "", now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := b.Session(ctx, tc.hash, tc.at)
			if tc.ok && (err != nil || s.Account != "ada" || s.Name != "Ada" || !s.Expires.Equal(s1.Expires)) {
				t.Errorf("Session = %+v, %v; want ada's", s, err)
			}
			if !tc.ok && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Session = %+v, %v; want ErrNotFound", s, err)
			}
		})
	}
	if err := b.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteSession(ctx, "h1"); err != nil {
		t.Errorf("second DeleteSession: %v", err)
	}
	if _, err := a.Session(ctx, "h1", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v, want ErrNotFound", err)
	}
	if _, err := a.Session(ctx, "h2", now); err != nil {
		t.Errorf("the other session went too: %v", err)
	}
	if err := b.DeleteSessions(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(ctx, "h2", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after DeleteSessions: %v, want ErrNotFound", err)
	}
}

// TestCreateAccountRace creates one skeleton from many goroutines: exactly
// one succeeds.
func TestCreateAccountRace(t *testing.T) {
	st := openTemp(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 8 {
		wg.Go(func() {
			err := st.CreateAccount(context.Background(), store.Account{ID: "bob" + string(rune('a'+i)), Skeleton: "bob", Password: "p"})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if !errors.Is(err, store.ErrNameTaken) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d creations succeeded, want 1", ok)
	}
}

// TestCommentReply stores a reply with its reader and reads both back,
// also by id.
func TestCommentReply(t *testing.T) {
	st := openTemp(t)
	ctx := t.Context()
	slug := firstSlug(t, st, "hotnews")
	first, _, err := st.AddComment(ctx, store.Comment{ID: "first-0001", Slug: slug, Name: "Ada", Text: "One."})
	if err != nil {
		t.Fatal(err)
	}
	reply := store.Comment{ID: "reply-0001", Slug: slug, Name: "Bob", Text: "Two.", Reader: "bob", ReplyTo: first.ID, ReplyName: first.Name}
	if _, _, err := st.AddComment(ctx, reply); err != nil {
		t.Fatal(err)
	}
	got, err := st.Comment(ctx, slug, "reply-0001")
	if err != nil || got.Reader != "bob" || got.ReplyTo != "first-0001" || got.ReplyName != "Ada" || got.Seq != 2 {
		t.Errorf("Comment(reply) = %+v, %v", got, err)
	}
	for _, tc := range []struct{ slug, id string }{{slug, "nope-0001"}, {"no-such-article", "first-0001"}} {
		if _, err := st.Comment(ctx, tc.slug, tc.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Comment(%s, %s) = %v, want ErrNotFound", tc.slug, tc.id, err)
		}
	}
}
