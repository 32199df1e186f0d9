# verify_faults.sh - a worker that crashes, hangs, sends garbage or fails
# costs its case an `error` verdict; the other cases still run and the trace
# is written, signed and intact.  Uses the fake worker (KAUDIT_WORKER).
set -eu
. tests/tools/fake_worker_claim.sh

# verify_json BEHAVIOURS [ARGS...]: runs verify --json, leaves $tmp/v.json,
# $tmp/t.kat and the exit code in $rc.
verify_json() {
	rm -f "$tmp/t.kat"
	b=$1
	shift
	set +e
	FAKE_WORKER_CASES=$b "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --json \
		"$@" >"$tmp/v.json" 2>"$tmp/err" <&-
	rc=$?
	set -e
	jq -e . "$tmp/v.json" >/dev/null || fail "$b: stdout is not one JSON document"
}
verdict() { jq -r ".cases[] | select(.case == $1) | .verdict" "$tmp/v.json"; }
where() { jq -r ".cases[] | select(.case == $1) | .error_where // \"\"" "$tmp/v.json"; }
message() { jq -r ".cases[] | select(.case == $1) | .error // \"\"" "$tmp/v.json"; }

# Every case completes: the verdicts are the detectors', no errors.
verify_json ok
[ "$(jq '.cases | length' "$tmp/v.json")" = 3 ] || fail "ok: want 3 cases"
for i in 0 1 2; do
	[ "$(where $i)" = "" ] || fail "ok: case $i has an error: $(message $i)"
	[ "$(verdict $i)" != error ] || fail "ok: case $i verdict error"
done
[ "$(jq -r .file "$tmp/v.json")" = "$tmp/t.kat" ] || fail "ok: trace path"
[ "$(jq -r .device.name "$tmp/v.json")" = "Fake GPU" ] || fail "ok: device"
check_trace "$tmp/t.kat"
# One case record per case, the supervisor's, from its own manifest.
[ "$(zcat "$tmp/t.kat" | jq -c 'select(.type == "case")' | wc -l)" = 3 ] ||
	fail "ok: want 3 case records"
[ "$(zcat "$tmp/t.kat" | jq -c 'select(.type == "case" and (.kernel == "scale" or
	.kernel == "other"))' | wc -l)" = 3 ] || fail "ok: case records not the supervisor's"
# Each worker ran confined, and the trace says how (before any of its records).
[ "$(worker_cases "$tmp/t.kat")" = "0 1 2 " ] || fail "ok: sandbox records"
zcat "$tmp/t.kat" | jq -se 'map(select(.type == "sandbox" and .process == "worker")) |
	all(.seccomp == true and .no_new_privs == true and .landlock == true)' >/dev/null ||
	fail "ok: sandbox: $(zcat "$tmp/t.kat" | jq -c 'select(.type == "sandbox")')"

# A crash in case 1: error verdict naming the signal; cases 0 and 2 ran.
verify_json ok,crash,ok
[ "$rc" = 1 ] || fail "crash: exit $rc, want 1"
[ "$(verdict 1)" = error ] || fail "crash: case 1 verdict $(verdict 1)"
[ "$(where 1)" = crash ] || fail "crash: where $(where 1)"
message 1 | grep -q SIGSEGV || fail "crash: message $(message 1)"
message 1 | grep -q "about to dereference NULL" || fail "crash: stderr lost"
[ "$(verdict 0)" != error ] && [ "$(verdict 2)" != error ] || fail "crash: other cases"
[ "$(jq -r .verdict "$tmp/v.json")" = error ] || fail "crash: claim verdict"
check_trace "$tmp/t.kat"
[ "$(zcat "$tmp/t.kat" | jq -c 'select(.type == "error")' | wc -l)" = 1 ] ||
	fail "crash: want one error record"
zcat "$tmp/t.kat" | jq -se 'map(select(.type == "error"))[0] | .case == 1 and .signal == 11' \
	>/dev/null || fail "crash: error record"
# The supervisor wrote the case record the crashed worker never sent.
zcat "$tmp/t.kat" | jq -se 'map(select(.type == "case" and .case == 1))[0].kernel == "scale"' \
	>/dev/null || fail "crash: no case record for case 1"

# A hang is killed by --timeout.
start=$(date +%s)
verify_json hang,ok --timeout 2
end=$(date +%s)
[ "$rc" = 1 ] || fail "hang: exit $rc"
[ "$(where 0)" = timeout ] || fail "hang: where $(where 0)"
[ "$(verdict 1)" != error ] || fail "hang: case 1 did not run"
[ $((end - start)) -lt 15 ] || fail "hang: took $((end - start)) s"
check_trace "$tmp/t.kat"

# Garbage on stdout is an error, not a record.
verify_json garbage,ok
[ "$(verdict 0)" = error ] || fail "garbage: verdict $(verdict 0)"
message 0 | grep -q "malformed output: line 1" || fail "garbage: $(message 0)"
check_trace "$tmp/t.kat"

# A record cut in the middle at exit 0 is malformed too.
verify_json partial,ok
message 0 | grep -q "inside a record" || fail "partial: $(message 0)"

# The worker's own error record explains a controlled failure (no second one).
verify_json fail,ok
[ "$(verdict 0)" = error ] || fail "fail: verdict $(verdict 0)"
[ "$(zcat "$tmp/t.kat" | jq -c 'select(.type == "error" and .case == 0)' | wc -l)" = 1 ] ||
	fail "fail: want the worker's error record only"
[ "$(where 0)" = cuda ] || fail "fail: where $(where 0)"

# Exit 3 inside a case (the GPU went away) is that case's error.
verify_json env,ok
[ "$(where 0)" = environment ] || fail "env: where $(where 0)"

# A worker cannot write records for another case.
verify_json othercase,ok
[ "$(zcat "$tmp/t.kat" | jq -c 'select(.case == 99)' | wc -l)" = 0 ] ||
	fail "othercase: records kept case 99"
[ "$(verdict 0)" = error ] && [ "$(where 0)" = plan ] ||
	fail "othercase: verdict $(verdict 0) where $(where 0)"
message 0 | grep -q "record of case 99 in case 0's stream" || fail "othercase: $(message 0)"

# Streams that break their plan are errors, never verdicts: fewer samples
# than promised, checks with another seed, the worker's own case or device
# record (a forged peak bandwidth), a missing round.
for b in short badseed sendcase device skipround; do
	verify_json $b,ok
	[ "$(verdict 0)" = error ] || fail "$b: verdict $(verdict 0)"
	[ "$(where 0)" = plan ] || fail "$b: where $(where 0): $(message 0)"
	[ "$(verdict 1)" != error ] || fail "$b: case 1: $(message 1)"
	check_trace "$tmp/t.kat"
done
verify_json short; message 0 | grep -q "the plan promises at least 10" || fail "short: $(message 0)"
verify_json badseed; message 0 | grep -q "check with seed" || fail "badseed: $(message 0)"
verify_json sendcase; message 0 | grep -q "may not send a case record" || fail "sendcase: $(message 0)"
verify_json device; message 0 | grep -q "may not send a device record" || fail "device: $(message 0)"
zcat "$tmp/t.kat" | jq -se 'map(select(.type == "device")) | length == 1 and
	.[0].name == "Fake GPU"' >/dev/null || fail "device: the forged device record was kept"
verify_json skipround; message 0 | grep -q "round 1" || fail "skipround: $(message 0)"
echo "verify_faults: ok"
