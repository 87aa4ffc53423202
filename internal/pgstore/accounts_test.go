package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestAccountsShared makes an account and a session through one DB and
// reads them through another on the same database, as two instances of a
// site do: the session is valid on both, and signing out on one ends it on
// the other.
func TestAccountsShared(t *testing.T) {
	dbs := instances(t, 2)
	one, two := dbs[0], dbs[1]
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ada := store.Account{ID: "ada", Name: "Ada", Skeleton: "ada", Password: "$argon2id$x", Created: now}
	if err := one.CreateAccount(ctx, ada); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	for _, dup := range []store.Account{
		{ID: "ada", Name: "ADA", Skeleton: "other", Password: "p"},
		{ID: "aba", Name: "Aba", Skeleton: "ada", Password: "p"},
	} {
		if err := two.CreateAccount(ctx, dup); !errors.Is(err, store.ErrNameTaken) {
			t.Errorf("CreateAccount(%+v) = %v, want ErrNameTaken", dup, err)
		}
	}
	if got, err := two.Account(ctx, "ada"); err != nil || got != ada {
		t.Errorf("Account(ada) = %+v, %v; want %+v", got, err, ada)
	}
	if _, err := two.Account(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account(nobody) = %v, want ErrNotFound", err)
	}
	s := store.Session{Hash: "h1", Account: "ada", Name: "Ada", Created: now, Expires: now.Add(time.Hour)}
	if err := one.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, err := two.Session(ctx, "h1", now); err != nil || got != s {
		t.Errorf("Session through the other DB = %+v, %v; want %+v", got, err, s)
	}
	if _, err := two.Session(ctx, "h1", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
	if err := two.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Session(ctx, "h1", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("signed-out session: %v, want ErrNotFound", err)
	}
	for _, h := range []string{"h2", "h3"} {
		if err := one.CreateSession(ctx, store.Session{Hash: h, Account: "ada", Created: now, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := two.DeleteSessions(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Session(ctx, "h2", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after DeleteSessions: %v, want ErrNotFound", err)
	}
}

// TestCommentReplyShared stores a reply with its reader in PostgreSQL and
// reads it back, by id and in the list.
func TestCommentReplyShared(t *testing.T) {
	db := open(t, database(t))
	ctx := t.Context()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, _, err := db.AddComment(ctx, store.Comment{ID: "c1-000001", Slug: "s", Name: "Ada", Text: "One.", Posted: at}); err != nil {
		t.Fatal(err)
	}
	reply := store.Comment{ID: "c2-000001", Slug: "s", Name: "Bob", Text: "Two.", Posted: at, Reader: "bob", ReplyTo: "c1-000001", ReplyName: "Ada"}
	if _, _, err := db.AddComment(ctx, reply); err != nil {
		t.Fatal(err)
	}
	reply.Seq = 2
	if got, err := db.Comment(ctx, "s", "c2-000001"); err != nil || got != reply {
		t.Errorf("Comment = %+v, %v; want %+v", got, err, reply)
	}
	if cs, err := db.Comments(ctx, "s", 0); err != nil || len(cs) != 2 || cs[1] != reply || cs[0].Reader != "" {
		t.Errorf("Comments = %+v, %v", cs, err)
	}
	if _, err := db.Comment(ctx, "s", "nope-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Comment(nope) = %v, want ErrNotFound", err)
	}
}
