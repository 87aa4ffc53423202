package form

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
)

// exchange is one post being answered.
type exchange struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	json   bool       // the client asked for JSON
	form   bool       // the post passed the cross-origin check: a refusal may show the form
	values url.Values // the posted fields less ours; nil until read
	id     string     // the valid submission id, or ""
	// replayed: the answer is a stored one, for a retry (OutcomeReplayed)
	replayed bool
}

// okBody and failBody are the JSON answers.
type okBody struct {
	OK       bool            `json:"ok"`
	Message  string          `json:"message,omitempty"`
	Redirect string          `json:"redirect,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

type failBody struct {
	OK     bool              `json:"ok"`
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// encodeData marshals res.Data once, so that every answer to the
// submission, the first and its replays, sends the same bytes.
func encodeData(res Result) (Result, error) {
	if res.Data == nil {
		return res, nil
	}
	if _, ok := res.Data.(json.RawMessage); ok {
		return res, nil
	}
	b, err := json.Marshal(res.Data)
	if err != nil {
		return res, fmt.Errorf("form: result data: %w", err)
	}
	res.Data = json.RawMessage(b)
	return res, nil
}

// succeed answers a success: JSON, or 303 See Other.
func (x *exchange) succeed(res Result) {
	if x.replayed {
		x.h.observe(OutcomeReplayed)
	} else {
		x.h.observe(OutcomeDone)
	}
	if x.json {
		body := okBody{OK: true, Message: res.Message}
		if res.Follow {
			body.Redirect = res.Redirect
		}
		if raw, ok := res.Data.(json.RawMessage); ok {
			body.Data = raw
		}
		status := res.Status
		if status < 200 || status > 299 {
			status = http.StatusOK
		}
		writeJSON(x.w, status, body)
		return
	}
	to := res.Redirect
	if to == "" {
		to = x.back()
	}
	http.Redirect(x.w, x.r, to, http.StatusSeeOther)
}

// back is the page the form was posted from, if it is this site's (the
// Referer on this host), or else "/".
func (x *exchange) back() string {
	u, err := url.Parse(x.r.Referer())
	if err != nil || u.Host != x.r.Host || (u.Scheme != "http" && u.Scheme != "https") {
		return "/"
	}
	return u.RequestURI()
}

// fail answers a refusal: JSON, or the error page with the form.
func (x *exchange) fail(e *Error, fields Errors) {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	x.h.observe(outcomeOf(e, status))
	for k, vs := range e.Header {
		for _, v := range vs {
			x.w.Header().Add(k, v)
		}
	}
	if x.json {
		body := failBody{Error: e.Message}
		if len(fields) > 0 {
			body.Fields = make(map[string]string, len(fields))
			for _, f := range fields {
				if _, dup := body.Fields[f.Field]; !dup {
					body.Fields[f.Field] = f.Message
				}
			}
		}
		writeJSON(x.w, status, body)
		return
	}
	f := &Failure{Status: status, Message: e.Message, Fields: fields, Values: x.values}
	if x.form {
		f.Form = Fields{Token: x.h.token(x.w, x.r), ID: x.id}
		if f.Form.ID == "" {
			f.Form.ID = newID()
		}
	}
	var buf bytes.Buffer
	if x.h.page != nil {
		if err := x.h.page(x.r, f).Render(x.r.Context(), &buf); err != nil {
			x.h.log.Error("form: error page", "path", x.r.URL.Path, "err", err)
			buf.Reset()
		}
	}
	if buf.Len() == 0 {
		_ = defaultPage.Execute(&buf, f) // writes to memory; the data is ours
	}
	h := x.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	x.w.WriteHeader(status)
	_, _ = x.w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types: cannot happen
		http.Error(w, "form: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// defaultPage is the refusal page without WithErrorPage.
var defaultPage = template.Must(template.New("failure").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Not sent</title></head>
<body><main><h1>The form was not sent</h1>
<p role="alert">{{.Message}}</p>
{{if .Fields}}<ul>{{range .Fields}}<li>{{.Message}}</li>{{end}}</ul>{{end}}
<p>Your browser's Back button returns to the form, with what you typed.</p>
</main></body></html>
`))
