//go:build race

package cache

// raceDetector reports whether the tests run with -race, under which a
// load (a goroutine, otter's locks) costs ten times as much: the tests
// that run many of them run fewer.
const raceDetector = true
