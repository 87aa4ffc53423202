// Package e2e holds the end-to-end tests of the demo site: a real headless
// Chromium (driven by chromedp) and the text-mode browsers w3m and lynx load
// pages from an in-process server and check what a reader actually sees.
//
//	go test -race -count=1 ./e2e/
//
// # Requirements
//
// Chromium (/usr/bin/chromium or "chromium" on PATH), w3m and lynx. A test
// whose program is missing skips, unless the environment variable CI is
// "true": then it fails, so CI never passes by skipping.
//
// The package has no exported API; everything lives in its tests.
package e2e
