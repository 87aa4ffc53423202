package measure

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Phase is one part of the benchmark as the progress bar counts it: its
// expected number of steps and how long it is expected to take.
type Phase struct {
	Name  string
	Steps int
	Est   time.Duration
}

// progress is the progress bar on stderr: what is running, steps done of
// the total, elapsed time and an estimate of what is left. On a terminal it
// redraws one line in place (and ticks while a long step runs); otherwise it
// prints one line per step.
//
// The estimate weighs each Phase by its expected duration, so that a Phase
// of a few slow steps counts for what it costs, and scales what is left by
// how fast the work so far went against its estimate.
type Progress struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	width  int
	now    func() time.Time
	start  time.Time
	phases []Phase
	cur    int    // index of the running Phase
	done   int    // steps done in it
	inStep bool   // a step of it is running
	msg    string // what is running
	drawn  bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// NewProgress starts a progress bar over phases. On a terminal it redraws
// every half second until finish.
func NewProgress(w io.Writer, tty bool, width int, phases []Phase) *Progress {
	p := &Progress{w: w, tty: tty, width: max(width, 40), now: time.Now, phases: phases, stop: make(chan struct{})}
	p.start = p.now()
	if tty {
		p.wg.Go(func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.mu.Lock()
					if p.drawn {
						p.draw()
					}
					p.mu.Unlock()
				}
			}
		})
	}
	return p
}

// begin moves to the named Phase (the phases before it count as done).
func (p *Progress) Begin(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := p.cur; i < len(p.phases); i++ {
		if p.phases[i].Name == name {
			p.cur, p.done, p.inStep = i, 0, false
			p.msg = name
			return
		}
	}
}

// step records that a step of the current Phase starts, described by msg.
func (p *Progress) Step(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inStep {
		p.done++ // the previous step is over
	}
	p.inStep, p.msg = true, msg
	if p.tty {
		p.draw()
		return
	}
	fmt.Fprintln(p.w, p.line())
}

// note prints msg on a line of its own, above the bar.
func (p *Progress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(p.w, msg)
	if p.tty && p.drawn {
		p.draw()
	}
}

// finish stops the bar and leaves a last line with the total time, saying
// whether the work was done or stopped.
func (p *Progress) Finish(done bool) {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
	word := "done"
	if !done {
		word = "stopped"
	}
	fmt.Fprintf(p.w, "bench: %s after %s\n", word, RoundDur(p.now().Sub(p.start)))
}

// draw redraws the bar in place. p.mu is held.
func (p *Progress) draw() {
	line := p.line()
	if r := []rune(line); len(r) > p.width-1 { // a wrapped line would break \r
		line = string(r[:p.width-2]) + "…"
	}
	fmt.Fprint(p.w, "\r\033[K"+line)
	p.drawn = true
}

// line is the progress line. p.mu is held.
func (p *Progress) line() string {
	done, total := 0, 0
	var estDone, estRunning, estTotal time.Duration // estRunning: estDone plus half the running step
	for i, ph := range p.phases {
		total += ph.Steps
		estTotal += ph.Est
		switch {
		case i < p.cur:
			done += ph.Steps
			estDone += ph.Est
		case i == p.cur && ph.Steps > 0:
			d := min(p.done, ph.Steps)
			done += d
			per := float64(ph.Est) / float64(ph.Steps)
			estDone += time.Duration(float64(d) * per)
			if p.inStep && d < ph.Steps {
				estRunning += time.Duration(per / 2)
			}
		}
	}
	estRunning += estDone
	elapsed := p.now().Sub(p.start)
	frac := 0.0
	if estTotal > 0 {
		frac = min(float64(estRunning)/float64(estTotal), 1)
	}
	left := estTotal - elapsed
	if estTotal > 0 && float64(estDone)/float64(estTotal) > 0.05 {
		// Enough is done to tell how fast it goes against the estimate.
		left = time.Duration(float64(estTotal-estRunning) * float64(elapsed) / float64(estRunning))
	}
	left = max(left, 0)
	if p.tty {
		const bar = 20
		n := int(frac * bar)
		return fmt.Sprintf("[%s%s] %3.0f%% %d/%d · %s elapsed, ~%s left · %s",
			strings.Repeat("█", n), strings.Repeat("░", bar-n), frac*100, done, total, RoundDur(elapsed), RoundDur(left), p.msg)
	}
	return fmt.Sprintf("[%d/%d %3.0f%% %s elapsed, ~%s left] %s", done, total, frac*100, RoundDur(elapsed), RoundDur(left), p.msg)
}

// roundDur rounds d for display: to the second, or to 100 ms under 10 s.
func RoundDur(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// terminal reports whether w is a terminal, and its width in columns.
func Terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok {
		return false, 0
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false, 0
	}
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return true, int(ws.Col)
	}
	return true, 80
}
