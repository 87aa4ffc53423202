package cachebench

// React's streaming server as a row of the limit part: react/server.mjs
// (renderToPipeableStream, six Suspense boundaries, nothing cached) run by
// Node with react and react-dom at the versions react/package-lock.json
// pins, installed once per machine with npm ci into the user cache.

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/static"
)

//go:embed react/package.json react/package-lock.json react/server.mjs
var reactFiles embed.FS

// reactInstallTimeout bounds npm ci (three packages, about 1 MB).
const reactInstallTimeout = 3 * time.Minute

// reactProc is React's server, a Node child process.
type reactProc struct {
	*child
	addr string // host:port
}

// startReact installs React if it is not yet (see reactDir) and starts
// its server; the error says why not (no Node, no npm, the registry out
// of reach).
func startReact(ctx context.Context) (*reactProc, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node not installed (apt-get install -y nodejs npm)")
	}
	dir, err := reactDir(ctx)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	c, f, err := startChild(ctx, "the React server", cmd, 30*time.Second)
	if err != nil {
		return nil, err
	}
	return &reactProc{child: c, addr: f[0]}, nil
}

// reactDir returns the directory React's server runs in: the embedded
// files, the bench page's stylesheet and their node_modules, under
// os.UserCacheDir()/bigpipe-bench/react-HASH, HASH naming what was
// written there. The first call runs npm ci (the lockfile pins every
// package); later ones, in this run or a later one, reuse it.
func reactDir(ctx context.Context) (string, error) {
	files := map[string][]byte{}
	h := sha256.New()
	for _, name := range []string{"package.json", "package-lock.json", "server.mjs"} {
		b, err := reactFiles.ReadFile("react/" + name)
		if err != nil {
			return "", err
		}
		files[name] = b
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	css, err := fs.ReadFile(static.FS, "css/bench.css")
	if err != nil {
		return "", err
	}
	files["bench.css"] = css
	h.Write(css)
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for React: %w", err)
	}
	root := filepath.Join(cache, "bigpipe-bench")
	dir := filepath.Join(root, "react-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "react-dom", "server.js")); err == nil {
		return dir, nil // complete: it appears only once installed (the Rename below)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm not installed (apt-get install -y npm)")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, "react-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // gone once renamed
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	ictx, cancel := context.WithTimeout(ctx, reactInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ictx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci for React: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return dir, nil // another run installed it meanwhile
		}
		return "", err
	}
	return dir, nil
}

// reactBytes is the body of one page of React's server at addr.
func reactBytes(ctx context.Context, addr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "PAGELET-p5-READY") {
		return 0, fmt.Errorf("the React page: status %d, %d bytes, no PAGELET-p5-READY", resp.StatusCode, len(b))
	}
	return len(b), nil
}
