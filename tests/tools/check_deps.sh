#!/bin/sh
# check_deps.sh - dependencies point down the pipeline (DESIGN section 1):
# a module includes only its own headers and those of modules below it,
# always spelled "module/x.h" (never "../", never a bare "x.h").  Lowest
# first; a module includes only modules of a lower rank:
#   util 0, trace 1, claim 2, detect 3, audit 4, run 5, build 6,
#   gpu 7, python 7, supervisor 7, observe 7, cli 8
# (run's spawn primitive is below build, which compiles through it; the
# supervisor, which builds and then runs, is above both; python is the
# bridge's preload, a leaf like gpu).  Exits 1 listing
# every include that points up or sideways, or is spelled another way.
# $1: the tree to check (default: this repository).
cd "${1:-$(dirname "$0")/../..}" || exit 2
rank() {
	case $1 in
	util) echo 0 ;; trace) echo 1 ;; claim) echo 2 ;; detect) echo 3 ;;
	audit) echo 4 ;; run) echo 5 ;; build) echo 6 ;; gpu | python | supervisor | observe) echo 7 ;;
	cli) echo 8 ;; *) echo -1 ;;
	esac
}
bad=0
for f in src/*/*.c src/*/*.h src/*/*.cu; do
	[ -f "$f" ] || continue
	mod=$(echo "$f" | cut -d/ -f2)
	r=$(rank "$mod")
	if [ "$r" -lt 0 ]; then
		echo "$f: module '$mod' has no rank in tests/tools/check_deps.sh" >&2
		bad=1
		continue
	fi
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/')
		case $inc in
		kaudit/*) continue ;;
		../* | */../*) echo "$f:$n: \"$inc\": spell it \"module/x.h\"" ;;
		*/*)
			to=${inc%%/*}
			t=$(rank "$to")
			if [ "$t" -lt 0 ]; then
				echo "$f:$n: \"$inc\": not a module of src/"
			elif [ "$to" != "$mod" ] && [ "$t" -ge "$r" ]; then
				echo "$f:$n: \"$inc\": $mod (rank $r) may not include $to (rank $t): it points up"
			fi ;;
		*) echo "$f:$n: \"$inc\": spell it \"$mod/$inc\"" ;;
		esac
	done
done > "${TMPDIR:-/tmp}/check_deps.$$"
if [ -s "${TMPDIR:-/tmp}/check_deps.$$" ]; then
	cat "${TMPDIR:-/tmp}/check_deps.$$" >&2
	bad=1
fi
rm -f "${TMPDIR:-/tmp}/check_deps.$$"
[ $bad = 0 ] && echo "check-deps: every include points down"
exit $bad
