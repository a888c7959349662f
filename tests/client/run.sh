#!/usr/bin/env bash
# Proves that schema/openapi.json makes an exact TypeScript client: generates
# its types with openapi-typescript, compiles tour.ts (the README's curl tour
# through openapi-fetch, text fields used as strings) with tsc under `strict`,
# then runs it against readoutd started with --sample-data, so the types and
# the server agree.
#
#   tests/client/run.sh [path/to/readoutd]     (default: build/readoutd)
#
# Builds nothing. Installs what is missing: node and npm (scripts/deps.sh),
# and the versions package.json pins into tests/client/node_modules. The server
# listens on 127.0.0.1 on a free port, on a temporary database, and is stopped
# at the end. Prints "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

readoutd=${1:-$root/build/readoutd}
if [ ! -x "$readoutd" ] && [ -x "$root/$readoutd" ]; then
	readoutd=$root/$readoutd
fi
if [ ! -x "$readoutd" ]; then
	echo "run.sh: no readoutd at '$readoutd' (build it first, e.g. ninja -C build)" >&2
	exit 2
fi
readoutd=$(realpath "$readoutd") # the script changes directory below

# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
readout_install_node

cd "$here"
# The pinned packages, unless every one is there at its version already.
if ! node -e '
	const want = require("./package.json").devDependencies;
	for (const [name, version] of Object.entries(want))
		if (require(`./node_modules/${name}/package.json`).version !== version) process.exit(1);
' 2>/dev/null; then
	echo "run.sh: npm install (package.json's pinned versions)"
	timeout 600 npm install --include=dev --no-save --no-package-lock --no-audit --no-fund --loglevel=error
fi

# --default-non-nullable false: a field with a default is optional in a
# request body (the server fills it in), as the document says.
echo "run.sh: openapi-typescript schema/openapi.json -> api.d.ts"
node_modules/.bin/openapi-typescript "$root/schema/openapi.json" --default-non-nullable false \
	-o api.d.ts
echo "run.sh: tsc (strict) tour.ts"
rm -rf out
node_modules/.bin/tsc -p .

work=$(mktemp -d "${TMPDIR:-/tmp}/readout-client-XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

token=client-test-token-$$-$RANDOM
"$readoutd" --bind 127.0.0.1 --port 0 --db "$work/readout.db" --sample-data --token "$token" \
	--threads 2 >"$work/server.out" 2>"$work/server.err" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "run.sh: readoutd did not start" >&2
	cat "$work/server.err" >&2
	exit 1
fi

echo "run.sh: node $(node --version) out/tour.js against $readoutd on port $port"
READOUT_URL=http://127.0.0.1:$port READOUT_TOKEN=$token timeout --kill-after=10 120 node out/tour.js
