#!/bin/sh
# `kaudit export --attestation` hands out a statement tied to the very .kat
# a reviewer holds: its two subjects (records digest, sha256 of the file's
# bytes before the signature member) and its predicate (sources, binaries,
# margin) are checked here with sha256sum, jq and openssl alone, and every
# way of making the file differ from what was signed fails `check` (exit 4).
set -u
fail() { echo "attestation: $*" >&2; exit 1; }
for tool in zcat sha256sum jq base64 openssl dd; do
	command -v "$tool" >/dev/null || fail "needs $tool"
done
[ -x "$BUILD/tools/kat_example" ] || fail "needs $BUILD/tools/kat_example (make tools)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$KAUDIT" keygen -o "$tmp/k.pem" >/dev/null || fail "keygen failed"
"$BUILD/tools/kat_example" "$tmp/k.pem" "$tmp/t.kat" || fail "writer failed"
"$KAUDIT" check --pubkey "$tmp/k.pem.pub" "$tmp/t.kat" >/dev/null ||
	fail "a fresh trace does not check"

"$KAUDIT" export "$tmp/t.kat" --attestation "$tmp/a.jsonl" || fail "export failed"
[ "$(wc -l < "$tmp/a.jsonl")" -eq 1 ] || fail "the attestation is not one line"
jq -j .payload "$tmp/a.jsonl" | base64 -d > "$tmp/st.json" || fail "no payload"
jq -j '.signatures[0].sig' "$tmp/a.jsonl" | base64 -d > "$tmp/sig.bin"
zcat "$tmp/t.kat" | head -n 1 | jq -r .pubkey > "$tmp/signer.pub"
t=application/vnd.in-toto+json
{ printf 'DSSEv1 %d %s %d ' ${#t} "$t" "$(wc -c < "$tmp/st.json")"
  cat "$tmp/st.json"; } > "$tmp/pae.bin"
openssl pkeyutl -verify -pubin -inkey "$tmp/signer.pub" -rawin -in "$tmp/pae.bin" \
	-sigfile "$tmp/sig.bin" | grep -q 'Signature Verified Successfully' ||
	fail "openssl does not verify the attestation"

# Subject 1: the records; subject 2: the file's bytes before the signature.
[ "$(jq -r '.subject | length' "$tmp/st.json")" = 2 ] || fail "not two subjects"
[ "$(jq -r '.subject[0].digest.sha256' "$tmp/st.json")" = \
  "$(zcat "$tmp/t.kat" | head -n -2 | sha256sum | cut -d' ' -f1)" ] ||
	fail "subject 1 is not the records' digest"
n=$(jq -r '.subject[1].annotations.bytes' "$tmp/st.json")
[ "$(jq -r '.subject[1].name' "$tmp/st.json")" = kaudit-trace.kat-body ] || fail "subject 2 name"
[ "$(head -c "$n" "$tmp/t.kat" | sha256sum | cut -d' ' -f1)" = \
  "$(jq -r '.subject[1].digest.sha256' "$tmp/st.json")" ] ||
	fail "subject 2 is not the sha256 of the file's first $n bytes"
# What follows those bytes is the gzip of the signature line, nothing else.
[ "$(tail -c +$((n + 1)) "$tmp/t.kat" | zcat | wc -l)" = 1 ] &&
tail -c +$((n + 1)) "$tmp/t.kat" | zcat | jq -e '.type == "signature"' >/dev/null ||
	fail "the bytes after subject 2 are not the signature member alone"

# Predicate: every source and binary by sha256, the margin, the claim digest.
zcat "$tmp/t.kat" | head -n 1 | jq -c '[.sources[] | {impl, kernel, path, sha256}]' > "$tmp/hs"
jq -c '[.predicate.sources[] | {impl, kernel, path, sha256}]' "$tmp/st.json" > "$tmp/ps"
cmp -s "$tmp/hs" "$tmp/ps" || fail "predicate sources are not the header's"
[ "$(jq -r '.predicate.sources | length' "$tmp/st.json")" -ge 2 ] || fail "no sources"
[ "$(jq -r '.predicate.binaries | length' "$tmp/st.json")" -ge 2 ] || fail "no binaries"
jq -e '.predicate.sources | all(has("text") | not)' "$tmp/st.json" >/dev/null ||
	fail "the predicate carries source text"
[ "$(jq -r .predicate.margin "$tmp/st.json")" = "$(zcat "$tmp/t.kat" | head -n 1 | jq -r .margin)" ] ||
	fail "predicate margin is not the header's"
[ "$(jq -r .predicate.claim_sha256 "$tmp/st.json")" = \
  "$(zcat "$tmp/t.kat" | head -n 1 | jq -r .manifest_sha256)" ] || fail "claim digest"

# Same records, other file bytes: each must fail check with its reason.
expect_refused() { # FILE WHAT REASON
	out=$("$KAUDIT" check --pubkey "$tmp/k.pem.pub" "$1" 2>&1)
	rc=$?
	[ $rc -eq 4 ] || fail "$2: check exit $rc, want 4"
	printf '%s\n' "$out" | grep -q "$3" || { printf '%s\n' "$out"; fail "$2: no '$3'"; }
	"$KAUDIT" export "$1" --attestation "$tmp/x.jsonl" 2>/dev/null &&
		fail "$2: export handed out an attestation"
	return 0
}
{ head -c "$n" "$tmp/t.kat" | zcat | gzip -1; tail -c +$((n + 1)) "$tmp/t.kat"; } > "$tmp/recomp.kat"
expect_refused "$tmp/recomp.kat" "recompressed body" "names the first $n bytes"
zcat "$tmp/t.kat" | gzip > "$tmp/one.kat"
expect_refused "$tmp/one.kat" "one gzip member" "does not start a gzip member of its own"
# The gzip header's OS byte (offset 9) is outside every CRC: the records
# still read, only the file's bytes differ.
cp "$tmp/t.kat" "$tmp/os.kat"
printf '\001' | dd of="$tmp/os.kat" bs=1 seek=9 conv=notrunc 2>/dev/null
cmp -s "$tmp/t.kat" "$tmp/os.kat" && fail "OS byte setup failed"
[ "$(zcat "$tmp/os.kat" | sha256sum)" = "$(zcat "$tmp/t.kat" | sha256sum)" ] ||
	fail "OS byte setup changed the records"
expect_refused "$tmp/os.kat" "changed gzip header" "sha256 of the file's first $n bytes"
# The output is never a path kaudit did not create as a file: not the
# input trace, not a device or fifo; a refused target is left as it was.
cp "$tmp/t.kat" "$tmp/t.orig"
"$KAUDIT" export "$tmp/t.kat" --attestation "$tmp/t.kat" 2>/dev/null && fail "wrote over its input"
cmp -s "$tmp/t.kat" "$tmp/t.orig" || fail "the input trace changed"
mkfifo "$tmp/fifo"
"$KAUDIT" export "$tmp/t.kat" --attestation "$tmp/fifo" 2>/dev/null && fail "wrote to a fifo"
[ -p "$tmp/fifo" ] || fail "the fifo was replaced"
echo old > "$tmp/old.jsonl"
"$KAUDIT" export "$tmp/recomp.kat" --attestation "$tmp/old.jsonl" 2>/dev/null && fail "exported a bad trace"
[ "$(cat "$tmp/old.jsonl")" = old ] || fail "a refused export touched an existing file"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left behind"
echo "attestation: ok"
