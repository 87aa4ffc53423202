package livebench

// The socket.io side of messages posted → visible: two Node.js instances
// of socketio/server.js (socket.io with @socket.io/redis-adapter, the
// NestJS seed's stack: each socket joins its user's room on connection,
// a POST emits to that room with io.to(user).emit), sharing the bench's
// redis-server. The recipient's page is served by the second and loads
// the socket.io client from it; messages are posted to the first.
//
// The npm packages are pinned by socketio/package-lock.json (versions and
// integrity hashes; npm ci refuses anything else) and installed once per
// machine into the user cache, os.UserCacheDir()/bigpipe-bench/npm/
// socketio-<hash of the three files>, never into the repository.

import (
	"bytes"
	"context"
	"crypto/sha512"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

//go:embed socketio/package.json socketio/package-lock.json socketio/server.js
var socketIOFiles embed.FS

// socketIOInstall bounds npm ci.
const socketIOInstall = 5 * time.Minute

// socketIOVisible measures messages posted to one socket.io instance →
// visible in the recipient's page on the other, through rd.
func socketIOVisible(ctx context.Context, rig liveRig, rd *measure.Redis, o ReadersOptions) (*LiveVisible, error) {
	path, err := measure.ChromiumPath()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("socket.io: Node.js is needed (apt-get install -y nodejs npm): %w", err)
	}
	rig.progress("readers: socket.io: installing its pinned packages into the user cache (once per machine)")
	dir, err := socketIOInstallDir(ctx)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for i := range 2 {
		cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "server.js"))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "REDIS_URL="+rd.URL)
		p, err := startProc(cmd, fmt.Sprintf("socket.io instance %c", 'A'+i))
		if err != nil {
			return nil, err
		}
		defer p.stop()
		f, err := p.expect(ctx, "listening", liveStartTimeout)
		if err != nil || len(f) != 2 {
			return nil, fmt.Errorf("socket.io: %w", err)
		}
		addrs = append(addrs, f[1])
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	defer client.CloseIdleConnections()
	return liveVisibleOn(ctx, visibleRun{path: path, pubs: o.Messages, transport: "socket.io",
		page:     "http://" + addrs[1] + "/inbox?user=" + readerRecipient,
		publish:  poster(client, "http://"+addrs[0]+"/message?to="+readerRecipient),
		client:   `String(typeof socket !== 'undefined' && socket.io.engine && socket.io.engine.transport.name)`,
		progress: func(s string) { rig.progress("readers: socket.io: message posted on A → visible on B: " + s) }})
}

// SocketIOVersion is the socket.io version socketio/package-lock.json pins.
func SocketIOVersion() string {
	b, err := socketIOFiles.ReadFile("socketio/package-lock.json")
	if err != nil {
		return ""
	}
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if json.Unmarshal(b, &lock) != nil {
		return ""
	}
	return lock.Packages["node_modules/socket.io"].Version
}

// socketIOInstallDir returns the directory with server.js and its
// node_modules, installing them the first time.
func socketIOInstallDir(ctx context.Context) (string, error) {
	h := sha512.New()
	names := []string{"package.json", "package-lock.json", "server.js"}
	files := make([][]byte, len(names))
	for i, name := range names {
		b, err := socketIOFiles.ReadFile("socketio/" + name)
		if err != nil {
			return "", err
		}
		files[i] = b
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("socket.io: no cache directory: %w", err)
	}
	root := filepath.Join(cache, "bigpipe-bench", "npm")
	dir := filepath.Join(root, fmt.Sprintf("socketio-%x", h.Sum(nil)[:6]))
	if _, err := os.Stat(dir); err == nil { // dir only appears complete: see the Rename below
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("socket.io: npm is needed to install it: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(tmp, name), files[i], 0o644); err != nil {
			return "", err
		}
	}
	ictx, cancel := context.WithTimeout(ctx, socketIOInstall)
	defer cancel()
	cmd := exec.CommandContext(ictx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--update-notifier=false", "--silent")
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("socket.io: npm ci: %w: %s", err, stderr.Bytes())
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr != nil { // not a concurrent install that won
			return "", errors.Join(err, statErr)
		}
	}
	return dir, nil
}
