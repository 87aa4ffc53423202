// Package e2e holds the end-to-end tests of the demo site: a real headless
// Chromium (driven by chromedp) and the text-mode browsers w3m and lynx load
// pages from an in-process server and check what a reader actually sees; the
// transport tests run the server binary itself, over HTTP/1.1, HTTP/2 (TLS
// and h2c) and behind real nginx and HAProxy reverse proxies, and time
// every pagelet as the client decodes it.
//
//	go test -race -count=1 ./e2e/
//
// # Requirements
//
// Chromium (/usr/bin/chromium or "chromium" on PATH), w3m, lynx, nginx,
// HAProxy, and Node with npm for the tools fetched from npm (Lighthouse, the
// Nu Html Checker), which the tests install into the user cache on first
// use (scripts/install-test-deps.sh installs the programs on Debian). A test
// whose program is missing skips, unless the environment variable CI is
// "true": then it fails, so CI never passes by skipping.
//
// The package has no exported API; everything lives in its tests.
package e2e
