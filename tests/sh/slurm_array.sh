# slurm_array.sh - the job-array script (src/slurm/kaudit-array.sbatch,
# installed as share/kaudit/kaudit-array.sbatch) on a real Slurm: munge,
# slurmctld and slurmd from Debian's packages (slurm-wlm, munge), started
# here as one single-node cluster in a temporary directory on free ports,
# with two stand-in "GPUs" (gres gpu on /dev/null and /dev/zero).  The
# script's own `submit` sends a 3-task array over a claim of five cases
# (four honest, one that writes nothing) with the host test double as the
# GPU plugin, and the summary job after it (afterany); then the summary
# must cover every case exactly once, give the claim `invalid` (its worst
# case) and exit 1, and each trace must name its shard.  First, without
# Slurm, what the script refuses before it submits anything.
#
# Configuration that works in a container (no systemd, no cgroup
# delegation): ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
# JobAcctGatherType=jobacct_gather/none, no accounting storage, and no
# cgroup plugin at all; kaudit(1) SLURM says so.
#
# Every wait is bounded and the trap stops what this test started (by pid)
# on any exit.  Without the Slurm and munge binaries, or not as root, the
# test is skipped, except in CI ($CI = true), where it fails.  Needs
# $KAUDIT and $BUILD.
set -eu
. tests/tools/host_claim.sh
script=$PWD/src/slurm/kaudit-array.sbatch

# What the script refuses before it submits anything (no Slurm needed).
# script_fails WANT-RC WANT-MESSAGE ARGS...
script_fails() {
	want=$1 msg=$2
	shift 2
	rc=0
	KAUDIT=$KAUDIT sh "$script" "$@" >"$tmp/script.out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] && grep -q "$msg" "$tmp/script.out" ||
		fail "kaudit-array.sbatch $*: exit $rc, want $want '$msg': $(cat "$tmp/script.out")"
}
script_fails 2 "usage: sh kaudit-array.sbatch submit N" bogus
script_fails 2 "N must be a positive number, not 'x'" submit x "$claim" "$tmp/o"
script_fails 2 "N must be at least 1" submit 0 "$claim" "$tmp/o"
script_fails 2 "no such file" submit 2 "$tmp/none.yaml" "$tmp/o"
printf 'kaudit: 1\n' >"$tmp/bad.yaml"
script_fails 2 "does not lint" submit 2 "$tmp/bad.yaml" "$tmp/o"
script_fails 2 "not a task of a job array" shard "$claim" "$tmp/o"
(
	export SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=2
	script_fails 2 "the array must be --array=0-(N-1), not 1-2 of 2 tasks" shard "$claim" "$tmp/o"
)

need_missing=
for b in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
	command -v "$b" >/dev/null 2>&1 || need_missing="$need_missing $b"
done
[ "$(id -u)" = 0 ] || need_missing="$need_missing (root)"
if [ -n "$need_missing" ]; then
	[ "${CI:-}" != true ] || { echo "FAIL: slurm_array needs$need_missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
	echo "slurm_array: skipped (missing$need_missing)"
	exit 0
fi
d=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-slurm.XXXXXX")
chmod 700 "$d"
export SLURM_CONF="$d/slurm.conf"

stop() {
	# jobs first (their steps outlive slurmd), then the daemons, by pid
	if [ -f "$d/slurmctld.pid" ]; then
		timeout 10 scancel --quiet --full "--user=$(id -un)" 2>/dev/null || true
	fi
	for p in slurmd slurmctld munged; do
		[ -f "$d/$p.pid" ] || continue
		pid=$(cat "$d/$p.pid")
		kill "$pid" 2>/dev/null || continue
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}
show_logs() {
	for f in "$d"/*.log "$tmp"/out/slurm-*.out; do
		[ -f "$f" ] || continue
		echo "---- $f" >&2
		tail -n 15 "$f" >&2
	done
}
trap 'rc=$?; [ $rc = 0 ] || show_logs; stop; rm -rf "$tmp" "$keydir" "$d"; exit $rc' EXIT
trap 'exit 1' INT TERM HUP

# Two free TCP ports for slurmctld and slurmd (other test runs on this
# machine have their own).
ports=$(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $ports

mungekey -c -k "$d/munge.key" || fail "mungekey"
munged --force --key-file="$d/munge.key" --socket="$d/munge.socket" \
	--pid-file="$d/munged.pid" --log-file="$d/munged.log" --seed-file="$d/munged.seed" ||
	fail "munged does not start"

mkdir -p "$d/state" "$d/spool"
cat >"$d/slurm.conf" <<EOF
ClusterName=kaudittest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge.socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
GresTypes=gpu
NodeName=kaudit1 NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=2 Gres=gpu:2 State=UNKNOWN
PartitionName=kaudit Nodes=kaudit1 Default=YES MaxTime=10 State=UP
EOF
# Slurm drops a gpu without a device file: two character devices stand in.
printf 'NodeName=kaudit1 Name=gpu File=/dev/null\nNodeName=kaudit1 Name=gpu File=/dev/zero\n' \
	>"$d/gres.conf"
slurmctld -f "$d/slurm.conf" || fail "slurmctld does not start"
slurmd -f "$d/slurm.conf" -N kaudit1 || fail "slurmd does not start"

# wait_for SECONDS WHAT CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	limit=$1 what=$2
	shift 2
	t=0
	while ! "$@" >/dev/null; do
		t=$((t + 1))
		[ "$t" -le $((limit * 2)) ] || fail "gave up after ${limit}s waiting for $what"
		sleep 0.5
	done
}
node_idle() { sinfo -h -n kaudit1 -o %T 2>/dev/null | grep -qx idle; }
wait_for 60 "the node to be idle" node_idle

# The claim: five cases, the fifth one writes nothing.
cat >"$tmp/five.yaml" <<'Y'
kaudit: 1
claim:
  title: "Scale, five cases on a job array"
kernels:
  - id: honest
    claimed_speedup: 3.0
    baseline:  {source: impl.so, entry: ref_scale}
    candidate: {source: impl.so, entry: fast_scale}
    params: [{N: 100}, {N: 200}, {N: 300}, {N: 400}]
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
  - id: nothing
    claimed_speedup: 4.0
    baseline:  {source: impl.so, entry: ref_scale}
    candidate: {source: impl.so, entry: nothing}
    params: {N: 500}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
Y
# Site settings as a site would give them, in the environment of submit.
KAUDIT_TIME=00:05:00 KAUDIT_SUMMARY_TIME=00:05:00 KAUDIT_CPUS=1 KAUDIT_PARTITION=kaudit KAUDIT_KEY=$key \
	KAUDIT_SUMMARY_OPTS="--pubkey $pub" KAUDIT_GPU_LIB=$KAUDIT_GPU_LIB KAUDIT=$KAUDIT \
	sh "$script" submit 3 "$tmp/five.yaml" "$tmp/out" --quick >"$tmp/submit.txt" ||
	fail "submit: $(cat "$tmp/submit.txt")"
set -- $(grep '^job ' "$tmp/submit.txt")
job=$2 sum=$3
[ -n "$job" ] && [ -n "$sum" ] || fail "no job ids: $(cat "$tmp/submit.txt")"

ended() {
	st=$(scontrol show job "$sum" 2>/dev/null) || return 1
	# a job that can never start is a failure now, not in four minutes
	case $st in *Reason=PartitionTimeLimit* | *Reason=BadConstraints* | *Reason=DependencyNeverSatisfied*)
		fail "the summary job cannot start: $(echo "$st" | grep -o 'Reason=[^ ]*')" ;; esac
	echo "$st" | grep -Eq 'JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)'
}
wait_for 240 "the summary job $sum" ended
scontrol show job "$sum" | grep -q 'ExitCode=1:0' ||
	fail "the summary job must exit 1 (the claim is invalid): $(scontrol show job "$sum" | grep -o 'JobState=[^ ]* .*ExitCode=[^ ]*')"

# Each task wrote its own signed trace, naming its shard.
for i in 0 1 2; do
	f=$tmp/out/five-shard${i}of3-$job.kat
	[ -f "$f" ] || fail "task $i wrote no $f: $(ls "$tmp/out")"
	"$KAUDIT" check --pubkey "$pub" "$f" >"$tmp/check$i.txt" || fail "check of shard $i"
	grep -q "^shard     $i/3:" "$tmp/check$i.txt" || fail "check does not show shard $i/3"
	grep -q "GPU [01] ->" "$tmp/out/slurm-${job}_$i.out" ||
		fail "task $i did not get one GPU: $(cat "$tmp/out/slurm-${job}_$i.out")"
done
[ -f "$tmp/out/summary-$job.json" ] || fail "no summary-$job.json: $(ls "$tmp/out")"
jq -e '.summary.traces == 3 and .summary.rejected == 0 and (.claims | length) == 1 and
	.claims[0].cases_total == 5 and .claims[0].covered == 5 and .claims[0].missing == 0 and
	.claims[0].duplicated == 0 and .claims[0].verdict == "invalid" and
	([.claims[0].cases[] | select(.verdict == "reproduced")] | length) == 4 and
	.claims[0].cases[4].verdict == "invalid" and
	all(.claims[0].cases[]; (.results | length) == 1)' "$tmp/out/summary-$job.json" >/dev/null ||
	fail "summary: $(jq -c '.summary, .claims[0] | del(.cases?)' "$tmp/out/summary-$job.json")"
grep -q 'coverage  5 of 5 cases covered, 0 missing, 0 duplicated' "$tmp/out/summary-$job.txt" ||
	fail "summary text: $(cat "$tmp/out/summary-$job.txt")"
# The same summary here, with the same key: the exit code the job had.
rc=0
"$KAUDIT" summary --pubkey "$pub" "$tmp"/out/*-"$job".kat >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "summary exits $rc, want 1"
echo "slurm_array: ok"
