package render

import (
	"strings"
	"testing"
	"time"
)

// FuzzQuoted checks that any pagelet id becomes one well-formed HTTP
// quoted-string (RFC 9110 §5.6.4) of printable ASCII, which unquotes to the
// id with every byte outside printable ASCII replaced by '?'.
func FuzzQuoted(f *testing.F) {
	for _, s := range []string{"", "news", `a"b\c`, "x\r\nSet-Cookie: y", "\x00\x7f\xff", "caf\u00e9", `"`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := string(appendQuoted(nil, s))
		if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
			t.Fatalf("%q: not quoted: %q", s, q)
		}
		var out strings.Builder
		body := q[1 : len(q)-1]
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("%q: byte %#x in %q", s, c, q)
			}
			switch c {
			case '"':
				t.Fatalf("%q: unescaped quote in %q", s, q)
			case '\\':
				i++
				if i == len(body) || (body[i] != '"' && body[i] != '\\') {
					t.Fatalf("%q: bad escape in %q", s, q)
				}
				out.WriteByte(body[i])
			default:
				out.WriteByte(c)
			}
		}
		want := []byte(s)
		for i, c := range want {
			if c < 0x20 || c >= 0x7f {
				want[i] = '?'
			}
		}
		if out.String() != string(want) {
			t.Fatalf("%q: unquotes to %q, want %q", s, out.String(), want)
		}
	})
}

// FuzzRequestID checks that an X-Request-Id is kept only when it is a short
// token that cannot forge a log field or a header.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc-123", "a b", "x\"y", "x\r\ny", strings.Repeat("a", 64), strings.Repeat("a", 65), "\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !saneID(s) {
			return
		}
		if len(s) == 0 || len(s) > 64 || strings.ContainsAny(s, " \"'=\\\r\n\t") {
			t.Fatalf("saneID(%q) = true", s)
		}
		for _, c := range []byte(s) {
			if c < 0x21 || c >= 0x7f {
				t.Fatalf("saneID(%q) = true with byte %#x", s, c)
			}
		}
	})
}

func TestAppendMillis(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{1500 * time.Microsecond, "1.5"},
		{2 * time.Second, "2000"},
		{1234567 * time.Nanosecond, "1.234"},
	}
	for _, tc := range tests {
		if got := string(appendMillis(nil, tc.d)); got != tc.want {
			t.Errorf("appendMillis(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
