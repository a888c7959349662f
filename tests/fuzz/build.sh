#!/usr/bin/env bash
# Builds the libFuzzer harnesses into build-fuzz/ with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer (UB aborts, so libFuzzer sees it as a crash).
# Installs what it needs (clang and libFuzzer's runtime: Debian's clang and
# libclang-rt-14-dev, plus the server's build packages).
# Usage: tests/fuzz/build.sh
#
#   fuzz_search   the search text translation, run against FTS5
#   fuzz_tokenize the search tokenizer, its tsquery and snippets
#   fuzz_body     request-body decoding and validation, and the import
#   fuzz_query    cursors, {ref} segments and the rules of model/model.h
#   fuzz_request  raw bytes on a connection to the real server
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=scripts/deps.sh
. scripts/deps.sh
readout_install "${READOUT_FUZZ_PACKAGES[@]}" "${READOUT_BUILD_PACKAGES[@]}"
if ! command -v clang >/dev/null; then
	echo "build.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi
mkdir -p build-fuzz

# shellcheck disable=SC2054 # the commas belong to -fsanitize
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-D_DEFAULT_SOURCE -D_GNU_SOURCE -I server)

# fuzz_search: the search text translation, run against FTS5.
clang "${flags[@]}" server/model/*.c tests/fuzz/fuzz_search.c -lsqlite3 -lsodium -lm \
	-o build-fuzz/fuzz_search
echo "built build-fuzz/fuzz_search"

# fuzz_tokenize: the search tokenizer (model/tokenize.h) and what uses it.
clang "${flags[@]}" server/model/*.c tests/fuzz/fuzz_tokenize.c -lsodium -lm \
	-o build-fuzz/fuzz_tokenize
echo "built build-fuzz/fuzz_tokenize"

# The whole server (all but main.c) for the other harnesses: compiled once
# with the sanitizers and libFuzzer's coverage, then linked into each.
python3 scripts/embed.py --migrations build-fuzz/migrations.c migrations/sqlite/*.sql
python3 scripts/embed.py --migrations=store_pg build-fuzz/pg_migrations.c migrations/postgres/*.sql
python3 scripts/embed.py --documents build-fuzz/documents.c schema/openapi.json data/sample.json
python3 scripts/embed.py --web build-fuzz/explore_files.c web/*.html web/*.css web/*.svg web/*.js
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -n 1)
# shellcheck disable=SC2054
objflags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
	-D_DEFAULT_SOURCE -D_GNU_SOURCE -I server "-I$(pkg-config --variable=includedir libpq)"
	"-DREADOUT_VERSION=\"${version:-fuzz}\"")
sources=()
for f in server/*.c server/http/*.c server/api/*.c server/model/*.c server/store/*.c \
	build-fuzz/migrations.c build-fuzz/pg_migrations.c build-fuzz/documents.c \
	build-fuzz/explore_files.c; do
	[ "$f" = server/main.c ] || sources+=("$f")
done
rm -rf build-fuzz/obj
mkdir -p build-fuzz/obj
objects=()
for f in "${sources[@]}"; do
	objects+=("build-fuzz/obj/$(echo "${f%.c}" | tr / _).o")
done
# Two at a time (the machine has two cores): xargs appends SOURCE OBJECT.
# shellcheck disable=SC2016 # expanded by the inner bash
compile='n=$#; exec clang "${@:1:n-2}" -c "${@:n-1:1}" -o "${@:n:1}"'
for i in "${!sources[@]}"; do
	printf '%s\0%s\0' "${sources[$i]}" "${objects[$i]}"
done | xargs -0 -n 2 -P 2 bash -c "$compile" _ "${objflags[@]}"
libs=(-lmicrohttpd -ljansson -lsqlite3 -lpq -lsodium -lm -lpthread)
for name in body query request; do
	clang "${flags[@]}" "${objects[@]}" "tests/fuzz/fuzz_$name.c" "${libs[@]}" \
		-o "build-fuzz/fuzz_$name"
	echo "built build-fuzz/fuzz_$name"
done
