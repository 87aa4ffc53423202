package crawler_test

import (
	"testing"

	"github.com/mileusna/useragent"

	"github.com/bigpipe-go/bigpipe/internal/crawler"
)

// FuzzIsCrawler checks, for any string, that classification never panics,
// is deterministic, agrees with IsCrawler, ignores ASCII case wherever
// mileusna/useragent (which is case-sensitive) has no say, and that adding
// a crawler token to a User-Agent always makes it a crawler.
func FuzzIsCrawler(f *testing.F) {
	for _, cases := range [][]uaCase{crawlerUAs, textBrowserUAs, httpClientUAs, browserUAs} {
		for _, tc := range cases {
			f.Add(tc.ua)
		}
	}
	for _, s := range []string{"bot", "BOT", "cubot", "x-google-", "\xff\xfe", "K\u212Aelvin-bot", "links", "\x00bot\x00"} {
		f.Add(s)
	}
	d := crawler.New()
	f.Fuzz(func(t *testing.T, ua string) {
		k := d.Kind(ua)
		if k > crawler.KindHTTPClient {
			t.Fatalf("Kind(%q) = %v, not a defined Kind", ua, k)
		}
		if again := d.Kind(ua); again != k {
			t.Fatalf("Kind(%q) = %v, then %v", ua, k, again)
		}
		if got, want := d.IsCrawler(ua), k != crawler.KindBrowser; got != want {
			t.Fatalf("IsCrawler(%q) = %v, but Kind = %v", ua, got, k)
		}
		if useragent.Parse(ua).Bot && k == crawler.KindBrowser {
			t.Fatalf("Kind(%q) = browser, but useragent flags it as a bot", ua)
		}

		lower, upper := asciiCase(ua, 'A', 'Z', 'a'), asciiCase(ua, 'a', 'z', 'A')
		if !useragent.Parse(ua).Bot && !useragent.Parse(lower).Bot && !useragent.Parse(upper).Bot {
			kl, ku := d.Kind(lower), d.Kind(upper)
			if kl != k || ku != k {
				t.Fatalf("Kind depends on case: %q is %v, %q is %v, %q is %v", ua, k, lower, kl, upper, ku)
			}
		}

		if withBot := ua + " (compatible; Googlebot/2.1)"; d.Kind(withBot) != crawler.KindCrawler {
			t.Fatalf("Kind(%q) = %v, want crawler", withBot, d.Kind(withBot))
		}
	})
}

// asciiCase maps the bytes from..to of s to the range starting at base and
// leaves all others alone, unlike strings.ToLower, which also folds
// non-ASCII letters such as the Kelvin sign into ASCII ones.
func asciiCase(s string, from, to, base byte) string {
	b := []byte(s)
	for i, c := range b {
		if from <= c && c <= to {
			b[i] = c - from + base
		}
	}
	return string(b)
}
