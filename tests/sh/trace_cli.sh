#!/bin/sh
# kaudit check / inspect / export / keygen on the committed example trace
# and on tampered copies made here, each with the exit code a script relies
# on: 0 valid, 4 integrity, 2 not a trace or bad usage.
set -u
fail() { echo "trace_cli: $*" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
kat=traces/example.kat
pub=traces/example-test-key.pem.pub
# No trust store here (a developer's own must not change the results).
XDG_CONFIG_HOME="$tmp/xdg"
export XDG_CONFIG_HOME
unset KAUDIT_ALLOWED_SIGNERS

# expect CODE CMD...: runs CMD, fails unless it exits with CODE.
. tests/tools/testlib.sh # expect, has, lacks

# The example passes check, with and without --pubkey (without a trust store
# it is UNTRUSTED but still exit 0), and says what it shows.
expect 0 "$KAUDIT" check "$kat"
grep -q 'signed by an UNTRUSTED key' "$tmp/out" || fail "check without trust does not say UNTRUSTED"
expect 0 "$KAUDIT" check "$kat" --pubkey "$pub"
keyid=$(openssl pkey -pubin -in "$pub" -outform DER | sha256sum | cut -d' ' -f1)
grep -q "$keyid" "$tmp/out" || fail "check does not print the signer's fingerprint"
grep -q 'Fused softmax' "$tmp/out" || fail "check does not print the claim"
grep -q 'layernorm_f16 *invalid' "$tmp/out" || fail "check does not print the verdicts"
grep -q 'integrity ok' "$tmp/out" || fail "check does not say the trace is intact"
grep -q 'signed by traces/example-test-key.pem.pub (keyid' "$tmp/out" || fail "check does not name the signer"
[ -s "$tmp/err" ] && fail "check of a valid trace wrote to stderr"

# inspect: synthetic shown prominently, verdicts, speedups, findings, timings,
# no colour when not a terminal, nothing wider than 80 columns.
expect 0 "$KAUDIT" inspect "$kat"
sed -n 2p "$tmp/out" | grep -q 'SYNTHETIC' || fail "inspect does not flag a synthetic trace"
grep -q 'measured 2.32x (95% CI 2.31-2.32), claimed 2.00x' "$tmp/out" || fail "no speedup"
grep -q 'stale-output (invalidating, candidate, trial 3' "$tmp/out" || fail "no finding"
grep -q 'evidence: {"check": "bait", "buffer": "y"' "$tmp/out" || fail "no evidence"
grep -q 'baseline  232.55 us median, GPU span 230.25 us' "$tmp/out" || fail "no timing summary"
grep -q 'rounds: 232.56 us 232.55 us 232.52 us' "$tmp/out" || fail "no per-round medians"
grep -q "$(printf '\033')" "$tmp/out" && fail "colour codes on a pipe"
awk 'length($0) > 80 { exit 1 }' "$tmp/out" || fail "inspect output wider than 80 columns"
expect 0 "$KAUDIT" inspect --json "$kat"
[ "$(jq -r '[.cases[1].findings[].code] | index("stale-output") != null' "$tmp/out")" = true ] ||
	fail "json findings"
[ "$(jq -r '.synthetic and .intact' "$tmp/out")" = true ] || fail "json status"
[ "$(jq -r '.cases[0].timing.candidate.samples' "$tmp/out")" = 12 ] || fail "json timing"

# export
expect 0 "$KAUDIT" export "$kat" --perfetto "$tmp/p.json.gz" --attestation "$tmp/a.jsonl"
kernels=$(zcat "$kat" | grep -c '"type":"kernel"')
[ "$(gzip -dc "$tmp/p.json.gz" | jq '[.traceEvents[] | select(.cat == "kernel")] | length')" = "$kernels" ] ||
	fail "perfetto: wrong number of kernel slices"
gzip -dc "$tmp/p.json.gz" | jq -e '[.traceEvents[] | select(.cat == "finding")] | length == 3' \
	>/dev/null || fail "perfetto: findings missing"
gzip -dc "$tmp/p.json.gz" | jq -e '[.traceEvents[] | select(.ph == "X")][0].ts == 0' >/dev/null ||
	fail "perfetto: timestamps not rebased"
gzip -dc "$tmp/p.json.gz" | grep -q '"name":"softmax_fast","cat":"kernel","ph":"X","ts":256.800,"dur":98.000' ||
	fail "perfetto: us with 3 decimals"
[ "$(wc -l < "$tmp/a.jsonl")" = 1 ] || fail "attestation is not one line"
[ "$(jq -r .payloadType "$tmp/a.jsonl")" = application/vnd.in-toto+json ] || fail "attestation"
[ "$(jq -r .payload "$tmp/a.jsonl" | base64 -d | jq -r .predicateType)" = urn:kaudit:audit:v1 ] ||
	fail "attestation predicateType"

# Tampering, each caught with exit 4 and one line on stderr naming the file.
tamper() { # NAME SED-SCRIPT: a copy of the example's lines edited by sed
	zcat "$kat" | sed "$2" | gzip > "$tmp/$1.kat"
	expect 4 "$KAUDIT" check "$tmp/$1.kat"
	[ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "$tmp/$1.kat" "$tmp/err" ||
		fail "$1: stderr is not one line naming the file"
	# Recompressing alone is caught (the signed file bytes differ): the
	# edit itself must be what is reported.
	grep -q "names the first\|gzip member of its own" "$tmp/err" &&
		fail "$1: caught only as a recompressed file, not for the edit"
	return 0
}
tamper digit '0,/"regs":32/s//"regs":33/'
tamper deleted '9d'
tamper duplicated '9p'
tamper nofooter "$(zcat "$kat" | wc -l | awk '{ print $1 - 1 }')d"
tamper nosignature '$d'
# A record appended after the signature, in a gzip member of its own so
# the signed bytes stay as written.
{ cat "$kat"; printf '{"type":"kernel","name":"k","start":1,"end":2}\n' | gzip; } > "$tmp/appended.kat"
expect 4 "$KAUDIT" check "$tmp/appended.kat"
grep -q "after the signature" "$tmp/err" || fail "appended: not reported as data after the signature"
head -c 5000 "$kat" > "$tmp/truncated.kat"
expect 4 "$KAUDIT" check "$tmp/truncated.kat"
expect 4 "$KAUDIT" inspect "$tmp/truncated.kat"
grep -q TRUNCATED "$tmp/out" || fail "inspect does not say truncated"
grep -q 'case 0  softmax_f32' "$tmp/out" || fail "inspect shows nothing of a truncated trace"
{ cat "$kat"; echo garbage; } > "$tmp/garbage.kat"
expect 4 "$KAUDIT" check "$tmp/garbage.kat"
expect 4 "$KAUDIT" export "$tmp/truncated.kat" --attestation "$tmp/x.jsonl"

# Re-signed by another key: valid alone, refused with the expected --pubkey.
if [ -x "$BUILD/tools/kat_example" ]; then
	expect 0 "$KAUDIT" keygen -o "$tmp/other.pem"
	"$BUILD/tools/kat_example" "$tmp/other.pem" "$tmp/resigned.kat" || fail "writer failed"
	expect 0 "$KAUDIT" check "$tmp/resigned.kat"
	expect 4 "$KAUDIT" check "$tmp/resigned.kat" --pubkey "$pub"
	grep -q 'not by the expected key' "$tmp/err" || fail "wrong key not named"
fi
expect 4 "$KAUDIT" check traces/tamper-resigned.kat --pubkey "$pub"

# Not traces: exit 2.
: > "$tmp/empty.kat"
expect 2 "$KAUDIT" check "$tmp/empty.kat"
echo '{"type":"header"}' > "$tmp/plain.kat"
expect 2 "$KAUDIT" check "$tmp/plain.kat"
printf 'a\nb\n' | gzip > "$tmp/other.gz"
expect 2 "$KAUDIT" check "$tmp/other.gz"
expect 2 "$KAUDIT" check "$tmp/missing.kat"
expect 2 "$KAUDIT" check
expect 2 "$KAUDIT" check "$kat" --bogus
expect 2 "$KAUDIT" export "$kat"

# keygen: 0600 private, SPKI public beside it, never overwrites.
expect 0 "$KAUDIT" keygen -o "$tmp/k.pem"
[ "$(stat -c %a "$tmp/k.pem")" = 600 ] || fail "private key is not mode 0600"
grep -q 'BEGIN PRIVATE KEY' "$tmp/k.pem" || fail "private key is not PKCS#8 PEM"
grep -q 'BEGIN PUBLIC KEY' "$tmp/k.pem.pub" || fail "public key is not SPKI PEM"
expect 2 "$KAUDIT" keygen -o "$tmp/k.pem"
grep -q 'refusing to overwrite' "$tmp/err" || fail "keygen overwrite message"
XDG_CONFIG_HOME="$tmp/xdg" expect 0 "$KAUDIT" keygen
[ -f "$tmp/xdg/kaudit/key.pem" ] || fail "keygen did not use the default path"
echo "trace_cli: ok"
