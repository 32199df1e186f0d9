attack=keys
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: a candidate goes after the signing key ----
# Three keys, one per way verify finds its key, none inside the claim tree:
#   k1  --key keys/k1.pem, relative to verify's folder
#   k2  $KAUDIT_KEY, absolute
#   k3  $HOME/.config/kaudit/key.pem
c=$tmp/claim
for k in 1 2; do
	newkey "$tmp/keys/k$k.pem" "$tmp/keys/k$k.pub"
	add_secrets "k$k" "$tmp/keys/k$k.pem"
done
mkdir -p "$tmp/home1" "$tmp/home3/.config/kaudit"
newkey "$tmp/home3/.config/kaudit/key.pem" "$tmp/keys/k3.pub"
add_secrets k3 "$tmp/home3/.config/kaudit/key.pem"
loot=$c/loot
loot_file=$(mktemp /tmp/kaudit-attack-loot.XXXXXX)
extra=$loot_file
mkdir "$loot"
build_so "$c/honest.so" honest
build_so "$c/thief.so" thief -DLOOT_DIR="\"$loot\"" -DLOOT_FILE="\"$loot_file\""
build_so "$c/thief_ctor.so" thief -DTHIEF_CTOR -DLOOT_DIR="\"$loot\"" -DLOOT_FILE="\"$loot_file\""
{
	manifest_head "Scale, and the key"
	kernel thief 100 ref_scale thief.so
	kernel thief_ctor 100 ref_scale thief_ctor.so
	kernel honest 100 ref_scale honest.so fast_scale
} >"$c/claim.yaml"

# Every file the candidates managed to write, and what kaudit wrote.
loot_files() { ls -d "$loot"/* "$loot_file" 2>/dev/null || true; }
audit_keys() { # NAME PUB [ENV...] -- then verify's key option, if any
	n=$1 p=$2
	shift 2
	rm -f "$loot"/* && : >"$loot_file"
	set +e
	# shellcheck disable=SC2086 # keyopt is an option and its value, or nothing
	(cd "$tmp" && unset KAUDIT_KEY XDG_CONFIG_HOME && exec env "$@" "$KAUDIT" verify \
		claim/claim.yaml -o "$tmp/$n.kat" --quick --timeout 20 $keyopt) \
		>"$tmp/$n.out" 2>"$tmp/$n.err"
	rc=$?
	set -e
	t=$tmp/$n.kat
	[ "$rc" = 1 ] || fail "$n: verify exit $rc, want 1: $(tail -c 300 "$tmp/$n.err" | tr -c '[:print:]' ' ')"
	if trace_ok "$n" "$t" "$p"; then
		want_verdict "$n: thief in the call" "$t" 0 error invalid
		want_verdict "$n: thief in a constructor" "$t" 1 error invalid
		want_verdict "$n: the honest pair" "$t" 2 reproduced
		no_leak "$n: trace" "$t.jsonl" "$t.strings"
	fi
	no_leak "$n: verify's output" "$tmp/$n.out" "$tmp/$n.err"
	# shellcheck disable=SC2046
	no_leak "$n: the candidates' loot" $(loot_files)
	no_survivors "$n"
}
keyopt="--key keys/k1.pem"
audit_keys keyarg "$tmp/keys/k1.pub" HOME="$tmp/home1"
keyopt=
audit_keys kaudit_key "$tmp/keys/k2.pub" HOME="$tmp/home1" KAUDIT_KEY="$tmp/keys/k2.pem"
audit_keys home "$tmp/keys/k3.pub" HOME="$tmp/home3"

# lint --build loads the object to resolve its entry: the constructor runs
# there too, with the caller's environment.
{
	manifest_head "Scale, lint"
	kernel thief_ctor 100 ref_scale thief_ctor.so
} >"$c/lint.yaml"
rm -f "$loot"/* && : >"$loot_file"
set +e
(cd "$tmp" && unset XDG_CONFIG_HOME && exec env HOME="$tmp/home3" KAUDIT_KEY="$tmp/keys/k2.pem" \
	"$KAUDIT" lint --build claim/lint.yaml) >"$tmp/lint.out" 2>"$tmp/lint.err"
rc=$?
set -e
case $rc in
0 | 2) ;;
*) fail "lint --build: exit $rc, want 0 or 2: $(tail -c 300 "$tmp/lint.err" | tr -c '[:print:]' ' ')" ;;
esac
no_leak "lint --build: output" "$tmp/lint.out" "$tmp/lint.err"
# shellcheck disable=SC2046
no_leak "lint --build: the constructor's loot" $(loot_files)
no_survivors "lint --build"
finish attack_keys
