package accounts

import (
	"context"
	"fmt"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// signOutAction is the sign-out form's action: it deletes the browser's
// session from the store (so its id, and every live token minted for it,
// stops working on every instance), clears the cookie, tells the site
// ([WithSignOut]) and sends the browser back where it came from.
func (a *Accounts) signOutAction(ctx context.Context, sub *form.Submission) (form.Result, error) {
	r := pagelet.ReaderFrom(ctx)
	if id := sessionID(sub.Request); id != "" {
		hash := sessionHash(id)
		if err := a.st.DeleteSession(ctx, hash); err != nil {
			return form.Result{}, fmt.Errorf("accounts: sign out: %w", err)
		}
		if r.Anonymous() || r.Session != hash {
			r = pagelet.Reader{} // the middleware did not vouch for this cookie: nobody to tell of
		}
	}
	if w := writer(ctx); w != nil {
		clearSessionCookie(w, sub.Request)
	}
	if a.signOut != nil && !r.Anonymous() {
		a.signOut(ctx, r)
	}
	next := sub.Values.Get(NextField)
	if next == "" {
		return form.Result{Message: "Signed out.", Follow: true}, nil // back to the page the form was on
	}
	return form.Result{Redirect: LocalPath(next), Follow: true, Message: "Signed out."}, nil
}
