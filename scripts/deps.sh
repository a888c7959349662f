# Sourced by every script that builds, tests or checks: the Debian packages
# each needs, and readout_install, which installs only those that are missing.
# Every program a script or test runs comes from one of these lists (coreutils,
# grep, sed, awk and diffutils are in every Debian, bookworm-slim included).
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

# node and npm: Debian's, unless a node (which brings its own npm) is there.
readout_install_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	readout_install nodejs npm
}

# scripts/run: the compiler, meson and the libraries (scripts/embed.py is python3).
READOUT_BUILD_PACKAGES=(gcc libc6-dev meson ninja-build pkg-config python3
	libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libpq-dev)
# scripts/test: Check and libcurl for the suites; tests/test_cli.sh and
# tests/crash.sh run curl, sqlite3 and python3 (a build package).
READOUT_TEST_PACKAGES=(check libcurl4-openssl-dev curl sqlite3)
# scripts/lint (git ls-files; redocly through npx: readout_install_node).
READOUT_LINT_PACKAGES=(git clang-format cppcheck)
# scripts/test-container and scripts/test-fresh (scripts/container.sh);
# runc is named so that apt does not pick crun, which refuses this machine's
# hybrid cgroups; git lists the files test-fresh copies into the container.
READOUT_CONTAINER_PACKAGES=(podman buildah debootstrap runc curl jq git)
# tests/fuzz/build.sh, with the build packages.
READOUT_FUZZ_PACKAGES=(clang libclang-rt-14-dev)
# bench/run, with the build packages when it builds readoutd itself.
READOUT_BENCH_PACKAGES=(wrk nginx-light curl gcc libc6-dev python3 libsqlite3-dev)
# The PostgreSQL backend and its tests: libpq to build against, the server for
# tests/pg/cluster.sh (on bookworm postgresql-15 holds unaccent and pg_trgm).
# shellcheck disable=SC2034 # used by tests/pg/cluster.sh
READOUT_PG_PACKAGES=(postgresql libpq-dev)
