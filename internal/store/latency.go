package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// ParseLatency parses a latency spec such as "hotnews=200ms,finance=1.5s"
// into a map for [WithLatency]: comma-separated source=duration pairs, in
// [time.ParseDuration] syntax, with optional spaces around each part. The key
// "*" sets the latency of every other source. An empty or blank spec is an
// empty map. A malformed pair, an empty, malformed, unknown or repeated
// source name, or a negative duration is an error wrapping [ErrBadLatency];
// for an unknown name (a typo such as "finanse") it lists the known ones,
// [Sources] and "*".
func ParseLatency(spec string) (map[string]time.Duration, error) {
	out := make(map[string]time.Duration)
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for pair := range strings.SplitSeq(spec, ",") {
		key, val, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %q: want source=duration", ErrBadLatency, pair)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !validSource(key) {
			return nil, fmt.Errorf("%w: bad source name %q", ErrBadLatency, key)
		}
		if key != AnySource && !slices.Contains(Sources(), key) {
			return nil, fmt.Errorf("%w: unknown source %q: want one of %s, or %s for every other source",
				ErrBadLatency, key, strings.Join(Sources(), ", "), AnySource)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w: source %q given twice", ErrBadLatency, key)
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadLatency, key, err)
		}
		if d < 0 {
			return nil, fmt.Errorf("%w: %s: negative duration %s", ErrBadLatency, key, val)
		}
		out[key] = d
	}
	return out, nil
}

func validSource(s string) bool {
	if s == AnySource {
		return true
	}
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// FormatLatency formats a latency map in the syntax [ParseLatency] reads:
// source=duration pairs sorted by source, with [AnySource] last. An empty
// map is "".
func FormatLatency(latency map[string]time.Duration) string {
	keys := slices.Sorted(maps.Keys(latency))
	if i := slices.Index(keys, AnySource); i >= 0 {
		keys = append(slices.Delete(keys, i, i+1), AnySource)
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + latency[k].String()
	}
	return strings.Join(parts, ",")
}
