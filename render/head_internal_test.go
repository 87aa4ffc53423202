package render

import (
	"html"
	"net/url"
	"testing"
)

// FuzzAppendQueryEscaped holds appendQueryEscaped to url.QueryEscape.
func FuzzAppendQueryEscaped(f *testing.F) {
	for _, s := range []string{"/bench?delays=0,0&mode=pipelined", "/a b/ü?q=<x>&y=\"z\"", "", "~-_.", "\x00\xff%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQueryEscaped([]byte("x"), s)), "x"+url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscaped(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzAppendRequestURIEscaped holds appendRequestURIEscaped to
// url.QueryEscape of the URL's RequestURI.
func FuzzAppendRequestURIEscaped(f *testing.F) {
	for _, s := range []string{"/bench?delays=0,0&mode=pipelined", "/a%20b/%C3%BC?q=%3Cx%3E", "/p?", "", "*", "mailto:x@y", "/a b?c d", "//x/y?z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		if got, want := string(appendRequestURIEscaped([]byte("x"), u)), "x"+url.QueryEscape(u.RequestURI()); got != want {
			t.Errorf("appendRequestURIEscaped(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestAppendHTMLEscaped holds appendHTMLEscaped to html.EscapeString.
func TestAppendHTMLEscaped(t *testing.T) {
	for _, s := range []string{"", "p0", "/static/css/a.css", `a<b>&'"c`, "ü&", "<", "x\x00y"} {
		if got, want := string(appendHTMLEscaped([]byte("x"), s)), "x"+html.EscapeString(s); got != want {
			t.Errorf("appendHTMLEscaped(%q) = %q, want %q", s, got, want)
		}
	}
}
