package live

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A token grants a page's channels until it expires. It is
// base64url(claims) "." base64url(HMAC-SHA256(secret, base64url(claims))),
// where claims is {"ch":[channels],"exp":unix seconds}: short, opaque to
// the client, and checked without any state on the server. A signed-in
// reader's page adds "sub" (the reader id) and "sid" (their session):
// the token grants that reader's private channels, and connects only
// while the session lasts (see [WithSessions]). A channel of a feed
// declared [WithFilter] may have its filter under "f" (by channel): signed
// like the rest, so a client cannot widen it.

// Errors of [verifyToken].
var (
	errTokenMalformed = errors.New("live: malformed token")
	errTokenSignature = errors.New("live: token signature does not match")
	errTokenExpired   = errors.New("live: token expired")
)

// maxTokenLen bounds a token before any decoding: a page's grant of
// [Limits].ChannelsPerConnection long channel names fits easily.
const maxTokenLen = 16 << 10

type claims struct {
	Channels []string `json:"ch"`
	Expires  int64    `json:"exp"`
	Reader   string   `json:"sub,omitempty"`
	Session  string   `json:"sid,omitempty"`
	// Filters are the [WithFilter] filters of the channels that have one.
	Filters map[string]*filterNode `json:"f,omitempty"`
}

var b64 = base64.RawURLEncoding

// signToken returns a token granting c's channels, to c's reader, until
// c.Expires.
func signToken(secret []byte, c claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("live: token: %w", err)
	}
	payload := b64.EncodeToString(body)
	return payload + "." + b64.EncodeToString(mac(secret, payload)), nil
}

func mac(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// verifyToken returns what tok grants at now, or why it grants nothing.
func verifyToken(secret []byte, tok string, now time.Time) (claims, error) {
	if len(tok) > maxTokenLen {
		return claims{}, errTokenMalformed
	}
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return claims{}, errTokenMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return claims{}, errTokenMalformed
	}
	if !hmac.Equal(got, mac(secret, payload)) {
		return claims{}, errTokenSignature
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return claims{}, errTokenMalformed
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return claims{}, errTokenMalformed
	}
	if now.Unix() >= c.Expires {
		return claims{}, errTokenExpired
	}
	return c, nil
}
