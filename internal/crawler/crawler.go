// Package crawler tells clients that do not run JavaScript (search-engine
// crawlers, link-preview fetchers, AI crawlers, headless automation,
// text-mode browsers and plain HTTP clients) from browsers, by User-Agent.
//
//	d := crawler.New()
//	if d.IsCrawler(r.UserAgent()) {
//		// serve plain, in-order HTML instead of BigPipe
//	}
//
// # How it decides
//
// A User-Agent is first matched against a list of lower-case patterns kept
// as data in patterns.go: one pass over the string, ASCII case-insensitive,
// with no allocation (an Aho–Corasick automaton built once by [New]). Some
// patterns must sit at a word boundary, so that the generic token "bot"
// matches "Googlebot/2.1" but neither "Bottle" nor the "CUBOT" phone brand.
// Only when no pattern matches is the string parsed by
// [github.com/mileusna/useragent], whose Bot flag catches a few more (any
// User-Agent carrying a URL, for instance), and only if it contains "bot"
// or a URL: without either that library never flags a User-Agent our
// patterns pass, and parsing costs several times more than scanning, so
// most browsers never pay for it. The patterns exist because that
// library alone misses many non-JS clients: Google-InspectionTool,
// BingPreview, WhatsApp, Lighthouse, curl, python-requests, w3m and others.
//
// The same pass looks for the tokens by which every browser that runs
// JavaScript names its engine or itself (AppleWebKit/, Gecko/, "like
// Gecko", Trident/, Presto/, Chrome/, Firefox/, Safari/…, see
// engineTokens). A User-Agent that no pattern matches and that names none
// of them is an HTTP client: "Zapier", "Tumblr/14.0", "Mozilla/5.0
// (compatible; Dataprovider.com)". So the patterns only have to catch the
// clients that copy a browser's User-Agent, which is what most of the
// list is about. An empty User-Agent counts as an HTTP client too.
//
// # Where the data comes from, and how to extend it
//
// The patterns are our own: tokens that crawler operators publish (Google,
// Bing, OpenAI and others document theirs; the groups in patterns.go link
// some), and compact keywords for what the public corpora below showed.
// To add a client, add its most specific lower-case token to the fitting
// group of defaultPatterns, with an anchor if the token could occur inside
// a browser's User-Agent, and a case to useragents_test.go; a word that
// contains a pattern but names a browser or device goes to exceptions.
// A deployment can also pass extra patterns to [New] without a code change.
//
// The tests measure the list against two public corpora from the npm
// registry, pinned by version and hash in corpus_test.go and fetched by
// the tests themselves (npm pack, cached under the user cache directory):
// the crawler User-Agents of crawler-user-agents
// (https://github.com/monperrus/crawler-user-agents) and the most common
// browser User-Agents of top-user-agents
// (https://github.com/microlink/top-user-agents). At least 99.5% of the
// former must be detected and none of the latter. Run
// "go test -run Corpus -v" to see the numbers and every miss.
//
// # Mistakes
//
// A browser taken for a crawler gets plain HTML, which is slower to show
// but complete. A crawler taken for a browser gets BigPipe, whose content
// arrives in scripts it will not run. Extend the list when a new crawler
// shows up in the logs.
package crawler

import (
	"fmt"
	"strings"

	"github.com/mileusna/useragent"
)

// Kind is the class of client a User-Agent names. The zero value is
// KindBrowser.
type Kind uint8

const (
	// KindBrowser is a browser that runs JavaScript.
	KindBrowser Kind = iota
	// KindCrawler is a bot: a search-engine or AI crawler, a link-preview
	// fetcher, an SEO or uptime tool, or headless browser automation.
	KindCrawler
	// KindTextBrowser is a browser used by a person that runs no
	// JavaScript, mostly text-mode ones such as w3m, Lynx and ELinks.
	KindTextBrowser
	// KindHTTPClient is a library or command-line HTTP client such as curl,
	// Wget, python-requests or Go-http-client, or any User-Agent that
	// names no browser engine (an empty one included): an app's or a
	// service's own client, or a device whose browser is no match for
	// the page's scripts.
	KindHTTPClient
)

// String returns the kind's name: "browser", "crawler", "text-browser" or
// "http-client".
func (k Kind) String() string {
	switch k {
	case KindBrowser:
		return "browser"
	case KindCrawler:
		return "crawler"
	case KindTextBrowser:
		return "text-browser"
	case KindHTTPClient:
		return "http-client"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Detector decides whether a User-Agent belongs to a client that does not
// run JavaScript. Create one with [New] at start-up and share it: it is
// never modified after New, so it is safe for concurrent use.
//
// The zero value matches no pattern and takes every User-Agent to name a
// browser engine: it still reports an empty User-Agent and what
// [github.com/mileusna/useragent] flags as a bot, nothing else.
type Detector struct {
	m matcher
}

// New returns a Detector with the default patterns plus extra ones. Each
// extra string is a substring that marks a crawler wherever it occurs,
// matched ASCII case-insensitively (write it in lower case for clarity);
// empty strings are ignored, since they would match every User-Agent.
// New does all the compiling, so call it once, not per request.
func New(extra ...string) *Detector {
	ps := defaultPatterns()
	for _, e := range extra {
		if e != "" {
			ps = append(ps, pattern{text: e, kind: KindCrawler})
		}
	}
	return &Detector{m: newMatcher(ps, useragentHints(), engineTokens(), exceptions())}
}

// IsCrawler reports whether ua belongs to a client that does not run
// JavaScript: any [Kind] other than KindBrowser. It is the method the
// renderer calls on every request. It saves the call to
// [useragent.Parse] that Kind makes to tell a crawler from an HTTP client
// when ua names no browser engine, since both are answered true.
func (d *Detector) IsCrawler(ua string) bool {
	trimmed := strings.TrimSpace(ua)
	if trimmed == "" {
		return true
	}
	k, consult, named := d.m.match(trimmed)
	if k != KindBrowser || !named {
		return true
	}
	return consult && useragent.Parse(ua).Bot
}

// Kind classifies ua. A pattern naming a crawler wins over one naming a
// text browser, which wins over one naming an HTTP client (a text browser
// may name the HTTP library it is built on). When no pattern matches, ua
// is KindCrawler if [useragent.Parse] flags it as a bot, else
// KindHTTPClient if it names no browser engine, else KindBrowser.
func (d *Detector) Kind(ua string) Kind {
	trimmed := strings.TrimSpace(ua)
	if trimmed == "" {
		return KindHTTPClient
	}
	k, consult, named := d.m.match(trimmed)
	switch {
	case k != KindBrowser:
		return k
	case consult && useragent.Parse(ua).Bot: // untrimmed: its verdict can depend on spaces
		return KindCrawler
	case !named:
		return KindHTTPClient
	}
	return KindBrowser
}

// useragentHints returns the strings without which useragent.Parse (v1.3.5)
// never flags a User-Agent that no default pattern matches, found by
// reading its source: its Bot flag comes from a token containing "bot", a
// URL, or a few named tokens that are default patterns (Googlebot,
// HeadlessChrome, Bytespider…). They are matched anywhere, ASCII
// case-insensitively, which covers the library's case-sensitive checks.
// FuzzIsCrawler checks the claim against the library itself: a User-Agent
// it flags must never come out as KindBrowser. Revisit this list when
// upgrading the library.
func useragentHints() []string {
	return []string{"bot", "http://", "https://"}
}
