# verify_nogpu.sh - on a machine without a GPU `kaudit verify` stops before
# compiling anything, in one line and a few seconds, with exit 3; bad input
# is exit 2 and names the file, line and column.
set -eu
. tests/tools/fake_worker_claim.sh

# The real worker (no KAUDIT_WORKER): this machine has no GPU or driver.
start=$(date +%s)
set +e
env -u KAUDIT_WORKER "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
end=$(date +%s)
if [ -e /dev/nvidia0 ]; then
	echo "verify_nogpu: a GPU is present, skipping the no-GPU check"
else
	[ "$rc" = 3 ] || fail "no GPU: exit $rc, want 3: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "no GPU: want one line, got: $(cat "$tmp/err")"
	grep -qi "cuda device" "$tmp/err" || fail "no GPU message: $(cat "$tmp/err")"
	grep -q "kaudit check" "$tmp/err" || fail "no GPU message does not point at check"
	[ $((end - start)) -le 10 ] || fail "no GPU: took $((end - start)) s"
	[ ! -e "$tmp/t.kat" ] || fail "no GPU: a trace was written"
	[ ! -s "$tmp/out" ] || fail "no GPU: stdout not empty"
fi

# The fake worker saying "no device" is the same.
set +e
FAKE_WORKER_PROBE=none "$KAUDIT" verify "$claim" --key "$key" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "probe none: exit $rc"
grep -q "cuInit failed (fake)" "$tmp/err" || fail "probe none: the worker's reason is lost"

# A worker that cannot be started is an environment problem too.
set +e
KAUDIT_WORKER=/nonexistent/worker "$KAUDIT" verify "$claim" --key "$key" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "missing worker: exit $rc"

# Bad manifest: exit 2 with FILE:LINE:COL.
printf 'kaudit: 1\nclaim:\n  title: "x"\n  bogus: 1\nkernels: []\n' >"$tmp/bad.yaml"
set +e
"$KAUDIT" verify "$tmp/bad.yaml" --key "$key" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "bad manifest: exit $rc"
grep -q "bad.yaml:[0-9]*:[0-9]*:" "$tmp/err" || fail "bad manifest: no position: $(cat "$tmp/err")"

# Usage errors: exit 2.
for args in "" "--margin 150 $claim" "--timeout 0 $claim" "--bogus $claim" "$claim $claim" \
	"--kernel nosuch $claim" "$tmp/missing.yaml"; do
	set +e
	# shellcheck disable=SC2086
	"$KAUDIT" verify $args >/dev/null 2>&1
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "verify $args: exit $rc, want 2"
done
"$KAUDIT" verify --help | grep -q "usage: kaudit verify" || fail "--help"
echo "verify_nogpu: ok"
