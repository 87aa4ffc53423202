package testenv

import "runtime/debug"

// RaceEnabled reports whether the running binary was built with -race:
// tests that load a server size the load to the detector, which makes
// every request several times dearer and allows 8,128 goroutines.
func RaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
