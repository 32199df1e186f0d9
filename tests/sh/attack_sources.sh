attack=sources
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: a manifest whose `source:` is a secret ----
# The header of a trace carries every implementation source verbatim, and
# a trace is meant to be published: a source that resolves outside the
# claim's tree (a symlink, `..`, an absolute path) must be refused by lint
# and by verify (exit 2, FILE:LINE:COL), before any trace is written.
c=$tmp/claim
build_so "$c/honest.so" honest
envsecret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s %s\n' env:secret "$(printf %s "$envsecret" | hex)" >>"$tmp/secrets"
mkdir "$c/sub"
ln -s honest.so "$c/alias.so"                   # inside the tree: fine
ln -s ../keys/key.pem "$c/key.so"               # relative, to the key
ln -s "$key" "$c/abs.so"                        # absolute, to the key
ln -s ../key.so "$c/sub/hop.so"                 # a chain through the tree
ln -s /proc/self/environ "$c/env.so"            # whoever reads it: its environment
ln -s key.pem "$tmp/keys/link.so"               # outside, named like an object
mkdir "$tmp/outside"                            # a loadable object outside the tree:
build_so "$tmp/outside/honest.so" honest        # the rule, whatever the bytes
ln -s ../outside/honest.so "$c/out.so"
# The kernel with the secret is the second: its candidate is on line 16.
leaky() { # NAME SOURCE [ENTRY]
	{
		manifest_head "Scale, and a secret"
		kernel honest 100 ref_scale honest.so fast_scale
		kernel leak 100 ref_scale "$2" "${3:-cheat}"
	} >"$c/$1.yaml"
}
leaky alias alias.so fast_scale
leaky key key.so
leaky abs abs.so
leaky chain sub/hop.so
leaky environ env.so
leaky dotdot ../keys/link.so
leaky absolute "$tmp/keys/link.so"
leaky outside out.so fast_scale

# The control: a symlink that stays inside the tree is an ordinary source.
set +e
(cd "$tmp" && exec "$KAUDIT" lint claim/alias.yaml) >"$tmp/alias.lint" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "alias (in-tree symlink): lint exit $rc: $(cat "$tmp/alias.lint")"
verify alias claim/alias.yaml --timeout 20
if trace_ok alias "$tmp/alias.kat"; then
	want_verdict "alias (in-tree symlink)" "$tmp/alias.kat" 1 reproduced
	no_leak "alias: trace" "$tmp/alias.kat.jsonl" "$tmp/alias.kat.strings"
fi

for v in key abs chain environ dotdot absolute outside; do
	for cmd in lint "lint --build"; do
		set +e
		# shellcheck disable=SC2086
		(cd "$tmp" && exec env KAUDIT_ATTACK_SECRET="$envsecret" "$KAUDIT" $cmd \
			"claim/$v.yaml") >"$tmp/$v.lint.out" 2>"$tmp/$v.lint.err"
		rc=$?
		set -e
		[ "$rc" = 2 ] || fail "$v: $cmd exit $rc, want 2"
		grep -q "claim/$v.yaml:16:[0-9][0-9]*: " "$tmp/$v.lint.err" ||
			fail "$v: $cmd names no claim/$v.yaml:16:COL: $(head -c 300 "$tmp/$v.lint.err" | tr '\n' ' ')"
		no_leak "$v: $cmd output" "$tmp/$v.lint.out" "$tmp/$v.lint.err"
	done
	set +e
	(cd "$tmp" && exec env KAUDIT_ATTACK_SECRET="$envsecret" "$KAUDIT" verify "claim/$v.yaml" \
		--key "$key" -o "$tmp/$v.kat" --quick --timeout 20) >"$tmp/$v.out" 2>"$tmp/$v.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "$v: verify exit $rc, want 2"
	grep -q "claim/$v.yaml:16:[0-9][0-9]*: " "$tmp/$v.err" ||
		fail "$v: verify names no claim/$v.yaml:16:COL: $(head -c 300 "$tmp/$v.err" | tr '\n' ' ')"
	[ ! -e "$tmp/$v.kat" ] || fail "$v: verify wrote a trace for a manifest it must refuse"
	if [ -s "$tmp/$v.kat" ]; then
		zcat "$tmp/$v.kat" >"$tmp/$v.jsonl" 2>/dev/null || true
		jq -r '.. | strings' "$tmp/$v.jsonl" >"$tmp/$v.strings" 2>/dev/null || true
		no_leak "$v: trace" "$tmp/$v.jsonl" "$tmp/$v.strings"
	fi
	no_leak "$v: verify's output" "$tmp/$v.out" "$tmp/$v.err"
done
no_survivors sources
finish attack_sources
