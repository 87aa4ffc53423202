package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Binary is a command of this module built once per test binary, for
// tests that run it as a real program: the first Path builds it into a
// temporary directory of its own (so that two test binaries running at
// once never write or run each other's copy), and Remove deletes that
// directory, from TestMain after the last test. Go's build cache makes
// every build after the first a link.
type Binary struct {
	Package string // import path, such as "github.com/bigpipe-go/bigpipe"

	once sync.Once
	dir  string
	path string
	err  error
}

// Path returns the built command, building it on first use; it fails t if
// the build fails.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		t.Fatalf("build %s: %v", b.Package, b.err)
	}
	return b.path
}

func (b *Binary) build() {
	b.dir, b.err = os.MkdirTemp("", "bigpipe-bin-*")
	if b.err != nil {
		return
	}
	b.path = filepath.Join(b.dir, filepath.Base(b.Package))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.path, b.Package)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = fmt.Errorf("%s: %w\n%s", cmd, err, out)
	}
}

// Remove deletes what Path built, if anything.
func (b *Binary) Remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}
