attack=escape
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: a candidate that escapes its worker or kills kaudit ----
c=$tmp/claim
hb=$(mktemp /tmp/kaudit-attack-hb.XXXXXX)
extra=$hb
build_so "$c/honest.so" honest
build_so "$c/daemon.so" escape -DESCAPE_DAEMON="\"$hb\""
build_so "$c/victim.so" escape -DESCAPE_VICTIM="\"$c/victim.pid\""
build_so "$c/hang.so" escape -DESCAPE_HANG
build_so "$c/kill.so" escape -DESCAPE_PARENT=SIGKILL -DSUPER_PID="\"$c/super.pid\""
build_so "$c/stop.so" escape -DESCAPE_PARENT=SIGSTOP -DSUPER_PID="\"$c/super.pid\""
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# (a) a daemon in its own session, (b) signals to an unrelated process,
# (c) a call that ignores SIGTERM and never returns; honest pairs around.
sleep 30 >/dev/null 2>&1 &
victim=$!
spawned=$victim
echo "$victim" >"$c/victim.pid"
{
	manifest_head "Scale, escaping"
	kernel honest 100 ref_scale honest.so fast_scale
	kernel daemon 100 ref_scale daemon.so
	kernel victim 100 ref_scale victim.so
	kernel hang 100 ref_scale hang.so
	kernel honest_after 100 ref_scale honest.so fast_scale
} >"$c/claim.yaml"
timeout=3
start=$(now_ms)
verify escape claim/claim.yaml --timeout "$timeout"
took=$(($(now_ms) - start))
t=$tmp/escape.kat
[ "$rc" = 1 ] || fail "escape: verify exit $rc, want 1: $(tail -n 3 "$tmp/escape.err" | tr '\n' ' ')"
# One case may take --timeout and the SIGTERM-to-SIGKILL grace (2 s); the
# rest of the audit takes well under a second here.
[ "$took" -le $(((timeout + 2 + 4) * 1000)) ] ||
	fail "escape: verify took $took ms with --timeout $timeout"
if trace_ok escape "$t"; then
	want_verdict "honest pair before the escapes" "$t" 0 reproduced
	want_verdict "(a) daemon in its own session" "$t" 1 error invalid
	want_verdict "(b) signals to an unrelated process" "$t" 2 error invalid
	want_verdict "(c) ignores SIGTERM, never returns" "$t" 3 error
	jq -se 'any(.[]; .type == "error" and .case == 3 and
		(.where == "timeout" or (.message | test("timed out"))))' "$t.jsonl" >/dev/null ||
		fail "(c): case 3 has no timeout error: $(jq -c 'select(.type == "error" and .case == 3)' "$t.jsonl")"
	want_verdict "honest pair after the escapes" "$t" 4 reproduced
	no_leak "escape: trace" "$t.jsonl" "$t.strings"
fi
no_leak "escape: output" "$tmp/escape.out" "$tmp/escape.err"
if ! kill -0 "$victim" 2>/dev/null; then
	fail "(b): the unrelated process $victim was killed"
else
	st=$(cut -d' ' -f3 "/proc/$victim/stat" 2>/dev/null || echo '?')
	[ "$st" != T ] || fail "(b): the unrelated process $victim was stopped"
fi
# The heartbeat has stopped 1 s after verify returned.
sleep 1
s1=$(wc -c <"$hb")
sleep 0.5
s2=$(wc -c <"$hb")
[ "$s2" = "$s1" ] || fail "(a): heartbeat still growing after the audit ($s1 -> $s2 bytes: $(tail -n 1 "$hb"))"
[ "$s1" != 0 ] || echo "note: (a): the daemon never wrote its heartbeat (writes to /tmp refused?)"
no_survivors escape

# (b) SIGKILL and SIGSTOP to the supervisor: verify still finishes within
# its --timeout, writes and signs the trace, and exits 1 on its own.
bg_verify() { # NAME MANIFEST DEADLINE_S
	: >"$c/super.pid"
	(cd "$tmp" && exec "$KAUDIT" verify "$2" --key "$key" -o "$tmp/$1.kat" --quick \
		--timeout "$timeout") >"$tmp/$1.out" 2>"$tmp/$1.err" &
	vpid=$!
	spawned="$spawned $vpid"
	echo "$vpid" >"$c/super.pid"
	waited=0
	while st=$(cut -d' ' -f3 "/proc/$vpid/stat" 2>/dev/null) && [ "$st" != Z ]; do
		if [ "$waited" -ge $(($3 * 10)) ]; then
			fail "$1: verify still running after $3 s (state $st$([ "$st" != T ] || echo ': stopped'))"
			kill -9 "$vpid" 2>/dev/null || true
			break
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	set +e
	wait "$vpid" 2>/dev/null
	rc=$?
	set -e
}
for sig in kill stop; do
	{
		manifest_head "Scale, and SIG$sig to kaudit"
		kernel "$sig" 100 ref_scale "$sig.so"
		kernel honest 100 ref_scale honest.so fast_scale
	} >"$c/$sig.yaml"
	bg_verify "$sig" "claim/$sig.yaml" $((timeout + 2))
	if [ "$rc" -gt 128 ]; then
		fail "SIG$sig to the supervisor: verify died of signal $((rc - 128))"
	elif [ "$rc" != 1 ]; then
		fail "SIG$sig to the supervisor: verify exit $rc, want 1: $(tail -n 3 "$tmp/$sig.err" | tr '\n' ' ')"
	fi
	if trace_ok "SIG$sig to the supervisor" "$tmp/$sig.kat"; then
		want_verdict "SIG$sig to the supervisor" "$tmp/$sig.kat" 0 error invalid
		want_verdict "SIG$sig to the supervisor: the honest pair" "$tmp/$sig.kat" 1 reproduced
	fi
	no_survivors "SIG$sig to the supervisor"
done
finish attack_escape
