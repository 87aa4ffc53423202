package measure

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false, 80, []Phase{
		{Name: "a", Steps: 2, Est: 2 * time.Second},
		{Name: "b", Steps: 2, Est: 6 * time.Second},
	})
	now := p.start
	p.now = func() time.Time { return now }
	p.Begin("a")
	p.Step("a one")
	now = now.Add(time.Second)
	p.Step("a two")
	now = now.Add(time.Second)
	p.Begin("b")
	p.Step("b one")
	p.Note("a note")
	p.Finish(true)
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
	p := NewProgress(&b, true, 40, []Phase{{Name: "a", Steps: 1, Est: time.Second}})
	p.Begin("a")
	p.Step("a step with a long description that cannot fit")
	p.Finish(false)
	out := b.String()
	if !strings.HasPrefix(out, "\r\033[K[") {
		t.Errorf("terminal output does not redraw in place: %q", out)
	}
	line := strings.SplitN(strings.TrimPrefix(out, "\r\033[K"), "\r", 2)[0]
	if n := len([]rune(line)); n > 39 {
		t.Errorf("line of %d runes for a 40-column terminal: %q", n, line)
	}
}
