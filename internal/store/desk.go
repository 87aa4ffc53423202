package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Desk is the moderation desk's data: each editor's watch rules, the
// actions editors took (who, what, when) and the state those actions left
// a comment in (hidden, pinned). Editors are named by their reader id. A
// [Store] implements it on its own file; with [WithShared] of a Shared
// that implements Desk too (package pgstore's), a Store keeps it there,
// shared by every instance of the site. Implementations are safe for
// concurrent use.
type Desk interface {
	// SaveRules stores r as r.Editor's rules, replacing theirs, and moves
	// the rules' version ([Desk.RulesVersion]) forward.
	SaveRules(ctx context.Context, r Rules) error
	// Rules returns editor's rules: the zero Rules (but for Editor) if
	// they have saved none.
	Rules(ctx context.Context, editor string) (Rules, error)
	// AllRules returns every editor's rules, by editor id.
	AllRules(ctx context.Context) ([]Rules, error)
	// RulesVersion is a number that changes whenever any editor saves
	// rules: a matcher compiled at one version is current while it holds.
	RulesVersion(ctx context.Context) (uint64, error)

	// AddAction records a (Editor, Kind and CommentID set) and returns
	// it with its seq, the next of every action's, from 1.
	AddAction(ctx context.Context, a Action) (Action, error)
	// Actions returns the newest limit actions, newest first (all of
	// them for a limit of zero or less).
	Actions(ctx context.Context, limit int) ([]Action, error)

	// SetCommentState records the state of the comment id on the article
	// slug (the zero state: shown, not pinned).
	SetCommentState(ctx context.Context, slug, id string, st CommentState) error
	// CommentStates returns the states of the comments of slug that have
	// one other than the zero state, by comment id.
	CommentStates(ctx context.Context, slug string) (map[string]CommentState, error)
}

// Rules are one editor's watch rules: which comments reach their desk. A
// comment matches when it is in one of Sections (any section if none)
// and at least one of the rest says so: one of Words (a word or phrase,
// matched whole and ignoring case) is in its text, its author is one of
// Authors, NewAccounts is set and it comes from an account younger than
// a day, or Links is set and it has a link. Sections alone (nothing else
// set) match every comment in them; no rules at all match nothing.
type Rules struct {
	Editor      string    `json:"editor"`
	Words       []string  `json:"words,omitempty"`
	Sections    []string  `json:"sections,omitempty"`
	Authors     []string  `json:"authors,omitempty"` // names, lower-cased
	NewAccounts bool      `json:"new_accounts,omitempty"`
	Links       bool      `json:"links,omitempty"`
	Updated     time.Time `json:"updated"`
}

// Empty reports whether r has no rule: it matches nothing.
func (r Rules) Empty() bool {
	return len(r.Words) == 0 && len(r.Sections) == 0 && len(r.Authors) == 0 && !r.NewAccounts && !r.Links
}

// Kinds of [Action].
const (
	ActionHide   = "hide"
	ActionUnhide = "unhide"
	ActionPin    = "pin"
	ActionUnpin  = "unpin"
)

// Action is one thing an editor did to a comment.
type Action struct {
	Seq        uint64    `json:"seq"`
	Editor     string    `json:"editor"`      // their reader id
	EditorName string    `json:"editor_name"` // as shown
	Kind       string    `json:"kind"`        // ActionHide, …
	Slug       string    `json:"slug"`
	CommentID  string    `json:"comment_id"`
	At         time.Time `json:"at"`
}

// CommentState is what editors' actions made of a comment: a hidden one
// is on no page; a pinned one comes first.
type CommentState struct {
	Hidden bool `json:"hidden,omitempty"`
	Pinned bool `json:"pinned,omitempty"`
}

// ErrBadDesk is rules, an action or a state no implementation of [Desk]
// stores: without an editor, a kind, an article or a comment id.
var ErrBadDesk = errors.New("store: bad desk rules or action")

// CheckRules returns an [ErrBadDesk] error for rules no implementation
// stores.
func CheckRules(r Rules) error {
	if r.Editor == "" {
		return fmt.Errorf("%w: rules without an editor", ErrBadDesk)
	}
	return nil
}

// CheckAction returns an [ErrBadDesk] error for an action no
// implementation stores.
func CheckAction(a Action) error {
	switch {
	case a.Editor == "" || a.Slug == "" || a.CommentID == "":
		return fmt.Errorf("%w: action %q by %q on %q/%q", ErrBadDesk, a.Kind, a.Editor, a.Slug, a.CommentID)
	case a.Kind != ActionHide && a.Kind != ActionUnhide && a.Kind != ActionPin && a.Kind != ActionUnpin:
		return fmt.Errorf("%w: unknown action %q", ErrBadDesk, a.Kind)
	}
	return nil
}

// sharedDesk is the Desk a Store delegates to: its shared store's, if
// that keeps it, else nil (the Store keeps it in its own file).
func (s *Store) sharedDesk() Desk {
	d, _ := s.shared.(Desk)
	return d
}

var _ Desk = (*Store)(nil)

// VisibleComments returns the newest limit comments on slug that are not
// hidden, oldest first, each with its state, the pinned ones first (in
// their order): what every page of the article shows.
func (s *Store) VisibleComments(ctx context.Context, slug string, limit int) ([]Comment, error) {
	cs, err := s.Comments(ctx, slug, limit)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	states, err := s.CommentStates(ctx, slug)
	if err != nil || len(states) == 0 {
		return cs, err
	}
	pinned := make([]Comment, 0, len(states))
	rest := cs[:0:0]
	for _, c := range cs {
		st := states[c.ID]
		switch {
		case st.Hidden:
		case st.Pinned:
			c.Pinned = true
			pinned = append(pinned, c)
		default:
			rest = append(rest, c)
		}
	}
	return append(pinned, rest...), nil
}
