package accounts_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bigpipe-go/bigpipe/internal/accounts"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		says string
	}{
		{"Ada", true, ""},
		{"ada_lovelace-1815", true, ""},
		{strings.Repeat("a", 30), true, ""},
		{"ab", false, "3 to 30"},
		{strings.Repeat("a", 31), false, "3 to 30"},
		{"", false, "3 to 30"},
		{"Adа", false, "U+0430"},       // Cyrillic a
		{"ad\u202ea", false, "U+202E"}, // bidi override
		{"ad\u200ba", false, "U+200B"}, // zero-width space
		{"a da", false, "U+0020"},
		{"ada!", false, "U+0021"},
		{"<script>", false, "U+003C"},
		{"ad\xffa", false, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := accounts.CheckName(tc.name)
			if (got == "") != tc.ok || !strings.Contains(got, tc.says) {
				t.Errorf("CheckName(%q) = %q, want ok=%v saying %q", tc.name, got, tc.ok, tc.says)
			}
		})
	}
}

// TestSkeleton: names that differ by case or look-alikes share a skeleton;
// others do not.
func TestSkeleton(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Ada", "ADA", true},
		{"bill", "Bi11", true},
		{"bill", "b1ll", true},
		{"bill", "bIll", true},
		{"modern", "rnodern", true},
		{"swan", "svvan", true},
		{"foo", "f00", true},
		{"sam", "5am", true},
		{"a_b", "a-b", true},
		{"dean", "clean", true},
		{"ada", "adb", false},
		{"bill", "ball", false},
	} {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			if got := accounts.Skeleton(tc.a) == accounts.Skeleton(tc.b); got != tc.same {
				t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q; same = %v, want %v",
					tc.a, accounts.Skeleton(tc.a), tc.b, accounts.Skeleton(tc.b), got, tc.same)
			}
		})
	}
}

// FuzzName: a name CheckName accepts has an id of [a-z0-9_-] only, and a
// skeleton that is its own skeleton and the same for every case of it.
func FuzzName(f *testing.F) {
	for _, s := range []string{"Ada", "rnrn", "vvv", "Bi11", "a_b-c", "\u202eevil", "</script>", "\xff", "ⅠⅠⅠ", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		msg := accounts.CheckName(name)
		if !utf8.ValidString(msg) {
			t.Fatalf("CheckName(%q) = %q: not UTF-8", name, msg)
		}
		if msg != "" {
			return
		}
		id := accounts.ID(name)
		if strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" || len(id) != len(name) {
			t.Fatalf("ID(%q) = %q", name, id)
		}
		sk := accounts.Skeleton(name)
		if accounts.Skeleton(sk) != sk || accounts.Skeleton(strings.ToUpper(name)) != sk || sk == "" {
			t.Fatalf("Skeleton(%q) = %q, of itself %q, of upper %q", name, sk, accounts.Skeleton(sk), accounts.Skeleton(strings.ToUpper(name)))
		}
	})
}
