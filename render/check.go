package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Check reports every mistake in p that would fail each request for it
// with a 500, or quietly cost its pages a feature, joined with
// [errors.Join] (test for one with [errors.Is]); nil if there is none.
// Each problem names the page (by title), the pagelet and what to change:
//
//   - what [pagelet.Page.Validate] finds: no layout, an empty, bad or
//     duplicate pagelet id, a pagelet without Load, a bad channel name;
//   - an asset name (the page's InlineCSS, CSS or JS, or a pagelet's CSS or
//     JS) that is not in the asset registry the Renderer was made with
//     ([assets.ErrUnknown]);
//   - a layout that places a pagelet the page does not have, misses one
//     it has, or places one twice, or fails to render ([ErrLayout]): Check
//     renders the layout once, with slots that only record their ids;
//   - a live pagelet (one with a Channel) on a Renderer without [WithLive]
//     ([ErrNotLive]), or on a channel the live engine does not grant, such
//     as one no feed declares ([ErrChannel]);
//   - a pagelet with a cache policy on a Renderer without [WithCache], or
//     with a negative duration in its policy ([ErrNotCached]).
//
// A site runs it at start and in its tests, over a page built by each of
// its PageFuncs ([Renderer.CheckPage] runs one), so that a typo fails there
// rather than on every request. The handler runs the same checks when a
// request's page fails, and logs each problem once (see [Renderer.Page]).
// Check renders the layout with a background context: a layout that
// needs a request's context values must cope without them.
func (rd *Renderer) Check(p *pagelet.Page) error {
	if p == nil {
		return errors.New("render: Check: nil page")
	}
	return each(fmt.Sprintf("render: page %q: ", cmp.Or(p.Title, "(untitled)")), rd.problems(p))
}

// problems are the mistakes Check reports, each without the page's name:
// the handler logs them by route, as a page's title may differ from one
// request to the next.
func (rd *Renderer) problems(p *pagelet.Page) []error {
	return append(append(rd.failures(p), rd.liveProblems(p)...), rd.cacheProblems(p)...)
}

// cacheProblems reports every pagelet with a cache policy that the
// Renderer cannot follow: without a cache, or with a negative duration.
func (rd *Renderer) cacheProblems(p *pagelet.Page) []error {
	var probs []error
	for i := range p.Pagelets {
		pl := &p.Pagelets[i]
		c := pl.Cache
		switch {
		case c.Fresh < 0 || c.Stale < 0 || c.StaleIfError < 0:
			probs = append(probs, mistake([]error{ErrNotCached}, "pagelet %q: its cache policy has a negative duration (Fresh %v, Stale %v, StaleIfError %v)",
				pl.ID, c.Fresh, c.Stale, c.StaleIfError))
		case !c.On() && (c.Stale > 0 || c.StaleIfError > 0 || c.Key != "" || len(c.Tags) > 0):
			probs = append(probs, mistake([]error{ErrNotCached}, "pagelet %q: its cache policy has no Fresh duration, so it caches nothing", pl.ID))
		case c.On() && rd.cache == nil:
			probs = append(probs, mistake([]error{ErrNotCached}, "pagelet %q has a cache policy, but the renderer has no cache, so its Load runs for every request: give render.New a cache with render.WithCache, or drop the policy",
				pl.ID))
		}
	}
	return probs
}

// failures are the mistakes that fail a request for p with a 500: those
// of Validate, its assets and its layout.
func (rd *Renderer) failures(p *pagelet.Page) []error {
	probs := unjoin(p.Validate())
	probs = append(probs, rd.assetProblems(p)...)
	return append(probs, layoutProblems(p)...)
}

// problem is one mistake Check finds: what it says, and the errors it is
// an instance of (a sentinel such as [ErrLayout], and the error that
// revealed it, if any), for errors.Is.
type problem struct {
	text  string
	kinds []error
}

func (p *problem) Error() string   { return p.text }
func (p *problem) Unwrap() []error { return p.kinds }

// mistake returns a problem of the given kinds that says format.
func mistake(kinds []error, format string, args ...any) error {
	return &problem{text: fmt.Sprintf(format, args...), kinds: kinds}
}

// each returns errs, each wrapped with prefix, joined: every line of the
// joined message then says where it is from.
func each(prefix string, errs []error) error {
	for i, err := range errs {
		errs[i] = fmt.Errorf("%s%w", prefix, err)
	}
	return errors.Join(errs...)
}

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // the join itself, not what it wraps
		return slices.Clone(j.Unwrap())
	}
	return []error{err}
}

// assetProblems reports every asset name of p that the registry lacks.
func (rd *Renderer) assetProblems(p *pagelet.Page) []error {
	var probs []error
	names := func(owner, field string, list []string) {
		kind := assets.CSS
		if field == "JS" {
			kind = assets.JS
		}
		for _, name := range list {
			if _, err := rd.asset(name); err != nil { // the site's, or the built-in FormScript
				probs = append(probs, mistake([]error{err}, "%s%s %q is not in the renderer's asset registry%s",
					owner, field, name, rd.suggest(name, kind)))
			}
		}
	}
	names("", "InlineCSS", p.InlineCSS)
	names("", "CSS", p.CSS)
	names("", "JS", p.JS)
	for i := range p.Pagelets {
		pl := &p.Pagelets[i]
		owner := fmt.Sprintf("pagelet %q: ", pl.ID)
		names(owner, "CSS", pl.CSS)
		names(owner, "JS", pl.JS)
	}
	return probs
}

// suggest names the registry's asset of type kind closest to name, a
// likely fix for a typo, or says how to add a missing file.
func (rd *Renderer) suggest(name string, kind assets.Type) string {
	// A typo changes a letter or two (a swap is two): more is another file.
	best, bestDist := "", max(2, len(name)/8)+1
	for _, a := range rd.assets.All() {
		if a.Type != kind {
			continue
		}
		if d := distance(name, a.Name); d < bestDist {
			best, bestDist = a.Name, d
		}
	}
	if best == "" {
		return " (add the file to the registry's files, or fix the name)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := range len(a) {
		prev := row[0]
		row[0] = i + 1
		for j := range len(b) {
			cost := 1
			if a[i] == b[j] {
				cost = 0
			}
			prev, row[j+1] = row[j+1], min(row[j+1]+1, row[j]+1, prev+cost)
		}
	}
	return row[len(b)]
}

// layoutProblems renders p's layout once with slots that record the ids
// they are rendered for, and reports a slot for a pagelet p lacks, a
// pagelet never placed and one placed more than once.
func layoutProblems(p *pagelet.Page) (probs []error) {
	if p.Layout == nil {
		return nil // Validate reports it
	}
	count := make(map[string]int, len(p.Pagelets))
	var order []string // ids in the order the layout first places them
	slot := func(id string) templ.Component {
		return templ.ComponentFunc(func(context.Context, io.Writer) error {
			if count[id] == 0 {
				order = append(order, id)
			}
			count[id]++
			return nil
		})
	}
	if err := renderChecked(p.Layout, slot); err != nil {
		return []error{mistake([]error{ErrLayout, err}, "the layout failed: %v", err)}
	}
	has := make(map[string]bool, len(p.Pagelets))
	for i := range p.Pagelets {
		id := p.Pagelets[i].ID
		if has[id] {
			continue // a duplicate id: Validate reports it
		}
		has[id] = true
		switch n := count[id]; {
		case n == 0:
			probs = append(probs, mistake(layoutKind, "pagelet %q is never placed by the layout: render slot(%q) once in it, or drop the pagelet", id, id))
		case n > 1:
			probs = append(probs, mistake(layoutKind, "pagelet %q is placed %d times by the layout: render slot(%q) exactly once", id, n, id))
		}
	}
	for _, id := range order {
		if !has[id] {
			probs = append(probs, mistake(layoutKind, "the layout places pagelet %q, which the page does not have: fix the slot's id, or add the pagelet to Pagelets", id))
		}
	}
	return probs
}

var layoutKind = []error{ErrLayout}

// renderChecked renders layout(slot) into nothing, with a panic turned
// into an error: Check must report a broken layout, not die of it.
func renderChecked(layout func(pagelet.Slot) templ.Component, slot pagelet.Slot) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	c := layout(slot)
	if c == nil {
		return errors.New("it returned a nil component")
	}
	return c.Render(context.Background(), io.Discard)
}

// liveProblems reports live pagelets the Renderer cannot keep current: on a
// Renderer without a live engine, or on a channel the engine does not
// grant. It asks the engine for a grant of each channel alone, to name the
// pagelet, then of all of them together, as a page asks (a limit on
// channels per page, say).
func (rd *Renderer) liveProblems(p *pagelet.Page) []error {
	var probs, refused []error
	var channels []string
	for i := range p.Pagelets {
		pl := &p.Pagelets[i]
		if pl.Channel == "" {
			continue
		}
		if rd.live == nil {
			probs = append(probs, mistake([]error{ErrNotLive}, "pagelet %q is live on channel %q, but the renderer has no live engine, so it never updates: give render.New the engine with render.WithLive, or leave the pagelet's Channel empty",
				pl.ID, pl.Channel))
			continue
		}
		channels = append(channels, pl.Channel)
		if _, err := rd.live.Grant(context.Background(), []string{pl.Channel}); err != nil {
			refused = append(refused, mistake([]error{ErrChannel, err}, "pagelet %q: the live engine refuses its channel, so the page gets no live updates: %v (declare the channel's feed on the engine, or fix the channel)", pl.ID, err))
		}
	}
	if len(refused) > 0 {
		return append(probs, refused...)
	}
	if len(channels) > 1 {
		if _, err := rd.live.Grant(context.Background(), channels); err != nil {
			probs = append(probs, mistake([]error{ErrChannel, err}, "the live engine refuses the page's %d live channels together: %v", len(channels), err))
		}
	}
	return probs
}
