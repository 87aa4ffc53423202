package query

import (
	"net/url"
	"testing"
)

func TestGet(t *testing.T) {
	for _, tc := range []struct {
		raw, name, want string
		ok              bool
	}{
		{"delays=0,0&mode=pipelined&cache=1", "mode", "pipelined", true},
		{"delays=0,0&mode=pipelined&cache=1", "cache", "1", true},
		{"delays=0,0&mode=pipelined", "cache", "", false},
		{"mode=a&mode=b", "mode", "a", true},
		{"mode", "mode", "", true},
		{"mode=&x=1", "mode", "", true},
		{"m%6Fde=inorder", "mode", "inorder", true},
		{"mode=in+order%21", "mode", "in order!", true},
		{"mode=%zz&mode=serial", "mode", "serial", true}, // a bad escape is skipped
		{"mode=a;b&mode=serial", "mode", "serial", true}, // so is a semicolon
		{"&&mode=native&", "mode", "native", true},
		{"", "mode", "", false},
	} {
		v, ok := Get(tc.raw, tc.name)
		if v != tc.want || ok != tc.ok {
			t.Errorf("Get(%q, %q) = %q, %v; want %q, %v", tc.raw, tc.name, v, ok, tc.want, tc.ok)
		}
	}
}

// FuzzGet checks queryParam against url.ParseQuery's first value.
func FuzzGet(f *testing.F) {
	for _, s := range []string{"delays=0,0&mode=pipelined&cache=1", "mode=%zz&mode=a", "m%6Fde=a+b", "a;b=c&mode=1", "mode"} {
		f.Add(s, "mode")
	}
	f.Fuzz(func(t *testing.T, raw, name string) {
		q, _ := url.ParseQuery(raw)
		vs, wantOK := q[name]
		want := ""
		if wantOK {
			want = vs[0]
		}
		if v, ok := Get(raw, name); v != want || ok != wantOK {
			t.Errorf("Get(%q, %q) = %q, %v; ParseQuery gives %q, %v", raw, name, v, ok, want, wantOK)
		}
	})
}
