#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module, one after another (make
# fuzz): each func FuzzX in a tracked *_test.go file, found afresh on every
# run, so a new target cannot be left out. Go fuzzes one target per
# invocation.
#
#   FUZZTIME  inputs (or a duration) past each target's seeds; default 5000x
#   FUZZMIN   minimizing budget per new input; default 100x
#
# A count, not a duration, by default: a -fuzztime duration is a wall-clock
# deadline, and Go's fuzz coordinator can report reaching it as a failure
# ("context deadline exceeded", no crasher) on a starved machine; a count
# only runs slower there. Each input that finds new code is minimized, by
# default for up to a minute; bounded by a count, the slowest targets
# (several arguments, each minimized) took a quarter of the time.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5000x}
FUZZMIN=${FUZZMIN:-100x}

# "dir Target" for every fuzz target, in path order.
targets=$(git grep -n -E '^func Fuzz[A-Za-z0-9_]*\(' -- '*_test.go' |
	sed -E 's#^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#; s#^[^/ ]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#. \1#')
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz target found" >&2
	exit 1
fi
n=0
while read -r dir target; do
	echo "== $target ./$dir"
	$GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMIN" "./$dir"
	n=$((n + 1))
done <<<"$targets"
echo "fuzz.sh: $n targets"
