package accounts

import (
	"context"
	"html/template"
	"io"
	"net/http"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
)

// The forms, by [Form.Kind].
const (
	KindSignUp  = "signup"
	KindSignIn  = "signin"
	KindSignOut = "signout"
)

// Form is what the page of an account form shows ([WithPage]): the form,
// empty on a GET, or after a refused post the name as typed (never the
// password), each error next to its field and the summary.
type Form struct {
	Kind   string      // KindSignUp, KindSignIn or KindSignOut (a refused sign-out: Alert only)
	Fields form.Fields // the hidden token and submission id
	Name   string      // the name field's value
	Next   string      // where to go after: a local path
	Errors form.Errors // per field
	Alert  string      // why the post was refused
	Status int         // the answer's status: 200 on a GET
}

// Action is the path the form posts to.
func (f Form) Action() string { return "/account/" + f.Kind }

// SignUpPage answers "GET /account/signup": the sign-up form.
func (a *Accounts) SignUpPage(w http.ResponseWriter, r *http.Request) {
	a.showForm(w, r, Form{Kind: KindSignUp, Fields: a.signupForm.Fields(w, r), Next: cameFrom(r)})
}

// SignInPage answers "GET /account/signin": the sign-in form.
func (a *Accounts) SignInPage(w http.ResponseWriter, r *http.Request) {
	a.showForm(w, r, Form{Kind: KindSignIn, Fields: a.signinForm.Fields(w, r), Next: cameFrom(r)})
}

// showForm writes f's page, 200, not to be stored: it holds a token.
func (a *Accounts) showForm(w http.ResponseWriter, r *http.Request, f Form) {
	f.Status = http.StatusOK
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := a.page(r, f).Render(r.Context(), w); err != nil && r.Context().Err() == nil {
		a.log.Error("accounts: form page", "form", f.Kind, "err", err)
	}
}

// refused is the page of a refused post of the form kind: the form again,
// with the name typed and the errors, or just why for a post not read.
func (a *Accounts) refused(r *http.Request, kind string, fl *form.Failure) templ.Component {
	f := Form{Kind: kind, Fields: fl.Form, Errors: fl.Fields, Alert: fl.Message, Status: fl.Status, Next: "/"}
	if fl.Values != nil {
		f.Name, f.Next = fl.Values.Get("name"), LocalPath(fl.Values.Get(NextField))
	}
	return a.page(r, f)
}

// defaultPage is the bare page of a form without [WithPage].
func defaultPage(_ *http.Request, f Form) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return bareForm.Execute(w, f)
	})
}

var bareForm = template.Must(template.New("form").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Kind}}</title></head><body>
{{if .Alert}}<p role="alert">{{.Alert}}</p>{{end}}
{{if ne .Kind "signout"}}<form method="post" action="{{.Action}}">
<input type="hidden" name="_token" value="{{.Fields.Token}}"><input type="hidden" name="_submission" value="{{.Fields.ID}}">
<input type="hidden" name="next" value="{{.Next}}">
<label>Name <input name="name" value="{{.Name}}"></label> {{.Errors.Get "name"}}
<label>Password <input type="password" name="password"></label> {{.Errors.Get "password"}}
<button>Go</button></form>{{end}}
</body></html>`))
