package accounts

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

type nameKey struct{}

// Middleware tells every request who its reader is: it looks the session
// cookie's hash up in the store and puts the reader ([pagelet.Reader]:
// the account's id and the session's hash, never the cookie's value) in
// the request's context with [pagelet.WithReader], and the account's name
// for [NameFrom]. Without a session, or with an unknown or expired one, the
// reader is anonymous; so it is when the store fails (logged), so that
// pages still render. Nothing else a client sends (a query, a header, a
// form field) names the reader.
func (a *Accounts) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess, ok := a.session(r); ok {
			ctx := pagelet.WithReader(r.Context(), pagelet.Reader{ID: sess.Account, Session: sess.Hash})
			r = r.WithContext(context.WithValue(ctx, nameKey{}, sess.Name))
		}
		next.ServeHTTP(w, r)
	})
}

// NameFrom returns the signed-in reader's account name as they wrote it
// (the reader id is it folded), or "" for an anonymous reader.
func NameFrom(ctx context.Context) string {
	if pagelet.ReaderFrom(ctx).Anonymous() {
		return ""
	}
	n, _ := ctx.Value(nameKey{}).(string)
	return n
}

// session returns r's live session, if it has one.
func (a *Accounts) session(r *http.Request) (store.Session, bool) {
	id := sessionID(r)
	if id == "" {
		return store.Session{}, false
	}
	sess, err := a.st.Session(r.Context(), sessionHash(id), a.now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && r.Context().Err() == nil {
			a.log.Error("accounts: session lookup", "err", err)
		}
		return store.Session{}, false
	}
	return sess, true
}

// Valid reports whether r may still act as who it says: true for the
// anonymous reader (nothing to revoke); for a signed-in one, true while
// its session exists, is unexpired and belongs to its account. It is
// what the live engine asks when a page's connection connects or
// refreshes. A store failure is an error, not a false, so that the caller
// can answer "try again" rather than "refused".
func (a *Accounts) Valid(ctx context.Context, r pagelet.Reader) (bool, error) {
	return valid(ctx, a.st, r, a.now())
}

// SessionCheck returns [Accounts.Valid] on st for a live engine made
// before the site's Accounts (live.WithSessions): it needs only the store.
func SessionCheck(st store.Accounts) func(ctx context.Context, r pagelet.Reader) (bool, error) {
	return func(ctx context.Context, r pagelet.Reader) (bool, error) { return valid(ctx, st, r, time.Now()) }
}

// valid reports whether r's session is in st and current at now.
func valid(ctx context.Context, st store.Accounts, r pagelet.Reader, now time.Time) (bool, error) {
	if r.Anonymous() {
		return true, nil
	}
	if r.Session == "" {
		return false, nil
	}
	sess, err := st.Session(ctx, r.Session, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return sess.Account == r.ID, nil
}
