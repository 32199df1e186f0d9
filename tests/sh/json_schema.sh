# json_schema.sh - every --json document validates against the documented
# schema, man/kaudit-result.schema.json (JSON Schema draft 2020-12; summary:
# man/kaudit-summary.schema.json), with
# python3's jsonschema: inspect --json and check --json on intact, resigned
# and cut traces, verify --json (host test double), and the error objects;
# and documents that break the schema are refused, so the schema is strict
# enough to mean something.  Without the jsonschema module the test is
# skipped, except in CI ($CI = true), where it fails.  Needs $KAUDIT and $BUILD.
set -eu
schema=man/kaudit-result.schema.json
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	[ "${CI:-}" != true ] || { echo "FAIL: python3 jsonschema is missing (apt-get install python3-jsonschema)" >&2; exit 1; }
	echo "json_schema: skipped (no python3 jsonschema module)"
	exit 0
fi
. tests/tools/host_claim.sh

# validate WANT FILE...: each FILE holds one or more JSON documents; WANT
# is "valid" or "invalid" (every document must be refused).
validate() {
	python3 - "${use_schema:-$schema}" "$@" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
want = sys.argv[2]
bad = 0
for path in sys.argv[3:]:
    text = open(path).read()
    dec, at, docs = json.JSONDecoder(), 0, []
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        doc, at = dec.raw_decode(text, at)
        docs.append(doc)
    if not docs:
        print("%s: no JSON document" % path); bad = 1
    for d in docs:
        errors = sorted(v.iter_errors(d), key=lambda e: list(e.absolute_path))
        if want == "valid" and errors:
            print("%s: %s" % (path, "; ".join(e.message[:300] for e in errors[:3]))); bad = 1
        if want == "invalid" and not errors:
            print("%s: accepted a document the schema must refuse" % path); bad = 1
sys.exit(bad)
PY
}
run() { "$@" 2>/dev/null || true; }

run "$KAUDIT" inspect --json traces/example.kat traces/tamper-resigned.kat >"$tmp/inspect.json"
run "$KAUDIT" check --json traces/example.kat traces/tamper-resigned.kat >"$tmp/check.json"
head -c 3000 traces/example.kat >"$tmp/cut.kat"
run "$KAUDIT" inspect --json "$tmp/cut.kat" >"$tmp/cut-inspect.json"
run "$KAUDIT" check --json "$tmp/cut.kat" >"$tmp/cut-check.json"
run "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/t.kat" --json --quick >"$tmp/verify.json"
run "$KAUDIT" check --json --expect "$tmp/t.kat" --pubkey "$pub" >"$tmp/check-verify.json"
run env KAUDIT_WORKER=/nonexistent/worker "$KAUDIT" verify "$claim" --key "$key" --json \
	>"$tmp/err-nogpu.json"
run "$KAUDIT" inspect --json "$tmp/missing.kat" >"$tmp/err-missing.json"
run "$KAUDIT" check --json "$schema" >"$tmp/err-nottrace.json"
run "$KAUDIT" verify --json --bogus "$claim" >"$tmp/err-usage.json"
# What each is: not a test of the schema if they were all error objects.
jq -se 'length == 2 and all(.[]; has("signer") and has("cases"))' "$tmp/inspect.json" \
	>/dev/null || fail "inspect.json: $(head -c 300 "$tmp/inspect.json")"
jq -se 'all(.[]; has("check"))' "$tmp/check.json" >/dev/null || fail "check.json"
jq -e '.intact == false and .truncated' "$tmp/cut-inspect.json" >/dev/null || fail "cut"
jq -e 'has("verify") and (.cases | length == 2)' "$tmp/verify.json" >/dev/null ||
	fail "verify.json: $(head -c 300 "$tmp/verify.json")"
jq -e '.check.valid and (.check.expectations | length == 2)' "$tmp/check-verify.json" \
	>/dev/null || fail "check of verify's trace: $(jq -c .check "$tmp/check-verify.json")"
jq -e '.error.exit == 3' "$tmp/err-nogpu.json" >/dev/null || fail "err-nogpu"
for f in missing nottrace usage; do
	jq -e '.error.exit == 2' "$tmp/err-$f.json" >/dev/null || fail "err-$f: $(cat "$tmp/err-$f.json")"
done
out=$(validate valid "$tmp"/*.json) || fail "not valid against $schema: $out"

# Broken documents: an unknown top-level key, an unknown key in a case, a
# missing required key, a wrong type, an error object with a result.
jq '. + {"speedup": 4}' "$tmp/verify.json" >"$tmp/broken-top"
jq '.cases[0].ci_low = 3.9' "$tmp/verify.json" >"$tmp/broken-case"
jq 'del(.cases)' "$tmp/verify.json" >"$tmp/broken-required"
jq '.intact = "yes"' "$tmp/verify.json" >"$tmp/broken-type"
jq '.cases[0].verdict = "great"' "$tmp/verify.json" >"$tmp/broken-verdict"
jq '.error.exit = "three"' "$tmp/err-nogpu.json" >"$tmp/broken-error"
jq '. + {"error": {"exit": 4, "message": "x"}}' "$tmp/verify.json" >"$tmp/broken-both"
out=$(validate invalid "$tmp"/broken-*) || fail "the schema accepts a broken document: $out"
# And each broken one was valid before it was broken (the edit is the cause).
out=$(validate valid "$tmp/verify.json" "$tmp/err-nogpu.json") || fail "$out"

# summary --json (man/kaudit-summary.schema.json): complete shards, a
# missing one and a rejected trace, two claims, and its error object.
use_schema=man/kaudit-summary.schema.json
run "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/s0.kat" --json --quick --shard 0/2 >"$tmp/verify-shard.json"
run "$KAUDIT" verify "$claim" --key "$key" -o "$tmp/s1.kat" --quick --shard 1/2 >/dev/null
jq -e '.audit.selection == {"cases": 2, "shard": {"index": 0, "count": 2}}' \
	"$tmp/verify-shard.json" >/dev/null || fail "verify --shard --json: no selection"
head -c 2000 "$tmp/s1.kat" >"$tmp/s1-cut.kat"
mkdir "$tmp/sum"
run "$KAUDIT" summary --json --pubkey "$pub" "$tmp/s0.kat" "$tmp/s1.kat" >"$tmp/sum/whole.json"
run "$KAUDIT" summary --json --pubkey "$pub" "$tmp/s0.kat" "$tmp/s1-cut.kat" \
	"$tmp/missing.kat" >"$tmp/sum/partial.json"
run "$KAUDIT" summary --json --pubkey "$pub" "$tmp/s0.kat" "$tmp/t.kat" >"$tmp/sum/two.json"
run "$KAUDIT" summary --json >"$tmp/sum/err-empty.json"
jq -e '.claims[0].complete and (.claims[0].cases | length) == 2' "$tmp/sum/whole.json" \
	>/dev/null || fail "summary whole: $(head -c 300 "$tmp/sum/whole.json")"
jq -e '.summary.rejected == 2 and .claims[0].missing == 1 and .traces[2].claim_sha256 == null' \
	"$tmp/sum/partial.json" >/dev/null || fail "summary partial: $(head -c 300 "$tmp/sum/partial.json")"
jq -e '(.claims | length) == 1 and .claims[0].duplicated == 1' "$tmp/sum/two.json" >/dev/null ||
	fail "summary two: $(head -c 300 "$tmp/sum/two.json")"
jq -e '.error.exit == 2' "$tmp/sum/err-empty.json" >/dev/null || fail "summary err"
out=$(validate valid "$tmp"/sum/*.json) || fail "not valid against $use_schema: $out"
jq '.claims[0].cases[0].status = "fine"' "$tmp/sum/whole.json" >"$tmp/sum/broken-status"
jq '.claims[0] += {"speedup": 3}' "$tmp/sum/whole.json" >"$tmp/sum/broken-claim"
jq 'del(.traces)' "$tmp/sum/whole.json" >"$tmp/sum/broken-required"
jq '.traces[0].shard = {"index": -1, "count": 2}' "$tmp/sum/whole.json" >"$tmp/sum/broken-shard"
out=$(validate invalid "$tmp"/sum/broken-*) || fail "the summary schema accepts a broken document: $out"
echo "json_schema: ok"
