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

// unknownKey marks a request whose session could not be checked.
type unknownKey struct{}

// sessionTimeout bounds the session lookup of each request: a store that
// does not answer (a stalled database) leaves the reader unknown rather
// than the page waiting.
const sessionTimeout = time.Second

// Middleware tells every request who its reader is: it looks the session
// cookie's hash up in the store and puts the reader ([pagelet.Reader]:
// the account's id and the session's hash, never the cookie's value) in
// the request's context with [pagelet.WithReader], and the account's name
// for [NameFrom]. Without a session, or with an unknown or expired one, the
// reader is anonymous; so it is when the store fails or does not answer
// within a second (logged), so that pages still render, and the request is
// marked [SessionUnknown], so that a post is refused with "try again"
// rather than made anonymously. Nothing else a client sends (a query, a
// header, a form field) names the reader.
func (a *Accounts) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch sess, ok, err := a.session(r); {
		case ok:
			ctx := pagelet.WithReader(r.Context(), pagelet.Reader{ID: sess.Account, Session: sess.Hash})
			r = r.WithContext(context.WithValue(ctx, nameKey{}, sess.Name))
		case err != nil:
			r = r.WithContext(context.WithValue(r.Context(), unknownKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// SessionUnknown reports whether ctx's request carried a session cookie
// that [Accounts.Middleware] could not check (the store failed): its
// reader is anonymous for the pages, but a post must not be made as one.
func SessionUnknown(ctx context.Context) bool {
	u, _ := ctx.Value(unknownKey{}).(bool)
	return u
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

// session returns r's live session, if it has one, and the store's error
// if it could not tell.
func (a *Accounts) session(r *http.Request) (store.Session, bool, error) {
	id := sessionID(r)
	if id == "" {
		return store.Session{}, false, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), sessionTimeout)
	defer cancel()
	sess, err := a.st.Session(ctx, sessionHash(id), a.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Session{}, false, nil
	case err != nil:
		if r.Context().Err() == nil {
			a.log.Error("accounts: session lookup", "err", err)
		}
		return store.Session{}, false, err
	}
	return sess, true, nil
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
