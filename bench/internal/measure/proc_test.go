package measure

import (
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	// The name may hold spaces and parentheses; utime and stime are 14 and 15.
	line := "4242 (redis-server *:6) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 5 0 100 1000000 2000 18446744073709551615\n"
	got, err := ParseProcStatCPU([]byte(line))
	if err != nil || got != 3800*time.Millisecond {
		t.Errorf("ParseProcStatCPU = %v, %v; want 3.8s", got, err)
	}
	if _, err := ParseProcStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short line parsed")
	}
}

func TestParseProcStatus(t *testing.T) {
	status := "Name:\tbigpipe\nVmPeak:\t 1300000 kB\nVmRSS:\t   21240 kB\nRssAnon:\t 9000 kB\nThreads:\t7\n"
	rss, threads, err := ProcStatus([]byte(status))
	if err != nil || rss != 21240<<10 || threads != 7 {
		t.Errorf("ProcStatus = %d, %d, %v; want %d, 7, nil", rss, threads, err, 21240<<10)
	}
	if _, _, err := ProcStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmRSS: no error")
	}
}
