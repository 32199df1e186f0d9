# python_torch.sh - sourced by the tests of Python implementations after
# host_claim.sh: finds an interpreter with torch ($KAUDIT_PYTHON, python3,
# /usr/bin/python3), sets and exports $KAUDIT_PYTHON and sets $py; fails the
# test when there is none (.ci/run installs python3-torch).
py=
for cand in "${KAUDIT_PYTHON:-}" python3 /usr/bin/python3; do
	[ -n "$cand" ] || continue
	if "$cand" -c 'import torch' 2>/dev/null; then py=$cand; break; fi
done
[ -n "$py" ] || fail "no python3 with torch (apt-get install python3-torch; .ci/run does)"
KAUDIT_PYTHON=$py
export KAUDIT_PYTHON
