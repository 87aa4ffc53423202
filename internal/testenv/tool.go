package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tool is a program built from a module of its own under this one (such
// as tools/jaeger, whose go.mod pins a third-party command), so that its
// dependencies stay out of the main module's graph. Unlike [Binary] it is
// built once per machine, not per test binary: Path keeps it in the user's
// cache directory, under a name derived from the tool module's go.mod and
// go.sum and the Go version, so that a changed pin builds afresh and an
// unchanged one is not even linked again.
type Tool struct {
	Dir     string        // the tool module's directory, relative to this module's root
	Package string        // the command's import path
	Timeout time.Duration // bound on a build; 0: 20 minutes

	once sync.Once
	path string
	err  error
}

// Path returns the built tool, building it first if the cache lacks it; it
// fails t if the build fails.
func (tl *Tool) Path(t testing.TB) string {
	t.Helper()
	tl.once.Do(tl.build)
	if tl.err != nil {
		t.Fatalf("build %s: %v", tl.Package, tl.err)
	}
	return tl.path
}

// Built reports whether the tool is built on this machine already (in the
// cache, for its pin), so that Path would not build it.
func (tl *Tool) Built() bool {
	path, err := tl.locate()
	if err != nil {
		return false
	}
	_, err = os.Stat(path)
	return err == nil
}

// locate returns where the tool's binary is cached for its pin: the tool
// module's go.mod and go.sum, the Go version and the build flags.
func (tl *Tool) locate() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, tl.Dir)
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", fmt.Errorf("tool module: %w", err)
		}
		h.Write(b)
	}
	h.Write([]byte(runtime.Version()))
	h.Write([]byte(strings.Join(toolBuildFlags, " ")))
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	name := filepath.Base(tl.Package)
	return filepath.Join(cache, "bigpipe-tools", name+"-"+hex.EncodeToString(h.Sum(nil))[:16], name), nil
}

func (tl *Tool) build() {
	tl.path, tl.err = tl.locate()
	if tl.err != nil {
		return
	}
	root, err := moduleRoot()
	if err != nil {
		tl.err = err
		return
	}
	dir := filepath.Join(root, tl.Dir)
	if _, err := os.Stat(tl.path); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(tl.path), 0o755); err != nil {
		tl.err = err
		return
	}
	// One build per machine at a time: two test binaries that need the
	// tool at once build it once, the second waiting here.
	unlock, err := lockFile(tl.path + ".lock")
	if err != nil {
		tl.err = err
		return
	}
	defer unlock()
	if _, err := os.Stat(tl.path); err == nil {
		return // built while we waited
	}
	// Built under a name of its own, then renamed: two test binaries
	// building at once never run a half-written file.
	tmp := fmt.Sprintf("%s.%d.tmp", tl.path, os.Getpid())
	defer os.Remove(tmp)
	timeout := tl.Timeout
	if timeout == 0 {
		timeout = 20 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, toolBuildFlags...), "-o", tmp, tl.Package)...)
	cmd.Dir = dir
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		tl.err = fmt.Errorf("%s (in %s): %w\n%s", cmd, tl.Dir, err, out)
		return
	}
	if err := os.Rename(tmp, tl.path); err != nil {
		tl.err = err
		return
	}
	fmt.Fprintf(os.Stderr, "testenv: built %s in %v into %s\n", tl.Package, time.Since(t0).Round(time.Second), tl.path)
}

// toolBuildFlags build a tool without optimisation or symbols: a test
// tool's speed does not matter, and its first build on a fresh machine
// does (Jaeger: 295 s on two cores instead of 414 s).
var toolBuildFlags = []string{"-gcflags=all=-N -l", "-ldflags=-s -w"}

// moduleRoot is the directory of this module's go.mod, as the go command
// finds it from the test's working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a module")
	}
	return filepath.Dir(gomod), nil
}

// lockFile takes an exclusive lock on the file at path (created if need
// be), waiting for whoever holds it, and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tool lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("tool lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
