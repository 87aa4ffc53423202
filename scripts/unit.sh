#!/usr/bin/env bash
# unit.sh runs every package's tests in two lanes at once (make unit; make
# test adds --fuzz):
#
#   - the library's and the site's packages under the race detector;
#   - those that drive the site from outside, without it: e2e (a browser
#     against the handlers the first lane tests under -race), e2e/cluster
#     (instances of the real binary, which is built without it) and bench
#     (the load generators' own checks), and genimages (slow under -race);
#     then, with --fuzz, every fuzz target (scripts/fuzz.sh).
#
# The second lane spends much of its time waiting (for a fault to last, a
# failover, a browser), which the first lane's work fills, and ends sooner:
# the fuzz targets then run beside the race lane's last packages rather
# than after them. Each lane's output is printed whole when it ends, so
# that the two do not interleave. It fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
fuzz=false
case "${1:-}" in
--fuzz) fuzz=true ;;
"") ;;
*)
	echo "usage: $0 [--fuzz]" >&2
	exit 2
	;;
esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

mapfile -t race < <($GO list ./... | grep -v -e '/e2e' -e '/bench' -e '/cmd/genimages$')
plain=(./e2e/... ./bench/... ./internal/artimg/cmd/genimages)

$GO test -race -count=1 -timeout 25m "${race[@]}" >"$dir/race" 2>&1 &
race_pid=$!
{
	$GO test -count=1 -timeout 25m "${plain[@]}" || exit 1
	if $fuzz; then
		echo "== every fuzz target (scripts/fuzz.sh)"
		GO=$GO ./scripts/fuzz.sh || exit 1
	fi
} >"$dir/plain" 2>&1 &
plain_pid=$!

status=0
wait $race_pid || status=1
echo "== go test -race (the library and the site)"
cat "$dir/race"
wait $plain_pid || status=1
echo "== go test (e2e, e2e/cluster, bench: from outside, without -race)"
cat "$dir/plain"
exit $status
