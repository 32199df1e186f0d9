#!/bin/sh
# verify never loses or replaces what it did not create (kaudit(1), verify
# -o): a bad -o fails before the audit starts (a directory, a fifo, a link
# to a device, the manifest, a source, the key), an existing trace is
# replaced only by a complete one, and a default name already taken (two
# audits started in the same second) gives NAME-2.kat instead of
# overwriting.  Runs with the host double.  Needs $KAUDIT and $BUILD.
set -u
. tests/tools/host_claim.sh # $tmp, $key, $pub, $claim (kernel honest reproduces), the host plugin
fail() { echo "verify_outputs: $*" >&2; exit 1; }
v() { "$KAUDIT" verify "$claim" --kernel honest --key "$key" "$@" > "$tmp/out" 2> "$tmp/err"; }
refused() { # WHAT REASON -o TARGET: exit 2 at once, REASON said, no trace anywhere
	what=$1 reason=$2
	shift 2
	v "$@"
	rc=$?
	[ $rc = 2 ] || fail "$what: exit $rc, want 2: $(cat "$tmp/err")"
	grep -q "$reason" "$tmp/err" || fail "$what: no '$reason': $(cat "$tmp/err")"
	grep -q "case 0" "$tmp/err" "$tmp/out" && fail "$what: the audit ran before the refusal"
	ls "$tmp" | grep -q '\.tmp\.' && fail "$what: a temporary file was left"
	return 0
}
mkdir "$tmp/dir"
refused "a directory" "a directory: name a file in it" -o "$tmp/dir"
[ -d "$tmp/dir" ] && [ -z "$(ls -A "$tmp/dir")" ] || fail "the directory changed"
mkfifo "$tmp/fifo"
refused "a fifo" "not a regular file" -o "$tmp/fifo"
[ -p "$tmp/fifo" ] || fail "the fifo was replaced"
ln -s /dev/null "$tmp/null"
refused "a link to a device" "not a regular file" -o "$tmp/null"
[ -L "$tmp/null" ] && [ -c /dev/null ] || fail "the link or /dev/null changed"
ln -s "$tmp/nowhere" "$tmp/dangling"
refused "a dangling link" "symbolic link to nothing" -o "$tmp/dangling"
cp "$claim" "$tmp/c.orig"
refused "the manifest" "is an input of this command" -o "$claim"
cmp -s "$claim" "$tmp/c.orig" || fail "the manifest changed"
cp "$tmp/impl.so" "$tmp/s.orig"
refused "a source" "is an input of this command" -o "$tmp/impl.so"
cmp -s "$tmp/impl.so" "$tmp/s.orig" || fail "the source changed"
cp "$key" "$tmp/key.orig"
refused "the key" "is an input of this command" -o "$key"
cmp -s "$key" "$tmp/key.orig" || fail "the key changed"
refused "an unwritable directory" "cannot create files in" -o /proc/kaudit-no.kat

# An existing trace is replaced only by a complete one: a write that fails
# (file size limit) leaves it whole.
v -o "$tmp/t.kat" || fail "verify -o t.kat: $(cat "$tmp/err")"
cp "$tmp/t.kat" "$tmp/t.orig"
(trap "" XFSZ; ulimit -f 2; "$KAUDIT" verify "$claim" --kernel honest --key "$key" -o "$tmp/t.kat" > /dev/null 2>&1)
cmp -s "$tmp/t.kat" "$tmp/t.orig" || fail "a failed write changed the existing trace"
ls "$tmp" | grep -q '\.tmp\.' && fail "the failed write left its temporary file"
v -o "$tmp/t.kat" || fail "second verify -o t.kat"
cmp -s "$tmp/t.kat" "$tmp/t.orig" && fail "a complete trace did not replace the old one"

# Default names: every name this audit could take in the next seconds is
# taken already (as by another audit started in the same second): it
# writes NAME-2.kat and leaves the others as they were.
cd "$tmp" || fail cd
now=$(date -u +%s)
for d in 0 1 2 3 4 5 6 7 8 9; do
	: > "claim-$(date -u -d "@$((now + d))" +%Y%m%dT%H%M%SZ).kat"
done
"$KAUDIT" verify claim.yaml --kernel honest --key "$key" > "$tmp/out" 2> "$tmp/err" || fail "default name: $(cat "$tmp/err")"
got=$(sed -n 's/^trace: //p' "$tmp/out")
case $got in
claim-*Z-2.kat) ;;
*) fail "default name: took '$got', want claim-STAMP-2.kat" ;;
esac
[ -s "$got" ] && "$KAUDIT" check --pubkey "$pub" "$got" > /dev/null ||
	fail "the -2 trace does not check"
for f in claim-*Z.kat; do [ -s "$f" ] && fail "$f, taken before, was overwritten"; done
# A default name not taken is used as it is.
rm -f claim-*.kat
"$KAUDIT" verify claim.yaml --kernel honest --key "$key" > "$tmp/out" 2> "$tmp/err" || fail "default name 2"
sed -n 's/^trace: //p' "$tmp/out" | grep -q '^claim-[0-9]*T[0-9]*Z\.kat$' ||
	fail "a free default name got a suffix: $(cat "$tmp/out")"
echo "verify_outputs: ok"
