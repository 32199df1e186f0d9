# fake_worker_claim.sh - sourced by tests/sh/verify_*.sh: a claim whose
# implementations are a prebuilt .so (the launcher ABI is plain C, so cc
# builds one), a signing key, and the fake worker (tests/tools/fake_worker.c)
# in place of `kaudit __worker`.  Needs $KAUDIT and $BUILD; sets $tmp,
# $claim, $key and exports KAUDIT_WORKER.  The trap cleans up.  
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-verify.XXXXXX")
# The key lives outside the claim's tree: verify refuses a key the code
# under audit could read.
keydir=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-key.XXXXXX")
trap 'rm -rf "$tmp" "$keydir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/impl.c" <<'C'
#include "kaudit/launcher.h"
int base_entry(const kaudit_launch *l) { (void)l; return 0; }
int fast_entry(const kaudit_launch *l) { (void)l; return 0; }
C
cc -shared -fPIC -Iinclude -o "$tmp/impl.so" "$tmp/impl.c" || fail "cannot build impl.so"

# Cases in claim_cases() order: 0 scale{N:1024}, 1 scale{N:4096}, 2 other{N:64}.
claim=$tmp/claim.yaml
cat > "$claim" <<'Y'
kaudit: 1
claim:
  title: "Scale, 2x over the reference"
kernels:
  - id: scale
    claimed_speedup: 2.0
    baseline:  {source: impl.so, entry: base_entry}
    candidate: {source: impl.so, entry: fast_entry}
    params:
      - {N: 1024}
      - {N: 4096}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
  - id: other
    claimed_speedup: 1.5
    baseline:  {source: impl.so, entry: base_entry}
    candidate: {source: impl.so, entry: fast_entry}
    params: {N: 64}
    buffers:
      - {name: y, role: out, dtype: f32, shape: [N]}
Y

key=$keydir/key.pem
openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$key"

KAUDIT_WORKER=$BUILD/tools/fake_worker
export KAUDIT_WORKER
[ -x "$KAUDIT_WORKER" ] || fail "no fake worker at $KAUDIT_WORKER (make tools)"
unset FAKE_WORKER_CASES FAKE_WORKER_PROBE KAUDIT_KEY
# Workers inherit only what kaudit(1) lists, and what this names.
KAUDIT_WORKER_ENV=FAKE_WORKER_CASES,FAKE_WORKER_PROBE,FAKE_WORKER_SPEEDUP
export KAUDIT_WORKER_ENV

# The cases a worker was started for: each has the sandbox record the
# supervisor writes when it spawns one.
worker_cases() {
	zcat "$1" | jq -r 'select(.type == "sandbox" and .process == "worker") | .case' |
		tr '\n' ' '
}

# The trace must be intact: gzip, footer digest over the bytes before it,
# and `kaudit check`.
check_trace() {
	[ -s "$1" ] || fail "no trace at $1"
	gzip -t "$1" || fail "$1 is not gzip"
	want=$(zcat "$1" | tail -n 2 | head -n 1 | jq -r .sha256)
	got=$(zcat "$1" | head -n -2 | sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] || fail "$1: footer digest $want, bytes $got"
	zcat "$1" | tail -n 1 | jq -se '.[0].type == "signature"' >/dev/null ||
		fail "$1: last line is not the signature"
	"$KAUDIT" check "$1" >"$tmp/check.out" 2>&1 ||
		fail "kaudit check $1: $(cat "$tmp/check.out")"
}
