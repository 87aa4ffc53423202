//go:build !race

package cache

// raceDetector reports whether the tests run with -race (see
// raceflag_on_test.go).
const raceDetector = false
