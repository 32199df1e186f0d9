# exports.sh - kaudit exports none of its internals.  Code under audit runs
# in kaudit's worker processes; a claimant library that defines its own
# global `xmalloc` or `record_emit` must bind to its own, not to kaudit's
# (ELF interposition binds to the executable's exported definition first).
# The GPU plugin exports exactly its entry point and the four functions of
# the allocator the Python bridge installs in torch (src/gpu/torch_alloc.c);
# the Python worker library exactly kaudit_py_*.  Needs $KAUDIT and $BUILD.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v nm >/dev/null || { echo "exports: skipped (no nm)"; exit 0; }
# What a C executable defines for the C runtime itself, whatever it links.
runtime='^(_IO_stdin_used|__bss_start|__data_start|data_start|_edata|_end|_start|_init|_fini|main)$'
leaked=$(nm -D --defined-only "$KAUDIT" | awk '{ print $NF }' | grep -Ev "$runtime" || true)
[ -z "$leaked" ] || fail "$KAUDIT exports internals: $(echo "$leaked" | head -n 5 | tr '\n' ' ')"
gpu=$(dirname "$KAUDIT")/libkaudit-gpu.so
if [ -f "$gpu" ]; then
	syms=$(nm -D --defined-only "$gpu" | awk '{ print $NF }' | grep -Ev '^(_init|_fini)$')
	want='kaudit_gpu_backend_open
kaudit_torch_alloc
kaudit_torch_free
kaudit_torch_poison_arm
kaudit_torch_poison_disarm'
	[ "$(echo "$syms" | sort)" = "$want" ] ||
		fail "$gpu exports more than its entry points: $(echo "$syms" | head -n 8 | tr '\n' ' ')"
fi
py=$(dirname "$KAUDIT")/libkaudit-pyworker.so
if [ -f "$py" ]; then
	syms=$(nm -D --defined-only "$py" | awk '{ print $NF }' | grep -Ev '^(_init|_fini)$' | sort)
	[ "$syms" = "$(printf 'kaudit_py_fail\nkaudit_py_pattern\nkaudit_py_serve')" ] ||
		fail "$py exports more than kaudit_py_*: $(echo "$syms" | head -n 8 | tr '\n' ' ')"
fi
echo "exports: ok"
