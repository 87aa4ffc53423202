package live

import (
	"crypto/hmac"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestToken checks a token's round trip and what makes one invalid.
func TestToken(t *testing.T) {
	secret := []byte("secret")
	now := time.Unix(1_800_000_000, 0)
	want := claims{Channels: []string{"scores", "inbox#ada"}, Expires: now.Add(time.Minute).Unix(), Reader: "ada", Session: "s1"}
	tok, err := signToken(secret, want)
	if err != nil {
		t.Fatal(err)
	}
	payload, sig, _ := strings.Cut(tok, ".")
	for _, tc := range []struct {
		name   string
		secret []byte
		tok    string
		at     time.Time
		want   error
	}{
		{"good", secret, tok, now, nil},
		{"one second before expiry", secret, tok, now.Add(59 * time.Second), nil},
		{"at expiry", secret, tok, now.Add(time.Minute), errTokenExpired},
		{"other secret", []byte("other"), tok, now, errTokenSignature},
		{"signature of other claims", secret, b64.EncodeToString([]byte(`{"ch":["admin"],"exp":9999999999}`)) + "." + sig, now, errTokenSignature},
		{"another reader's claims under this signature", secret, b64.EncodeToString([]byte(`{"ch":["scores","inbox#bob"],"exp":`+strconv.FormatInt(want.Expires, 10)+`,"sub":"bob","sid":"s1"}`)) + "." + sig, now, errTokenSignature},
		{"truncated signature", secret, tok[:len(tok)-4], now, errTokenSignature},
		{"no signature", secret, payload, now, errTokenMalformed},
		{"padded base64", secret, payload + "." + sig + "=", now, errTokenMalformed},
		{"empty", secret, "", now, errTokenMalformed},
		{"too long", secret, strings.Repeat("a", maxTokenLen+1), now, errTokenMalformed},
		{"signed garbage claims", secret, "bm90IGpzb24." + b64.EncodeToString(mac(secret, "bm90IGpzb24")), now, errTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verifyToken(tc.secret, tc.tok, tc.at)
			if err != tc.want {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && (!slices.Equal(got.Channels, want.Channels) || got.Reader != "ada" || got.Session != "s1" || got.Expires != want.Expires) {
				t.Errorf("claims %+v, want %+v", got, want)
			}
		})
	}
}

// FuzzVerifyToken checks that verifyToken never panics on any input, and
// that a token it accepts was signed with the secret: its signature is the
// HMAC of its claims, and the claims' expiry is in the future.
func FuzzVerifyToken(f *testing.F) {
	secret := []byte("fuzz secret")
	now := time.Unix(1_800_000_000, 0)
	for _, chs := range [][]string{{"scores"}, {"comments:a", "markets"}, {}, {"\xff<script>"}} {
		tok, err := signToken(secret, claims{Channels: chs, Expires: now.Add(time.Hour).Unix(), Reader: "r", Session: "s"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(strings.Replace(tok, ".", "..", 1))
	}
	f.Add("")
	f.Add(".")
	f.Add("a.b")
	f.Add("e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := verifyToken(secret, tok, now)
		if err != nil {
			if c.Channels != nil || c.Reader != "" || c.Session != "" {
				t.Fatalf("claims %+v with error %v", c, err)
			}
			return
		}
		payload, sig, ok := strings.Cut(tok, ".")
		if !ok {
			t.Fatalf("accepted without a signature: %q", tok)
		}
		got, err := b64.DecodeString(sig)
		if err != nil || !hmac.Equal(got, mac(secret, payload)) {
			t.Fatalf("accepted a token not signed with the secret: %q", tok)
		}
		if _, err := verifyToken([]byte("another secret"), tok, now); err == nil {
			t.Fatalf("%q verifies with another secret too", tok)
		}
	})
}
