#!/usr/bin/env bash
# Runs every fuzz harness for SECONDS each: tests/fuzz/run-all.sh SECONDS
# Builds once, then runs tests/fuzz/run.sh for each harness in turn (search,
# tokenize, body, query, request), prints per harness its result and the number of
# inputs it executed (libFuzzer's stat::number_of_executed_units), and exits
# non-zero when any of them failed (a crash, leak, timeout or sanitizer
# report; the crashing input is kept as build-fuzz/NAME-crash-*).
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 SECONDS" >&2
	exit 2
fi
seconds=$1
cd "$(dirname "$0")/../.."

tests/fuzz/build.sh
names=(search tokenize body query request)
declare -A result runs
failed=0
for name in "${names[@]}"; do
	echo "== fuzz_$name for ${seconds}s"
	log=build-fuzz/$name.log
	set +e
	FUZZ_NO_BUILD=1 tests/fuzz/run.sh "$name" "$seconds" 2>&1 | tee "$log" |
		grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
	code=${PIPESTATUS[0]}
	set -e
	if [ "$code" -eq 0 ]; then
		result[$name]=ok
	else
		result[$name]="FAILED($code)"
		failed=1
	fi
	runs[$name]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
done
echo "== fuzzing summary (${seconds}s each)"
for name in "${names[@]}"; do
	printf 'fuzz_%-8s %-6s %s executions\n' "$name" "${result[$name]}" "${runs[$name]:-?}"
done
exit "$failed"
