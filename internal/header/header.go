// Package accept chooses the content Coding of a response from the
// request's Accept-Encoding header. The asset server and the stream
// compressor share it, so both read a header the same way.
//
// Rules: a Coding the header names gets its own q-value, otherwise that of
// "*"; named nowhere, it is not acceptable. Listed twice, the lowest q
// counts, so a q=0 refusal holds. A malformed q counts as 0; "x-gzip" is
// gzip. The highest q wins, br before gzip at equal q; identity wins only
// when named with a strictly higher q. When nothing is acceptable the
// response is identity (never a 406). Negotiate does not allocate.
package header

// Coding is a content Coding.
type Coding uint8

// The codings this project speaks.
const (
	Identity Coding = iota
	Gzip
	Brotli
	NumCodings
)

// String returns the coding's Content-Encoding token ("identity", "gzip", "br").
func (c Coding) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Brotli:
		return "br"
	}
	return "identity"
}

// Set tells which codings a response can be sent in, indexed by Coding.
// Identity is always possible whatever it says.
type Set [NumCodings]bool

// All is every Coding.
var All = Set{true, true, true}

// unlisted is the weight of a Coding the header does not name.
const unlisted = -1

// weights are the q-values, in thousandths, an Accept-Encoding header gives
// each Coding, or unlisted.
type weights struct {
	br, gzip, identity, star int
}

// Negotiate picks the Coding to send for the Accept-Encoding header values
// (all lines of the header, as in http.Header) among those in have.
func Negotiate(values []string, have Set) Coding {
	if len(values) == 0 {
		return Identity
	}
	w := weights{br: unlisted, gzip: unlisted, identity: unlisted, star: unlisted}
	for _, v := range values {
		w.parse(v)
	}
	best, bestQ := Identity, 0
	for _, c := range [...]Coding{Brotli, Gzip} { // preference order at equal q
		q := w.of(c)
		if have[c] && q > bestQ {
			best, bestQ = c, q
		}
	}
	if best != Identity && w.identity > bestQ {
		return Identity
	}
	return best
}

// of returns the effective weight of an encoded Coding: its own, else that
// of "*", else 0.
func (w *weights) of(c Coding) int {
	q := w.gzip
	if c == Brotli {
		q = w.br
	}
	if q == unlisted {
		q = w.star
	}
	return max(q, 0)
}

// parse adds the elements of one header line to w.
func (w *weights) parse(s string) {
	for len(s) > 0 {
		var elem string
		elem, s = cut(s, ',')
		name, params := cut(elem, ';')
		name = TrimOWS(name)
		if name == "" {
			continue
		}
		q := 1000
		for len(params) > 0 {
			var p string
			p, params = cut(params, ';')
			k, val := cut(p, '=')
			if asciiEqualFold(TrimOWS(k), "q") {
				q = min(q, parseQ(TrimOWS(val)))
			}
		}
		switch {
		case asciiEqualFold(name, "br"):
			w.br = lowest(w.br, q)
		case asciiEqualFold(name, "gzip"), asciiEqualFold(name, "x-gzip"):
			w.gzip = lowest(w.gzip, q)
		case asciiEqualFold(name, "identity"):
			w.identity = lowest(w.identity, q)
		case name == "*":
			w.star = lowest(w.star, q)
		}
	}
}

// lowest combines a Coding's earlier weight (maybe unlisted) with another.
func lowest(prev, q int) int {
	if prev == unlisted {
		return q
	}
	return min(prev, q)
}

// parseQ parses a qvalue ("0", "0.5", "1.000") into thousandths. Anything
// else is malformed and yields 0.
func parseQ(s string) int {
	if len(s) == 0 || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q
	}
	if s[1] != '.' {
		return 0
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' || (q == 1000 && d != '0') {
			return 0
		}
		q += int(d-'0') * scale
		scale /= 10
	}
	return q
}

// cut is strings.Cut on a byte, returning s and "" when sep is absent.
func cut(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// TrimOWS trims HTTP optional whitespace (spaces and tabs).
func TrimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// asciiEqualFold reports whether s equals the lower-case ASCII word lower,
// ignoring ASCII case only (unlike strings.EqualFold, "K" (Kelvin) is not "k").
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// ListsToken reports whether a comma-separated header, given as all its
// lines, lists the lower-case token, in any letter case. It does not allocate.
func ListsToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v = cut(v, ',')
			if asciiEqualFold(TrimOWS(elem), token) {
				return true
			}
		}
	}
	return false
}
