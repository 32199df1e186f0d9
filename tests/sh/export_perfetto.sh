#!/bin/sh
# kaudit export --perfetto on traces made here with known records: host
# thread tracks (a deferred launch from another thread on its own track),
# named stream tracks, launch-to-kernel flows, timed windows and GPU spans,
# findings at the records they name; timestamps near INT64_MAX without
# overflow (run under `make asan` too), a 4200-character kernel name, a case
# index of 2^20-1 in linear time; and an output file that is replaced only
# when complete, never the input, never a device.  Needs $KAUDIT and $BUILD.
set -u
fail() { echo "export_perfetto: $*" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
kat=traces/example.kat
resign="$BUILD/tools/kat_resign"
[ -x "$resign" ] && [ -x "$BUILD/tools/kat_example" ] || fail "needs make tools"
command -v jq >/dev/null || fail "needs jq"
XDG_CONFIG_HOME="$tmp/xdg"
export XDG_CONFIG_HOME
unset KAUDIT_ALLOWED_SIGNERS
cp traces/example-test-key.pem "$tmp/key.pem" && chmod 600 "$tmp/key.pem"

# expect CODE CMD...: runs CMD, fails unless it exits with CODE.
. tests/tools/testlib.sh # expect, has, lacks
# trace NAME: the example's header, device and case 0 (as lines 0-2), then the
# records on stdin (ids are line indices: the first is 3), signed.
trace() {
	{ zcat "$kat" | head -n 2; zcat "$kat" | grep -m 1 '"type":"case"'; cat; } > "$tmp/$1.jsonl"
	"$resign" "$tmp/key.pem" "$tmp/$1.kat" < "$tmp/$1.jsonl" || fail "$1: kat_resign failed"
}
# q NAME FILTER WHAT: jq -e FILTER over NAME's export holds.
q() {
	gzip -dc "$tmp/$1.json.gz" | jq -e "$2" > /dev/null || fail "$1: $3"
}

# 1. A deferred launch and a timing escape.  t0 is record 3's start
# (1000000 ns), so ts = (ns - 1000000) / 1000.
long=$(printf '%4200s' '' | tr ' ' 'T')
trace cheat <<EOF
{"type":"api","case":0,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":100,"start":1000000,"end":1002000,"corr":1,"stream":7,"in_call":true}
{"type":"kernel","case":0,"phase":"timing","impl":"candidate","call":0,"name":"k_main","stream":7,"start":1005000,"end":1010000,"corr":1,"device":0}
{"type":"event","case":0,"phase":"timing","impl":"harness","call":0,"event":1,"stream":7,"ts":1003000,"corr":9,"role":"start"}
{"type":"event","case":0,"phase":"timing","impl":"harness","call":0,"event":2,"stream":7,"ts":1011000,"role":"stop"}
{"type":"sample","case":0,"phase":"timing","impl":"candidate","call":0,"round":0,"index":0,"input_set":0,"event_ns":8000.0,"span_ns":25000.0,"window_start":1003000,"window_end":1011000,"span_start":1005000,"span_end":1030000,"kernels":2,"kernel_ns":15000.0,"bytes":0,"checked":false,"traced":true}
{"type":"api","case":0,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":200,"start":1012000,"end":1013000,"corr":2,"stream":9,"in_call":false}
{"type":"kernel","case":0,"phase":"timing","impl":"candidate","call":0,"name":"k_deferred","stream":9,"start":1020000,"end":1030000,"corr":2,"device":0}
{"type":"api","case":0,"phase":"correctness","impl":"baseline","call":1,"name":"cudaLaunchKernel","thread":100,"start":2000000,"end":2001000,"corr":3,"stream":7,"in_call":true}
{"type":"kernel","case":0,"phase":"correctness","impl":"baseline","call":1,"name":"$long","stream":7,"start":2002000,"end":2003000,"corr":3,"device":0}
{"type":"sync","case":0,"phase":"correctness","impl":"harness","call":1,"kind":"stream","stream":7,"start":2004000,"end":2005000}
{"type":"check","case":0,"phase":"correctness","impl":"baseline","call":1,"kind":"compare","trial":0,"buffer":"y","ok":false,"count":10,"mismatches":10}
{"type":"finding","case":0,"phase":"analysis","impl":"candidate","call":0,"code":"deferred-launch","severity":"invalidating","message":"candidate: cudaLaunchKernel issued from another thread","evidence":{"api":"cudaLaunchKernel","records":[8]}}
{"type":"finding","case":0,"phase":"analysis","impl":"candidate","call":0,"code":"timing-escape","severity":"invalidating","sample":0,"message":"candidate: GPU work outside its timed window","evidence":{"records":[9,7]}}
{"type":"finding","case":0,"phase":"analysis","impl":"baseline","call":1,"code":"wrong-output","severity":"invalidating","trial":0,"message":"baseline: output differs","evidence":{"records":[13]}}
{"type":"finding","case":0,"phase":"analysis","impl":"candidate","code":"noisy-timing","severity":"warning","sample":0,"message":"a sample named, no records"}
{"type":"finding","case":0,"phase":"analysis","code":"trace-incomplete","severity":"warning","message":"nothing named"}
{"type":"api","case":0,"phase":"timing","impl":"harness","call":0,"name":"cudaEventRecord","thread":100,"start":1002500,"end":1002800,"corr":9,"stream":7,"event":1,"in_call":true}
EOF
expect 0 "$KAUDIT" export "$tmp/cheat.kat" --perfetto "$tmp/cheat.json.gz"
gzip -dc "$tmp/cheat.json.gz" | jq . > /dev/null || fail "cheat: not JSON"
q cheat '.traceEvents | type == "array"' "no traceEvents array"
q cheat '[.traceEvents[] | select(.ph == "M" and .name == "process_name") | .args.name] |
	index("GPU 0: NVIDIA H100 80GB HBM3") and index("case 0 softmax_f32: host (worker process)")' \
	"device and host processes not named"
# tid of the track named NAME (a prefix); the event of record ID (not a flow).
jqdefs='def track($n): [.traceEvents[] | select(.ph == "M" and .name == "thread_name" and
		(.args.name | startswith($n)))] | if length == 1 then .[0].tid else error("no track " + $n) end;
	def rec($id; $cat): [.traceEvents[] | select(.args.record == $id and .cat == $cat)] |
		if length == 1 then .[0] else error("no event for record \($id)") end;'
q cheat "$jqdefs"'track("host thread 100 (entry thread") != track("host thread 200 (another thread")' \
	"no thread tracks named after their threads"
q cheat "$jqdefs"'rec(3; "api").tid == track("host thread 100 ") and
	rec(8; "api,outside-call").tid == track("host thread 200 ") and
	rec(8; "api,outside-call").args.in_call == false' \
	"the deferred launch is not on its own thread's track"
q cheat "$jqdefs"'rec(4; "kernel").tid == track("stream 7 (timed)") and
	rec(9; "kernel").tid == track("stream 9") and rec(5; "event").tid == track("stream 7")' \
	"stream tracks not named, or the timed stream not marked"
# Flows (v2, bound to the slices): the api slice flows out, its kernel's
# slice flows in, one bind_id.  An event (an instant) names its api record.
for pair in "3 api 4" "8 api,outside-call 9" "10 api 11"; do
	set -- $pair
	q cheat "$jqdefs"'rec('"$1"'; "'"$2"'") as $a | rec('"$3"'; "kernel") as $k |
		$a.bind_id != null and $a.bind_id == $k.bind_id and $a.flow_out == true and
		$k.flow_in == true and $k.args.api_record == '"$1" "no flow from api record $1 to kernel record $3"
done
q cheat '[.traceEvents[] | select(.flow_out)] | length == 3' "a flow without its kernel"
q cheat '[.traceEvents[] | select(.flow_in)] | length == 3' "a flow without its launch"
q cheat "$jqdefs"'rec(5; "event").args.api_record == 19 and rec(5; "event").bind_id == null and
	rec(19; "api").flow_out == null' "the timer event does not name its cudaEventRecord"
# The timed window and the GPU span, the escape told in the span's name.
q cheat "$jqdefs"'rec(7; "window") as $e | $e.name == "candidate window r0 s0 8.0 us" and
	$e.ts == 3 and $e.dur == 8 and $e.tid == track("case 0 candidate: timed windows")' "no timed window"
q cheat "$jqdefs"'rec(7; "span") as $e |
	$e.name == "candidate GPU span r0 s0 25.0 us, 19.0 us outside the window" and $e.ts == 5 and
	$e.args.outside_window_ns == 19000 and $e.tid == track("case 0 candidate: GPU span")' \
	"no GPU span, or the escape is not shown"
q cheat "$jqdefs"'rec(12; "sync").tid == track("CUDA synchronizations")' "no synchronization"
# Findings: at the earliest record their evidence names (a check: where its
# call began), else their sample, else the case's start.  Not all at one ts.
for f in "14 12 record 8" "15 3 record 7" "16 1000 the call of record 13" "17 3 sample 0" \
	 "18 0 the start of the case"; do
	set -- $f
	id=$1 ts=$2
	shift 2
	q cheat "$jqdefs"'rec('"$id"'; "finding") as $e | $e.ts == '"$ts"' and
		$e.args.placed_at == "'"$*"'" and $e.tid == track("case 0: findings") and
		$e.args.code != null and $e.args.severity != null and $e.args.message != null' \
		"finding $id not at $ts ($*)"
done
q cheat "$jqdefs"'rec(8; "api,outside-call").ts == rec(14; "finding").ts and
	rec(7; "window").ts == rec(15; "finding").ts and rec(10; "api").ts == rec(16; "finding").ts' \
	"a finding is not where the record it names is"
q cheat '[.traceEvents[] | select(.cat == "finding") | .ts] | unique | length == 4' \
	"findings share one timestamp"
q cheat "$jqdefs"'rec(15; "finding").args.evidence.records == [9,7]' "finding evidence not in args"
# Exact microseconds from integer ns; the 4200-character name survives.
gzip -dc "$tmp/cheat.json.gz" | grep -q '"cat":"kernel","ph":"X","ts":1002.000,"dur":1.000,' ||
	fail "cheat: timestamps not exact"
q cheat "$jqdefs"'rec(11; "kernel").name | length == 4200' "the long kernel name did not survive"

# 2. Timestamps near INT64_MAX: no overflow (UBSan), nothing negative; a
# negative time is impossible and left out, an end before its start has
# duration 0.  t0 is 0 (record 3).
trace max <<EOF
{"type":"kernel","case":0,"phase":"timing","name":"k_zero","stream":1,"start":0,"end":1000,"corr":1}
{"type":"kernel","case":0,"phase":"timing","name":"k_max","stream":1,"start":9223372036854775000,"end":9223372036854775807,"corr":2}
{"type":"kernel","case":0,"phase":"timing","name":"k_neg","stream":1,"start":-9223372036854775807,"end":9223372036854775807}
{"type":"kernel","case":0,"phase":"timing","name":"k_long","stream":2,"start":5000,"end":9223372036854775807}
{"type":"kernel","case":0,"phase":"timing","name":"k_back","stream":3,"start":9223372036854775807,"end":0}
{"type":"api","case":0,"phase":"timing","name":"cudaLaunchKernel","thread":1,"start":9223372036854775806,"end":9223372036854775807,"corr":2,"in_call":true}
{"type":"sample","case":0,"phase":"timing","impl":"candidate","round":0,"index":0,"event_ns":1.0,"window_start":100,"window_end":9223372036854775807,"span_start":-5,"span_end":10}
{"type":"memcpy","case":0,"phase":"timing","kind":"HtoD","bytes":9223372036854775807,"stream":1,"start":9223372036854775807,"end":9223372036854775807}
{"type":"finding","case":0,"phase":"analysis","code":"timing-escape","severity":"invalidating","message":"m","evidence":{"records":[4,-9223372036854775807,9223372036854775807]}}
EOF
expect 0 "$KAUDIT" export "$tmp/max.kat" --perfetto "$tmp/max.json.gz"
q max '[.traceEvents[] | select(.ts != null and (.ts < 0 or (.dur // 0) < 0))] | length == 0' \
	"negative ts or dur"
q max '.otherData.t0_ns == 0 and .otherData.impossible_times == 2' "impossible times not counted"
q max '[.traceEvents[] | select(.name == "k_neg")] | length == 0' "an impossible kernel drawn"
q max '[.traceEvents[] | select(.name == "k_back")][0].args.impossible_span == true' \
	"an end before the start not flagged"
for s in '"name":"k_max","cat":"kernel","ph":"X","ts":9223372036854775.000,"dur":0.807,' \
	 '"name":"k_long","cat":"kernel","ph":"X","ts":5.000,"dur":9223372036854770.807,' \
	 '"name":"k_back","cat":"kernel","ph":"X","ts":9223372036854775.807,"dur":0.000,' \
	 '"name":"timing-escape","cat":"finding","ph":"i","s":"t","ts":9223372036854775.000,'; do
	gzip -dc "$tmp/max.json.gz" | grep -qF "$s" || fail "max: no '$s'"
done

# 3. Linear time: the example grown to ~10000 records plus one record of
# case 2^20-1 (the old writer looped over every case index for every record).
"$BUILD/tools/kat_example" "$tmp/key.pem" "$tmp/grown.kat" 5000 || fail "kat_example failed"
{ zcat "$tmp/grown.kat" | head -n -2
  echo '{"type":"kernel","case":1048575,"phase":"timing","name":"k","stream":7,"start":1764144000000000000,"end":1764144000000001000}'
} | "$resign" "$tmp/key.pem" "$tmp/wide.kat" || fail "wide: kat_resign failed"
start=$(date +%s%N)
expect 0 "$KAUDIT" export "$tmp/wide.kat" --perfetto "$tmp/wide.json.gz"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "wide: export took $ms ms"
q wide '[.traceEvents[] | select(.cat == "kernel" and .args.case == 1048575)] | length == 1' "the last case is missing"

# 4. The output file.  Replaced only when complete: a failed write (file
# size limit) leaves the old file and nothing beside it.
echo old > "$tmp/keep.json.gz"
( ulimit -f 2; trap '' XFSZ; exec "$KAUDIT" export "$tmp/grown.kat" --perfetto "$tmp/keep.json.gz" ) \
	2> "$tmp/err" && fail "a write past the file size limit succeeded"
grep -q 'write failed' "$tmp/err" || { cat "$tmp/err"; fail "no 'write failed'"; }
[ "$(cat "$tmp/keep.json.gz")" = old ] || fail "a failed write changed the existing output"
[ -z "$(ls "$tmp" | grep 'keep.json.gz.tmp')" ] || fail "a failed write left its temporary file"
( ulimit -f 2; trap '' XFSZ; exec "$KAUDIT" export "$tmp/grown.kat" --perfetto "$tmp/new.json.gz" ) \
	2> /dev/null && fail "a write past the file size limit succeeded"
[ ! -e "$tmp/new.json.gz" ] || fail "a failed write left a partial output"
# Never a device, a directory, or the input trace itself.
expect 2 "$KAUDIT" export "$tmp/cheat.kat" --perfetto /dev/null
grep -q 'not a regular file' "$tmp/err" || fail "/dev/null: no reason"
[ -c /dev/null ] || fail "/dev/null replaced"
mkdir "$tmp/dir"
expect 2 "$KAUDIT" export "$tmp/cheat.kat" --perfetto "$tmp/dir"
cp "$tmp/cheat.kat" "$tmp/self.kat"
expect 2 "$KAUDIT" export "$tmp/self.kat" --perfetto "$tmp/self.kat"
grep -q 'is an input of this command' "$tmp/err" || fail "self: no reason"
cmp -s "$tmp/self.kat" "$tmp/cheat.kat" || fail "the input trace was overwritten"
ln -s self.kat "$tmp/link.kat"
expect 2 "$KAUDIT" export "$tmp/self.kat" --perfetto "$tmp/link.kat"
# A link to a regular file: the file is replaced, the link kept.
echo old > "$tmp/real.json.gz"
ln -s real.json.gz "$tmp/alias.json.gz"
expect 0 "$KAUDIT" export "$tmp/cheat.kat" --perfetto "$tmp/alias.json.gz"
[ -L "$tmp/alias.json.gz" ] || fail "the link was replaced"
gzip -dc "$tmp/real.json.gz" | jq -e '.traceEvents | length > 0' > /dev/null ||
	fail "the link's file was not written"
# 5. Two cases, streamed one at a time (pass 2 forgets a case once drawn).
# Case 1's kernel on stream 7 starts inside case 0's and ends after it: a
# lane of its own across cases.  Case 1's findings, all after the cases,
# are placed from what pass 2 read of case 1 (its trial, sample, call and
# start); every event lies on a named thread of its own process, no id is
# both a pid and a tid, and case 0's tracks sort before its findings, which
# sort before case 1's.
case1=$(zcat "$kat" | grep -m 1 '"type":"case"' | sed 's/"case":0,/"case":1,/; s/"kernel":"[^"]*"/"kernel":"k_one"/')
trace two <<EOF
{"type":"api","case":0,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":100,"start":1000000,"end":1002000,"corr":1,"stream":7,"in_call":true}
{"type":"kernel","case":0,"phase":"timing","impl":"candidate","call":0,"name":"k_zero","stream":7,"start":1005000,"end":1010000,"corr":1,"device":0}
$case1
{"type":"api","case":1,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":300,"start":1004000,"end":1004500,"corr":1,"stream":7,"in_call":true}
{"type":"kernel","case":1,"phase":"timing","impl":"candidate","call":0,"name":"k_one","stream":7,"start":1006000,"end":1020000,"corr":1,"device":0}
{"type":"check","case":1,"phase":"correctness","impl":"candidate","call":0,"kind":"compare","trial":0,"buffer":"y","ok":true,"count":10,"mismatches":0}
{"type":"sample","case":1,"phase":"timing","impl":"candidate","call":0,"round":0,"index":0,"input_set":0,"event_ns":17500.0,"window_start":1003500,"window_end":1021000,"checked":false,"traced":true}
{"type":"finding","case":1,"phase":"analysis","code":"wrong-output","severity":"invalidating","trial":0,"message":"a trial named"}
{"type":"finding","case":1,"phase":"analysis","code":"noisy-timing","severity":"warning","sample":0,"message":"a sample named"}
{"type":"finding","case":1,"phase":"analysis","code":"trace-incomplete","severity":"warning","message":"nothing named"}
{"type":"finding","case":0,"phase":"analysis","code":"deferred-launch","severity":"invalidating","message":"a record named","evidence":{"records":[4]}}
{"type":"finding","case":1,"phase":"analysis","code":"timing-escape","severity":"invalidating","message":"a check named","evidence":{"records":[8]}}
EOF
expect 0 "$KAUDIT" export "$tmp/two.kat" --perfetto "$tmp/two.json.gz"
q two "$jqdefs"'def named($n): [.traceEvents[] | select(.ph == "M" and .name == "thread_name" and
		.args.name == $n) | .tid] | if length == 1 then .[0] else error("no track " + $n) end;
	rec(4; "kernel").tid == named("stream 7") and rec(7; "kernel").tid == named("stream 7 [overlap 2]")' \
	"case 1's overlapping kernel is not on a lane of its own"
q two "$jqdefs"'rec(7; "kernel").args.api_record == 6 and rec(7; "kernel").bind_id == rec(6; "api").bind_id and
	rec(4; "kernel").bind_id == rec(3; "api").bind_id and rec(4; "kernel").bind_id != rec(7; "kernel").bind_id' \
	"a kernel linked to the other case's launch"
for f in "10 3.5 trial 0" "11 3.5 sample 0" "12 3.5 the start of the case" "13 5 record 4" \
	 "14 3.5 the call of record 8"; do
	set -- $f
	id=$1 ts=$2
	shift 2
	q two "$jqdefs"'rec('"$id"'; "finding") as $e | $e.ts == '"$ts"' and $e.args.placed_at == "'"$*"'"' \
		"two: finding $id not at $ts ($*)"
done
q two "$jqdefs"'rec(10; "finding").tid == track("case 1: findings") and
	rec(13; "finding").tid == track("case 0: findings")' "findings not on their case's track"
q two '[.traceEvents[] | select(.ph == "M" and .name == "process_name") | .args.name] |
	index("case 0 softmax_f32: host (worker process)") and index("case 1 k_one: host (worker process)")' \
	"a case's host process is not named"
q two '([.traceEvents[] | select(.ph == "M" and .name == "thread_name") | {key: "\(.tid)", value: .pid}] |
	from_entries) as $owner | ([.traceEvents[] | select(.ph == "M" and .name == "process_name") | .pid]) as $pids |
	all(.traceEvents[] | select(.ph != "M"); $owner["\(.tid)"] == .pid) and
	all($owner | keys[]; . as $t | $pids | index($t | tonumber) | not)' \
	"an event on an unnamed thread, or a tid that is a pid"
q two '([.traceEvents[] | select(.ph == "M" and .name == "thread_name") | {key: .args.name, value: .tid}] | from_entries) as $tid |
	([.traceEvents[] | select(.ph == "M" and .name == "thread_sort_index") | {key: "\(.tid)", value: .args.sort_index}] | from_entries) as $sort |
	def at($n): $sort["\($tid[$n])"];
	at("case 0 softmax_f32: phases") < at("case 0: findings") and
	at("case 0: findings") < at("case 1 k_one: phases") and
	at("case 1 k_one: phases") < at("case 1 candidate: timed windows") and
	at("case 1 candidate: timed windows") < at("case 1: findings")' "the audit tracks are out of case order"

# A finding of case 1 among case 0's records comes before what it names:
# drawn from the whole trace, it is placed as when it comes last.
trace early <<EOF
{"type":"api","case":0,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":100,"start":1000000,"end":1002000,"corr":1,"stream":7,"in_call":true}
{"type":"finding","case":1,"phase":"analysis","code":"wrong-output","severity":"invalidating","trial":0,"message":"a trial named"}
{"type":"kernel","case":0,"phase":"timing","impl":"candidate","call":0,"name":"k_zero","stream":7,"start":1005000,"end":1010000,"corr":1,"device":0}
$case1
{"type":"api","case":1,"phase":"timing","impl":"candidate","call":0,"name":"cudaLaunchKernel","thread":300,"start":1004000,"end":1004500,"corr":1,"stream":7,"in_call":true}
{"type":"check","case":1,"phase":"correctness","impl":"candidate","call":0,"kind":"compare","trial":0,"buffer":"y","ok":true,"count":10,"mismatches":0}
EOF
expect 0 "$KAUDIT" export "$tmp/early.kat" --perfetto "$tmp/early.json.gz"
q early "$jqdefs"'rec(4; "finding") as $e | $e.ts == 4 and $e.args.placed_at == "trial 0" and
	$e.tid == track("case 1: findings")' "early: a finding before its case is misplaced"

echo "export_perfetto: ok"
