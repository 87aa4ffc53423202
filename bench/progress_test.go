package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, 80, []phase{
		{name: "a", steps: 2, est: 2 * time.Second},
		{name: "b", steps: 2, est: 6 * time.Second},
	})
	now := p.start
	p.now = func() time.Time { return now }
	p.begin("a")
	p.step("a one")
	now = now.Add(time.Second)
	p.step("a two")
	now = now.Add(time.Second)
	p.begin("b")
	p.step("b one")
	p.note("a note")
	p.finish(true)
	got := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"[0/4   6% 0s elapsed, ~8s left] a one",
		"[1/4  19% 1s elapsed, ~4.3s left] a two",
		"[2/4  44% 2s elapsed, ~2.6s left] b one",
		"a note",
		"bench: done after 2s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProgressTerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 40, []phase{{name: "a", steps: 1, est: time.Second}})
	p.begin("a")
	p.step("a step with a long description that cannot fit")
	p.finish(false)
	out := b.String()
	if !strings.HasPrefix(out, "\r\033[K[") {
		t.Errorf("terminal output does not redraw in place: %q", out)
	}
	line := strings.SplitN(strings.TrimPrefix(out, "\r\033[K"), "\r", 2)[0]
	if n := len([]rune(line)); n > 39 {
		t.Errorf("line of %d runes for a 40-column terminal: %q", n, line)
	}
}
