package scale

// Where a publication's time goes: the CPU time each kind of process of
// the run spent while it fanned out (from /proc/<pid>/stat), and what the
// machine spent on everything else and left idle (from /proc/stat). On a
// machine of two cores, a fan-out whose last receipt comes after t has had
// 2t of CPU at most: this says who took it.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// PubCPU is the CPU time spent during one publication, from before the
// publish to the last receipt, by kind of process.
type PubCPU struct {
	Instances, Clients, Redis time.Duration // the run's own processes
	Other                     time.Duration // every other process on the machine, and the kernel's own threads
	Idle                      time.Duration // CPU left idle
}

// cpuPids are the run's processes whose CPU time is read.
type cpuPids struct {
	instances, clients []int
	redis              int
}

// cpuSample is the CPU time of the run's processes and of the machine at
// one moment.
type cpuSample struct {
	instances, clients, redis time.Duration
	busy, idle                time.Duration // the machine's, every core
}

// sampleCPU reads the CPU time of p's processes and of the machine.
func sampleCPU(p cpuPids) (cpuSample, error) {
	var s cpuSample
	var errs []error
	sum := func(pids []int) time.Duration {
		var t time.Duration
		for _, pid := range pids {
			d, err := measure.ProcCPU(pid)
			errs = append(errs, err)
			t += d
		}
		return t
	}
	s.instances, s.clients = sum(p.instances), sum(p.clients)
	s.redis = sum([]int{p.redis})
	b, err := os.ReadFile("/proc/stat")
	if err == nil {
		s.busy, s.idle, err = parseProcStat(b)
	}
	errs = append(errs, err)
	return s, errors.Join(errs...)
}

// cpuBetween is what was spent from a to b.
func cpuBetween(a, b cpuSample) PubCPU {
	c := PubCPU{
		Instances: b.instances - a.instances,
		Clients:   b.clients - a.clients,
		Redis:     b.redis - a.redis,
		Idle:      b.idle - a.idle,
	}
	// The machine's busy time less the run's: the clock ticks of the two
	// sources are counted apart, so a short interval may come out a tick
	// below zero.
	c.Other = max(0, (b.busy-a.busy)-(c.Instances+c.Clients+c.Redis))
	return c
}

// parseProcStat reads the machine's busy and idle CPU time, over every
// core, from /proc/stat's first line ("cpu user nice system idle iowait
// irq softirq steal guest guest_nice", in ticks of 1/100 s). Guest time
// is counted in user time already.
func parseProcStat(b []byte) (busy, idle time.Duration, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	if !sc.Scan() {
		return 0, 0, errors.New("/proc/stat: empty")
	}
	f := strings.Fields(sc.Text())
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: first line %q, want cpu and 8 counters or more", sc.Text())
	}
	var t [8]uint64
	for i := range t {
		if t[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
	}
	tick := time.Second / 100
	// user nice system [idle iowait] irq softirq steal
	busy = time.Duration(t[0]+t[1]+t[2]+t[5]+t[6]+t[7]) * tick
	idle = time.Duration(t[3]+t[4]) * tick
	return busy, idle, nil
}

// String gives the CPU times in seconds.
func (c PubCPU) String() string {
	s := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }
	return fmt.Sprintf("instances %s, clients %s, redis %s, other processes %s, idle %s",
		s(c.Instances), s(c.Clients), s(c.Redis), s(c.Other), s(c.Idle))
}
