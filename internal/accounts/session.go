package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"
)

// SessionCookie names the cookie that holds a signed-in browser's session
// id: 256 random bits, base64url; HttpOnly, SameSite=Lax, Path=/, Secure
// when the request came over TLS. The store keeps only its SHA-256
// ([sessionHash]).
const SessionCookie = "dp_session"

// DefaultSessionTTL is how long a session lasts after sign-in unless
// [WithSessionTTL] says otherwise. The store decides: an expired session
// is unknown whatever the cookie's own expiry.
const DefaultSessionTTL = 30 * 24 * time.Hour

// sessionIDLen is the length of a session id: 32 bytes, base64url.
const sessionIDLen = 43

// newSessionID returns a fresh session id: 256 random bits, base64url.
func newSessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionHash is what the store keys a session by: the hex SHA-256 of its
// id. A copy of the store gives hashes, which no cookie can be made from.
func sessionHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// sessionID returns r's session cookie's value if it can be a session id
// this package made, or "".
func sessionID(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil || len(c.Value) != sessionIDLen {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// setSessionCookie gives w's browser the session id, for ttl.
func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie tells w's browser to forget its session cookie.
func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}
