#!/bin/sh
# make check-deps (tests/tools/check_deps.sh) passes on this tree and fails,
# naming the line, on each way an include can go wrong: pointing up the
# pipeline, sideways between modules of one rank, "../" spelling, a bare
# name, a module the script does not rank.
set -u
fail() { echo "check_deps: $*" >&2; exit 1; }
tool=tests/tools/check_deps.sh
sh "$tool" > /dev/null || fail "the tree itself does not pass"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad() { # FILE LINE EXPECTED: that include in a copy of src/ must be refused
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r src "$tmp/t/" || fail "copy"
	printf '%s\n' "$2" >> "$tmp/t/$1"
	sh "$tool" "$tmp/t" > /dev/null 2> "$tmp/err" && fail "accepted $2 in $1"
	grep -qF "$3" "$tmp/err" || fail "$1 '$2': no '$3' in: $(cat "$tmp/err")"
}
bad src/trace/record.c '#include "detect/detect.h"' 'trace (rank 1) may not include detect (rank 3): it points up'
bad src/util/util.c '#include "cli/cli.h"' 'util (rank 0) may not include cli'
bad src/gpu/gpu_env.c '#include "supervisor/audit_run.h"' 'gpu (rank 7) may not include supervisor (rank 7)'
bad src/detect/timing.c '#include "../util/rng.h"' 'spell it "module/x.h"'
bad src/detect/timing.c '#include "stats.h"' 'spell it "detect/stats.h"'
mkdir -p "$tmp/t2/src/newmod" && cp -r src "$tmp/t2/" && : > "$tmp/t2/src/newmod/x.c"
sh "$tool" "$tmp/t2" > /dev/null 2> "$tmp/err" && fail "an unranked module passed"
grep -q "module 'newmod' has no rank" "$tmp/err" || fail "unranked module not named"
echo "check_deps: ok"
