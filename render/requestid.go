package render

import (
	"math/rand/v2"
	"net/http"
	"strconv"
)

// RequestIDHeader is the request header a request id is taken from (set by
// a proxy in front, say) and the response header it is returned in.
const RequestIDHeader = "X-Request-Id"

// requestID returns the request's X-Request-Id if it is a sane token (1 to
// 64 letters, digits and -._:), so that a proxy's id carries through to the
// logs, or a fresh random one. Anything else a client sends is not trusted
// into logs or headers.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); saneID(id) {
		return id
	}
	return strconv.FormatUint(rand.Uint64()|1<<63, 36) // 13 characters, never shorter
}

func saneID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}
