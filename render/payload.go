package render

import (
	"unicode/utf8"
)

// appendJSString appends s to dst as a JSON string literal that is also safe
// to place inside an HTML <script> element: besides what JSON requires it
// escapes '<', so that neither "</script" nor "<!--" (nor anything else an
// HTML tokenizer acts on inside a script) can appear, and U+2028 and U+2029
// (line terminators in older JavaScript); it replaces every byte of invalid
// UTF-8 with U+FFFD, exactly as encoding/json does. Unlike encoding/json it
// leaves '>' and '&' alone: inside a script element they mean nothing
// without a '<', and markup is full of them, so escaping them would only add
// five bytes each (React's streaming renderer draws the same line).
func appendJSString[T string | []byte](dst []byte, s T) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
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
