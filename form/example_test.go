package form_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
)

// ExampleNew answers a note form: a field error, a success for a plain
// browser (303) and for the enhancer (JSON), and a replay of that success.
func ExampleNew() {
	save := func(ctx context.Context, s *form.Submission) (form.Result, error) {
		text := strings.TrimSpace(s.Values.Get("text"))
		if text == "" {
			return form.Result{}, form.Errors{{Field: "text", Message: "Your note is empty."}}
		}
		// Store the note keyed by s.ID, so that even a retry the handler
		// no longer remembers is stored once.
		return form.Result{Redirect: "/notes", Status: http.StatusCreated, Message: "Saved.", Data: map[string]string{"id": s.ID}}, nil
	}
	h := form.New(save)

	post := func(text, id string, json bool) {
		body := url.Values{"text": {text}, form.IDField: {id}}.Encode()
		r := httptest.NewRequest("POST", "/notes", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if json {
			r.Header.Set("Accept", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Header().Get("Location")+" "+w.Body.String()))
	}
	post("", "note-00000001", true)
	post("Buy milk", "note-00000001", false)
	post("Buy milk", "note-00000001", true) // a retry: the first answer, the action not run
	// Output:
	// 422 {"ok":false,"error":"Your note is empty.","fields":{"text":"Your note is empty."}}
	// 303 /notes
	// 201 {"ok":true,"message":"Saved.","data":{"id":"note-00000001"}}
}

// ExampleHandler_Fields renders a form's hidden fields with a CSRF token
// bound to a cookie: call it in the page's request check, before the
// first byte, since it may set the cookie.
func ExampleHandler_Fields() {
	h := form.New(func(context.Context, *form.Submission) (form.Result, error) { return form.Result{}, nil },
		form.WithToken("client", []byte("shared by every instance")))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/notes", nil)
	f := h.Fields(w, r)
	var b strings.Builder
	_ = f.Render(r.Context(), &b)
	fmt.Println(strings.Count(b.String(), `type="hidden"`), strings.HasPrefix(w.Header().Get("Set-Cookie"), "client="))
	// Output: 2 true
}

// ExampleErrors collects field errors in the form's order and returns
// them only if there are any.
func ExampleErrors() {
	check := func(name, email string) error {
		var errs form.Errors
		if name == "" {
			errs = append(errs, form.FieldError{Field: "name", Message: "Your name is empty."})
		}
		if !strings.Contains(email, "@") {
			errs = append(errs, form.FieldError{Field: "email", Message: "That is not an e-mail address."})
		}
		return errs.Err()
	}
	fmt.Println(check("Ada", "ada@example.org"))
	fmt.Println(check("", "ada"))
	// Output:
	// <nil>
	// Your name is empty. That is not an e-mail address.
}

// ExampleWithErrorPage shows the form again to a plain browser whose post
// was refused, with what was typed and the errors.
func ExampleWithErrorPage() {
	page := func(r *http.Request, f *form.Failure) templ.Component {
		return noteForm(f.Values.Get("text"), f.Fields.Get("text"), f.Form)
	}
	h := form.New(func(context.Context, *form.Submission) (form.Result, error) {
		return form.Result{}, form.Errors{{Field: "text", Message: "Too short."}}
	}, form.WithErrorPage(page))
	r := httptest.NewRequest("POST", "/notes", strings.NewReader("text=hi&_submission=note-00000002"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output: 422 <form method="post" action="/notes" data-bigpipe-form><input type="hidden" name="_submission" value="note-00000002"><textarea name="text" aria-invalid="true" aria-describedby="text-error">hi</textarea><span id="text-error">Too short.</span></form>
}
