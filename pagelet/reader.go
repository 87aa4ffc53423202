package pagelet

import "context"

// Reader is who a request is for: an account the site knows, by its id and
// the session the request carries, or nobody (the zero Reader, anonymous).
//
// The site decides it, from its session cookie, in a middleware that puts
// it in the request's context with [WithReader]; nothing a client sends
// besides the session (a query, a header, a form field) may name it. The
// renderer and package live read it from there: a pagelet's Load reads it
// with [ReaderFrom], and a page's live token binds it, so that the page's
// connection receives its reader's private channels and no one else's.
type Reader struct {
	// ID is the account's stable id, such as its user name folded to
	// lower case. Empty for an anonymous reader.
	ID string
	// Session identifies the session the request carries, so that a
	// session ended (signed out, revoked) ends what it granted: a live
	// connection checks it when it connects.
	Session string
}

// Anonymous reports whether r is nobody the site knows.
func (r Reader) Anonymous() bool { return r.ID == "" }

type readerKey struct{}

// WithReader returns a copy of ctx that carries r as the request's reader.
func WithReader(ctx context.Context, r Reader) context.Context {
	return context.WithValue(ctx, readerKey{}, r)
}

// ReaderFrom returns the reader ctx carries, or the anonymous Reader.
func ReaderFrom(ctx context.Context) Reader {
	r, _ := ctx.Value(readerKey{}).(Reader)
	return r
}
