#!/usr/bin/env bash
# Runs one fuzzer for a while: tests/fuzz/run.sh NAME SECONDS
# (NAME: search, tokenize, body, query or request, for build-fuzz/fuzz_NAME). Builds
# first (unless FUZZ_NO_BUILD=1, as run-all.sh sets after building once),
# starts from the checked-in seeds in tests/fuzz/corpus/NAME/ with the
# dictionary tests/fuzz/NAME.dict, keeps new inputs in a scratch directory
# (the seeds stay as checked in), and exits non-zero on any crash, leak,
# timeout or sanitizer report; a crashing input is saved as
# build-fuzz/NAME-crash-* (replay: build-fuzz/fuzz_NAME FILE).
set -euo pipefail
if [ $# -ne 2 ]; then
	echo "usage: $0 NAME SECONDS" >&2
	exit 2
fi
name=$1
seconds=$2
cd "$(dirname "$0")/../.."

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
	tests/fuzz/build.sh
fi
bin=build-fuzz/fuzz_$name
seeds=tests/fuzz/corpus/$name
dict=tests/fuzz/$name.dict
for f in "$bin" "$seeds" "$dict"; do
	if [ ! -e "$f" ]; then
		echo "run.sh: $f is missing" >&2
		exit 2
	fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Bodies, import documents and whole requests need room; texts do not.
case $name in
body | request) max_len=4096 ;;
*) max_len=1024 ;;
esac

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# The first directory receives new inputs; the seeds are only read. The
# server's own log lines (one JSON object per request or warning) are
# dropped from stderr; everything else, libFuzzer's and the sanitizers'
# reports included, passes through.
status=0
"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
	-dict="$dict" -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" "$work" "$seeds" \
	2> >(grep -v -E '^\{"(time|level)":' >&2) || status=$?
wait
exit "$status"
