package desk

import (
	"slices"
	"strings"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// Comment is what the matcher knows of a comment.
type Comment struct {
	Text    string
	Section string // its article's
	Reader  string // the poster's reader id; "" if anonymous
	Name    string // the name it was posted under
	// NewAccount is set for a comment from an account younger than a
	// day.
	NewAccount bool
}

// Hit is one editor a comment reaches: the words and phrases it matched
// (as the rules have them, in the order first found) and where in the
// text (byte ranges, in order, not overlapping), for [Segments].
type Hit struct {
	Editor string
	Words  []string
	Spans  [][2]int

	e int32 // the editor's index
}

// Matcher holds every editor's rules, compiled. Its methods are safe for
// concurrent use; the zero value (and Compile(nil)) matches nothing.
type Matcher struct {
	editors     []editor
	phrases     map[string][]phrase // by first token
	authors     map[string][]int32
	newAccounts []int32
	links       []int32
	anyComment  []int32 // sections and nothing else
}

type editor struct {
	id       string
	sections uint32 // bit i: store.Sections()[i]; 0: any
}

type phrase struct {
	editor int32
	word   string   // as the rules have it
	rest   []string // the tokens after the first
}

// Compile compiles rules, every editor's, into a matcher. Rules that are
// [store.Rules.Empty] match nothing.
func Compile(rules []store.Rules) *Matcher {
	m := &Matcher{phrases: map[string][]phrase{}, authors: map[string][]int32{}}
	for _, r := range rules {
		if r.Empty() || r.Editor == "" {
			continue
		}
		e := int32(len(m.editors))
		m.editors = append(m.editors, editor{id: r.Editor, sections: sectionMask(r.Sections)})
		for _, w := range r.Words {
			toks := Tokens(w)
			if len(toks) == 0 {
				continue
			}
			m.phrases[toks[0]] = append(m.phrases[toks[0]], phrase{editor: e, word: strings.Join(toks, " "), rest: toks[1:]})
		}
		for _, a := range r.Authors {
			a = strings.ToLower(a)
			m.authors[a] = append(m.authors[a], e)
		}
		if r.NewAccounts {
			m.newAccounts = append(m.newAccounts, e)
		}
		if r.Links {
			m.links = append(m.links, e)
		}
		if len(r.Words) == 0 && len(r.Authors) == 0 && !r.NewAccounts && !r.Links {
			m.anyComment = append(m.anyComment, e)
		}
	}
	return m
}

// Editors returns how many editors' rules m holds (rules that match
// something).
func (m *Matcher) Editors() int { return len(m.editors) }

func sectionMask(sections []string) uint32 {
	var mask uint32
	for _, s := range sections {
		mask |= sectionBit(s)
	}
	return mask
}

// sectionBit is s's bit; for an unknown section a bit no editor has.
func sectionBit(s string) uint32 {
	if i := slices.Index(store.Sections(), s); i >= 0 {
		return 1 << i
	}
	return 1 << 31
}

// Match returns the editors c reaches, in the order their rules were
// given to Compile, each with the words it matched.
func (m *Matcher) Match(c Comment) []Hit {
	if m == nil || len(m.editors) == 0 {
		return nil
	}
	bit := sectionBit(c.Section)
	var (
		hits []Hit
		at   map[int32]int // editor → index in hits
	)
	hit := func(e int32) *Hit {
		if m.editors[e].sections != 0 && m.editors[e].sections&bit == 0 {
			return nil
		}
		if at == nil {
			at = make(map[int32]int, 4)
		}
		i, ok := at[e]
		if !ok {
			i = len(hits)
			at[e] = i
			hits = append(hits, Hit{Editor: m.editors[e].id, e: e})
		}
		return &hits[i]
	}
	var buf [64]token
	toks := tokenize(c.Text, buf[:0])
	for i, t := range toks {
		for _, p := range m.phrases[t.norm] {
			if !follows(toks[i+1:], p.rest) {
				continue
			}
			if h := hit(p.editor); h != nil {
				if !slices.Contains(h.Words, p.word) {
					h.Words = append(h.Words, p.word)
				}
				h.Spans = append(h.Spans, [2]int{t.start, toks[i+len(p.rest)].end})
			}
		}
	}
	for _, a := range []string{c.Reader, strings.ToLower(c.Name)} {
		if a == "" {
			continue
		}
		for _, e := range m.authors[a] {
			hit(e)
		}
		if c.Reader == strings.ToLower(c.Name) {
			break
		}
	}
	if c.NewAccount {
		for _, e := range m.newAccounts {
			hit(e)
		}
	}
	if len(m.links) > 0 && HasLink(c.Text) {
		for _, e := range m.links {
			hit(e)
		}
	}
	for _, e := range m.anyComment {
		hit(e)
	}
	slices.SortFunc(hits, func(a, b Hit) int { return int(a.e - b.e) })
	for i := range hits {
		hits[i].Spans = mergeSpans(hits[i].Spans)
	}
	return hits
}

// follows reports whether toks starts with the tokens rest.
func follows(toks []token, rest []string) bool {
	if len(toks) < len(rest) {
		return false
	}
	for j, r := range rest {
		if toks[j].norm != r {
			return false
		}
	}
	return true
}

// mergeSpans sorts spans and merges those that overlap or touch.
func mergeSpans(spans [][2]int) [][2]int {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	out := spans[:1]
	for _, s := range spans[1:] {
		if last := &out[len(out)-1]; s[0] <= last[1] {
			last[1] = max(last[1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// HasLink reports whether text has a link: http://, https:// or www.,
// in any case.
func HasLink(text string) bool {
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case 'h', 'H':
			if hasPrefixFold(text[i:], "http://") || hasPrefixFold(text[i:], "https://") {
				return true
			}
		case 'w', 'W':
			if hasPrefixFold(text[i:], "www.") {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Segment is a piece of a comment's text, marked if a rule matched it.
type Segment struct {
	Text string
	Mark bool
}

// Segments cuts text at spans (as [Hit] has them: in order, not
// overlapping, within text) into pieces, the spans' marked. Spans out of
// range are ignored.
func Segments(text string, spans [][2]int) []Segment {
	var out []Segment
	at := 0
	for _, s := range spans {
		if s[0] < at || s[1] > len(text) || s[0] >= s[1] {
			continue
		}
		if s[0] > at {
			out = append(out, Segment{Text: text[at:s[0]]})
		}
		out = append(out, Segment{Text: text[s[0]:s[1]], Mark: true})
		at = s[1]
	}
	if at < len(text) || len(out) == 0 {
		out = append(out, Segment{Text: text[at:]})
	}
	return out
}
