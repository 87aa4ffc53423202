package pages

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// isoTime formats t for a <time datetime> attribute.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// freshFor is how long a story counts as new (the society section's "New"
// badge); static/pagelets/society.js applies the same rule on the client.
const freshFor = 3 * time.Hour

// fresh reports whether a story published at t is new at now. The server
// marks it, so the badge is part of the pagelet's first layout: added by
// script after the JS barrier, it would push the headline and shift the page.
func fresh(t, now time.Time) bool { return now.Sub(t) < freshFor }

// stamp formats a publication time for display: the clock time for stories
// from the same day as now, otherwise the date too.
func stamp(t, now time.Time) string {
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	if t.Year() == now.Year() {
		return t.Format("2 Jan, 15:04")
	}
	return t.Format("2 Jan 2006, 15:04")
}

// longDate formats the masthead date, such as "Tuesday 3 March 2026".
func longDate(t time.Time) string { return t.Format("Monday 2 January 2006") }

// thousands formats n with comma separators, such as "12,345".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decimal formats x with the given number of decimals and comma separators.
func decimal(x float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.Atoi(whole)
	out := thousands(n)
	if frac != "" {
		out += "." + frac
	}
	if x < 0 && strings.Trim(s, "0.") != "" {
		out = "−" + out // U+2212 minus sign
	}
	return out
}

// signed formats a change with an explicit sign, such as "+1.20" or "−0.35".
func signed(x float64, decimals int) string {
	s := decimal(x, decimals)
	if x > 0 && strings.Trim(strconv.FormatFloat(x, 'f', decimals, 64), "0.") != "" {
		return "+" + s
	}
	return s
}

// trend names the direction of a change for CSS: "up", "down" or "flat".
func trend(x float64) string {
	switch {
	case x > 0:
		return "up"
	case x < 0:
		return "down"
	}
	return "flat"
}

// sparkline returns the SVG polyline points for values in a w×h box.
func sparkline(values []float64, w, h float64) string {
	if len(values) < 2 {
		return ""
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	var b strings.Builder
	for i, v := range values {
		x := float64(i) / float64(len(values)-1) * w
		y := h - 1 - (v-lo)/span*(h-2)
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, y)
	}
	return b.String()
}

// joinValues lists values for a data attribute that scripts read.
func joinValues(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, " ")
}

// searchURL returns the search page URL for q.
func searchURL(q string) string { return "/search?q=" + url.QueryEscape(q) }

// segment is a run of text that does or does not match a search query.
type segment struct {
	Text  string
	Match bool
}

// highlight splits s into segments, marking each case-insensitive occurrence
// of q. It never splits a UTF-8 sequence and returns s as one segment when it
// cannot match safely (empty q, or case folding that changes byte lengths).
func highlight(s, q string) []segment {
	q = strings.TrimSpace(q)
	ls, lq := strings.ToLower(s), strings.ToLower(q)
	if q == "" || len(ls) != len(s) || len(lq) != len(q) || !utf8.ValidString(s) || !utf8.ValidString(q) {
		return []segment{{Text: s}}
	}
	var out []segment
	for {
		i := strings.Index(ls, lq)
		if i < 0 {
			break
		}
		if i > 0 {
			out = append(out, segment{Text: s[:i]})
		}
		out = append(out, segment{Text: s[i : i+len(q)], Match: true})
		s, ls = s[i+len(q):], ls[i+len(q):]
	}
	if s != "" || len(out) == 0 {
		out = append(out, segment{Text: s})
	}
	return out
}

// price formats a quote's price with its unit: "$77.82", "3.12%", "8,412.35".
func price(q store.Quote) string {
	p := decimal(q.Price, q.Decimals)
	switch q.Unit {
	case "%":
		return p + "%"
	case "":
		return p
	}
	return q.Unit + p
}

// sparkLabel describes a quote's sparkline for assistive technology.
func sparkLabel(q store.Quote) string {
	if len(q.History) == 0 {
		return q.Name + ": no trend data"
	}
	return q.Name + " today: from " + decimal(q.History[0], q.Decimals) + " to " + decimal(q.Price, q.Decimals)
}

// scoreGroup is the matches of one competition.
type scoreGroup struct {
	Competition string
	Scores      []store.Score
}

// groupScores groups consecutive matches of the same competition.
func groupScores(scores []store.Score) []scoreGroup {
	var out []scoreGroup
	for _, s := range scores {
		if n := len(out); n > 0 && out[n-1].Competition == s.Competition {
			out[n-1].Scores = append(out[n-1].Scores, s)
			continue
		}
		out = append(out, scoreGroup{Competition: s.Competition, Scores: []store.Score{s}})
	}
	return out
}

// leads reports whether the home side (home true) or the away side of a
// match under way or over is ahead: the scores table marks it is-winner.
func leads(s store.Score, home bool) bool {
	if s.State == store.MatchScheduled {
		return false
	}
	if home {
		return s.HomeScore > s.AwayScore
	}
	return s.AwayScore > s.HomeScore
}

// commentStamp formats a comment's time, the same whenever it is rendered
// (on the page, or once for a live publication): "2 Dec 2026, 15:04 UTC".
func commentStamp(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04") + " UTC" }
