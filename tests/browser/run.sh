#!/usr/bin/env bash
# Proves CORS (API.md section 6) in a real browser: Debian's chromium,
# headless, driven by playwright-core from node's built-in test runner.
#
#   tests/browser/run.sh [path/to/readoutd]     (default: build/readoutd)
#
# Builds nothing. Installs what is missing: the Debian packages chromium (and
# nodejs and npm), and playwright-core into tests/browser/node_modules (no
# browser download). The test itself (cors.test.mjs) starts readoutd on a
# temporary database with --sample-data, two static page servers (one origin
# allowed, one not), the browser, and stops them all. Everything listens on
# 127.0.0.1 only. Exits non-zero on any failure; every step is time-bounded.
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
readoutd=$(realpath "$readoutd")

chromium=${CHROMIUM:-/usr/bin/chromium}

# Debian packages, only the missing ones.
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"
[ -x "$chromium" ] || readout_install chromium
readout_install_node
[ -x "$chromium" ] || { echo "run.sh: $chromium is missing after install" >&2; exit 2; }

# playwright-core at the version package.json pins; never a browser download.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
want=$(node -p "require('$here/package.json').devDependencies['playwright-core']")
have=$(node -p "try { require('$here/node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$have" != "$want" ]; then
	echo "run.sh: installing playwright-core $want"
	(cd "$here" && timeout 600 npm install --include=dev --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error)
fi

echo "run.sh: $("$chromium" --version 2>/dev/null || echo chromium), node $(node --version)," \
	"playwright-core $want, readoutd $readoutd"
cd "$here"
# The test bounds each wait itself; this bounds the whole run.
READOUTD=$readoutd CHROMIUM=$chromium timeout --kill-after=15 300 \
	node --test --test-reporter=spec cors.test.mjs
