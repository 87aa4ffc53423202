package crawler

import "strings"

// matcher finds every pattern in a User-Agent in one pass: an Aho–Corasick
// automaton compiled to a complete transition table, so that scanning costs
// one table look-up per byte whatever the number of patterns. Bytes are
// mapped to a few columns first (one per byte that occurs in some pattern,
// upper-case ASCII letters sharing the column of their lower-case letter,
// every other byte column 0), which folds case without lower-casing the
// input and keeps the table small.
//
// Besides the patterns, which classify, the automaton looks for signals,
// strings whose match is only recorded: hints, which say that
// useragent.Parse must be consulted (see useragentHints), and engine
// tokens, which say that the User-Agent names a browser engine (see
// engineTokens). Signals have no anchors.
//
// The zero matcher has no states: it matches nothing, asks for
// useragent.Parse on every User-Agent and assumes each names an engine. A
// matcher is never modified after newMatcher.
type matcher struct {
	column   [256]uint8
	columns  int      // width of a row of next
	next     []int32  // next[state*columns+column[b]]: the state after reading b
	outStart []int32  // entries ending in state s: ids[outStart[s]:outStart[s+1]]
	ids      []int32  // entry indices, grouped by state
	entries  []entry  // patterns and signals, indexed by ids
	except   []string // whole words that never count as a match
}

// entry is a pattern or, when signal is not none, a signal.
type entry struct {
	pattern
	signal signal
}

// signal tells what an entry's match means.
type signal uint8

const (
	none   signal = iota // a pattern: its kind counts
	hint                 // useragent.Parse may flag the User-Agent
	engine               // the User-Agent names a browser engine
)

// newMatcher compiles the patterns ps and the signals hints and engines.
// except lists words (runs of ASCII letters) that contain a pattern but
// name something else, such as the "CUBOT" phone brand for the pattern
// "bot". Patterns and signals are folded to lower case here. At most 230
// distinct bytes (256 less the upper-case letters) get a column of their
// own, so a column always fits a uint8.
func newMatcher(ps []pattern, hints, engines, except []string) matcher {
	m := matcher{except: except}
	m.entries = make([]entry, 0, len(ps)+len(hints)+len(engines))
	for _, p := range ps {
		m.entries = append(m.entries, entry{pattern: p})
	}
	for _, h := range hints {
		m.entries = append(m.entries, entry{pattern: pattern{text: h}, signal: hint})
	}
	for _, e := range engines {
		m.entries = append(m.entries, entry{pattern: pattern{text: e}, signal: engine})
	}
	for i := range m.entries {
		e := &m.entries[i]
		e.text = foldASCII(e.text)
		for j := 0; j < len(e.text); j++ {
			if b := e.text[j]; m.column[b] == 0 {
				m.columns++
				m.column[b] = uint8(m.columns)
			}
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		m.column[b] = m.column[b+'a'-'A']
	}
	m.columns++ // column 0: bytes in no pattern

	// The trie. State 0 is the root; 0 in next also means "no child yet",
	// which is unambiguous because no edge leads back to the root.
	m.next = make([]int32, m.columns)
	out := [][]int32{nil}
	for i, p := range m.entries {
		s := int32(0)
		for j := 0; j < len(p.text); j++ {
			c := int32(m.column[p.text[j]])
			if m.next[s*int32(m.columns)+c] == 0 {
				m.next = append(m.next, make([]int32, m.columns)...)
				out = append(out, nil)
				m.next[s*int32(m.columns)+c] = int32(len(out) - 1)
			}
			s = m.next[s*int32(m.columns)+c]
		}
		out[s] = append(out[s], int32(i))
	}

	// Breadth-first, fill in failure transitions so that next is a complete
	// DFA, and let each state also report the patterns of its failure state
	// (the patterns that end its longest proper suffix).
	fail := make([]int32, len(out))
	queue := make([]int32, 0, len(out))
	for c := range m.columns {
		if t := m.next[c]; t != 0 {
			queue = append(queue, t) // fail[t] = 0, the root
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		row := m.next[s*int32(m.columns) : (s+1)*int32(m.columns)]
		frow := m.next[fail[s]*int32(m.columns) : (fail[s]+1)*int32(m.columns)]
		for c := range row {
			if t := row[c]; t != 0 {
				fail[t] = frow[c]
				out[t] = append(out[t], out[fail[t]]...)
				queue = append(queue, t)
			} else {
				row[c] = frow[c]
			}
		}
	}

	m.outStart = make([]int32, len(out)+1)
	for s, ids := range out {
		m.ids = append(m.ids, ids...)
		m.outStart[s+1] = int32(len(m.ids))
	}
	return m
}

// match returns the kind of the strongest pattern found in ua: KindCrawler
// as soon as one is found, else KindTextBrowser over KindHTTPClient, else
// KindBrowser. consult and named report whether a hint, and an engine
// token, occur in ua; they are only meaningful when the returned kind is
// KindBrowser.
func (m *matcher) match(ua string) (k Kind, consult, named bool) {
	if len(m.next) == 0 {
		return KindBrowser, true, true
	}
	s := int32(0)
	for i := 0; i < len(ua); i++ {
		s = m.next[s*int32(m.columns)+int32(m.column[ua[i]])]
		for _, id := range m.ids[m.outStart[s]:m.outStart[s+1]] {
			p := &m.entries[id]
			switch {
			case p.signal == hint:
				consult = true
			case p.signal == engine:
				named = true
			case !m.accept(&p.pattern, ua, i+1):
			case p.kind == KindCrawler:
				return KindCrawler, consult, named
			case p.kind == KindTextBrowser || k == KindBrowser:
				k = p.kind
			}
		}
	}
	return k, consult, named
}

// accept reports whether p, found in ua ending at byte end, meets its
// anchors and is not part of an excepted word.
func (m *matcher) accept(p *pattern, ua string, end int) bool {
	start := end - len(p.text)
	before := start > 0 && isLetter(ua[start-1])
	after := end < len(ua) && isLetter(ua[end])
	switch {
	case p.at&uaStart != 0 && start != 0,
		p.at&wordStart != 0 && before,
		p.at&wordEnd != 0 && after,
		p.at&inWord != 0 && !before,
		p.at&wordHead != 0 && !after:
		return false
	}
	if len(m.except) > 0 && (before || after) {
		i, j := start, end
		for i > 0 && isLetter(ua[i-1]) {
			i--
		}
		for j < len(ua) && isLetter(ua[j]) {
			j++
		}
		for _, w := range m.except {
			if strings.EqualFold(ua[i:j], w) {
				return false
			}
		}
	}
	return true
}

// isLetter reports whether b is an ASCII letter. Digits, punctuation,
// spaces and non-ASCII bytes all end a word.
func isLetter(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// foldASCII lower-cases the ASCII letters of s and leaves every other byte
// alone, so that a pattern's bytes are exactly those it matches (the
// Kelvin sign, which strings.ToLower turns into "k", stays itself).
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
