# observe.sh - `kaudit observe` end to end on a machine with no GPU: the
# host double (KAUDIT_OBSERVE_LIB=observe_fake.so) stands in for the CUPTI
# injection library and tests/tools/fake_harness for the benchmark (it loads
# CUDA_INJECTION64_PATH and calls InitializeInjection as the driver does),
# so the records travel the real channel, supervisor, analysis, signature,
# and then check, inspect and export.  Each finding is shown both ways, and
# each environment refusal gives exit 3 and one line.  Needs $KAUDIT, $BUILD.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-observe.XXXXXX")
trap : EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
fake=$BUILD/plugins/observe_fake.so
harness=$BUILD/tools/fake_harness
resign=$BUILD/tools/kat_resign
[ -f "$fake" ] && [ -x "$harness" ] || fail "no host double ($fake, $harness)"
unset CUDA_INJECTION64_PATH KAUDIT_FAKE_SUBSCRIBER KAUDIT_OBSERVE_LIB KAUDIT_KEY
key=$tmp/key.pem
openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$key"
openssl pkey -in "$key" -pubout -out "$tmp/pub.pem" 2>/dev/null || fail "openssl pkey"
repo=$(pwd)
cd "$tmp" || exit 1

# window T0 EVSTREAM KSTREAM KSTART KEND STOPTS MS [THREAD] [RESULT]: one
# timing window at host time T0 (events 4096/8192 recorded on EVSTREAM),
# one kernel on KSTREAM running [KSTART, KEND) on the GPU, the stop event
# completing at STOPTS, and the read of MS.  The pid in the lines is a lie
# the supervisor must ignore.
corr=0
window() {
	t=$1 evs=$2 ks=$3 k0=$4 k1=$5 stop=$6 ms=$7 th=${8:-100} res=${9:-0}
	c1=$((corr + 1)) c2=$((corr + 2)) c3=$((corr + 3)) c4=$((corr + 4)); corr=$c4
	msf=",\"ms\":$ms"; [ "$res" = 0 ] || msf=
	cat <<EOF
{"type":"api","name":"cudaEventRecord","thread":100,"start":$t,"end":$((t + 10)),"corr":$c1,"stream":$evs,"event":4096,"pid":1,"result":0}
{"type":"api","name":"cuLaunchKernel","thread":$th,"start":$((t + 100)),"end":$((t + 110)),"corr":$c2,"stream":$ks,"pid":1,"result":0}
{"type":"api","name":"cudaEventRecord","thread":100,"start":$((t + 200)),"end":$((t + 210)),"corr":$c3,"stream":$evs,"event":8192,"pid":1,"result":0}
{"type":"kernel","name":"gemm","stream":$ks,"start":$k0,"end":$k1,"corr":$c2,"pid":1}
{"type":"event","event":1,"stream":$evs,"ts":$((k0 - 1000)),"corr":$c1,"pid":1}
{"type":"event","event":2,"stream":$evs,"ts":$stop,"corr":$c3,"pid":1}
{"type":"elapsed","name":"cudaEventElapsedTime","pid":1,"thread":100,"start":$((t + 300)),"end":$((t + 310)),"corr":$c4,"start_event":4096,"stop_event":8192$msf,"result":$res}
EOF
}
honest() { window "$1" 7 7 $(($2 + 1000)) $(($2 + 51000)) $(($2 + 52000)) 0.052; }
# the Helion/CuTe incident: events on 7, a 250 us kernel on side stream 9
escaped() { window "$1" 7 9 $(($2 + 1000)) $(($2 + 251000)) $(($2 + 5000)) 0.005; }

observe() { KAUDIT_OBSERVE_LIB=$fake "$KAUDIT" observe --key "$key" "$@"; }
run_obs() { # NAME SCENARIO... -> $NAME.kat, $NAME.out, $NAME.err, $rc
	n=$1; shift
	observe -o "$n.kat" --json -- "$harness" "$@" >"$n.out" 2>"$n.err"
	rc=$?
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# 1. honest windows, the same events reused over three iterations
{ honest 1000000 5000000; honest 2000000 6000000; honest 3000000 7000000; } >honest.jsonl
run_obs honest honest.jsonl
[ $rc = 0 ] || { cat honest.err; fail "honest: exit $rc"; }
[ "$(jget honest.out 'd["observation"]["verdict"]')" = reproduced ] || fail "honest: not reproduced"
[ "$(jget honest.out 'd["observation"]["judged"]')" = 3 ] || fail "honest: 3 windows judged"
[ "$(jget honest.out 'len(d["observation"]["findings"])')" = 0 ] || fail "honest: findings"
"$KAUDIT" check --pubkey "$tmp/pub.pem" honest.kat >check.out 2>&1 || { cat check.out; fail "check honest"; }
grep -q "observation verdict  reproduced" check.out || fail "check does not show the observation"
"$KAUDIT" inspect honest.kat >inspect.out 2>&1 || fail "inspect honest"
grep -q "ratio 0.962" inspect.out || fail "inspect: no busy ratio per window"
grep -q "STAND-IN" inspect.out || fail "inspect: the host double is not called a stand-in"
"$KAUDIT" export honest.kat --perfetto honest.json.gz || fail "export --perfetto of an observation"
zcat honest.json.gz | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "perfetto: not JSON"

# 2. the same harness with its kernel on a side stream: timing-escape and
# foreign-stream for the second iteration only, attributed to the real pid
{ honest 1000000 5000000; escaped 2000000 6000000; honest 3000000 7000000; } >escaped.jsonl
run_obs escaped escaped.jsonl
[ $rc = 1 ] || fail "escaped: exit $rc, wanted 1"
grep -q "observe: the observation is invalid" escaped.err || fail "escaped: no one-line reason"
codes=$(jget escaped.out '" ".join(sorted(f["code"] for f in d["observation"]["findings"]))')
[ "$codes" = "foreign-stream timing-escape" ] || fail "escaped: findings '$codes'"
pid=$(jget escaped.out 'd["observation"]["processes"][0]["pid"]')
[ "$pid" != 1 ] || fail "the pid the lines claimed was taken"
[ "$(jget escaped.out '[f for f in d["observation"]["findings"] if f["code"]=="timing-escape"][0]["evidence"]["pid"]')" = "$pid" ] ||
	fail "escaped: finding not attributed to pid $pid"
[ "$(jget escaped.out '[f for f in d["observation"]["findings"] if f["code"]=="timing-escape"][0]["evidence"]["of"]')" = 3 ] ||
	fail "escaped: 1 of 3 windows"
"$KAUDIT" check --pubkey "$tmp/pub.pem" escaped.kat >/dev/null 2>&1 || fail "check escaped: the stored findings are what the records give"

# 3. a forger deletes the findings and rewrites the verdict, then re-signs:
# check re-derives the windows and refuses (exit 4)
zcat escaped.kat | grep -v '"type":"finding"' |
	sed 's/"verdict":"invalid"/"verdict":"reproduced"/' | "$resign" "$key" forged.kat ||
	fail "kat_resign"
"$KAUDIT" check --pubkey "$tmp/pub.pem" forged.kat >forged.out 2>&1
[ $? = 4 ] || { cat forged.out; fail "check accepted a forged observation"; }
grep -q "CONTRADICTED" forged.out || fail "check: no CONTRADICTED"

# 4. two processes: an honest parent spawns a child whose window escapes;
# each process's records are its own (same corr ids, events and streams)
honest 1000000 5000000 >parent.jsonl
echo "!spawn $tmp/child.jsonl" >>parent.jsonl
corr=0
escaped 1000000 5000000 >child.jsonl
run_obs two parent.jsonl
[ $rc = 1 ] || fail "two processes: exit $rc"
[ "$(jget two.out 'len(d["observation"]["processes"])')" = 2 ] || fail "two processes: not 2"
[ "$(jget two.out 'len(set(p["pid"] for p in d["observation"]["processes"]))')" = 2 ] || fail "two pids"
child=$(jget two.out '[p["pid"] for p in d["observation"]["processes"] if p["ppid"] in [q["pid"] for q in d["observation"]["processes"]]][0]')
[ "$(jget two.out '[f["evidence"]["pid"] for f in d["observation"]["findings"] if f["code"]=="timing-escape"]')" = "[$child]" ] ||
	fail "two processes: the escape is not the child's alone"
# export: each process's streams are its own tracks, its flows its own
"$KAUDIT" export two.kat --perfetto two.json.gz || fail "export two processes"
[ "$(zcat two.json.gz | grep -o '"name":"pid [0-9]* stream 7"' | sort -u | wc -l)" = 2 ] ||
	fail "perfetto: the two processes' stream 7 share a track"
[ "$(zcat two.json.gz | grep -c '"flow_in":true')" = 2 ] || fail "perfetto: flows cross processes"

# 5. another thread launches inside the window: deferred-launch (and the
# same on the harness's own thread: nothing)
corr=0
window 1000000 7 7 5001000 5051000 5052000 0.052 200 >thread.jsonl
run_obs thread thread.jsonl
[ "$(jget thread.out '[f["code"] for f in d["observation"]["findings"]]')" = "['deferred-launch']" ] ||
	fail "other thread: no deferred-launch"

# 6. a read of events the harness never synchronised (cudaErrorNotReady):
# no number was given, nothing judged: inconclusive, exit 1
corr=0
window 1000000 7 9 5001000 5251000 5005000 0 100 600 >notready.jsonl
run_obs notready notready.jsonl
[ $rc = 1 ] || fail "not ready: exit $rc"
[ "$(jget notready.out 'd["observation"]["verdict"]')" = inconclusive ] || fail "not ready: verdict"
[ "$(jget notready.out 'd["observation"]["failed_reads"]')" = 1 ] || fail "not ready: not counted"

# 7. lines the supervisor must refuse: malformed, a record type an
# observation never holds (a forged verdict), a second process record, a
# line past its 64 KiB limit; and the lines after them still count
{ honest 1000000 5000000
  echo '!raw {"type":"kernel","name":"x"'
  echo '{"type":"verdict","verdict":"reproduced"}'
  echo '{"type":"process","pid":1,"subscribed":true}'
  printf '!raw {"type":"kernel","name":"%s","stream":7,"start":1,"end":2,"corr":99,"pid":1}\n' \
	"$(head -c 70000 /dev/zero | tr '\0' k)"
  honest 9000000 9500000; } >junk.jsonl
run_obs junk junk.jsonl
[ $rc = 0 ] || fail "junk: exit $rc"
zcat junk.kat | grep -q '"type":"dropped".*"count":4,"source":"refused"' || fail "junk: 4 refused lines not counted"
[ "$(jget junk.out 'd["observation"]["judged"]')" = 2 ] || fail "junk: the window after the refused lines was lost"
[ "$(zcat junk.kat | grep -c '"type":"verdict"')" = 1 ] || fail "junk: a forged verdict got in"

# 8. environment: another CUPTI subscriber, no process reaching CUDA, an
# injection tool already set, no GPU for the real library, a missing command
KAUDIT_FAKE_SUBSCRIBER=nsys observe -o sub.kat -- "$harness" honest.jsonl >/dev/null 2>sub.err
[ $? = 3 ] || fail "subscriber: not exit 3"
[ "$(wc -l <sub.err)" = 1 ] && grep -q "another CUPTI subscriber holds this process: nsys" sub.err ||
	{ cat sub.err; fail "subscriber: not one clear line"; }
"$KAUDIT" check sub.kat >/dev/null 2>&1 || fail "subscriber: the trace is still written and valid"
observe -o none.kat -- true >/dev/null 2>none.err
[ $? = 3 ] && grep -q "no process of the command initialised CUDA" none.err || fail "no process: not exit 3"
CUDA_INJECTION64_PATH=/opt/nsys/libinject.so observe -o x.kat -- true >/dev/null 2>inj.err
[ $? = 3 ] && grep -q "CUDA_INJECTION64_PATH is already set" inj.err || fail "injection set: not exit 3"
[ ! -e x.kat ] || fail "injection set: a trace was left"
if [ ! -e /dev/nvidiactl ] && [ ! -e /proc/driver/nvidia/version ] && [ -f "$BUILD/libkaudit-observe.so" ]; then
	"$KAUDIT" observe --key "$key" -o g.kat -- true >/dev/null 2>nogpu.err
	[ $? = 3 ] && [ "$(wc -l <nogpu.err)" = 1 ] && grep -q "no NVIDIA GPU or driver" nogpu.err ||
		{ cat nogpu.err; fail "no GPU: not one line, exit 3"; }
fi
observe -o missing.kat -- ./no-such-benchmark >/dev/null 2>missing.err
[ $? = 2 ] && grep -q "cannot run './no-such-benchmark'" missing.err || fail "missing command: not exit 2"
observe >/dev/null 2>usage.err
[ $? = 2 ] && grep -q "missing CMD" usage.err || fail "no command: not a usage error"

# 9. --json validates against the result schema (when jsonschema is here)
if python3 -c 'import jsonschema' 2>/dev/null; then
	"$KAUDIT" inspect --json escaped.kat >inspect.json 2>/dev/null
	for f in honest.out escaped.out inspect.json; do
		python3 - "$repo/man/kaudit-result.schema.json" "$f" <<'PY' || fail "$f: not the schema"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errs = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:3]: print(sys.argv[2], e.message[:300])
sys.exit(1 if errs else 0)
PY
	done
fi
echo "observe: ok"
