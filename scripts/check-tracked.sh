#!/usr/bin/env bash
# check-tracked.sh fails when git tracks a file that should not be in the
# repository: an executable binary (ELF, Mach-O or PE magic bytes, or the
# exec bit without a #! line) or anything larger than 1 MB. Build output such
# as a `go test -c` binary (render.test, 16 MB) is the usual culprit: it
# belongs in .gitignore, not in the history. testdata/ and bench/results/
# are exempt: what is there is kept on purpose.
#
# Modes and sizes are the index's (what the next commit holds); the magic
# bytes are read from the work tree's copy (the blob's when there is none).
# Run by `make lint`; alone: ./scripts/check-tracked.sh
set -eu
export LC_ALL=C
cd "$(git rev-parse --show-toplevel)"

max=$((1024 * 1024)) # bytes
bad=0

# One line per tracked file: mode, object and stage, a tab, the path; then
# the object's size, from one git cat-file for all of them.
while IFS=$'\t' read -r meta rest; do
	read -r mode obj _ <<<"$meta"
	path=${rest% *} size=${rest##* }
	case "$path" in
	testdata/* | */testdata/* | bench/results/*) continue ;;
	esac
	[[ $mode == 120000 || $mode == 160000 ]] && continue # symlink, submodule
	if ((size > max)); then
		echo "check-tracked: $path is $size bytes, over the 1 MB limit for tracked files (git rm --cached it; large test inputs go in testdata/)" >&2
		bad=1
	fi
	magic=
	if [[ -f $path ]]; then
		read -r -N 4 magic <"$path" || true
	else
		magic=$(git cat-file blob "$obj" | head -c 4 | tr -d '\0') || true
	fi
	kind=
	case "$magic" in
	$'\x7fELF'*) kind="an ELF executable" ;;
	$'\xfe\xed\xfa'* | $'\xce\xfa\xed\xfe'* | $'\xcf\xfa\xed\xfe'* | $'\xca\xfe\xba\xbe'*) kind="a Mach-O executable" ;;
	MZ*) kind="a PE (Windows) executable" ;;
	esac
	if [[ -z $kind && $mode == 100755 && $magic != '#!'* ]]; then
		kind="executable (mode 755) but not a script starting with #!"
	fi
	if [[ -n $kind ]]; then
		echo "check-tracked: $path is $kind: binaries are build output, not sources (git rm --cached it and ignore it in .gitignore)" >&2
		bad=1
	fi
done < <(paste -d ' ' <(git ls-files --stage) <(git ls-files --stage | awk '{print $2}' | git cat-file --batch-check='%(objectsize)'))

exit "$bad"
