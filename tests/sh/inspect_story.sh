#!/bin/sh
# inspect tells the whole story (kaudit(1) inspect): the setup of the audit
# (plugin, what the signature covers, margin, clocks, ECC, toolkit,
# sandbox, sources with sha256 and size, builds with nvcc, -arch, flags),
# per case the tolerance and each kind of check that ran and passed, and
# --manifest / --source give the embedded text byte for byte.  A trace not
# measured by kaudit's own GPU plugin is a STAND-IN in verify, inspect,
# check and report; one that says it was is not.  Needs $KAUDIT and $BUILD.
set -u
. tests/tools/host_claim.sh # $tmp, $key, $pub, $claim, the host plugin: for the STAND-IN part
fail() { echo "inspect_story: $*" >&2; exit 1; }
host_pub=$pub
kat=traces/example.kat
pub=traces/example-test-key.pem.pub
resign=$BUILD/tools/kat_resign
[ -x "$resign" ] || fail "needs make tools"
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "$3: no '$2'"; }; }

"$KAUDIT" inspect --pubkey "$pub" "$kat" > "$tmp/out" 2>&1 || fail "inspect failed"
has "$tmp/out" "plugin    none named (synthetic records)" "plugin"
has "$tmp/out" "signature covers the records and the bytes of this file before the" "signature scope"
has "$tmp/out" "margin    10%: a case reproduces when measured >= claimed x 0.9" "margin"
has "$tmp/out" "clocks    SM 1980 of 1980 MHz, memory 2619 MHz, not throttled" "clocks"
has "$tmp/out" "memory    ECC on, persistence mode on" "ECC"
has "$tmp/out" "toolkit   CUDA runtime 12.6, CUPTI 24, nvcc 12.6.77" "toolkit"
has "$tmp/out" "sandbox   6 processes ran claimant code, all confined" "sandbox"
has "$tmp/out" "-arch=sm_90 --use_fast_math" "arch and flags"
has "$tmp/out" "tolerance rtol 1e-05, atol 1e-06; deterministic" "tolerance"
# Every source, with its size and the first 16 digits of its sha256.
zcat "$kat" | head -n 1 | jq -r '.sources[] | "\(.path), \(.bytes) B, sha256"' > "$tmp/src"
[ "$(wc -l < "$tmp/src")" = 4 ] || fail "the example has not 4 sources"
while IFS= read -r l; do has "$tmp/out" "$l" "source line"; done < "$tmp/src"
# The check counts are the records': per case and kind, ran and passed.
zcat "$kat" | jq -sc '[.[] | select(.type == "case") | .case] as $cs |
	[$cs[] as $c | [.[] | select(.type == "check" and .case == $c)] | group_by(.kind) |
	 map({key: .[0].kind, value: {ran: length, passed: (map(select(.ok)) | length)}}) |
	 from_entries]' > "$tmp/want"
"$KAUDIT" inspect --json "$kat" | jq -c '[.cases[].checks]' > "$tmp/got"
# (key order differs: compare as sorted objects)
[ "$(jq -S -c . "$tmp/want")" = "$(jq -S -c . "$tmp/got")" ] ||
	fail "check counts: inspect $(cat "$tmp/got"), records $(cat "$tmp/want")"
want=$(jq -r '.[1].compare | "compare \(.passed)/\(.ran)"' "$tmp/want")
has "$tmp/out" "$want" "case 1 compare count"
grep -q "^  checks    none recorded" "$tmp/out" && fail "a case shows no checks"

# README's first command: the example's signer named by the shipped store.
KAUDIT_ALLOWED_SIGNERS=traces/allowed_signers "$KAUDIT" check "$kat" > "$tmp/c" 2>&1 ||
	fail "README's check of the example failed: $(cat "$tmp/c")"
has "$tmp/c" "signed by kaudit-example-test-key (keyid" "signer by name"
KAUDIT_ALLOWED_SIGNERS=traces/allowed_signers "$KAUDIT" check traces/tamper-resigned.kat \
	> "$tmp/c" 2>&1 && fail "the store trusted the throwaway key"

# --manifest and --source: the exact bytes the header's sha256 names.
"$KAUDIT" inspect --manifest "$kat" > "$tmp/m" || fail "--manifest failed"
[ "$(sha256sum < "$tmp/m" | cut -d' ' -f1)" = "$(zcat "$kat" | head -n 1 | jq -r .manifest_sha256)" ] ||
	fail "--manifest is not the manifest the header hashes"
zcat "$kat" | head -n 1 | jq -r '.sources[] | "\(.path) \(.sha256)"' |
while read -r p sha; do
	"$KAUDIT" inspect "$kat" --source "$p" > "$tmp/s" || fail "--source $p failed"
	[ "$(sha256sum < "$tmp/s" | cut -d' ' -f1)" = "$sha" ] || fail "--source $p: other bytes"
done || exit 1
"$KAUDIT" inspect "$kat" --source no/such.cu > "$tmp/s" 2> "$tmp/e"
[ $? = 2 ] && grep -q "no source no/such.cu" "$tmp/e" || fail "unknown --source: $(cat "$tmp/e")"
"$KAUDIT" inspect "$kat" --manifest --json > /dev/null 2>&1 && fail "--manifest --json accepted"
# A damaged trace still gives its text, with exit 4.
head -c 3000 "$kat" > "$tmp/cut.kat"
"$KAUDIT" inspect --manifest "$tmp/cut.kat" > "$tmp/m2" 2> "$tmp/e"
[ $? = 4 ] && cmp -s "$tmp/m" "$tmp/m2" || fail "--manifest of a cut trace: $(cat "$tmp/e")"

# Edits to the header line only (jq would round other records' timestamps).
edit_header() { # JQ-FILTER OUT: the example with its header edited, re-signed
	{ zcat "$kat" | head -n 1 | jq -c "$1"; zcat "$kat" | sed -n '2,$p' | head -n -2; } |
		"$resign" "$tmp/key.pem" "$2" || fail "re-sign failed"
}
"$KAUDIT" keygen -o "$tmp/key.pem" > /dev/null || fail keygen
# A source recorded by sha256 only (not text): --source says so, exit 2.
edit_header 'del(.sources[0].text)' "$tmp/bin.kat"
p0=$(zcat "$kat" | head -n 1 | jq -r '.sources[0].path')
"$KAUDIT" inspect "$tmp/bin.kat" --source "$p0" > /dev/null 2> "$tmp/e"
[ $? = 2 ] && grep -q "sha256 .* only" "$tmp/e" || fail "text-less --source: $(cat "$tmp/e")"
# Control characters in a title and a source path never reach the terminal.
# (YAML's own escapes: a raw ESC is not valid YAML, "\e" in a quoted scalar is)
edit_header '.manifest = (.manifest | sub("title: \"Fused"; "title: \"\\e[2J\\e]0;pwn\\aFused")) |
	.sources[1].path = "k\u001b[31m.cu"' "$tmp/ansi.kat"
"$KAUDIT" inspect --pubkey "$tmp/key.pem.pub" "$tmp/ansi.kat" > "$tmp/out" || fail "inspect ansi"
LC_ALL=C grep -q "$(printf '\033')" "$tmp/out" && fail "an ESC from the trace reached the terminal"
has "$tmp/out" '\x1b[2J\x1b]0;pwn\x07Fused' "escaped title"
has "$tmp/out" 'k\x1b[31m.cu' "escaped path"

# STAND-IN.  A real audit through the host double named by KAUDIT_GPU_LIB.
plugin=$KAUDIT_GPU_LIB
"$KAUDIT" verify "$claim" --kernel honest --key "$key" -o "$tmp/h.kat" > "$tmp/vout" 2> "$tmp/verr"
[ -s "$tmp/h.kat" ] || fail "verify wrote no trace: $(cat "$tmp/verr")"
has "$tmp/vout" "*** STAND-IN: measured by $(realpath "$plugin"), not by kaudit's own GPU plugin" "verify banner"
zcat "$tmp/h.kat" | head -n 1 | jq -e --arg p "$(realpath "$plugin")" \
	--arg s "$(sha256sum < "$plugin" | cut -d' ' -f1)" \
	'.plugin == {path: $p, origin: "KAUDIT_GPU_LIB", sha256: $s}' > /dev/null ||
	fail "header.plugin: $(zcat "$tmp/h.kat" | head -n 1 | jq -c .plugin)"
"$KAUDIT" inspect --pubkey "$host_pub" "$tmp/h.kat" > "$tmp/out" || fail "inspect h"
# The banner wraps at 80 columns wherever the plugin's path ends: read it as one line.
tr '\n' ' ' < "$tmp/out" | sed 's/  */ /g' > "$tmp/out1"
has "$tmp/out1" "*** STAND-IN: measured by $(realpath "$plugin") from" "inspect banner"
has "$tmp/out1" "KAUDIT_GPU_LIB, not by kaudit's own GPU plugin" "inspect banner origin"
has "$tmp/out" "plugin    STAND-IN from \$KAUDIT_GPU_LIB," "inspect plugin line"
"$KAUDIT" check --pubkey "$host_pub" "$tmp/h.kat" > "$tmp/out" 2>&1 || fail "check h"
tr '\n' ' ' < "$tmp/out" | tr -s ' ' > "$tmp/flat"
has "$tmp/flat" "but STAND-IN: not measured by kaudit's own GPU plugin" "check status"
"$KAUDIT" report "$tmp/h.kat" --markdown --pubkey "$host_pub" > "$tmp/out" || fail "report h"
grep -q "STAND-IN" "$tmp/out" || fail "report: no STAND-IN"
# The same trace saying kaudit's own plugin measured it: no banner (the
# signer vouches for that, as for every other header field).
{ zcat "$tmp/h.kat" | head -n 1 | jq -c '.plugin.origin = "kaudit"'
  zcat "$tmp/h.kat" | sed -n '2,$p' | head -n -2; } | "$resign" "$tmp/key.pem" "$tmp/own.kat" ||
	fail "re-sign own"
"$KAUDIT" inspect --pubkey "$tmp/key.pem.pub" "$tmp/own.kat" > "$tmp/out" || fail "inspect own"
grep -q "STAND-IN" "$tmp/out" && fail "kaudit's own plugin shown as a STAND-IN"
has "$tmp/out" "plugin    kaudit's own," "own plugin line"
"$KAUDIT" check --pubkey "$tmp/key.pem.pub" "$tmp/own.kat" > "$tmp/out" 2>&1 || fail "check own"
grep -q "STAND-IN" "$tmp/out" && fail "check calls kaudit's own plugin a STAND-IN"
# A measured trace that names no plugin at all is a STAND-IN too.
{ zcat "$tmp/h.kat" | head -n 1 | jq -c 'del(.plugin)'
  zcat "$tmp/h.kat" | sed -n '2,$p' | head -n -2; } | "$resign" "$tmp/key.pem" "$tmp/none.kat" ||
	fail "re-sign none"
"$KAUDIT" inspect --pubkey "$tmp/key.pem.pub" "$tmp/none.kat" > "$tmp/out" || fail "inspect none"
has "$tmp/out" "*** STAND-IN: the trace does not name the GPU plugin that" "unnamed plugin"

# Each case's summary waits on a file in $TMPDIR while the trace streams
# past (kaudit(1) ENVIRONMENT); where none can be made, the same story.
for cmd in "inspect" "inspect --json" "check --json" "report --markdown"; do
	# shellcheck disable=SC2086
	"$KAUDIT" $cmd --pubkey "$pub" "$kat" > "$tmp/spilled" 2>&1
	# shellcheck disable=SC2086
	TMPDIR="$tmp/no-such-dir" "$KAUDIT" $cmd --pubkey "$pub" "$kat" > "$tmp/kept" 2>&1
	cmp -s "$tmp/spilled" "$tmp/kept" || fail "$cmd: not the same without a usable TMPDIR"
	grep -q '"case": 0\|case 0\|^### \|^## ' "$tmp/kept" || fail "$cmd: no case shown"
done
echo "inspect_story: ok"
