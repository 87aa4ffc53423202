package form

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Action runs one submission of a form: the site's part of a [Handler].
// It returns the [Result] of a success, or an error: [Errors] for field
// errors (the form is shown again, 422), an [*Error] for any other refusal
// with its status, or any other error for a failure of the site (500; it
// is logged, and the user is told to try again). The [Handler] runs it at
// most once per successful submission id while that success is
// remembered; it may run again after a failure, for the same id.
type Action func(ctx context.Context, s *Submission) (Result, error)

// Submission is one post of a form, checked and parsed.
type Submission struct {
	// Request is the POST, its body read. Use it for path values, the
	// client's address or cookies; its PostForm also holds the token and
	// submission id fields.
	Request *http.Request
	// Values are the posted fields, without [TokenField] and [IDField].
	Values url.Values
	// ID is the submission id ([IDField]): the same for every retry of one
	// submission, and a fresh one for the next. An action that stores
	// something can use it as its key, so that a retry the [Handler] no
	// longer remembers (after its TTL, or on another instance without a
	// shared [Replays]) still stores it once.
	ID string
}

// Result is the answer to a successful submission. The zero value is a
// JSON answer {"ok":true} with status 200, and 303 See Other to the page
// the form was on (the Referer, if it is this site's) for a plain post.
type Result struct {
	// Redirect is where a plain browser post is sent (303 See Other):
	// Post/Redirect/Get, so a reload does not post again. An empty
	// Redirect sends it back to the page the form was on.
	Redirect string `json:"redirect,omitempty"`
	// Follow tells the enhancer to go to Redirect too; otherwise it stays
	// on the page and resets the form.
	Follow bool `json:"follow,omitempty"`
	// Status is the JSON answer's status, such as 201; 0 means 200.
	Status int `json:"status,omitempty"`
	// Message is a line for people ("Posted."), shown by the enhancer in
	// the form's status element.
	Message string `json:"message,omitempty"`
	// Data is the JSON answer's payload, given to the enhancer's
	// "bigpipe:form-success" event as detail.data. It is marshalled once,
	// when the action returns; a replay sends the same bytes.
	Data any `json:"data,omitempty"`
}

// FieldError is what is wrong with one field.
type FieldError struct {
	Field   string // the field's name in the form
	Message string // for people: "Your name is empty."
}

// Errors are a submission's field errors, in the order of the form's
// fields. An [Action] returns them (as its error) to have the form shown
// again with each message next to its field. A nil or empty Errors is not
// an error: return [Errors.Err] to return nil when there is none.
type Errors []FieldError

// Error joins the messages.
func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, f := range e {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, " ")
}

// Err returns e as an error, or nil if it holds no error.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Get returns the message of field, or "".
func (e Errors) Get(field string) string {
	for _, f := range e {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// Error is a refusal of a whole submission: too many posts (429, with a
// Retry-After Header), a conflict (409), a thing not found (404). The
// Handler answers with Status, Header and Message, and remembers nothing:
// a retry runs the action again. The zero Status means 400.
type Error struct {
	Status  int
	Message string      // for people
	Header  http.Header // added to the answer, such as Retry-After
	Err     error       // the cause, if any, for errors.Is; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Failure is a post that was refused, as [WithErrorPage] renders it for a
// plain browser post.
type Failure struct {
	Status  int    // 4xx or 5xx
	Message string // the summary, for people
	// Fields are the field errors (Status 422), in the form's order.
	Fields Errors
	// Values are the posted fields without the token and submission id,
	// to fill the form again; nil when the body was not read (415, 413,
	// a cross-origin post).
	Values url.Values
	// Form holds the hidden fields to post the form again with: the same
	// submission id and a valid token. It is zero for a cross-origin post.
	Form Fields
}
