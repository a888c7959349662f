# Sourced by the shell test suites: counts checks and prints one line each
# ("ok - ..." or "FAIL - ..."); checks_end prints "N passed, M failed" and
# returns non-zero when any failed.
# shellcheck shell=bash
passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}
# fail DESCRIPTION [DETAIL]
fail() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	if [ $# -gt 1 ]; then
		printf '    %s\n' "$2"
	fi
}
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc"
	fi
}
checks_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
