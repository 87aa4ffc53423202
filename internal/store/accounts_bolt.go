package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The buckets of accounts and sessions in the store's own file:
//
//	accounts          id → Account (JSON)
//	account_names     skeleton → id
//	sessions          hash → Session (JSON)
//	account_sessions  id → (hash → nothing)
var (
	bucketAccounts        = []byte("accounts")
	bucketAccountNames    = []byte("account_names")
	bucketSessions        = []byte("sessions")
	bucketAccountSessions = []byte("account_sessions")
)

// update runs fn in a write transaction with the account buckets created.
func (s *Store) updateAccounts(fn func(tx *bolt.Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAccounts, bucketAccountNames, bucketSessions, bucketAccountSessions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// CreateAccount stores a unless its ID or Skeleton is taken
// ([ErrNameTaken]); the check and the write are one transaction. With
// [WithShared] of an [Accounts], it is stored there.
func (s *Store) CreateAccount(ctx context.Context, a Account) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckAccount(a); err != nil {
		return err
	}
	if sh := s.accounts(); sh != nil {
		return sh.CreateAccount(ctx, a)
	}
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	err = s.updateAccounts(func(tx *bolt.Tx) error {
		names, accts := tx.Bucket(bucketAccountNames), tx.Bucket(bucketAccounts)
		if names.Get([]byte(a.Skeleton)) != nil || accts.Get([]byte(a.ID)) != nil {
			return ErrNameTaken
		}
		if err := names.Put([]byte(a.Skeleton), []byte(a.ID)); err != nil {
			return err
		}
		return accts.Put([]byte(a.ID), v)
	})
	if err != nil {
		return fmt.Errorf("store: create account %q: %w", a.ID, err)
	}
	return nil
}

// Account returns the account id, or [ErrNotFound].
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	if err := ctx.Err(); err != nil {
		return Account{}, err
	}
	if sh := s.accounts(); sh != nil {
		return sh.Account(ctx, id)
	}
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &a)
	})
	if err != nil {
		return Account{}, fmt.Errorf("store: account %q: %w", id, err)
	}
	return a, nil
}

// CreateSession stores sess, indexed under its account.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckSession(sess); err != nil {
		return err
	}
	if sh := s.accounts(); sh != nil {
		return sh.CreateSession(ctx, sess)
	}
	v, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	err = s.updateAccounts(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketSessions).Put([]byte(sess.Hash), v); err != nil {
			return err
		}
		idx, err := tx.Bucket(bucketAccountSessions).CreateBucketIfNotExists([]byte(sess.Account))
		if err != nil {
			return err
		}
		return idx.Put([]byte(sess.Hash), nil)
	})
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session returns the session hash, or [ErrNotFound] if there is none or
// it expired at or before now. An expired one is left for
// [Store.DeleteSession] or [Store.DeleteSessions].
func (s *Store) Session(ctx context.Context, hash string, now time.Time) (Session, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, err
	}
	if sh := s.accounts(); sh != nil {
		return sh.Session(ctx, hash, now)
	}
	var sess Session
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b == nil || hash == "" {
			return ErrNotFound
		}
		v := b.Get([]byte(hash))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &sess)
	})
	if err == nil && !now.Before(sess.Expires) {
		err = ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	return sess, nil
}

// DeleteSession deletes the session hash, if it is there.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if sh := s.accounts(); sh != nil {
		return sh.DeleteSession(ctx, hash)
	}
	err := s.updateAccounts(func(tx *bolt.Tx) error {
		sessions := tx.Bucket(bucketSessions)
		v := sessions.Get([]byte(hash))
		if v == nil {
			return nil
		}
		var sess Session
		if err := json.Unmarshal(v, &sess); err == nil {
			if idx := tx.Bucket(bucketAccountSessions).Bucket([]byte(sess.Account)); idx != nil {
				if err := idx.Delete([]byte(hash)); err != nil {
					return err
				}
			}
		}
		return sessions.Delete([]byte(hash))
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteSessions deletes every session of the account id.
func (s *Store) DeleteSessions(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if sh := s.accounts(); sh != nil {
		return sh.DeleteSessions(ctx, id)
	}
	err := s.updateAccounts(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketAccountSessions).Bucket([]byte(id))
		if idx == nil {
			return nil
		}
		sessions := tx.Bucket(bucketSessions)
		if err := idx.ForEach(func(k, _ []byte) error { return sessions.Delete(k) }); err != nil {
			return err
		}
		return tx.Bucket(bucketAccountSessions).DeleteBucket([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete sessions of %q: %w", id, err)
	}
	return nil
}
