package mailtest

import (
	"slices"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// RunDesk runs the behaviour every [store.Desk] has, each test on a
// fresh Desk from open.
func RunDesk(t *testing.T, open func(t *testing.T) store.Desk) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, d store.Desk)
	}{
		{"RulesRoundTrip", rulesRoundTrip},
		{"Actions", actions},
		{"CommentStates", commentStates},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func rulesRoundTrip(t *testing.T, d store.Desk) {
	ctx := t.Context()
	r, err := d.Rules(ctx, "ada")
	if err != nil || !r.Empty() || r.Editor != "ada" {
		t.Fatalf("Rules before any save = %+v, %v; want empty rules of ada", r, err)
	}
	v0, err := d.RulesVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Rules{Editor: "ada", Words: []string{"spam", "buy now"}, Sections: []string{"tech"},
		Authors: []string{"mallory"}, NewAccounts: true, Links: true, Updated: base}
	if err := d.SaveRules(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveRules(ctx, store.Rules{Editor: "bob", Links: true, Updated: base}); err != nil {
		t.Fatal(err)
	}
	got, err := d.Rules(ctx, "ada")
	if err != nil || !got.Updated.Equal(want.Updated) {
		t.Fatalf("Rules = %+v, %v; want %+v", got, err, want)
	}
	got.Updated = want.Updated
	if !slices.Equal(got.Words, want.Words) || !slices.Equal(got.Sections, want.Sections) || !slices.Equal(got.Authors, want.Authors) ||
		!got.NewAccounts || !got.Links {
		t.Errorf("Rules = %+v; want %+v", got, want)
	}
	v1, err := d.RulesVersion(ctx)
	if err != nil || v1 == v0 {
		t.Errorf("RulesVersion after saves = %d, %v; was %d", v1, err, v0)
	}
	all, err := d.AllRules(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("AllRules = %+v, %v; want ada's and bob's", all, err)
	}
	if err := d.SaveRules(ctx, store.Rules{Editor: "ada", Updated: base}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Rules(ctx, "ada"); !got.Empty() {
		t.Errorf("rules saved empty read back as %+v", got)
	}
	if err := d.SaveRules(ctx, store.Rules{}); err == nil {
		t.Error("rules without an editor saved")
	}
}

func actions(t *testing.T, d store.Desk) {
	ctx := t.Context()
	for i, k := range []string{store.ActionHide, store.ActionPin, store.ActionUnhide} {
		a, err := d.AddAction(ctx, store.Action{Editor: "ada", EditorName: "Ada", Kind: k, Slug: "s", CommentID: "comment-1",
			At: base.Add(time.Duration(i) * time.Second)})
		if err != nil || a.Seq != uint64(i+1) {
			t.Fatalf("AddAction %s = %+v, %v; want seq %d", k, a, err, i+1)
		}
	}
	got, err := d.Actions(ctx, 2)
	if err != nil || len(got) != 2 || got[0].Kind != store.ActionUnhide || got[1].Kind != store.ActionPin ||
		!got[0].At.Equal(base.Add(2*time.Second)) || got[0].EditorName != "Ada" {
		t.Errorf("Actions(2) = %+v, %v; want unhide, pin", got, err)
	}
	if _, err := d.AddAction(ctx, store.Action{Editor: "ada", Kind: "delete", Slug: "s", CommentID: "c"}); err == nil {
		t.Error("an unknown kind of action was recorded")
	}
}

func commentStates(t *testing.T, d store.Desk) {
	ctx := t.Context()
	if err := d.SetCommentState(ctx, "s", "one", store.CommentState{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetCommentState(ctx, "s", "two", store.CommentState{Pinned: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetCommentState(ctx, "other", "three", store.CommentState{Pinned: true}); err != nil {
		t.Fatal(err)
	}
	got, err := d.CommentStates(ctx, "s")
	if err != nil || len(got) != 2 || !got["one"].Hidden || !got["two"].Pinned || got["two"].Hidden {
		t.Fatalf("CommentStates = %+v, %v", got, err)
	}
	if err := d.SetCommentState(ctx, "s", "one", store.CommentState{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.CommentStates(ctx, "s"); len(got) != 1 {
		t.Errorf("after a reset, CommentStates = %+v; want two's only", got)
	}
}
