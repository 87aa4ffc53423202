package live_test

import (
	"io"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/render"
)

// unknownPosition is a pagelet's live member sent with an unknown position
// (an empty epoch), with its channel and kind.
var unknownPosition = regexp.MustCompile(`"live":\{"channel":"([^"]+)","kind":"(\w+)","offset":0,"epoch":""\}`)

// TestPageWhileBrokerDown: a page rendered while the broker is down (here
// Redis down when the engine starts) is sent with its live pagelets at an
// unknown position and the page's grant, not static; their fragments are
// refused for now (503, Retry-After), as their position is unknown too.
// Its client connects once Redis is back, refetches every one of those
// pagelets, showing what changed meanwhile (stored while the broker was
// away), then follows their channels: no reload.
func TestPageWhileBrokerDown(t *testing.T) {
	r := redistest.Start(t)
	r.Stop(t) // its port, nothing listening: Restart brings Redis up there
	f := newPageFixture(t, live.WithRedis(r.URL))
	f.data.comments = []comment{{ID: "c1", Text: "comment 1"}, {ID: "c2", Text: "comment 2"}}

	body, status := get(t, f.url("/"))
	if status != http.StatusOK || !strings.Contains(body, `"token":"`) {
		t.Fatalf("the page while the broker is down: %d, want 200 with a grant:\n%s", status, body)
	}
	got := map[string]int{}
	for _, m := range unknownPosition.FindAllStringSubmatch(body, -1) {
		got[m[1]+" "+m[2]]++
	}
	if want := map[string]int{"scores state": 2, "comments:x stream": 1}; !maps.Equal(got, want) {
		t.Errorf("pagelets at an unknown position %v, want %v:\n%s", got, want, body)
	}
	if _, status := get(t, f.url("/?"+render.FragmentParam+"=scores")); status != http.StatusServiceUnavailable {
		t.Errorf("fragment while the broker is down: %d, want 503", status)
	}

	tb := newTab(t)
	tb.Navigate(t, f.url("/"))
	tb.WaitTrue(t, `!!(window.bigPipe && bigPipe.done && bigPipe.liveState && bigPipe.liveState.errors >= 1)`)
	waitComments(t, tb, 2)
	if st := liveState(t, tb); st.Connects != 0 || st.Stopped {
		t.Fatalf("the client while the broker is down: %+v, want trying to connect", st)
	}
	// Stored while the broker is down: no publication reaches the page.
	f.data.mu.Lock()
	f.data.scores = `<p class="score">1 – 0</p>`
	f.data.comments = append(f.data.comments, comment{ID: "c3", Text: "comment 3"})
	f.data.mu.Unlock()

	r.Restart(t)
	up := time.Now()
	tb.WaitTrue(t, scoresIs("1 – 0"))
	waitComments(t, tb, 3)
	t.Logf("Redis up → the page shows what changed meanwhile: %v", time.Since(up).Round(time.Millisecond))
	if st := liveState(t, tb); st.Connects != 1 || st.Refetches != 3 {
		t.Errorf("%d connects and %d refetches, want 1 and 3 (every live pagelet)", st.Connects, st.Refetches)
	}
	addComments(f, 4, 5)
	f.setScores(`<p class="score">2 – 0</p>`)
	tb.WaitTrue(t, scoresIs("2 – 0"))
	waitComments(t, tb, 5)
	if st := liveState(t, tb); st.Refetches != 3 || st.Channels["comments:x"].Offset != 2 || st.Channels["comments:x"].Epoch == "" {
		t.Errorf("after following the channels: %+v, want no more refetches, comments:x at offset 2 of its epoch", st)
	}
}

// get GETs u as a browser and returns the body and status.
func get(t *testing.T, u string) (string, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", chromeUA)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), res.StatusCode
}
