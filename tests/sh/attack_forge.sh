set -eu
failures=0
die() { echo "FAIL: $*" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
if [ -z "${KAUDIT:-}" ] || [ -z "${BUILD:-}" ]; then die "needs \$KAUDIT and \$BUILD"; fi
src=$(cd "$(dirname "$0")/../.." && pwd)
att=$src/tests/attacks
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-attack-forge.XXXXXX")
tmp=$(cd "$tmp" && pwd -P)
spawned=
extra=
# Every process whose argv names this test's folder, or that holds a file
# under it open (the hostile objects' beacon, attack.h): a worker, or
# anything a candidate started, however it renamed or detached itself.
survivors() {
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$$" ] && continue
		c=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
		case $c in *"$tmp"*) echo "$p [$c]"; continue ;; esac
		for f in "$d"/fd/*; do
			l=$(readlink "$f" 2>/dev/null) || continue
			case $l in "$tmp"/*) echo "$p [holds $l; $c]"; break ;; esac
		done
	done
}
cleanup() {
	for p in $spawned $(survivors | cut -d' ' -f1); do kill -9 "$p" 2>/dev/null || true; done
	# shellcheck disable=SC2086 # a list of paths
	rm -rf "$tmp" $extra
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

KAUDIT_GPU_LIB=$BUILD/plugins/host_plugin.so
export KAUDIT_GPU_LIB
[ -f "$KAUDIT_GPU_LIB" ] || die "no test plugin at $KAUDIT_GPU_LIB"
unset KAUDIT_WORKER KAUDIT_KEY

# The signing key lives outside the claim's tree; the claim in claim/.
mkdir "$tmp/keys" "$tmp/claim"
key=$tmp/keys/key.pem
pub=$tmp/keys/pub.pem
newkey() { # PRIV PUB
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null || die "openssl genpkey"
	chmod 600 "$1"
	openssl pkey -in "$1" -pubout -out "$2" 2>/dev/null || die "openssl pkey"
}
newkey "$key" "$pub"
cc -O1 -o "$tmp/findsecret" "$att/findsecret.c" || die "cannot build findsecret"

hex() { od -An -v -tx1 | tr -d ' \n'; }
# What of KEY must never be seen: the PEM body, 12-character pieces of its
# key-specific part (the first 20 characters are the same in every Ed25519
# PKCS#8 key), and the raw 32-byte private key, whole and in halves.
add_secrets() { # NAME KEY.pem
	body=$(grep -v '^-----' "$2" | tr -d '\n')
	printf '%s %s\n' "$1:pem-body" "$(printf %s "$body" | hex)"
	i=25
	while [ "$i" -le $((${#body} - 11)) ]; do
		printf '%s %s\n' "$1:b64@$i" "$(printf %s "$body" | cut -c"$i-$((i + 11))" | hex)"
		i=$((i + 12))
	done
	raw=$(openssl pkey -in "$2" -outform DER 2>/dev/null | tail -c 32 | hex)
	[ ${#raw} = 64 ] || die "cannot extract the raw key of $2"
	printf '%s %s\n' "$1:raw" "$raw"
	printf '%s %s\n' "$1:raw-lo" "$(printf %s "$raw" | cut -c1-32)"
	printf '%s %s\n' "$1:raw-hi" "$(printf %s "$raw" | cut -c33-64)"
} >>"$tmp/secrets"
add_secrets key "$key"
no_leak() { # WHAT FILE...
	what=$1
	shift
	set +e
	hits=$("$tmp/findsecret" "$tmp/secrets" "$@")
	frc=$?
	set -e
	[ "$frc" = 0 ] || fail "$what: secret found: $(echo "$hits" | sed "s|$tmp/||g" | tr '\n' ' ')"
}

# kaudit verify in $tmp, trace NAME.kat, output NAME.out/NAME.err; sets rc.
verify() { # NAME MANIFEST [ARGS...]
	vn=$1 vm=$2
	shift 2
	set +e
	(cd "$tmp" && exec "$KAUDIT" verify "$vm" --key "$key" -o "$tmp/$vn.kat" --quick "$@") \
		>"$tmp/$vn.out" 2>"$tmp/$vn.err"
	rc=$?
	set -e
}
# The trace is there and kaudit check accepts it; NAME.kat.jsonl (the
# records) and NAME.kat.strings (every string in them, unescaped) for the
# searches below.  Returns 1 when there is no trace.
trace_ok() { # WHAT TRACE [PUB]
	: >"$2.jsonl"
	: >"$2.strings"
	if [ ! -s "$2" ]; then
		fail "$1: no trace at ${2#"$tmp"/}"
		return 1
	fi
	set +e
	"$KAUDIT" check "$2" --pubkey "${3:-$pub}" >"$2.check" 2>&1
	crc=$?
	set -e
	[ "$crc" = 0 ] || fail "$1: kaudit check exit $crc: $(grep -v '^ *$' "$2.check" | tail -n 4 | tr '\n' ' ')"
	zcat "$2" >"$2.jsonl" 2>/dev/null || fail "$1: trace does not decompress"
	jq -r '.. | strings' "$2.jsonl" >"$2.strings" 2>/dev/null || true
	return 0
}
verdict() { # CASE TRACE
	jq -r "select(.type == \"verdict\" and .case == $1) | .verdict" "$2.jsonl" 2>/dev/null | head -n 1
}
why() { # CASE TRACE
	jq -r "select(.type == \"verdict\" and .case == $1) |
		\"\\(.reason // \"\"); findings: \\((.findings // []) | join(\",\"))\"" \
		"$2.jsonl" 2>/dev/null | head -n 1
}
want_verdict() { # WHAT TRACE CASE VERDICT...
	wv_what=$1 wv_t=$2 wv_c=$3
	shift 3
	wv_v=$(verdict "$wv_c" "$wv_t")
	for w in "$@"; do
		[ "$wv_v" = "$w" ] && return 0
	done
	fail "$wv_what: case $wv_c verdict '${wv_v:-none}', want $(echo "$*" | sed 's/ / or /g') ($(why "$wv_c" "$wv_t"))"
}
has_finding() { # CASE CODE TRACE
	jq -se --arg code "$2" "any(.[]; .type == \"finding\" and .case == $1 and .code == \$code)" \
		"$3.jsonl" >/dev/null 2>&1
}
no_survivors() { # WHAT: and stops them, so that later checks start clean
	sleep 0.3
	s=$(survivors)
	[ -z "$s" ] || fail "$1: outlived the audit: $(echo "$s" | tr '\n' ' ')"
	for p in $(echo "$s" | cut -d' ' -f1); do kill -9 "$p" 2>/dev/null || true; done
}
# A shared object from tests/attacks/SRC.c (extra cc arguments after).
build_so() { # OUT.so SRC [CCFLAGS...]
	bo=$1 bs=$2
	shift 2
	cc -shared -fPIC -I"$src/include" -I"$att" -DAT_BEACON="\"$tmp/claim/beacon\"" "$@" \
		-o "$bo" "$att/$bs.c" -lm || die "cannot build $(basename "$bo") from $bs.c"
}
: >"$tmp/claim/beacon"
# One kernel of a manifest: ID CLAIMED BASELINE_ENTRY CANDIDATE_SO [EXTRA]
kernel() {
	cat <<Y
  - id: $1
    claimed_speedup: $2
    baseline:  {source: honest.so, entry: $3}
    candidate: {source: $4, entry: ${5:-cheat}}
    params: {N: 1000}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
Y
	[ -z "${6:-}" ] || printf '    %s\n' "$6"
}
manifest_head() { printf 'kaudit: 1\nclaim:\n  title: "%s"\nkernels:\n' "$1"; }
finish() { # NAME
	if [ "$failures" != 0 ]; then
		echo "$1: $failures assertion(s) failed" >&2
		exit 1
	fi
	echo "$1: ok"
}

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
