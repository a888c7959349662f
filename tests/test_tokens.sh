#!/usr/bin/env bash
# Tokens of a running readoutd (API.md section 10): what a bad token file
# says at start, SIGHUP rotation (the old token refused, the new one
# accepted), a broken or missing file keeping the tokens in use with one
# error line, the request log naming the token and never its secret, and
# rotation under load: concurrent writers and readers while the file is
# replaced and re-read again and again. Usage: test_tokens.sh PATH-TO-READOUTD
# (meson passes the built binary).
set -u

READOUTD=${1:?usage: test_tokens.sh PATH-TO-READOUTD}

# shellcheck source=tests/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
checks_scratch tokens

ALPHA=alpha-secret-0123456789
BETA=beta-secret-0123456789
READER=reader-secret-0123456789
STABLE=stable-secret-0123456789
OLD=old-secret-0123456789
NEW=new-secret-0123456789
GHOST=ghost-secret-0123456789
SECRETS_RE='secret-0123456789'

# The database of a server: a file here, or a database of its own on the
# test run's PostgreSQL cluster (READOUT_TEST_DB=postgres).
db_for() {
	if [ "${READOUT_TEST_DB:-sqlite}" = postgres ] && [ -n "${READOUT_TEST_PG:-}" ]; then
		psql -X -q -v ON_ERROR_STOP=1 -h "$READOUT_TEST_PG" -p 5432 -U postgres -d postgres \
			-c "DROP DATABASE IF EXISTS tokens_$1 WITH (FORCE)" \
			-c "CREATE DATABASE tokens_$1 OWNER readout" >/dev/null
		echo "postgresql:///tokens_$1?host=$READOUT_TEST_PG&port=5432&user=readout"
	else
		echo "$WORK/$1.db"
	fi
}

# Replaces the token file as a user (or a configuration tool) would: the
# whole new file written beside it, then renamed over it.
write_tokens() {
	printf '%s\n' "$@" >"$TOKENS.tmp"
	mv "$TOKENS.tmp" "$TOKENS"
}

# Starts readoutd with the arguments; sets SERVER_PID and PORT, its stderr
# in $WORK/server.err.
start_server() {
	"$READOUTD" --port 0 --threads 4 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
	SERVER_PID=$!
	PORT=
	for _ in $(seq 1 100); do
		PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.out")
		[ -n "$PORT" ] && break
		sleep 0.1
	done
	[ -n "$PORT" ]
}

stop_server() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_PID=
}

# code TOKEN METHOD PATH [BODY]: prints the status of one request (TOKEN ""
# for none).
code() {
	local args=(-s -o /dev/null -w '%{http_code}' --max-time 10 -X "$2")
	[ -n "$1" ] && args+=(-H "Authorization: Bearer $1")
	[ $# -gt 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}" "http://127.0.0.1:$PORT$3"
}

n=0
# post TOKEN: the status of a new participant's creation.
post() {
	n=$((n + 1))
	code "$1" POST /v1/participants "{\"name\":\"Rotation $n\"}"
}

# Sends SIGHUP and waits (2 s at most) for the line the reload logs; prints
# the lines logged meanwhile.
hup() {
	local before
	before=$(grep -c 'SIGHUP' "$WORK/server.err")
	kill -HUP "$SERVER_PID"
	for _ in $(seq 1 40); do
		[ "$(grep -c 'SIGHUP' "$WORK/server.err")" -gt "$before" ] && break
		sleep 0.05
	done
	sleep 0.05 # a second line, if any, would be there by now
	grep -v '^{"time"' "$WORK/server.err" | grep 'SIGHUP' | tail -n +$((before + 1))
}

# ---- start-up refusals ----
err=$("$READOUTD" --port 0 --db "$WORK/x.db" --token short-token 2>&1 >/dev/null)
rc=$?
check "a --token under 16 bytes is refused at start (rc=$rc)" [ "$rc" -eq 2 ]
check "the refusal is one line naming --token ($(echo "$err" | head -1))" \
	[ "$(echo "$err" | head -1 | grep -c '^readoutd: --token: .*at least 16')" -eq 1 ]
TOKENS=$WORK/tokens
write_tokens "# tokens" "alpha write $ALPHA" "beta read short-token"
err=$("$READOUTD" --port 0 --db "$WORK/x.db" --token-file "$TOKENS" 2>&1 >/dev/null)
rc=$?
check "a short token in the file is refused at start (rc=$rc)" [ "$rc" -eq 2 ]
check "the refusal names the file and the line ($(echo "$err" | head -1))" \
	[ "$(echo "$err" | head -1 | grep -cF "readoutd: --token-file $TOKENS line 3: ")" -eq 1 ]
for bad in "Alpha write $ALPHA" "alpha write,delete $ALPHA" "alpha $ALPHA" \
	"alpha write $ALPHA"$'\n'"alpha read $BETA" "alpha write $ALPHA"$'\n'"beta read $ALPHA"; do
	write_tokens "$bad"
	err=$("$READOUTD" --port 0 --db "$WORK/x.db" --token-file "$TOKENS" 2>&1 >/dev/null)
	rc=$?
	check "refused at start: $(echo "$bad" | tr '\n' '|' | sed "s/$SECRETS_RE/.../g") (rc=$rc)" \
		[ "$rc" -eq 2 ]
	check "  ... with a message that holds no secret" \
		[ "$(echo "$err" | grep -c "$SECRETS_RE")" -eq 0 ]
done

# ---- rotation with SIGHUP ----
write_tokens "# the first set" "alpha write,admin $ALPHA" "reader read $READER"
check "readoutd starts on a token file" start_server --db "$(db_for rotate)" --token-file "$TOKENS"
if [ -n "$PORT" ]; then
	check "no warning about missing tokens" [ "$(grep -c 'no write token' "$WORK/server.err")" -eq 0 ]
	check "alpha writes (201)" [ "$(post "$ALPHA")" = 201 ]
	check "reader may not write (403)" [ "$(post "$READER")" = 403 ]
	check "beta is unknown (401)" [ "$(post "$BETA")" = 401 ]

	write_tokens "# rotated: alpha out, beta in" "beta write $BETA" "reader read $READER"
	lines=$(hup)
	check "the reload logs one line with the number of tokens ($lines)" \
		[ "$(echo "$lines" | wc -l)" -eq 1 -a "$(echo "$lines" | grep -c "re-read $TOKENS: 2 tokens")" -eq 1 ]
	check "after SIGHUP beta writes (201)" [ "$(post "$BETA")" = 201 ]
	check "after SIGHUP alpha is refused (401)" [ "$(post "$ALPHA")" = 401 ]
	check "beta may not import (403: write, not admin)" \
		[ "$(code "$BETA" POST /v1/import '{"format":"readout/1"}')" = 403 ]

	write_tokens "beta write $BETA" "gamma write"
	lines=$(hup)
	check "a file that no longer parses logs exactly one error line ($lines)" \
		[ "$(echo "$lines" | wc -l)" -eq 1 ]
	check "  ... naming the file, the line and the problem" \
		[ "$(echo "$lines" | grep -cF "$TOKENS line 2: expected NAME SCOPES TOKEN")" -eq 1 ]
	check "  ... and the old set stays: beta writes (201)" [ "$(post "$BETA")" = 201 ]
	check "  ... alpha is still refused (401)" [ "$(post "$ALPHA")" = 401 ]

	mv "$TOKENS" "$TOKENS.away"
	lines=$(hup)
	check "a file that is gone logs exactly one error line ($lines)" \
		[ "$(echo "$lines" | wc -l)" -eq 1 -a "$(echo "$lines" | grep -cF "$TOKENS")" -eq 1 ]
	check "  ... and the old set stays: beta writes (201)" [ "$(post "$BETA")" = 201 ]
	rm -f "$TOKENS.away"

	write_tokens "alpha write,admin $ALPHA"
	lines=$(hup)
	check "a good file again is taken ($lines)" [ "$(echo "$lines" | grep -c ': 1 token in use')" -eq 1 ]
	check "  ... alpha writes again (201)" [ "$(post "$ALPHA")" = 201 ]
	check "  ... beta is gone (401)" [ "$(post "$BETA")" = 401 ]
	check "  ... alpha imports (200)" [ "$(code "$ALPHA" POST /v1/import '{"format":"readout/1"}')" = 200 ]

	stop_server
	check "the log names the actor of an authenticated request" \
		grep -q '"method":"POST","path":"/v1/participants","actor":"beta","status":201' "$WORK/server.err"
	check "the log names the actor of a refused one" \
		grep -q '"path":"/v1/participants","actor":"reader","status":403' "$WORK/server.err"
	check "a request without a valid token has no actor" \
		grep -q '"method":"POST","path":"/v1/participants","status":401' "$WORK/server.err"
	check "no secret anywhere in the server's output" \
		[ "$(cat "$WORK/server.err" "$WORK/server.out" | grep -c "$SECRETS_RE")" -eq 0 ]
fi

# ---- a private server without any token says so ----
check "readoutd --private starts without a token" start_server --db "$(db_for bare)" --private
if [ -n "$PORT" ]; then
	check "  ... and warns that every /v1/ request will be refused" \
		grep -q 'every /v1/ request will be refused' "$WORK/server.err"
	check "  ... GET /v1/meetings is 401" [ "$(code "" GET /v1/meetings)" = 401 ]
	check "  ... GET /healthz is 200" [ "$(code "" GET /healthz)" = 200 ]
	lines=$(hup)
	check "  ... SIGHUP without a token file says so in one line" [ "$(echo "$lines" | wc -l)" -eq 1 ]
	stop_server
fi

# ---- rotation under load ----
# Two sets take turns: stable and old, then stable and new. The stable
# token is in both, so it is never refused; old and new are each in one of
# them, so they are let in or refused (401) by whichever set a request
# began with; ghost is in neither. A private server, so reads need a token
# too.
SET_A=("# set A" "stable write $STABLE" "old write $OLD")
SET_B=("# set B" "stable write $STABLE" "new write $NEW")
write_tokens "${SET_A[@]}"
ROTATIONS=30
check "readoutd --private starts for the load" \
	start_server --db "$(db_for load)" --token-file "$TOKENS" --private
if [ -n "$PORT" ]; then
	# worker KIND ID: requests until $WORK/stop exists, one "TOKEN CODE"
	# line each, cycling through the four tokens.
	worker() {
		local kind=$1 id=$2 i=0 names=(stable old new ghost)
		local secrets=("$STABLE" "$OLD" "$NEW" "$GHOST")
		while [ ! -e "$WORK/stop" ]; do
			local k=$((i % 4)) status
			if [ "$kind" = writer ]; then
				status=$(code "${secrets[$k]}" POST /v1/participants \
					"{\"name\":\"Load $id number $i\"}")
			else
				status=$(code "${secrets[$k]}" GET '/v1/meetings?limit=1')
			fi
			echo "${names[$k]} $status"
			i=$((i + 1))
		done >"$WORK/answers.$kind.$id"
	}
	for id in 1 2 3; do
		worker writer "$id" &
		BACKGROUND_PIDS+=($!)
		worker reader "$id" &
		BACKGROUND_PIDS+=($!)
	done
	sleep 0.3
	for r in $(seq 1 "$ROTATIONS"); do
		if [ $((r % 2)) -eq 1 ]; then
			write_tokens "${SET_B[@]}"
		else
			write_tokens "${SET_A[@]}"
		fi
		kill -HUP "$SERVER_PID"
		sleep 0.1
	done
	sleep 0.3
	touch "$WORK/stop"
	for pid in "${BACKGROUND_PIDS[@]}"; do
		wait "$pid"
	done
	BACKGROUND_PIDS=()
	cat "$WORK"/answers.* >"$WORK/load.all"
	summary=$(sort "$WORK/load.all" | uniq -c | tr -s ' ' | tr '\n' ';')
	total=$(wc -l <"$WORK/load.all")
	check "the load ran ($total requests: $summary)" [ "$total" -ge 200 ]
	check "never a 500 (nor any 5xx, nor a failed connection)" \
		[ "$(grep -cE ' (5..|000)$' "$WORK/load.all")" -eq 0 ]
	check "the token in both sets is never refused: every answer 2xx" \
		[ "$(grep '^stable ' "$WORK/load.all" | grep -cvE ' 2..$')" -eq 0 ]
	check "the token in neither set is always 401" \
		[ "$(grep '^ghost ' "$WORK/load.all" | grep -cv ' 401$')" -eq 0 ]
	check "a rotating token is 2xx or 401, nothing else" \
		[ "$(grep -E '^(old|new) ' "$WORK/load.all" | grep -cvE ' (2..|401)$')" -eq 0 ]
	check "the rotation was seen under load: old both let in and refused" \
		[ "$(grep -cE '^old 2..$' "$WORK/load.all")" -gt 0 -a "$(grep -c '^old 401$' "$WORK/load.all")" -gt 0 ]
	check "  ... and so was new" \
		[ "$(grep -cE '^new 2..$' "$WORK/load.all")" -gt 0 -a "$(grep -c '^new 401$' "$WORK/load.all")" -gt 0 ]
	reloads=$(grep -c 'SIGHUP: re-read' "$WORK/server.err")
	check "every SIGHUP re-read the file ($reloads of $ROTATIONS; signals may merge)" \
		[ "$reloads" -ge 1 -a "$reloads" -le "$ROTATIONS" ]
	check "no reload failed" [ "$(grep -c 'keeping the tokens in use' "$WORK/server.err")" -eq 0 ]
	# The last set written is set A (ROTATIONS is even).
	check "after the load, set A is in use: old writes" [ "$(post "$OLD")" = 201 ]
	check "  ... and new is refused" [ "$(post "$NEW")" = 401 ]
	stop_server
	check "the server stopped cleanly after the load" [ "$(grep -c 'shutting down' "$WORK/server.err")" -eq 1 ]
	check "no secret in the log of the load" \
		[ "$(cat "$WORK/server.err" "$WORK/server.out" | grep -c "$SECRETS_RE")" -eq 0 ]
fi

checks_end
