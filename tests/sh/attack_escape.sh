set -eu
failures=0
die() { echo "FAIL: $*" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
if [ -z "${KAUDIT:-}" ] || [ -z "${BUILD:-}" ]; then die "needs \$KAUDIT and \$BUILD"; fi
src=$(cd "$(dirname "$0")/../.." && pwd)
att=$src/tests/attacks
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-attack-escape.XXXXXX")
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

# ---- the attacks: a candidate that escapes its worker or kills kaudit ----
c=$tmp/claim
hb=$(mktemp /tmp/kaudit-attack-hb.XXXXXX)
extra=$hb
build_so "$c/honest.so" honest
build_so "$c/daemon.so" escape -DESCAPE_DAEMON="\"$hb\""
build_so "$c/victim.so" escape -DESCAPE_VICTIM="\"$c/victim.pid\""
build_so "$c/hang.so" escape -DESCAPE_HANG
build_so "$c/kill.so" escape -DESCAPE_PARENT=SIGKILL -DSUPER_PID="\"$c/super.pid\""
build_so "$c/stop.so" escape -DESCAPE_PARENT=SIGSTOP -DSUPER_PID="\"$c/super.pid\""
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# (a) a daemon in its own session, (b) signals to an unrelated process,
# (c) a call that ignores SIGTERM and never returns; honest pairs around.
sleep 30 >/dev/null 2>&1 &
victim=$!
spawned=$victim
echo "$victim" >"$c/victim.pid"
{
	manifest_head "Scale, escaping"
	kernel honest 100 ref_scale honest.so fast_scale
	kernel daemon 100 ref_scale daemon.so
	kernel victim 100 ref_scale victim.so
	kernel hang 100 ref_scale hang.so
	kernel honest_after 100 ref_scale honest.so fast_scale
} >"$c/claim.yaml"
timeout=3
start=$(now_ms)
verify escape claim/claim.yaml --timeout "$timeout"
took=$(($(now_ms) - start))
t=$tmp/escape.kat
[ "$rc" = 1 ] || fail "escape: verify exit $rc, want 1: $(tail -n 3 "$tmp/escape.err" | tr '\n' ' ')"
# One case may take --timeout and the SIGTERM-to-SIGKILL grace (2 s); the
# rest of the audit takes well under a second here.
[ "$took" -le $(((timeout + 2 + 4) * 1000)) ] ||
	fail "escape: verify took $took ms with --timeout $timeout"
if trace_ok escape "$t"; then
	want_verdict "honest pair before the escapes" "$t" 0 reproduced
	want_verdict "(a) daemon in its own session" "$t" 1 error invalid
	want_verdict "(b) signals to an unrelated process" "$t" 2 error invalid
	want_verdict "(c) ignores SIGTERM, never returns" "$t" 3 error
	jq -se 'any(.[]; .type == "error" and .case == 3 and
		(.where == "timeout" or (.message | test("timed out"))))' "$t.jsonl" >/dev/null ||
		fail "(c): case 3 has no timeout error: $(jq -c 'select(.type == "error" and .case == 3)' "$t.jsonl")"
	want_verdict "honest pair after the escapes" "$t" 4 reproduced
	no_leak "escape: trace" "$t.jsonl" "$t.strings"
fi
no_leak "escape: output" "$tmp/escape.out" "$tmp/escape.err"
if ! kill -0 "$victim" 2>/dev/null; then
	fail "(b): the unrelated process $victim was killed"
else
	st=$(cut -d' ' -f3 "/proc/$victim/stat" 2>/dev/null || echo '?')
	[ "$st" != T ] || fail "(b): the unrelated process $victim was stopped"
fi
# The heartbeat has stopped 1 s after verify returned.
sleep 1
s1=$(wc -c <"$hb")
sleep 0.5
s2=$(wc -c <"$hb")
[ "$s2" = "$s1" ] || fail "(a): heartbeat still growing after the audit ($s1 -> $s2 bytes: $(tail -n 1 "$hb"))"
[ "$s1" != 0 ] || echo "note: (a): the daemon never wrote its heartbeat (writes to /tmp refused?)"
no_survivors escape

# (b) SIGKILL and SIGSTOP to the supervisor: verify still finishes within
# its --timeout, writes and signs the trace, and exits 1 on its own.
bg_verify() { # NAME MANIFEST DEADLINE_S
	: >"$c/super.pid"
	(cd "$tmp" && exec "$KAUDIT" verify "$2" --key "$key" -o "$tmp/$1.kat" --quick \
		--timeout "$timeout") >"$tmp/$1.out" 2>"$tmp/$1.err" &
	vpid=$!
	spawned="$spawned $vpid"
	echo "$vpid" >"$c/super.pid"
	waited=0
	while st=$(cut -d' ' -f3 "/proc/$vpid/stat" 2>/dev/null) && [ "$st" != Z ]; do
		if [ "$waited" -ge $(($3 * 10)) ]; then
			fail "$1: verify still running after $3 s (state $st$([ "$st" != T ] || echo ': stopped'))"
			kill -9 "$vpid" 2>/dev/null || true
			break
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	set +e
	wait "$vpid" 2>/dev/null
	rc=$?
	set -e
}
for sig in kill stop; do
	{
		manifest_head "Scale, and SIG$sig to kaudit"
		kernel "$sig" 100 ref_scale "$sig.so"
		kernel honest 100 ref_scale honest.so fast_scale
	} >"$c/$sig.yaml"
	bg_verify "$sig" "claim/$sig.yaml" $((timeout + 2))
	if [ "$rc" -gt 128 ]; then
		fail "SIG$sig to the supervisor: verify died of signal $((rc - 128))"
	elif [ "$rc" != 1 ]; then
		fail "SIG$sig to the supervisor: verify exit $rc, want 1: $(tail -n 3 "$tmp/$sig.err" | tr '\n' ' ')"
	fi
	if trace_ok "SIG$sig to the supervisor" "$tmp/$sig.kat"; then
		want_verdict "SIG$sig to the supervisor" "$tmp/$sig.kat" 0 error invalid
		want_verdict "SIG$sig to the supervisor: the honest pair" "$tmp/$sig.kat" 1 reproduced
	fi
	no_survivors "SIG$sig to the supervisor"
done
finish attack_escape
