#!/bin/sh
# build_lint.sh - `kaudit lint --build` end to end with a stand-in nvcc:
# missing nvcc is exit 3, allowed flags reach nvcc verbatim, shell syntax
# and the old denylist's bypasses are refused by plain `lint` at their
# line:col, sources and includes stay inside the claim (a secret outside
# it appears in no output and no cache file), the dependency pass's list
# is enforced, the cache answers the second time and a poisoned cache
# entry is rebuilt, a missing entry and a compile error are exit 2 with
# the source named.  The stand-in turns each KAUDIT_ENTRY of the source
# into a C function compiled by cc, so the .so really loads and the entry
# lookup is real.  (Real nvcc runs are in tests/unit/test_build.c and
# tests/sh/lint.sh.)
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

T=$(mktemp -d /tmp/kaudit-build-lint-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/cache"
unset KAUDIT_ARCH

# The stand-in lives in $T/cuda/bin, so its "toolkit" is $T/cuda and not
# $T, where the secret is.  It takes its orders from files beside it
# ($NV.list: what the dependency pass lists besides the source; $NV.fail:
# fail the compile) and logs into the cache ($C/fake.deps, $C/fake.args),
# so it works confined (clean environment, few writable places) or not.
mkdir -p "$T/cuda/bin" "$T/outside"
NV="$T/cuda/bin/nvcc"
C="$XDG_CACHE_HOME/kaudit"
cat > "$NV" <<'FAKE'
#!/bin/sh
if [ "$1" = --version ]; then
	echo 'nvcc: stand-in'; echo 'Cuda compilation tools, release 99.0, V99.0.0'; exit 0
fi
out=; prev=; src=; mf=
for a in "$@"; do
	[ "$prev" = -o ] && out=$a
	[ "$prev" = -MF ] && mf=$a
	prev=$a; src=$a
done
if [ -n "$mf" ]; then # the dependency pass
	echo dep >> "${mf%/*}/../fake.deps"
	printf 'k.o : %s %s\n' "$src" "$(cat "$0.list" 2>/dev/null)" > "$mf"; exit 0
fi
for a in "$@"; do printf 'ARG<%s>\n' "$a" >> "${out%/*}/fake.args"; done
if [ -e "$0.fail" ]; then
	echo "$src(2): error: identifier \"boom\" is undefined"; exit 1
fi
# From stdin, so the object is the same bytes every time (no file name).
grep -o 'KAUDIT_ENTRY([A-Za-z_0-9]*)' "$src" |
	sed 's/KAUDIT_ENTRY(\(.*\))/int \1(const void *l) { (void)l; return 0; }/' |
	cc -shared -fPIC -o "$out" -x c - || exit 1
FAKE
chmod +x "$NV"
SECRET=KAUDIT-FAKE-SECRET-9917
printf -- '-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' "$SECRET" > "$T/outside/secret.pem"

mkdir -p "$T/claim/kernels"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(copy_ref) { return 0; }\n' > "$T/claim/kernels/ref.cu"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(copy_fast) { return 0; }\n' > "$T/claim/kernels/fast.cu"
# write_claim FILE CANDIDATE_ENTRY [BASELINE_SOURCE] [FLAGS]: the candidate
# line is line 7, its flags start at column 68.
write_claim() {
	cat > "$1" <<YAML
kaudit: 1
claim: {title: "copy"}
kernels:
  - id: copy
    claimed_speedup: 1.0
    baseline:  {source: ${3:-kernels/ref.cu}, entry: copy_ref}
    candidate: {source: kernels/fast.cu, entry: $2, flags: [${4:-"-DMSG=a", "-lineinfo"}]}
    params: {N: 1024}
    buffers:
      - {name: x, role: in,  dtype: f32, shape: [N]}
      - {name: y, role: out, dtype: f32, shape: [N]}
YAML
}
write_claim "$T/claim/ok.yaml" copy_fast
write_claim "$T/claim/noentry.yaml" copy_missing
cd "$T" || exit 1
no_secret() { # no output and no cache file holds the secret
	! grep -rq "$SECRET" out err "$XDG_CACHE_HOME" 2>/dev/null || fail "$1: the secret leaked"
}

# 1. No nvcc: environment, exit 3, one clear line.
NVCC=/nonexistent/nvcc "$KAUDIT" lint --build claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 3 ] || fail "missing nvcc: exit $rc, want 3"
grep -q 'nvcc not found' err || fail "missing nvcc: no clear message: $(cat err)"

# 2. Compiles, flags verbatim as one argument each.
NVCC="$NV" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 0 ] || fail "lint --build: exit $rc: $(cat err)"
[ "$(grep -c 'compiled' out)" -eq 2 ] || fail "lint --build: want 2 compiled: $(cat out)"
grep -qxF 'ARG<-DMSG=a>' "$C/fake.args" || fail "flag not passed verbatim: $(cat "$C/fake.args")"
grep -qxF 'ARG<-lineinfo>' "$C/fake.args" || fail "flag not passed: $(cat "$C/fake.args")"
grep -qxF 'ARG<-arch=sm_90>' "$C/fake.args" || fail "--arch not passed"
grep -qxF 'ARG<-cudart>' "$C/fake.args" || fail "-cudart shared missing"
[ "$(wc -l < "$C/fake.deps")" -eq 2 ] || fail "no dependency pass before each compile"
for f in "$C"/*.so; do
	[ "$(stat -c %a "$f")" = 444 ] || fail "$f: mode $(stat -c %a "$f"), want 444"
	[ -f "${f%.so}.sha256" ] || fail "$f: no recorded sha256"
done
[ "$(stat -c %a "$XDG_CACHE_HOME/kaudit")" = 700 ] || fail "cache directory not 0700"
[ -z "$(find "$XDG_CACHE_HOME/kaudit" -name 'tmp.*')" ] || fail "working directory left behind"

# 3. Same sources and flags: the cache answers, nvcc does not compile again.
runs=$(grep -c '^ARG<-shared>$' "$C/fake.args")
NVCC="$NV" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err ||
	fail "cached lint --build failed: $(cat err)"
[ "$(grep -c 'cached' out)" -eq 2 ] || fail "second run not cached: $(cat out)"
[ "$(grep -c '^ARG<-shared>$' "$C/fake.args")" -eq "$runs" ] || fail "nvcc ran again"

# 4. Cache poisoning: an overwritten object is re-hashed, rebuilt, said so.
so=$(sed -n 's/^  baseline   cached (\(.*\))$/\1/p' out)
[ -f "$so" ] || fail "no cached baseline object in: $(cat out)"
honest=$(sha256sum < "$so")
chmod u+w "$so" && printf 'attacker object\n' > "$so"
NVCC="$NV" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err ||
	fail "poisoned cache: $(cat err)"
grep -q '^  baseline   compiled' out || fail "poisoned object used as a hit: $(cat out)"
grep -q 'note: cache entry .* did not match the sha256 recorded when it was built' out ||
	fail "poisoning not reported: $(cat out)"
[ "$(sha256sum < "$so")" = "$honest" ] || fail "rebuilt object differs from the honest one"
grep -q '^  candidate  cached' out || fail "untouched entry not a hit: $(cat out)"

# 5. An entry the object does not export: bad input, the entry named.
NVCC="$NV" "$KAUDIT" lint --build --arch sm_90 claim/noentry.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "missing entry: exit $rc, want 2"
grep -q "copy_missing" err || fail "missing entry not named: $(cat err)"

# 6. Shell syntax in a flag (nvcc runs sub-tools through sh -c) and the
#    old denylist's bypasses: refused by plain lint at the flag, nvcc
#    never started, no shell ran anything.
rm -f "$C/fake.args" "$C/fake.deps"
check_flag() { # FLAGS COL
	write_claim claim/flag.yaml copy_fast kernels/ref.cu "$1"
	NVCC="$NV" "$KAUDIT" lint --build claim/flag.yaml > out 2> err
	rc=$?
	[ $rc -eq 2 ] || fail "flags [$1]: exit $rc, want 2"
	grep -q "^kaudit: claim/flag.yaml:7:$2: " err || fail "flags [$1]: position: $(cat err)"
	[ "$(wc -l < err)" -eq 1 ] || fail "flags [$1]: more than one line: $(cat err)"
}
check_flag '"-DMSG=a b; touch CANARY1; $(touch CANARY2) `touch CANARY3`"' 68
grep -q "a macro value may hold only" err || fail "shell flag: message: $(cat err)"
check_flag '"-O3", "-Xlinker", "-o,/tmp/elsewhere.so"' 75
grep -q "nvcc flag '-Xlinker' is not allowed (allowed: -O0..-O3" err || fail "-Xlinker: $(cat err)"
check_flag '"--linker-options=-o,/tmp/elsewhere.so"' 68
check_flag '"-Xlinker=--output=/tmp/elsewhere.so"' 68
check_flag '"-lineinfo", "-MD", "-MF", "/tmp/elsewhere.d"' 81
check_flag '"-I", "../outside"' 74
check_flag '"-Xcompiler", "-fplugin=/tmp/x.so"' 68
check_flag '"@/tmp/options"' 68
for c in CANARY1 CANARY2 CANARY3; do
	[ ! -e "$c" ] && [ ! -e "claim/$c" ] || fail "a shell ran the flag ($c exists)"
done
[ ! -e "$C/fake.args" ] && [ ! -e "$C/fake.deps" ] || fail "nvcc ran for a refused flag"

# 7. Sources outside the claim: a link to the secret, to /proc/self/environ,
#    an absolute path; refused by plain lint at the source, nothing shown.
ln -s ../../outside/secret.pem claim/kernels/leak.cu
ln -s /proc/self/environ claim/kernels/env.cu
cp outside/secret.pem outside/abs.cu
for src in kernels/leak.cu kernels/env.cu "$T/outside/abs.cu"; do
	write_claim claim/src.yaml copy_fast "$src"
	"$KAUDIT" lint claim/src.yaml > out 2> err
	rc=$?
	[ $rc -eq 2 ] || fail "source $src: exit $rc, want 2"
	case $src in
	kernels/env.cu) want="kaudit: claim/src.yaml:6:25: source '$src' resolves into /proc (kernel and device files are never sources)" ;;
	*) want="kaudit: claim/src.yaml:6:25: source '$src' leaves the claim directory 'claim' (links followed; sources must stay inside the manifest's directory)" ;;
	esac
	[ "$(cat err)" = "$want" ] || fail "source $src: got '$(cat err)', want '$want'"
	no_secret "source $src"
	! grep -q 'PATH=' out err || fail "source $src: environment shown"
done

# 8. #include of the secret by absolute path, by "..", through a link,
#    or by a macro: refused before nvcc runs at all (not even -M).
ln -s ../../outside/secret.pem claim/kernels/evil.h
n=0
for inc in "\"$T/outside/secret.pem\"" '"../../outside/secret.pem"' '"evil.h"' 'SECRET_PATH'; do
	n=$((n + 1))
	printf '#include "kaudit/launcher.h"\n#define SECRET_PATH "%s"\n#include %s\nKAUDIT_ENTRY(copy_ref) { return 0; }\n' \
		"$T/outside/secret.pem" "$inc" > "claim/kernels/inc$n.cu"
	write_claim claim/inc.yaml copy_fast "kernels/inc$n.cu"
	NVCC="$NV" "$KAUDIT" lint --build claim/inc.yaml > out 2> err
	rc=$?
	[ $rc -eq 2 ] || fail "#include $inc: exit $rc, want 2"
	grep -q "kernels/inc$n.cu:3: " err || fail "#include $inc: no file:line: $(cat err)"
	no_secret "#include $inc"
	[ ! -e "$C/fake.deps" ] || fail "#include $inc: nvcc ran"
done

# 9. What the dependency pass reports reading is enforced: outside the
#    permitted directories stops the build (file and source named, nothing
#    shown); a header of the claim's own is listed.
echo "$T/outside/secret.pem" > "$NV.list"
NVCC="$NV" "$KAUDIT" lint --build claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "outside dependency: exit $rc, want 2"
grep -q "kernels/ref.cu: the compile would read '$T/outside/secret.pem', outside the claim" err ||
	fail "outside dependency: message: $(cat err)"
no_secret "outside dependency"
printf '#define TRICK 1\n' > claim/kernels/common.cuh
echo "$T/claim/kernels/common.cuh" > "$NV.list"
NVCC="$NV" "$KAUDIT" lint --build claim/ok.yaml > out 2> err || fail "claim header: $(cat err)"
rm -f "$NV.list"
grep -q '^             reads kernels/common.cuh (sha256 ' out || fail "common.cuh not listed: $(cat out)"

# 10. A compile error: bad input, the source named, nvcc's output shown.
rm -rf "$XDG_CACHE_HOME"
touch "$NV.fail"
NVCC="$NV" "$KAUDIT" lint --build --arch sm_90 claim/ok.yaml > out 2> err
rc=$?
rm -f "$NV.fail"
[ $rc -eq 2 ] || fail "compile error: exit $rc, want 2"
grep -q 'ref.cu' err || fail "compile error does not name the source: $(cat err)"
grep -q 'identifier "boom" is undefined' err || fail "compile log not shown: $(cat err)"

# 11. A bad architecture name is refused before nvcc runs.
NVCC="$NV" "$KAUDIT" lint --build --arch 'sm_90 -Xcompiler x' claim/ok.yaml > out 2> err
rc=$?
[ $rc -eq 2 ] || fail "bad --arch: exit $rc, want 2"
echo "build_lint: ok"
