package pages

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestHighlight(t *testing.T) {
	tests := []struct {
		s, q string
		want string // matches in [brackets]
	}{
		{"Rail bill passes", "rail", "[Rail] bill passes"},
		{"rail and RAIL", "Rail", "[rail] and [RAIL]"},
		{"no match", "xyz", "no match"},
		{"anything", "", "anything"},
		{"anything", "   ", "anything"},
		{"  padded ", " padded ", "  [padded] "},
		{"36°C heat", "°c", "36[°C] heat"},
		{"", "a", ""},
		{"aaa", "aa", "[aa]a"},
		{"bad \xff byte", "byte", "bad \xff byte"},
	}
	for _, tc := range tests {
		t.Run(tc.s+"/"+tc.q, func(t *testing.T) {
			var b strings.Builder
			for _, seg := range highlight(tc.s, tc.q) {
				if seg.Match {
					b.WriteString("[" + seg.Text + "]")
				} else {
					b.WriteString(seg.Text)
				}
			}
			if got := b.String(); got != tc.want {
				t.Errorf("highlight(%q, %q) = %q, want %q", tc.s, tc.q, got, tc.want)
			}
		})
	}
}

func FuzzHighlight(f *testing.F) {
	for _, s := range [][2]string{{"Rail bill", "rail"}, {"İstanbul", "i"}, {"\xff", "\xff"}, {"KELVIN K", "k"}, {"ǅ", "ǆ"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, q string) {
		var b strings.Builder
		for _, seg := range highlight(s, q) {
			if seg.Match && (seg.Text == "" || !utf8.ValidString(seg.Text)) {
				t.Fatalf("bad match segment %q", seg.Text)
			}
			b.WriteString(seg.Text)
		}
		if b.String() != s {
			t.Fatalf("segments join to %q, want %q", b.String(), s)
		}
	})
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want bool
	}{{0, true}, {2*time.Hour + 59*time.Minute, true}, {3 * time.Hour, false}, {48 * time.Hour, false}, {-time.Minute, true}} {
		if got := fresh(now.Add(-tc.ago), now); got != tc.want {
			t.Errorf("fresh(now-%v): got %v, want %v", tc.ago, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(-1234), "-1,234"},
		{decimal(8412.35, 2), "8,412.35"},
		{decimal(1234.5, 1), "1,234.5"},
		{decimal(-0.001, 2), "0.00"},
		{decimal(-1.5, 1), "−1.5"},
		{signed(0.68, 2), "+0.68"},
		{signed(-0.68, 2), "−0.68"},
		{signed(0, 2), "0.00"},
		{trend(1), "up"},
		{trend(-1), "down"},
		{trend(0), "flat"},
		{searchURL("a b&c"), "/search?q=a+b%26c"},
		{sparkline([]float64{1}, 80, 24), ""},
		{sparkline([]float64{1, 2}, 80, 24), "0.0,23.0 80.0,1.0"},
		{sparkline([]float64{5, 5}, 80, 24), "0.0,23.0 80.0,23.0"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}
