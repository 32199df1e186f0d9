attack=interpose
. "$(dirname "$0")/../attacks/lib.sh"
# ---- the attacks: symbols named like kaudit's ----
c=$tmp/claim
build_so "$c/honest.so" honest
build_so "$c/interpose.so" interpose
{
	manifest_head "Scale, with an xmalloc of its own"
	kernel honest 100 ref_scale honest.so fast_scale
	kernel interpose 100 ref_scale interpose.so
} >"$c/claim.yaml"
verify interpose claim/claim.yaml --timeout 20
t=$tmp/interpose.kat
[ "$rc" = 0 ] || fail "interpose: verify exit $rc, want 0: $(tail -n 3 "$tmp/interpose.err" | tr '\n' ' ')"
if trace_ok interpose "$t"; then
	want_verdict "honest pair" "$t" 0 reproduced
	if [ "$(verdict 1 "$t")" != reproduced ]; then
		# The candidate's answer is off by 16 * MASK (interpose.c).
		err=$(jq -r 'select(.type == "check" and .case == 1 and .kind == "compare") | .max_abs' \
			"$t.jsonl" | sort -n | tail -n 1)
		mask=$(awk -v e="${err:-0}" 'BEGIN { printf "%d", e / 16 + 0.5 }')
		what=
		[ $((mask & 1)) = 0 ] || what="$what xmalloc;"
		[ $((mask & 2)) = 0 ] || what="$what record_emit;"
		[ $((mask & 4)) = 0 ] || what="$what errbuf_set;"
		[ $((mask & 8)) = 0 ] || what="$what record_encode_line reachable;"
		fail "an honest candidate defining xmalloc/record_emit/errbuf_set: case 1 verdict" \
			"'$(verdict 1 "$t")', want reproduced (kaudit's bound in its place:$what max_abs $err)"
	fi
	no_leak "interpose: trace" "$t.jsonl" "$t.strings"
fi
no_leak "interpose: output" "$tmp/interpose.out" "$tmp/interpose.err"
no_survivors interpose

# The executable exports nothing of kaudit's own (no -rdynamic): a loaded
# object can neither be bound to kaudit's functions nor call them.
if command -v nm >/dev/null 2>&1; then
	nm -D --defined-only "$KAUDIT" 2>/dev/null | awk '{ print $NF }' >"$tmp/exports"
	internal=$(grep -E '^(record_|claim_|trace_|detect_|audit_|build_|run_|verify_|cli_|cmd_|report_|plan_|sandbox_|rng_|stats_|xmalloc|xcalloc|xrealloc|xstrdup|xstrndup|xgrow|errbuf_|sha256_|read_file|write_all|utc_now|json_)' \
		"$tmp/exports" || true)
	[ -z "$internal" ] ||
		fail "kaudit exports $(echo "$internal" | wc -l) internal symbols, e.g. $(echo "$internal" | head -n 8 | tr '\n' ' ')"
else
	echo "note: no nm: the export check is skipped"
fi
finish attack_interpose
