package render

import (
	"unicode/utf8"
)

// appendJSString appends s to dst as a JSON string literal that is also safe
// to place inside an HTML <script> element: besides what JSON requires it
// escapes '<', so that neither "</script" nor "<!--" (nor anything else an
// HTML tokenizer acts on inside a script) can appear, and U+2028 and U+2029
// (line terminators in older JavaScript); it replaces invalid UTF-8 with
// U+FFFD the way a browser decodes a page (one per maximal invalid
// sequence, see invalidLen), so that content reads the same in a payload as
// in plain HTML. Unlike encoding/json (one U+FFFD per byte) it
// leaves '>' and '&' alone: inside a script element they mean nothing
// without a '<', and markup is full of them, so escaping them would only add
// five bytes each (React's streaming renderer draws the same line).
func appendJSString[T string | []byte](dst []byte, s T) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most bytes between two tags are copied as they are: skip them
		// four at a time.
		for i+4 <= len(s) && plainByte[s[i]] && plainByte[s[i+1]] && plainByte[s[i+2]] && plainByte[s[i+3]] {
			i += 4
		}
		if i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if scriptSafe[b] {
				i++
				continue
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

// scriptSafe marks the ASCII bytes that appendJSString copies unchanged.
var scriptSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<` {
		t[b] = false
	}
	return t
}()

// plainByte marks the bytes appendJSString copies unchanged: scriptSafe's
// ASCII, and no byte of a multi-byte sequence, which it must decode.
var plainByte = func() (t [256]bool) {
	copy(t[:], scriptSafe[:])
	return t
}()
