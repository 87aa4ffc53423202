package assets

import "github.com/bigpipe-go/bigpipe/internal/header"

// etagListMatches reports whether an If-Match (strong) or If-None-Match
// (weak) header, given as all its lines, lists etag or "*" (RFC 9110,
// section 13.1). A weak comparison ignores a "W/" prefix; a strong one never
// matches a weak tag. It does not allocate.
func etagListMatches(values []string, etag string, strong bool) bool {
	for _, s := range values {
		for {
			s = header.TrimOWS(s)
			for len(s) > 0 && s[0] == ',' {
				s = header.TrimOWS(s[1:])
			}
			if s == "" {
				break
			}
			if s[0] == '*' {
				return true
			}
			weak := len(s) > 2 && s[0] == 'W' && s[1] == '/'
			if weak {
				s = s[2:]
			}
			if len(s) < 2 || s[0] != '"' {
				return false // malformed: stop rather than guess
			}
			end := 1
			for end < len(s) && s[end] != '"' {
				end++
			}
			if end == len(s) {
				return false
			}
			if s[:end+1] == etag && !(strong && weak) {
				return true
			}
			s = s[end+1:]
		}
	}
	return false
}
