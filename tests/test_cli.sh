#!/usr/bin/env bash
# Command-line tests of readoutd: the import, export and backup subcommands,
# --version, --help and flag errors. Usage: test_cli.sh PATH-TO-READOUTD
# (meson passes the built binary). Prints "N passed, M failed"; exits non-zero
# when anything failed.
set -u

READOUTD=${1:?usage: test_cli.sh PATH-TO-READOUTD}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${READOUT_SOURCE_DIR:-$HERE/..}
SAMPLE=$SRC/data/sample.json
TOKEN=cli-test-token-0123456789

# shellcheck source=tests/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
checks_scratch cli

# Runs readoutd with the arguments; sets rc, and out/err to the files holding
# its stdout and stderr.
runs=0
run() {
	runs=$((runs + 1))
	out=$WORK/run$runs.out
	err=$WORK/run$runs.err
	"$READOUTD" "$@" >"$out" 2>"$err"
	rc=$?
}

# True when the export of database $1 is the empty document.
export_is_empty() {
	local db=$1
	"$READOUTD" export --db "$db" >"$WORK/empty.json" 2>"$WORK/empty.err" || return 1
	python3 - "$WORK/empty.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
want = {"format": "readout/1", "participants": [], "principles": [], "meetings": []}
sys.exit(0 if doc == want else 1)
EOF
}

# Prints "P R M": the numbers of participants, principles and meetings in the
# export document in file $1.
export_counts() {
	python3 - "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
print(len(doc["participants"]), len(doc["principles"]), len(doc["meetings"]))
EOF
}

[ -x "$READOUTD" ] || {
	echo "not executable: $READOUTD"
	exit 1
}
[ -r "$SAMPLE" ] || {
	echo "cannot read $SAMPLE"
	exit 1
}

# ---- import of a missing file ----
DB=$WORK/missing.db
run import "$WORK/no-such-file.json" --db "$DB"
check "import of a missing file exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
check "import of a missing file names it on stderr" grep -q "no-such-file.json" "$err"
check "import of a missing file leaves no records" export_is_empty "$DB"

# ---- import of a malformed file ----
DB=$WORK/malformed.db
printf '{"format":"readout/1","participants":[{"slug":"a","name":"A"},' >"$WORK/malformed.json"
run import "$WORK/malformed.json" --db "$DB"
check "import of malformed JSON exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
check "import of malformed JSON prints nothing on stdout" [ ! -s "$out" ]
check "import of malformed JSON leaves no records" export_is_empty "$DB"

# ---- import of a well-formed document with a bad reference ----
cat >"$WORK/badref.json" <<'EOF'
{"format":"readout/1",
 "participants":[{"slug":"someone","name":"Someone"}],
 "meetings":[{"slug":"m","title":"M","date":"2024-01-01",
              "participants":[{"slug":"nobody-at-all"}]}]}
EOF
run import "$WORK/badref.json" --db "$DB"
check "import of a document with a bad reference exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
check "the refusal names the pointer on stderr" grep -q '/meetings/0/participants/0/slug' "$err"
check "import of a document with a bad reference leaves no records" export_is_empty "$DB"

# ---- import of the sample ----
DB=$WORK/sample.db
run import "$SAMPLE" --db "$DB"
check "import of data/sample.json exits 0 (rc=$rc: $(head -c 300 "$err"))" [ "$rc" -eq 0 ]
check "import prints the counts" python3 - "$out" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
want = {"participants": {"created": 4, "updated": 0},
        "principles": {"created": 13, "updated": 0},
        "meetings": {"created": 3, "updated": 0}}
sys.exit(0 if got == want else 1)
EOF

# ---- export ----
run export --db "$DB"
check "export exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
cp "$out" "$WORK/export.json"
check "export prints a document of 4 participants, 13 principles, 3 meetings" \
	[ "$(export_counts "$WORK/export.json" 2>/dev/null)" = "4 13 3" ]
check "export holds what data/sample.json says" python3 - "$WORK/export.json" "$SAMPLE" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))
want = json.load(open(sys.argv[2], encoding="utf-8"))
read_only = {"id", "created_at", "updated_at", "version", "meeting_count",
             "first_meeting_date", "last_meeting_date", "invocation_count",
             "first_invoked_date"}
ok = got["format"] == "readout/1"
for kind in ("participants", "principles", "meetings"):
    g = [{k: v for k, v in e.items() if k not in read_only} for e in got[kind]]
    if g != want[kind]:
        print("    %s differ" % kind)
        ok = False
sys.exit(0 if ok else 1)
EOF
# The export is itself an import document: it goes into another database.
run import "$WORK/export.json" --db "$WORK/copy.db"
check "the export imports into an empty database (rc=$rc)" [ "$rc" -eq 0 ]
"$READOUTD" export --db "$WORK/copy.db" >"$WORK/copy.json" 2>"$WORK/copy.err"
check "export, import, export gives the same document apart from ids" \
	[ "$(sed -E 's/\{"id":[0-9]+,/{/g' "$WORK/export.json")" = \
	  "$(sed -E 's/\{"id":[0-9]+,/{/g' "$WORK/copy.json")" ]
# An import merges the search indexes into one piece (FTS5 segments),
# however many the writes before it left.
run import "$WORK/export.json" --db "$WORK/copy.db"
check "a second import of the same document exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
for t in meetings participants principles; do
	check "after two imports, ${t}_fts is one segment" \
		[ "$(sqlite3 "$WORK/copy.db" "SELECT count(DISTINCT segid) FROM ${t}_fts_idx" 2>&1)" = 1 ]
done
# Import from standard input.
"$READOUTD" import - --db "$WORK/stdin.db" <"$SAMPLE" >/dev/null 2>"$WORK/stdin.err"
rc=$?
"$READOUTD" export --db "$WORK/stdin.db" >"$WORK/stdin.json" 2>"$WORK/stdin-export.err"
check "import - reads standard input (rc=$rc)" \
	[ "$rc" -eq 0 -a "$(export_counts "$WORK/stdin.json" 2>/dev/null)" = "4 13 3" ]

# ---- backup while a server writes to the same database ----
"$READOUTD" --db "$DB" --port 0 --token "$TOKEN" --threads 2 \
	>"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 1 100); do
	PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.out")
	[ -n "$PORT" ] && break
	sleep 0.1
done
check "the server starts on the database (port ${PORT:-none})" [ -n "$PORT" ]

WRITERS=3
WRITES=60
writer() {
	local w=$1
	for i in $(seq 1 "$WRITES"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -X POST \
			-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			-d "{\"name\":\"Writer $w number $i\"}" \
			"http://127.0.0.1:$PORT/v1/participants"
	done >"$WORK/writer.$w"
}
if [ -n "$PORT" ]; then
	for w in $(seq 1 "$WRITERS"); do
		writer "$w" &
		BACKGROUND_PIDS+=($!)
	done
	# Let the writers get going, then back up twice while they run.
	for _ in $(seq 1 50); do
		[ "$(cat "$WORK"/writer.* 2>/dev/null | wc -l)" -ge 5 ] && break
		sleep 0.05
	done
	run backup "$WORK/backup1.db" --db "$DB"
	rc1=$rc
	err1=$(head -c 300 "$err")
	run backup "$WORK/backup2.db" --db "$DB"
	rc2=$rc
	writes_during=$(cat "$WORK"/writer.* 2>/dev/null | wc -l)
	for pid in "${BACKGROUND_PIDS[@]}"; do
		wait "$pid"
	done
	BACKGROUND_PIDS=()
	check "backup during writes exits 0 (rc=$rc1: $err1)" [ "$rc1" -eq 0 ]
	check "a second backup during writes exits 0 (rc=$rc2)" [ "$rc2" -eq 0 ]
	check "the writers were still writing when the backups ran ($writes_during of $((WRITERS * WRITES)) done)" \
		[ "$writes_during" -lt $((WRITERS * WRITES)) ]
	codes=$(cat "$WORK"/writer.* | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check "every write during the backups was 201 ($codes)" \
		[ "$(grep -c '^201$' "$WORK"/writer.* | awk -F: '{s += $2} END {print s}')" -eq $((WRITERS * WRITES)) ]
	for b in backup1 backup2; do
		check "$b passes PRAGMA integrity_check" \
			[ "$(sqlite3 "$WORK/$b.db" 'PRAGMA integrity_check' 2>&1)" = ok ]
		check "$b holds the 3 sample meetings" \
			[ "$(sqlite3 "$WORK/$b.db" 'SELECT count(*) FROM meetings' 2>&1)" = 3 ]
		n=$(sqlite3 "$WORK/$b.db" 'SELECT count(*) FROM participants' 2>&1)
		check "$b holds the participants written before it ($n)" \
			[ "$n" -ge 4 -a "$n" -le $((4 + WRITERS * WRITES)) ]
		check "$b has no WAL file beside it" [ ! -e "$WORK/$b.db-wal" ]
	done
	# A backup to a path that exists fails and leaves the file alone.
	cp "$WORK/backup1.db" "$WORK/backup1.copy"
	run backup "$WORK/backup1.db" --db "$DB"
	check "backup to an existing path exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
	check "backup to an existing path leaves that file unchanged" \
		cmp -s "$WORK/backup1.db" "$WORK/backup1.copy"
	echo "not a database" >"$WORK/plain.txt"
	run backup "$WORK/plain.txt" --db "$DB"
	check "backup over an existing plain file exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
	check "backup over an existing plain file leaves it unchanged" \
		[ "$(cat "$WORK/plain.txt")" = "not a database" ]
	# The backup is a database readoutd can serve from.
	cp "$WORK/backup2.db" "$WORK/restore.db"
	"$READOUTD" export --db "$WORK/restore.db" >"$WORK/restore.json" 2>"$WORK/restore.err"
	check "the backup exports its meetings" \
		[ "$(export_counts "$WORK/restore.json" 2>/dev/null | cut -d' ' -f2-)" = "13 3" ]

	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	rc=$?
	SERVER_PID=
	check "the server stops with exit 0 on SIGTERM (rc=$rc)" [ "$rc" -eq 0 ]
	"$READOUTD" export --db "$DB" >"$WORK/final.json" 2>"$WORK/final.err"
	check "every write reached the database" \
		[ "$(export_counts "$WORK/final.json" 2>/dev/null)" = "$((4 + WRITERS * WRITES)) 13 3" ]
fi

# ---- PostgreSQL (READOUT_TEST_DB=postgres: on the cluster scripts/test started) ----
if [ "${READOUT_TEST_DB:-sqlite}" = postgres ] && [ -n "${READOUT_TEST_PG:-}" ]; then
	pg_admin() {
		psql -X -q -v ON_ERROR_STOP=1 -h "$READOUT_TEST_PG" -p 5432 -U postgres -d postgres "$@"
	}
	pg_uri() { echo "postgresql:///$1?host=$READOUT_TEST_PG&port=5432&user=readout"; }
	pg_new() {
		pg_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
			-c "CREATE DATABASE $1 OWNER readout" >/dev/null 2>&1
	}
	# Every field but ids, timestamps and versions of two export documents.
	same_export() {
		python3 - "$1" "$2" <<'PY'
import json, sys
def strip(doc):
    for kind in ("participants", "principles", "meetings"):
        for e in doc[kind]:
            for k in ("id", "created_at", "updated_at", "version"):
                e.pop(k, None)
    return doc
a, b = (strip(json.load(open(p, encoding="utf-8"))) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
	}
	PGDB=$(pg_uri cli_main)
	pg_new cli_main
	run import "$SAMPLE" --db "$PGDB"
	check "import into PostgreSQL exits 0 (rc=$rc: $(head -c 300 "$err"))" [ "$rc" -eq 0 ]
	run export --db "$PGDB"
	check "export from PostgreSQL exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
	check "the PostgreSQL export holds the sample" \
		[ "$(export_counts "$out" 2>/dev/null)" = "$(export_counts "$SAMPLE" 2>/dev/null)" ]
	cp "$out" "$WORK/pg-export.json"
	pg_new cli_copy
	run import "$WORK/pg-export.json" --db "$(pg_uri cli_copy)"
	run export --db "$(pg_uri cli_copy)"
	check "export, import, export on PostgreSQL gives the same document" \
		same_export "$WORK/pg-export.json" "$out"

	# pg_dump is the backup on PostgreSQL: a dump restores whole, without an
	# error, into an empty database and serves the same document.
	pg_new cli_restored
	pg_dump -Fc "$PGDB" >"$WORK/pg.dump"
	check "pg_restore of a pg_dump restores without an error" \
		pg_restore --no-owner -d "$(pg_uri cli_restored)" "$WORK/pg.dump"
	run export --db "$(pg_uri cli_restored)"
	check "the restored database exports the same document" \
		same_export "$WORK/pg-export.json" "$out"

	run backup "$WORK/pg.db" --db "$PGDB"
	check "backup on PostgreSQL exits 2 (rc=$rc)" [ "$rc" -eq 2 ]
	check "backup on PostgreSQL says to use pg_dump" grep -q 'pg_dump' "$err"
	check "backup on PostgreSQL writes nothing" [ ! -e "$WORK/pg.db" ]

	run export --db "$(pg_uri no_such_database)"
	check "a missing PostgreSQL database exits 1 (rc=$rc)" [ "$rc" -eq 1 ]
	check "a missing PostgreSQL database is one line naming it" \
		grep -q 'no_such_database' "$err"
	check "(one line: $(wc -l <"$err"))" [ "$(wc -l <"$err")" -eq 1 ]
	run export --db "postgresql://readout@/readout?host=$WORK/nowhere"
	check "an unreachable PostgreSQL server exits 1 (rc=$rc)" [ "$rc" -eq 1 ]
	check "(one line: $(wc -l <"$err"))" [ "$(wc -l <"$err")" -eq 1 ]
	run export --db "postgresql://readout@/readout?no_such_option=1"
	check "a malformed PostgreSQL URI exits 1 (rc=$rc)" [ "$rc" -eq 1 ]
	check "(one line: $(wc -l <"$err"))" [ "$(wc -l <"$err")" -eq 1 ]

	# (Several instances on one database: tests/test_multi.sh.)
	pg_new cli_newer
	run export --db "$(pg_uri cli_newer)"
	check "export migrates a new PostgreSQL database (rc=$rc)" [ "$rc" -eq 0 ]
	psql -X -q "$(pg_uri cli_newer)" \
		-c "INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')"
	run export --db "$(pg_uri cli_newer)"
	check "a database of a newer readoutd is refused (rc=$rc)" [ "$rc" -eq 1 ]
	check "in one line that says so" grep -q 'newer than this readoutd' "$err"
	check "(one line: $(wc -l <"$err"))" [ "$(wc -l <"$err")" -eq 1 ]
	pg_admin -c 'DROP DATABASE cli_main WITH (FORCE)' -c 'DROP DATABASE cli_copy WITH (FORCE)' \
		-c 'DROP DATABASE cli_newer WITH (FORCE)' -c 'DROP DATABASE cli_restored WITH (FORCE)' \
		>/dev/null 2>&1
fi

# ---- a port another server holds ----
# Each worker listens on a socket of its own that shares the port
# (SO_REUSEPORT); a second server must still be refused, not join them.
"$READOUTD" --port 0 --threads 2 --db "$WORK/port.db" >"$WORK/port.out" 2>"$WORK/port.err" &
first=$!
port=""
for _ in $(seq 200); do
	port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/port.out")
	[ -n "$port" ] && break
	sleep 0.05
done
check "a server starts on a port the kernel picks (${port:-none})" [ -n "$port" ]
timeout 10 "$READOUTD" --port "${port:-1}" --threads 2 --db "$WORK/port2.db" \
	>"$WORK/port2.out" 2>"$WORK/port2.err"
rc=$?
check "a second server on that port exits 1 (rc=$rc)" [ "$rc" -eq 1 ]
check "saying that the address is in use" grep -q 'Address already in use' "$WORK/port2.err"
check "the first server still answers" curl -fsS -o /dev/null "http://127.0.0.1:${port:-1}/healthz"
kill "$first"
wait "$first"

# ---- --version, --help and bad flags ----
run --version
check "--version exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
check "--version prints the name and version" grep -Eq '^readoutd [0-9]+\.[0-9]+\.[0-9]+' "$out"
run --help
check "--help exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
check "--help prints the usage on stdout" grep -q 'usage: readoutd' "$out"
check "--help lists the subcommands" grep -q 'readoutd backup PATH' "$out"
run --no-such-flag
check "an unknown flag exits 2 (rc=$rc)" [ "$rc" -eq 2 ]
check "an unknown flag is named on stderr" grep -q -- '--no-such-flag' "$err"
run export --db "$WORK/x.db" --no-such-flag
check "an unknown flag after a subcommand exits 2 (rc=$rc)" [ "$rc" -eq 2 ]
run import
check "import without FILE exits 2 (rc=$rc)" [ "$rc" -eq 2 ]
run frobnicate
check "an unknown subcommand exits 2 (rc=$rc)" [ "$rc" -eq 2 ]

# A sanitizer build reports to stderr without always changing the exit status.
reports=$(grep -lE 'runtime error|Sanitizer' "$WORK"/*.err 2>/dev/null | tr '\n' ' ')
check "no sanitizer report on any stderr (${reports:-none})" [ -z "$reports" ]

checks_end
