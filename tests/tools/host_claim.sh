# host_claim.sh - sourced by tests/sh/*.sh that run `kaudit verify` without
# a GPU: the host test double as the GPU plugin (KAUDIT_GPU_LIB, as in
# tests/sh/verify_host.sh), two C launchers built with cc (an honest 4x
# pair by the double's fake clock, and a candidate that writes nothing),
# a signing key outside the claim's tree, and a claim of two kernels whose
# title holds an ESC (YAML "\e").  Needs $KAUDIT and $BUILD; sets $tmp,
# $key, $pub and $claim.  The trap cleans up.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-hostclaim.XXXXXX")
keydir=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-key.XXXXXX")
trap 'rm -rf "$tmp" "$keydir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

KAUDIT_GPU_LIB=$BUILD/plugins/host_plugin.so
export KAUDIT_GPU_LIB
[ -f "$KAUDIT_GPU_LIB" ] || fail "no test plugin at $KAUDIT_GPU_LIB"
unset KAUDIT_WORKER KAUDIT_KEY

key=$keydir/key.pem
pub=$keydir/pub.pem
openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$key"
openssl pkey -in "$key" -pubout -out "$pub" 2>/dev/null || fail "openssl pkey"

cat >"$tmp/impl.c" <<'C'
#include "kaudit/launcher.h"
static void scale(const kaudit_launch *l)
{
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	for (int64_t i = 0; i < kaudit_numel(&l->buffers[1]); i++)
		y[i] = 2.0f * x[i] + 1.0f;
}
KAUDIT_ENTRY(ref_scale) { scale(l); return 0; }
const double ref_scale_cost_ns = 400000, ref_scale_jitter = 0.02;
KAUDIT_ENTRY(fast_scale) { scale(l); return 0; }
const double fast_scale_cost_ns = 100000, fast_scale_jitter = 0.02;
KAUDIT_ENTRY(nothing) { (void)l; return 0; }
C
cc -shared -fPIC -Iinclude -o "$tmp/impl.so" "$tmp/impl.c" || fail "cannot build impl.so"

claim=$tmp/claim.yaml
cat >"$claim" <<'Y'
kaudit: 1
claim:
  title: "Scale 3x \e[2J\e]0;pwned\a"
kernels:
  - id: honest
    claimed_speedup: 3.0
    baseline:  {source: impl.so, entry: ref_scale}
    candidate: {source: impl.so, entry: fast_scale}
    params: {N: 1000}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
    expect: reproduced
  - id: nothing
    claimed_speedup: 4.0
    baseline:  {source: impl.so, entry: ref_scale}
    candidate: {source: impl.so, entry: nothing}
    params: {N: 1000}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
    expect: {verdict: invalid, findings: [unwritten-output]}
Y
