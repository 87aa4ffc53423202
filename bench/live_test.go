package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestMain runs this test binary as a child of the live section when
// liveRoleEnv says so (measureLive starts os.Executable() again).
func TestMain(m *testing.M) {
	if role := os.Getenv(liveRoleEnv); role != "" {
		os.Exit(liveRole(role))
	}
	os.Exit(m.Run())
}

func TestMeasureLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the live server and clients as child processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := measureLive(ctx, liveOptions{conns: 200, fanout: 100}, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatalf("measureLive: %v", err)
	}
	t.Logf("%+v", res)
}
