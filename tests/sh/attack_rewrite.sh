attack=rewrite
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: a candidate rewrites the claim on disk mid-audit ----
c=$tmp/claim
build_so "$c/honest.so" honest
build_so "$c/wrong_slow.so" wrong -DCOST=4000000
build_so "$c/wrong.so" wrong -DCOST=40000
# What the binary swap puts in wrong.so's place: an honest `cheat`, 100x.
build_so "$c/swap.bin" honest -DCHEAT_COST=40000

# 1. The manifest.  Case 0 rewrites claim.yaml: case 1 (a wrong kernel
#    claimed 4x at 1x) becomes "claimed 1x, any answer is right".
manifest() { # CLAIMED_1 [TOLERANCE_1]
	manifest_head "Scale, rewritten"
	kernel rewriter 4 ref_scale rw_manifest.so
	kernel wrong "$1" ref_scale wrong_slow.so cheat "${2:-}"
	kernel honest 100 ref_scale honest.so fast_scale
}
manifest 4 >"$c/claim.yaml"
manifest 1 'tolerance: {rtol: 1.0e9, atol: 1.0e9}' >"$tmp/evil.yaml"
cp "$c/claim.yaml" "$tmp/claim.orig"
{
	echo 'static const char evil[] ='
	sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/\\n"/' "$tmp/evil.yaml"
	echo ';'
} >"$tmp/evil.h"
build_so "$c/rw_manifest.so" rewrite -DREWRITE_MANIFEST -include "$tmp/evil.h"

verify manifest claim/claim.yaml --timeout 20
t=$tmp/manifest.kat
[ "$rc" = 1 ] || fail "manifest rewrite: verify exit $rc, want 1: $(tail -n 3 "$tmp/manifest.err" | tr '\n' ' ')"
cmp -s "$c/claim.yaml" "$tmp/claim.orig" ||
	fail "manifest rewrite: the candidate rewrote claim.yaml (the claim tree is writable)"
if trace_ok "manifest rewrite" "$t"; then
	want_verdict "manifest rewrite: the wrong kernel after the rewrite" "$t" 1 invalid
	has_finding 1 wrong-output "$t" ||
		fail "manifest rewrite: case 1 has no wrong-output finding"
	want_verdict "manifest rewrite: the honest pair" "$t" 2 reproduced
	jq -j 'select(.type == "header") | .manifest' "$t.jsonl" >"$tmp/header.yaml"
	cmp -s "$tmp/header.yaml" "$tmp/claim.orig" ||
		fail "manifest rewrite: the header's manifest is not the original text"
	# What the workers judged by is what the header says: case 1's claim
	# and tolerance are the original's.
	jq -se '[.[] | select(.type == "case" and .case == 1)] |
		length >= 1 and all(.[]; .claimed == 4 and .rtol == 1e-5)' "$t.jsonl" >/dev/null ||
		fail "manifest rewrite: case 1 ran under the rewritten manifest: $(jq -c \
			'select(.type == "case" and .case == 1) | {claimed, rtol, atol}' "$t.jsonl" | tr '\n' ' ')"
	no_leak "manifest rewrite: trace" "$t.jsonl" "$t.strings"
fi
no_leak "manifest rewrite: output" "$tmp/manifest.out" "$tmp/manifest.err"
no_survivors "manifest rewrite"

# 2. A binary.  Case 0 overwrites case 1's candidate (a wrong kernel,
#    claimed 100x) with an honest one after the supervisor built, hashed
#    and entry-checked it: the trace would vouch for bytes that never ran.
{
	manifest_head "Scale, swapped"
	kernel swapper 4 ref_scale rw_binary.so
	kernel wrong 100 ref_scale wrong.so
	kernel honest 100 ref_scale honest.so fast_scale
} >"$c/swap.yaml"
cp "$c/wrong.so" "$tmp/wrong.orig"
build_so "$c/rw_binary.so" rewrite -DREWRITE_BINARY="\"$c/wrong.so\"" -DREWRITE_FROM="\"$c/swap.bin\""
verify swap claim/swap.yaml --timeout 20
t=$tmp/swap.kat
[ "$rc" = 1 ] || fail "binary swap: verify exit $rc, want 1: $(tail -n 3 "$tmp/swap.err" | tr '\n' ' ')"
cmp -s "$c/wrong.so" "$tmp/wrong.orig" ||
	fail "binary swap: the candidate replaced claim/wrong.so (the claim tree is writable)"
if trace_ok "binary swap" "$t"; then
	want_verdict "binary swap: the wrong kernel after the swap" "$t" 1 invalid error
	want_verdict "binary swap: the honest pair" "$t" 2 reproduced
	no_leak "binary swap: trace" "$t.jsonl" "$t.strings"
fi
no_leak "binary swap: output" "$tmp/swap.out" "$tmp/swap.err"
no_survivors "binary swap"
finish attack_rewrite
