package measure

// The redis-server the live cluster part fans out through (package
// redisserver: a free loopback port, no persistence), stopped when the part
// ends, and the CPU time of the processes the storm watches.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redisserver"
)

// ErrNoRedis is the live cluster part's answer when redis-server is not
// installed: its figures are skipped, saying how to install it.
var ErrNoRedis = redisserver.ErrNotInstalled

// Redis is the redis-server the cluster part fans out through, and
// its version (from INFO).
type Redis struct {
	*redisserver.Server
	Version string
}

// StartRedis starts redis-server on a free loopback port (package
// redisserver) and reads its version.
func StartRedis() (*Redis, error) {
	s, err := redisserver.Start()
	if err != nil {
		return nil, err
	}
	info, err := s.Info("server")
	if err != nil {
		s.Stop()
		return nil, err
	}
	return &Redis{Server: s, Version: info["redis_version"]}, nil
}

// ProcCPU is a process's CPU time so far (user and system), from
// /proc/<pid>/stat; the kernel counts it in clock ticks of 1/100 s
// (USER_HZ, 100 on Linux).
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseProcStatCPU(b)
}

// ParseProcStatCPU reads utime + stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name, field 2, is in parentheses and
// may hold spaces: the fields are counted after its closing one.
func ParseProcStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (the state): utime is field 14, f[11].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name, want 13 or more", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc stat: %w", err)
	}
	return time.Duration(u+s) * (time.Second / 100), nil
}
