package measure

import (
	"errors"
	"os"
	"os/exec"
)

// ErrNoChromium is returned (wrapped) by measureBrowser when no Chromium is
// installed.
var ErrNoChromium = errors.New("no Chromium found (looked for /usr/bin/chromium, chromium and chromium-browser on PATH; on Debian: apt-get install -y chromium), or run with -no-browser")

// ChromiumPath returns the Chromium to run, or an error wrapping
// ErrNoChromium.
func ChromiumPath() (string, error) {
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}
