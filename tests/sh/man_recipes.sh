#!/bin/sh
# man_recipes.sh - every `zcat T.kat | jq ...` recipe in the man pages (.Dl
# lines and .Bd -literal blocks) is run on a trace whose timestamps exceed
# 2^53, and its output must be exactly what `kaudit inspect --json` (or,
# where inspect says nothing about it, the trace's own exact fields) gives
# for the same thing.  jq 1.6 holds numbers as doubles: a recipe that
# computes with absolute timestamps gives wrong numbers, and this test
# catches it (it proves so on the old `.end-.start` recipe).
#
# The table in judge() maps each recipe, by a distinctive substring, to how
# its output is compared; a recipe with no entry fails ("recipe not
# covered"), so a new recipe cannot go untested.  Records a recipe prints
# whole must print every integer as the trace wrote it, except the fields
# kaudit-trace(5) lists as beyond 2^53.  Needs $KAUDIT, $BUILD, jq.
set -u
fail() { echo "man_recipes: $*" >&2; exit 1; }
command -v jq >/dev/null || fail "needs jq"
gen=$BUILD/tools/kat_example
[ -x "$gen" ] || fail "needs make tools"
pages=${MAN_RECIPES_PAGES:-"man/kaudit.1 man/kaudit-claim.5 man/kaudit-trace.5 man/kaudit-findings.7"}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The trace: the example as the generator writes it now (realistic CUPTI
# clock, findings from the detectors).  Git keeps no file modes.
cp traces/example-test-key.pem "$tmp/key.pem" && chmod 600 "$tmp/key.pem"
"$gen" "$tmp/key.pem" "$tmp/T.kat" || fail "kat_example failed"
zcat "$tmp/T.kat" > "$tmp/T.jsonl" || fail "zcat failed"
"$KAUDIT" inspect --json "$tmp/T.kat" > "$tmp/inspect.json" || fail "inspect failed"
jq -s . "$tmp/T.jsonl" > "$tmp/trace.json" || fail "jq cannot read the trace"

# The trace must be one where rounding shows: timestamps of a 2026 clock
# (beyond 2^53), and kernel durations that are not multiples of 256 ns.
grep -o '"start":[0-9]*' "$tmp/T.jsonl" | cut -d: -f2 |
	awk '$1 < 1.7e18 || $1 > 1.9e18 { bad = 1 } END { exit bad || NR < 100 }' ||
	fail "the trace's timestamps are not a realistic CUPTI clock"
grep '"type":"kernel"' "$tmp/T.jsonl" | grep -o '"ns":[0-9]*' | cut -d: -f2 |
	awk '$1 % 256 { odd++ } END { exit !odd }' ||
	fail "every kernel lasts a multiple of 256 ns: rounding would go unseen"

# Fields kaudit-trace(5) says can exceed 2^53 (its "Exact numbers" subsection).
inexact=$(sed -n '/^\.Ss Exact numbers with standard tools/,/^Everything else/p' \
	man/kaudit-trace.5 | sed -n '/^The fields that can exceed/,$p' |
	grep '^\.Cm ' | sed 's/^\.Cm //; s/[,;.()]//g')
inexact=$(echo $inexact)
case " $inexact " in *" start "*" window_start "*" address "*) ;;
*) fail "kaudit-trace(5) does not list the fields beyond 2^53 (got '$inexact')" ;; esac

# The recipes of PAGE, one per line, mdoc escapes undone.
recipes_of() {
	sed -n -e '/^\.Bd -literal/,/^\.Ed/p' -e 's/^\.Dl //p' "$1" |
		grep -E 'zcat [A-Za-z0-9_.]+\.kat \| jq' | sed 's/^\$ //' |
		sed -e 's/\\(dq/"/g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g'
}

# How each recipe's output is compared: a jq program over $o (the recipe's
# outputs, slurped), $i (inspect --json) and $t (the trace's records, of
# which it uses only fields exact in a double).  It must print true.
program_of() {
	case $1 in
	*'select(.type == "finding")'*) cat <<'JQ' ;;
# The finding records are the findings inspect lists, by record id and code.
($o | map([.id, .code]) | sort) == ([$i.cases[].findings[] | [.record, .code]] | sort)
and ($o | length) > 0
JQ
	*'.ok==false)'*) cat <<'JQ' ;;
# The failed checks are the records the correctness findings cite.
($o | map(.id) | sort) ==
  ([$i.cases[].findings[] | select(.evidence.check) | .evidence.records[]] | unique)
and ($o | length) > 0
JQ
	*'.kind=="compare") | .detail'*) cat <<'JQ' ;;
# One detail per compare check, among them each compare finding's evidence.
([$i.cases[].findings[] | select(.evidence.check == "compare") | .evidence.detail]) as $d
| ($d | length) > 0 and all($d[]; . as $x | any($o[]; . == $x))
and ($o | length) == ([$t[] | select(.type == "check" and .kind == "compare")] | length)
JQ
	*'.call==12 and .stream!=null)'*) cat <<'JQ' ;;
# Call 12's work: its kernel time is the sample's, and its work stays on the
# harness's stream exactly when inspect finds no foreign-stream.
([$o[] | select(.type == "kernel")] | length) > 0
and ([$o[] | select(.type == "kernel") | .ns] | add) ==
  ([$t[] | select(.type == "sample" and .case == 0 and .call == 12) | .kernel_ns] | add)
and (([$o[] | select(.type != "event") | .stream] | unique) ==
     ([$o[] | select(.type == "event") | .stream] | unique)) ==
    ([$i.cases[] | select(.case == 0) | .findings[] | select(.code == "foreign-stream")]
     | length == 0)
JQ
	*'.call==12 and (.type=="sample" or .type=="kernel"))'*) cat <<'JQ' ;;
# The sample of call 12 and its kernels: the same GPU time, one window.
([$o[] | select(.type == "sample")] | length) == 1
and ([$o[] | select(.type == "kernel")] | length) > 0
and ([$o[] | select(.type == "kernel") | .ns] | add) ==
    ($o[] | select(.type == "sample") | .kernel_ns)
JQ
	*'.in_call==false and .impl!="harness")'*) cat <<'JQ' ;;
# Launches after the entry returned exactly when inspect finds deferred-launch.
any($o[]; .name | test("Launch|[Mm]emcpy|[Mm]emset")) ==
  ([$i.cases[].findings[] | select(.code == "deferred-launch")] | length > 0)
JQ
	*'group_by([.case, .call])'*) cat <<'JQ' ;;
# Kernel time per candidate call is the timed sample's kernel_ns, exactly.
$o[0] as $calls
| [$t[] | select(.type == "sample" and .impl == "candidate")] as $s
| ($s | length) >= 10
and all($s[]; . as $x
    | ([$calls[] | select(.case == $x.case and .call == $x.call) | .ns] == [$x.kernel_ns]))
JQ
	*'{type, peak_bw, buffers}'*) cat <<'JQ' ;;
# The device's bandwidth and the case's buffers are what roofline used.
($o[] | select(.type == "device") | .peak_bw) as $bw
| [$o[] | select(.type == "case")] as $cases
| $bw == $i.device.peak_bw
and all($i.cases[] as $c | $c.findings[] | select(.code == "roofline-violation")
        | {case: $c.case, e: .evidence};
    .e.peak_bw == $bw
    and .e.bytes >= ($cases[.case].buffers
        | map(if .role == "inout" then 2 * .bytes else .bytes end) | add))
and ([$i.cases[].findings[] | select(.code == "roofline-violation")] | length) > 0
JQ
	*'group_by([.case, .impl, .round])'*) cat <<'JQ' ;;
# Per case, implementation and round: inspect's round_medians_ns, all of them.
$o[0] as $m
| ($m | length) == ([$i.cases[].timing[]?.round_medians_ns[] | select(. != null)] | length)
and ($m | length) > 0
and all($m[]; . as $r
    | [$i.cases[] | select(.case == $r.case) | .timing[$r.impl].round_medians_ns[$r.round]]
      == [$r.median_ns])
JQ
	*'[.case, .impl, .traced, .event_ns]'*) cat <<'JQ' ;;
# Traced event times per case and implementation: inspect's count, median,
# extremes.
def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                   else (.[length / 2 - 1] + .[length / 2]) / 2 end;
[$o[] | select(.[2] != false)] | group_by([.[0], .[1]]) as $g
| ($g | length) == ([$i.cases[].timing | to_entries[]] | length)
and all($g[]; (map(.[3])) as $v | .[0] as $k
    | [$i.cases[] | select(.case == $k[0]) | .timing[$k[1]]
       | [.samples, .median_event_ns, .min_event_ns, .max_event_ns]]
      == [[($v | length), ($v | median), ($v | min), ($v | max)]])
JQ
	*'select(.type=="device")'*) cat <<'JQ' ;;
# The device record is the device inspect names.
($o | length) == 1
and ($i.device | to_entries | all(.key as $k | .value == $o[0][$k]))
JQ
	*'select(.type=="dropped")'*) cat <<'JQ' ;;
# Dropped records exactly when inspect finds trace-incomplete for drops.
(($o | map(.count) | add // 0) > 0) ==
  ([$i.cases[].findings[] | select(.code == "trace-incomplete" and .evidence.dropped)]
   | length > 0)
JQ
	*'select(.type=="sandbox")'*) cat <<'JQ' ;;
# A refused layer exactly when inspect finds sandbox-degraded.
any($o[]; .no_new_privs == false or .seccomp == false or .landlock == false) ==
  ([$i.cases[].findings[] | select(.code == "sandbox-degraded")] | length > 0)
JQ
	*) return 1 ;;
	esac
}

# Integers of whole records the recipe printed (OUT) against the trace's
# text: a field printed otherwise must be one kaudit-trace(5) lists.
exact_records() {
	grep '^{"type":' "$1" | while IFS= read -r l; do
		id=$(printf '%s\n' "$l" | jq '.id // empty')
		[ -n "$id" ] || continue
		raw=$(sed -n "$((id + 1))p" "$tmp/T.jsonl")
		{
			printf '%s\n' "$raw" | grep -o '"[a-z_0-9]*":-\{0,1\}[0-9][0-9]*[,}]' |
				sed 's/^/raw /'
			printf '%s\n' "$l" | grep -o '"[a-z_0-9]*":-\{0,1\}[0-9][0-9.e+]*[,}]' |
				sed 's/^/out /'
		} | tr -d '",}' | awk -F'[ :]' -v inexact=" $inexact " -v id="$id" '
			{ n[$1, $2]++; v[$1, $2] = $3; keys[$2] = 1 }
			END {
				for (k in keys)
					if (n["raw", k] == 1 && n["out", k] == 1 &&
					    v["raw", k] != v["out", k] && index(inexact, " " k " ") == 0) {
						printf "record %s: %s printed as %s, the trace has %s\n",
						       id, k, v["out", k], v["raw", k]
						bad = 1
					}
				exit bad
			}' || return 1
	done
}

# judge RECIPE: runs it beside T.kat and compares; prints why on failure.
judge() {
	prog=$(program_of "$1") || { echo "recipe not covered: $1"; return 1; }
	d=$(mktemp -d "$tmp/run.XXXXXX")
	ln -s ../T.kat "$d/T.kat"
	(cd "$d" && sh -c "$1") > "$d/out" 2> "$d/err" || {
		echo "recipe failed: $1: $(cat "$d/err")"
		return 1
	}
	why=$(exact_records "$d/out") || { echo "$why: $1"; return 1; }
	ok=$(jq -n --slurpfile o "$d/out" --slurpfile i "$tmp/inspect.json" \
		--slurpfile t "$tmp/trace.json" \
		"\$i[0] as \$i | \$t[0] as \$t | $prog" 2>&1)
	[ "$ok" = true ] || {
		echo "recipe disagrees with kaudit inspect ($ok): $1"
		jq -c . "$d/out" | head -c 600; echo
		return 1
	}
}

n=0
bad=0
for page in $pages; do
	recipes_of "$page" > "$tmp/recipes"
	while IFS= read -r r; do
		n=$((n + 1))
		judge "$r" < /dev/null || { echo "man_recipes: $page" >&2; bad=1; }
	done < "$tmp/recipes"
done
[ $bad = 0 ] || fail "a recipe gives other numbers than kaudit"
[ $n -ge 13 ] || fail "only $n recipes found in the pages"

# Must not pass: the recipes as they were, which computed with timestamps
# (jq 1.6 rounds them to 256 ns) or mixed the cases.
old_sum='zcat T.kat | jq -s '\''map(select(.type=="kernel" and .impl=="candidate")) | group_by([.case, .call]) | map({case: .[0].case, call: .[0].call, ns: (map(.end-.start)|add)})'\'
judge "$old_sum" > /dev/null && fail "the old .end-.start recipe passed"
old_rounds='zcat T.kat | jq -s '\''map(select(.type=="sample" and .traced!=false)) | group_by([.case, .impl, .round]) | map({case: .[0].case, impl: .[0].impl, round: .[0].round, median_ns: (map(.event_ns)|sort|.[length/2|floor])})'\'
judge "$old_rounds" > /dev/null && fail "a median that takes the upper middle passed"
old_mixed='zcat T.kat | jq -s '\''map(select(.type=="sample" and .impl=="candidate")) | group_by(.round) | map({round: .[0].round, ns: (map(.event_ns)|sort|.[length/2|floor])})'\'
judge "$old_mixed" > /dev/null && fail "the old recipe that mixes cases passed"
judge 'zcat T.kat | jq -c '\''select(.type=="memset")'\' > "$tmp/why" &&
	fail "a recipe with no table entry passed"
grep -q '^recipe not covered' "$tmp/why" || fail "an uncovered recipe is not named"
# A whole record printed with a rounded exact field is caught.
# (the first kernel of the trace, its ns as jq 1.6 would round end-start)
kid=$(grep -m1 '"type":"kernel"' "$tmp/T.jsonl" | sed 's/.*"id":\([0-9]*\).*/\1/')
kns=$(grep -m1 '"type":"kernel"' "$tmp/T.jsonl" | sed 's/.*"ns":\([0-9]*\).*/\1/')
[ -n "$kid" ] && [ -n "$kns" ] || fail "no kernel record with ns in the trace"
printf '{"type":"kernel","id":%s,"ns":%s}\n' "$kid" $((kns / 256 * 256 + (kns % 256 ? 0 : 256))) > "$tmp/rounded"
exact_records "$tmp/rounded" > /dev/null && fail "a rounded ns printed whole passed"
echo "man_recipes: ok ($n recipes)"
