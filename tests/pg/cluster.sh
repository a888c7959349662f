#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, one per test run.
#
#   tests/pg/cluster.sh start [--fsync] DIR   create (first time) and start;
#                                             prints the libpq URI on stdout
#   tests/pg/cluster.sh restart [--immediate] DIR
#   tests/pg/cluster.sh halt DIR              stop, keep DIR (start resumes it)
#   tests/pg/cluster.sh stop DIR              stop and remove DIR
#   tests/pg/cluster.sh uri DIR               print the URI again
#
# The server listens on a Unix socket in DIR only (listen_addresses=''), so no
# TCP port can collide. PostgreSQL refuses to run as root: under root the
# cluster belongs to the `postgres` user of the Debian package and runs
# through runuser; otherwise it runs as the calling user. The database
# `readout` belongs to the role `readout`, which is not a superuser (what
# readoutd connects as). Durability is off unless --fsync is given (crash
# tests want it on). Every command is idempotent.
set -euo pipefail

usage() {
	echo "usage: $0 start [--fsync] DIR | restart [--immediate] DIR | halt DIR | stop DIR | uri DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
command=$1
shift
fsync=off
stop_mode=fast
while [ $# -gt 1 ]; do
	case $1 in
	--fsync) fsync=on ;;
	--immediate) stop_mode=immediate ;;
	*) usage ;;
	esac
	shift
done
dir=$1
[[ $dir == /* ]] || dir=$PWD/$dir
dir=${dir%/}
data=$dir/data
marker=$dir/.readout-cluster
# The socket file's path must fit in sun_path (107 bytes).
if [ $((${#dir} + 17)) -gt 107 ]; then
	echo "cluster.sh: $dir is too long a path for a Unix socket" >&2
	exit 2
fi

if [ "$command" = start ]; then
	# shellcheck source=scripts/deps.sh disable=SC1091 # sourced by path from the script's own directory
	. "$(dirname "$0")/../../scripts/deps.sh"
	readout_install "${READOUT_PG_PACKAGES[@]}" >&2
fi
# Debian's binaries, never a wrapper that happens to be first on PATH.
bindir=$(/usr/bin/pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin

owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	if ! getent passwd "$owner" >/dev/null; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$owner"
	fi
fi

# Runs a command as the cluster's owner, from a directory it can read.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$owner" -- "$@")
	else
		"$@"
	fi
}

uri() {
	# Percent-encode everything but unreserved characters and slashes.
	local s=$dir out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	echo "postgresql:///readout?host=$out&port=5432&user=readout"
}

running() {
	[ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# The superuser's session, for setting up roles and databases.
admin_psql() {
	as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p 5432 -U postgres -d postgres
}

# Makes DIR a new cluster: initdb, then the settings. A marker file written
# first lets stop remove what a failed attempt left.
create() {
	if [ ! -f "$marker" ] && [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
		echo "cluster.sh: $dir exists, is not empty and holds no cluster of ours" >&2
		exit 1
	fi
	mkdir -p "$dir"
	touch "$marker"
	rm -rf "$data"
	chmod 700 "$dir"
	[ "$(id -u)" -ne 0 ] || chown "$owner:" "$dir" "$marker"
	if ! as_owner test -w "$dir"; then
		echo "cluster.sh: $owner cannot reach $dir (a parent directory is closed to it)" >&2
		exit 1
	fi
	if ! as_owner "$bindir/initdb" --pgdata="$data" --username=postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		exit 1
	fi
	# Settings the tests rely on; the durability ones are rewritten by start.
	as_owner tee -a "$data/postgresql.conf" >/dev/null <<-EOF

		# tests/pg/cluster.sh
		listen_addresses = ''
		unix_socket_directories = '$dir'
		unix_socket_permissions = 0700
		port = 5432
		max_connections = 200
		shared_buffers = 32MB
		logging_collector = off
		log_min_messages = warning
		include_if_exists = 'durability.conf'
	EOF
}

start() {
	[ -f "$data/PG_VERSION" ] || create
	as_owner tee "$data/durability.conf" >/dev/null <<-EOF
		fsync = $fsync
		synchronous_commit = $fsync
		full_page_writes = $fsync
	EOF
	if running; then
		as_owner "$bindir/pg_ctl" reload -D "$data" -s >/dev/null
	elif ! as_owner "$bindir/pg_ctl" start -D "$data" -l "$dir/server.log" -w -s >/dev/null; then
		cat "$dir/server.log" >&2
		exit 1
	fi
	# The role readoutd uses: it owns its database, and nothing more.
	admin_psql <<-'EOF'
		SELECT 'CREATE ROLE readout LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
			WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'readout') \gexec
		SELECT 'CREATE DATABASE readout OWNER readout'
			WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'readout') \gexec
	EOF
	uri
}

case $command in
start) start ;;
uri)
	[ -f "$marker" ] || { echo "cluster.sh: no cluster in $dir" >&2; exit 1; }
	uri
	;;
restart)
	[ -f "$marker" ] || { echo "cluster.sh: no cluster in $dir" >&2; exit 1; }
	if running; then
		as_owner "$bindir/pg_ctl" restart -D "$data" -l "$dir/server.log" -m "$stop_mode" -w -s >/dev/null
	else
		as_owner "$bindir/pg_ctl" start -D "$data" -l "$dir/server.log" -w -s >/dev/null
	fi
	;;
halt)
	if [ -f "$marker" ] && running; then
		as_owner "$bindir/pg_ctl" stop -D "$data" -m "$stop_mode" -w -s
	fi
	;;
stop)
	[ -e "$dir" ] || exit 0
	if [ ! -f "$marker" ]; then
		# Only an empty directory (made for us by the caller) is ours to remove.
		rmdir "$dir" 2>/dev/null || { echo "cluster.sh: $dir holds no cluster of ours" >&2; exit 1; }
		exit 0
	fi
	# The data goes next, so there is nothing to shut down cleanly for.
	if running; then
		as_owner "$bindir/pg_ctl" stop -D "$data" -m immediate -w -s
	fi
	rm -rf "$dir"
	;;
*) usage ;;
esac
