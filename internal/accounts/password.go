package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password limits: at least MinPassword characters, at most MaxPassword
// bytes (hashing is bounded by the cost parameters, but a body is not).
const (
	MinPassword = 10
	MaxPassword = 1024
)

// The argon2id parameters of new hashes: OWASP's minimum (19 MiB, two
// passes, one lane), a few tens of milliseconds on one core. Verify reads
// the parameters from the stored hash, within the bounds below.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	maxArgonMemory = 256 * 1024 // KiB: a stored hash asking more is refused
	maxArgonTime   = 10
)

var errBadHash = errors.New("accounts: malformed password hash")

// CheckPassword says what is wrong with password as a new one, for
// people, or "".
func CheckPassword(password string) string {
	switch n := utf8.RuneCountInString(password); {
	case len(password) > MaxPassword:
		return fmt.Sprintf("Your password is %d bytes long; at most %d are allowed.", len(password), MaxPassword)
	case n < MinPassword:
		return fmt.Sprintf("Your password must be at least %d characters long.", MinPassword)
	}
	return ""
}

// hasher hashes and verifies passwords, at most cap(slots) at a time:
// each takes argonMemory, so a burst of sign-ins queues instead of taking
// the machine's memory.
type hasher struct{ slots chan struct{} }

func newHasher(n int) *hasher { return &hasher{slots: make(chan struct{}, max(n, 1))} }

// acquire waits for a slot, or for ctx to end.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash returns password's argon2id hash with a fresh random salt, in the
// PHC string format: $argon2id$v=19$m=19456,t=2,p=1$salt$key (base64
// without padding).
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return encodeHash(salt, key), nil
}

// encodeHash writes salt and key as a PHC string with the parameters
// passwords are hashed with.
func encodeHash(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is a hash no password matches, with the parameters of real
// ones: verifying a sign-in for an unknown name against it costs what a
// wrong password costs. Its key is random rather than derived, so that
// making it costs nothing (an argon2 run at start would hold its 19 MiB
// in the process for good).
func dummyHash() string {
	salt, key := make([]byte, argonSaltLen), make([]byte, argonKeyLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	_, _ = rand.Read(key)
	return encodeHash(salt, key)
}

// verify reports whether password is the one encoded hashes, comparing
// the keys in constant time. A malformed hash is an error.
func (h *hasher) verify(ctx context.Context, encoded, password string) (bool, error) {
	p, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// phc is a parsed argon2id hash.
type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads an argon2id PHC string, refusing parameters past the
// bounds (a hash that would take the machine's memory).
func parseHash(encoded string) (phc, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, errBadHash
	}
	var p phc
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return phc{}, fmt.Errorf("%w: %v", errBadHash, err)
	}
	if p.memory < 8 || p.memory > maxArgonMemory || p.time < 1 || p.time > maxArgonTime || p.threads < 1 {
		return phc{}, fmt.Errorf("%w: parameters out of bounds", errBadHash)
	}
	var err error
	b64 := base64.RawStdEncoding
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return phc{}, fmt.Errorf("%w: salt", errBadHash)
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, fmt.Errorf("%w: key", errBadHash)
	}
	return p, nil
}
