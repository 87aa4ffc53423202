package store_test

import (
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/mailtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestDesk runs the behaviour every store.Desk has on the store's own
// file.
func TestDesk(t *testing.T) {
	mailtest.RunDesk(t, func(t *testing.T) store.Desk { return memoryStore(t) })
}

func memoryStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestVisibleComments: a hidden comment is left out, pinned ones come
// first, marked Pinned.
func TestVisibleComments(t *testing.T) {
	st := memoryStore(t)
	ctx := t.Context()
	arts, err := st.Section(ctx, "tech", 1)
	if err != nil || len(arts) == 0 {
		t.Fatal(arts, err)
	}
	slug := arts[0].Slug
	for i, id := range []string{"first-01", "second-02", "third-003"} {
		if _, _, err := st.AddComment(ctx, store.Comment{ID: id, Slug: slug, Name: "n", Text: "t", Posted: time.Unix(int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetCommentState(ctx, slug, "first-01", store.CommentState{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetCommentState(ctx, slug, "third-003", store.CommentState{Pinned: true}); err != nil {
		t.Fatal(err)
	}
	cs, err := st.VisibleComments(ctx, slug, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if len(got) != 2 || got[0] != "third-003" || !cs[0].Pinned || got[1] != "second-02" || cs[1].Pinned {
		t.Errorf("VisibleComments = %v; want third-003 (pinned), second-02", got)
	}
}
