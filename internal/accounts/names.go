package accounts

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Name limits, in characters (every allowed character is one byte).
const (
	MinName = 3
	MaxName = 30
)

// CheckName says what is wrong with name as a new account's name, for
// people, or "" if nothing is: 3 to 30 of the ASCII letters, digits, '-'
// and '_'. Anything else (a letter of another script, a look-alike from
// one, a bidirectional control, a space) is refused and named by its code
// point, so that the message shows it whatever it is.
func CheckName(name string) string {
	if !utf8.ValidString(name) {
		return "Your name is not valid UTF-8 text."
	}
	for _, r := range name {
		if !nameChar(r) {
			return fmt.Sprintf("Your name may use only the letters A to Z (either case), the digits 0 to 9, '-' and '_'; it contains %U, which is not one of them.", r)
		}
	}
	if n := len(name); n < MinName || n > MaxName {
		return fmt.Sprintf("Your name must be %d to %d characters long; it is %d.", MinName, MaxName, n)
	}
	return ""
}

func nameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// ID is the reader id of the account named name: the name folded to lower
// case. For a name [CheckName] accepts it holds only [a-z0-9_-], so it is
// safe in a channel name, a URL path or an attribute.
func ID(name string) string { return strings.ToLower(name) }

// skeletonChars maps the characters of a folded name that look like
// another to the one they stand for. The table:
//
//	0 → o      1, i → l      2 → z      5 → s      8 → b      _ → -
//
// and then, after it, the pairs that look like one letter:
//
//	rn → m     vv → w        cl → d
var skeletonChars = strings.NewReplacer("0", "o", "1", "l", "i", "l", "2", "z", "5", "s", "8", "b", "_", "-")

var skeletonPairs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")

// Skeleton is what no two accounts may share: the name folded to lower
// case, its look-alike characters mapped to one of each kind (see
// skeletonChars), until no pair is left to map. "ada", "Ada" and "ADA"
// share one; so do "bill", "Bi11", "b1ll" and "bili", "modern" and
// "rnodern", "a_b" and "a-b".
func Skeleton(name string) string {
	s := skeletonChars.Replace(ID(name))
	for {
		t := skeletonPairs.Replace(s)
		if t == s {
			return s
		}
		s = t
	}
}
