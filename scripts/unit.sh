#!/usr/bin/env bash
# unit.sh runs every package's tests in two groups at once (make unit):
#
#   - the library's and the site's packages under the race detector;
#   - those that drive the site from outside, without it: e2e (a browser
#     against the handlers the first group tests under -race), e2e/cluster
#     (instances of the real binary, which is built without it) and bench
#     (the load generators' own checks), and genimages (slow under -race).
#
# The second group spends much of its time waiting (for a fault to last, a
# failover, a browser), which the first group's work fills. Each group's
# output is printed whole when it ends, so that the two do not interleave.
# It fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

mapfile -t race < <($GO list ./... | grep -v -e '/e2e' -e '/bench' -e '/cmd/genimages$')
plain=(./e2e/... ./bench/... ./internal/artimg/cmd/genimages)

$GO test -race -count=1 -timeout 25m "${race[@]}" >"$dir/race" 2>&1 &
race_pid=$!
$GO test -count=1 -timeout 25m "${plain[@]}" >"$dir/plain" 2>&1 &
plain_pid=$!

status=0
wait $race_pid || status=1
echo "== go test -race (the library and the site)"
cat "$dir/race"
wait $plain_pid || status=1
echo "== go test (e2e, e2e/cluster, bench: from outside, without -race)"
cat "$dir/plain"
exit $status
