# testlib.sh - what the shell tests share (source it after setting $tmp,
# the test's scratch directory, and defining fail()):
#   expect CODE CMD...    runs CMD (stdout to $tmp/out, stderr to $tmp/err),
#                         fails unless it exits CODE or if a sanitizer
#                         reported anything (make asan runs the same tests)
#   has FILE STRING WHAT / lacks FILE STRING WHAT   fixed strings in FILE
expect() {
	want=$1
	shift
	"$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $got, wanted $want"; }
	! grep -q -e 'runtime error' -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
		"$tmp/err" || { cat "$tmp/err"; fail "'$*': a sanitizer reported"; }
}
has() { grep -qF -- "$2" "$1" || fail "$3: $1 has no '$2'"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$3: $1 has '$2'"; }
