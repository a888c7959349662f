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

# checks_scratch NAME: a scratch directory in WORK, removed at exit together
# with what the suite left running: the server (SERVER_PID) and background
# jobs (BACKGROUND_PIDS).
checks_scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/readout-$1-XXXXXX")
	SERVER_PID=
	BACKGROUND_PIDS=()
	trap checks_cleanup EXIT
}
checks_cleanup() {
	local pid
	for pid in "${BACKGROUND_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
