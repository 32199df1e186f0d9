# verify_expect.sh - expectations (--expect), --kernel, the terminal table,
# and Ctrl-C: the trace of what finished is still written and signed.
set -eu
. tests/tools/fake_worker_claim.sh

# Kernel `other` expects the error its crashing worker will cause; kernel
# `scale` expects a finding it will not get.
sed 's/^    params: {N: 64}$/    params: {N: 64}\n    expect: {verdict: error}/' "$claim" >"$tmp/x.yaml"
sed 's/^      - {N: 4096}$/      - {N: 4096}\n    expect: {verdict: reproduced, findings: [stale-output]}/' \
	"$tmp/x.yaml" >"$tmp/expect.yaml"
grep -q "verdict: error" "$tmp/expect.yaml" && grep -q stale-output "$tmp/expect.yaml" ||
	fail "could not write expect.yaml"
set +e
FAKE_WORKER_CASES=ok,ok,crash "$KAUDIT" verify "$tmp/expect.yaml" --key "$key" \
	-o "$tmp/t.kat" --expect >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "expect: exit $rc, want 1 (scale's expectation fails)"
grep -q "^other: expect ok$" "$tmp/out" || fail "expect: other: $(cat "$tmp/out")"
grep -q "^scale: expect FAILED: wanted reproduced \[stale-output\] got " "$tmp/out" ||
	fail "expect: scale: $(cat "$tmp/out")"
# The table fits 80 columns and names every case and the trace.
awk 'length > 80 { exit 1 }' "$tmp/out" || fail "a line is wider than 80 columns"
grep -q "^trace: $tmp/t.kat$" "$tmp/out" || fail "no trace line"
grep -q "^2  *other .* error" "$tmp/out" || fail "table: $(cat "$tmp/out")"
grep -q "N=4096" "$tmp/out" || fail "table: params"
! grep -q "$(printf '\033')" "$tmp/out" || fail "colour on a pipe"

# Only `other` under --kernel: its expectation holds, exit 0; only case 2 ran.
set +e
FAKE_WORKER_CASES=ok,ok,crash "$KAUDIT" verify \
	"$tmp/expect.yaml" --key "$key" -o "$tmp/t.kat" --expect --kernel other >"$tmp/out"
rc=$?
set -e
[ "$rc" = 0 ] || fail "expect --kernel other: exit $rc: $(cat "$tmp/out")"
[ "$(worker_cases "$tmp/t.kat")" = "2 " ] || fail "--kernel: ran $(worker_cases "$tmp/t.kat")"
zcat "$tmp/t.kat" | jq -se '[.[] | select(.type == "case")] | length == 1 and
	(.[0].seed | type == "number")' >/dev/null || fail "--kernel: case records"
# The worker keeps the plan's budgets: 10 timed pairs in each of 3 rounds,
# 5 under --quick (the fake worker emits what its plan asks for).
traced() { zcat "$1" | jq -s '[.[] | select(.type == "sample" and .traced)] | length'; }
check_trace "$tmp/t.kat"
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --kernel other >/dev/null
[ "$(traced "$tmp/t.kat")" = 60 ] || fail "plan without --quick: $(traced "$tmp/t.kat") samples"
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --quick --kernel other >/dev/null
[ "$(traced "$tmp/t.kat")" = 30 ] || fail "--quick not in the plan: $(traced "$tmp/t.kat") samples"

# The header records --margin, so check re-judges with the audit's margin.
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/m.kat" --margin 25 >/dev/null ||
	fail "--margin 25: exit $?"
[ "$(zcat "$tmp/m.kat" | head -n 1 | jq .margin)" = 0.25 ] ||
	fail "header margin: $(zcat "$tmp/m.kat" | head -n 1 | jq .margin)"

# Without --expect, a reproduced claim exits 0 and a crash exits 1.
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" >/dev/null ||
	fail "all ok: exit $?"
set +e
FAKE_WORKER_CASES=ok,ok,crash "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" \
	>/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "crash without --expect: exit $rc"

# Ctrl-C while case 1 hangs: case 1 is interrupted, case 2 never starts,
# the trace is still written and signed, exit 1.
rm -f "$tmp/int.kat"
FAKE_WORKER_CASES=ok,hang "$KAUDIT" verify "$claim" \
	--key "$key" -o "$tmp/int.kat" --json >"$tmp/v.json" 2>"$tmp/err" &
pid=$!
# Case 1 is running once case 0's records reached the trace being written
# (it is flushed after every case) and a case worker is alive.
case0_done() { zcat "$tmp"/int.kat.tmp.* 2>/dev/null | grep -q '"case":0,"phase":"timing"'; }
hanging() { grep -lsa -- '--case' /proc/[0-9]*/cmdline | grep -q .; }
n=0
until case0_done && hanging; do
	n=$((n + 1))
	[ $n -lt 400 ] || fail "interrupt: case 1 never started"
	sleep 0.05
done
sleep 0.3
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
[ "$rc" = 1 ] || fail "interrupt: exit $rc: $(cat "$tmp/err")"
grep -q "interrupted: 2 of 3 cases not run" "$tmp/err" || fail "interrupt: $(cat "$tmp/err")"
check_trace "$tmp/int.kat"
jq -e '.verify.interrupted and .verify.not_run == 2' "$tmp/v.json" >/dev/null || fail "interrupt: JSON does not say so"
jq -e '.cases[1].error_where == "interrupted" and .cases[2].error_where == "interrupted"' \
	"$tmp/v.json" >/dev/null || fail "interrupt: cases 1 and 2: $(cat "$tmp/v.json")"
[ "$(worker_cases "$tmp/int.kat")" = "0 1 " ] ||
	fail "interrupt: workers ran for cases $(worker_cases "$tmp/int.kat")"
echo "verify_expect: ok"
