package logrepeat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines logs through a Handler with window into text without times, and
// returns what came out, one string per line.
type lines struct {
	buf bytes.Buffer
	h   *Handler
}

func newLines(window time.Duration) *lines {
	l := &lines{}
	l.h = New(slog.NewTextHandler(&l.buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}), window)
	return l
}

// at logs msg at level with attrs as if at t0+d.
func (l *lines) at(h slog.Handler, d time.Duration, level slog.Level, msg string, attrs ...slog.Attr) {
	r := slog.NewRecord(t0.Add(d), level, msg, 0)
	r.AddAttrs(attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		panic(err)
	}
}

func (l *lines) got() []string {
	return strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n")
}

var t0 = time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)

func TestHandler(t *testing.T) {
	down := slog.Any("err", errors.New("live: broker unreachable: connection refused"))
	stall := slog.Any("err", errors.New("live: broker unreachable: i/o timeout"))
	type entry struct {
		d     time.Duration
		level slog.Level
		msg   string
		attrs []slog.Attr
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
		log    []entry
		want   []string
	}{{
		name: "a repeat is held back, then counted", window: time.Minute,
		log: []entry{
			{0, slog.LevelError, "publish failed", []slog.Attr{down}},
			{time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
			{30 * time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
			{61 * time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
			{62 * time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
			{200 * time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
		},
		want: []string{
			`level=ERROR msg="publish failed" err="live: broker unreachable: connection refused"`,
			`level=ERROR msg="publish failed" err="live: broker unreachable: connection refused" repeated=2`,
			`level=ERROR msg="publish failed" err="live: broker unreachable: connection refused" repeated=1`,
		},
	}, {
		name: "other attributes, another error or another level are other kinds", window: time.Minute,
		log: []entry{
			{0, slog.LevelWarn, "step failed", []slog.Attr{slog.String("what", "markets"), down}},
			{time.Second, slog.LevelWarn, "step failed", []slog.Attr{slog.String("what", "scores"), down}},
			{2 * time.Second, slog.LevelWarn, "step failed", []slog.Attr{slog.String("what", "markets"), stall}},
			{3 * time.Second, slog.LevelError, "step failed", []slog.Attr{slog.String("what", "markets"), down}},
			{4 * time.Second, slog.LevelWarn, "step failed", []slog.Attr{slog.String("what", "markets"), down}},
		},
		want: []string{
			`level=WARN msg="step failed" what=markets err="live: broker unreachable: connection refused"`,
			`level=WARN msg="step failed" what=scores err="live: broker unreachable: connection refused"`,
			`level=WARN msg="step failed" what=markets err="live: broker unreachable: i/o timeout"`,
			`level=ERROR msg="step failed" what=markets err="live: broker unreachable: connection refused"`,
		},
	}, {
		name: "below warnings everything passes", window: time.Minute,
		log: []entry{
			{0, slog.LevelInfo, "page", nil},
			{time.Second, slog.LevelInfo, "page", nil},
			{2 * time.Second, slog.LevelDebug, "page", nil},
			{3 * time.Second, slog.LevelDebug, "page", nil},
		},
		want: []string{`level=INFO msg=page`, `level=INFO msg=page`, `level=DEBUG msg=page`, `level=DEBUG msg=page`},
	}, {
		name: "no window, nothing held back", window: 0,
		log: []entry{
			{0, slog.LevelError, "publish failed", []slog.Attr{down}},
			{time.Second, slog.LevelError, "publish failed", []slog.Attr{down}},
		},
		want: []string{
			`level=ERROR msg="publish failed" err="live: broker unreachable: connection refused"`,
			`level=ERROR msg="publish failed" err="live: broker unreachable: connection refused"`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLines(tc.window)
			for _, e := range tc.log {
				l.at(l.h, e.d, e.level, e.msg, e.attrs...)
			}
			if got := l.got(); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestDerived: handlers made by WithAttrs and WithGroup remember with the
// one they came from, and their attributes are part of each record's kind.
func TestDerived(t *testing.T) {
	l := newLines(time.Minute)
	a := l.h.WithAttrs([]slog.Attr{slog.String("shard", "0")})
	b := l.h.WithAttrs([]slog.Attr{slog.String("shard", "1")})
	g := l.h.WithGroup("engine")
	for i, h := range []slog.Handler{a, b, a, g, l.h, g, b} {
		l.at(h, time.Duration(i)*time.Second, slog.LevelError, "down")
	}
	want := []string{`level=ERROR msg=down shard=0`, `level=ERROR msg=down shard=1`, `level=ERROR msg=down`, `level=ERROR msg=down`}
	if got := l.got(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBounded: kinds past maxKinds pass and are not remembered; kinds
// whose window has passed with nothing held back make room.
func TestBounded(t *testing.T) {
	l := newLines(time.Minute)
	for i := range maxKinds + 10 {
		l.at(l.h, 0, slog.LevelWarn, fmt.Sprint("kind ", i))
	}
	if n := len(l.got()); n != maxKinds+10 {
		t.Errorf("%d lines of %d distinct kinds", n, maxKinds+10)
	}
	if n := len(l.h.st.kinds); n != maxKinds {
		t.Errorf("%d kinds remembered, want %d", n, maxKinds)
	}
	l.at(l.h, 2*time.Minute, slog.LevelWarn, "a new kind, later")
	if n := len(l.h.st.kinds); n != 1 {
		t.Errorf("%d kinds remembered after the windows passed, want 1", n)
	}
}

// TestConcurrent: one kind logged from many goroutines at once passes
// once (run with -race).
func TestConcurrent(t *testing.T) {
	var buf bytes.Buffer // the text handler serializes its writes
	h := New(slog.NewTextHandler(&buf, nil), time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				slog.New(h).Error("down", "err", "refused")
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "msg=down"); n != 1 {
		t.Errorf("%d lines, want 1", n)
	}
}

// Example: Redis down, the same error every second for two minutes.
func Example() {
	h := New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // a stable example
			}
			return a
		},
	}), time.Minute)
	for s := range 121 {
		r := slog.NewRecord(t0.Add(time.Duration(s)*time.Second), slog.LevelError, "live: error publishing node control command", 0)
		r.AddAttrs(slog.String("error", "dial tcp 127.0.0.1:6379: connect: connection refused"))
		_ = h.Handle(context.Background(), r)
	}
	// Output:
	// level=ERROR msg="live: error publishing node control command" error="dial tcp 127.0.0.1:6379: connect: connection refused"
	// level=ERROR msg="live: error publishing node control command" error="dial tcp 127.0.0.1:6379: connect: connection refused" repeated=59
	// level=ERROR msg="live: error publishing node control command" error="dial tcp 127.0.0.1:6379: connect: connection refused" repeated=59
}
