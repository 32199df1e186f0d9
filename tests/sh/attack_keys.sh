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

# ---- keys verify refuses, each with one line that says why ----
# RSA, EC, encrypted, a public key, a symlink, a key another user owns:
# exit 2 before any case runs, no pass phrase prompt, no key text shown.
kd=$tmp/badkeys
mkdir "$kd"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$kd/rsa.pem" 2>/dev/null ||
	die "openssl genpkey RSA"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$kd/ec.pem" 2>/dev/null ||
	die "openssl genpkey EC"
openssl pkey -in "$key" -aes256 -passout pass:x -out "$kd/enc.pem" 2>/dev/null || die "openssl pkey -aes256"
cp "$key" "$kd/ed.pem"
cp "$key" "$kd/other.pem"
cp "$pub" "$kd/pub.pem"
chmod 600 "$kd"/*.pem
ln -s ed.pem "$kd/link.pem"
{
	manifest_head "Keys"
	kernel honest 100 ref_scale honest.so fast_scale
} >"$c/keys.yaml"
badkey() { # NAME KEY WANT (the whole stderr line after "kaudit: KEY: ")
	set +e
	(cd "$tmp" && unset KAUDIT_KEY XDG_CONFIG_HOME && exec env HOME="$tmp/home1" "$KAUDIT" verify \
		claim/keys.yaml -o "$tmp/$1.kat" --quick --timeout 20 --key "$2") \
		</dev/null >"$tmp/$1.out" 2>"$tmp/$1.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "key $1: verify exit $rc, want 2"
	got=$(cat "$tmp/$1.err")
	[ "$got" = "kaudit: $2: $3" ] || fail "key $1: got '$got', want 'kaudit: $2: $3'"
	[ ! -e "$tmp/$1.kat" ] || fail "key $1: a trace was written"
}
badkey rsa "$kd/rsa.pem" "is an RSA key; kaudit signs with Ed25519 (kaudit keygen)"
badkey ec "$kd/ec.pem" "is an EC key; kaudit signs with Ed25519 (kaudit keygen)"
badkey encrypted "$kd/enc.pem" "encrypted keys are not supported: kaudit never prompts for a pass phrase (it runs unattended); use an unencrypted key of mode 0600 (kaudit keygen)"
grep -q 'Enter PEM pass phrase' "$tmp/encrypted.out" "$tmp/encrypted.err" && fail "encrypted key: prompted"
badkey public "$kd/pub.pem" "is a public key, where the private key is needed to sign: give the private half (the file without .pub)"
badkey link "$kd/link.pem" "is a symbolic link; kaudit opens keys without following links so that a link planted in the key's place cannot make it sign with another key or read another file (give the real path: $kd/ed.pem)"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$kd/other.pem"
	badkey other_user "$kd/other.pem" "private key is owned by another user (uid 65534, not 0), who can read or replace it; use a key of your own (kaudit keygen) or run 'chown 0 $kd/other.pem'"
fi
# ... and a good key at the real path is taken (the case must not trigger).
set +e
(cd "$tmp" && unset KAUDIT_KEY XDG_CONFIG_HOME && exec env HOME="$tmp/home1" "$KAUDIT" verify \
	claim/keys.yaml -o "$tmp/goodkey.kat" --quick --timeout 20 --key "$kd/ed.pem") \
	</dev/null >"$tmp/goodkey.out" 2>"$tmp/goodkey.err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "good key: verify exit $rc, want 0: $(tail -c 300 "$tmp/goodkey.err")"
# check --pubkey given the private half says so.
set +e
"$KAUDIT" check --pubkey "$kd/ed.pem" "$tmp/goodkey.kat" </dev/null >/dev/null 2>"$tmp/pk.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "check --pubkey PRIVATE: exit $rc, want 2"
[ "$(cat "$tmp/pk.err")" = "kaudit: $kd/ed.pem: is a private key, where a public key (SPKI PEM) is needed: give the public half (KEY.pem.pub, written by kaudit keygen)" ] ||
	fail "check --pubkey PRIVATE: $(cat "$tmp/pk.err")"
finish attack_keys
