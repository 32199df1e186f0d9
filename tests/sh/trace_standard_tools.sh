#!/bin/sh
# The commands kaudit-trace(5) gives for verifying a trace without kaudit
# (zcat, head, sha256sum, jq, base64, openssl) are taken from the man page
# itself and run against a trace kaudit wrote; they must accept it, and
# flipping one byte (of a record, or of the signature) must make them fail.
set -u
fail() { echo "trace_standard_tools: $*" >&2; exit 1; }
for tool in zcat sha256sum jq base64 openssl; do
	command -v "$tool" >/dev/null || fail "needs $tool"
done
root=$(pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The literal block of the VERIFYING section, \e unescaped.
sed -n '/^\.Sh VERIFYING WITH STANDARD TOOLS/,/^\.Sh CHECK/p' man/kaudit-trace.5 |
	sed -n '/^\.Bd -literal/,/^\.Ed/p' | sed '1d;$d' | sed 's/\\e/\\/g' > "$tmp/verify.sh"
grep -q 'openssl pkeyutl -verify' "$tmp/verify.sh" || fail "no commands found in the man page"

# Runs the man page's commands in a fresh directory on $1 with trusted key $2
# and judges their output as the page says a reader should.
verify_std() {
	d=$(mktemp -d "$tmp/run.XXXXXX")
	cp "$1" "$d/t.kat" && cp "$2" "$d/trusted.pub"
	(cd "$d" && sh ./../verify.sh > out.txt 2>&1)
	ok=$?
	out="$d/out.txt"
	d1=$(sed -n 1p "$out" | cut -d' ' -f1)
	d2=$(sed -n 2p "$out")
	d3=$(sed -n 3p "$out")
	b1=$(sed -n 4p "$out" | cut -d' ' -f1)
	b2=$(sed -n 5p "$out")
	f1=$(grep -- ' -$' "$out" | sed -n 3p)
	f2=$(grep -- ' -$' "$out" | sed -n 4p)
	[ $ok -eq 0 ] && [ -n "$d1" ] && [ "$d1" = "$d2" ] && [ "$d2" = "$d3" ] &&
		[ -n "$b1" ] && [ "$b1" = "$b2" ] &&
		grep -q 'Signature Verified Successfully' "$out" && [ -n "$f1" ] && [ "$f1" = "$f2" ]
}

kat="$root/traces/example.kat"
pub="$root/traces/example-test-key.pem.pub"
verify_std "$kat" "$pub" || { cat "$tmp"/run.*/out.txt; fail "an intact trace was rejected"; }

# A trace written now by kaudit's writer (when the fixture tool is built).
if [ -x "$BUILD/tools/kat_example" ]; then
	"$KAUDIT" keygen -o "$tmp/k.pem" >/dev/null || fail "keygen failed"
	"$BUILD/tools/kat_example" "$tmp/k.pem" "$tmp/fresh.kat" 3000 || fail "writer failed"
	verify_std "$tmp/fresh.kat" "$tmp/k.pem.pub" || fail "a fresh trace was rejected"
	verify_std "$tmp/fresh.kat" "$pub" && fail "the wrong trusted key was accepted"
fi

# One changed byte in a record: the digest no longer matches the footer.
zcat "$kat" | sed '0,/"regs":32/s//"regs":33/' | gzip > "$tmp/digit.kat"
zcat "$tmp/digit.kat" | grep -q "\"regs\":33" || fail "tamper setup failed"
verify_std "$tmp/digit.kat" "$pub" && fail "a changed record was accepted"

# One changed byte in the signature: openssl refuses it.
last=$(zcat "$kat" | tail -n 1)
first=$(printf '%s' "$last" | sed 's/.*"sig":"\(.\).*/\1/')
new=A; [ "$first" = A ] && new=B
{ zcat "$kat" | head -n -1; printf '%s\n' "$last" | sed "s/\"sig\":\"./\"sig\":\"$new/"; } |
	gzip > "$tmp/badsig.kat"
zcat "$tmp/badsig.kat" | tail -n 1 | grep -q "\"sig\":\"$new" || fail "tamper setup failed"
verify_std "$tmp/badsig.kat" "$pub" && fail "a changed signature was accepted"

# The same records recompressed: steps 1, 2 and the signature still pass,
# but the signed statement names other file bytes (step 3).
n=$(zcat "$kat" | tail -n 1 | jq -j .dsse.payload | base64 -d | jq -r '.subject[1].annotations.bytes')
{ head -c "$n" "$kat" | zcat | gzip -1; tail -c +$((n + 1)) "$kat"; } > "$tmp/recomp.kat"
cmp -s "$kat" "$tmp/recomp.kat" && fail "recompression setup failed"
verify_std "$tmp/recomp.kat" "$pub" && fail "a recompressed file was accepted"

# A flipped bit in the compressed file: zcat itself fails.
cp "$kat" "$tmp/flip.kat"
size=$(wc -c < "$tmp/flip.kat")
printf '\377' | dd of="$tmp/flip.kat" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
verify_std "$tmp/flip.kat" "$pub" && fail "a flipped byte in the gzip data was accepted"
echo "trace_standard_tools: ok"
