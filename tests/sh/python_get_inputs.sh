#!/bin/sh
# python_get_inputs.sh - inputs from the problem file's get_inputs()
# (kaudit-claim(5), init get_inputs) on the host double with CPU torch:
#   - a KernelBench problem whose indices must lie in [0, rows) reproduces
#     with `init: {dist: get_inputs}`, and is an `error` with kaudit's
#     default randint (negative indices), the other cases going on;
#   - the case record names each buffer's item and file and holds the
#     sha256 of its bytes over every input set; regenerating them from the
#     problem file alone, under the seeds kaudit derives from the case's
#     seed, gives the same digests (so the inputs are reproducible);
#   - the attack: a candidate that replaces get_inputs and torch.randint at
#     import (so a harness calling get_inputs where the candidate runs
#     would hand it all-zero indices) is invalid, wrong-output, and its
#     case's digests are still those of the real get_inputs();
#   - get_inputs() with a wrong dtype, a wrong shape, too few items, a
#     tensor subclass lying about its shape, an
#     exception, no get_inputs at all, a problem file that swaps the
#     inputs file for a link or a FIFO, and one that never returns (the case's
#     timeout): each an `error` saying what, the trace still
#     written and signed and `check` accepting it;
#   - lint refuses get_inputs on inout buffers, without a problem file, and
#     from the candidate's own file.
set -u
: "${KAUDIT:?set KAUDIT to the kaudit binary}"
: "${BUILD:?set BUILD to the build directory}"
. tests/tools/host_claim.sh

. tests/tools/python_torch.sh

d=$tmp/gi
mkdir -p "$d"
cp tests/python/gather.py tests/python/gather_new.py tests/python/gather_attack.py "$d/"

# Problem files that break get_inputs() one way each (the same Model).
variant() { # file, get_inputs body
	sed -n '1,/^def get_inputs/p' tests/python/gather.py | sed '$d' >"$d/$1"
	printf 'def get_inputs():\n%s\n\n\ndef get_init_inputs():\n    return []\n' "$2" >>"$d/$1"
}
variant g_dtype.py '    return [torch.randn(512, 32), torch.randint(0, 512, (1024,)).int(), torch.rand(1024)]'
variant g_shape.py '    return [torch.randn(512, 16), torch.randint(0, 512, (1024,)), torch.rand(1024)]'
variant g_short.py '    return [torch.randn(512, 32)]'
variant g_raise.py '    raise ValueError("no inputs today")'
variant g_scalar.py '    return [torch.randn(512, 32), 7, torch.rand(1024)]'
variant g_lie.py '    class Liar(torch.Tensor):
        @property
        def shape(self):
            return torch.Size([512, 32])
    return [torch.randn(4).as_subclass(Liar), torch.randint(0, 512, (1024,)), torch.rand(1024)]'
sed '/^def get_inputs/,$d' tests/python/gather.py >"$d/g_none.py"
# A problem file that, while its inputs are made, replaces the file they
# go to with something else (REPLACE: Python statements on PATH): a link
# to a file elsewhere, or a FIFO, which would hold a reader's open forever.
replacing() { # file, REPLACE
	variant "$1" "    import os
    for fd in os.listdir('/proc/self/fd'):
        try:
            path = os.readlink('/proc/self/fd/' + fd)
        except OSError:
            continue
        if path.endswith('/inputs.bin'):
            os.unlink(path)
            $2
    return [torch.randn(512, 32), torch.randint(0, 512, (1024,)), torch.rand(1024) + 0.5]"
}
replacing g_swap.py "os.symlink('/etc/passwd', path)"
replacing g_fifo.py 'os.mkfifo(path)'

# A problem file that tries to change modes outside its view (Landlock does
# not cover chmod; the same user could lock the supervisor out of the
# trace's directory or the key): chmod does nothing in a worker.
printf 'x\n' >"$tmp/sentinel"
chmod 644 "$tmp/sentinel"
variant g_chmod.py "    import os
    for path, mode in ((\"$tmp/sentinel\", 0), (\"$tmp\", 0o555), (\"$d\", 0)):
        try:
            os.chmod(path, mode)
        except OSError:
            pass
    return [torch.randn(512, 32), torch.randint(0, 512, (1024,)), torch.rand(1024) + 0.5]"

kernel() { # id, problem, candidate, idx init, expect
	cat <<EOF
  - id: $1
    claimed_speedup: 1.0
    baseline:  {python: $2, entry: Model}
    candidate: {python: $3, entry: ModelNew, init_inputs: $2}
    params: {R: 512, D: 32, P: 1024}
    buffers:
      - {name: table, role: in, dtype: f32, shape: [R, D], init: {dist: get_inputs}}
      - {name: idx, role: in, dtype: i64, shape: [P]$4}
      - {name: weight, role: in, dtype: f32, shape: [P], init: {dist: get_inputs}}
      - {name: out, role: out, dtype: f32, shape: [P, D]}
    expect: $5
EOF
}
gi=', init: {dist: get_inputs}'
{
	printf 'kaudit: 1\nclaim:\n  title: "get_inputs on the host double"\nkernels:\n'
	kernel honest gather.py gather_new.py "$gi" reproduced
	kernel attack gather.py gather_attack.py "$gi" '{verdict: invalid, findings: [wrong-output]}'
	kernel default gather.py gather_new.py '' error
	kernel dtype g_dtype.py gather_new.py "$gi" error
	kernel shape g_shape.py gather_new.py "$gi" error
	kernel short g_short.py gather_new.py "$gi" error
	kernel raises g_raise.py gather_new.py "$gi" error
	kernel scalar g_scalar.py gather_new.py "$gi" error
	kernel none g_none.py gather_new.py "$gi" error
	kernel swap g_swap.py gather_new.py "$gi" error
	kernel fifo g_fifo.py gather_new.py "$gi" error
	kernel chmod g_chmod.py gather_new.py "$gi" reproduced
	kernel lie g_lie.py gather_new.py "$gi" error
} >"$d/claim.yaml"

"$KAUDIT" lint "$d/claim.yaml" >"$tmp/lint" 2>"$tmp/err" || fail "lint: $(cat "$tmp/err")"
grep -q 'idx in i64\[1024\] 8 KiB from get_inputs()\[1\]' "$tmp/lint" ||
	fail "lint does not show which buffers come from get_inputs: $(grep 'case 0' "$tmp/lint")"
# Bounded: a supervisor that waited on what the problem left (the FIFO
# below) would otherwise hang the suite.
timeout -k 5 300 "$KAUDIT" verify "$d/claim.yaml" --quick --expect --key "$key" -o "$tmp/t.kat" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "verify --expect exit $rc (expected 0)"; }
"$KAUDIT" check "$tmp/t.kat" --pubkey "$pub" >"$tmp/check" 2>&1 ||
	fail "check rejects the trace: $(cat "$tmp/check")"

z() { gzip -dc "$tmp/t.kat"; }
case_rec() { z | grep '"type":"case"' | grep "\"case\":$1,"; }
err_of() { z | grep '"type":"error"' | grep "\"case\":$1," | head -n 1; }
expect_err() { # case, pattern, what
	err_of "$1" | grep -q "\"where\":\"inputs\".*$2" || fail "$3: no clear error: $(err_of "$1")"
}
expect_err 3 'get_inputs() of g_dtype.py: item 1 has dtype int32, the manifest says i64' dtype
expect_err 4 'get_inputs() of g_shape.py: item 0 has shape \[512, 16\], the manifest.s is \[512, 32\]' shape
expect_err 5 'get_inputs() of g_short.py: it returned 1 value; the manifest.s in buffers need item 1' short
expect_err 6 'get_inputs() of g_raise.py: it raised: ValueError: no inputs today' raises
expect_err 7 'get_inputs() of g_scalar.py: item 1 is an int, not a tensor' scalar
expect_err 8 'get_inputs() of g_none.py: the file has no get_inputs()' none
expect_err 9 'get_inputs() of g_swap.py: its inputs file .* is gone or not a plain file' swap
expect_err 10 'get_inputs() of g_fifo.py: its inputs file is not what was asked (a plain file' fifo
expect_err 12 'get_inputs() of g_lie.py: item 0 does not hold the 16384 elements its shape says' lie
[ "$(stat -c %a "$tmp/sentinel")" = 644 ] && [ "$(stat -c %a "$d")" != 0 ] ||
	fail "chmod: a worker changed a mode: sentinel $(stat -c %a "$tmp/sentinel"), claim dir $(stat -c %a "$d")"
# kaudit's default randint(-100, 100) gives negative row indices: the
# problem itself fails, which is why it needs its own get_inputs.
err_of 2 | grep -q '"where":"python".*index' || fail "default init: $(err_of 2)"

# Each case's inputs were made in a confined interpreter of their own.
z | grep '"type":"sandbox"' | grep '"case":0,' | grep -q '"process":"get_inputs".*"landlock":true' ||
	fail "the get_inputs interpreter ran unconfined"

# The record: item and file per buffer, a digest of its bytes; the same
# digests again from the problem file alone under kaudit's seeds.
for c in 0 1; do
	rec=$(case_rec $c)
	echo "$rec" | grep -q '"name":"idx","role":"in","dtype":"i64","shape":\[1024\],"bytes":8192,"init":"get_inputs","item":1,"file":"gather.py","sha256":"[0-9a-f]\{64\}"' ||
		fail "case $c: the case record does not describe idx's inputs: $rec"
	seed=$(echo "$rec" | sed 's/.*"seed":\([0-9]*\).*/\1/')
	"$BUILD/tools/get_inputs_seeds" "$seed" 1 >"$tmp/seeds" || fail "get_inputs_seeds"
	want=$(cd "$d" && "$py" -c '
import hashlib, random, sys, torch
sys.path.insert(0, ".")
import gather
h = [hashlib.sha256() for _ in range(3)]
for s in open(sys.argv[1]).read().split():
    random.seed(int(s))
    torch.manual_seed(int(s))
    for i, t in enumerate(gather.get_inputs()):
        h[i].update(t.contiguous().numpy().tobytes())
print(" ".join(x.hexdigest() for x in h))' "$tmp/seeds") || fail "regenerating case $c's inputs"
	got=$(echo "$rec" | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ] ||
		fail "case $c: recorded digests '$got' are not those of get_inputs() ('$want')"
done
# What a reader sees.
"$KAUDIT" inspect "$tmp/t.kat" --pubkey "$pub" >"$tmp/inspect" 2>&1 || fail "inspect"
grep -q "inputs    from get_inputs(), not kaudit's generator: table (item 0 of" "$tmp/inspect" ||
	fail "inspect does not say where the inputs came from"
"$KAUDIT" inspect "$tmp/t.kat" --pubkey "$pub" --json >"$tmp/inspect.json" || fail "inspect --json"
jq -e '.cases[1].inputs | length == 3 and .[1].buffer == "idx" and .[1].item == 1' \
	"$tmp/inspect.json" >/dev/null || fail "inspect --json: no inputs of case 1"

# A get_inputs() that never returns is killed at the case's timeout: an
# error for that case, the trace still written and signed.
variant g_hang.py '    while True:
        pass'
{
	printf 'kaudit: 1\nclaim:\n  title: "get_inputs hangs"\nkernels:\n'
	kernel hang g_hang.py gather_new.py "$gi" error
} >"$d/hang.yaml"
"$KAUDIT" verify "$d/hang.yaml" --quick --expect --timeout 8 --key "$key" -o "$tmp/hang.kat" \
	>"$tmp/out" 2>&1 || fail "hang: verify --expect: $(tail -n 5 "$tmp/out")"
gzip -dc "$tmp/hang.kat" | grep '"type":"error"' | grep -q '"where":"inputs".*get_inputs() of g_hang.py: .*timed out\|"where":"inputs".*g_hang.py.*killed' ||
	fail "hang: $(gzip -dc "$tmp/hang.kat" | grep '"type":"error"')"
"$KAUDIT" check "$tmp/hang.kat" --pubkey "$pub" >/dev/null 2>&1 || fail "hang: check rejects the trace"

# With the sandbox off (KAUDIT_SANDBOX=off: every case sandbox-degraded), a
# candidate can rewrite the problem file (here when its file is imported,
# in its build) so that get_inputs() hands it rigged inputs; the file no
# longer matches what its kernel's builds recorded, and its case is an
# error, not a verdict on other inputs.  (A kernel built after the rewrite
# records the rewritten text: the trace holds what ran.)
mkdir -p "$d/rw"
cp tests/python/gather.py tests/python/gather_new.py "$d/rw/"
cat >"$d/rw/rewriter.py" <<'EOF'
import os
import torch
import torch.nn as nn

_problem = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gather.py")
with open(_problem, "a") as _f:
    _f.write("\n\ndef get_inputs():\n    return [torch.randn(512, 32), "
             "torch.zeros(1024, dtype=torch.int64), torch.ones(1024)]\n")


class ModelNew(nn.Module):
    def forward(self, table, idx, weight):
        return table[idx] * weight[:, None]
EOF
{
	printf 'kaudit: 1\nclaim:\n  title: "rewrites the problem"\nkernels:\n'
	kernel first gather.py rewriter.py "$gi" error
} >"$d/rw/claim.yaml"
KAUDIT_SANDBOX=off "$KAUDIT" verify "$d/rw/claim.yaml" --quick --key "$key" -o "$tmp/rw.kat" \
	>"$tmp/out" 2>&1
grep -q 'torch.zeros(1024' "$d/rw/gather.py" || fail "rewrite: the candidate did not rewrite (setup)"
gzip -dc "$tmp/rw.kat" | grep '"type":"error"' | grep '"case":0,' |
	grep -q '"where":"build".*gather.py changed after it was built' ||
	fail "rewrite: case 0 ran on the rewritten problem: $(gzip -dc "$tmp/rw.kat" | grep '"type":"error"')"

# Bytecode planted beside the claim's files: Python's own loader runs
# __pycache__/NAME.cpython-XY.pyc in place of NAME.py whenever the size and
# time it records match the source's, so the trace would hold one text and
# another would run.  Here the .pyc of the problem file, and of a helper
# module another problem file imports, draw every index 0 (and the
# candidate is right only then); kaudit runs the texts.
mkdir -p "$d/pyc"
cp tests/python/gather.py "$d/pyc/gather.py"
sed 's/^def get_inputs():/from gi_helper import make_idx\n\n\ndef get_inputs():/; s/idx = torch.randint(0, ROWS, (PICKS,))/idx = make_idx(ROWS, PICKS)/' \
	tests/python/gather.py >"$d/pyc/gather_h.py"
printf 'import torch\n\n\ndef make_idx(rows, picks):\n    return torch.randint(0, rows, (picks,))\n' \
	>"$d/pyc/gi_helper.py"
cat >"$d/pyc/zero_rows.py" <<'EOF'
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, table, idx, weight):
        return table[0].expand(idx.shape[0], -1) * weight[:, None]
EOF
(cd "$d/pyc" && "$py" - <<'EOF'
import importlib.util, os, py_compile
def plant(path, old, new):
    honest = open(path).read()
    evil = honest.replace(old, new)
    assert evil != honest and len(evil) < len(honest)
    evil += "#" * (len(honest) - len(evil) - 1) + "\n"
    st = os.stat(path)
    tmp = path + ".evil"
    open(tmp, "w").write(evil)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    py_compile.compile(tmp, cfile=importlib.util.cache_from_source(path), doraise=True)
    os.unlink(tmp)
plant("gather.py", "idx = torch.randint(0, ROWS, (PICKS,))", "idx = torch.zeros(PICKS).long()")
plant("gi_helper.py", "return torch.randint(0, rows, (picks,))", "return torch.zeros(picks).long()")
EOF
) || fail "pyc: cannot plant the bytecode"
{
	printf 'kaudit: 1\nclaim:\n  title: "planted bytecode"\nkernels:\n'
	kernel pyc gather.py zero_rows.py "$gi" '{verdict: invalid, findings: [wrong-output]}'
	kernel pyc_helper gather_h.py zero_rows.py "$gi" '{verdict: invalid, findings: [wrong-output]}'
} >"$d/pyc/claim.yaml"
"$KAUDIT" verify "$d/pyc/claim.yaml" --quick --expect --key "$key" -o "$tmp/pyc.kat" \
	>"$tmp/out" 2>&1 || fail "pyc: the planted bytecode ran: $(tail -n 6 "$tmp/out")"
ls "$d/pyc/__pycache__/" | grep -q 'gather\.' || fail "pyc: setup"
# The helper the problem imports is in its build record, text and sha256.
want=$(sha256sum "$d/pyc/gi_helper.py" | cut -d' ' -f1)
gzip -dc "$tmp/pyc.kat" | grep '"type":"build"' | grep '"kernel":"pyc_helper"' |
	grep '"impl":"baseline"' | grep -q "claim module gi_helper from gi_helper.py (sha256 $want" ||
	fail "pyc: the helper module is not in the build record"

# kaudit import kernelbench hands integer inputs and values >= 0 past 1 to
# get_inputs (kaudit's default would give indices outside the table), and
# what it writes reproduces.
"$KAUDIT" import kernelbench "$d/gather.py" "$d/gather_new.py" -o "$d/imported.yaml" \
	2>"$tmp/err" || fail "import: $(cat "$tmp/err")"
grep -q '{name: idx, role: in, dtype: i64, shape: \[PICKS\], init: {dist: get_inputs}}' \
	"$d/imported.yaml" || fail "import: idx: $(grep 'name: idx' "$d/imported.yaml")"
grep -q '{name: weight, .*init: {dist: get_inputs}}' "$d/imported.yaml" ||
	fail "import: weight: $(grep 'name: weight' "$d/imported.yaml")"
grep -q '{name: table, .*init: {dist: normal' "$d/imported.yaml" ||
	fail "import: table: $(grep 'name: table' "$d/imported.yaml")"
"$KAUDIT" verify "$d/imported.yaml" --quick --key "$key" -o "$tmp/imported.kat" >"$tmp/out" 2>&1 ||
	fail "import: the imported gather pair does not reproduce: $(tail -n 5 "$tmp/out")"

# A forged case record (re-signed by a key holder) whose get_inputs fields
# are garbled is a malformed trace, not a story inspect tells.
for edit in 's/"item":1,"file":"gather.py","sha256":"[0-9a-f]*"/"item":1,"file":"gather.py","sha256":"zz"/' \
	's/"item":1,/"item":-5,/' 's/"name":"out","role":"out",/"name":"out","role":"out","init":"get_inputs","item":0,/'; do
	gzip -dc "$tmp/t.kat" | sed "$edit" | "$BUILD/tools/kat_resign" "$key" "$tmp/forged.kat" ||
		fail "forge: kat_resign"
	"$KAUDIT" check "$tmp/forged.kat" --pubkey "$pub" >"$tmp/out" 2>&1 &&
		fail "forge ($edit): check accepts garbled get_inputs fields"
	grep -q 'malformed get_inputs fields' "$tmp/out" || fail "forge ($edit): $(head -n 5 "$tmp/out")"
done

# Lint: where get_inputs cannot apply.
cp "$tmp/impl.so" "$d/"
lint_refuses() { # what, pattern, manifest body
	printf 'kaudit: 1\nclaim: {title: t}\nkernels:\n%s\n' "$3" >"$d/bad.yaml"
	"$KAUDIT" lint "$d/bad.yaml" >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "lint $1: exit $rc (expected 2)"
	grep -q "$2" "$tmp/err" || fail "lint $1: $(cat "$tmp/err")"
}
lint_refuses "inout" 'init get_inputs on inout buffer' '  - id: k
    claimed_speedup: 1
    baseline: {python: gather.py, entry: Model}
    candidate: {python: gather_new.py, entry: ModelNew}
    buffers:
      - {name: x, role: inout, dtype: f32, shape: [4], init: {dist: get_inputs}}'
lint_refuses "without a problem file" 'needs a problem file that defines get_inputs' '  - id: k
    claimed_speedup: 1
    baseline: {source: impl.so, entry: ref_scale}
    candidate: {python: gather_new.py, entry: ModelNew}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs}}
      - {name: y, role: out, dtype: f32, shape: [4]}'
lint_refuses "from the candidate's own file" "from the candidate's own file" '  - id: k
    claimed_speedup: 1
    baseline: {source: impl.so, entry: ref_scale}
    candidate: {python: gather_new.py, entry: ModelNew, init_inputs: gather_new.py}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs}}
      - {name: y, role: out, dtype: f32, shape: [4]}'
ln "$d/gather_new.py" "$d/hard.py"
lint_refuses "from a second name of the candidate's file" "from the candidate's own file" '  - id: k
    claimed_speedup: 1
    baseline: {source: impl.so, entry: ref_scale}
    candidate: {python: gather_new.py, entry: ModelNew, init_inputs: hard.py}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs}}
      - {name: y, role: out, dtype: f32, shape: [4]}'
lint_refuses "with parameters" "unknown key" '  - id: k
    claimed_speedup: 1
    baseline: {python: gather.py, entry: Model}
    candidate: {python: gather_new.py, entry: ModelNew}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [4], init: {dist: get_inputs, low: 0}}
      - {name: y, role: out, dtype: f32, shape: [4]}'

echo "python_get_inputs.sh: get_inputs inputs reproduce and regenerate, the get_inputs attack is" \
	"invalid, dtype/shape/short/raise/scalar/none/swap are errors, lint refusals: ok"
