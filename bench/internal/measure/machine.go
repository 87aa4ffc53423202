package measure

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Machine is where the benchmark ran.
type Machine struct {
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	CPU       string    `json:"cpu,omitempty"` // model name, from /proc/cpuinfo
	GoVersion string    `json:"go_version"`
	Date      time.Time `json:"date"`
	Commit    string    `json:"commit,omitempty"` // git rev-parse --short HEAD, "+dirty" when the tree has changes
}

// MachineInfo describes this machine and checkout.
func MachineInfo(ctx context.Context, now time.Time) Machine {
	return Machine{
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		NumCPU:    runtime.NumCPU(),
		CPU:       cpuModel(),
		GoVersion: runtime.Version(),
		Date:      now,
		Commit:    GitCommit(ctx),
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo, "" if none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// GitCommit is the short commit of the checkout, with "+dirty" when the
// working tree differs from it; outside a git checkout, the commit the
// binary was built from (its VCS stamp), "" if it has none.
func GitCommit(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return builtCommit()
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}

// builtCommit is the commit of the binary's VCS stamp, short, with
// "+dirty" when the tree had changes; "" without a stamp.
func builtCommit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// WriteAtomic writes data to path through a temporary file in the same
// directory, so that a reader never sees half a file.
func WriteAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".latest-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
