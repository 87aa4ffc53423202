package render

import (
	"strconv"
	"time"
)

// serverTiming sets the Server-Timing header (see [WithServerTiming]) just
// before the first byte goes out: the preflight, the layout, and every
// pagelet settled by then, each as "pagelet" with its id in desc and its
// fetch plus render time (queue time, if any, as a separate entry).
// Pagelets settled later report in their payload instead.
func (p *pass) serverTiming() {
	b := make([]byte, 0, 256)
	b = append(b, "preflight;dur="...)
	b = appendMillis(b, p.x.preflightTime)
	b = append(b, ", layout;dur="...)
	b = appendMillis(b, p.x.layout)
	for _, t := range p.f.timing {
		if t.index < 0 {
			continue
		}
		id := p.page.Pagelets[t.index].ID
		if t.queue > 0 {
			b = append(b, ", queue;desc="...)
			b = appendQuoted(b, id)
			b = append(b, ";dur="...)
			b = appendMillis(b, t.queue)
		}
		b = append(b, ", pagelet;desc="...)
		switch {
		case t.cache != "":
			b = appendQuoted(b, id+" (cache "+string(t.cache)+")")
		case t.err != nil:
			b = appendQuoted(b, id+" (failed)")
		default:
			b = appendQuoted(b, id)
		}
		b = append(b, ";dur="...)
		b = appendMillis(b, t.fetch+t.render)
	}
	p.x.w.Header().Set("Server-Timing", string(b))
}

// appendMillis appends d in milliseconds, to the microsecond.
func appendMillis(dst []byte, d time.Duration) []byte {
	return strconv.AppendFloat(dst, float64(d.Microseconds())/1000, 'f', -1, 64)
}

// appendQuoted appends s as an HTTP quoted-string (RFC 9110): printable
// ASCII only, quotes and backslashes escaped; anything else becomes '?', so
// no pagelet id can break the header.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '?')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
