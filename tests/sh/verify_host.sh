# verify_host.sh - `kaudit verify` end to end without a GPU: the real worker,
# protocol, supervisor, detectors, verdicts, signed trace and `kaudit check`,
# with the host test double standing in for the GPU plugin
# ($BUILD/plugins/host_plugin.so, tests/plugins/host_plugin.c).  The
# implementations are plain C launchers built here with cc; their timings
# come from the double's fake clock (ENTRY_cost_ns, tests/unit/host_backend.h),
# not from this CPU, so verdicts are deterministic.  Needs $KAUDIT and $BUILD.
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-host.XXXXXX")
keydir=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-key.XXXXXX") # outside the claim's tree
trap 'rm -rf "$tmp" "$keydir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

KAUDIT_GPU_LIB=$BUILD/plugins/host_plugin.so
export KAUDIT_GPU_LIB
[ -f "$KAUDIT_GPU_LIB" ] || fail "no test plugin at $KAUDIT_GPU_LIB"
unset KAUDIT_WORKER KAUDIT_KEY

key=$keydir/key.pem
openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$key"
openssl pkey -in "$key" -pubout -out "$keydir/pub.pem" 2>/dev/null || fail "openssl pkey"

# y = 2x + 1, honestly and in the known dishonest ways.  With the host
# double, buffer pointers are host memory.
cat >"$tmp/common.h" <<'C'
#include <math.h>
#include "kaudit/launcher.h"
static int64_t n_of(const kaudit_launch *l) { return kaudit_numel(&l->buffers[1]); }
static void scale(const kaudit_launch *l, int64_t from, int64_t to)
{
	const float *x = l->buffers[0].data;
	float *y = l->buffers[1].data;
	for (int64_t i = from; i < to; i++)
		y[i] = 2.0f * x[i] + 1.0f;
}
C
cat >"$tmp/honest.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(ref_scale) { scale(l, 0, n_of(l)); return 0; }
const double ref_scale_cost_ns = 400000, ref_scale_jitter = 0.02;
KAUDIT_ENTRY(fast_scale) { scale(l, 0, n_of(l)); return 0; }
const double fast_scale_cost_ns = 100000, fast_scale_jitter = 0.02;
C
cat >"$tmp/nothing.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat) { (void)l; return 0; }
C
cat >"$tmp/half.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat) { scale(l, 0, n_of(l) / 2); return 0; }
C
# Computes only when the output looks poisoned (f32 poison is a NaN), so
# it keeps whatever answer is already there: only the bait can tell.
cat >"$tmp/stale.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat)
{
	if (isnan(((const float *)l->buffers[1].data)[0]))
		scale(l, 0, n_of(l));
	return 0;
}
C
cat >"$tmp/mutate.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat) { scale(l, 0, n_of(l)); ((float *)l->buffers[0].data)[3] = 0.5f; return 0; }
C
cat >"$tmp/oob.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat) { scale(l, 0, n_of(l)); ((float *)l->buffers[1].data)[n_of(l)] = 0; return 0; }
C
cat >"$tmp/constant.c" <<'C'
#include "common.h"
KAUDIT_ENTRY(cheat)
{
	for (int64_t i = 0; i < n_of(l); i++)
		((float *)l->buffers[1].data)[i] = 1.0f;
	return 0;
}
C
for c in honest nothing half stale mutate oob constant; do
	cc -shared -fPIC -Iinclude -o "$tmp/$c.so" "$tmp/$c.c" -lm ||
		fail "cannot build $c.so"
done

# kernel ID CLAIMED CANDIDATE_SO CANDIDATE_ENTRY EXPECT
kernel() {
	cat <<Y
  - id: $1
    claimed_speedup: $2
    baseline:  {source: honest.so, entry: ref_scale}
    candidate: {source: $3, entry: $4}
    params: {N: 1000}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
    expect: $5
Y
}
{
	printf 'kaudit: 1\nclaim:\n  title: "Scale, 3x, and six ways to fake it"\nkernels:\n'
	kernel honest 3.0 honest.so fast_scale reproduced
	kernel nothing 4.0 nothing.so cheat "{verdict: invalid, findings: [wrong-output, unwritten-output]}"
	kernel half 4.0 half.so cheat "{verdict: invalid, findings: [unwritten-output, wrong-output]}"
	kernel stale 4.0 stale.so cheat "{verdict: invalid, findings: [stale-output]}"
	kernel mutate 4.0 mutate.so cheat "{verdict: invalid, findings: [input-mutation]}"
	kernel oob 4.0 oob.so cheat "{verdict: invalid, findings: [out-of-bounds-write]}"
	kernel constant 4.0 constant.so cheat "{verdict: invalid, findings: [input-insensitive]}"
} >"$tmp/gallery.yaml"
{
	printf 'kaudit: 1\nclaim:\n  title: "Scale, 40x"\nkernels:\n'
	kernel overclaim 40.0 honest.so fast_scale not-reproduced
} >"$tmp/over.yaml"

# The trace is intact by kaudit's and by standard tools' reckoning, its
# signer is our key, and the detectors re-run on it agree with it.
check_trace() {
	[ -s "$1" ] || fail "no trace at $1"
	want=$(zcat "$1" | tail -n 2 | head -n 1 | jq -r .sha256)
	got=$(zcat "$1" | head -n -2 | sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] || fail "$1: footer digest $want, bytes $got"
	"$KAUDIT" check "$1" --pubkey "$keydir/pub.pem" >"$tmp/check.out" 2>&1 ||
		fail "kaudit check $1: $(cat "$tmp/check.out")"
	! grep -q "not in the trace\|not supported\|CONTRADICTED\|NOT SUPPORTED" "$tmp/check.out" ||
		fail "check $1: re-analysis disagrees: $(cat "$tmp/check.out")"
	grep -q "the records support every stored finding and verdict" "$tmp/check.out" ||
		fail "check $1: $(cat "$tmp/check.out")"
}
verdict() { zcat "$2" | jq -r "select(.type == \"verdict\" and .case == $1) | .verdict"; }
has_finding() {
	zcat "$3" | jq -se --arg code "$2" \
		"any(.[]; .type == \"finding\" and .case == $1 and .code == \$code)" >/dev/null
}

# The gallery: every expectation holds, so --expect exits 0.
set +e
"$KAUDIT" verify --expect "$tmp/gallery.yaml" --key "$key" -o "$tmp/g.kat" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "gallery --expect: exit $rc: $(cat "$tmp/out" "$tmp/err")"
for id in honest nothing half stale mutate oob constant; do
	grep -q "^$id: expect ok$" "$tmp/out" || fail "gallery: $id: $(cat "$tmp/out")"
done
check_trace "$tmp/g.kat"
# Every seed the audit drew is below 2^53, so jq 1.6 (doubles) reads it
# exactly (the text, not a parse: awk's double compares exactly at 2^53).
zcat "$tmp/g.kat" | grep -o '"\(root_\)\?seed":-\?[0-9]*' | cut -d: -f2 > "$tmp/seeds"
[ "$(grep -c . "$tmp/seeds")" -gt 5 ] || fail "seeds: too few in the trace"
awk '$1 < 0 || $1 >= 9007199254740992 { print; bad = 1 } END { exit bad }' "$tmp/seeds" ||
	fail "a seed at or above 2^53 (or negative)"
# Cases in manifest order; the device is the double's, from a real worker.
[ "$(verdict 0 "$tmp/g.kat")" = reproduced ] || fail "honest: $(verdict 0 "$tmp/g.kat")"
i=1
for code in wrong-output unwritten-output stale-output input-mutation out-of-bounds-write \
	input-insensitive; do
	[ "$(verdict $i "$tmp/g.kat")" = invalid ] ||
		fail "case $i: verdict $(verdict $i "$tmp/g.kat"), want invalid"
	has_finding $i "$code" "$tmp/g.kat" || fail "case $i: no $code finding"
	i=$((i + 1))
done
zcat "$tmp/g.kat" | jq -se '
	any(.[]; .type == "device" and .name == "host test double") and
	([.[] | select(.type == "finding" and .case == 0 and .severity == "invalidating")]
	 | length == 0) and
	([.[] | select(.type == "case")] | length == 7) and
	([.[] | select(.type == "error")] | length == 0)' >/dev/null ||
	fail "gallery trace: $(zcat "$tmp/g.kat" | jq -c 'select(.type == "finding" or .type == "error" or .type == "verdict")')"
# The measured speedup is the fake clock's 4x.
"$KAUDIT" inspect "$tmp/g.kat" >"$tmp/inspect" || fail "inspect: exit $?"
# "case N  ID  PARAMS" and on the next line "  verdict   VERDICT".
shown() { awk '/^case / { c = $2 " " $3 } /^  verdict / { print c, $2 }' "$tmp/inspect"; }
[ "$(shown | tr '\n' ,)" = "0 honest reproduced,1 nothing invalid,2 half invalid,3 stale invalid,4 mutate invalid,5 oob invalid,6 constant invalid," ] ||
	fail "inspect verdicts: $(shown)"
grep -q "measured 4.0[0-9]x\|measured 3.9[0-9]x" "$tmp/inspect" ||
	fail "inspect: speedup: $(grep measured "$tmp/inspect")"
grep -q "^claim verdict  invalid" "$tmp/inspect" || fail "inspect: claim verdict"

# Without --expect the gallery is invalid: exit 1.
set +e
"$KAUDIT" verify "$tmp/gallery.yaml" --key "$key" -o "$tmp/g2.kat" --quick >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "gallery without --expect: exit $rc, want 1"

# The honest kernel alone is reproduced: exit 0 without --expect.
"$KAUDIT" verify "$tmp/gallery.yaml" --kernel honest --key "$key" -o "$tmp/h.kat" \
	>"$tmp/out" 2>&1 || fail "honest alone: exit $?: $(cat "$tmp/out")"
check_trace "$tmp/h.kat"

# An honest pair claimed 40x when the clock gives 4x: not reproduced.
set +e
"$KAUDIT" verify "$tmp/over.yaml" --key "$key" -o "$tmp/o.kat" --json >"$tmp/o.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "overclaim: exit $rc, want 1: $(cat "$tmp/err")"
jq -e '.cases[0].verdict == "not-reproduced"' "$tmp/o.json" >/dev/null ||
	fail "overclaim: $(cat "$tmp/o.json")"
check_trace "$tmp/o.kat"
[ "$(verdict 0 "$tmp/o.kat")" = not-reproduced ] || fail "overclaim trace: $(verdict 0 "$tmp/o.kat")"
! zcat "$tmp/o.kat" | jq -e 'select(.type == "finding" and .severity == "invalidating")' \
	>/dev/null || fail "overclaim: an invalidating finding on an honest pair"
"$KAUDIT" verify --expect "$tmp/over.yaml" --key "$key" -o "$tmp/o.kat" >"$tmp/out" 2>&1 ||
	fail "overclaim --expect: exit $?: $(cat "$tmp/out")"
grep -q "^overclaim: expect ok$" "$tmp/out" || fail "overclaim --expect: $(cat "$tmp/out")"
echo "verify_host: ok"
