# verify_build.sh - an implementation that does not build is an `error`
# verdict for its cases; the other kernels are still audited and the trace
# is still written, signed and intact.
set -eu
. tests/tools/fake_worker_claim.sh

# Kernel `other` names a candidate entry that impl.so does not export.
sed '/^  - id: other$/,$ s/entry: fast_entry/entry: no_such_entry/' "$claim" \
	>"$tmp/broken.yaml"
grep -q no_such_entry "$tmp/broken.yaml" || fail "could not write broken.yaml"
set +e
"$KAUDIT" verify "$tmp/broken.yaml" --key "$key" \
	-o "$tmp/b.kat" --json >"$tmp/v.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "exit $rc, want 1: $(cat "$tmp/err")"
check_trace "$tmp/b.kat"

# The two `scale` cases ran in workers; `other` (case 2) never started.
[ "$(worker_cases "$tmp/b.kat")" = "0 1 " ] || fail "workers: $(worker_cases "$tmp/b.kat")"

# The trace says why: a failed build record naming the entry, an error
# record and an `error` verdict for case 2, and the others reproduced.
zcat "$tmp/b.kat" | jq -se '
	(map(select(.type == "build" and .ok == false)) | length) >= 1 and
	(map(select(.type == "build" and .ok == false))[0].log // "" |
	 test("no_such_entry")) ' >/dev/null ||
	fail "no failed build record naming the entry"
zcat "$tmp/b.kat" | jq -se '
	any(.[]; .type == "error" and .case == 2 and .where == "build") and
	any(.[]; .type == "verdict" and .case == 2 and .verdict == "error") and
	any(.[]; .type == "verdict" and .case == 0 and .verdict == "reproduced")' >/dev/null ||
	fail "verdicts: $(zcat "$tmp/b.kat" | jq -c 'select(.type == "verdict" or .type == "error")')"
jq -e '.cases | length == 3' "$tmp/v.json" >/dev/null || fail "json: $(cat "$tmp/v.json")"
echo "verify_build: ok"
