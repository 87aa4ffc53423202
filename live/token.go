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
// the client, and checked without any state on the server.

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
}

var b64 = base64.RawURLEncoding

// signToken returns a token granting channels until exp.
func signToken(secret []byte, channels []string, exp time.Time) (string, error) {
	body, err := json.Marshal(claims{Channels: channels, Expires: exp.Unix()})
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

// verifyToken returns the channels tok grants at now, or why it grants none.
func verifyToken(secret []byte, tok string, now time.Time) ([]string, error) {
	if len(tok) > maxTokenLen {
		return nil, errTokenMalformed
	}
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return nil, errTokenMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return nil, errTokenMalformed
	}
	if !hmac.Equal(got, mac(secret, payload)) {
		return nil, errTokenSignature
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return nil, errTokenMalformed
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, errTokenMalformed
	}
	if now.Unix() >= c.Expires {
		return nil, errTokenExpired
	}
	return c.Channels, nil
}
