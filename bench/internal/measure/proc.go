package measure

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// RaiseNofile raises this process's soft limit of open files to its hard
// limit (Go does so at start-up since 1.19; this makes sure) and returns it.
func RaiseNofile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return lim.Cur, nil
}

// ProcStatus reads VmRSS (in bytes) and Threads from a
// /proc/<pid>/status file.
func ProcStatus(b []byte) (rss uint64, threads int, err error) {
	var haveRSS bool
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			rss, haveRSS = kb<<10, true
		case "Threads":
			threads, _ = strconv.Atoi(f[0])
		}
	}
	if !haveRSS {
		return 0, 0, errors.New("no VmRSS in the status")
	}
	return rss, threads, nil
}
