#!/usr/bin/env bash
# Proves CORS (API.md section 6) and the web explorer (section 13) in a real
# browser: Debian's chromium, headless, driven by playwright-core from node's
# built-in test runner; axe-core checks the explorer's accessibility.
#
#   tests/browser/run.sh [path/to/readoutd]     (default: build/readoutd)
#
# Builds nothing. Installs what is missing: the Debian packages chromium (and
# nodejs and npm), and playwright-core into tests/browser/node_modules (no
# browser download) and axe-core into tests/browser/node_modules. cors.test.mjs
# starts readoutd on a temporary database with --sample-data, two static page
# servers (one origin allowed, one not), the browser, and stops them all;
# explorer.test.mjs starts its own readoutd with --sample-data and drives
# /explore/. Everything listens on
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

# The versions package.json pins (playwright-core, axe-core); never a
# browser download.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
want=$(node -p "require('$here/package.json').devDependencies['playwright-core']")
if ! (cd "$here" && node -e '
	const want = require("./package.json").devDependencies;
	for (const [name, version] of Object.entries(want))
		if (require(`./node_modules/${name}/package.json`).version !== version) process.exit(1);
' 2>/dev/null); then
	echo "run.sh: npm install (package.json's pinned versions)"
	(cd "$here" && timeout 600 npm install --include=dev --no-save --no-package-lock --no-audit --no-fund \
		--loglevel=error)
fi

echo "run.sh: $("$chromium" --version 2>/dev/null || echo chromium), node $(node --version)," \
	"playwright-core $want, readoutd $readoutd"
cd "$here"
# EXPLORER_SCREENSHOT=path (relative to the repository) refreshes the
# README's picture of the explorer.
shot=${EXPLORER_SCREENSHOT:-}
if [ -n "$shot" ]; then
	case $shot in /*) ;; *) shot=$root/$shot ;; esac
fi
# The tests bound each wait themselves; this bounds the whole run.
READOUTD=$readoutd CHROMIUM=$chromium EXPLORER_SCREENSHOT=$shot timeout --kill-after=15 600 \
	node --test --test-concurrency=1 --test-reporter=spec cors.test.mjs explorer.test.mjs
