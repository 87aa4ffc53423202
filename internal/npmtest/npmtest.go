// Package npmtest fetches pinned npm packages for tests that need public
// data or tools published there (crawler User-Agent corpora, the Nu Html
// Checker) with [Fetch], and tools with dependencies (Lighthouse) with
// [Install]: once per machine, into the user cache, checked against pinned
// hashes. It is for tests only; it takes a testing.TB.
package npmtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maxFileSize bounds one unpacked file (vnu.jar is about 30 MB).
const maxFileSize = 256 << 20

// Package is a package version pinned by a test, with the integrity hash of
// its tarball (as package-lock.json records it), so that what a test reads
// can never change under it: npm versions are immutable, and the hash
// guards against a mirror serving something else.
type Package struct {
	Name, Version, Integrity string
}

// String is the package's npm spec, NAME@VERSION.
func (p Package) String() string { return p.Name + "@" + p.Version }

// Fetch returns the directory holding the unpacked contents of p (the
// tarball's "package/" folder), under
// os.UserCacheDir()/bigpipe-test/npm/NAME@VERSION. The first call downloads
// it with "npm pack", the registry being npm's configured one (the only
// network access), and unpacks it with archive/tar; later calls, in this
// run or a later one, reuse the directory.
//
// When npm is missing or the download fails, the test is skipped, unless
// the environment variable CI is "true": CI must run every test, so there
// it fails. A tarball whose hash differs from the pinned one always
// fails the test.
func Fetch(t testing.TB, p Package) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		Unavailable(t, "no cache directory for %v: %v", p, err)
	}
	root := filepath.Join(cache, "bigpipe-test", "npm")
	dir := filepath.Join(root, p.String())
	if _, err := os.Stat(dir); err == nil { // dir only appears complete: see the Rename below
		return dir
	}

	npm, err := exec.LookPath("npm")
	if err != nil {
		Unavailable(t, "npm is needed to fetch %v: %v", p, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		Unavailable(t, "creating the npm cache: %v", err)
	}
	tmp, err := os.MkdirTemp(root, ".fetch-")
	if err != nil {
		Unavailable(t, "creating the npm cache: %v", err)
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", p.String(),
		"--pack-destination", tmp, "--ignore-scripts", "--update-notifier=false", "--silent")
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		Unavailable(t, "npm pack %v: %v\n%s", p, err, stderr.Bytes())
	}
	tarballs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tarballs) != 1 {
		Unavailable(t, "npm pack %v: want one tarball in %s, found %q", p, tmp, tarballs)
	}
	tgz, err := os.ReadFile(tarballs[0])
	if err != nil {
		Unavailable(t, "npm pack %v: %v", p, err)
	}
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.Integrity {
		t.Fatalf("npm pack %v: tarball integrity %s, want the pinned %s", p, got, p.Integrity)
	}

	unpacked := filepath.Join(tmp, "unpacked")
	if err := untar(unpacked, tgz); err != nil {
		t.Fatalf("unpacking %v: %v", p, err)
	}
	if err := os.Rename(unpacked, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr != nil { // not a concurrent fetch that won
			t.Fatalf("caching %v: %v", p, err)
		}
	}
	return dir
}

// Unavailable skips t because something it needs cannot be had, or fails it
// when the environment variable CI is "true": CI must run every test.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true requires this test to run: "+format, args...)
	}
	t.Skipf("skipping (set CI=true to fail instead): "+format, args...)
}

// untar writes the regular files of the gzipped tarball tgz under dir,
// dropping the first element of each path (npm's "package/"). It refuses
// paths that would leave dir, and ignores links and other special files.
func untar(dir string, tgz []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxFileSize {
			return fmt.Errorf("%s: %d bytes, more than the %d a test package may hold", h.Name, h.Size, maxFileSize)
		}
		_, rel, ok := strings.Cut(strings.TrimPrefix(h.Name, "./"), "/")
		if !ok || !filepath.IsLocal(rel) {
			return fmt.Errorf("unexpected path %q in tarball", h.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return errors.New("tarball holds no files")
	}
	return nil
}

// Install returns the node_modules directory of the npm project whose
// package.json and package-lock.json are in src (a test's testdata
// folder): a tool with dependencies, such as Lighthouse, that "npm pack"
// alone cannot fetch. The lock file pins every package of the tree by
// version and integrity hash, and "npm ci" refuses a tarball that does not
// match it. The tree is installed once per machine, under
// os.UserCacheDir()/bigpipe-test/npm/NAME-HASH, HASH naming the two files,
// so a changed pin installs afresh; later calls reuse it. Package scripts
// are not run (--ignore-scripts).
//
// A missing npm or a failed install skips the test, unless CI is "true"
// (see [Unavailable]).
func Install(t testing.TB, src string) string {
	t.Helper()
	h := sha512.New()
	var files [2][]byte
	for i, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatalf("npm project %s: %v", src, err)
		}
		files[i] = b
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		Unavailable(t, "no cache directory for the npm project %s: %v", src, err)
	}
	root := filepath.Join(cache, "bigpipe-test", "npm")
	dir := filepath.Join(root, filepath.Base(src)+"-"+fmt.Sprintf("%x", h.Sum(nil)[:6]))
	if _, err := os.Stat(dir); err == nil { // dir only appears complete: see the Rename below
		return filepath.Join(dir, "node_modules")
	}

	npm, err := exec.LookPath("npm")
	if err != nil {
		Unavailable(t, "npm is needed to install %s: %v", src, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		Unavailable(t, "creating the npm cache: %v", err)
	}
	tmp, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		Unavailable(t, "creating the npm cache: %v", err)
	}
	defer os.RemoveAll(tmp)
	for i, name := range []string{"package.json", "package-lock.json"} {
		if err := os.WriteFile(filepath.Join(tmp, name), files[i], 0o644); err != nil {
			Unavailable(t, "creating the npm cache: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund",
		"--update-notifier=false", "--silent")
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		Unavailable(t, "npm ci for %s: %v\n%s", src, err, stderr.Bytes())
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr != nil { // not a concurrent install that won
			t.Fatalf("caching %s: %v", src, err)
		}
	}
	return filepath.Join(dir, "node_modules")
}
