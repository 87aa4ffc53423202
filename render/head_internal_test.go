package render

import (
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
