package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The desk in the store's own file.
//
//	desk/rules          editor id → Rules (JSON); its sequence: the rules' version
//	desk/actions        seq (8 bytes, big-endian) → Action (JSON)
//	desk/states/<slug>  comment id → CommentState (JSON)
var (
	bucketDesk  = []byte("desk")
	deskRules   = []byte("rules")
	deskActions = []byte("actions")
	deskStates  = []byte("states")
)

// deskBucket returns desk/name, created in a writable tx.
func deskBucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	return createPath(tx, bucketDesk, name)
}

// SaveRules stores r as its editor's rules: see [Desk.SaveRules]. With
// [WithShared] of a Desk they are stored there.
func (s *Store) SaveRules(ctx context.Context, r Rules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckRules(r); err != nil {
		return err
	}
	if r.Updated.IsZero() {
		r.Updated = s.now()
	}
	if d := s.sharedDesk(); d != nil {
		return d.SaveRules(ctx, r)
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := deskBucket(tx, deskRules)
		if err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		return b.Put([]byte(r.Editor), v)
	})
	if err != nil {
		return fmt.Errorf("store: save rules of %q: %w", r.Editor, err)
	}
	return nil
}

// Rules returns editor's rules: see [Desk.Rules].
func (s *Store) Rules(ctx context.Context, editor string) (Rules, error) {
	if err := ctx.Err(); err != nil {
		return Rules{}, err
	}
	if d := s.sharedDesk(); d != nil {
		return d.Rules(ctx, editor)
	}
	r := Rules{Editor: editor}
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := bucketAt(tx, bucketDesk, deskRules); b != nil {
			if v := b.Get([]byte(editor)); v != nil {
				return json.Unmarshal(v, &r)
			}
		}
		return nil
	})
	if err != nil {
		return Rules{}, fmt.Errorf("store: rules of %q: %w", editor, err)
	}
	return r, nil
}

// AllRules returns every editor's rules: see [Desk.AllRules].
func (s *Store) AllRules(ctx context.Context) ([]Rules, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d := s.sharedDesk(); d != nil {
		return d.AllRules(ctx)
	}
	var out []Rules
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucketAt(tx, bucketDesk, deskRules)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r Rules
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("rules of %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: every editor's rules: %w", err)
	}
	return out, nil
}

// RulesVersion returns the rules' version: see [Desk.RulesVersion].
func (s *Store) RulesVersion(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d := s.sharedDesk(); d != nil {
		return d.RulesVersion(ctx)
	}
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := bucketAt(tx, bucketDesk, deskRules); b != nil {
			v = b.Sequence()
		}
		return nil
	})
	return v, err
}

// AddAction records a: see [Desk.AddAction].
func (s *Store) AddAction(ctx context.Context, a Action) (Action, error) {
	if err := ctx.Err(); err != nil {
		return Action{}, err
	}
	if err := CheckAction(a); err != nil {
		return Action{}, err
	}
	if a.At.IsZero() {
		a.At = s.now()
	}
	if d := s.sharedDesk(); d != nil {
		return d.AddAction(ctx, a)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := deskBucket(tx, deskActions)
		if err != nil {
			return err
		}
		if a.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, a.Seq), v)
	})
	if err != nil {
		return Action{}, fmt.Errorf("store: add action %s on %q: %w", a.Kind, a.CommentID, err)
	}
	return a, nil
}

// Actions returns the newest limit actions: see [Desk.Actions].
func (s *Store) Actions(ctx context.Context, limit int) ([]Action, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d := s.sharedDesk(); d != nil {
		return d.Actions(ctx, limit)
	}
	var out []Action
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucketAt(tx, bucketDesk, deskActions)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var a Action
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: actions: %w", err)
	}
	return out, nil
}

// SetCommentState records a comment's state: see [Desk.SetCommentState].
func (s *Store) SetCommentState(ctx context.Context, slug, id string, st CommentState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if slug == "" || id == "" {
		return fmt.Errorf("%w: state of %q/%q", ErrBadDesk, slug, id)
	}
	if d := s.sharedDesk(); d != nil {
		return d.SetCommentState(ctx, slug, id, st)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		states, err := deskBucket(tx, deskStates)
		if err != nil {
			return err
		}
		b, err := states.CreateBucketIfNotExists([]byte(slug))
		if err != nil {
			return err
		}
		if st == (CommentState{}) {
			return b.Delete([]byte(id))
		}
		v, err := json.Marshal(st)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
	if err != nil {
		return fmt.Errorf("store: state of comment %q on %q: %w", id, slug, err)
	}
	return nil
}

// CommentStates returns slug's comments' states: see
// [Desk.CommentStates].
func (s *Store) CommentStates(ctx context.Context, slug string) (map[string]CommentState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d := s.sharedDesk(); d != nil {
		return d.CommentStates(ctx, slug)
	}
	out := map[string]CommentState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		states := bucketAt(tx, bucketDesk, deskStates)
		if states == nil {
			return nil
		}
		b := states.Bucket([]byte(slug))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st CommentState
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			out[string(k)] = st
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: comment states on %q: %w", slug, err)
	}
	return out, nil
}
