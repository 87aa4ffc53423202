package accounts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// msgWrong is the one answer to a sign-in with an unknown name or a wrong
// password: the same words, status and field, after the same work.
const msgWrong = "That name and password do not match an account."

// signIn is the sign-in form's action. A client address or a name that
// failed too often lately is refused (429 with Retry-After) before any
// password is hashed. An unknown name is verified against a dummy hash,
// so that it takes as long as a wrong password, and gets the same answer.
// A success makes a new session (the old one, if any, is ended): no
// session id the browser had before signing in is ever made valid.
func (a *Accounts) signIn(ctx context.Context, sub *form.Submission) (form.Result, error) {
	name, password := sub.Values.Get("name"), sub.Values.Get("password")
	id, addr, now := ID(name), clientAddress(sub.Request), a.now()
	if err := a.limited(addr, id); err != nil {
		return form.Result{}, err
	}
	acct, err := a.st.Account(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return form.Result{}, fmt.Errorf("accounts: sign in: %w", err)
	}
	encoded := a.dummy
	if known {
		encoded = acct.Password
	}
	if len(password) > MaxPassword {
		password = password[:MaxPassword] // refused below either way; hashed within bounds
		known = false
	}
	ok, err := a.hash.verify(ctx, encoded, password)
	if err != nil {
		return form.Result{}, fmt.Errorf("accounts: sign in %q: %w", id, err)
	}
	if !ok || !known || CheckName(name) != "" {
		a.byAddr.fail(addr, now)
		a.byName.fail(id, now)
		return form.Result{}, form.Errors{{Field: "password", Message: msgWrong}}
	}
	a.byName.forget(id)
	if err := a.startSession(ctx, sub, acct); err != nil {
		return form.Result{}, err
	}
	return form.Result{Redirect: LocalPath(sub.Values.Get(NextField)), Follow: true, Message: "Signed in."}, nil
}

// limited refuses a sign-in from addr or for the reader id that failed too
// often lately.
func (a *Accounts) limited(addr, id string) error {
	now := a.now()
	wait, blocked := a.byAddr.blocked(addr, now)
	if w, b := a.byName.blocked(id, now); b {
		wait, blocked = max(wait, w), true
	}
	if !blocked {
		return nil
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	return &form.Error{Status: http.StatusTooManyRequests,
		Header:  http.Header{"Retry-After": {strconv.Itoa(secs)}},
		Message: fmt.Sprintf("Too many failed sign-ins. Please wait %d seconds and try again.", secs)}
}

// startSession makes a new session for acct and gives its id to the
// browser in the session cookie, ending the browser's last session if it
// had one: an id is never carried over from before.
func (a *Accounts) startSession(ctx context.Context, sub *form.Submission, acct store.Account) error {
	if old := sessionID(sub.Request); old != "" {
		if err := a.st.DeleteSession(ctx, sessionHash(old)); err != nil {
			return fmt.Errorf("accounts: end the last session: %w", err)
		}
	}
	id, now := newSessionID(), a.now()
	sess := store.Session{Hash: sessionHash(id), Account: acct.ID, Name: acct.Name, Created: now, Expires: now.Add(a.ttl)}
	if err := a.st.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("accounts: new session of %q: %w", acct.ID, err)
	}
	if w := writer(ctx); w != nil {
		setSessionCookie(w, sub.Request, id, a.ttl)
	}
	return nil
}

// clientAddress is the address sign-ins count against: the peer's IP
// (behind trusted proxies, the site's middleware has made it the client's).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
