#!/bin/sh
# lint.sh - kaudit lint on good and bad manifests (tests/lint/).
#
# Every tests/lint/bad_*.yaml must fail with exit 2, print exactly the line
# in its .expected file on stderr, nothing on stdout, and finish within
# `timeout 2` (billion laughs and deep nesting included).  Good manifests
# must pass and print their summary; every tests/lint/warn_*.yaml passes
# (exit 0) with exactly the warning in its .expected file.  --json gives
# one object per manifest.  Sources that leave the claim (links
# to a secret or to /proc, devices, FIFOs, absolute paths) are refused at
# their FILE:LINE:COL with nothing of the file shown.  A .so source's
# entry is checked against its .dynsym (built here with cc).  With nvcc, an
# #include of a secret is refused before compiling and leaks nowhere, and
# every shipped claim passes `lint --build`.
set -u
: "${KAUDIT:?set KAUDIT to the kaudit binary}"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() { echo "FAIL: $*"; fail=1; }

n=0
for yaml in tests/lint/bad_*.yaml; do
	expected=${yaml%.yaml}.expected
	[ -f "$expected" ] || { bad "$yaml has no $expected"; continue; }
	start=$(date +%s%N)
	timeout 2 "$KAUDIT" lint "$yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$rc" -eq 2 ] || bad "$yaml: exit $rc (expected 2)"
	[ "$ms" -lt 1000 ] || bad "$yaml: took ${ms} ms (expected under a second)"
	[ -s "$tmp/out" ] && bad "$yaml: printed on stdout"
	if ! diff -u "$expected" "$tmp/err" >"$tmp/diff"; then
		bad "$yaml: wrong message"
		cat "$tmp/diff"
	fi
	n=$((n + 1))
done
[ "$n" -ge 40 ] || bad "only $n bad manifests found"

# Good manifests: exit 0 and a summary naming kernels, speedups and sizes.
# Python implementations: accepted without importing (lint never runs
# claimant code without --build), shown as ENTRY@FILE.
"$KAUDIT" lint tests/lint/good_python.yaml >"$tmp/out" 2>"$tmp/err" ||
	bad "good_python.yaml rejected: $(cat "$tmp/err")"
grep -q 'candidate  Model@kernels/model.py' "$tmp/out" || bad "good_python.yaml: no candidate line"
"$KAUDIT" lint tests/lint/good.yaml >"$tmp/out" 2>"$tmp/err" || bad "good.yaml rejected: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && bad "good.yaml: printed on stderr"
grep -qx 'claim: Fused softmax, 12x over the reference' "$tmp/out" || bad "good.yaml: no title"
grep -qx 'kernel softmax_f32: claimed speedup 12x' "$tmp/out" || bad "good.yaml: no kernel line"
grep -q 'candidate  fast@kernels/fast.cu -O3 --use_fast_math' "$tmp/out" || bad "good.yaml: no candidate line"
grep -qx '  case 0 {N: 4096, D: 8192}: x in f32\[4096,8192\] 128 MiB, y out f32\[4096,8192\] 128 MiB' \
	"$tmp/out" || bad "good.yaml: case 1 summary wrong"
grep -q 'data in u8\[1000000\] 976.6 KiB, hist inout i32\[256\] 1 KiB' "$tmp/out" ||
	bad "good.yaml: histogram sizes wrong"

# Each case's device memory (buffers plus the 1 MiB guard zone on each side
# of each buffer); a case no known GPU holds is a warning, not an error.
grep -qx '    device memory 260 MiB (buffers 256 MiB, guard zones 4 MiB)' "$tmp/out" ||
	bad "good.yaml: no device memory total"
for yaml in tests/lint/warn_*.yaml; do
	timeout 2 "$KAUDIT" lint "$yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 0 ] || bad "$yaml: exit $rc (expected 0: a warning)"
	grep -qx "$yaml: ok" "$tmp/out" || bad "$yaml: no summary"
	if ! diff -u "${yaml%.yaml}.expected" "$tmp/err" >"$tmp/diff"; then
		bad "$yaml: wrong warning"
		cat "$tmp/diff"
	fi
done
"$KAUDIT" lint tests/lint/warn_larger_than_any_gpu.yaml 2>/dev/null >"$tmp/out"
grep -qx '    device memory 2.0 MiB (buffers 4 KiB, guard zones 2 MiB)' "$tmp/out" ||
	bad "warn_larger_than_any_gpu.yaml: the small case's total is wrong"
grep -qx '    device memory 128.0 PiB (buffers 128 PiB, guard zones 2 MiB)' "$tmp/out" ||
	bad "warn_larger_than_any_gpu.yaml: the huge case's total is wrong"

# Strings from the manifest are printed with control characters escaped.
mkdir -p "$tmp/esc/kernels"
cp tests/lint/kernels/ref.cu tests/lint/kernels/fast.cu "$tmp/esc/kernels/"
printf 'kaudit: 1\nclaim: {title: "evil \\e[2J title", source: "a\\abell", hardware: "x\\ty"}\nkernels:\n  - id: k\n    claimed_speedup: 2\n    baseline: {source: kernels/ref.cu, entry: ref}\n    candidate: {source: kernels/fast.cu, entry: fast}\n    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n' \
	>"$tmp/esc/c.yaml"
"$KAUDIT" lint "$tmp/esc/c.yaml" >"$tmp/out" 2>"$tmp/err" || bad "escapes: rejected: $(cat "$tmp/err")"
grep -qx 'claim: evil \\x1b\[2J title' "$tmp/out" || bad "escapes: title not escaped: $(head -n 2 "$tmp/out" | od -c | head -n 3)"
grep -qx '  source: a\\x07bell' "$tmp/out" || bad "escapes: source not escaped"
grep -qx '  hardware: x\\ty' "$tmp/out" || bad "escapes: hardware not escaped"
LC_ALL=C grep -q "$(printf '[\001-\010\016-\037]')" "$tmp/out" && bad "escapes: a raw control character was printed"
printf 'kaudit: 1\nclaim: {title: t, bogus\\e[2J: 1}\n' | sed 's/\\e/\x1b/' >"$tmp/esc/bad.yaml"
"$KAUDIT" lint "$tmp/esc/bad.yaml" >/dev/null 2>"$tmp/err"
LC_ALL=C grep -q "$(printf '\033')" "$tmp/err" && bad "escapes: a raw ESC in an error message"

# The entry check reads the source; a local #include (which may define the
# entry) or ## pasting keeps it quiet, and the build decides.
mkdir -p "$tmp/inc/k"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(ref) { (void)l; return 0; }\n' >"$tmp/inc/k/ref.cu"
printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(from_header) { (void)l; return 0; }\n' >"$tmp/inc/k/impl.cuh"
printf '#include "kaudit/launcher.h"\n#include "impl.cuh"\n' >"$tmp/inc/k/fast.cu"
printf '#include "kaudit/launcher.h"\nextern "C" int fast_v2(const kaudit_launch *l) { (void)l; return 0; }\nextern "C" {\nint fast_v3(const kaudit_launch *l);\nint other(int x) { return x + 1; }\n}\nKAUDIT_ENTRY(slow) { (void)l; return 0; }\n' \
	>"$tmp/inc/k/many.cu"
for cand in "fast.cu|from_header|" "many.cu|fast_v2|" "many.cu|fast_v3|" \
	"many.cu|fast_v4|entry 'fast_v4' is not defined in 'k/many.cu'; did you mean 'fast_v2'? (it exports fast_v2, fast_v3, other, slow)" \
	"ref.cu|slow|entry 'slow' is not defined in 'k/ref.cu'; did you mean 'ref'? (it exports ref)"; do
	src=${cand%%|*} rest=${cand#*|}
	entry=${rest%%|*} want=${rest#*|}
	printf 'kaudit: 1\nclaim: {title: t}\nkernels:\n  - id: k\n    claimed_speedup: 2\n    baseline: {source: k/ref.cu, entry: ref}\n    candidate: {source: k/%s, entry: %s}\n    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n' \
		"$src" "$entry" >"$tmp/inc/c.yaml"
	"$KAUDIT" lint "$tmp/inc/c.yaml" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ -z "$want" ]; then
		[ "$rc" -eq 0 ] || bad "entry $entry in $src: refused: $(cat "$tmp/err")"
	else
		[ "$rc" -eq 2 ] || bad "entry $entry in $src: exit $rc (expected 2)"
		grep -qF "$want" "$tmp/err" || bad "entry $entry in $src: got '$(cat "$tmp/err")'"
	fi
done

# A prebuilt .so source: its .dynsym says what it exports, so a misspelt
# entry gets the nearest exported function (or none, when none is close),
# a C++-mangled one says so, and a file that is no ELF64 shared object is
# refused by name.  cc builds the objects; without it this part is skipped.
if command -v cc >/dev/null 2>&1; then
	mkdir -p "$tmp/so/k"
	cp tests/lint/kernels/ref.cu "$tmp/so/k/ref.cu"
	printf 'int fast_scale(const void *l) { (void)l; return 0; }\nint ref_scale(const void *l) { (void)l; return 0; }\n__attribute__((visibility("hidden"))) int fast_hidden(void) { return 1; }\nint fast_data = 3;\n' \
		>"$tmp/so/s.c"
	cc -shared -fPIC -o "$tmp/so/k/s.so" "$tmp/so/s.c" || bad "cc -shared failed"
	printf 'int matmul(const void *l) { (void)l; return 0; }\n' >"$tmp/so/m.c"
	cc -shared -fPIC -x c++ -o "$tmp/so/k/m.so" "$tmp/so/m.c" 2>/dev/null ||
		cp "$tmp/so/k/s.so" "$tmp/so/k/m.so" # no C++: the mangled case is skipped below
	printf 'not an object\n' >"$tmp/so/k/text.so"
	head -c 200 "$tmp/so/k/s.so" >"$tmp/so/k/short.so"
	# An ELF32 i386 shared object's header, crafted (cc -m32 may be missing).
	printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\003\000\003\000\001\000\000\000' \
		>"$tmp/so/k/elf32.so"
	head -c 28 /dev/zero >>"$tmp/so/k/elf32.so"
	cc -c -fPIC -o "$tmp/so/k/obj.so" "$tmp/so/s.c" || bad "cc -c failed"
	for cand in "s.so|fast_scale|" "s.so|ref_scale|" \
		"s.so|fast_scal|entry 'fast_scal' is not exported by 'k/s.so'; did you mean 'fast_scale'?" \
		"s.so|Fast_Scale|entry 'Fast_Scale' is not exported by 'k/s.so'; did you mean 'fast_scale'?" \
		"s.so|fast_hidden|entry 'fast_hidden' is not exported by 'k/s.so' (it exports 2 functions, none of a similar name)" \
		"s.so|softmax|entry 'softmax' is not exported by 'k/s.so' (it exports 2 functions, none of a similar name)" \
		"s.so|fast_data|entry 'fast_data' is not exported by 'k/s.so' (it exports 2 functions, none of a similar name)" \
		"m.so|matmul|entry 'matmul' is not exported by 'k/m.so' with C linkage: it is there as the C++ function '_Z6matmulPKv' (declare it extern \"C\")" \
		"text.so|fast|source 'k/text.so' is not a shared object kaudit can load: not an ELF file (it does not start with \\x7fELF)" \
		"short.so|fast|source 'k/short.so' is not a shared object kaudit can load: truncated: its section headers" \
		"elf32.so|fast|source 'k/elf32.so' is not a shared object kaudit can load: a 32-bit ELF file (ELFCLASS32); kaudit loads 64-bit x86-64 and aarch64 shared objects only" \
		"obj.so|fast|source 'k/obj.so' is not a shared object kaudit can load: a relocatable object (.o), not a shared object"; do
		src=${cand%%|*} rest=${cand#*|}
		entry=${rest%%|*} want=${rest#*|}
		if [ "$src" = m.so ] && cmp -s "$tmp/so/k/m.so" "$tmp/so/k/s.so"; then
			continue
		fi
		printf 'kaudit: 1\nclaim: {title: t}\nkernels:\n  - id: k\n    claimed_speedup: 2\n    baseline: {source: k/ref.cu, entry: ref}\n    candidate: {entry: %s, source: k/%s}\n    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n' \
			"$entry" "$src" >"$tmp/so/c.yaml"
		timeout 2 "$KAUDIT" lint "$tmp/so/c.yaml" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ -z "$want" ]; then
			[ "$rc" -eq 0 ] || bad "entry $entry in $src: refused: $(cat "$tmp/err")"
			continue
		fi
		[ "$rc" -eq 2 ] || bad "entry $entry in $src: exit $rc (expected 2)"
		[ -s "$tmp/out" ] && bad "entry $entry in $src: printed on stdout"
		# At the entry's value, line 7 column 24, the one line of the error.
		grep -qF "kaudit: $tmp/so/c.yaml:7:24: $want" "$tmp/err" ||
			bad "entry $entry in $src: got '$(cat "$tmp/err")'"
		[ "$(wc -l <"$tmp/err")" -eq 1 ] || bad "entry $entry in $src: more than one line"
	done
	# --json carries the same error at the same position.
	"$KAUDIT" lint --json "$tmp/so/c.yaml" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 2 ] || bad ".so --json: expected exit 2"
	grep -qF '"line":7,"column":24,"message":"source '"'k/obj.so'"' is not a shared object' "$tmp/out" ||
		bad ".so --json: $(cat "$tmp/out")"
fi

# --json: one object per manifest on stdout, errors and warnings with
# their positions, every case with its bytes; the exit code as without.
"$KAUDIT" lint --json tests/lint/good.yaml tests/lint/bad_param_quoted.yaml \
	tests/lint/warn_not_h100.yaml tests/lint/no-such-file.yaml >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || bad "--json: exit $rc (expected 2)"
[ -s "$tmp/err" ] && bad "--json: printed on stderr: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/out")" -eq 4 ] || bad "--json: expected 4 lines"
if command -v jq >/dev/null 2>&1; then
	jq -e -s '.[0] | .file == "tests/lint/good.yaml" and .ok and .errors == [] and .warnings == []
		and (.cases | length) == 3 and .cases[0] == {case: 0, kernel: "softmax_f32",
		params: {N: 4096, D: 8192}, bytes: 272629760}' "$tmp/out" >/dev/null ||
		bad "--json: good.yaml object wrong: $(sed -n 1p "$tmp/out")"
	jq -e -s '.[1] | .ok == false and .cases == [] and .errors[0].line == 16 and
		.errors[0].column == 13 and (.errors[0].message | startswith("param '"'N'"':"))' \
		"$tmp/out" >/dev/null || bad "--json: error object wrong: $(sed -n 2p "$tmp/out")"
	jq -e -s '.[2] | .ok and .errors == [] and .warnings[0].line == 9 and
		(.warnings[0].message | contains("does not fit an H100 80GB"))' \
		"$tmp/out" >/dev/null || bad "--json: warning object wrong: $(sed -n 3p "$tmp/out")"
	jq -e -s '.[3] | .ok == false and .errors[0].line == null and
		.errors[0].message == "No such file or directory"' "$tmp/out" >/dev/null ||
		bad "--json: missing file object wrong: $(sed -n 4p "$tmp/out")"
fi
"$KAUDIT" lint --json tests/lint/good.yaml >/dev/null 2>&1 || bad "--json good.yaml: nonzero exit"

# The example claims and the gallery of cheats must all be valid.
claims=$(find claims -name '*.yaml' 2>/dev/null | sort)
if [ -n "$claims" ]; then
	# shellcheck disable=SC2086 # one argument per manifest path
	"$KAUDIT" lint $claims >"$tmp/out" 2>"$tmp/err" || bad "claims/ rejected: $(cat "$tmp/err")"
fi

# Sources outside the claim's tree, or not regular files: refused at the
# source's position; a fake secret outside the claim is never shown.
secret=KAUDIT-FAKE-SECRET-2718
mkdir -p "$tmp/t/claim/k" "$tmp/t/outside"
printf '%s\n' "$secret" >"$tmp/t/outside/secret.pem"
cp tests/lint/kernels/fast.cu "$tmp/t/claim/k/fast.cu"
ln -s ../../outside/secret.pem "$tmp/t/claim/k/leak.cu"
ln -s /proc/self/environ "$tmp/t/claim/k/environ.cu"
ln -s /dev/zero "$tmp/t/claim/k/zero.cu"
mkfifo "$tmp/t/claim/k/fifo.cu"
cp "$tmp/t/outside/secret.pem" "$tmp/t/outside/abs.cu"
for case in "k/leak.cu|leaves the claim directory '$tmp/t/claim' (links followed; sources must stay inside the manifest's directory)" \
	"k/environ.cu|resolves into /proc (kernel and device files are never sources)" \
	"k/zero.cu|resolves into /dev (kernel and device files are never sources)" \
	"k/fifo.cu|is a FIFO, not a regular file" \
	"$tmp/t/outside/abs.cu|leaves the claim directory '$tmp/t/claim' (links followed; sources must stay inside the manifest's directory)"; do
	src=${case%%|*}
	printf 'kaudit: 1\nclaim: {title: t}\nkernels:\n  - id: k\n    claimed_speedup: 2\n    baseline: {source: %s, entry: fast}\n    candidate: {source: k/fast.cu, entry: fast}\n    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]\n' \
		"$src" >"$tmp/t/claim/c.yaml"
	timeout 2 "$KAUDIT" lint "$tmp/t/claim/c.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || bad "source $src: exit $rc (expected 2)"
	want="kaudit: $tmp/t/claim/c.yaml:6:24: source '$src' ${case#*|}"
	[ "$(cat "$tmp/err")" = "$want" ] || bad "source $src: got '$(cat "$tmp/err")', want '$want'"
	grep -q "$secret" "$tmp/out" "$tmp/err" && bad "source $src: the secret was shown"
	grep -q 'PATH=' "$tmp/out" "$tmp/err" && bad "source $src: the environment was shown"
done

# A paper's table (kaudit-claim(5)): one entry per row, anchors shared.
"$KAUDIT" lint tests/lint/good_table.yaml >"$tmp/out" 2>&1 || bad "good_table.yaml rejected: $(cat "$tmp/out")"
grep -q '  case 1 {N: 1048576}: x in f16\[1048576\] 2 MiB, y out f16\[1048576\] 2 MiB' "$tmp/out" ||
	bad "good_table.yaml: the second row's cases are wrong"

# Options may follow the file; several files give the worst exit code.
"$KAUDIT" lint tests/lint/good_anchors.yaml --arch sm_90 >"$tmp/out" 2>&1 || bad "good_anchors.yaml rejected"
grep -q '  case 0 {N: 7}: a in f16\[7\] 14 B' "$tmp/out" || bad "good_anchors.yaml: alias buffers not expanded"
"$KAUDIT" lint tests/lint/good.yaml tests/lint/bad_version.yaml tests/lint/good_anchors.yaml \
	>"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || bad "mixed files: expected exit 2"
grep -q 'good_anchors.yaml: ok' "$tmp/out" || bad "mixed files: stopped at the first error"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || bad "mixed files: expected one error line"

# Usage and file errors.
"$KAUDIT" lint >/dev/null 2>&1; [ $? -eq 2 ] || bad "no argument: expected exit 2"
"$KAUDIT" lint --bogus tests/lint/good.yaml >/dev/null 2>&1; [ $? -eq 2 ] || bad "unknown option: expected exit 2"
"$KAUDIT" lint --help >"$tmp/out" 2>&1 || bad "--help: nonzero exit"
grep -q 'usage: kaudit lint' "$tmp/out" || bad "--help: no usage"
"$KAUDIT" lint tests/lint/no-such-file.yaml 2>"$tmp/err"; [ $? -eq 2 ] || bad "missing file: expected exit 2"
grep -qx 'kaudit: tests/lint/no-such-file.yaml: No such file or directory' "$tmp/err" || bad "missing file: message: $(cat "$tmp/err")"
head -c 1048577 /dev/zero | tr '\0' '#' >"$tmp/big.yaml"
timeout 2 "$KAUDIT" lint "$tmp/big.yaml" 2>"$tmp/err"; [ $? -eq 2 ] || bad "oversized file: expected exit 2"
grep -q 'larger than the limit' "$tmp/err" || bad "oversized file: message: $(cat "$tmp/err")"

# --build: nvcc missing is an environment problem (exit 3); a compile
# error is bad input (exit 2) and shows nvcc's log.
export XDG_CACHE_HOME="$tmp/cache"
NVCC="$tmp/no-nvcc" CUDA_HOME="$tmp" PATH=/usr/bin:/bin "$KAUDIT" lint --build tests/lint/good.yaml \
	>/dev/null 2>"$tmp/err"
[ $? -eq 3 ] || bad "--build without nvcc: expected exit 3 ($(cat "$tmp/err"))"
if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null 2>&1; then
	mkdir -p "$tmp/claim/k"
	printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(ok) { (void)l; return 0; }\n' >"$tmp/claim/k/ok.cu"
	printf '#include "kaudit/launcher.h"\nKAUDIT_ENTRY(broken) { return undeclared_thing; }\n' \
		>"$tmp/claim/k/broken.cu"
	cat >"$tmp/claim/c.yaml" <<-EOF
	kaudit: 1
	claim: {title: compile error}
	kernels:
	  - id: k
	    claimed_speedup: 2
	    baseline: {source: k/ok.cu, entry: ok}
	    candidate: {source: k/broken.cu, entry: broken}
	    buffers: [{name: y, role: out, dtype: f32, shape: [4]}]
	EOF
	"$KAUDIT" lint --build "$tmp/claim/c.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || bad "--build compile error: exit $rc (expected 2)"
	grep -q 'undeclared_thing' "$tmp/err" || bad "--build compile error: no nvcc log"
	grep -q 'baseline   compiled' "$tmp/out" || bad "--build: baseline not compiled: $(cat "$tmp/out" "$tmp/err")"
	"$KAUDIT" lint --build "$tmp/claim/c.yaml" >"$tmp/out" 2>&1
	grep -q 'baseline   cached' "$tmp/out" || bad "--build: second run not cached"

	# An #include of a secret outside the claim: refused before nvcc, the
	# secret in no output and no cache file.
	printf '#include "kaudit/launcher.h"\n#include "%s"\nKAUDIT_ENTRY(ok) { (void)l; return 0; }\n' \
		"$tmp/t/outside/secret.pem" >"$tmp/claim/k/inc.cu"
	sed 's|k/broken.cu, entry: broken|k/inc.cu, entry: ok|' "$tmp/claim/c.yaml" >"$tmp/claim/inc.yaml"
	"$KAUDIT" lint --build "$tmp/claim/inc.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || bad "--build #include of a secret: exit $rc (expected 2)"
	grep -q "k/inc.cu:2: #include '$tmp/t/outside/secret.pem' is absolute and outside" "$tmp/err" ||
		bad "--build #include of a secret: message: $(cat "$tmp/err")"
	grep -rq "$secret" "$tmp/out" "$tmp/err" "$XDG_CACHE_HOME" && bad "--build: the secret leaked"

	# Every shipped claim compiles (a cache kept in the build tree makes
	# reruns quick).
	XDG_CACHE_HOME=${BUILD:-$tmp}/lint-cache "$KAUDIT" lint --build $claims \
		>"$tmp/out" 2>"$tmp/err" || bad "claims/ do not build: $(tail -n 20 "$tmp/err")"
fi

[ "$fail" -eq 0 ] && echo "lint.sh: $n bad manifests, good manifests, options, --build: ok"
exit "$fail"
