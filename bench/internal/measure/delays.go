package measure

import (
	"strconv"
	"strings"
	"time"
)

// DelaysSpec is the scenario's delay list as /bench takes it: "50,100".
func DelaysSpec(delays []time.Duration) string {
	ms := make([]string, len(delays))
	for i, d := range delays {
		ms[i] = strconv.FormatInt(d.Milliseconds(), 10)
	}
	return strings.Join(ms, ",")
}
