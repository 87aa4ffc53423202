package main

import "testing"

// testServer starts the in-process site the bench itself measures
// (startLocal) for the length of a test.
func testServer(t *testing.T) *localServer {
	t.Helper()
	s, err := startLocal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
