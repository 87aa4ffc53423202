// Package pgtest runs throwaway PostgreSQL clusters for tests: Debian's
// server binaries (/usr/lib/postgresql/<version>/bin) start a cluster in a
// temporary directory, listening only on a free loopback port and on a unix
// socket in that directory, and it is stopped and removed when the test ends.
//
//	c := pgtest.Start(t)              // one cluster for this test
//	url := c.Database(t, "comments")  // postgres://bigpipe@127.0.0.1:N/comments?sslmode=disable
//
// A cluster costs about a second to start (initdb is most of it) and
// ~30 MB of disk, so a package whose tests all need PostgreSQL shares one:
// [Shared] starts it on first use, its TestMain stops it with [StopShared],
// and each test takes a fresh database of its own ([Cluster.Database]).
//
// The cluster is tuned for tests, not durability: fsync, synchronous commit
// and full-page writes are off. Every connection from loopback or the socket
// is trusted. When the tests run as root (as in CI), where initdb refuses to
// run, the server runs as the "postgres" OS user Debian's package creates.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the role the URLs of [Cluster.Database] connect as: the owner of
// every database made there, not a superuser.
const User = "bigpipe"

// superuser is the cluster's bootstrap superuser, which creates the
// databases.
const superuser = "postgres"

// startTimeout bounds initdb and the server's start (pg_ctl -w).
const startTimeout = 60 * time.Second

// Cluster is a running throwaway PostgreSQL cluster. Its methods are safe
// for concurrent use.
type Cluster struct {
	Dir  string // the temporary directory: data/, the log and the socket
	Port int    // the loopback TCP port it listens on

	bin  string              // the directory of initdb, pg_ctl, postgres
	cred *syscall.Credential // the OS user it runs as, nil for the current one

	mu      sync.Mutex
	stopped bool
}

// Start starts a cluster that lives until t ends. It skips t if PostgreSQL
// is not installed, unless CI=true, which makes that a failure.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := start()
	if errors.Is(err, errNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("%v; skipping (set CI=true to make this a failure)", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns the test binary's shared cluster, starting it on first use
// (it skips or fails t as [Start] does if it cannot). It outlives t: the
// package's TestMain stops it with [StopShared] after m.Run.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() { shared.c, shared.err = start() })
	if errors.Is(shared.err, errNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("%v; skipping (set CI=true to make this a failure)", shared.err)
	}
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.c
}

// StopShared stops and removes the shared cluster if [Shared] started one.
func StopShared() error {
	if shared.c == nil {
		return nil
	}
	return shared.c.Stop()
}

// errNotInstalled is start's error when no PostgreSQL server is installed.
var errNotInstalled = errors.New("PostgreSQL server not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql")

// binDir returns the bin directory of the newest PostgreSQL installed.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb") // the pattern is valid
	if len(dirs) == 0 {
		return "", errNotInstalled
	}
	// The newest major version: compare numerically (10 > 9).
	version := func(p string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

// start creates and starts a cluster.
func start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Getuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if c.Dir, err = c.tempDir(); err != nil {
		return nil, err
	}
	if err := c.initdb(); err != nil {
		_ = os.RemoveAll(c.Dir)
		return nil, err
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		err = c.startServer()
		if err == nil {
			return c, nil
		}
		if attempt == attempts || !errors.Is(err, errPortTaken) {
			_ = os.RemoveAll(c.Dir)
			return nil, err
		}
	}
}

// postgresUser is the credential of the "postgres" OS user, which runs the
// server when the tests run as root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, where initdb refuses to run, and there is no postgres OS user to run it as (apt-get install -y postgresql creates it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres OS user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tempDir makes the cluster's directory, owned by the user the server runs
// as. When that is another user, every directory above it must let that
// user through: if the default temporary directory's parents do not (a
// TMPDIR under /root, say), it is made in /tmp instead.
func (c *Cluster) tempDir() (string, error) {
	parent := os.TempDir()
	if c.cred != nil && !traversable(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "pgtest-*")
	if err != nil {
		return "", fmt.Errorf("temporary directory: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("temporary directory: %w", err)
		}
		if !traversable(dir) {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("temporary directory %s: a parent directory is not searchable by the postgres OS user", dir)
		}
	}
	return dir, nil
}

// traversable reports whether every directory above dir (and dir's parent)
// lets any user search it.
func traversable(dir string) bool {
	for d := filepath.Dir(filepath.Clean(dir)); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == "/" || d == "." {
			return true
		}
	}
}

// command returns the server binary name run with args in the cluster's
// directory, as the cluster's OS user.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// run runs a server binary and returns its output in the error if it fails.
func (c *Cluster) run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := c.command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }
func (c *Cluster) log() string  { return filepath.Join(c.Dir, "postgres.log") }

// initdb creates the cluster's data directory and configures it: trust on
// the socket and loopback only, the socket in c.Dir, and no durability.
func (c *Cluster) initdb() error {
	if err := c.run("initdb", "-D", c.data(), "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"); err != nil {
		return err
	}
	hba := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	if err := c.writeFile(filepath.Join(c.data(), "pg_hba.conf"), hba); err != nil {
		return err
	}
	return nil
}

// writeFile replaces a file of the data directory, keeping it the server's.
func (c *Cluster) writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	return nil
}

// errPortTaken is startServer's error when another process took the free
// port between its choice and the server's bind.
var errPortTaken = errors.New("port taken")

// startServer starts the server on a free loopback port and waits until it
// accepts connections (pg_ctl -w), then creates the tests' role.
func (c *Cluster) startServer() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	conf := fmt.Sprintf(`listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
`, port, c.Dir)
	if err := c.writeFile(filepath.Join(c.data(), "postgresql.auto.conf"), conf); err != nil {
		return err
	}
	c.Port = port
	if err := c.run("pg_ctl", "-D", c.data(), "-l", c.log(), "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)), "start"); err != nil {
		logged, _ := os.ReadFile(c.log())
		if bytes.Contains(logged, []byte("already in use")) {
			return fmt.Errorf("%w: %d", errPortTaken, port)
		}
		return fmt.Errorf("%w\nserver log:\n%s", err, logged)
	}
	if err := c.exec("postgres", "CREATE ROLE "+User+" LOGIN"); err != nil {
		return errors.Join(err, c.Stop())
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the URL of database db as role user.
func (c *Cluster) URL(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, c.Port, db)
}

// exec runs one statement in database db as the superuser.
func (c *Cluster) exec(db, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL(superuser, db))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

// Database creates the database name, owned by [User], and returns its URL
// (postgres://bigpipe@127.0.0.1:N/name?sslmode=disable). It is dropped when
// t ends, with any connection still open to it. The name is a lower-case
// identifier; one taken already in the cluster fails t.
func (c *Cluster) Database(t testing.TB, name string) string {
	t.Helper()
	if !validName(name) {
		t.Fatalf("pgtest: database name %q: want lower-case letters, digits and _, starting with a letter", name)
	}
	if err := c.exec("postgres", fmt.Sprintf("CREATE DATABASE %s OWNER %s", name, User)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.isStopped() {
			return
		}
		if err := c.exec("postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c.URL(User, name)
}

// validName reports whether name is a plain lower-case SQL identifier.
func validName(name string) bool {
	if name == "" || len(name) > 63 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func (c *Cluster) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// Stop stops the server (pg_ctl stop -m fast: open sessions are ended) and
// removes the cluster's directory. Stopping a stopped cluster does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "30", "stop")
	if err != nil {
		err = fmt.Errorf("pgtest: stop: %w", err)
	}
	return errors.Join(err, os.RemoveAll(c.Dir))
}
