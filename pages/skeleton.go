package pages

// Skeleton shapes: each names the bar kinds (skel__bar--KIND in site.css) a
// pagelet's placeholder draws, with "|" starting a new column. They mimic
// the content's structure; the space itself is reserved by the --pl-h
// height that site.css gives each pagelet container.

// columns splits bars at "|".
func columns(bars []string) [][]string {
	out := [][]string{nil}
	for _, b := range bars {
		if b == "|" {
			out = append(out, nil)
			continue
		}
		out[len(out)-1] = append(out[len(out)-1], b)
	}
	return out
}

func repeat(n int, bars ...string) []string {
	var out []string
	for range n {
		out = append(out, bars...)
	}
	return out
}

func skelStories(n int) []string {
	return repeat(n, "title", "line", "line", "line-short", "meta", "gap")
}

func skelHotnews() []string {
	return append([]string{"headline", "headline-short", "headline-short", "line", "line", "line-short", "meta", "gap", "line", "line-short", "|"},
		repeat(5, "title", "title-short", "meta", "gap")...)
}

func skelFinance() []string {
	return append(repeat(7, "row"), append([]string{"gap"}, skelStories(3)...)...)
}

func skelTech() []string { return repeat(6, "card") }

func skelSports() []string {
	return append(skelStories(3), append([]string{"|"}, repeat(11, "row")...)...)
}

func skelMostRead() []string {
	return append([]string{"tabs"}, repeat(5, "title", "line-short")...)
}

func skelWeather() []string {
	return []string{"headline-short", "title", "line", "line-short", "gap", "line", "line", "line"}
}

func skelSearchHead() []string { return []string{"headline", "line"} }

func skelResults() []string {
	return append([]string{"line-short"}, repeat(3, "title", "line", "line", "meta", "gap")...)
}

func skelSuggestions() []string {
	return append([]string{"title", "chips", "gap", "title"}, repeat(4, "line")...)
}

func skelStory() []string {
	return []string{"line", "line", "line-short", "meta", "gap", "line", "line", "line", "line-short", "gap", "line", "line-short"}
}

func skelRelated() []string { return repeat(5, "line") }

func skelBreaking() []string { return []string{"line"} }

func skelComments() []string { return repeat(3, "line-short", "line", "gap") }
