package desk_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/desk"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

func TestMatch(t *testing.T) {
	m := desk.Compile([]store.Rules{
		{Editor: "words", Words: []string{"spam", "buy now", "crème brûlée"}},
		{Editor: "tech-words", Words: []string{"spam"}, Sections: []string{"tech"}},
		{Editor: "finance", Sections: []string{"finance"}},
		{Editor: "authors", Authors: []string{"mallory"}},
		{Editor: "new", NewAccounts: true},
		{Editor: "links", Links: true},
		{Editor: "none"},
	})
	for _, tc := range []struct {
		name  string
		c     desk.Comment
		want  []string // editors
		words []string // the first editor's
		marks []string // the first editor's marked text
	}{
		{"word", desk.Comment{Text: "This is spam.", Section: "society"}, []string{"words"}, []string{"spam"}, []string{"spam"}},
		{"case", desk.Comment{Text: "SPAM and Spam", Section: "society"}, []string{"words"}, []string{"spam"}, []string{"SPAM", "Spam"}},
		{"whole word only", desk.Comment{Text: "spammer, aspam, spam-free", Section: "society"}, []string{"words"}, []string{"spam"}, []string{"spam"}},
		{"no prefix", desk.Comment{Text: "spammers everywhere", Section: "society"}, nil, nil, nil},
		{"phrase", desk.Comment{Text: "Buy, NOW! please", Section: "society"}, []string{"words"}, []string{"buy now"}, []string{"Buy, NOW"}},
		{"broken phrase", desk.Comment{Text: "buy it now", Section: "society"}, nil, nil, nil},
		{"unicode", desk.Comment{Text: "la CRÈME BRÛLÉE est bonne", Section: "society"}, []string{"words"}, []string{"crème brûlée"}, []string{"CRÈME BRÛLÉE"}},
		{"section", desk.Comment{Text: "spam", Section: "tech"}, []string{"words", "tech-words"}, []string{"spam"}, []string{"spam"}},
		{"section only", desk.Comment{Text: "hello", Section: "finance"}, []string{"finance"}, nil, nil},
		{"author by reader", desk.Comment{Text: "hello", Section: "sports", Reader: "mallory", Name: "Mallory"}, []string{"authors"}, nil, nil},
		{"author by name", desk.Comment{Text: "hello", Section: "sports", Name: "MALLORY"}, []string{"authors"}, nil, nil},
		{"new account", desk.Comment{Text: "hello", Section: "sports", Reader: "x", NewAccount: true}, []string{"new"}, nil, nil},
		{"link", desk.Comment{Text: "see HTTPS://x.example", Section: "sports"}, []string{"links"}, nil, nil},
		{"www link", desk.Comment{Text: "see www.x.example", Section: "sports"}, []string{"links"}, nil, nil},
		{"nothing", desk.Comment{Text: "a fine comment", Section: "sports"}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := m.Match(tc.c)
			var got []string
			for _, h := range hits {
				got = append(got, h.Editor)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("editors = %q; want %q", got, tc.want)
			}
			if len(hits) == 0 {
				return
			}
			if !slices.Equal(hits[0].Words, tc.words) {
				t.Errorf("words = %q; want %q", hits[0].Words, tc.words)
			}
			var marks []string
			for _, s := range desk.Segments(tc.c.Text, hits[0].Spans) {
				if s.Mark {
					marks = append(marks, s.Text)
				}
			}
			if !slices.Equal(marks, tc.marks) {
				t.Errorf("marked %q; want %q", marks, tc.marks)
			}
		})
	}
}

func TestSegments(t *testing.T) {
	text := "one two three"
	got := desk.Segments(text, [][2]int{{4, 7}, {2, 3}, {20, 30}})
	var b strings.Builder
	for _, s := range got {
		if s.Mark {
			fmt.Fprintf(&b, "[%s]", s.Text)
		} else {
			b.WriteString(s.Text)
		}
	}
	if b.String() != "one [two] three" {
		t.Errorf("Segments = %q", b.String())
	}
}

func TestParse(t *testing.T) {
	r, probs := desk.Parse("ada", desk.Form{Words: "Spam\r\n\n  Buy   NOW! \nspam\n", Sections: []string{"tech", "finance,tech"},
		Authors: "Mallory, bob\nMALLORY", NewAccounts: true})
	if probs != nil {
		t.Fatal(probs)
	}
	if !slices.Equal(r.Words, []string{"spam", "buy now"}) || !slices.Equal(r.Sections, []string{"tech", "finance"}) ||
		!slices.Equal(r.Authors, []string{"mallory", "bob"}) || !r.NewAccounts || r.Links || r.Editor != "ada" {
		t.Errorf("Parse = %+v", r)
	}
	for _, tc := range []struct {
		name, field string
		f           desk.Form
	}{
		{"punctuation only", "words", desk.Form{Words: "!!!"}},
		{"long word", "words", desk.Form{Words: strings.Repeat("a", desk.MaxWordLen+1)}},
		{"long phrase", "words", desk.Form{Words: strings.Repeat("a ", desk.MaxWordTokens+1)}},
		{"too many words", "words", desk.Form{Words: strings.Repeat("w\n", 1) + wordsN(desk.MaxWords+1)}},
		{"bad utf-8", "words", desk.Form{Words: "\xff"}},
		{"control", "words", desk.Form{Words: "a\x00b"}},
		{"bidi", "words", desk.Form{Words: "a\u202eb"}},
		{"huge", "words", desk.Form{Words: strings.Repeat("a\n", desk.MaxField)}},
		{"unknown section", "sections", desk.Form{Sections: []string{"weather"}}},
		{"bad author", "authors", desk.Form{Authors: "a b<c>"}},
		{"short author", "authors", desk.Form{Authors: "al"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := desk.Parse("ada", tc.f)
			if len(probs) != 1 || probs[0].Field != tc.field || probs[0].Message == "" {
				t.Errorf("problems = %+v; want one for %s", probs, tc.field)
			}
		})
	}
}

func wordsN(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "word%d\n", i)
	}
	return b.String()
}

// FuzzParse: whatever is posted, Parse never panics, and rules it accepts
// are within the limits and match their own words.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"spam", "buy now\nspam", "</script>", "<!--", "\u2028\u2029", "\xff", "ÉCOLE école", "a\u0301", "İstanbul"} {
		f.Add(s, "tech", "mallory")
	}
	f.Fuzz(func(t *testing.T, words, section, authors string) {
		r, probs := desk.Parse("ada", desk.Form{Words: words, Sections: []string{section}, Authors: authors})
		if probs != nil {
			return
		}
		if len(r.Words) > desk.MaxWords || len(r.Authors) > desk.MaxAuthors {
			t.Fatalf("over the limits: %+v", r)
		}
		m := desk.Compile([]store.Rules{{Editor: "ada", Words: r.Words}})
		for _, w := range r.Words {
			if hits := m.Match(desk.Comment{Text: w}); len(hits) != 1 || !slices.Contains(hits[0].Words, w) {
				t.Fatalf("%q does not match itself: %+v", w, hits)
			}
		}
	})
}

// BenchmarkMatch matches 200 comments against 1,000 editors' rules (ten
// words or phrases, two authors and some sections each, every tenth with
// links and new accounts): the time per op is per comment.
func BenchmarkMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx", i)
	}
	rules := make([]store.Rules, 1000)
	for i := range rules {
		r := store.Rules{Editor: fmt.Sprintf("editor%d", i), Authors: []string{fmt.Sprintf("author%d", rng.IntN(500)), fmt.Sprintf("author%d", rng.IntN(500))}}
		for j := range 10 {
			w := vocab[rng.IntN(len(vocab))]
			if j%4 == 0 {
				w += " " + vocab[rng.IntN(len(vocab))]
			}
			r.Words = append(r.Words, w)
		}
		if i%3 == 0 {
			r.Sections = []string{store.Sections()[i%5]}
		}
		r.Links, r.NewAccounts = i%10 == 0, i%10 == 1
		rules[i] = r
	}
	m := desk.Compile(rules)
	comments := make([]desk.Comment, 200)
	for i := range comments {
		var text strings.Builder
		for range 40 {
			text.WriteString(vocab[rng.IntN(len(vocab))] + " Lorem ")
		}
		if i%20 == 0 {
			text.WriteString("https://x.example")
		}
		comments[i] = desk.Comment{Text: text.String(), Section: store.Sections()[i%5], Reader: fmt.Sprintf("author%d", i), NewAccount: i%7 == 0}
	}
	b.ReportAllocs()
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		hits += len(m.Match(comments[i%len(comments)]))
	}
	b.ReportMetric(float64(hits)/float64(b.N), "editors/comment")
}
