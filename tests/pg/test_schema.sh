#!/usr/bin/env bash
# The PostgreSQL schema (migrations/postgres/) against SQLite's: the same
# writes (schema_dml.sql) leave the same rows and derived counts in both,
# byte for byte (schema_dump.sql); both refuse the same bad writes
# (schema_rejects.sql); and on PostgreSQL fold(), the json_each shim, the
# search vectors and their indexes do what the store will ask of them.
# Usage: test_schema.sh READOUTD (the binary: it applies SQLite's migrations,
# whose full-text tables need its tokenizer, and writes PostgreSQL's search
# vectors, which only the store makes).
#
# Runs when READOUT_TEST_DB=postgres, on a throwaway cluster of its own
# (tests/pg/cluster.sh), as the non-superuser role readoutd uses; otherwise
# exits 77, meson's "skipped".
set -euo pipefail

if [ "${READOUT_TEST_DB:-sqlite}" != postgres ]; then
	echo "skipped: set READOUT_TEST_DB=postgres to run"
	exit 77
fi
root=${READOUT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
readoutd=${1:?usage: test_schema.sh READOUTD}
here=$root/tests/pg
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (scripts/test installs it)" >&2; exit 1; }

work=$(mktemp -d)
cluster=$(mktemp -d) # a directory of its own, which cluster.sh hands to the cluster's owner
cleanup() {
	"$here/cluster.sh" stop "$cluster" || rmdir "$cluster" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

started=$(date +%s%N)
uri=$("$here/cluster.sh" start "$cluster")
echo "cluster up in $((($(date +%s%N) - started) / 1000000)) ms: $uri"

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

sqlite_db=$work/readout.db
lite() { sqlite3 -bail -batch -cmd 'PRAGMA foreign_keys=ON' "$sqlite_db" "$@"; }
pg() { psql "$uri" -X -q -v ON_ERROR_STOP=1 "$@"; }

# The migrations of both as readoutd applies them (the sqlite3 shell lacks
# the full-text tables' tokenizer), without the cursor key it makes on its
# first start: the writes below set their own.
"$readoutd" export --db "$sqlite_db" >/dev/null
lite "DELETE FROM settings"
"$readoutd" export --db "$uri" >/dev/null
pg -c "DELETE FROM settings"

lite <"$here/schema_dml.sql"
pg -f "$here/schema_dml.sql"

# Each bad write must fail on both.
while IFS= read -r stmt; do
	case $stmt in '' | --*) continue ;; esac
	if lite "$stmt" >/dev/null 2>&1; then
		fail "SQLite accepted: $stmt"
	fi
	if pg -c "$stmt" >/dev/null 2>&1; then
		fail "PostgreSQL accepted: $stmt"
	fi
done <"$here/schema_rejects.sql"

sqlite3 -bail -batch -list -noheader -separator '|' -nullvalue '<null>' "$sqlite_db" \
	<"$here/schema_dump.sql" >"$work/sqlite.out"
echo "SELECT 'setting', key, lower(hex(value)) FROM settings ORDER BY key;" |
	sqlite3 -bail -batch -list -noheader -separator '|' "$sqlite_db" >>"$work/sqlite.out"
pg -A -t -F '|' -P null='<null>' -f "$here/schema_dump.sql" >"$work/postgres.out"
pg -A -t -F '|' -c "SELECT 'setting', key, encode(value, 'hex') FROM settings ORDER BY key" \
	>>"$work/postgres.out"

if ! diff -u --label sqlite --label postgres "$work/sqlite.out" "$work/postgres.out"; then
	fail "the two databases differ (above: - SQLite, + PostgreSQL)"
fi
if grep '^stale' "$work/sqlite.out" "$work/postgres.out"; then
	fail "derived fields differ from a recount"
fi
# A dump that lost its rows would compare equal: make sure it holds them.
lines=$(wc -l <"$work/postgres.out")
[ "$lines" -ge 60 ] || fail "the dump holds only $lines lines"
grep -qx 'participant|1|maros-sefcovic|Maroš Šefčovič|\["Šefčovič","M. Sefcovic"\]|Vice-President|European Commission|<null>|2|2024-06-30|2024-09-09|2024-01-01T10:00:00Z|2024-01-01T10:00:00Z|1' \
	"$work/postgres.out" || fail "participant 1 is not as the writes left it"
grep -qx 'meeting|7|newest|Newest|2024-12-12|meeting|<null>|<null>|<null>|<null>|<null>|\[\]|2024-12-12T00:00:00Z|2024-12-12T00:00:00Z|1' \
	"$work/postgres.out" || fail "a deleted meeting's id was given out again"

# A meeting of some 6 KB, its readout of 200 words and its search vector,
# to be kept whole in its row (0015_search_vectors_inline.sql): a search
# reads the vector of every match, and one out of line was a fetch from
# the TOAST table each.
pg -c "INSERT INTO meetings (slug, title, date, readout, created_at, updated_at)
	SELECT 'long-readout', 'A long readout', '2024-12-13',
		string_agg(substr(md5(CAST(g AS TEXT)), 1, 10), ' '),
		'2024-12-13T00:00:00Z', '2024-12-13T00:00:00Z'
	FROM generate_series(1, 200) AS g"

# The search vectors are the store's to write: readoutd writes every missing
# one when it starts (it also replaces the writes' cursor key, compared above).
"$readoutd" export --db "$uri" >/dev/null

# expect NAME SQL EXPECTED: one PostgreSQL query, its output as text.
expect() {
	local got
	got=$(pg -A -t -F '|' -c "$2" 2>&1) || true
	[ "$got" = "$3" ] || fail "$1: expected '$3', got '$got'"
}

expect "migrations ran as a non-superuser" \
	"SELECT rolsuper FROM pg_roles WHERE rolname = current_user" f
expect "fold" \
	"SELECT fold('Maroš ŠEFČOVIČ, Æsir Straße Œuvre Łódź _%') || '|' || fold(U&'e\\0301') || '|' || fold('Путин')" \
	"maros sefcovic, aesir strasse oeuvre lodz _%|e|Путин"
expect "fold LIKE, name or alias" \
	"SELECT string_agg(slug, ',' ORDER BY id) FROM participants WHERE fold(name) LIKE fold('%ŠEFČ%') ESCAPE '\\'
		OR EXISTS (SELECT 1 FROM json_each(participants.aliases) WHERE fold(value) LIKE fold('%tony b%') ESCAPE '\\')" \
	"maros-sefcovic,antony-blinken"
expect "fold LIKE with an escaped wildcard" \
	"SELECT string_agg(slug, ',' ORDER BY id) FROM participants WHERE fold(name) LIKE '\\_under%' ESCAPE '\\'" \
	"under-score"
expect "json_each over a bound JSON array of ids" \
	"PREPARE ids AS SELECT string_agg(slug, ',' ORDER BY id) FROM meetings
		WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(\$1)); EXECUTE ids('[3,1]')" \
	"trade-talks,summit"
expect "weights: name A, aliases B" \
	"SELECT search FROM participants WHERE slug = 'antony-blinken'" \
	"'antony':1A 'blinken':2A,4B 'tony':3B"
expect "a meeting of 6 KB keeps its search vector in its row" \
	"SELECT length(m.search) || '|' || pg_relation_size(c.reltoastrelid)
		FROM meetings m, pg_class c WHERE m.slug = 'long-readout' AND c.relname = 'meetings'" \
	"203|0"
expect "meetings search ignores diacritics and case" \
	"SELECT string_agg(slug, ',' ORDER BY id) FROM meetings WHERE search @@ to_tsquery('simple', fold('SEFCOVIC'))" \
	"trade-talks,phone-call"
expect "a title hit outranks a readout hit" \
	"SELECT string_agg(slug, ',' ORDER BY ts_rank('{0, 0.1, 0.4, 1}', search, q) DESC, id)
		FROM meetings, to_tsquery('simple', fold('šefčovič')) AS q WHERE search @@ q" \
	"trade-talks,phone-call"
expect "participants search finds an alias, accents on either side" \
	"SELECT string_agg(slug, ',' ORDER BY id) FROM participants WHERE search @@ to_tsquery('simple', fold('blinken & tony'))" \
	"antony-blinken"
expect "principles search: name, framework and description" \
	"SELECT string_agg(slug || ':' || ts_rank('{0, 0.1, 0.4, 1}', search, q)::numeric(4,2), ',' ORDER BY id)
		FROM principles, to_tsquery('simple', fold('préambule') || ' | ' || fold('charter')) AS q WHERE search @@ q" \
	"sovereignty:0.12,non-intervention:0.12,self-determination:0.03"
expect "snippets mark the accented word of an unaccented query" \
	"SELECT ts_headline('simple_unaccent', readout, to_tsquery('simple', fold('sefcovic')),
		'StartSel=<mark>, StopSel=</mark>, MinWords=3, MaxWords=4') FROM meetings WHERE slug = 'phone-call'" \
	"<mark>Šefčovič</mark> discussed sanctions"
expect "prefix search" \
	"SELECT string_agg(slug, ',' ORDER BY id) FROM participants WHERE search @@ to_tsquery('simple', fold('albar') || ':*')" \
	"jose-albares"
# expect_plan NAME SQL LINE [SETTING]: the query's plan holds LINE. With
# SETTING "enable_seqscan = off" (the default) the plan shows that an index
# can serve the query; with "enable_seqscan = on", that the planner picks it.
expect_plan() {
	local plan
	plan=$(pg -A -t -c "SET ${4:-enable_seqscan = off}" -c "EXPLAIN (COSTS OFF) $2" 2>&1) || true
	grep -qF -- "$3" <<<"$plan" || fail "$1: no '$3' in: $plan"
}
for kind in meetings participants principles; do
	expect_plan "$kind search uses its GIN index" \
		"SELECT id FROM $kind WHERE search @@ to_tsquery('simple', 'x')" \
		"Bitmap Index Scan on ${kind}_search"
done
# The store lowers the cursor's name key itself (ASCII only, as lower() on a
# COLLATE "C" column does); lower() on a parameter would follow the locale.
expect_plan "name order walks the lower(name) index" \
	"SELECT id FROM participants WHERE (lower(name), id) > ('m', 0) ORDER BY lower(name), id LIMIT 5" \
	"Index Scan using participants_name on participants"
expect_plan "country and name order walks its index" \
	"SELECT id FROM participants WHERE country = 'ES' ORDER BY lower(name), id LIMIT 5" \
	"Index Scan using participants_country_name on participants"
# The store's lists of ids (json_each) are a handful: a table of many rows,
# a few to an id in no order (as attendances), is read through its index
# for them, not scanned whole (PostgreSQL's guess of 1,000 rows of a
# function did that: 0014_json_each_rows.sql).
pg -c "CREATE TABLE many AS SELECT g / 3 AS id, md5(CAST(g AS TEXT)) AS pad
		FROM generate_series(1, 100000) AS g ORDER BY md5(CAST(g AS TEXT))" \
	-c "CREATE INDEX many_id ON many (id)" -c "ANALYZE many"
expect_plan "a list of ids reads a large table through its index" \
	"SELECT pad FROM many WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each('[3,1]'))" \
	"Index Cond" "enable_seqscan = on"
pg -c "DROP TABLE many"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "PostgreSQL schema behaves as SQLite's: $lines rows compared, all checks passed"
