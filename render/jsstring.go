package render

import (
	"math/bits"
	"unicode/utf8"
)

// appendJSString appends s to dst as a JSON string literal that is also safe
// to place inside an HTML <script> element: nothing in it can end the
// element, open a comment, or leave a line terminator that older
// JavaScript rejects.
//
// Inside a script element the HTML tokenizer acts on a '<' only when it
// starts "</" (a possible end tag) or "<!" (the "<!--" that enters the
// escaped states, where "<script" changes the meaning of a later
// "</script>"). So a '<' before '/' is written "<\/" (JSON's escaped
// solidus, one byte more), a '<' before '!', 's' or 'S' is written \u003c
// (the last two need no escaping once "<!" cannot appear, and are escaped
// anyway, for the sake of a reader checking by eye), and any other '<'
// is left alone: markup is full of "<li", "<a" and "<div", and escaping
// them all made a typical payload a tenth longer. The byte after a '<' in
// the output is the byte after it in s whenever that byte is one of the
// four, since appendJSString copies them as they are.
//
// It also escapes U+2028 and U+2029, and replaces invalid UTF-8 with U+FFFD
// the way a browser decodes a page (one per maximal invalid sequence, see
// invalidLen), so that content reads the same in a payload as in plain
// HTML; encoding/json writes one U+FFFD per byte instead. Like React's
// streaming renderer it leaves '>' and '&' alone: inside a script element
// they mean nothing without a '<'.
func appendJSString[T string | []byte](dst []byte, s T) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most bytes are copied as they are: find the next one that is not,
		// eight at a time, then byte by byte in the last few.
		for i+8 <= len(s) {
			w := s[i : i+8] // read as one load, not eight
			m := specialBytes(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto special
			}
			i += 8
		}
		for i < len(s) && s[i] < utf8.RuneSelf && scriptSafe[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
	special:
		b := s[i]
		if b < utf8.RuneSelf {
			if b == '<' {
				if i+1 == len(s) {
					i++
					continue
				}
				switch s[i+1] {
				case '/':
					dst = append(dst, s[start:i+1]...)
					dst = append(dst, '\\')
					i++
					start = i
					continue
				case '!', 's', 'S':
				default:
					i++
					continue
				}
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			size = invalidLen(s[i:])
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// specialBytes marks, in the high bit of each byte, the bytes of the eight
// in x (the first in the low byte) that appendJSString must look at: a
// control byte, '"', '\\', '<', or one of a multi-byte sequence. A marked
// byte above the lowest marked one may be a false alarm (a borrow), but
// the lowest one is always right, and only it is used.
func specialBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v } // high bit of each zero byte, and above it
	return (x | (x-0x20*ones)&^x | zero(x^'"'*ones) | zero(x^'\\'*ones) | zero(x^'<'*ones)) & highs
}

// invalidLen is how many bytes at the start of s, which does not start
// with valid UTF-8, make one U+FFFD in the WHATWG UTF-8 decoder that
// browsers use: the lead byte and the continuation bytes that could still
// have completed it (the "maximal subpart" of Unicode §3.9), at least one.
func invalidLen[T string | []byte](s T) int {
	need, lo, hi := 0, byte(0x80), byte(0xbf)
	switch c := s[0]; {
	case 0xc2 <= c && c <= 0xdf:
		need = 1
	case 0xe0 <= c && c <= 0xef:
		need = 2
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
	case 0xf0 <= c && c <= 0xf4:
		need = 3
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
	default:
		return 1
	}
	n := 1
	for ; need > 0 && n < len(s) && lo <= s[n] && s[n] <= hi; need-- {
		lo, hi = 0x80, 0xbf
		n++
	}
	return n
}

func decodeRune[T string | []byte](s T) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	panic("unreachable")
}

// scriptSafe marks the ASCII bytes that appendJSString copies unchanged
// wherever they are ('<' only in some places, see appendJSString).
var scriptSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<` {
		t[b] = false
	}
	return t
}()
