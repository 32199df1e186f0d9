#!/bin/sh
# kaudit report (kaudit(1) report): the HTML and markdown of the example
# hold what a reviewer needs (both cases and verdicts, the signer, the
# findings, a plot per case) and nothing from the network; a hostile kernel
# name is shown, not run; a tampered or untrusted trace still gets a report
# that says so, exit 4; outputs it must not write are refused, exit 2, and
# left as they were.  Then Chromium renders the page: not blank, no console
# message (a script or a fetch the page's policy blocked would log one).
set -u
fail() { echo "report: $*" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
kat=traces/example.kat
pub=traces/example-test-key.pem.pub
resign="$BUILD/tools/kat_resign"
[ -x "$resign" ] && [ -x "$BUILD/tools/png_colors" ] || fail "needs make tools"
command -v jq >/dev/null || fail "needs jq"
XDG_CONFIG_HOME="$tmp/xdg"
export XDG_CONFIG_HOME
unset KAUDIT_ALLOWED_SIGNERS
cp traces/example-test-key.pem "$tmp/key.pem" && chmod 600 "$tmp/key.pem"

# expect CODE CMD...: runs CMD (stdout in $tmp/out), fails unless it exits CODE.
. tests/tools/testlib.sh # expect, has, lacks

# The example, HTML.
html="$tmp/example.html"
expect 0 "$KAUDIT" report "$kat" -o "$html" --pubkey "$pub"
[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "a good report wrote to stderr"; }
for s in 'softmax_f32' 'layernorm_f16' '>reproduced<' '>invalid<' 'wrong-output' \
	'stale-output' 'roofline-violation' 'SYNTHETIC' \
	'signed by traces/example-test-key.pem.pub (keyid 63845b860276676c...)' \
	'Fused softmax 2x, fused layernorm 12x over the reference' \
	'b60b1bb0af019efdafdeb49632296bf091cb16b588c7c1531701a8e779f75186' \
	'NVIDIA H100 80GB HBM3' '2026-11-26T08:00:00Z' '2.32x' '2.31 &ndash; 2.32' \
	'10.71x' '12.00x' 'round 2 candidate'; do
	has "$html" "$s" "html"
done
[ "$(grep -c '<svg' "$html")" = 2 ] || fail "html: not one <svg> per case"
[ "$(grep -c '<section id="case-' "$html")" = 2 ] || fail "html: not one section per case"
grep -qiE 'https?://' "$html" && fail "html: refers to the network"
grep -qiE '<(script|link|img|iframe|object)' "$html" && fail "html: loads or runs something"
has "$html" "default-src 'none'" "html: no Content-Security-Policy"
lacks "$html" 'STAND-IN' "html: the example is not a stand-in"
lacks "$html" 'TAMPERED' "html: the example is intact"
# No trust store and no --pubkey: UNTRUSTED, as inspect says it, still exit 0.
expect 0 "$KAUDIT" report "$kat" -o "$tmp/untrusted.html"
has "$tmp/untrusted.html" 'signed by an UNTRUSTED key 63845b860276676c...' "untrusted html"

# Markdown: standard output, and -o.
expect 0 "$KAUDIT" report "$kat" --markdown --pubkey "$pub"
md="$tmp/out"
has "$md" '| 0 softmax\_f32 | {"N": 4096, "D": 8192} | reproduced | 2.32x | 2.31 - 2.32 | 2.00x | 0 |' "md case row"
has "$md" '| 1 layernorm\_f16 | {"N": 8192, "D": 4096} | invalid | 10.71x | 10.62 - 10.80 | 12.00x | 3 |' "md case row"
has "$md" '| 0 | baseline | 4 | 232.56 us | 232.40 us | 232.63 us |' "md round row"
wid=$(zcat "$kat" | jq -r 'select(.code == "wrong-output") | .id')
has "$md" "| wrong-output | invalidating | candidate | 3 | - | $wid |" "md finding row"
has "$md" '| stale-output | invalidating | candidate | 3 |' "md finding row"
has "$md" 'roofline-violation' "md finding"
has "$md" '**SYNTHETIC' "md banner"
has "$md" '| signer | signed by traces/example-test-key.pem.pub' "md signer"
expect 0 "$KAUDIT" report "$kat" --markdown -o "$tmp/r.md"
[ -s "$tmp/out" ] && fail "markdown -o also wrote to stdout"
has "$tmp/r.md" '| 1 layernorm\_f16 |' "md -o"

# A hostile kernel name and title, re-signed: intact, so exit 0, and the
# report shows the text without running or parsing it.
# Only the case record goes through jq: jq 1.6 would round the other
# records' timestamps, and the reader refuses an ns that no longer fits.
zcat "$kat" | head -n -2 > "$tmp/all.jsonl"
ln=$(grep -n '"type":"case".*"case":1,' "$tmp/all.jsonl" | cut -d: -f1)
[ -n "$ln" ] || fail "hostile: no case 1 record"
{ head -n $((ln - 1)) "$tmp/all.jsonl"
  sed -n "${ln}p" "$tmp/all.jsonl" | jq -c '
	.kernel = "<script>document.title=\"pwned\"</script><img src=x onerror=alert(1)>|`x`\u001b[31m\u202e'"'"'"'
  tail -n +$((ln + 1)) "$tmp/all.jsonl"; } > "$tmp/hostile.jsonl" || fail "hostile: edit failed"
"$resign" "$tmp/key.pem" "$tmp/hostile.kat" < "$tmp/hostile.jsonl" || fail "hostile: re-sign failed"
hostile="$tmp/hostile.html"
expect 0 "$KAUDIT" report "$tmp/hostile.kat" -o "$hostile" --pubkey "$pub"
has "$hostile" '&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;&lt;img src=x' "hostile escaped"
has "$hostile" '\x1b[31m\u{202e}&#39;' "hostile controls shown"
grep -qiE '<(script|img)' "$hostile" && fail "hostile: a tag from the trace reached the HTML"
LC_ALL=C grep -q "$(printf '\033')" "$hostile" && fail "hostile: a raw ESC reached the HTML"
expect 0 "$KAUDIT" report "$tmp/hostile.kat" --markdown --pubkey "$pub"
has "$tmp/out" '| 1 \<script\>document.title="pwned"\</script\>\<img src=x onerror=alert(1)\>\|\`x\`\x1b\[31m\u{202e}'"'"' |' "hostile md cell"

# Tampered (records edited, not re-signed): a report that says so, exit 4.
zcat "$kat" | sed 's/"measured":2.316347011/"measured":9.5/' | gzip > "$tmp/tampered.kat"
expect 4 "$KAUDIT" report "$tmp/tampered.kat" -o "$tmp/tampered.html" --pubkey "$pub"
has "$tmp/tampered.html" 'class="banner" id="integrity">TAMPERED: ' "tampered banner"
grep -qF "$tmp/tampered.kat" "$tmp/err" || fail "tampered: stderr does not name the trace"
expect 4 "$KAUDIT" report "$tmp/tampered.kat" --markdown
has "$tmp/out" '> **TAMPERED: ' "tampered md"
# Intact but signed by a key --pubkey refuses: exit 4, UNTRUSTED said.
expect 0 "$KAUDIT" keygen -o "$tmp/other.pem"
"$BUILD/tools/kat_example" "$tmp/other.pem" "$tmp/other.kat" || fail "kat_example failed"
expect 4 "$KAUDIT" report "$tmp/other.kat" -o "$tmp/other.html" --pubkey "$pub"
has "$tmp/other.html" 'id="integrity">UNTRUSTED: intact, but signed by an UNTRUSTED key' "untrusted banner"
expect 0 "$KAUDIT" report "$tmp/other.kat" -o "$tmp/other.html"

# Stand-in traces (summary "stand_in": true) carry a banner too: the field
# comes from trace_summary(); skipped where this build has no such field.
if "$KAUDIT" inspect --json "$kat" | jq -e 'has("stand_in")' >/dev/null; then
	"$KAUDIT" inspect --json "$kat" | jq -e '.stand_in == false' >/dev/null ||
		fail "the example is a stand-in?"
fi

# Refusals: exit 2, and the path left as it was.
cp "$kat" "$tmp/in.kat"
expect 2 "$KAUDIT" report "$tmp/in.kat" -o "$tmp/in.kat"
cmp -s "$kat" "$tmp/in.kat" || fail "output = input: the trace was changed"
ln "$tmp/in.kat" "$tmp/link.kat"
expect 2 "$KAUDIT" report "$tmp/in.kat" -o "$tmp/link.kat"
cmp -s "$kat" "$tmp/link.kat" || fail "output = a hard link of the input: changed"
mkdir "$tmp/dir"
expect 2 "$KAUDIT" report "$kat" -o "$tmp/dir"
[ -d "$tmp/dir" ] || fail "output a directory: it is gone"
mkfifo "$tmp/fifo" || fail "mkfifo"
expect 2 "$KAUDIT" report "$kat" -o "$tmp/fifo"
[ -p "$tmp/fifo" ] || fail "output a fifo: it is gone"
expect 2 "$KAUDIT" report "$kat" -o /dev/null
[ -c /dev/null ] || fail "output /dev/null: it is not a device any more"
# A link to a regular file is followed (util/outfile.h): the file it names
# gets the report, the link stays a link.
cp "$tmp/r.md" "$tmp/sym-target.md"
ln -s "$tmp/sym-target.md" "$tmp/sym.html"
expect 0 "$KAUDIT" report "$kat" -o "$tmp/sym.html"
[ -L "$tmp/sym.html" ] || fail "output a symlink: the link was replaced"
has "$tmp/sym-target.md" '<svg' "symlink target gets the report"
ln -s "$tmp/nowhere" "$tmp/dangling.html"
expect 2 "$KAUDIT" report "$kat" -o "$tmp/dangling.html"
[ -L "$tmp/dangling.html" ] || fail "output a dangling link: it was replaced"
expect 2 "$KAUDIT" report "$kat"
expect 2 "$KAUDIT" report "$tmp/nonexistent.kat" -o "$tmp/x.html"
[ -e "$tmp/x.html" ] && fail "a failed report left its output"
# A regular file is replaced (the refusals above are not blanket ones).
echo old > "$tmp/old.html"
expect 0 "$KAUDIT" report "$kat" -o "$tmp/old.html"
has "$tmp/old.html" 'layernorm_f16' "replaced regular file"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# Chromium: the page renders (not one colour) and logs no console message.
if ! command -v chromium >/dev/null; then
	[ "${CI:-}" = true ] && fail "chromium is required in CI"
	echo "report: SKIP the Chromium render (no chromium)"
	exit 0
fi
mkdir -p "$tmp/home"
render() { # render NAME HTML ARGS...: stderr in $tmp/NAME.log
	n=$1 f=$2
	shift 2
	HOME="$tmp/home" timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/home/$n" --enable-logging=stderr --v=0 \
		--window-size=1200,1600 "$@" "file://$f" 2> "$tmp/$n.log" ||
		{ tail -n 20 "$tmp/$n.log"; fail "chromium failed on $f"; }
}
render shot "$html" --screenshot="$tmp/shot.png"
[ -s "$tmp/shot.png" ] || fail "chromium wrote no screenshot"
colours=$("$BUILD/tools/png_colors" "$tmp/shot.png" | cut -d' ' -f2) || fail "png_colors"
[ "$colours" -gt 50 ] || fail "the screenshot is blank ($colours colours)"
grep -E 'CONSOLE|Uncaught' "$tmp/shot.log" && fail "the example page logged to the console"
render dom "$hostile" --dump-dom > "$tmp/dom.html"
has "$tmp/dom.html" 'case 1 &lt;script&gt;document.title' "DOM of the hostile page"
grep -qiE '<(script|img)' "$tmp/dom.html" && fail "hostile: the DOM holds a script or img element"
grep -E 'CONSOLE|Uncaught' "$tmp/dom.log" && fail "the hostile page logged to the console"
[ -n "${KAUDIT_REPORT_SHOT:-}" ] && cp "$tmp/shot.png" "$KAUDIT_REPORT_SHOT"
echo "report: ok ($colours colours in the screenshot)"
