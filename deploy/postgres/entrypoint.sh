#!/bin/bash
# Entrypoint of deploy/postgres/Containerfile: first start makes the cluster,
# the role and the database; every start runs postgres in the foreground.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=readout}"
: "${POSTGRES_DB:=$POSTGRES_USER}"

log() { printf 'readout-postgres: %s\n' "$*" >&2; }

# Started as root: fix the ownership of the volume and the socket directory
# (a bind mount may arrive owned by root), then become postgres for good.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /run/postgresql
	chown postgres:postgres /run/postgresql
	[ "$(stat -c %U "$PGDATA")" = postgres ] || chown -R postgres:postgres "$PGDATA"
	chmod 0700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# Anything other than "postgres ...": run it (e.g. a shell for debugging).
if [ "${1:-postgres}" != postgres ]; then
	exec "$@"
fi
[ $# -gt 0 ] && shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ "$POSTGRES_USER" = postgres ]; then
		log "POSTGRES_USER must not be postgres: readoutd connects as a role that is not the superuser"
		exit 1
	fi
	if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
		POSTGRES_PASSWORD=$(head -n 1 "$POSTGRES_PASSWORD_FILE")
	fi
	if [ -z "${POSTGRES_PASSWORD:-}" ]; then
		log "POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) must be set to create the database"
		exit 1
	fi
	log "initialising a new cluster in $PGDATA"
	initdb --pgdata="$PGDATA" --username=postgres --auth-local=peer \
		--auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
		--no-instructions >/dev/null
	# TCP from anywhere on the container network, with a password; the
	# superuser only through the Unix socket inside the container.
	cat >"$PGDATA/pg_hba.conf" <<-'HBA'
		# deploy/postgres/entrypoint.sh
		local all         all          peer
		host  all         postgres     all  reject
		host  all         all          all  scram-sha-256
	HBA
	cat >>"$PGDATA/postgresql.conf" <<-'CONF'

		# deploy/postgres/entrypoint.sh
		listen_addresses = '*'
		password_encryption = scram-sha-256
		unix_socket_directories = '/run/postgresql'
		max_connections = 200
	CONF

	# A server on the Unix socket only, to create the role and the database.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
	psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres \
		-v user="$POSTGRES_USER" -v pw="$POSTGRES_PASSWORD" -v db="$POSTGRES_DB" <<-'SQL'
		CREATE ROLE :"user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
		CREATE DATABASE :"db" OWNER :"user";
	SQL
	pg_ctl -D "$PGDATA" -m fast -w -s stop
	log "created role $POSTGRES_USER and database $POSTGRES_DB"
fi

log "starting PostgreSQL $(postgres --version | awk '{print $3}')"
exec postgres -D "$PGDATA" "$@"
