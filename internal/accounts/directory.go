package accounts

import (
	"context"
	"errors"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Directory looks accounts up by name, ignoring case: the readers a
// message may go to (the demo's pages.Directory).
type Directory struct{ st store.Accounts }

// NewDirectory returns the directory of the accounts in st.
func NewDirectory(st store.Accounts) Directory { return Directory{st: st} }

// Lookup returns the reader id and display name of the account named name,
// ignoring case, or ok false if there is none (or name could not be one).
func (d Directory) Lookup(ctx context.Context, name string) (id, display string, ok bool, err error) {
	if CheckName(name) != "" {
		return "", "", false, nil
	}
	a, err := d.st.Account(ctx, ID(name))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", "", false, nil
	case err != nil:
		return "", "", false, err
	}
	return a.ID, a.Name, true, nil
}
