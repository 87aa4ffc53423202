package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Account is a reader's account. Package accounts decides what goes in it
// (the name's checks, the skeleton, the password's hash); the store keeps
// it and keeps Skeleton unique.
type Account struct {
	ID       string    `json:"id"`       // the name folded to lower case: the reader id
	Name     string    `json:"name"`     // as the reader wrote it
	Skeleton string    `json:"skeleton"` // what no other account may share (look-alikes mapped alike)
	Password string    `json:"password"` // the password's hash (PHC string)
	Created  time.Time `json:"created"`
}

// Session is one signed-in browser. The store never sees the session id
// the browser holds, only its hash: a copy of the store gives no session
// anyone can use.
type Session struct {
	Hash    string    `json:"hash"`    // of the browser's session id; the key
	Account string    `json:"account"` // the account's ID
	Name    string    `json:"name"`    // the account's Name, to show without a lookup
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Errors of [Accounts]. [ErrNotFound] is returned for an unknown account
// or session, and for an expired session.
var (
	ErrNameTaken  = errors.New("store: that name is taken")
	ErrBadAccount = errors.New("store: bad account or session")
)

// Accounts keeps readers' accounts and sessions. A [Store] implements it
// on its own file, or passes it on to its [Shared] store ([WithShared])
// when that implements it too, as package pgstore's does, so that a
// session made on one instance of a site is valid on every other.
// Implementations are safe for concurrent use.
type Accounts interface {
	// CreateAccount stores a (ID, Skeleton and Password set) unless an
	// account with its ID or Skeleton exists: then [ErrNameTaken]. Of
	// concurrent creations of one skeleton, exactly one succeeds.
	CreateAccount(ctx context.Context, a Account) error
	// Account returns the account whose ID is id, or [ErrNotFound].
	Account(ctx context.Context, id string) (Account, error)
	// CreateSession stores s (Hash, Account and Expires set).
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session whose hash is hash, or [ErrNotFound]
	// when there is none or it expired at or before now.
	Session(ctx context.Context, hash string, now time.Time) (Session, error)
	// DeleteSession deletes the session whose hash is hash; deleting
	// one that is not there is no error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessions deletes every session of the account id.
	DeleteSessions(ctx context.Context, id string) error
}

var _ Accounts = (*Store)(nil)

// accounts is where the store keeps accounts: its shared store if that
// keeps them, else its own file (nil).
func (s *Store) accounts() Accounts {
	if a, ok := s.shared.(Accounts); ok {
		return a
	}
	return nil
}

// CheckAccount says what is missing from a, wrapped in [ErrBadAccount]:
// every implementation of [Accounts] refuses such an account.
func CheckAccount(a Account) error {
	if a.ID == "" || a.Skeleton == "" || a.Password == "" {
		return fmt.Errorf("%w: account %q without id, skeleton or password", ErrBadAccount, a.ID)
	}
	return nil
}

// CheckSession says what is missing from s, wrapped in [ErrBadAccount]:
// every implementation of [Accounts] refuses such a session.
func CheckSession(s Session) error {
	if s.Hash == "" || s.Account == "" || s.Expires.IsZero() {
		return fmt.Errorf("%w: session of %q without hash, account or expiry", ErrBadAccount, s.Account)
	}
	return nil
}
