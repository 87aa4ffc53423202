package crawler_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/crawler"
	"github.com/bigpipe-go/bigpipe/internal/npmtest"
)

// The public corpora, pinned. To move to a newer version, change version
// and integrity (npm view NAME@VERSION dist.integrity), run the tests and
// review the misses and exclusions they report.
var (
	// crawlerCorpus is https://github.com/monperrus/crawler-user-agents:
	// crawler-user-agents.json lists, per crawler, a regular expression and
	// real User-Agent strings ("instances").
	crawlerCorpus = npmtest.Package{
		Name:      "crawler-user-agents",
		Version:   "1.60.0",
		Integrity: "sha512-p8hKVsnZl3msolBhGW8s86V0tmmcuBSwhTXkzkegGQzTt0A/ysKDHKzek9fichfqL5qBEgDrR9CuGBU0Y7bDrg==",
	}
	// browserCorpus is https://github.com/microlink/top-user-agents: the
	// most common browser User-Agents seen by microlink.io, in src/*.json
	// (all of them, desktop and mobile).
	browserCorpus = npmtest.Package{
		Name:      "top-user-agents",
		Version:   "2.1.138",
		Integrity: "sha512-yvN+LE7ZHoesZ1fWc0IfaYYQXGEbFtbxjC6D19SclswYlKoF6GKxJSvJbp4fsbya5BllROYml6osNlVCj1TAnw==",
	}
)

// minRecall is the share of crawlerCorpus's instances, exclusions aside,
// that must be detected.
const minRecall = 0.995

// crawlerExclusions are instances of crawlerCorpus that are not crawlers
// for our purpose, each with the reason. They are left out of the recall,
// and their number is reported. Keep the list short: a miss is to be fixed
// with a pattern, not excluded.
var crawlerExclusions = map[string]string{
	// Listed under the pattern `AP3A\.240617\.008` (80legs), which is an
	// Android build number, but the string is Instagram's in-app browser
	// (a WebView, "wv", with Instagram's own token and IABMV/1) on an OPPO
	// phone: people reading a page. Flagging it would flag them.
	"Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram 406.0.0.58.159 Android (35/15; 480dpi; 1080x2400; OPPO; CPH2557; OP573DL1; mt6833; en_MY; 822918295; IABMV/1) NV/1": "Instagram in-app browser (a person), not 80legs",
	// "MetaIAB" is Meta's In-App Browser: the Facebook app showing a page
	// to its user, in a WebView that runs JavaScript. The link-preview
	// fetcher is facebookexternalhit, which we catch.
	"Mozilla/5.0 (Linux; Android 16; Pixel 10 Pro XL Build/CP1A.260305.018; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/146.0.7680.174 Mobile Safari/537.36 MetaIAB Facebook": "Facebook in-app browser (a person), not a preview fetcher",
	// Visual Studio Code's Electron User-Agent, which the corpus files under
	// GitHub Copilot's agent. It is just as much the editor's built-in
	// browser and webviews, which people use to look at pages and which run
	// JavaScript; nothing in the string tells the agent apart.
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.115.0 Chrome/142.0.7444.265 Electron/39.8.5 Safari/537.36": "VS Code's Electron browser, runs JavaScript",
	// The same for Trae, an editor derived from VS Code.
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Trae/1.107.1 Chrome/142.0.7444.235 Electron/39.2.7 Safari/537.36": "Trae editor's Electron browser, runs JavaScript",
	// Fluid wraps a web site in a Mac app: a WebKit browser used by a
	// person, running JavaScript, as the corpus's own description says
	// ("site-specific browser application").
	"Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_5_6; en-us) AppleWebKit/528.16 (KHTML, like Gecko) Fluid/0.9.6 Safari/528.16": "Fluid site-specific browser (a person), runs JavaScript",
}

// browserExclusions are strings of browserCorpus that are in fact bots,
// each with the reason; none so far.
var browserExclusions = map[string]string{}

// loadCrawlerCorpus returns the instances of crawlerCorpus, each once, in
// file order, with the pattern of the entry that lists it.
func loadCrawlerCorpus(t testing.TB) (uas, patterns []string) {
	t.Helper()
	dir := npmtest.Fetch(t, crawlerCorpus)
	data, err := os.ReadFile(filepath.Join(dir, "crawler-user-agents.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Pattern   string   `json:"pattern"`
		Instances []string `json:"instances"`
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatalf("%v: crawler-user-agents.json: %v", crawlerCorpus, err)
	}
	seen := make(map[string]bool)
	for _, e := range entries {
		for _, ua := range e.Instances {
			if !seen[ua] {
				seen[ua] = true
				uas = append(uas, ua)
				patterns = append(patterns, e.Pattern)
			}
		}
	}
	if len(uas) < 1000 {
		t.Fatalf("%v: only %d instances: is the file format still the same?", crawlerCorpus, len(uas))
	}
	return uas, patterns
}

// loadBrowserCorpus returns the strings of every list in browserCorpus's
// src/*.json, each once, and the name and size of each list.
func loadBrowserCorpus(t testing.TB) (uas []string, lists []string) {
	t.Helper()
	dir := npmtest.Fetch(t, browserCorpus)
	files, err := filepath.Glob(filepath.Join(dir, "src", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("%v: %s: %v", browserCorpus, filepath.Base(f), err)
		}
		lists = append(lists, filepath.Base(f)+": "+strconv.Itoa(len(list)))
		for _, ua := range list {
			if !seen[ua] {
				seen[ua] = true
				uas = append(uas, ua)
			}
		}
	}
	for _, want := range []string{"desktop.json", "mobile.json"} {
		if !slices.ContainsFunc(lists, func(l string) bool { return strings.HasPrefix(l, want+":") }) {
			t.Fatalf("%v: no src/%s (found %q)", browserCorpus, want, lists)
		}
	}
	return uas, lists
}

// TestCorpusRecall measures the detection of the public crawler corpus:
// at least minRecall of its instances, exclusions aside, must be detected.
func TestCorpusRecall(t *testing.T) {
	uas, patterns := loadCrawlerCorpus(t)
	d := crawler.New()
	var detected, excluded int
	var misses []string
	for i, ua := range uas {
		if _, ok := crawlerExclusions[ua]; ok {
			excluded++
			continue
		}
		if d.IsCrawler(ua) {
			detected++
		} else {
			misses = append(misses, patterns[i]+"\t"+ua)
		}
	}
	for ua := range crawlerExclusions {
		if !slices.Contains(uas, ua) {
			t.Errorf("crawlerExclusions lists %q, which %v does not hold: drop it", ua, crawlerCorpus)
		}
	}
	total := len(uas) - excluded
	recall := float64(detected) / float64(total)
	t.Logf("%v: detected %d of %d instances (%.2f%%), %d excluded, %d missed",
		crawlerCorpus, detected, total, 100*recall, excluded, len(misses))
	for _, m := range misses {
		t.Logf("missed (corpus pattern, User-Agent): %s", m)
	}
	if recall < minRecall {
		t.Errorf("recall %.2f%% < %.2f%%", 100*recall, 100*minRecall)
	}
}

// TestCorpusBrowsers checks that no string of the public browser corpus is
// taken for a crawler.
func TestCorpusBrowsers(t *testing.T) {
	uas, lists := loadBrowserCorpus(t)
	d := crawler.New()
	var flagged, excluded int
	for _, ua := range uas {
		if _, ok := browserExclusions[ua]; ok {
			excluded++
			continue
		}
		if k := d.Kind(ua); k != crawler.KindBrowser {
			flagged++
			t.Errorf("browser taken for a %v: %q", k, ua)
		}
	}
	for ua := range browserExclusions {
		if !slices.Contains(uas, ua) {
			t.Errorf("browserExclusions lists %q, which %v does not hold: drop it", ua, browserCorpus)
		}
	}
	t.Logf("%v (%s): %d of %d distinct browser strings flagged, %d excluded",
		browserCorpus, strings.Join(lists, ", "), flagged, len(uas)-excluded, excluded)
}

// BenchmarkIsCrawlerCorpus measures one classification per operation over
// the public corpora: their browser strings, their crawler instances, and
// a mix alternating one of each.
func BenchmarkIsCrawlerCorpus(b *testing.B) {
	crawlers, _ := loadCrawlerCorpus(b)
	browsers, _ := loadBrowserCorpus(b)
	benchDecisions(b, browsers, crawlers)
}
