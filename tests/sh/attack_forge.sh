attack=forge
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: records a candidate writes into the record channel ----
# Cases, in manifest order (the same in the honest twin, where every
# candidate is the honest `cheat` of honest.c at the same fake speed):
#   0 honest        an honest 100x pair: must stay reproduced
#   1 stream        (a) a forged 100x stream, replayed, then _exit(0)
#   2 reseed        (a) the same from a constructor, with this audit's seed
#   3 device        (b) a device record with peak_bw 1e16 hides a roofline
#                   violation (work: 1e9 bytes, 1000x)
#   4 roofline      the same pair without the forged record: the control
#   5 exit          (c) _exit(0) just after the first timed candidate sample
#   6 case          (d) a second case record with another seed
#   7 checks        (e) passing check records with another seed
c=$tmp/claim
roof='work: {bytes: "1000000*N"}'
build_so "$c/honest.so" honest
build_so "$c/fast100.so" honest -DCHEAT_COST=40000
build_so "$c/fast1000.so" honest -DCHEAT_COST=20000
manifest() { # CANDIDATE.so for each case 1..7, by position
	manifest_head "Scale, forged"
	kernel honest 100 ref_scale honest.so fast_scale
	kernel stream 100 ref_scale "$1"
	kernel reseed 100 ref_scale "$2"
	kernel device 1000 ref_slow "$3" cheat "$roof"
	kernel roofline 1000 ref_slow fast1000.so cheat "$roof"
	kernel exit 100 ref_scale "$4"
	kernel case 100 ref_scale "$5"
	kernel checks 100 ref_scale "$6"
}
manifest fast100.so fast100.so fast1000.so fast100.so fast100.so fast100.so >"$c/twin.yaml"
verify twin claim/twin.yaml --timeout 20
[ "$rc" = 1 ] || die "honest twin: exit $rc, want 1 (the roofline control is invalid): $(cat "$tmp/twin.err")"
trace_ok "honest twin" "$tmp/twin.kat" || die "honest twin: no trace"
for i in 0 1 2 5 6 7; do
	[ "$(verdict $i "$tmp/twin.kat")" = reproduced ] ||
		die "honest twin: case $i: $(verdict $i "$tmp/twin.kat") ($(why $i "$tmp/twin.kat"))"
done
for i in 3 4; do
	has_finding $i roofline-violation "$tmp/twin.kat" ||
		die "honest twin: case $i: no roofline-violation: the device attack would prove nothing"
done

# The records the honest twin's worker sent for case I (raw lines: jq 1.6
# would round the 64-bit seeds), as a C string `forged`.
forged_h() { # CASE OUT.h [TYPE]
	grep -F "\"case\":$1," "$tmp/twin.kat.jsonl" |
		grep -v '"type":"\(header\|finding\|verdict\|error\|footer\|signature\)"' |
		{ if [ -n "${3:-}" ]; then grep -F "\"type\":\"$3\""; else cat; fi; } >"$2.jsonl"
	[ -s "$2.jsonl" ] || die "no records of case $1 in the honest twin"
	{
		echo 'static const char forged[] ='
		sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/\\n"/' "$2.jsonl"
		echo ';'
	} >"$2"
}
forged_h 1 "$tmp/stream.h"
forged_h 2 "$tmp/reseed.h"
forged_h 6 "$tmp/case.h" case
forged_h 7 "$tmp/checks.h" check
# Detached from any call: only the seed gives them away (with the twin's
# call numbers they would also contradict this audit's call order).
sed 's/\\"call\\":[0-9]*,//' "$tmp/checks.h" >"$tmp/checks_nocall.h"
# (c): the candidate's calls before its first timed sample, then one more.
first=$(jq -s '[.[] | select(.case == 5 and .type == "sample" and .impl == "candidate")][0].call' \
	"$tmp/twin.kat.jsonl")
before=$(jq -s "[.[] | select(.case == 5 and .type == \"kernel\" and .impl == \"candidate\" and
	.call < $first) | .call] | unique | length" "$tmp/twin.kat.jsonl")
exit_at=$((before + 2))

build_so "$c/f_stream.so" forge -DFORGE_STREAM -DFORGE_COST_NS=4000000 -include "$tmp/stream.h"
build_so "$c/f_reseed.so" forge -DFORGE_RESEED -DFORGE_COST_NS=4000000 -include "$tmp/reseed.h"
build_so "$c/f_device.so" forge -DFORGE_DEVICE -DFORGE_COST_NS=20000
build_so "$c/f_exit.so" forge -DFORGE_EXIT_AT="$exit_at"
build_so "$c/f_case.so" forge -DFORGE_CASE -include "$tmp/case.h"
build_so "$c/f_checks.so" forge -DFORGE_CHECKS -include "$tmp/checks_nocall.h"
manifest f_stream.so f_reseed.so f_device.so f_exit.so f_case.so f_checks.so >"$c/claim.yaml"

verify forged claim/claim.yaml --timeout 20
t=$tmp/forged.kat
case $rc in
0 | 1) ;;
*) fail "forged: verify exit $rc, want 1: $(tail -n 3 "$tmp/forged.err" | tr '\n' ' ')" ;;
esac
[ "$rc" != 0 ] || fail "forged: verify exit 0: every case reproduced"
if trace_ok forged "$t"; then
	want_verdict "honest pair beside the forgers" "$t" 0 reproduced
	want_verdict "(a) forged stream + _exit(0)" "$t" 1 error invalid
	want_verdict "(a) forged stream, this audit's seed, from a constructor" "$t" 2 error invalid
	want_verdict "(b) forged device record (peak_bw 1e16)" "$t" 3 error invalid
	want_verdict "roofline control" "$t" 4 invalid
	has_finding 4 roofline-violation "$t" || fail "roofline control: no roofline-violation"
	want_verdict "(c) _exit(0) after the first timed sample (call $exit_at)" "$t" 5 error invalid
	want_verdict "(d) a second case record" "$t" 6 error invalid
	want_verdict "(e) check records with another seed" "$t" 7 error invalid
	# What the trace says must be the supervisor's facts, not the forger's.
	jq -se '[.[] | select(.type == "device" and (.peak_bw // 0) > 1e15)] | length == 0' \
		"$t.jsonl" >/dev/null ||
		fail "(b): the trace holds the forged device record (peak_bw 1e16)"
	n=$(jq -se '[.[] | select(.type == "case")] | group_by(.case) |
		map(select(length > 1) | .[0].case) | map(tostring) | join(",")' "$t.jsonl")
	[ "$n" = '""' ] || fail "(a)/(d): cases with more than one case record in the trace: $n"
	# Every check record carries its case's seed (compared as text: jq 1.6
	# rounds 64-bit integers).
	bad=$(grep '"type":"case"' "$t.jsonl" | sed 's/.*"case":\([0-9]*\),.*"seed":\(-\{0,1\}[0-9]*\).*/\1 \2/' |
		awk '!seen[$1]++' | while read -r ci cs; do
			grep '"type":"check"' "$t.jsonl" | grep -F "\"case\":$ci," |
				grep -v -F "\"seed\":$cs," | head -n 1 | sed "s/^/case $ci: /" | cut -c1-160
		done)
	[ -z "$bad" ] || fail "(a)/(e): check records whose seed is not their case's: $bad"
	no_leak "forged: trace" "$t.jsonl" "$t.strings"
fi
no_leak "forged: output" "$tmp/forged.out" "$tmp/forged.err"
no_survivors forged
finish attack_forge
