# summary.sh - `kaudit verify --shard` and `kaudit summary` end to end with
# the host test double (tests/tools/host_claim.sh): shards cut by case
# index and named in the header, the predicate and the file name; --shard
# validation; check catching a forged selection; and summary over complete,
# missing, duplicated and disputed shards, a foreign signer, a tampered, a
# truncated and a forged trace, two claims, no trace at all, and its
# --json, --markdown and --csv (a title a spreadsheet would run stays
# text).  Needs $KAUDIT and $BUILD.
set -eu
. tests/tools/host_claim.sh
resign=$BUILD/tools/kat_resign
[ -x "$resign" ] || fail "no $resign (make tools)"
export KAUDIT_ALLOWED_SIGNERS= # no trust store but what a test gives
cd "$tmp"

# A claim of four honest cases; its title starts like a spreadsheet formula.
cat >four.yaml <<'Y'
kaudit: 1
claim:
  title: "=HYPERLINK(\"x\") four sizes"
kernels:
  - id: honest
    claimed_speedup: 3.0
    baseline:  {source: impl.so, entry: ref_scale}
    candidate: {source: impl.so, entry: fast_scale}
    params: [{N: 100}, {N: 200}, {N: 300}, {N: 400}]
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
Y
# expect_rc WANT CMD...: CMD's exit code must be WANT; its output in $out.
expect_rc() {
	want=$1
	shift
	rc=0
	"$@" >out.txt 2>err.txt || rc=$?
	[ "$rc" = "$want" ] || fail "exit $rc, want $want: $* : $(head -c 600 out.txt) $(cat err.txt)"
}

# ---- verify --shard ----
for bad in 2/2 3/2 -1/2 1/0 a/b 1/2x " 1/2" 1/ /2 1//2 0/1000001 12345678/99999999; do
	expect_rc 2 "$KAUDIT" verify four.yaml --key "$key" --quick "--shard=$bad"
	grep -q "kaudit verify: --shard must be I/N with 0 <= I < N <= 1000000, not '$bad'" err.txt ||
		fail "--shard '$bad': $(cat err.txt)"
done
expect_rc 2 "$KAUDIT" verify four.yaml --key "$key" --quick --shard 4/5
grep -q "shard 4/5 selects none of its 4 cases" err.txt || fail "empty shard: $(cat err.txt)"
expect_rc 2 "$KAUDIT" verify "$claim" --key "$key" --quick --kernel honest --shard 1/2
grep -q "shard 1/2 selects none of its 1 case of kernel honest" err.txt || fail "$(cat err.txt)"

expect_rc 0 "$KAUDIT" verify four.yaml --key "$key" --quick --shard 0/2 -o s0.kat
expect_rc 0 "$KAUDIT" verify four.yaml --key "$key" --quick --shard 1/2 -o s1.kat
# Default names carry the shard, padded to N's width.
mkdir named && (cd named && "$KAUDIT" verify ../four.yaml --key "$key" --quick --shard 3/12 \
	>/dev/null 2>&1) || fail "verify --shard 3/12"
ls named | grep -Eq '^four-shard03of12-[0-9]{8}T[0-9]{6}Z\.kat$' || fail "default name: $(ls named)"
# The shard is in the header, in the signed predicate, and check shows it.
zcat s1.kat | head -n 1 | grep -q '"selection":{"cases":4,"shard":{"index":1,"count":2}}' ||
	fail "header: $(zcat s1.kat | head -n 1 | grep -o '"selection":[^}]*}}')"
zcat s1.kat | tail -n 1 | jq -r .dsse.payload | base64 -d |
	jq -e '.predicate.selection == {"cases": 4, "shard": {"index": 1, "count": 2}}' >/dev/null ||
	fail "predicate has no selection"
expect_rc 0 "$KAUDIT" check --pubkey "$pub" s1.kat
grep -q "^shard     1/2: the cases whose index mod 2 is 1, of the claim's 4" out.txt ||
	fail "check: $(cat out.txt)"
grep -c '^case ' out.txt | grep -qx 2 || fail "shard 1/2 must hold 2 cases: $(cat out.txt)"
"$KAUDIT" inspect --json s1.kat | jq -e '.audit.selection.shard.index == 1 and
	([.cases[].case] == [1, 3])' >/dev/null || fail "inspect --json selection"

# A forger with the key moves shard 1's cases into shard 0: the predicate
# agrees (kat_resign rebuilds it), the case records do not.
zcat s1.kat | sed '1s/"index":1,"count":2/"index":0,"count":2/' | "$resign" "$key" forged.kat
expect_rc 4 "$KAUDIT" check --pubkey "$pub" forged.kat
grep -q "case 1: not in the header's selection (shard 0/2 of the claim's 4 cases)" out.txt ||
	fail "forged selection: $(cat out.txt)"
# ... or claims a count the records do not have.
zcat s1.kat | sed '1s/"selection":{"cases":4,/"selection":{"cases":6,/' | "$resign" "$key" short.kat
expect_rc 4 "$KAUDIT" check --pubkey "$pub" short.kat
grep -q "holds 3 cases, the trace has records of 2 (case 5 has none)" out.txt ||
	fail "selection count: $(cat out.txt)"

# ---- summary: complete ----
expect_rc 0 "$KAUDIT" summary --pubkey "$pub" s0.kat s1.kat
grep -q "coverage  4 of 4 cases covered, 0 missing, 0 duplicated (0 disputed)" out.txt ||
	fail "complete: $(cat out.txt)"
grep -q '^verdict   reproduced (the worst of 4 cases)' out.txt || fail "verdict: $(cat out.txt)"
grep -q '\\x' out.txt && fail "a control character?"
# A directory stands for its *.kat files.
mkdir dir && cp s0.kat s1.kat dir/ && echo junk >dir/notes.txt
expect_rc 0 "$KAUDIT" summary --pubkey "$pub" dir

# ---- missing shard ----
expect_rc 1 "$KAUDIT" summary --pubkey "$pub" --json s0.kat
jq -e '.claims[0] | .complete == false and .missing == 2 and .covered == 2 and
	.verdict == "error" and ([.cases[] | select(.status == "missing") | .case] == [1, 3])' \
	out.txt >/dev/null || fail "missing: $(cat out.txt)"
expect_rc 1 "$KAUDIT" summary --pubkey "$pub" s0.kat
grep -q "INCOMPLETE: 2 of 4 cases missing" out.txt || fail "missing text: $(cat out.txt)"
grep -Eq '^1 +- +- +MISSING' out.txt || fail "missing row: $(cat out.txt)"

# ---- duplicated shard, agreeing ----
cp s0.kat s0-again.kat
expect_rc 0 "$KAUDIT" summary --pubkey "$pub" --json s0.kat s1.kat s0-again.kat
jq -e '.claims[0] | .duplicated == 2 and .disputed == 0 and .ok and
	(.cases[0].results | length) == 2 and .cases[0].status == "duplicated"' out.txt >/dev/null ||
	fail "duplicated: $(cat out.txt)"

# ---- duplicated shard, disputed: the same manifest, but the candidate
# became slower between two runs of shard 0 ----
sed 's/fast_scale_cost_ns = 100000/fast_scale_cost_ns = 390000/' impl.c >slow.c
cc -shared -fPIC -I"$OLDPWD/include" -o impl.so slow.c || fail "cannot rebuild impl.so"
expect_rc 1 "$KAUDIT" verify four.yaml --key "$key" --quick --shard 0/2 -o s0-slow.kat
expect_rc 1 "$KAUDIT" summary --pubkey "$pub" s0.kat s1.kat s0-slow.kat
grep -q "DISPUTED: traces disagree on 2 cases" out.txt || fail "disputed: $(cat out.txt)"
grep -Eq '^0 .*not-reproduced DISPUTED .*s0.kat=reproduced s0-slow.kat=not-reproduced' out.txt ||
	fail "disputed row: $(cat out.txt)"
grep -q '^verdict   not-reproduced' out.txt || fail "disputed verdict: $(cat out.txt)"

# ---- a foreign signer ----
openssl genpkey -algorithm ed25519 -out "$keydir/other.pem" 2>/dev/null
chmod 600 "$keydir/other.pem"
cc -shared -fPIC -I"$OLDPWD/include" -o impl.so impl.c || fail "cannot rebuild impl.so"
expect_rc 0 "$KAUDIT" verify four.yaml --key "$keydir/other.pem" --quick --shard 1/2 -o s1-other.kat
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" --json s0.kat s1-other.kat
jq -e '.summary.rejected == 1 and .traces[1].exit == 4 and .traces[1].valid == false and
	(.traces[1].status | startswith("UNTRUSTED")) and .claims[0].missing == 2' out.txt \
	>/dev/null || fail "foreign: $(cat out.txt)"
grep -q "^kaudit: s1-other.kat: signed by an UNTRUSTED key .*, not by the expected key" err.txt ||
	fail "foreign stderr: $(cat err.txt)"
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" s0.kat s1-other.kat
grep -q "^REJECTED  s1-other.kat (shard 1/2, exit 4): UNTRUSTED" out.txt || fail "foreign text: $(cat out.txt)"
# Without a trust store or --pubkey nobody is trusted, as check says: valid, flagged.
expect_rc 0 "$KAUDIT" summary s0.kat s1-other.kat
grep -q "UNTRUSTED key" out.txt || fail "untrusted, no store: $(cat out.txt)"

# ---- a tampered trace (no new signature) ----
zcat s1.kat | sed 's/"verdict":"reproduced"/"verdict":"invalid"/' | gzip >tampered.kat
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" s0.kat tampered.kat
grep -q "^REJECTED  tampered.kat (.*exit 4): TAMPERED" out.txt || fail "tampered: $(cat out.txt)"
grep -q "INCOMPLETE: 2 of 4 cases missing" out.txt || fail "tampered cases counted: $(cat out.txt)"
# ... and one re-signed with the key, whose selection lies (check's strictness)
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" s0.kat forged.kat
grep -q "^REJECTED  forged.kat (.*exit 4): CONTRADICTED" out.txt || fail "forged: $(cat out.txt)"

# ---- a truncated trace ----
size=$(wc -c <s1.kat)
head -c $((size / 2)) s1.kat >cut.kat
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" s0.kat cut.kat
grep -q "^REJECTED  cut.kat (.*exit 4): TRUNCATED" out.txt || fail "truncated: $(cat out.txt)"

# ---- two claims ----
expect_rc 1 "$KAUDIT" verify "$claim" --key "$key" --quick -o two.kat
expect_rc 1 "$KAUDIT" summary --pubkey "$pub" --json s0.kat two.kat s1.kat
jq -e '(.claims | length) == 2 and .claims[0].ok and .claims[0].covered == 4 and
	.claims[1].verdict == "invalid" and .claims[1].complete and .claims[1].cases_total == 2 and
	.traces[1].shard == null and .summary.claims_ok == 1' out.txt >/dev/null ||
	fail "two claims: $(cat out.txt)"

# ---- a case verify could not run is covered (verdict error), not missing ----
sed 's/entry: fast_scale}/entry: no_such_entry}/' four.yaml >broken.yaml
expect_rc 1 "$KAUDIT" verify broken.yaml --key "$key" --quick --shard 0/2 -o b0.kat
expect_rc 1 "$KAUDIT" summary --pubkey "$pub" --json b0.kat
jq -e '.claims[0] | .covered == 2 and .missing == 2 and .verdict == "error" and
	.cases[0].status == "covered" and .cases[0].verdict == "error"' out.txt >/dev/null ||
	fail "error case: $(cat out.txt)"

# ---- no trace at all ----
expect_rc 2 "$KAUDIT" summary
grep -q "kaudit summary: missing TRACE.kat" err.txt || fail "empty: $(cat err.txt)"
expect_rc 2 "$KAUDIT" summary --json
jq -e '.error.exit == 2' out.txt >/dev/null || fail "empty --json: $(cat out.txt)"
mkdir empty
expect_rc 2 "$KAUDIT" summary empty
grep -q "a directory without a single \*.kat file" err.txt || fail "empty dir: $(cat err.txt)"
: >zero.kat
expect_rc 2 "$KAUDIT" summary --pubkey "$pub" zero.kat s0.kat s1.kat
grep -q "zero.kat" err.txt || fail "zero-byte trace: $(cat err.txt)"
grep -q "coverage  4 of 4 cases covered" out.txt || fail "the valid ones still count: $(cat out.txt)"
expect_rc 2 "$KAUDIT" summary --json --csv s0.kat
grep -q "exclude each other" err.txt || fail "two formats: $(cat err.txt)"

# ---- markdown and CSV ----
expect_rc 4 "$KAUDIT" summary --pubkey "$pub" --markdown s0.kat s1-other.kat
grep -q '^| case | kernel | params | verdict | claimed | measured | traces |$' out.txt ||
	fail "markdown: $(cat out.txt)"
grep -q '^| 1 | - | - | \*\*missing\*\* |' out.txt || fail "markdown missing row: $(cat out.txt)"
grep -q '^## Traces not counted' out.txt || fail "markdown rejected: $(cat out.txt)"
expect_rc 0 "$KAUDIT" summary --pubkey "$pub" --csv s0.kat s1.kat s0-again.kat
[ "$(wc -l <out.txt)" = 7 ] || fail "csv: a header and six rows: $(cat out.txt)"
head -n 1 out.txt | grep -q '^claim_sha256,claim_title,case,kernel,params,status,verdict,' ||
	fail "csv header"
sed -n 2p out.txt | grep -q ',"'"'"'=HYPERLINK(""x"") four sizes",0,honest,N=100,duplicated,reproduced,3,' ||
	fail "csv row: $(sed -n 2p out.txt)"
echo "summary: ok"
