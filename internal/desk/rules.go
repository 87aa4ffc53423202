package desk

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bigpipe-go/bigpipe/internal/accounts"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Limits of one editor's rules.
const (
	MaxWords      = 100 // words or phrases
	MaxWordLen    = 80  // runes in one
	MaxWordTokens = 8   // words in one phrase
	MaxAuthors    = 100
	MaxField      = 16 << 10 // bytes of the words or authors field as posted
)

// Problem is what is wrong with one field of the rules form.
type Problem struct{ Field, Message string }

// Form is the rules form as posted: words one per line, sections and
// authors each a list (one value per checkbox, or values separated by
// commas or line breaks).
type Form struct {
	Words       string
	Sections    []string
	Authors     string
	NewAccounts bool
	Links       bool
}

// Parse checks the rules form f of editor and returns the rules it says,
// normalised (each word or phrase its tokens in lower case, one space
// between; each author lower-cased; duplicates dropped, first kept), or
// the problems found, one per field at most.
func Parse(editor string, f Form) (store.Rules, []Problem) {
	r := store.Rules{Editor: editor, NewAccounts: f.NewAccounts, Links: f.Links}
	var probs []Problem
	var msg string
	if r.Words, msg = parseWords(f.Words); msg != "" {
		probs = append(probs, Problem{"words", msg})
	}
	if r.Sections, msg = parseSections(f.Sections); msg != "" {
		probs = append(probs, Problem{"sections", msg})
	}
	if r.Authors, msg = parseAuthors(f.Authors); msg != "" {
		probs = append(probs, Problem{"authors", msg})
	}
	return r, probs
}

// checkText says what is wrong with a field's raw text, or "".
func checkText(what, v string) string {
	switch {
	case len(v) > MaxField:
		return fmt.Sprintf("The %s are %d bytes long; at most %d are allowed.", what, len(v), MaxField)
	case !utf8.ValidString(v):
		return fmt.Sprintf("The %s are not valid UTF-8 text.", what)
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
	}); i >= 0 {
		return fmt.Sprintf("The %s contain a control character (%U), which is not allowed.", what, []rune(v[i:])[0])
	}
	return ""
}

func parseWords(v string) ([]string, string) {
	if msg := checkText("words", v); msg != "" {
		return nil, msg
	}
	var out []string
	for line := range strings.Lines(v) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if n := utf8.RuneCountInString(line); n > MaxWordLen {
			return nil, fmt.Sprintf("%q is %d characters long; a word or phrase may have at most %d.", shorten(line), n, MaxWordLen)
		}
		toks := Tokens(line)
		switch {
		case len(toks) == 0:
			return nil, fmt.Sprintf("%q has no letter or digit: a rule matches words, not punctuation.", line)
		case len(toks) > MaxWordTokens:
			return nil, fmt.Sprintf("%q has %d words; a phrase may have at most %d.", shorten(line), len(toks), MaxWordTokens)
		}
		if w := strings.Join(toks, " "); !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if len(out) > MaxWords {
		return nil, fmt.Sprintf("There are %d words or phrases; at most %d are allowed.", len(out), MaxWords)
	}
	return out, ""
}

func parseSections(vs []string) ([]string, string) {
	var out []string
	for _, v := range vs {
		for s := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			if !slices.Contains(store.Sections(), s) {
				return nil, fmt.Sprintf("%q is not a section; the sections are %s.", shorten(s), strings.Join(store.Sections(), ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, ""
}

func parseAuthors(v string) ([]string, string) {
	if msg := checkText("authors", v); msg != "" {
		return nil, msg
	}
	var out []string
	for a := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if msg := accounts.CheckName(a); msg != "" {
			return nil, fmt.Sprintf("The author %q is not an account name: %s", shorten(a), strings.Replace(msg, "Your name", "A name", 1))
		}
		if id := strings.ToLower(a); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > MaxAuthors {
		return nil, fmt.Sprintf("There are %d authors; at most %d are allowed.", len(out), MaxAuthors)
	}
	return out, ""
}

// shorten cuts s to 40 runes, for a message.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:39]) + "…"
}

// Tokens returns s's tokens, runs of letters, digits and combining
// marks, in lower case.
func Tokens(s string) []string {
	var out []string
	for _, t := range tokenize(s, nil) {
		out = append(out, t.norm)
	}
	return out
}

// token is one token of a text: its bytes [start, end) and its folded
// form.
type token struct {
	start, end int
	norm       string
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// tokenize appends s's tokens to buf. A token already in lower case is a
// substring of s (no allocation).
func tokenize(s string, buf []token) []token {
	start := -1
	lower := true
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start, lower = i, true
			}
			if unicode.ToLower(r) != r {
				lower = false
			}
			continue
		}
		if start >= 0 {
			buf = append(buf, newToken(s, start, i, lower))
			start = -1
		}
	}
	if start >= 0 {
		buf = append(buf, newToken(s, start, len(s), lower))
	}
	return buf
}

func newToken(s string, start, end int, lower bool) token {
	t := token{start: start, end: end, norm: s[start:end]}
	if !lower {
		t.norm = strings.ToLower(t.norm)
	}
	return t
}
