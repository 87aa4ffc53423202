package form_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bigpipe-go/bigpipe/form"
)

// counter is a form whose action counts its runs per submission id.
func counter(opts ...form.Option) (*form.Handler, map[string]int) {
	runs := map[string]int{}
	h := form.New(func(_ context.Context, s *form.Submission) (form.Result, error) {
		runs[s.ID]++
		return form.Result{Redirect: "/done"}, nil
	}, opts...)
	return h, runs
}

func postID(h http.Handler, id string) int {
	req := httptest.NewRequest("POST", "/f", strings.NewReader(url.Values{form.IDField: {id}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

// TestReplayTTL posts a submission again within and after the TTL: within
// it the action does not run again, after it it does.
func TestReplayTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, runs := counter(form.WithReplayLimits(time.Minute, 10))
		for _, step := range []struct {
			wait time.Duration
			runs int
		}{{0, 1}, {59 * time.Second, 1}, {2 * time.Second, 2}, {0, 2}} {
			time.Sleep(step.wait)
			if code := postID(h, "submission-1"); code != 303 {
				t.Fatalf("status %d, want 303", code)
			}
			if runs["submission-1"] != step.runs {
				t.Errorf("after %v more: %d runs, want %d", step.wait, runs["submission-1"], step.runs)
			}
		}
	})
}

// TestReplayBound fills the in-memory replays past their bound: the oldest
// success is forgotten (its retry runs again), the newer ones are not.
func TestReplayBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, runs := counter(form.WithReplayLimits(time.Hour, 2))
		for _, id := range []string{"first-id-1", "second-id", "third-id-1", "third-id-1", "second-id", "first-id-1"} {
			postID(h, id)
			time.Sleep(time.Second) // each remembered a second after the one before
		}
		if want := map[string]int{"first-id-1": 2, "second-id": 1, "third-id-1": 1}; !equal(runs, want) {
			t.Errorf("runs %v, want %v", runs, want)
		}
	})
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// FuzzHandler posts arbitrary bodies, content types and Accept headers:
// the Handler never panics and answers with a status it documents.
func FuzzHandler(f *testing.F) {
	for _, seed := range [][3]string{
		{"_submission=abcdefgh12&text=hi", "application/x-www-form-urlencoded", "application/json"},
		{"text=%zz", "application/x-www-form-urlencoded", ""},
		{"_submission=</script>&text=<!--", "application/x-www-form-urlencoded; charset=utf-8", "text/html"},
		{"text=\u2028\u2029&_submission=x\xff", "application/x-www-form-urlencoded", "application/json;q=0"},
		{"--b\r\n", "multipart/form-data; boundary=b", "*/*"},
		{"", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	h := form.New(func(_ context.Context, s *form.Submission) (form.Result, error) {
		if s.Values.Get("text") == "" {
			return form.Result{}, form.Errors{{Field: "text", Message: "empty"}}
		}
		return form.Result{Data: s.Values}, nil
	})
	f.Fuzz(func(t *testing.T, body, contentType, accept string) {
		req := httptest.NewRequest("POST", "/f", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 200, 303, 400, 413, 415, 422:
		default:
			t.Errorf("status %d for %q (%q): %s", w.Code, body, contentType, w.Body)
		}
	})
}
