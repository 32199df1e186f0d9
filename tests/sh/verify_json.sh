# verify_json.sh - one result schema: `verify --json` prints what `inspect
# --json` prints for the trace verify just wrote, plus its "verify" object;
# verify's table is rendered from the same summary with the manifest's
# strings escaped; and under --json every failure of verify, inspect and
# check is one {"error": ...} object on stdout.  Runs verify with the host
# test double (tests/tools/host_claim.sh).  Needs $KAUDIT and $BUILD.
set -eu
. tests/tools/host_claim.sh

# verify --json == inspect --json of its trace, but for "verify".
set +e
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --json --quick >"$tmp/v.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "verify --json: exit $rc, want 1 (one cheat): $(cat "$tmp/err")"
[ "$(jq -s length "$tmp/v.json")" = 1 ] || fail "verify --json: not one document"
"$KAUDIT" inspect --json "$tmp/t.kat" >"$tmp/i.json" 2>"$tmp/err" ||
	fail "inspect --json: exit $?: $(cat "$tmp/err")"
jq -S 'del(.verify)' "$tmp/v.json" >"$tmp/v.cmp"
jq -S . "$tmp/i.json" >"$tmp/i.cmp"
diff -u "$tmp/i.cmp" "$tmp/v.cmp" >"$tmp/diff" ||
	fail "verify --json differs from inspect --json of its trace: $(cat "$tmp/diff")"
# The comparison means something: both are the whole summary of this audit.
jq -e '.intact and .file_bound and .stand_in and (.cases | length == 2) and
	.cases[0].verdict == "reproduced" and .cases[1].verdict == "invalid" and
	(.cases[0].timing.candidate.samples > 0) and .verdict == "invalid"' "$tmp/v.json" \
	>/dev/null || fail "verify --json: not the audit's summary: $(cat "$tmp/v.json")"
# ... and the diff can fail: a summary of another audit of the same claim
# (other seeds, other timings) is not the same document.
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --json --quick --kernel honest \
	>"$tmp/v2.json" 2>/dev/null || fail "verify --kernel honest: exit $?"
jq -S 'del(.verify)' "$tmp/v2.json" >"$tmp/v2.cmp"
! cmp -s "$tmp/v2.cmp" "$tmp/i.cmp" || fail "two audits gave the same summary"
# Verify's own keys: its exit code, the interruption, the expectations.
jq -e '.verify.exit == 1 and .verify.interrupted == false and .verify.not_run == 0 and
	(.verify.expectations | length == 2) and all(.verify.expectations[]; .ok)' \
	"$tmp/v.json" >/dev/null || fail "verify object: $(jq -c .verify "$tmp/v.json")"
# The manifest's title reaches JSON as it is (JSON escapes it).
jq -r .claim.title "$tmp/v.json" | grep -q "$(printf '\033')\[2J" ||
	fail "JSON title: $(jq .claim.title "$tmp/v.json")"

# The table: the summary's cases, verdicts and speedups; the title's ESC
# and BEL escaped, no control character on stdout (no colour off a TTY).
set +e
"$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --quick >"$tmp/table" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "verify: exit $rc: $(cat "$tmp/err")"
grep -q '^case kernel  *claimed  measured 95% CI  *verdict$' "$tmp/table" ||
	fail "table header: $(cat "$tmp/table")"
grep -q '^0    honest  *3\.00x  *[34]\.[0-9][0-9]x [0-9.]*x-[0-9.]*x  *reproduced$' "$tmp/table" ||
	fail "table: honest row: $(cat "$tmp/table")"
grep -q '^1    nothing  *4\.00x .* invalid$' "$tmp/table" || fail "table: cheat row"
grep -q '^     findings: .*unwritten-output' "$tmp/table" || fail "table: findings"
grep -q '^claim: invalid (1 of 2 cases reproduced)$' "$tmp/table" || fail "table: claim line"
grep -qF '"Scale 3x \x1b[2J\x1b]0;pwned\x07"' "$tmp/table" ||
	fail "table: title not escaped: $(grep Scale "$tmp/table" | od -c | head)"
! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/table" ||
	fail "table: a control character reached stdout: $(od -c "$tmp/table" | grep -m1 '033\|007')"
grep -q "^trace: $tmp/t.kat$" "$tmp/table" || fail "table: trace line"
awk 'length > 80 && !/^\*\*\* STAND-IN/ { print; bad = 1 } END { exit bad }' "$tmp/table" ||
	fail "table: wider than 80 columns"
# And a title with nothing to escape is shown as it is.
sed 's/title: .*/title: "Scale 3x, plainly"/' "$claim" >"$tmp/plain.yaml"
"$KAUDIT" verify "$tmp/plain.yaml" --key "$key" -o "$tmp/p.kat" --quick --kernel honest \
	>"$tmp/table" 2>&1 || fail "plain: exit $?: $(cat "$tmp/table")"
grep -q '^       "Scale 3x, plainly"$' "$tmp/table" || fail "plain title: $(cat "$tmp/table")"

# An error message quoting the manifest is escaped on stderr too (and
# kept as it is in JSON, which escapes it itself).
printf 'kaudit: 1\nclaim:\n  title: "x"\nkernels:\n  - id: "a\\eb"\n' >"$tmp/badid.yaml"
set +e
"$KAUDIT" verify "$tmp/badid.yaml" --key "$key" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "bad id: exit $rc"
grep -qF "invalid kernel id 'a\x1bb'" "$tmp/err" || fail "bad id: $(od -c "$tmp/err" | head)"
! grep -q "$(printf '\033')" "$tmp/err" || fail "bad id: ESC on stderr"

# --json failures: one error object on stdout, its exit the exit status;
# without --json, nothing on stdout.
# json_error WANT_EXIT ARGS...
json_error() {
	want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want: $(cat "$tmp/err")"
	[ "$(jq -s length "$tmp/out")" = 1 ] || fail "$*: not one JSON document: $(cat "$tmp/out")"
	jq -e --argjson rc "$rc" '.error.exit == $rc and (.error.message | length > 0) and
		(keys == ["error"])' "$tmp/out" >/dev/null || fail "$*: $(cat "$tmp/out")"
	[ -s "$tmp/err" ] || fail "$*: no message on stderr"
}
no_stdout() {
	set +e
	"$@" >"$tmp/out" 2>/dev/null
	set -e
	[ ! -s "$tmp/out" ] || fail "$*: without --json, stdout: $(cat "$tmp/out")"
}
printf 'not a trace\n' >"$tmp/plain.txt"
gzip -c "$tmp/plain.txt" >"$tmp/plain.gz"
json_error 3 env KAUDIT_WORKER=/nonexistent/worker "$KAUDIT" verify "$claim" --key "$key" --json
jq -e '.error.message | test("worker|device|CUDA"; "i")' "$tmp/out" >/dev/null ||
	fail "no GPU: $(cat "$tmp/out")"
no_stdout env KAUDIT_WORKER=/nonexistent/worker "$KAUDIT" verify "$claim" --key "$key"
json_error 2 "$KAUDIT" verify "$tmp/missing.yaml" --key "$key" --json
json_error 2 "$KAUDIT" verify --json --bogus "$claim"
no_stdout "$KAUDIT" verify --bogus "$claim"
json_error 2 "$KAUDIT" verify --json
json_error 2 "$KAUDIT" inspect --json "$tmp/missing.kat"
jq -e --arg f "$tmp/missing.kat" '.error.file == $f' "$tmp/out" >/dev/null ||
	fail "inspect missing: no file: $(cat "$tmp/out")"
no_stdout "$KAUDIT" inspect "$tmp/missing.kat"
json_error 2 "$KAUDIT" inspect --json "$tmp/plain.txt"
json_error 2 "$KAUDIT" inspect --json "$tmp/plain.gz"
json_error 2 "$KAUDIT" inspect --json --bogus "$tmp/t.kat"
json_error 2 "$KAUDIT" check --json "$tmp/plain.txt"
json_error 2 "$KAUDIT" check --json "$tmp/missing.kat"
json_error 2 "$KAUDIT" check --json
no_stdout "$KAUDIT" check "$tmp/plain.txt"
# A damaged trace is still summarised: that one document, no error object
# after it, and the exit status says it cannot be trusted.
head -c 2000 "$tmp/t.kat" >"$tmp/cut.kat"
for cmd in inspect check; do
	set +e
	"$KAUDIT" $cmd --json "$tmp/cut.kat" >"$tmp/out" 2>/dev/null
	rc=$?
	set -e
	[ "$rc" = 4 ] || fail "$cmd cut: exit $rc, want 4"
	jq -se 'length == 1 and (.[0].intact == false) and (.[0] | has("error") | not)' \
		"$tmp/out" >/dev/null || fail "$cmd cut: $(cat "$tmp/out")"
done
# Several traces: one document each, in order, the error where it belongs.
set +e
"$KAUDIT" inspect --json "$tmp/t.kat" "$tmp/missing.kat" "$tmp/p.kat" >"$tmp/out" 2>/dev/null
rc=$?
set -e
[ "$rc" = 2 ] || fail "inspect three: exit $rc"
jq -se --arg m "$tmp/missing.kat" 'length == 3 and .[0].intact and .[1].error.file == $m and
	.[2].intact' "$tmp/out" >/dev/null || fail "inspect three: $(cat "$tmp/out")"
echo "verify_json: ok"
