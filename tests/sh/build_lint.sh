#!/bin/sh
# build_lint.sh - `kaudit lint --build` end to end with a stand-in nvcc:
# missing nvcc is exit 3, flags reach nvcc verbatim and never a shell, the
# cache answers the second time, a missing entry and a compile error are
# exit 2 with the source named.  The stand-in turns each KAUDIT_ENTRY of
# the source into a C function compiled by cc, so the .so really loads and
# the entry lookup is real.  (Real nvcc runs are in tests/unit/test_build.c.)
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

T=$(mktemp -d /tmp/kaudit-build-lint-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/cache"
unset KAUDIT_ARCH

cat > "$T/fake-nvcc" <<'FAKE'
#!/bin/sh
if [ "$1" = --version ]; then
	echo 'nvcc: stand-in'; echo 'Cuda compilation tools, release 99.0, V99.0.0'; exit 0
fi
out=; prev=; src=
for a in "$@"; do
	printf 'ARG<%s>\n' "$a" >> "$0.args"
	[ "$prev" = -o ] && out=$a
	prev=$a; src=$a
done
if [ -n "${FAKE_NVCC_FAIL:-}" ]; then
	echo "$src(2): error: identifier \"boom\" is undefined"; exit 1
fi
grep -o 'KAUDIT_ENTRY([A-Za-z_0-9]*)' "$src" | sed 's/KAUDIT_ENTRY(\(.*\))/int \1(const void *l) { (void)l; return 0; }/' > "$out.c"
cc -shared -fPIC -o "$out" "$out.c" || exit 1
rm -f "$out.c"
FAKE
chmod +x "$T/fake-nvcc"

mkdir -p "$T/claim/kernels"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(copy_ref) { return 0; }\n' > "$T/claim/kernels/ref.cu"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(copy_fast) { return 0; }\n' > "$T/claim/kernels/fast.cu"
write_claim() { # $1 file, $2 candidate entry
	cat > "$1" <<YAML
kaudit: 1
claim: {title: "copy"}
kernels:
  - id: copy
    claimed_speedup: 1.0
    baseline:  {source: kernels/ref.cu, entry: copy_ref}
    candidate: {source: kernels/fast.cu, entry: $2, flags: ["-DMSG=a b; touch CANARY1; \$(touch CANARY2) \`touch CANARY3\`", "-lineinfo"]}
    params: {N: 1024}
    buffers:
      - {name: x, role: in,  dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
YAML
}
write_claim "$T/claim/ok.yaml" copy_fast
write_claim "$T/claim/noentry.yaml" copy_missing
cd "$T" || exit 1

# 1. No nvcc: environment, exit 3, one clear line.
NVCC=/nonexistent/nvcc "$KAUDIT" lint --build claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 3 ] || fail "missing nvcc: exit $rc, want 3"
grep -q 'nvcc not found' err || fail "missing nvcc: no clear message: $(cat err)"

# 2. Compiles, flags verbatim as one argument each, no shell ran them.
NVCC="$T/fake-nvcc" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 0 ] || fail "lint --build: exit $rc: $(cat err)"
[ "$(grep -c 'compiled' out)" -eq 2 ] || fail "lint --build: want 2 compiled: $(cat out)"
grep -qxF 'ARG<-DMSG=a b; touch CANARY1; $(touch CANARY2) `touch CANARY3`>' fake-nvcc.args ||
	fail "flag not passed verbatim: $(cat fake-nvcc.args)"
grep -qxF 'ARG<-arch=sm_90>' fake-nvcc.args || fail "--arch not passed"
grep -qxF 'ARG<-cudart>' fake-nvcc.args || fail "-cudart shared missing"
for c in CANARY1 CANARY2 CANARY3; do
	[ ! -e "$c" ] && [ ! -e "claim/$c" ] || fail "a shell ran the flag ($c exists)"
done

# 3. Same sources and flags: the cache answers, nvcc is not run again.
runs=$(grep -c '^ARG<-shared>$' fake-nvcc.args)
NVCC="$T/fake-nvcc" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err ||
	fail "cached lint --build failed: $(cat err)"
[ "$(grep -c 'cached' out)" -eq 2 ] || fail "second run not cached: $(cat out)"
[ "$(grep -c '^ARG<-shared>$' fake-nvcc.args)" -eq "$runs" ] || fail "nvcc ran again"

# 4. An entry the object does not export: bad input, the entry named.
NVCC="$T/fake-nvcc" "$KAUDIT" lint --build --arch sm_90 claim/noentry.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "missing entry: exit $rc, want 2"
grep -q "copy_missing" err || fail "missing entry not named: $(cat err)"

# 5. A compile error: bad input, the source named, nvcc's output shown.
rm -rf "$XDG_CACHE_HOME"
FAKE_NVCC_FAIL=1 NVCC="$T/fake-nvcc" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "compile error: exit $rc, want 2"
grep -q 'ref.cu' err || fail "compile error does not name the source: $(cat err)"
grep -q 'identifier "boom" is undefined' err || fail "compile log not shown: $(cat err)"

# 6. A bad architecture name is refused before nvcc runs.
NVCC="$T/fake-nvcc" "$KAUDIT" lint --build --arch 'sm_90 -Xcompiler x' claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "bad --arch: exit $rc, want 2"
echo "build_lint: ok"
