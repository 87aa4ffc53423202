package pgtest_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
)

// TestCluster starts a cluster, makes two databases and connects to them
// as the tests' role, checks the server listens on loopback only with the
// test settings, then stops it: its directory is gone and its port closed.
func TestCluster(t *testing.T) {
	began := time.Now()
	c := pgtest.Start(t)
	t.Logf("cluster started in %s on port %d", time.Since(began).Round(time.Millisecond), c.Port)

	for _, name := range []string{"first", "second_1"} {
		url := c.Database(t, name)
		if want := "@127.0.0.1:"; !strings.Contains(url, want) || !strings.HasSuffix(url, "/"+name+"?sslmode=disable") {
			t.Errorf("Database(%q) = %q", name, url)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			cancel()
			t.Fatalf("connect %s: %v", url, err)
		}
		settings := map[string]string{}
		for _, s := range []string{"current_user", "current_database()", "current_setting('listen_addresses')", "current_setting('fsync')", "current_setting('synchronous_commit')"} {
			var v string
			if err := conn.QueryRow(ctx, "SELECT "+s).Scan(&v); err != nil {
				t.Fatalf("SELECT %s: %v", s, err)
			}
			settings[s] = v
		}
		_ = conn.Close(ctx)
		cancel()
		want := map[string]string{
			"current_user": pgtest.User, "current_database()": name,
			"current_setting('listen_addresses')": "127.0.0.1",
			"current_setting('fsync')":            "off", "current_setting('synchronous_commit')": "off",
		}
		for k, v := range want {
			if settings[k] != v {
				t.Errorf("%s on %s = %q, want %q", k, name, settings[k], v)
			}
		}
	}

	began = time.Now()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster stopped in %s", time.Since(began).Round(time.Millisecond))
	if _, err := os.Stat(c.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cluster directory %s after Stop: %v, want it gone", c.Dir, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, c.URL(pgtest.User, "postgres")); err == nil {
		_ = conn.Close(ctx)
		t.Error("connected after Stop")
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestShared gives every test of a binary the same cluster, each its own
// fresh database, and TestMain stops it.
func TestShared(t *testing.T) {
	c := pgtest.Shared(t)
	if again := pgtest.Shared(t); again != c {
		t.Fatalf("Shared started a second cluster")
	}
	for _, name := range []string{"shared_a", "shared_b"} {
		t.Run(name, func(t *testing.T) {
			url := c.Database(t, name)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
				t.Errorf("create a table in a fresh database: %v", err)
			}
		})
	}
	// Dropped at the end of its subtest, a name can be taken again.
	c.Database(t, "shared_a")
}

// TestPauseStopsEveryBackend pauses the server while connections are being
// opened as fast as they can be, many times over: afterwards no connection
// opened before or during the pause answers, however late its backend was
// forked, and after Resume every one answers again.
func TestPauseStopsEveryBackend(t *testing.T) {
	c := pgtest.Start(t)
	url := c.Database(t, "paused")
	for round := range 5 {
		opened := make(chan *pgx.Conn, 64)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // opens connections until stop; each ends with the round
			defer close(done)
			defer close(opened)
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				conn, err := pgx.Connect(ctx, url)
				cancel()
				if err != nil {
					continue // the pause caught it mid-connect
				}
				select {
				case opened <- conn:
				default:
					_ = conn.Close(context.Background())
				}
			}
		}()
		time.Sleep(time.Duration(round*7) * time.Millisecond) // vary where the pause falls among the forks
		if err := c.Pause(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		<-done
		var conns []*pgx.Conn
		for conn := range opened {
			conns = append(conns, conn)
		}
		for i, conn := range conns {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			if err := conn.Ping(ctx); err == nil {
				t.Errorf("round %d: connection %d of %d answered while the server was paused", round, i, len(conns))
			}
			cancel()
		}
		if err := c.Resume(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		fresh, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("round %d: connect after Resume: %v", round, err)
		}
		if err := fresh.Ping(ctx); err != nil {
			t.Errorf("round %d: ping after Resume: %v", round, err)
		}
		_ = fresh.Close(ctx)
		cancel()
		for _, conn := range conns {
			_ = conn.Close(context.Background())
		}
	}
}
