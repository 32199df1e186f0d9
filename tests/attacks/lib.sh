# lib.sh - what every tests/sh/attack_*.sh shares, sourced after it sets
# $attack (its name): strict shell, a private folder, keys, the secrets
# to hunt for, the verify/check helpers, and the survivor sweep.
set -eu
failures=0
die() { echo "FAIL: $*" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
if [ -z "${KAUDIT:-}" ] || [ -z "${BUILD:-}" ]; then die "needs \$KAUDIT and \$BUILD"; fi
src=$(cd "$(dirname "$0")/../.." && pwd)
att=$src/tests/attacks
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-attack-$attack.XXXXXX")
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

