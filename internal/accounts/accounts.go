package accounts

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Accounts is the demo site's accounts: its forms, its sessions and the
// middleware that tells every request who its reader is. Create it with
// [New]; it is safe for concurrent use.
type Accounts struct {
	st      store.Accounts
	now     func() time.Time
	ttl     time.Duration
	log     *slog.Logger
	page    func(r *http.Request, f Form) templ.Component
	signOut func(ctx context.Context, r pagelet.Reader)

	cookie string // the CSRF token's cookie (WithToken)
	secret []byte

	hash             *hasher
	dummy            string // a hash to verify against when the name is unknown
	byAddr, byName   *failures
	addrMax, nameMax int
	window           time.Duration
	keys             int

	signupForm, signinForm, signoutForm *form.Handler
}

// Option configures [New].
type Option func(*Accounts)

// WithNow sets the clock sessions expire by. The default is [time.Now].
func WithNow(now func() time.Time) Option { return func(a *Accounts) { a.now = now } }

// WithSessionTTL sets how long a session lasts ([DefaultSessionTTL]).
func WithSessionTTL(d time.Duration) Option {
	return func(a *Accounts) {
		if d > 0 {
			a.ttl = d
		}
	}
}

// WithLogger sets where failures the reader is not told of are logged
// (slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *Accounts) { a.log = l } }

// WithToken sets the forms' CSRF token: the HMAC keyed by secret of the
// browser's cookie named cookie ([form.WithToken]). Every instance must
// share secret. Without it the forms use the cookie "dp_client" and a
// random secret.
func WithToken(cookie string, secret []byte) Option {
	return func(a *Accounts) { a.cookie, a.secret = cookie, append([]byte(nil), secret...) }
}

// WithPage sets the whole page each form is shown on ([Form]), on a GET
// and when a post is refused. The default is a bare page without the
// site's frame.
func WithPage(page func(r *http.Request, f Form) templ.Component) Option {
	return func(a *Accounts) { a.page = page }
}

// WithSignOut sets what is done when a reader signs out, after their
// session is deleted: the site closes that reader's live connections, say.
// It runs in the request, with its context; nil (the default) does nothing.
func WithSignOut(fn func(ctx context.Context, r pagelet.Reader)) Option {
	return func(a *Accounts) { a.signOut = fn }
}

// WithSignInLimits sets how many failed sign-ins a client address and an
// account name may make within window before they are refused (429) until
// it ends, and how many addresses and names are remembered (the oldest go
// first). A limit of zero turns that limit off. Defaults:
// [DefaultAddressFailures], [DefaultNameFailures],
// [DefaultFailureWindow], [DefaultLimitKeys].
func WithSignInLimits(perAddress, perName int, window time.Duration, keys int) Option {
	return func(a *Accounts) { a.addrMax, a.nameMax, a.window, a.keys = perAddress, perName, window, keys }
}

// New returns the accounts kept in st.
func New(st store.Accounts, opts ...Option) *Accounts {
	a := &Accounts{st: st, now: time.Now, ttl: DefaultSessionTTL, log: slog.Default(), page: defaultPage,
		cookie: "dp_client", addrMax: DefaultAddressFailures, nameMax: DefaultNameFailures,
		window: DefaultFailureWindow, keys: DefaultLimitKeys}
	for _, o := range opts {
		o(a)
	}
	a.byAddr = newFailures(a.addrMax, a.window, a.keys)
	a.byName = newFailures(a.nameMax, a.window, a.keys)
	a.hash = newHasher(runtime.GOMAXPROCS(0))
	a.dummy = dummyHash()
	a.signupForm = a.newForm(a.signUp, "signup")
	a.signinForm = a.newForm(a.signIn, "signin")
	a.signoutForm = a.newForm(a.signOutAction, "signout")
	return a
}

// newForm is the handler of one of the forms. Successes are not replayed
// (form.WithReplays(nil)): each sign-in must make its own session and set
// its cookie, which a replayed answer would not carry.
func (a *Accounts) newForm(action form.Action, kind string) *form.Handler {
	return form.New(action,
		form.WithToken(a.cookie, a.secret),
		form.WithReplays(nil),
		form.WithMaxBytes(8<<10),
		form.WithErrorPage(func(r *http.Request, f *form.Failure) templ.Component { return a.refused(r, kind, f) }),
		form.WithLogger(a.log))
}

// Routes adds the account routes to mux: GET and POST /account/signup and
// /account/signin, POST /account/signout. wrap wraps each (the site's
// middleware, [Accounts.Middleware] among it).
func (a *Accounts) Routes(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /account/signup", wrap(http.HandlerFunc(a.SignUpPage)))
	mux.Handle("POST /account/signup", wrap(a.withWriter(a.signupForm)))
	mux.Handle("GET /account/signin", wrap(http.HandlerFunc(a.SignInPage)))
	mux.Handle("POST /account/signin", wrap(a.withWriter(a.signinForm)))
	mux.Handle("POST /account/signout", wrap(a.withWriter(a.signoutForm)))
}

// SignOutFields are the hidden fields of a sign-out form for r's browser
// (see [form.Handler.Fields]: call it before the page's first byte).
func (a *Accounts) SignOutFields(w http.ResponseWriter, r *http.Request) form.Fields {
	return a.signoutForm.Fields(w, r)
}

type writerKey struct{}

// withWriter gives the form's action the response writer through the
// request's context, so that it can set the session cookie on the answer
// the form handler writes after it.
func (a *Accounts) withWriter(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), writerKey{}, w)))
	})
}

// writer is the response writer withWriter put in ctx.
func writer(ctx context.Context) http.ResponseWriter {
	w, _ := ctx.Value(writerKey{}).(http.ResponseWriter)
	return w
}
