package header

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNegotiateAvailability covers assets that lack a variant, which the
// fixtures of the black-box tests cannot produce on demand.
func TestNegotiateAvailability(t *testing.T) {
	all := Set{true, true, true}
	gzipOnly := Set{true, true, false}
	none := Set{true, false, false}
	tests := []struct {
		header string
		have   Set
		want   Coding
	}{
		{"br, gzip", all, Brotli},
		{"br, gzip", gzipOnly, Gzip},
		{"br", gzipOnly, Identity},
		{"br;q=1, gzip;q=0.1", gzipOnly, Gzip},
		{"*", gzipOnly, Gzip},
		{"br, gzip", none, Identity},
		{"identity;q=0", none, Identity},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			if got := Negotiate([]string{tc.header}, tc.have); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseQ(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1", 1000}, {"1.", 1000}, {"1.000", 1000}, {"0", 0}, {"0.", 0}, {"0.5", 500},
		{"0.25", 250}, {"0.125", 125}, {"0.001", 1},
		{"1.001", 0}, {"2", 0}, {"0.1234", 0}, {"-1", 0}, {".5", 0}, {"", 0}, {"1e0", 0}, {"0x1", 0},
	}
	for _, tc := range tests {
		if got := parseQ(tc.in); got != tc.want {
			t.Errorf("parseQ(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNegotiateAllocs(t *testing.T) {
	values := []string{"gzip;q=0.9, deflate, br;q=1.0, identity;q=0.1, *;q=0"}
	all := Set{true, true, true}
	if n := testing.AllocsPerRun(100, func() { Negotiate(values, all) }); n != 0 {
		t.Errorf("negotiate allocates %v times", n)
	}
}

// FuzzAcceptEncoding checks that negotiate never panics and never picks a
// Coding the header does not accept: one it names (or covers with "*") with
// no q-value that is zero or not a number, judged by a naive parser.
func FuzzAcceptEncoding(f *testing.F) {
	for _, s := range []string{
		"", "br", "gzip", "gzip, deflate, br, zstd", "gzip;q=0, br;q=0", "*", "*;q=0",
		"identity;q=0", "br;q=0.5, gzip;q=0.5", "x-gzip", "BR;Q=1", "br;q=1.5", "br;q=-0",
		"br;q=0x0p0", ",,;;==", "br;q", "gzip;q=0.001,*;q=0", "\xff", "br\t;\tq=0.9",
	} {
		f.Add(s)
	}
	all := Set{true, true, true}
	f.Fuzz(func(t *testing.T, header string) {
		got := Negotiate([]string{header}, all)
		switch got {
		case Identity:
			return
		case Gzip, Brotli:
		default:
			t.Fatalf("Negotiate(%q) = %d, not a Coding", header, got)
		}
		names := []string{got.String()}
		if got == Gzip {
			names = append(names, "x-gzip")
		}
		var own, star []bool // per element naming the Coding, or "*": is its weight positive?
		for _, elem := range strings.Split(header, ",") {
			name, params, _ := strings.Cut(elem, ";")
			name = strings.ToLower(strings.Trim(name, " \t"))
			switch {
			case slices.Contains(names, name):
				own = append(own, positiveWeight(params))
			case name == "*":
				star = append(star, positiveWeight(params))
			}
		}
		if len(own) > 0 && slices.Contains(own, false) {
			t.Fatalf("Negotiate(%q) = %v, which the header refuses", header, got)
		}
		if len(own) == 0 && (len(star) == 0 || slices.Contains(star, false)) {
			t.Fatalf("Negotiate(%q) = %v, which the header neither names nor covers with *", header, got)
		}
	})
}

// positiveWeight reports whether every q parameter in ";"-separated params
// is a number above zero (by strconv, not by the parser under test).
func positiveWeight(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.Trim(k, " \t"), "q") {
			if q, err := strconv.ParseFloat(strings.Trim(v, " \t"), 64); err != nil || q <= 0 {
				return false
			}
		}
	}
	return true
}

func TestListsToken(t *testing.T) {
	tests := []struct {
		values []string
		token  string
		want   bool
	}{
		{[]string{"Accept-Encoding"}, "accept-encoding", true},
		{[]string{"User-Agent, accept-encoding"}, "accept-encoding", true},
		{[]string{"User-Agent", " Accept-Encoding\t"}, "accept-encoding", true},
		{[]string{"Accept-Encodings"}, "accept-encoding", false},
		{[]string{"", ",,"}, "accept-encoding", false},
		{nil, "x", false},
	}
	for _, tc := range tests {
		if got := ListsToken(tc.values, tc.token); got != tc.want {
			t.Errorf("ListsToken(%q, %q) = %v, want %v", tc.values, tc.token, got, tc.want)
		}
	}
}
