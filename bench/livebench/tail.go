package livebench

import (
	"strings"
	"sync"
)

// tailWriter keeps the last lines written to it.
type tailWriter struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := strings.IndexByte(string(t.part), '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > 10 {
			t.lines = t.lines[1:]
		}
	}
	if len(t.part) > 4<<10 {
		t.part = t.part[:0]
	}
	return len(p), nil
}

// tail is the child's last lines on stderr.
func (t *tailWriter) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(nothing on stderr)"
	}
	return "stderr: " + strings.Join(t.lines, " | ")
}
