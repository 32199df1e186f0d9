# exports.sh - kaudit exports none of its internals.  Code under audit runs
# in kaudit's worker processes; a claimant library that defines its own
# global `xmalloc` or `record_emit` must bind to its own, not to kaudit's
# (ELF interposition binds to the executable's exported definition first).
# The GPU plugin exports exactly its entry point.  Needs $KAUDIT and $BUILD.
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
	[ "$syms" = kaudit_gpu_backend_open ] ||
		fail "$gpu exports more than its entry point: $(echo "$syms" | head -n 5 | tr '\n' ' ')"
fi
echo "exports: ok"
