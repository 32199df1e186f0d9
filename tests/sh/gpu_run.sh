#!/bin/sh
# gpu_run.sh - tests/gpu/run without a GPU: a bundle made of the host build
# (kaudit, the host-double plugin through KAUDIT_GPU_LIB, stub probes that
# print ANSWER lines, one that hangs), a stub nvidia-smi on PATH, and the
# shared host claim.  Shows what the device run relies on: progress on
# stdout as it goes, at most 8 files no more than 2 folders deep under
# $OUT (what the device returns), packed after every step, the probe
# answers, the arch taken from nvidia-smi's compute_cap, verify's case
# timeout below the step's, and the hang rule (one hang goes on, two
# consecutive ones stop the run and every later step is listed skipped).
. "$(dirname "$0")/../tools/host_claim.sh"
# GPU_RUN_KEEP=1 keeps the work folder (for debugging this test).
[ -z "${GPU_RUN_KEEP:-}" ] || { trap - EXIT; echo "gpu_run: kept $tmp" >&2; }
fail() { echo "gpu_run: $*" >&2; exit 1; }
RUN=$(cd "$(dirname "$0")/../.." && pwd)/tests/gpu/run

b=$tmp/bundle
mkdir -p "$b/probes" "$tmp/bin"
ln -s "$KAUDIT" "$b/kaudit"
cp "$KAUDIT_GPU_LIB" "$b/libkaudit-gpu.so"
# A probe stub: prints its answer, or hangs when its name is in $HANG.
for p in probe_event_clock probe_streams probe_dlopen_main probe_flush_cost; do
	cat > "$b/probes/$p" <<EOF
#!/bin/sh
case " \${HANG:-} " in *" $p "*) echo "spinning"; sleep 60;; esac
echo "ANSWER $p: stub answer (CUDA_MODULE_LOADING=\${CUDA_MODULE_LOADING:-unset})"
EOF
	chmod +x "$b/probes/$p"
done
# The Python probe: a stub script, and a file where kaudit's libcudart
# would be (the step passes its path).
: > "$b/libcudart.so.13"
printf 'import sys\nprint("ANSWER stub torch probe, runtime " + sys.argv[1].rsplit("/", 1)[-1])\n' \
	> "$b/probes/probe_torch_streams.py"
cat > "$tmp/bin/nvidia-smi" <<'EOF'
#!/bin/sh
case "$*" in
*compute_cap*--format=csv,noheader*) echo "9.0";;
*--query-gpu*) echo "name, compute_cap"; echo "Stub H200, 9.0";;
-L) echo "GPU 0: Stub H200 (UUID: GPU-0)";;
*) echo "stub nvidia-smi";;
esac
EOF
chmod +x "$tmp/bin/nvidia-smi"
# The repository root is the run's working directory (claims/ there).
cd "$(dirname "$RUN")/../.." || fail "no repository root"

# run NAME [ENV...]: the suite into $tmp/NAME.out with the host claim.
run() {
	n=$1
	shift
	env PATH="$tmp/bin:$PATH" BUNDLE="$b" OUT="$tmp/$n.out" KAUDIT_KEY="$key" \
		PROBE_T=3 GRACE=1 CASE_T=20 CLAIM_T=60 "$@" \
		sh "$RUN" "$claim" > "$tmp/$n.stdout" 2> "$tmp/$n.stderr"
}

# ---- 1. one hang: the run goes on, claims verified and checked -------------
run one HANG=probe_dlopen_main
rc=$?
o=$tmp/one.out
[ $rc -eq 1 ] || fail "one hang: exit $rc, expected 1 (a failed step): $(cat "$tmp/one.stderr")"
n=$(find "$o" -type f | wc -l)
[ "$n" -le 8 ] || fail "one hang: $n files under OUT (more than 8): $(find "$o" -type f)"
[ -z "$(find "$o" -mindepth 3)" ] || fail "one hang: OUT is more than 2 folders deep"
for f in summary.txt results.txt answers.txt facts.txt logs.tgz traces.tar; do
	[ -s "$o/$f" ] || fail "one hang: no $f in OUT"
done
[ -z "$(find "$o" -name '.*')" ] || fail "one hang: a temporary file was left in OUT"
grep -q '^\[[0-9]*s\] facts: ok' "$tmp/one.stdout" || fail "no progress line for facts: $(cat "$tmp/one.stdout")"
grep -q 'probe_dlopen: HANG: killed after 3s' "$tmp/one.stdout" || fail "the hang is not reported"
grep -q '^ANSWER \[probe_event_clock\] probe_event_clock: stub answer' "$tmp/one.stdout" || fail "probe answers not on stdout"
grep -q '^ANSWER \[probe_streams-eager\] probe_streams: stub answer (CUDA_MODULE_LOADING=EAGER)' "$o/answers.txt" ||
	fail "the EAGER probe run did not answer: $(cat "$o/answers.txt")"
grep -q '^ANSWER \[probe_dlopen\] none (exit 124' "$o/answers.txt" || fail "the hung probe has no 'none' answer"
grep -q '^ANSWER \[probe_torch_streams\] stub torch probe, runtime libcudart.so.13' "$o/answers.txt" ||
	fail "the Python probe did not run with the bundle's libcudart: $(cat "$o/answers.txt")"
grep -q -- '---- last lines of .*probe_dlopen.log' "$tmp/one.stdout" || fail "no tail of the failing log"
grep -q 'spinning' "$tmp/one.stdout" || fail "the failing log's tail is not printed"
grep -q "verify $claim .*expect met" "$o/results.txt" || fail "verify did not run after one hang: $(cat "$o/results.txt")"
grep -q "check $claim .*valid" "$o/results.txt" || fail "check did not run: $(cat "$o/results.txt")"
grep -q 'complete after' "$o/summary.txt" || fail "summary status: $(head -n 1 "$o/summary.txt")"
grep -q 'arch sm_90' "$o/summary.txt" || fail "arch not taken from nvidia-smi compute_cap"
grep -q '^Stub H200, 9.0' "$o/facts.txt" || fail "facts lack nvidia-smi's query"
grep -q '"type":"device"' "$o/facts.txt" || fail "facts lack the worker's environment JSON"
grep -q '^KAUDIT_GPU_LIB=' "$o/facts.txt" || fail "facts lack the KAUDIT environment"
tar tf "$o/traces.tar" | grep -q '\.kat$' || fail "no trace packed"
tar xOf "$o/traces.tar" | gzip -dc | grep -q '"type":"verdict"' || fail "packed trace unreadable"
tar tzf "$o/logs.tgz" | grep -q 'logs/01-facts.log' || fail "logs.tgz lacks the facts log"
tar tzf "$o/logs.tgz" | grep -q 'verify-' || fail "no verify log packed"
tar xzOf "$o/logs.tgz" --wildcards '*verify-*' | grep -q -- '--timeout=20 ' ||
	fail "verify did not get the case timeout"

# ---- 2. two consecutive hangs: the run stops, still packed --------------------
run two HANG="probe_event_clock probe_streams"
rc=$?
o=$tmp/two.out
[ $rc -eq 1 ] || fail "two hangs: exit $rc"
n=$(find "$o" -type f | wc -l)
[ "$n" -le 8 ] || fail "two hangs: $n files under OUT"
grep -q 'stopped (two consecutive hangs)' "$o/summary.txt" || fail "two hangs: $(head -n 1 "$o/summary.txt")"
grep -q "verify $claim .*SKIPPED (two consecutive hangs)" "$o/results.txt" ||
	fail "two hangs: verify was not skipped: $(cat "$o/results.txt")"
grep -q 'probe_dlopen: SKIPPED (two consecutive hangs)' "$tmp/two.stdout" || fail "two hangs: no progress for skipped steps"
[ -s "$o/facts.txt" ] || fail "two hangs: facts lost"

# ---- 3. the budget: steps not started once it is spent ------------------------
run budget BUDGET=7 HANG=probe_event_clock
o=$tmp/budget.out
grep -q 'SKIPPED (budget of 7s spent)' "$o/results.txt" || fail "budget: nothing skipped: $(cat "$o/results.txt")"
n=$(find "$o" -type f | wc -l)
[ "$n" -le 8 ] || fail "budget: $n files under OUT"

# ---- 4. no GPU at all: exit 77 -------------------------------------------------
rm "$tmp/bin/nvidia-smi"
printf '#!/bin/sh\nexit 9\n' > "$tmp/bin/nvidia-smi"
chmod +x "$tmp/bin/nvidia-smi"
run nogpu KAUDIT_GPU_LIB=/nonexistent/libkaudit-gpu.so
rc=$?
[ $rc -eq 77 ] || fail "no GPU: exit $rc, expected 77"
[ -s "$tmp/nogpu.out/summary.txt" ] || fail "no GPU: no summary"

# ---- 5. a case timeout not below the step's is refused -------------------------
run badt CASE_T=60 CLAIM_T=60
[ $? -eq 2 ] || fail "CASE_T >= CLAIM_T accepted"
echo "gpu_run: ok"
