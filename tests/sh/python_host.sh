#!/bin/sh
# python_host.sh - Python implementations end to end on the host double
# (kaudit-claim(5), PYTHON IMPLEMENTATIONS), with Debian's CPU torch:
#   - a KernelBench problem (Model, get_inputs, get_init_inputs) and an
#     honest ModelNew, both unchanged, reproduce; so does a function entry;
#   - the seed's exploit (ModelNew returns torch.empty it never writes) is
#     invalid with unwritten-output: every allocation the candidate makes
#     during a call comes out poisoned (libkaudit-poison.so), so a recycled
#     block cannot pass for its output;
#   - a first-row-only candidate is invalid (wrong-output);
#   - returning an input, a wrong shape, a wrong dtype or a tensor it
#     returned before is an `error` naming what was wrong, and an exception
#     is an `error` with the end of its traceback; the other cases go on;
#   - the .py files are in the trace with their sha256 (inspect --source),
#     the build record names the interpreter and torch versions;
#   - the Python worker is confined: a candidate reading the signing key or
#     writing outside its scratch fails, and nothing is written.
# Needs a python3 with torch ($KAUDIT_PYTHON, python3 or /usr/bin/python3;
# .ci/run installs python3-torch).
set -u
: "${KAUDIT:?set KAUDIT to the kaudit binary}"
: "${BUILD:?set BUILD to the build directory}"
. tests/tools/host_claim.sh

. tests/tools/python_torch.sh

d=$tmp/py
mkdir -p "$d"
cp tests/python/*.py "$d/"
outside=$(mktemp -d "${TMPDIR:-/tmp}/kaudit-outside.XXXXXX")
trap 'rm -rf "$tmp" "$keydir" "$outside"' EXIT

# The attack reads the signing key and writes outside its scratch; if
# either works it returns a right answer, so only the sandbox stops it.
cat >"$d/model_attack.py" <<EOF
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, A, B):
        try:
            with open("$outside/escaped", "w") as f:
                f.write("written by the candidate")
        except OSError:
            pass
        with open("$key") as f:
            stolen = f.read()
        return torch.matmul(A, B) * self.scale + 0 * len(stolen)
EOF

kernel() { # id, candidate file, entry, expect
	cat <<EOF
  - id: $1
    claimed_speedup: 1.0
    baseline:  {python: problem.py, entry: Model}
    candidate: {python: $2, entry: $3, init_inputs: problem.py}
    params: {M: 64}
    buffers:
      - {name: A, role: in, dtype: f32, shape: [M, M]}
      - {name: B, role: in, dtype: f32, shape: [M, M]}
      - {name: C, role: out, dtype: f32, shape: [M, M]}
    tolerance: {rtol: 1.0e-4, atol: 1.0e-4}
    expect: $4
EOF
}
{
	printf 'kaudit: 1\nclaim:\n  title: "KernelBench on the host double"\nkernels:\n'
	kernel honest model_new.py ModelNew reproduced
	kernel function model_bad.py scaled_mm reproduced
	kernel empty model_empty.py ModelNew '{verdict: invalid, findings: [unwritten-output]}'
	kernel firstrow model_bad.py FirstRow '{verdict: invalid, findings: [wrong-output]}'
	kernel alias model_bad.py AliasInput '{verdict: invalid, findings: [invalid-return]}'
	kernel shape model_bad.py WrongShape '{verdict: invalid, findings: [invalid-return]}'
	kernel dtype model_bad.py WrongDtype '{verdict: invalid, findings: [invalid-return]}'
	kernel cached model_bad.py Cached '{verdict: invalid, findings: [invalid-return]}'
	kernel raises model_bad.py Raises error
	kernel attack model_attack.py ModelNew error
} >"$d/claim.yaml"

"$KAUDIT" lint "$d/claim.yaml" >/dev/null || fail "lint rejects the Python claim"
"$KAUDIT" verify "$d/claim.yaml" --quick --expect --key "$key" -o "$tmp/t.kat" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "verify --expect exit $rc (expected 0)"; }
"$KAUDIT" check "$tmp/t.kat" --pubkey "$pub" >/dev/null || fail "check rejects the trace"

z() { gzip -dc "$tmp/t.kat"; }
err_of() { # case index -> its error record's message
	z | grep '"type":"error"' | grep "\"case\":$1," | head -n 1
}
err_of 4 | grep -q '"where":"output".*AliasInput output 0 (C) aliases input A' ||
	fail "alias: no clear message: $(err_of 4)"
err_of 5 | grep -q 'WrongShape output 0 (C) has shape \[4096\], the manifest.s is \[64, 64\]' ||
	fail "shape: no clear message: $(err_of 5)"
err_of 6 | grep -q 'WrongDtype output 0 (C) has dtype float64, the manifest says f32' ||
	fail "dtype: no clear message: $(err_of 6)"
err_of 7 | grep -q 'Cached output 0 (C) is a tensor it returned on an earlier call' ||
	fail "cached: no clear message: $(err_of 7)"
err_of 8 | grep -q '"where":"python".*in forward.*ValueError: boom from forward' ||
	fail "raises: no traceback: $(err_of 8)"
err_of 9 | grep -q 'PermissionError' || fail "attack: not stopped by the sandbox: $(err_of 9)"
[ -e "$outside/escaped" ] && fail "attack: the candidate wrote outside its scratch"
z | grep '"type":"sandbox"' | grep -q '"process":"worker".*"landlock":true' ||
	fail "the Python worker ran unconfined"

# The poison is what names the exploit: the output counted unwritten.
z | grep '"type":"check"' | grep '"case":2,' | grep '"impl":"candidate"' |
	grep '"kind":"unwritten"' | grep -q '"ok":false' || fail "empty: no unwritten check failed"

# Builds: the interpreter and torch versions; sources: every .py, sha256.
z | grep '"type":"build"' | grep '"kernel":"honest"' | grep -q 'torch 1\.\|torch 2\.' ||
	fail "the build record does not name torch's version"
for f in problem.py model_new.py model_empty.py model_bad.py; do
	want=$(sha256sum "$d/$f" | cut -d' ' -f1)
	z | head -n 1 | grep -q "\"path\":\"$f\",\"kind\":\"source\",\"sha256\":\"$want\"" ||
	z | head -n 1 | grep -q "$want" || fail "$f is not in the header with its sha256"
	"$KAUDIT" inspect "$tmp/t.kat" --source "$f" >"$tmp/src" 2>&1 ||
		fail "inspect --source $f: $(cat "$tmp/src")"
	cmp -s "$tmp/src" "$d/$f" || fail "inspect --source $f differs from the file"
done

# kaudit import kernelbench: a manifest lint accepts and verify reproduces,
# from the two files as they are; refusals are one line, exit 2.
"$KAUDIT" import kernelbench "$d/problem.py" "$d/model_new.py" -o "$d/imported.yaml" \
	2>"$tmp/err" || fail "import: $(cat "$tmp/err")"
grep -q 'candidate: {python: "model_new.py", entry: ModelNew, init_inputs: "problem.py"}' \
	"$d/imported.yaml" || fail "import: no candidate line: $(cat "$d/imported.yaml")"
grep -q 'params: {M: 64, K: 64}' "$d/imported.yaml" ||
	fail "import: params not named after the module's constants"
grep -q '{name: A, role: in, dtype: f32, shape: \[M, K\]' "$d/imported.yaml" ||
	fail "import: input A: $(grep 'name: A' "$d/imported.yaml")"
grep -q '{name: out, role: out, dtype: f32, shape: \[M, ' "$d/imported.yaml" ||
	fail "import: no output buffer"
"$KAUDIT" lint "$d/imported.yaml" >/dev/null || fail "import: lint rejects what it wrote"
"$KAUDIT" verify "$d/imported.yaml" --quick --key "$key" -o "$tmp/imported.kat" >"$tmp/out" 2>&1 ||
	fail "import: the imported pair does not reproduce: $(cat "$tmp/out")"
( cd "$d" && "$KAUDIT" import kernelbench problem.py model_new.py ) >"$tmp/stdout.yaml" ||
	fail "import to stdout failed"
grep -q '^kaudit: 1$' "$tmp/stdout.yaml" || fail "import to stdout: no manifest"
expect_refusal() { # what, then the command
	what=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "import $what: exit $rc (expected 2)"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "import $what: not one line: $(cat "$tmp/err")"
}
expect_refusal "of a file without ModelNew" \
	"$KAUDIT" import kernelbench "$d/problem.py" "$d/problem.py" -o "$d/x.yaml"
expect_refusal "of files outside the manifest's tree" \
	"$KAUDIT" import kernelbench "$d/problem.py" "$d/model_new.py" -o "$outside/x.yaml"
expect_refusal "over its own input" \
	"$KAUDIT" import kernelbench "$d/problem.py" "$d/model_new.py" -o "$d/model_new.py"
"$KAUDIT" import sakana "$d/problem.py" "$d/model_new.py" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown format 'sakana'" "$tmp/err" || fail "import sakana: $(cat "$tmp/err")"
printf 'import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        raise RuntimeError("no")\ndef get_inputs():\n    return [torch.randn(4)]\n' >"$d/broken.py"
expect_refusal "of a problem whose forward raises" \
	"$KAUDIT" import kernelbench "$d/broken.py" "$d/model_new.py" -o "$d/x.yaml"
grep -q 'RuntimeError: no' "$tmp/err" || fail "import of a raising problem: $(cat "$tmp/err")"
cmp -s "$d/model_new.py" tests/python/model_new.py || fail "import overwrote its input"

# load_inline: compiled once, in the build phase (its C++ string in the
# build record with its sha256), and the case imports the compiled
# extension under the sandbox (ninja kept in the worker's process group).
cat >"$d/inline.yaml" <<'EOF'
kaudit: 1
claim: {title: "load_inline on CPU torch"}
kernels:
  - id: inline
    claimed_speedup: 1.0
    baseline:  {python: relu.py, entry: Model}
    candidate: {python: model_inline.py, entry: ModelNew, init_inputs: relu.py}
    params: {N: 4096}
    buffers:
      - {name: x, role: in, dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
    expect: reproduced
EOF
"$KAUDIT" verify "$d/inline.yaml" --quick --expect --key "$key" -o "$tmp/inline.kat" \
	>"$tmp/out" 2>&1 || fail "load_inline: $(tail -n 5 "$tmp/out")"
want=$(cd "$d" && "$py" -c 'import re, hashlib; t = open("model_inline.py").read()
print(hashlib.sha256(re.search(r"cpp = r\"\"\"(.*?)\"\"\"", t, re.S).group(1).encode()).hexdigest())')
gzip -dc "$tmp/inline.kat" | grep '"type":"build"' | grep '"impl":"candidate"' |
	grep -q "load_inline kaudit_cpu_relu cpp source (sha256 $want" ||
	fail "load_inline: the build record lacks the inline source's sha256 $want"

# An interpreter without torch (site-packages off): exit 3 with one line
# naming it, before any case runs.
mkdir -p "$tmp/notorch/bin"
printf '#!/bin/sh\nexec %s -S "$@"\n' "$(command -v "$py")" >"$tmp/notorch/bin/python3"
chmod +x "$tmp/notorch/bin/python3"
"$KAUDIT" verify "$d/claim.yaml" --kernel honest --quick --python "$tmp/notorch/bin/python3" \
	--key "$key" -o "$tmp/none.kat" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "a python without torch: exit $rc (expected 3): $(cat "$tmp/err")"
grep -q 'has no torch' "$tmp/err" || fail "a python without torch: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "a python without torch: more than one line"
[ -e "$tmp/none.kat" ] && fail "a python without torch: a trace was written"
# The gallery's Python cheat (claims/gallery/invalid-return.yaml) meets its
# expect here too: the returned tensor is the input.
"$KAUDIT" verify claims/gallery/invalid-return.yaml --quick --expect --key "$key" \
	-o "$tmp/gallery.kat" >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/out" "$tmp/err"; fail "gallery invalid-return: expect not met"; }
grep -q 'relu_inplace: expect ok' "$tmp/out" || fail "gallery invalid-return: no 'expect ok'"

echo "python_host.sh: KernelBench pair reproduces, import writes it, load_inline builds; empty, first-row, alias, shape, dtype," \
	"cached, exception and sandbox cases caught; the gallery's invalid-return: ok"
