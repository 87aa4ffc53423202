package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// msgNameTaken is the field error of a name whose skeleton an account has.
const msgNameTaken = "That name is taken (or one that looks like it). Please choose another."

// signUp is the sign-up form's action: it checks the name and password,
// creates the account (unique by [Skeleton]), signs the browser in with a
// new session and sends it where it came from.
func (a *Accounts) signUp(ctx context.Context, sub *form.Submission) (form.Result, error) {
	name, password := sub.Values.Get("name"), sub.Values.Get("password")
	var errs form.Errors
	if msg := CheckName(name); msg != "" {
		errs = append(errs, form.FieldError{Field: "name", Message: msg})
	}
	if msg := CheckPassword(password); msg != "" {
		errs = append(errs, form.FieldError{Field: "password", Message: msg})
	}
	if errs != nil {
		return form.Result{}, errs
	}
	hash, err := a.hash.hash(ctx, password)
	if err != nil {
		return form.Result{}, err
	}
	acct := store.Account{ID: ID(name), Name: name, Skeleton: Skeleton(name), Password: hash, Created: a.now()}
	switch err := a.st.CreateAccount(ctx, acct); {
	case errors.Is(err, store.ErrNameTaken):
		return form.Result{}, form.Errors{{Field: "name", Message: msgNameTaken}}
	case err != nil:
		return form.Result{}, fmt.Errorf("accounts: sign up %q: %w", acct.ID, err)
	}
	if err := a.startSession(ctx, sub, acct); err != nil {
		return form.Result{}, err
	}
	return form.Result{Redirect: LocalPath(sub.Values.Get(NextField)), Follow: true, Message: "Welcome, " + name + "."}, nil
}
