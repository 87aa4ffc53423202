package assets

// coding is a content coding the registry can serve.
type coding uint8

const (
	identity coding = iota
	gzipCoding
	brCoding
	numCodings
)

func (c coding) String() string {
	switch c {
	case gzipCoding:
		return "gzip"
	case brCoding:
		return "br"
	}
	return "identity"
}

// unlisted is the weight of a coding the header does not name.
const unlisted = -1

// weights are the q-values, in thousandths, an Accept-Encoding header gives
// each coding, or unlisted.
type weights struct {
	br, gzip, identity, star int
}

// negotiate picks the coding to send for the Accept-Encoding header values
// (all lines of the header, as in http.Header), among those have holds, by
// the rules documented on [Registry.ServeHTTP]. It does not allocate.
func negotiate(values []string, have [numCodings]bool) coding {
	if len(values) == 0 {
		return identity
	}
	w := weights{br: unlisted, gzip: unlisted, identity: unlisted, star: unlisted}
	for _, v := range values {
		w.parse(v)
	}
	best, bestQ := identity, 0
	for _, c := range [...]coding{brCoding, gzipCoding} { // preference order at equal q
		q := w.of(c)
		if have[c] && q > bestQ {
			best, bestQ = c, q
		}
	}
	if best != identity && w.identity > bestQ {
		return identity
	}
	return best
}

// of returns the effective weight of an encoded coding: its own, else that
// of "*", else 0.
func (w *weights) of(c coding) int {
	q := w.gzip
	if c == brCoding {
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
		name = trimOWS(name)
		if name == "" {
			continue
		}
		q := 1000
		for len(params) > 0 {
			var p string
			p, params = cut(params, ';')
			k, val := cut(p, '=')
			if asciiEqualFold(trimOWS(k), "q") {
				q = min(q, parseQ(trimOWS(val)))
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

// lowest combines a coding's earlier weight (maybe unlisted) with another.
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

// trimOWS trims HTTP optional whitespace (spaces and tabs).
func trimOWS(s string) string {
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
