#!/usr/bin/env bash
# Several readoutd instances on one PostgreSQL database. Usage:
# test_multi.sh PATH-TO-READOUTD (meson passes the built binary). Skipped
# (exit 77) unless READOUT_TEST_DB=postgres. Runs on the cluster scripts/test
# started (READOUT_TEST_PG), else starts its own and stops it at the end.
#   - four instances starting together on a new database migrate it once;
#   - two instances: a write on one is read on the other, If-Match and slug
#     races have one winner, a held writers' lock is a 503 within budget, a
#     halted cluster is 503 + Retry-After and service resumes by itself;
#   - four instances under concurrent writers, one killed with SIGKILL:
#     every acknowledged write is readable from a survivor, and the
#     survivors keep answering and writing;
#   - a follower walking the change feed across the instances during
#     writes sees every change once, in commit order; a long poll on one
#     instance answers a write through another at once;
#   - a PostgreSQL restart (immediate) under writers and readers on every
#     instance: each request is answered in time, with success or 503 +
#     Retry-After, never anything else; every instance serves again by
#     itself, and every acknowledged write is there.
# Every loop is bounded in count and time; only loopback and the cluster's
# Unix socket. Prints one line per check and "N passed, M failed"; exits
# non-zero when anything failed.
set -u

if [ "${READOUT_TEST_DB:-sqlite}" != postgres ]; then
	echo "skipped: multi-instance tests need READOUT_TEST_DB=postgres"
	exit 77
fi

READOUTD=${1:?usage: test_multi.sh PATH-TO-READOUTD}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${READOUT_SOURCE_DIR:-$HERE/..}
CLUSTER=$SRC/tests/pg/cluster.sh
TOKEN=multi-test-token-0123456789
WORK=$(mktemp -d "${TMPDIR:-/tmp}/readout-multi-XXXXXX")
PIDS=()      # readoutd instances and background loops, killed at exit
OWN_PG=      # the cluster this script started, if any
DATABASES=() # databases made here, dropped at exit
# Set by start_instance.
PORT_a='' PORT_b='' PORT_k1='' PORT_k2='' PORT_k3='' PORT_k4='' PID_k3=''
T0=$(date +%s%N)

[ -x "$READOUTD" ] || {
	echo "not executable: $READOUTD"
	exit 1
}

# shellcheck source=tests/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
elapsed() { echo "$((($(date +%s%N) - T0) / 1000000)) ms"; }
section() { echo "# $1 (at $(elapsed))"; }

# ---- the cluster ----
if [ -n "${READOUT_TEST_PG:-}" ]; then
	PG=$READOUT_TEST_PG
else
	PG=$(mktemp -d "${TMPDIR:-/tmp}/readout-multi-pg-XXXXXX")
	OWN_PG=$PG
	if ! "$CLUSTER" start "$PG" >/dev/null 2>"$WORK/cluster.err"; then
		cat "$WORK/cluster.err"
		echo "test_multi.sh: could not start a PostgreSQL cluster"
		rm -rf "$WORK"
		"$CLUSTER" stop "$PG" 2>/dev/null
		exit 1
	fi
fi

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	if [ -n "$OWN_PG" ]; then
		"$CLUSTER" stop "$OWN_PG" >/dev/null 2>&1
	else
		# The shared cluster: running again, durability as scripts/test set it.
		"$CLUSTER" start "$PG" >/dev/null 2>&1
		local db
		for db in "${DATABASES[@]}"; do
			pg_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
		done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

pg_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG" -p 5432 -U postgres -d postgres "$@"
}
pg_uri() { echo "postgresql:///$1?host=$PG&port=5432&user=readout"; }
pg_new() {
	DATABASES+=("$1")
	pg_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1 OWNER readout" >/dev/null 2>&1
}

# start_instance NAME DATABASE: starts readoutd, sets PORT_<NAME> and
# PID_<NAME> (PORT_<NAME> empty when it did not start within 10 s).
start_instance() {
	"$READOUTD" --db "$(pg_uri "$2")" --port 0 --token "$TOKEN" --threads 4 \
		>"$WORK/$1.out" 2>"$WORK/$1.err" &
	local pid=$! port=
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/$1.out")
		[ -n "$port" ] && break
		sleep 0.1
	done
	eval "PORT_$1=$port PID_$1=$pid"
}

# api METHOD PORT PATH [BODY [HEADER]]: prints the status; the body is in
# $WORK/api.body, the headers in $WORK/api.headers.
api() {
	curl -s -o "$WORK/api.body" -D "$WORK/api.headers" -w '%{http_code}' --max-time 10 -X "$1" \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		${5:+-H "$5"} ${4:+-d "$4"} "http://127.0.0.1:$2$3"
}

# wait_ready PORT: polls /readyz (at most 15 s); prints the last status.
wait_ready() {
	local code=000
	for _ in $(seq 1 150); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/readyz")
		[ "$code" = 200 ] && break
		sleep 0.1
	done
	echo "$code"
}

# writer NAME PORT MAX SECONDS: creates up to MAX participants through PORT
# for at most SECONDS, one at a time; appends "CODE SLUG RETRY-AFTER
# SECONDS-TAKEN" per request to $WORK/w.NAME. Slugs are NAME-N, unique
# across the run.
writer() {
	local name=$1 port=$2 max=$3 end i=0 line code took retry
	end=$(($(date +%s) + $4))
	while [ "$i" -lt "$max" ] && [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		line=$(curl -s -o /dev/null --max-time 10 -X POST \
			-w '%{http_code} %{time_total} %header{retry-after}' \
			-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			-d "{\"slug\":\"$name-$i\",\"name\":\"Writer $name number $i\"}" \
			"http://127.0.0.1:$port/v1/participants")
		read -r code took retry <<<"$line"
		echo "$code $name-$i ${retry:--} $took"
		[ -f "$WORK/stop" ] && break
	done >>"$WORK/w.$name"
}

# reader NAME PORT MAX SECONDS: lists participants through PORT; appends
# "CODE RETRY-AFTER SECONDS-TAKEN" per request to $WORK/r.NAME.
reader() {
	local name=$1 port=$2 max=$3 end i=0 line code took retry
	end=$(($(date +%s) + $4))
	while [ "$i" -lt "$max" ] && [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		line=$(curl -s -o /dev/null --max-time 10 \
			-w '%{http_code} %{time_total} %header{retry-after}' \
			-H "Authorization: Bearer $TOKEN" \
			"http://127.0.0.1:$port/v1/participants?limit=5")
		read -r code took retry <<<"$line"
		echo "$code ${retry:--} $took"
		[ -f "$WORK/stop" ] && break
		sleep 0.02
	done >>"$WORK/r.$name"
}

# acked FILE...: the slugs acknowledged with 201 in writer logs.
acked() { cat "$@" 2>/dev/null | awk '$1 == 201 {print $2}'; }
# count_acked FILE...
count_acked() { acked "$@" | wc -l; }

# all_readable PORT FILE...: every slug acknowledged in the writer logs is
# readable through PORT with the name that was sent (prints what is not).
all_readable() {
	local port=$1
	shift
	acked "$@" >"$WORK/acked.list"
	python3 - "$port" "$TOKEN" "$WORK/acked.list" <<'PY'
import http.client, json, sys
port, token, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
slugs = [l.strip() for l in open(path) if l.strip()]
bad = []
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for slug in slugs:
    conn.request("GET", "/v1/participants/" + slug,
                 headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    body = r.read()
    name, n = slug.rsplit("-", 1)
    ok = r.status == 200
    if ok:
        doc = json.loads(body)
        doc = doc.get("data", doc)
        ok = doc.get("name") == "Writer %s number %s" % (name, n)
    if not ok:
        bad.append("%s (%d)" % (slug, r.status))
if bad:
    print("    missing or wrong: " + " ".join(bad[:20]))
sys.exit(1 if bad or not slugs else 0)
PY
}

# stop_loops: asks the background loops to stop and waits for them.
stop_loops() {
	touch "$WORK/stop"
	local pid
	for pid in "$@"; do
		wait "$pid" 2>/dev/null
	done
	rm -f "$WORK/stop"
}

# ==== four instances starting together migrate a new database once ====
section "four instances migrating one database"
pg_new multi_race
pids=()
for i in 1 2 3 4; do
	"$READOUTD" export --db "$(pg_uri multi_race)" >"$WORK/race$i.out" 2>"$WORK/race$i.err" &
	pids+=($!)
done
race_ok=0
for pid in "${pids[@]}"; do
	wait "$pid" && race_ok=$((race_ok + 1))
done
check "four instances starting together all start ($race_ok of 4)" [ "$race_ok" -eq 4 ]
migrations=$(psql -X -A -t "$(pg_uri multi_race)" -c \
	'SELECT count(*) || '"' '"' || count(DISTINCT version) FROM schema_migrations')
check "and the migrations ran once ($migrations)" [ -n "$migrations" ] && [ "${migrations% *}" = "${migrations#* }" ]

# ==== two instances on one database ====
# A write on one is seen by the next read on the other (whose cache holds
# the older answer), If-Match races across them have exactly one winner,
# and so do creates of one slug.
section "two instances"
pg_new multi_two
start_instance a multi_two
start_instance b multi_two
check "two instances start on one database (ports ${PORT_a:-none} ${PORT_b:-none})" \
	[ -n "$PORT_a" ] && [ -n "$PORT_b" ]
if [ -n "$PORT_a" ] && [ -n "$PORT_b" ]; then
	api POST "$PORT_a" /v1/participants '{"name":"Shared Person"}' >/dev/null
	api GET "$PORT_b" /v1/participants/shared-person >/dev/null
	api GET "$PORT_b" /v1/participants/shared-person >/dev/null # cached now
	api PATCH "$PORT_a" /v1/participants/shared-person '{"title":"Envoy"}' >/dev/null
	api GET "$PORT_b" /v1/participants/shared-person >/dev/null
	check "a write on one instance is seen by the next read on the other" \
		grep -q '"title":"Envoy"' "$WORK/api.body"

	for round in 1 2 3; do
		api GET "$PORT_a" /v1/participants/shared-person >/dev/null
		etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$WORK/api.headers")
		api PATCH "$PORT_a" /v1/participants/shared-person "{\"title\":\"A$round\"}" \
			"If-Match: $etag" >"$WORK/race.a" &
		p1=$!
		api PATCH "$PORT_b" /v1/participants/shared-person "{\"title\":\"B$round\"}" \
			"If-Match: $etag" >"$WORK/race.b" &
		wait "$p1" $!
		codes=$(sort "$WORK/race.a" "$WORK/race.b" | tr '\n' ' ')
		check "If-Match racing on two instances: one 200, one 412 ($codes)" \
			[ "$codes" = "200 412 " ]

		api POST "$PORT_a" /v1/principles "{\"slug\":\"race-$round\",\"name\":\"Race A\"}" \
			>"$WORK/race.a" &
		p1=$!
		api POST "$PORT_b" /v1/principles "{\"slug\":\"race-$round\",\"name\":\"Race B\"}" \
			>"$WORK/race.b" &
		wait "$p1" $!
		codes=$(sort "$WORK/race.a" "$WORK/race.b" | tr '\n' ' ')
		check "one slug created on two instances at once: one 201, one 409 ($codes)" \
			[ "$codes" = "201 409 " ]
	done

	# Another session holds the writers' lock: a write waits for it no
	# longer than the request's budget (5 s) and is 503; reads go on.
	psql -X -q "$(pg_uri multi_two)" -c 'BEGIN' \
		-c 'SELECT pg_advisory_xact_lock(1380209495)' -c 'SELECT pg_sleep(8)' \
		-c 'COMMIT' >/dev/null 2>&1 &
	locker=$!
	sleep 0.5
	code=$(api GET "$PORT_b" /v1/participants/shared-person)
	check "a read while the writers' lock is held elsewhere is 200 ($code)" [ "$code" = 200 ]
	started=$(date +%s%N)
	code=$(api PATCH "$PORT_a" /v1/participants/shared-person '{"title":"Locked"}')
	took=$((($(date +%s%N) - started) / 1000000))
	check "a write waiting past its budget for the lock is 503 ($code after $took ms)" \
		[ "$code" = 503 ] && [ "$took" -lt 7000 ]
	wait "$locker"
	code=$(api PATCH "$PORT_a" /v1/participants/shared-person '{"title":"Unlocked"}')
	check "and once the lock is free, writes go through ($code)" [ "$code" = 200 ]

	# The server goes away and comes back: 503 with Retry-After while it
	# is down (at once, not a hang), then service resumes by itself.
	"$CLUSTER" halt "$PG"
	code=$(api GET "$PORT_a" /v1/participants/shared-person)
	check "while PostgreSQL is down a read is 503 ($code)" [ "$code" = 503 ]
	check "with Retry-After" grep -qi '^retry-after: ' "$WORK/api.headers"
	code=$(api GET "$PORT_a" /readyz)
	check "and /readyz is 503 ($code)" [ "$code" = 503 ]
	"$CLUSTER" start "$PG" >/dev/null 2>&1
	code=$(wait_ready "$PORT_a")
	check "once it is back, /readyz is 200 again ($code)" [ "$code" = 200 ]
	code=$(api PATCH "$PORT_b" /v1/participants/shared-person '{"title":"Back"}')
	check "and writes go through on the other instance ($code)" [ "$code" = 200 ]
fi
for n in a b; do
	eval "pid=\${PID_$n:-}"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
done

# ==== four instances, one killed with SIGKILL during writes ====
section "four instances, SIGKILL of one during writes"
pg_new multi_kill
NAMES=(k1 k2 k3 k4)
for n in "${NAMES[@]}"; do
	start_instance "$n" multi_kill
done
check "four instances start on one database (ports $PORT_k1 $PORT_k2 $PORT_k3 $PORT_k4)" \
	[ -n "$PORT_k1" ] && [ -n "$PORT_k2" ] && [ -n "$PORT_k3" ] && [ -n "$PORT_k4" ]
if [ -n "$PORT_k1" ] && [ -n "$PORT_k2" ] && [ -n "$PORT_k3" ] && [ -n "$PORT_k4" ]; then
	# Two writers per instance, each at most 150 writes in 8 s.
	loops=()
	for n in "${NAMES[@]}"; do
		eval "port=\$PORT_$n"
		writer "${n}a" "$port" 150 8 &
		loops+=($!)
		writer "${n}b" "$port" 150 8 &
		loops+=($!)
	done
	# The kill comes once k3 has acknowledged some writes (at most 5 s).
	for _ in $(seq 1 100); do
		[ "$(count_acked "$WORK/w.k3a" "$WORK/w.k3b")" -ge 10 ] && break
		sleep 0.05
	done
	sleep 0.$((RANDOM % 5))
	kill -9 "$PID_k3"
	wait "$PID_k3" 2>/dev/null
	killed_at=$(cat "$WORK"/w.k[124]? | wc -l)
	before_k3=$(count_acked "$WORK/w.k3a" "$WORK/w.k3b")
	sleep 1.5
	stop_loops "${loops[@]}"
	after_kill=$(($(cat "$WORK"/w.k[124]? | wc -l) - killed_at))
	total=$(count_acked "$WORK"/w.k*)
	check "the killed instance had acknowledged writes ($before_k3)" [ "$before_k3" -gt 0 ]
	check "the survivors went on writing after the kill ($after_kill requests)" [ "$after_kill" -gt 0 ]
	codes=$(cat "$WORK"/w.k[124]? | awk '{print $1}' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check "every write through a survivor was 201 ($codes)" \
		[ -z "$(cat "$WORK"/w.k[124]? | awk '$1 != 201')" ]
	codes=$(cat "$WORK"/w.k3? | awk '{print $1}' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check "writes through the killed instance were 201, then refused, never an error status ($codes)" \
		[ -z "$(cat "$WORK"/w.k3? | awk '$1 != 201 && $1 != "000"')" ]
	for n in k1 k2 k4; do
		eval "port=\$PORT_$n"
		check "every acknowledged write ($total) is readable through survivor $n" \
			all_readable "$port" "$WORK"/w.k*
	done
	for n in k1 k2 k4; do
		eval "port=\$PORT_$n"
		code=$(api POST "$port" /v1/participants "{\"slug\":\"after-kill-$n\",\"name\":\"After $n\"}")
		check "survivor $n still creates after the kill ($code)" [ "$code" = 201 ]
	done
	rows=$(psql -X -A -t "$(pg_uri multi_kill)" -c "SELECT count(*) FROM participants" 2>&1)
	check "the database holds at least the acknowledged writes ($rows >= $((total + 3)))" \
		[ "$rows" -ge $((total + 3)) ] 2>/dev/null
	# The killed instance's sessions end with it: nothing is left holding
	# a transaction open (their writes rolled back, the writers' lock free).
	open=
	for _ in $(seq 1 50); do
		open=$(pg_admin -A -t -c "SELECT count(*) FROM pg_stat_activity
			WHERE datname = 'multi_kill' AND state LIKE 'idle in transaction%'")
		[ "$open" = 0 ] && break
		sleep 0.1
	done
	check "no transaction is left open after the kill ($open)" [ "$open" = 0 ]
	# The replacement starts on the same database and sees everything.
	start_instance k3 multi_kill
	check "a new instance starts in place of the killed one (port ${PORT_k3:-none})" [ -n "$PORT_k3" ]
	[ -n "$PORT_k3" ] && check "and every acknowledged write is readable through it" \
		all_readable "$PORT_k3" "$WORK"/w.k*
fi

# ==== the change feed across instances ====
section "the change feed, followed across four instances during writes"
if [ -n "$PORT_k1" ] && [ -n "$PORT_k2" ] && [ -n "$PORT_k3" ] && [ -n "$PORT_k4" ]; then
	# A follower asks each instance in turn for the next small page while
	# two writers per instance create; it must see seq 1, 2, 3, ... once
	# each, in order, and in the end exactly the rows of the changes table.
	python3 - "$WORK/feed.out" "$PORT_k1" "$PORT_k2" "$PORT_k3" "$PORT_k4" <<'PY' &
import http.client, json, os, sys, time
out, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
since, expect, problems, seen, idle = 0, 1, [], [], 0
stop = os.path.join(os.path.dirname(out), "stop")
deadline = time.time() + 30
i = 0
while time.time() < deadline:
    port = ports[i % len(ports)]
    i += 1
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/v1/changes?since=%d&limit=13" % since)
    r = c.getresponse()
    doc = json.loads(r.read())
    if r.status != 200:
        problems.append("status %d on %d" % (r.status, port))
        break
    for ch in doc["data"]:
        if ch["seq"] != expect:
            problems.append("seq %d where %d was due (from %d)" % (ch["seq"], expect, port))
        expect = ch["seq"] + 1
        seen.append(ch["slug"])
    since = doc["next_since"]
    if doc["data"]:
        idle = 0
    else:
        idle += 1
        if os.path.exists(stop + ".feed") and idle > 8:
            break
        time.sleep(0.01)
with open(out, "w") as f:
    f.write("%d %d %s\n" % (expect - 1, len(set(seen)), "; ".join(problems[:5]) or "-"))
PY
	follower=$!
	PIDS+=("$follower")
	loops=()
	for n in "${NAMES[@]}"; do
		eval "port=\$PORT_$n"
		writer "feed${n}a" "$port" 60 6 &
		loops+=($!)
		writer "feed${n}b" "$port" 60 6 &
		loops+=($!)
	done
	for pid in "${loops[@]}"; do
		wait "$pid"
	done
	touch "$WORK/stop.feed"
	wait "$follower"
	rm -f "$WORK/stop.feed"
	read -r followed distinct problems <"$WORK/feed.out"
	rows=$(psql -X -A -t "$(pg_uri multi_kill)" -c "SELECT count(*), max(seq) FROM changes" 2>&1)
	check "the follower saw each change once, in commit order (${problems:-none})" [ "$problems" = - ]
	check "and every change the database holds ($followed of ${rows%|*}, max seq ${rows#*|})" \
		[ "$followed" = "${rows%|*}" ] && [ "$followed" = "${rows#*|}" ]
	# A long poll on one instance answers a write through another at once.
	since=$(psql -X -A -t "$(pg_uri multi_kill)" -c "SELECT last_seq FROM change_log" 2>&1)
	curl -s -o "$WORK/poll.body" -w '%{time_total}' --max-time 30 \
		"http://127.0.0.1:$PORT_k1/v1/changes?since=$since&wait=20" >"$WORK/poll.time" &
	poll=$!
	sleep 0.5
	t0=$(date +%s%N)
	code=$(api POST "$PORT_k2" /v1/participants '{"slug":"woken","name":"Woken"}')
	wait "$poll"
	t1=$(date +%s%N)
	woke=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["data"][0]["slug"] if d["data"] else "-")' "$WORK/poll.body" 2>&1)
	check "a long poll on k1 answers a write through k2 ($code, $woke, $(((t1 - t0) / 1000000)) ms after the write began)" \
		[ "$code" = 201 ] && [ "$woke" = woken ] && [ $(((t1 - t0) / 1000000)) -lt 1000 ]
	created=$(count_acked "$WORK"/w.feed*)
	feed_creates=$(psql -X -A -t "$(pg_uri multi_kill)" -c \
		"SELECT count(DISTINCT slug) FROM changes WHERE action = 'create' AND slug LIKE 'feed%'" 2>&1)
	check "one create per acknowledged write ($created acknowledged, $feed_creates in the feed)" \
		[ "$created" -gt 0 ] && [ "$created" = "$feed_creates" ]
fi

# ==== PostgreSQL restarted under load ====
# Durability on for this part: with synchronous_commit off an immediate
# shutdown may drop commits already reported to the client.
section "PostgreSQL restart (immediate) under load on four instances"
if [ -n "$PORT_k1" ] && [ -n "$PORT_k2" ] && [ -n "$PORT_k3" ] && [ -n "$PORT_k4" ]; then
	"$CLUSTER" start --fsync "$PG" >/dev/null 2>&1
	loops=()
	for n in "${NAMES[@]}"; do
		eval "port=\$PORT_$n"
		writer "r$n" "$port" 300 12 &
		loops+=($!)
		reader "$n" "$port" 400 12 &
		loops+=($!)
	done
	for _ in $(seq 1 100); do
		[ "$(count_acked "$WORK"/w.rk*)" -ge 20 ] && break
		sleep 0.05
	done
	before=$(count_acked "$WORK"/w.rk*)
	started=$(date +%s%N)
	"$CLUSTER" restart --immediate "$PG"
	restart_rc=$?
	took=$((($(date +%s%N) - started) / 1000000))
	check "the cluster restarts (immediate) under load (rc=$restart_rc, $took ms, $before writes acknowledged before)" \
		[ "$restart_rc" -eq 0 ]
	marks=()
	for n in "${NAMES[@]}"; do
		marks+=("$(wc -l <"$WORK/w.r$n")")
	done
	sleep 2
	stop_loops "${loops[@]}"
	cat "$WORK"/w.rk* >"$WORK/restart.writes"
	cat "$WORK"/r.k* >"$WORK/restart.reads"
	codes=$(awk '{print $1}' "$WORK/restart.writes" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check "during the restart every write was 201 or 503 ($codes)" \
		[ -z "$(awk '$1 != 201 && $1 != 503' "$WORK/restart.writes")" ]
	codes=$(awk '{print $1}' "$WORK/restart.reads" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check "and every read 200 or 503 ($codes)" \
		[ -z "$(awk '$1 != 200 && $1 != 503' "$WORK/restart.reads")" ]
	check "every 503 carried Retry-After" \
		[ -z "$(awk '$1 == 503 && $2 == "-"' "$WORK/restart.writes")$(awk '$1 == 503 && $2 == "-"' "$WORK/restart.reads")" ]
	slowest=$(cat "$WORK/restart.writes" "$WORK/restart.reads" | awk '{print $NF}' | sort -g | tail -1)
	check "no request hung: the slowest took ${slowest}s (curl gives up at 10 s)" \
		awk -v s="$slowest" 'BEGIN {exit !(s != "" && s < 9.5)}'
	# Each instance came back by itself: it acknowledged writes after the
	# restart returned, and answers /readyz and a new write now.
	i=0
	for n in "${NAMES[@]}"; do
		eval "port=\$PORT_$n"
		late=$(tail -n +"$((marks[i] + 1))" "$WORK/w.r$n" | awk '$1 == 201' | wc -l)
		i=$((i + 1))
		check "instance $n acknowledged writes after the restart ($late)" [ "$late" -gt 0 ]
		code=$(wait_ready "$port")
		check "instance $n is ready again by itself ($code)" [ "$code" = 200 ]
		code=$(api POST "$port" /v1/participants "{\"slug\":\"after-restart-$n\",\"name\":\"After $n\"}")
		check "instance $n creates again ($code)" [ "$code" = 201 ]
	done
	total=$(count_acked "$WORK"/w.*)
	for n in k1 k3; do
		eval "port=\$PORT_$n"
		check "every write acknowledged before, during and after ($total) is readable through $n" \
			all_readable "$port" "$WORK"/w.*
	done
	if [ -z "$OWN_PG" ]; then
		"$CLUSTER" start "$PG" >/dev/null 2>&1
	fi
fi
for n in "${NAMES[@]}"; do
	eval "pid=\${PID_$n:-}"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid"
		rc=$?
		check "instance $n stops with exit 0 on SIGTERM (rc=$rc)" [ "$rc" -eq 0 ]
	fi
done

# A sanitizer build reports to stderr without always changing the exit status.
reports=$(grep -lE 'runtime error|Sanitizer' "$WORK"/*.err 2>/dev/null | tr '\n' ' ')
check "no sanitizer report on any stderr (${reports:-none})" [ -z "$reports" ]

echo "# took $(elapsed)"
checks_end
