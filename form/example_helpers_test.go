package form_test

import (
	"context"
	"io"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
)

// noteForm stands in for a templ component: the note form with its text,
// its error and the hidden fields.
func noteForm(text, msg string, hidden form.Fields) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, _ = io.WriteString(w, `<form method="post" action="/notes" data-bigpipe-form>`)
		if err := hidden.Render(ctx, w); err != nil {
			return err
		}
		attrs := ""
		if msg != "" {
			attrs = ` aria-invalid="true" aria-describedby="text-error"`
		}
		_, err := io.WriteString(w, `<textarea name="text"`+attrs+`>`+templ.EscapeString(text)+`</textarea>`)
		if msg != "" {
			_, err = io.WriteString(w, `<span id="text-error">`+templ.EscapeString(msg)+`</span>`)
		}
		_, _ = io.WriteString(w, `</form>`)
		return err
	})
}
