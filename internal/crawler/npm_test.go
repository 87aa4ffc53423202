package crawler_test

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

// npmPackage is a package version pinned by the tests, with the integrity
// hash of its tarball (as package-lock.json records it), so that a corpus
// can never change under the tests: npm versions are immutable, and the
// hash guards against a mirror serving something else.
type npmPackage struct {
	name, version, integrity string
}

func (p npmPackage) String() string { return p.name + "@" + p.version }

// fetchNPM returns the directory holding the unpacked contents of p (the
// tarball's "package/" folder), under
// os.UserCacheDir()/bigpipe-test/npm/NAME@VERSION. The first call downloads
// it with "npm pack", the registry being npm's configured one (the only
// network access), and unpacks it with archive/tar; later calls, in this
// run or a later one, reuse the directory.
//
// When npm is missing or the download fails, the test is skipped, unless
// the environment variable CI is "true": CI must run the corpus tests, so
// there it fails. A tarball whose hash differs from the pinned one always
// fails the test.
func fetchNPM(t testing.TB, p npmPackage) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		unavailable(t, "no cache directory for the npm corpus %v: %v", p, err)
	}
	root := filepath.Join(cache, "bigpipe-test", "npm")
	dir := filepath.Join(root, p.String())
	if _, err := os.Stat(dir); err == nil { // dir only appears complete: see the Rename below
		return dir
	}

	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "npm is needed to fetch the corpus %v: %v", p, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		unavailable(t, "creating the npm cache: %v", err)
	}
	tmp, err := os.MkdirTemp(root, ".fetch-")
	if err != nil {
		unavailable(t, "creating the npm cache: %v", err)
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
		unavailable(t, "npm pack %v: %v\n%s", p, err, stderr.Bytes())
	}
	tarballs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tarballs) != 1 {
		unavailable(t, "npm pack %v: want one tarball in %s, found %q", p, tmp, tarballs)
	}
	tgz, err := os.ReadFile(tarballs[0])
	if err != nil {
		unavailable(t, "npm pack %v: %v", p, err)
	}
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.integrity {
		t.Fatalf("npm pack %v: tarball integrity %s, want the pinned %s", p, got, p.integrity)
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

// unavailable skips the test, or fails it when the environment variable CI
// is "true".
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, so the corpus tests must run: "+format, args...)
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
		_, err = io.Copy(f, io.LimitReader(tr, 64<<20))
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
