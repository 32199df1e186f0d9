#!/bin/sh
# Strict check (kaudit(1) check): every forgery of issue 9 is re-signed with
# a valid signature, so only re-deriving the conclusions from the records,
# or knowing who signed, can catch it; check must exit 4 on each with a
# clear reason, and pass the honest example.  Also: the trust store, and
# that the committed example is what its generator writes, byte for byte.
set -u
fail() { echo "check_strict: $*" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
kat=traces/example.kat
key=traces/example-test-key.pem
pub=traces/example-test-key.pem.pub
resign="$BUILD/tools/kat_resign"
[ -x "$resign" ] && [ -x "$BUILD/tools/kat_example" ] || fail "needs make tools"
command -v jq >/dev/null || fail "needs jq"
# No trust store but the ones made here.
XDG_CONFIG_HOME="$tmp/xdg"
export XDG_CONFIG_HOME
unset KAUDIT_ALLOWED_SIGNERS
# Git keeps no file modes and kaudit refuses a key others can read.
cp "$key" "$tmp/key.pem" && chmod 600 "$tmp/key.pem"

# expect CODE CMD...: runs CMD, fails unless it exits with CODE.
. tests/tools/testlib.sh # expect, has, lacks
# says PATTERN WHAT: stdout holds PATTERN (a fixed string).
says() { grep -qF -- "$1" "$tmp/out" || { cat "$tmp/out"; fail "$2: no '$1'"; }; }
# one_line FILE: stderr is one line naming FILE.
one_line() {
	[ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF "$1" "$tmp/err" ||
		{ cat "$tmp/err"; fail "stderr is not one line naming $1"; }
}
# forge NAME [PREDICATE.json]: the example's records, edited by the shell
# command in $edit, re-signed with the example's own key (a valid signature
# by the trusted key) and checked: exit 4, a contradiction, one stderr line.
forge() {
	zcat "$kat" | head -n -2 | sh -c "$edit" > "$tmp/$1.jsonl" || fail "$1: edit failed"
	"$resign" "$tmp/key.pem" "$tmp/$1.kat" ${2:-} < "$tmp/$1.jsonl" || fail "$1: re-sign failed"
	expect 4 "$KAUDIT" check "$tmp/$1.kat" --pubkey "$pub"
	one_line "$tmp/$1.kat"
	says 'integrity ok' "$1: the forgery is not intact, so this tests nothing"
	says 'status    CONTRADICTED:' "$1: status"
}

# The example regenerates byte for byte from the current detectors.
"$BUILD/tools/kat_example" "$tmp/key.pem" "$tmp/regen.kat" || fail "kat_example failed"
cmp -s "$tmp/regen.kat" "$kat" ||
	fail "traces/example.kat is not what tests/tools/kat_example writes: regenerate it"

# The honest example passes: by --pubkey, by the trust store, and with
# neither (exit 0, but UNTRUSTED said).
expect 0 "$KAUDIT" check "$kat" --pubkey "$pub"
says 'status    valid: intact, signed by' "honest --pubkey"
says 'the records support every stored finding and verdict' "honest"
[ -s "$tmp/err" ] && fail "check of the honest example wrote to stderr"
expect 0 "$KAUDIT" check "$kat"
says 'signed by an UNTRUSTED key 63845b860276676c' "no store"
mkdir -p "$XDG_CONFIG_HOME/kaudit"
store="$XDG_CONFIG_HOME/kaudit/allowed_signers"
{ echo "# reviewers' keys"; echo; echo "example-test $(sed -n 2p "$pub")  # the test key"; } > "$store"
expect 0 "$KAUDIT" check "$kat"
says 'signed by example-test (keyid 63845b860276676c...)' "store names the key"
says 'status    valid: intact, signed by example-test' "store status"
expect 0 "$KAUDIT" inspect "$kat"
says 'signed by example-test (keyid' "inspect with a store"
expect 0 "$KAUDIT" inspect "$kat" --pubkey "$pub"
expect 0 "$KAUDIT" check --json "$kat"
[ "$(jq -r '.signer.name + " " + (.check.valid|tostring) + " " + (.check.exit|tostring)' "$tmp/out")" = \
	"example-test true 0" ] || fail "check --json"
expect 0 "$KAUDIT" check --expect "$kat"
says 'layernorm_f16: expect ok' "--expect"

# 1. measured 2.32 -> 9.5, with its interval, and the predicate agreeing
#    with the edited verdict: the samples give 2.32x.
edit='sed "/\"type\":\"verdict\".*\"case\":0,/s/\"measured\":[^,]*,\"ci_low\":[^,]*,\"ci_high\":[^,]*/\"measured\":9.5,\"ci_low\":9.2,\"ci_high\":9.8/"'
forge measured
says 'case 0: stored measured 9.50x, records give 2.32x' "measured"
says 'case 0: stored 95% CI 9.20-9.80x, records give 2.31-2.32x' "measured CI"
says 'signed predicate: stored cases case 0.measured 9.5, records give 2.316347011' "measured predicate"
grep -q 'measured' "$tmp/err" || fail "measured: stderr does not say what"

# 2. findings deleted, the cheat's verdict and the claim's turned into
#    reproduced.
edit='grep -v "\"type\":\"finding\"" | sed "/\"type\":\"verdict\"/{s/\"verdict\":\"invalid\"/\"verdict\":\"reproduced\"/;s/\"findings\":\[[^]]*\]/\"findings\":[]/;}"'
forge flipped
says 'case 1: stored verdict reproduced, records give invalid' "flipped"
says 'the claim: stored verdict reproduced, records give invalid' "flipped claim"
says 'case 1: the records give finding stale-output (candidate, trial 3), which the trace lacks' \
	"deleted finding"

# 3. the records untouched; only the signed predicate says reproduced.
zcat "$kat" | tail -n 1 | jq -r .dsse.payload | base64 -d | jq '.predicate | .verdict = "reproduced"' \
	> "$tmp/lie.json" || fail "predicate edit failed"
edit=cat
forge predicate "$tmp/lie.json"
says 'signed predicate: stored verdict "reproduced", records give "invalid"' "predicate"

# 4. a wider margin in the header than the verdicts were judged with.
edit='sed "1s/\"margin\":0.1}/\"margin\":0.5}/"'
forge margin
says "case 0: stored reason 'speedup 2.32x >= 1.8x (claimed 2x less 10%)', records give 'speedup 2.32x >= 1x (claimed 2x less 50%)'" \
	"margin"

# 5. a stored finding the records do not give.
edit='sed "/\"code\":\"roofline-violation\"/s/\"slack\":1.2/\"slack\":3.5/"'
forge evidence
rid=$(zcat "$kat" | jq -r 'select(.code == "roofline-violation") | .id')
says "case 1: finding roofline-violation (candidate, record $rid): stored evidence.slack 3.5, records give 1.2" \
	"evidence"

# 6. re-signed by another key: consistent, so exit 0 without trust; refused
#    by a store that names the original key, and by --pubkey.
expect 0 "$KAUDIT" keygen -o "$tmp/other.pem"
"$BUILD/tools/kat_example" "$tmp/other.pem" "$tmp/other.kat" || fail "kat_example failed"
expect 4 "$KAUDIT" check "$tmp/other.kat"
one_line "$tmp/other.kat"
says 'status    UNTRUSTED: signed by an UNTRUSTED key' "other key, store"
grep -qF "not in $store" "$tmp/err" || fail "other key: stderr does not name the store"
expect 4 "$KAUDIT" inspect "$tmp/other.kat"
says 'UNTRUSTED' "inspect other key"
KAUDIT_ALLOWED_SIGNERS= expect 0 "$KAUDIT" check "$tmp/other.kat"
says 'signed by an UNTRUSTED key' "other key, no store"
KAUDIT_ALLOWED_SIGNERS= expect 4 "$KAUDIT" check "$tmp/other.kat" --pubkey "$pub"
grep -q 'not by the expected key' "$tmp/err" || fail "other key: --pubkey mismatch not named"
other=$(openssl pkey -pubin -in "$tmp/other.pem.pub" -outform DER | sha256sum | cut -d' ' -f1)
grep -qF "$other" "$tmp/err" || fail "other key: stderr lacks the signer's fingerprint"
echo "ci-bot $(sed -n 2p "$tmp/other.pem.pub")" >> "$store"
expect 0 "$KAUDIT" check "$tmp/other.kat"
says 'signed by ci-bot (keyid' "second key in the store"

# 7. --expect: an `expect` that does not hold is exit 1 (the trace itself
#    is consistent: expect is data, not a conclusion).
edit='sed "/\"type\":\"case\".*\"case\":1,/s/\"expect\":{\"verdict\":\"invalid\"/\"expect\":{\"verdict\":\"reproduced\"/"'
zcat "$kat" | head -n -2 | sh -c "$edit" | "$resign" "$tmp/key.pem" "$tmp/expect.kat" ||
	fail "expect: re-sign failed"
expect 0 "$KAUDIT" check "$tmp/expect.kat"
says 'layernorm_f16: expect FAILED: wanted reproduced [stale-output] got invalid' "expect"
expect 1 "$KAUDIT" check --expect "$tmp/expect.kat"
expect 4 "$KAUDIT" check --expect "$kat" "$tmp/expect.kat" "$tmp/measured.kat"

# The trust store's format: errors name FILE:LINE; the variable overrides
# the path; set and empty, no store.
printf 'alice %s\nbob\n' "$(sed -n 2p "$pub")" > "$tmp/bad1"
KAUDIT_ALLOWED_SIGNERS="$tmp/bad1" expect 2 "$KAUDIT" check "$kat"
grep -qF "$tmp/bad1:2: a name without a key" "$tmp/err" || fail "store: no FILE:LINE"
printf 'alice notbase64!\n' > "$tmp/bad2"
KAUDIT_ALLOWED_SIGNERS="$tmp/bad2" expect 2 "$KAUDIT" inspect "$kat"
grep -qF "$tmp/bad2:1:" "$tmp/err" || fail "store: bad key not at FILE:LINE"
printf 'alice %s\nbob %s\n' "$(sed -n 2p "$pub")" "$(sed -n 2p "$pub")" > "$tmp/bad3"
KAUDIT_ALLOWED_SIGNERS="$tmp/bad3" expect 2 "$KAUDIT" check "$kat"
grep -qF "already named 'alice' on line 1" "$tmp/err" || fail "store: a key with two names"
KAUDIT_ALLOWED_SIGNERS="$tmp/missing" expect 2 "$KAUDIT" check "$kat"
printf 'someone-else %s\n' "$(sed -n 2p "$tmp/other.pem.pub")" > "$tmp/only-other"
KAUDIT_ALLOWED_SIGNERS="$tmp/only-other" expect 4 "$KAUDIT" check "$kat"

# A status line never says more than what follows it: no "intact and
# signed" above a failure; a flipped byte is CORRUPT, a cut file TRUNCATED.
expect 4 "$KAUDIT" check "$tmp/measured.kat"
grep -q 'intact and signed\|status    valid' "$tmp/out" && fail "a valid status above a contradiction"
cp "$kat" "$tmp/flip.kat"
size=$(wc -c < "$tmp/flip.kat")
printf '\377' | dd of="$tmp/flip.kat" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect 4 "$KAUDIT" inspect "$tmp/flip.kat"
says 'status    CORRUPT:' "flipped byte"
grep -q TRUNCATED "$tmp/out" && fail "a flipped byte is called TRUNCATED"
head -c $((size - 100)) "$kat" > "$tmp/cut.kat"
expect 4 "$KAUDIT" check "$tmp/cut.kat"
says 'status    TRUNCATED:' "cut file"
zcat "$kat" | sed '0,/"regs":32/s//"regs":33/' | gzip > "$tmp/digit.kat"
expect 4 "$KAUDIT" check "$tmp/digit.kat"
says 'status    TAMPERED: sha256 of the records does not match the footer' "changed record"
# The same judgements with every kept conclusion going through check's
# spill file (KAUDIT_SPILL_HELD=0) instead of memory: word for word.
for t in "$kat" "$tmp"/*.kat; do
	"$KAUDIT" check "$t" --pubkey "$pub" > "$tmp/held.out" 2>&1
	a=$?
	KAUDIT_SPILL_HELD=0 "$KAUDIT" check "$t" --pubkey "$pub" > "$tmp/spilled.out" 2>&1
	b=$?
	[ $a = $b ] && cmp -s "$tmp/held.out" "$tmp/spilled.out" ||
		{ diff "$tmp/held.out" "$tmp/spilled.out" | head; fail "$t: spilled check differs"; }
	# and read on one thread (KAUDIT_STREAM_THREADS=0) instead of two:
	# check, inspect and export see the same records in the same order.
	KAUDIT_STREAM_THREADS=0 "$KAUDIT" check "$t" --pubkey "$pub" > "$tmp/one.out" 2>&1
	b=$?
	[ $a = $b ] && cmp -s "$tmp/held.out" "$tmp/one.out" ||
		{ diff "$tmp/held.out" "$tmp/one.out" | head; fail "$t: check on one thread differs"; }
	for m in 0 1; do
		KAUDIT_STREAM_THREADS=$m "$KAUDIT" inspect "$t" --json > "$tmp/inspect$m.out" 2>&1
		KAUDIT_STREAM_THREADS=$m "$KAUDIT" export "$t" --perfetto "$tmp/export$m.json.gz" \
			> /dev/null 2>&1 && gzip -dc "$tmp/export$m.json.gz" > "$tmp/export$m.json"
		rm -f "$tmp/export$m.json.gz"
	done
	cmp -s "$tmp/inspect0.out" "$tmp/inspect1.out" || fail "$t: inspect on one thread differs"
	cmp -s "$tmp/export0.json" "$tmp/export1.json" || fail "$t: export on one thread differs"
	rm -f "$tmp"/export?.json
done
echo "check_strict: ok"
