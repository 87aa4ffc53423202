// Package headless is the headless Chromium command line that the tests
// (internal/testenv) and the benchmark (bench) share, and the User-Agents
// they present to the server.
package headless

import "github.com/chromedp/chromedp"

// ChromeUA is an ordinary desktop Chrome User-Agent. Headless Chromium's
// own says "HeadlessChrome", which the crawler detector rightly treats as
// a bot, so a browser presenting it would get plain HTML.
const ChromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// NativeUA is a Chrome the renderer serves its native mode
// (render.NativeMinChrome or later), as the Chromium on the machine is.
const NativeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// Options runs the Chromium at path headless, with the profile in dir,
// presenting ChromeUA, in a w×h window, and quiet: no background
// networking, component updates or sync toward the closed network, and no
// QUIC.
func Options(path, dir string, w, h int) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.UserAgent(ChromeUA),
		chromedp.WindowSize(w, h),
	)
}
