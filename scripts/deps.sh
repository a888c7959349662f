# Sourced by scripts/run and scripts/test: installs the Debian packages the
# build needs, and only those that are missing.
# shellcheck shell=bash
readout_install() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

READOUT_BUILD_PACKAGES=(gcc libc6-dev meson ninja-build pkg-config python3
	libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev)
READOUT_TEST_PACKAGES=(check libcurl4-openssl-dev sqlite3)
# The PostgreSQL backend and its tests: libpq to build against, the server for
# tests/pg/cluster.sh (on bookworm postgresql-15 holds unaccent and pg_trgm).
# shellcheck disable=SC2034 # used by tests/pg/cluster.sh
READOUT_PG_PACKAGES=(postgresql libpq-dev)
