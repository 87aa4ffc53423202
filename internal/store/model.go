package store

import (
	"strconv"
	"time"
)

// Article is one news story.
type Article struct {
	ID        int       `json:"id"`
	Slug      string    `json:"slug"`
	Section   string    `json:"section"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Body      []string  `json:"body"` // paragraphs
	Author    string    `json:"author"`
	Published time.Time `json:"published"`
	Views     int       `json:"views"`
	Comments  int       `json:"comments"`
}

// URL returns the article's path on the site, "/article/<slug>".
func (a Article) URL() string { return "/article/" + a.Slug }

// Quote is one market instrument with its recent price history.
type Quote struct {
	Symbol   string    `json:"symbol"`
	Name     string    `json:"name"`
	Price    float64   `json:"price"`
	Change   float64   `json:"change"`   // absolute change since the previous close
	Decimals int       `json:"decimals"` // digits to show after the point
	Unit     string    `json:"unit"`     // "", "$" or "%"
	History  []float64 `json:"history"`  // oldest first, ends at Price
}

// ChangePct returns the change since the previous close in percent.
func (q Quote) ChangePct() float64 {
	prev := q.Price - q.Change
	if prev == 0 {
		return 0
	}
	return q.Change / prev * 100
}

// Match states.
const (
	MatchFinal     = "final"
	MatchLive      = "live"
	MatchScheduled = "scheduled"
)

// Score is one match in the sports results table.
type Score struct {
	Competition string    `json:"competition"`
	Home        string    `json:"home"`
	Away        string    `json:"away"`
	HomeScore   int       `json:"homeScore"`
	AwayScore   int       `json:"awayScore"`
	KickOff     time.Time `json:"kickOff"`
	State       string    `json:"state"` // MatchFinal, MatchLive or MatchScheduled, as of the read
	Clock       string    `json:"clock"` // "FT", "HT", "67'" or the kick-off time, such as "19:45"
}

// Match timing: two halves of 45 minutes with 15 minutes between them.
const (
	halfLength = 45 * time.Minute
	halfTime   = 15 * time.Minute
)

// at returns the match as it stands at now: scheduled before its kick-off
// (the clock is the kick-off time in now's location), then live with the
// minute being played, or "HT" at half-time, and final ("FT") once both
// halves are over.
func (sc Score) at(now time.Time) Score {
	played := now.Sub(sc.KickOff)
	switch {
	case played < 0:
		sc.State, sc.Clock = MatchScheduled, sc.KickOff.In(now.Location()).Format("15:04")
	case played < halfLength:
		sc.State, sc.Clock = MatchLive, strconv.Itoa(int(played/time.Minute)+1)+"'"
	case played < halfLength+halfTime:
		sc.State, sc.Clock = MatchLive, "HT"
	case played < 2*halfLength+halfTime:
		sc.State, sc.Clock = MatchLive, strconv.Itoa(int((played-halfTime)/time.Minute)+1)+"'"
	default:
		sc.State, sc.Clock = MatchFinal, "FT"
	}
	return sc
}

// Weather is the current conditions and a short forecast for one city.
type Weather struct {
	City      string        `json:"city"`
	Condition string        `json:"condition"`
	TempC     int           `json:"tempC"`
	HighC     int           `json:"highC"`
	LowC      int           `json:"lowC"`
	WindKmh   int           `json:"windKmh"`
	Forecast  []DayForecast `json:"forecast"`
}

// DayForecast is the forecast for one day.
type DayForecast struct {
	Date      time.Time `json:"date"`
	Condition string    `json:"condition"`
	HighC     int       `json:"highC"`
	LowC      int       `json:"lowC"`
}
