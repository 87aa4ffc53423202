package render_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestServerTiming checks the Server-Timing header (preflight, layout and
// the pagelets settled before the first byte, ids quoted safely) and the
// timing in the payloads of pagelets that come later; and that neither
// appears without WithServerTiming.
func TestServerTiming(t *testing.T) {
	gate := make(chan struct{})
	page := pageOf(delayed("early", 0), gated("late", gate))
	srv := servePage(t, page, render.WithServerTiming(true))

	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until("bigPipe.setup"); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	st := s.Header.Get("Server-Timing")
	entry := `[a-z]+(;desc="([^"\\\x00-\x1f\x7f-\xff]|\\["\\])*")?;dur=[0-9]+(\.[0-9]+)?`
	if !regexp.MustCompile(`^` + entry + `(, ` + entry + `)*$`).MatchString(st) {
		t.Errorf("Server-Timing %q is not a list of name;desc;dur entries", st)
	}
	for _, want := range []string{"preflight;dur=", "layout;dur="} {
		if !strings.Contains(st, want) {
			t.Errorf("Server-Timing %q lacks %q", st, want)
		}
	}
	if strings.Contains(st, "late") {
		t.Errorf("Server-Timing %q names a pagelet that was not ready before the first byte", st)
	}
	late := regexp.MustCompile(`onPageletArrive\(\{"id":"late".*"timing":\{"queue":[0-9.]+,"fetch":[0-9.]+,"render":[0-9.]+\}\}\)`)
	if !late.Match(s.Body()) {
		t.Errorf("late pagelet's payload has no timing:\n%s", s.Body())
	}

	off := get(t, servePage(t, pageOf(delayed("a", 0), delayed("b", time.Millisecond))).URL, chromeUA)
	if st := off.Header.Get("Server-Timing"); st != "" || strings.Contains(string(off.Body()), `"timing"`) {
		t.Errorf("without WithServerTiming: header %q, timing in payloads %v; want neither", st, strings.Contains(string(off.Body()), `"timing"`))
	}
}

// TestServerTimingPlain checks that a serial page, which writes every
// pagelet settled before its first byte, reports them all in the header,
// ids quoted safely.
func TestServerTimingPlain(t *testing.T) {
	weird := delayed("we\"ird\\\u2028id\u00e9", 0)
	srv := servePage(t, pageOf(delayed("a", 0), delayed("b", 5*time.Millisecond), weird), render.WithServerTiming(true), render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Serial, nil }))
	s := get(t, srv.URL, chromeUA)
	st := s.Header.Get("Server-Timing")
	for _, want := range []string{`pagelet;desc="a";dur=`, `pagelet;desc="b";dur=`, `pagelet;desc="we\"ird\\???id??";dur=`} {
		if !strings.Contains(st, want) {
			t.Errorf("serial page's Server-Timing %q lacks %q", st, want)
		}
	}
}

// TestServerTimingOnce: a pagelet that settles while the skeleton is
// being written (after the skeleton's slots were filled, before its
// write) rides with the skeleton as a payload that carries its timing;
// the Server-Timing header, made at that write, must not report it too.
// The other pagelet's placeholder, rendered in the skeleton, lets the
// rider finish and waits until its content has rendered.
func TestServerTimingOnce(t *testing.T) {
	release, rendered := make(chan struct{}), make(chan struct{})
	rider := pagelet.Pagelet{
		ID: "rider",
		Load: func(ctx context.Context) (templ.Component, error) {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				defer close(rendered)
				_, err := io.WriteString(w, marker("rider"))
				return err
			}), nil
		},
		Placeholder: text("loading rider"),
	}
	gate := make(chan struct{})
	other := gated("other", gate)
	other.Placeholder = templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		close(release)
		<-rendered
		time.Sleep(20 * time.Millisecond) // the rider's result queued (too short: the test passes without trying)
		_, err := io.WriteString(w, "loading other")
		return err
	})
	srv := servePage(t, pageOf(rider, other), render.WithServerTiming(true))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until("bigPipe.setup"); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	inPayload := regexp.MustCompile(`onPageletArrive\(\{"id":"rider".*"timing":\{`).Match(s.Body())
	inHeader := strings.Contains(s.Header.Get("Server-Timing"), `desc="rider"`)
	if inPayload == inHeader {
		t.Errorf("rider reported in its payload %v and in Server-Timing %v (%q); want exactly one", inPayload, inHeader, s.Header.Get("Server-Timing"))
	}
	if !inPayload {
		t.Logf("the rider was placed in the skeleton, not sent with it: the case was not reached")
	}
}
