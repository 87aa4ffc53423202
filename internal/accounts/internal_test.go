package accounts

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h := newHasher(1)
	enc, err := h.hash(t.Context(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q, want a PHC argon2id string with m=19456,t=2,p=1", enc)
	}
	if again, _ := h.hash(t.Context(), "correct horse battery"); again == enc {
		t.Error("two hashes of one password are equal: no random salt")
	}
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		if ok, err := h.verify(t.Context(), enc, tc.password); err != nil || ok != tc.ok {
			t.Errorf("verify(%q) = %v, %v; want %v", tc.password, ok, err, tc.ok)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := h.verify(t.Context(), bad, "x"); err == nil {
			t.Errorf("verify against %q: no error", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{{"123456789", false}, {"1234567890", true}, {"ééééééééééé", true}, {strings.Repeat("x", 1024), true}, {strings.Repeat("x", 1025), false}} {
		if got := CheckPassword(tc.p); (got == "") != tc.ok {
			t.Errorf("CheckPassword(%d bytes) = %q, want ok=%v", len(tc.p), got, tc.ok)
		}
	}
}

// TestFailures: a key is blocked at its limit until its window ends, and
// the limiter never remembers more than its cap of keys.
func TestFailures(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := newFailures(3, 5*time.Minute, 100)
	for i := range 3 {
		if _, b := f.blocked("a", now); b {
			t.Fatalf("blocked after %d failures", i)
		}
		f.fail("a", now.Add(time.Duration(i)*time.Second))
	}
	if wait, b := f.blocked("a", now.Add(time.Minute)); !b || wait != 4*time.Minute {
		t.Errorf("blocked = %v, %v; want 4m, true", wait, b)
	}
	if _, b := f.blocked("a", now.Add(5*time.Minute)); b {
		t.Error("still blocked after the window")
	}
	for i := range 1000 {
		f.fail(fmt.Sprint("k", i), now)
	}
	if n := f.tracked(); n != 100 {
		t.Errorf("tracked %d keys, want the cap 100", n)
	}
	if _, b := f.blocked("k999", now); b {
		t.Error("one failure blocks")
	}
	f.forget("k999")
	if n := f.tracked(); n != 99 {
		t.Errorf("after forget: %d keys", n)
	}
}

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/article/x?y=1#c", "/article/x?y=1#c"},
		{"/", "/"},
		{"", "/"},
		{"//evil.com", "/"},
		{"/\\evil.com", "/"},
		{"\\\\evil.com", "/"},
		{"https://evil.com", "/"},
		{"http:/evil.com", "/"},
		{"javascript:alert(1)", "/"},
		{"/a\nb", "/"},
		{"/a\\b", "/"},
		{"evil.com", "/"},
	} {
		if got := LocalPath(tc.in); got != tc.want {
			t.Errorf("LocalPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
