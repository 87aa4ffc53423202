package pages

import (
	"context"
	"net/http"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// WithAccounts turns readers' accounts on ([accounts.New], kept in the
// site's store): the routes under /account/, the reader of every page and
// comment post from its session cookie, the account box in every page's
// masthead (a personal pagelet), and comments signed with the reader's
// name. opts add to the site's own (the CSRF token of [WithSecret], the
// form pages, the logger): [accounts.WithSignOut], say.
func WithAccounts(opts ...accounts.Option) Option {
	return func(s *Site) { s.accOn, s.accOpts = true, opts }
}

// WithOnReply sets what is done when a comment answering another is
// stored: reply answers to, whose Reader is its poster's reader id ("" for
// an anonymous one). It runs after the reply is stored and published, in
// the post's request (its context without the cancel). nil: nothing.
func WithOnReply(fn func(ctx context.Context, reply, to store.Comment)) Option {
	return func(s *Site) { s.onReply = fn }
}

// Accounts returns the site's accounts, for its middleware and
// [accounts.Accounts.Valid]; nil without [WithAccounts].
func (s *Site) Accounts() *accounts.Accounts { return s.acc }

// newAccounts makes the site's accounts, once its secret is known.
func (s *Site) newAccounts() {
	if !s.accOn {
		return
	}
	s.acc = accounts.New(s.st, append([]accounts.Option{
		accounts.WithToken(ClientCookie, s.secret),
		accounts.WithPage(s.accountPage),
		accounts.WithLogger(s.logger()),
	}, s.accOpts...)...)
}

// accountPage is the page of an account form, in the site's frame.
func (s *Site) accountPage(r *http.Request, f accounts.Form) templ.Component {
	c := chrome{Now: s.now(), Account: accountBox(readerName(r.Context()), f.Fields, f.Next)}
	return accountPage(c, s.cssURL(), f)
}

// accountTitle is the heading of the account form kind.
func accountTitle(kind string) string {
	switch kind {
	case accounts.KindSignUp:
		return "Sign up"
	case accounts.KindSignOut:
		return "Sign out"
	}
	return "Sign in"
}

// readerName is the name the account box shows for ctx's reader: the
// account's name, or "" for an anonymous reader.
func readerName(ctx context.Context) string {
	if r := pagelet.ReaderFrom(ctx); !r.Anonymous() {
		if n := accounts.NameFrom(ctx); n != "" {
			return n
		}
		return r.ID
	}
	return ""
}

// accountPagelets is the account box of a rendered page as a personal
// pagelet (none without accounts): the box depends on the reader, so a
// page holding it is not stored by shared caches. The sign-out form's
// fields are made here, in the request check, which may still set the
// form's cookie; the reader is read from the pagelet's own context.
func (s *Site) accountPagelets(w http.ResponseWriter, r *http.Request) []pagelet.Pagelet {
	if s.acc == nil {
		return nil
	}
	var fields form.Fields
	signedIn := !pagelet.ReaderFrom(r.Context()).Anonymous()
	if signedIn {
		fields = s.acc.SignOutFields(w, r)
	}
	next := returnPath(r)
	return []pagelet.Pagelet{{
		ID: "account",
		// Signed in, the box names its reader: the page is theirs alone.
		// Signed out, it is the same for everyone.
		Personal: signedIn,
		Timeout:  s.timeout,
		Load: func(ctx context.Context) (templ.Component, error) {
			return accountBox(readerName(ctx), fields, next), nil
		},
		Fallback: func(error) templ.Component { return accountBox("", form.Fields{}, next) },
	}}
}

// withAccountSlot places the account pagelet in c's masthead, when the
// site has accounts.
func (s *Site) withAccountSlot(c chrome, slot pagelet.Slot) chrome {
	if s.acc != nil {
		c.Account = slot("account")
	}
	return c
}

// plainAccountBox is the account box of a page rendered whole (the 404
// page), or nil without accounts.
func (s *Site) plainAccountBox(w http.ResponseWriter, r *http.Request) templ.Component {
	if s.acc == nil {
		return nil
	}
	name := readerName(r.Context())
	var fields form.Fields
	if name != "" {
		fields = s.acc.SignOutFields(w, r)
	}
	return accountBox(name, fields, returnPath(r))
}
