package pgstore_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/mailtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestMail runs the behaviour every store.Mail has on PostgreSQL, and
// through a news store opened WithShared of it, which keeps its mail
// there: two such stores (two instances) see each other's.
func TestMail(t *testing.T) {
	t.Run("DB", func(t *testing.T) {
		mailtest.Run(t, func(t *testing.T) store.Mail { return open(t, database(t)) })
	})
	t.Run("StoreWithShared", func(t *testing.T) {
		mailtest.Run(t, func(t *testing.T) store.Mail { return sharedStore(t, open(t, database(t))) })
	})
	t.Run("TwoInstances", func(t *testing.T) {
		db := open(t, database(t))
		one, two := sharedStore(t, db), sharedStore(t, db)
		m, added, err := one.AddMessage(t.Context(), store.Message{ID: "across-01", From: "ada", To: "bob", Text: "hi"})
		if err != nil || !added {
			t.Fatalf("AddMessage: %v, %v", added, err)
		}
		got, err := two.Conversation(t.Context(), "bob", "ada", 0, 0)
		if err != nil || len(got) != 1 || got[0].ID != m.ID {
			t.Errorf("the other instance sees %+v, %v", got, err)
		}
		if _, added, _ := two.AddMessage(t.Context(), store.Message{ID: "across-01", From: "ada", To: "bob", Text: "hi"}); added {
			t.Error("a retry through the other instance was stored again")
		}
	})
}

// sharedStore opens a news store that keeps its shared data in db.
func sharedStore(t *testing.T, db store.Shared) *store.Store {
	t.Helper()
	st, err := store.OpenMemory(store.WithShared(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDesk runs the behaviour every store.Desk has on PostgreSQL, and
// through a news store opened WithShared of it; two instances share the
// rules and their version.
func TestDesk(t *testing.T) {
	t.Run("DB", func(t *testing.T) {
		mailtest.RunDesk(t, func(t *testing.T) store.Desk { return open(t, database(t)) })
	})
	t.Run("StoreWithShared", func(t *testing.T) {
		mailtest.RunDesk(t, func(t *testing.T) store.Desk { return sharedStore(t, open(t, database(t))) })
	})
	t.Run("TwoInstances", func(t *testing.T) {
		db := open(t, database(t))
		one, two := sharedStore(t, db), sharedStore(t, db)
		v0, _ := two.RulesVersion(t.Context())
		if err := one.SaveRules(t.Context(), store.Rules{Editor: "ada", Words: []string{"spam"}}); err != nil {
			t.Fatal(err)
		}
		if v1, err := two.RulesVersion(t.Context()); err != nil || v1 == v0 {
			t.Errorf("the other instance's rules version = %d, %v; was %d", v1, err, v0)
		}
		if r, err := two.Rules(t.Context(), "ada"); err != nil || len(r.Words) != 1 {
			t.Errorf("the other instance reads %+v, %v", r, err)
		}
	})
}
