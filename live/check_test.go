package live_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// checkedEngine is an engine with a scores and a markets feed whose log
// the test reads.
func checkedEngine(t *testing.T) (*live.Engine, *live.Feed[string], *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	eng, err := live.New(siteAssets(t), live.WithSecret([]byte("check")), live.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	scores := live.State(eng, "scores", raw)
	live.State(eng, "markets", raw)
	return eng, scores, &log
}

// TestFeedPageletMistake makes pagelets with a feed's Pagelet on channels
// that are not the feed's, three times each: each mistake is logged once,
// when the pagelet is made, and the right channel not at all.
func TestFeedPageletMistake(t *testing.T) {
	_, scores, log := checkedEngine(t)
	for range 3 {
		scores.Pagelet("scores", pagelet.Pagelet{ID: "ok"})
		scores.Pagelet("score", pagelet.Pagelet{ID: "typo"})
		scores.Pagelet("markets", pagelet.Pagelet{ID: "other"})
	}
	var lines []string
	for line := range strings.Lines(log.String()) {
		if strings.Contains(line, "Feed.Pagelet") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d Feed.Pagelet log lines, want 2:\n%s", len(lines), strings.Join(lines, ""))
	}
	for i, want := range []string{"channel=score why=\"no feed declares it", `channel=markets why="feed \"markets\" declares it`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %q\nwant it to mention %s", lines[i], want)
		}
	}
}

// TestCheckWithEngine checks pages on a renderer with a real engine: a
// channel no feed declares is found at start, and CheckMounted finds the
// engine's endpoints when they are not mounted.
func TestCheckWithEngine(t *testing.T) {
	eng, scores, _ := checkedEngine(t)
	rd, err := render.New(siteAssets(t), render.WithLogger(slog.New(slog.DiscardHandler)), render.WithLive(eng))
	if err != nil {
		t.Fatal(err)
	}
	page := func(channel string) *pagelet.Page {
		return &pagelet.Page{
			Title:    "Scores",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("scores") },
			Pagelets: []pagelet.Pagelet{scores.Pagelet(channel, pagelet.Pagelet{ID: "scores", Load: pagelet.Static(raw("0-0"))})},
		}
	}
	if err := rd.Check(page("scores")); err != nil {
		t.Errorf("Check(live page) = %v, want nil", err)
	}
	err = rd.Check(page("score"))
	if !errors.Is(err, render.ErrChannel) || !strings.Contains(err.Error(), `live: channel "score": no feed declares it`) {
		t.Errorf("Check(page on an undeclared channel) = %v, want ErrChannel naming the channel", err)
	}

	mux := http.NewServeMux()
	mux.Handle(rd.Path(), rd)
	err = rd.CheckMounted(t.Context(), mux)
	if !errors.Is(err, render.ErrNotMounted) || !strings.Contains(err.Error(), `the live client: GET /_live/live.`) ||
		!strings.Contains(err.Error(), `mux.Handle("/_live/", eng)`) {
		t.Errorf("CheckMounted(mux without the engine) = %v, want the live client not mounted", err)
	}
	mux = http.NewServeMux()
	mux.Handle(rd.Path(), rd)
	mux.Handle(eng.Path(), eng)
	mux.Handle("GET /static/", siteAssets(t))
	if err := rd.CheckMounted(t.Context(), mux); err != nil {
		t.Errorf("CheckMounted(whole mux) = %v, want nil", err)
	}
}
