/* Store tests on real database files: opening, migrations, schema, backup. */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite.h"

static char dir[256];

static const char *db_path(const char *name)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/readout-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The schema objects of a database as one sorted text. */
static char *schema_text(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_prepare_v2(db,
	                       "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || "
	                       "coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE "
	                       "'sqlite_%' ORDER BY type, name",
	                       -1, &st, NULL),
	    SQLITE_OK);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(f, "%s\n", sqlite3_column_text(st, 0));
	fclose(f);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* Opens the file name with the store, which migrates it, and closes it. */
static void migrate_file(const char *name)
{
	struct store *s = NULL;
	char err[256];
	ck_assert_msg(store_open(db_path(name), &s, err, sizeof err) == 0, "%s", err);
	store_close(s);
}

START_TEST(migrates_fresh_file)
{
	struct store *s = NULL;
	char err[256];
	ck_assert_int_eq(store_open(db_path("a.db"), &s, err, sizeof err), 0);
	ck_assert_int_eq(store_ready(s), STORE_OK);
	bool empty = false;
	ck_assert_int_eq(store_is_empty(s, &empty), STORE_OK);
	ck_assert(empty);
	uint8_t key[CURSOR_KEY_LEN];
	memcpy(key, store_cursor_key(s), CURSOR_KEY_LEN);
	store_close(s);
	ck_assert_int_eq(user_version(db_path("a.db")), store_schema_version());
	char *before = schema_text(db_path("a.db"));
	/* Restart: a no-op migration, the same cursor key. */
	ck_assert_int_eq(store_open(db_path("a.db"), &s, err, sizeof err), 0);
	ck_assert_mem_eq(store_cursor_key(s), key, CURSOR_KEY_LEN);
	store_close(s);
	char *after = schema_text(db_path("a.db"));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(refuses_newer_database)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path("new.db"), &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version() + 1);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct store *s = NULL;
	char err[256] = "";
	ck_assert_int_eq(store_open(db_path("new.db"), &s, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "newer than this readoutd"));
	ck_assert_int_eq(user_version(db_path("new.db")), store_schema_version() + 1);
}
END_TEST

START_TEST(refuses_unwritable_path)
{
	struct store *s = NULL;
	char err[256] = "";
	ck_assert_int_eq(store_open("/nonexistent-dir/readout.db", &s, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/readout.db"));
}
END_TEST

/* Runs sql on db; asserts it succeeds. */
static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_free(msg);
}

/* Runs the SQL file at path on db; asserts it succeeds. */
static void exec_file(sqlite3 *db, const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	char *sql = NULL;
	size_t cap = 0;
	ck_assert_int_gt(getdelim(&sql, &cap, '\0', f), 0);
	fclose(f);
	exec_ok(db, sql);
	free(sql);
}

START_TEST(schema_sql_matches_migrations)
{
	migrate_file("m.db");
	char schema_path[512];
	snprintf(schema_path, sizeof schema_path, "%s/schema/schema.sql",
	         getenv("READOUT_SOURCE_DIR"));
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path("s.db"), &db), SQLITE_OK);
	/* The full-text tables name the store's tokenizer. */
	ck_assert_int_eq(store_search_register(db, NULL), SQLITE_OK);
	exec_file(db, schema_path);
	sqlite3_close(db);
	char *a = schema_text(db_path("m.db"));
	char *b = schema_text(db_path("s.db"));
	ck_assert_msg(strcmp(a, b) == 0,
	              "schema/schema.sql differs from the migrations; regenerate it with "
	              "scripts/schema\n--- migrations:\n%s\n--- schema.sql:\n%s",
	              a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(backup_is_consistent_copy)
{
	struct store *s = NULL;
	char err[256];
	ck_assert_int_eq(store_open(db_path("live.db"), &s, err, sizeof err), 0);
	ck_assert_int_eq(store_backup(s, db_path("copy.db"), err, sizeof err), STORE_OK);
	ck_assert_int_eq(user_version(db_path("copy.db")), store_schema_version());
	/* A second backup to the same path is refused, the first left whole. */
	ck_assert_int_eq(store_backup(s, db_path("copy.db"), err, sizeof err), STORE_CONFLICT);
	ck_assert_int_ne(store_backup(s, "/nonexistent-dir/copy.db", err, sizeof err), STORE_OK);
	store_close(s);
	char *a = schema_text(db_path("live.db"));
	char *b = schema_text(db_path("copy.db"));
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	ck_assert_int_eq(access(db_path("copy.db-wal"), F_OK), -1);
}
END_TEST

static int numbered_sql(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 9 && isdigit((unsigned char)e->d_name[0]) &&
	       strcmp(e->d_name + n - 4, ".sql") == 0;
}

/* Opens the new file name as an older readoutd left it at schema version:
 * the SQL files migrations/sqlite/0001_... to version of the source tree
 * run on it in order. */
static sqlite3 *open_at_version(const char *name, int version)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path(name), &db), SQLITE_OK);
	/* The full-text tables use the store's tokenizer and functions. */
	ck_assert_int_eq(store_search_register(db, NULL), SQLITE_OK);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/migrations/sqlite", getenv("READOUT_SOURCE_DIR"));
	struct dirent **files;
	int n = scandir(dir, &files, numbered_sql, alphasort);
	ck_assert_msg(n >= version, "%s holds %d migrations", dir, n);
	for (int i = 0; i < n; i++) {
		if (i < version) {
			ck_assert_int_eq(atoi(files[i]->d_name), i + 1);
			char path[1024];
			snprintf(path, sizeof path, "%s/%s", dir, files[i]->d_name);
			exec_file(db, path);
		}
		free(files[i]);
	}
	free(files);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	exec_ok(db, sql);
	return db;
}

/* Asserts that sql's first row on db holds the text want. */
static void assert_text(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
}

/* The result code of sql on db (its first statement), run to its end. */
static int exec_rc(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(db);
}

/* True when the program of sql opens a temporary table (OpenEphemeral).
 * Only its own: EXPLAIN lists the programs of the triggers it may fire
 * after it, each numbered from 0 again. */
static bool builds_temporary_table(sqlite3 *db, const char *sql)
{
	char *explain = sqlite3_mprintf("EXPLAIN %s", sql);
	sqlite3_stmt *st;
	ck_assert_msg(sqlite3_prepare_v2(db, explain, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	sqlite3_free(explain);
	bool found = false;
	for (int addr = -1; sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > addr;) {
		addr = sqlite3_column_int(st, 0);
		found |= strcmp((const char *)sqlite3_column_text(st, 1), "OpenEphemeral") == 0;
	}
	sqlite3_finalize(st);
	return found;
}

/* The CHECKs that name a list of values (meetings.kind, attendances.role,
 * invocations.stance, changes.action and type) are checked without a
 * temporary table of the list (migration 0016), and still hold: each
 * value of the list is taken, one outside it refused. */
START_TEST(checks_build_no_temporary_tables)
{
	migrate_file("c.db");
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path("c.db"), &db), SQLITE_OK);
	ck_assert_int_eq(store_search_register(db, NULL), SQLITE_OK);
	exec_ok(db, "INSERT INTO participants (slug, name, created_at, updated_at) VALUES "
	            "('ada', 'Ada', 'x', 'x');"
	            "INSERT INTO principles (slug, name, created_at, updated_at) VALUES "
	            "('p', 'P', 'x', 'x')");
	static const struct {
		const char *insert; /* %2$s: the value, %1$d: a fresh number */
		const char *values[8];
	} checks[] = {
	    {"INSERT INTO meetings (slug, title, date, kind, created_at, updated_at) VALUES "
	     "('m%1$d', 'M', '2024-01-01', '%2$s', 'x', 'x')",
	     {"meeting", "talks", "phone_call", "video_call", "summit", "visit", "other"}},
	    {"INSERT INTO attendances (meeting_id, participant_id, role, position) VALUES "
	     "(%1$d, 1, '%2$s', 0)",
	     {"host", "guest", "attendee"}},
	    {"INSERT INTO invocations (meeting_id, principle_id, stance, position) VALUES "
	     "(%1$d, 1, '%2$s', 0)",
	     {"proposed", "reaffirmed", "cited"}},
	    {"INSERT INTO changes (at, action, type, entity_id, slug, version) VALUES "
	     "('x', '%2$s', 'meeting', %1$d, 's', 1)",
	     {"create", "update", "delete"}},
	    {"INSERT INTO changes (at, action, type, entity_id, slug, version) VALUES "
	     "('x', 'create', '%2$s', %1$d, 's', 1)",
	     {"meeting", "participant", "principle"}},
	};
	char sql[512];
	int fresh = 1;
	for (size_t c = 0; c < sizeof checks / sizeof *checks; c++) {
		for (size_t v = 0; v < 8; v++, fresh++) {
			const char *value = checks[c].values[v] ? checks[c].values[v] : "bogus";
			snprintf(sql, sizeof sql, checks[c].insert, fresh, value);
			ck_assert_msg(!builds_temporary_table(db, sql), "%s", sql);
			int want = checks[c].values[v] ? SQLITE_OK : SQLITE_CONSTRAINT_CHECK;
			ck_assert_msg(exec_rc(db, sql) == want, "%s: %s", sql, sqlite3_errmsg(db));
			if (!checks[c].values[v])
				break;
		}
	}
	sqlite3_close(db);
}
END_TEST

/* A database written by an older readoutd (schema 2, with records) is
 * brought up to date at start, keeping its records and derived counts. */
START_TEST(upgrades_an_older_database)
{
	sqlite3 *db = open_at_version("old.db", 2);
	ck_assert_int_eq(
	    sqlite3_exec(
	        db,
	        "INSERT INTO participants (slug, name, created_at, updated_at) VALUES "
	        "('ada', 'Ada', 'x', 'x');"
	        "INSERT INTO meetings (slug, title, date, created_at, updated_at) VALUES "
	        "('m1', 'One', '2024-01-05', 'x', 'x'), ('m2', 'Two', '2023-03-01', 'x', 'x');"
	        "INSERT INTO attendances VALUES (1, 1, 'host', 0), (2, 1, 'guest', 0);",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	migrate_file("old.db");
	ck_assert_int_eq(user_version(db_path("old.db")), store_schema_version());
	ck_assert_int_eq(sqlite3_open(db_path("old.db"), &db), SQLITE_OK);
	/* The new triggers keep the counts: one more attendance, one fewer. */
	ck_assert_int_eq(
	    sqlite3_exec(db,
	                 "INSERT INTO meetings (slug, title, date, created_at, updated_at) "
	                 "VALUES ('m3', 'Three', '2025-07-07', 'x', 'x');"
	                 "INSERT INTO attendances (meeting_id, participant_id, role, position) "
	                 "VALUES (3, 1, 'attendee', 0);"
	                 "DELETE FROM attendances WHERE meeting_id = 2;",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(
	    sqlite3_prepare_v2(db,
	                       "SELECT meeting_count, first_meeting_date, "
	                       "last_meeting_date FROM participants WHERE slug = 'ada'",
	                       -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 2);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "2024-01-05");
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), "2025-07-07");
	sqlite3_finalize(st);
	/* Every attendance, older or newer, carries its meeting's date. */
	assert_text(db,
	            "SELECT group_concat(date, ' ') FROM "
	            "(SELECT date FROM attendances ORDER BY meeting_id)",
	            "2024-01-05 2025-07-07");
	sqlite3_close(db);
}
END_TEST

/* A database of schema 16, whose meeting_json held each summary beside its
 * body, is brought up to date with the summaries moved to meeting_list
 * (migration 0017): one row a meeting, in the order of a list, keeping the
 * summaries of fresh bodies and none of stale ones; and its triggers keep
 * the rows after that. */
START_TEST(moves_summaries_to_meeting_list)
{
	sqlite3 *db = open_at_version("s16.db", 16);
	exec_ok(db, "INSERT INTO meetings (slug, title, date, created_at, updated_at) VALUES "
	            "('a', 'A', '2024-01-05', 'x', 'x'), ('b', 'B', '2023-03-01', 'x', 'x'), "
	            "('c', 'C', '2024-01-05', 'x', 'x'), ('d', 'D', '1999-12-31', 'x', 'x');"
	            "UPDATE meeting_json SET summary = 'summary ' || meeting_id, "
	            "body = 'body ' || meeting_id;"
	            "UPDATE meeting_json SET body = NULL WHERE meeting_id = 3;");
	sqlite3_close(db);
	migrate_file("s16.db");
	ck_assert_int_eq(sqlite3_open(db_path("s16.db"), &db), SQLITE_OK);
	static const char *const rows =
	    "SELECT group_concat(key || ' ' || meeting_id || ' ' || date || ' ' || "
	    "coalesce(summary, '-'), ', ') FROM (SELECT * FROM meeting_list ORDER BY rowid)";
	assert_text(db, rows,
	            "85861683351781380 4 1999-12-31 summary 4, "
	            "86888481183236098 2 2023-03-01 summary 2, "
	            "86930589042606081 1 2024-01-05 summary 1, "
	            "86930589042606083 3 2024-01-05 -");
	/* A new date moves the row; a body made stale takes its summary. */
	exec_ok(db, "UPDATE meetings SET date = '2000-01-01' WHERE id = 1;"
	            "UPDATE meeting_json SET body = 'body 3' WHERE meeting_id = 3;"
	            "UPDATE meeting_list SET summary = 'summary 3' WHERE meeting_id = 3;"
	            "UPDATE meeting_json SET body = NULL WHERE meeting_id = 3;"
	            "DELETE FROM meetings WHERE id = 4;"
	            "INSERT INTO meetings (slug, title, date, created_at, updated_at) VALUES "
	            "('e', 'E', '2024-01-05', 'x', 'x');");
	assert_text(db, rows,
	            "85899779711696897 1 2000-01-01 -, "
	            "86888481183236098 2 2023-03-01 summary 2, "
	            "86930589042606083 3 2024-01-05 -, "
	            "86930589042606085 5 2024-01-05 -");
	sqlite3_close(db);
}
END_TEST

/* Freezes the statistics of t for match into *out through readout_rank_stats. */
static void freeze(sqlite3 *db, const char *match, struct rank_stats *out)
{
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "SELECT readout_rank_stats(t, ?2) FROM t WHERE t "
	                                    "MATCH ?1 LIMIT 1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_pointer(st, 2, out, STORE_RANK_POINTER, NULL);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	sqlite3_finalize(st);
}

/* Each row's readout_rank under stats and its bm25 now, for match, in
 * rowid order; returns the row count (at most 64). */
static int scores(sqlite3 *db, const char *match, const struct rank_stats *stats, double rank[64],
                  double bm25[64])
{
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "SELECT readout_rank(t, ?2, -1, 0, 10.0, 4.0, 1.0), "
	                                    "bm25(t, 10.0, 4.0, 1.0) FROM t WHERE t MATCH ?1 "
	                                    "ORDER BY rowid",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_pointer(st, 2, (void *)stats, STORE_RANK_POINTER, NULL);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 64) {
		rank[n] = sqlite3_column_double(st, 0);
		bm25[n] = sqlite3_column_double(st, 1);
		n++;
	}
	ck_assert_int_eq(rc, n < 64 ? SQLITE_DONE : SQLITE_ROW);
	sqlite3_finalize(st);
	return n;
}

/* readout_rank with the statistics of now is bm25, to the bit; with
 * statistics frozen earlier, a row's score stays while rows are added. */
START_TEST(rank_is_bm25_with_frozen_statistics)
{
	struct store *s;
	char err[256];
	ck_assert_int_eq(store_open(db_path("rank.db"), &s, err, sizeof err), 0);
	struct store_conn *c = store_conn(s);
	ck_assert_ptr_nonnull(c);
	sqlite3 *db = store_sqlite_handle(c);
	exec_ok(db, "CREATE VIRTUAL TABLE temp.t USING fts5(a, b, c)");
	exec_ok(db,
	        "INSERT INTO t VALUES ('quartz talks', 'a quartz summary', 'quartz'), "
	        "('talks', 'summary', 'quartz quartz quartz with many more words than the "
	        "others have'), ('quartz', '', 'onyx'), ('onyx talks', 'onyx', 'quartz onyx'), "
	        "('other', 'text', 'here'), ('more', 'filler', 'text'), ('and', 'yet', 'more')");
	static const char *const matches[] = {
	    "\"quartz\"", "\"quartz\" OR \"onyx\"", "\"quartz\" AND \"onyx\"", "\"quartz talks\"",
	    "\"quar\"*",  "\"onyx\" \"talks\"",     "\"quartz\" NOT \"onyx\"",
	};
	double rank[64], bm25[64], later[64], ignored[64];
	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		struct rank_stats stats;
		freeze(db, matches[i], &stats);
		int n = scores(db, matches[i], &stats, rank, bm25);
		ck_assert_int_gt(n, 0);
		for (int k = 0; k < n; k++)
			ck_assert_msg(rank[k] == bm25[k], "%s row %d: %.17g, bm25 %.17g",
			              matches[i], k, rank[k], bm25[k]);
		/* Rows added move bm25, not the frozen scores of the rows before. */
		exec_ok(db, "INSERT INTO t VALUES ('quartz', 'onyx', 'long long long long text'), "
		            "('plain', 'words', 'only'), ('plain', 'words', 'again')");
		int m = scores(db, matches[i], &stats, later, ignored);
		ck_assert_int_ge(m, n);
		for (int k = 0; k < n; k++)
			ck_assert_msg(later[k] == rank[k], "%s row %d moved: %.17g, then %.17g",
			              matches[i], k, rank[k], later[k]);
	}
	store_close(s);
}
END_TEST

/* ---- the full-text index in step with grouped writes ---- */

/* Each kind's full-text table, with the text it indexes read from the
 * records as migrations/sqlite/0014 reads it. */
static const struct {
	const char *fts, *columns, *rebuild;
} indexes[] = {
    {"meetings_fts", "title, summary, readout, readouts, tiers",
     "SELECT id, title, summary, readout, texts, readout_tiers(title, summary, readout, texts) "
     "FROM (SELECT id, title, summary, readout, (SELECT group_concat(json_extract(value, "
     "'$.text'), char(10)) FROM json_each(meetings.readouts)) AS texts FROM meetings)"},
    {"participants_fts", "name, aliases",
     "SELECT id, name, (SELECT group_concat(value, '; ') FROM json_each(participants.aliases)) "
     "FROM participants"},
    {"principles_fts", "name, framework, description, aliases",
     "SELECT id, name, framework, description, (SELECT group_concat(value, '; ') FROM "
     "json_each(principles.aliases)) FROM principles"},
};

static long long count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Asserts that each full-text index of db holds what one built afresh from
 * the records holds: every term's every place, every row's length, and the
 * totals that scores are computed from. */
static void assert_index_as_rebuilt(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
		const char *t = indexes[i].fts;
		char sql[2048];
		snprintf(
		    sql, sizeof sql,
		    "CREATE VIRTUAL TABLE temp.fresh USING fts5(%s, content = '', "
		    "tokenize = 'readout');"
		    "INSERT INTO temp.fresh (rowid, %s) %s;"
		    "CREATE VIRTUAL TABLE temp.live_terms USING fts5vocab(main, %s, instance);"
		    "CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(temp, fresh, instance);",
		    indexes[i].columns, indexes[i].columns, indexes[i].rebuild, t);
		exec_ok(db, sql);
		ck_assert_int_gt(count_of(db, "SELECT count(*) FROM temp.fresh_terms"), 0);
		static const char *const differences[] = {
		    "SELECT count(*) FROM (SELECT * FROM temp.live_terms EXCEPT "
		    "SELECT * FROM temp.fresh_terms)",
		    "SELECT count(*) FROM (SELECT * FROM temp.fresh_terms EXCEPT "
		    "SELECT * FROM temp.live_terms)",
		    "SELECT count(*) FROM (SELECT id, sz FROM main.%1$s_docsize EXCEPT "
		    "SELECT id, sz FROM temp.fresh_docsize)",
		    "SELECT count(*) FROM (SELECT id, sz FROM temp.fresh_docsize EXCEPT "
		    "SELECT id, sz FROM main.%1$s_docsize)",
		    "SELECT (SELECT block FROM main.%1$s_data WHERE id = 1) IS NOT "
		    "(SELECT block FROM temp.fresh_data WHERE id = 1)",
		};
		for (size_t d = 0; d < sizeof differences / sizeof differences[0]; d++) {
			snprintf(sql, sizeof sql, differences[d], t);
			ck_assert_msg(count_of(db, sql) == 0, "%s differs from a rebuild: %s", t,
			              sql);
		}
		exec_ok(db, "DROP TABLE temp.live_terms; DROP TABLE temp.fresh_terms; "
		            "DROP TABLE temp.fresh");
	}
}

/* Writes a meeting of title, date and readout, attended by the participant
 * of slug attendee (or none), as meeting *id (0: a new one, whose id it
 * sets); asserts the store answers want. */
static void put_meeting(struct store *s, int64_t *id, const char *title, const char *date,
                        const char *readout, const char *attendee, enum store_status want)
{
	struct meeting m = {0};
	m.title = strdup(title);
	snprintf(m.date, sizeof m.date, "%s", date);
	m.readout = strdup(readout);
	if (attendee) {
		m.participants = calloc(1, sizeof *m.participants);
		m.participants[0].ref.slug = attendee; /* borrowed */
		m.participant_count = 1;
	}
	struct model_problems p = {0};
	enum store_status r =
	    *id ? store_meeting_replace(s, *id, 0, &m, &p) : store_meeting_create(s, &m, &p);
	ck_assert_msg(r == want, "%s: %d, want %d", title, r, want);
	if (r == STORE_OK)
		*id = m.meta.id;
	meeting_clear(&m);
	model_problems_clear(&p);
}

/* In a group commit, the index entries of the records written are added
 * at the group's end: writes that come and go within one group (a record
 * created, then changed or deleted; a change undone by its own failure)
 * leave the index as a rebuild from the records would have it. */
START_TEST(grouped_writes_index_as_rebuilt)
{
	struct store *s;
	char err[256];
	ck_assert_int_eq(store_open(db_path("group.db"), &s, err, sizeof err), 0);
	int64_t kept = 0, changed = 0, refused = 0, deleted = 0;
	put_meeting(s, &kept, "Kept talks", "2024-01-01", "keptword stays", NULL, STORE_OK);
	put_meeting(s, &changed, "Changed talks", "2024-01-02", "oldword here", NULL, STORE_OK);
	put_meeting(s, &refused, "Refused talks", "2024-01-03", "refusedword here", NULL, STORE_OK);
	put_meeting(s, &deleted, "Deleted talks", "2024-01-04", "deletedword", NULL, STORE_OK);
	struct participant who = {0};
	who.name = strdup("Grouped Envoy");
	who.meta.slug = strdup("grouped-envoy");
	ck_assert_int_eq(store_participant_create(s, &who), STORE_OK);
	int64_t envoy = who.meta.id;
	participant_clear(&who);
	struct principle rule = {0};
	rule.name = strdup("Grouped rule");
	ck_assert_int_eq(store_principle_create(s, &rule), STORE_OK);
	int64_t principle = rule.meta.id;
	principle_clear(&rule);

	store_group_begin(s);
	/* Created, then changed twice. */
	int64_t fresh = 0;
	put_meeting(s, &fresh, "Fresh talks", "2024-02-01", "firstword", "grouped-envoy", STORE_OK);
	put_meeting(s, &fresh, "Fresher talks", "2024-02-01", "secondword", NULL, STORE_OK);
	/* A change refused after its text was written: undone, entry and all. */
	put_meeting(s, &fresh, "Refused again", "2024-02-01", "intruderword", "nobody-at-all",
	            STORE_INVALID_REF);
	put_meeting(s, &fresh, "Freshest talks", "2024-02-01", "thirdword", NULL, STORE_OK);
	/* An older meeting changed, then one refused late. */
	put_meeting(s, &changed, "Changed talks", "2024-01-02", "newword here", "grouped-envoy",
	            STORE_OK);
	put_meeting(s, &refused, "Refused talks", "2024-01-03", "intruderword", "nobody-at-all",
	            STORE_INVALID_REF);
	/* A new meeting refused late, and one created and deleted. */
	int64_t never = 0, brief = 0;
	put_meeting(s, &never, "Never talks", "2024-02-02", "intruderword", "nobody-at-all",
	            STORE_INVALID_REF);
	put_meeting(s, &brief, "Brief talks", "2024-02-03", "briefword", NULL, STORE_OK);
	ck_assert_int_eq(store_meeting_delete(s, brief, 0), STORE_OK);
	ck_assert_int_eq(store_meeting_delete(s, deleted, 0), STORE_OK);
	/* A participant renamed, given aliases. */
	who = (struct participant){0};
	who.name = strdup("Regrouped Envoy");
	who.meta.slug = strdup("grouped-envoy");
	who.aliases_json = strdup("[\"Envoyalias\"]");
	ck_assert_int_eq(store_participant_replace(s, envoy, 0, &who), STORE_OK);
	participant_clear(&who);
	/* A principle described, and a new one. */
	rule = (struct principle){0};
	rule.name = strdup("Grouped rule");
	rule.description = strdup("ruleword");
	ck_assert_int_eq(store_principle_replace(s, principle, 0, &rule), STORE_OK);
	principle_clear(&rule);
	rule = (struct principle){0};
	rule.name = strdup("Second rule");
	ck_assert_int_eq(store_principle_create(s, &rule), STORE_OK);
	principle_clear(&rule);
	ck_assert_int_eq(store_group_end(s), STORE_OK);

	sqlite3 *db = store_sqlite_handle(store_conn(s));
	assert_index_as_rebuilt(db);
	/* And the index holds the last texts, not only the same as a rebuild. */
	ck_assert_int_eq(count_of(db, "SELECT count(*) FROM meetings_fts WHERE meetings_fts "
	                              "MATCH 'thirdword OR newword OR keptword OR refusedword'"),
	                 4);
	ck_assert_int_eq(count_of(db, "SELECT count(*) FROM meetings_fts WHERE meetings_fts "
	                              "MATCH 'firstword OR secondword OR intruderword OR "
	                              "oldword OR briefword OR deletedword'"),
	                 0);
	ck_assert_int_eq(count_of(db, "SELECT count(*) FROM participants_fts WHERE "
	                              "participants_fts MATCH 'regrouped envoyalias'"),
	                 1);
	ck_assert_int_eq(count_of(db, "SELECT count(*) FROM principles_fts WHERE "
	                              "principles_fts MATCH 'ruleword OR second'"),
	                 2);
	store_close(s);
}
END_TEST

/* The documents holding a phrase, as a fresh freeze of match counts them
 * on this thread's connection (kind: an enum store_kind); -1 when none of
 * that kind matches. */
static int64_t phrase_count(struct store *s, const char *match, int kind)
{
	struct store_rank_walk w = {0};
	ck_assert_int_eq(store_rank_freeze(store_conn(s), match, 1u << kind, &w), STORE_OK);
	if (!(w.kinds & (1u << kind)))
		return -1;
	ck_assert_int_eq(w.stats[kind].phrases, 1);
	return w.stats[kind].hits[0];
}

/* Creates a meeting on the calling thread's connection; *arg, the store,
 * becomes the status (asserted on the test's own thread). */
static void *put_from_another_thread(void *arg)
{
	struct meeting m = {0};
	m.title = strdup("Thread talks");
	snprintf(m.date, sizeof m.date, "2024-03-04");
	m.readout = strdup("quartzword from a thread");
	struct model_problems p = {0};
	static enum store_status status;
	status = store_meeting_create(arg, &m, &p);
	meeting_clear(&m);
	model_problems_clear(&p);
	return &status;
}

/* A connection keeps the document counts of the phrases it ranked, for as
 * long as no commit (its own or another connection's) changes the store:
 * each freeze counts what a walk of the index would count now, each index
 * and each phrase on its own. */
START_TEST(phrase_counts_follow_every_commit)
{
	struct store *s;
	char err[256];
	ck_assert_int_eq(store_open(db_path("counts.db"), &s, err, sizeof err), 0);
	/* Counts stop at half the index (rank_hits_enough): others fill it. */
	for (int i = 0; i < 12; i++) {
		int64_t other = 0;
		char title[32];
		snprintf(title, sizeof title, "Other talks %d", i);
		put_meeting(s, &other, title, "2024-02-01", "filler", NULL, STORE_OK);
	}
	int64_t a = 0, b = 0, c = 0;
	put_meeting(s, &a, "First talks", "2024-03-01", "quartzword quartz", NULL, STORE_OK);
	put_meeting(s, &b, "Second talks", "2024-03-02", "quartzword", NULL, STORE_OK);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 2);
	ck_assert_uint_eq(store_sqlite_phrase_counts_kept(store_conn(s)), 1);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 2);
	ck_assert_uint_eq(store_sqlite_phrase_counts_kept(store_conn(s)), 1);
	/* A whole word and a prefix are two phrases. */
	ck_assert_int_eq(phrase_count(s, "\"quartz\"", STORE_MEETINGS), 1);
	ck_assert_int_eq(phrase_count(s, "\"quartz\"*", STORE_MEETINGS), 2);
	/* This connection's own commit. */
	put_meeting(s, &c, "Third talks", "2024-03-03", "quartzword", NULL, STORE_OK);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 3);
	ck_assert_int_eq(phrase_count(s, "\"quartz\"", STORE_MEETINGS), 1);
	/* Another connection's. */
	pthread_t writer;
	void *status;
	ck_assert_int_eq(pthread_create(&writer, NULL, put_from_another_thread, s), 0);
	pthread_join(writer, &status);
	ck_assert_int_eq(*(enum store_status *)status, STORE_OK);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 4);
	ck_assert_int_eq(phrase_count(s, "\"quartz\"*", STORE_MEETINGS), 4);
	/* A change that drops the word, and the same phrase in another index. */
	put_meeting(s, &a, "First talks", "2024-03-01", "nothing of it", NULL, STORE_OK);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 3);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_PARTICIPANTS), -1);
	struct participant who = {0};
	who.name = strdup("Quartzword Envoy");
	ck_assert_int_eq(store_participant_create(s, &who), STORE_OK);
	participant_clear(&who);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_PARTICIPANTS), 1);
	ck_assert_int_eq(phrase_count(s, "\"quartzword\"", STORE_MEETINGS), 3);
	store_close(s);
}
END_TEST

/* ---- readout_texts ---- */

/* Appends a random JSON string to f: ASCII, UTF-8 (CJK, accents, an
 * emoji) and every escape, a surrogate pair among them. */
static void random_json_string(FILE *f, unsigned *seed)
{
	static const char *const parts[] = {
	    "plain words", "和平共处", "é",       "😀",       "\\\"",
	    "\\\\",        "\\/",      "\\b",     "\\f",     "\\n",
	    "\\r",         "\\t",      "\\u00e9", "\\u4e2d", "\\ud83d\\ude00",
	    "\\u0041",     " ",        "texts",   ":,{}[]",  "",
	};
	fputc('"', f);
	for (int n = rand_r(seed) % 6; n > 0; n--)
		fputs(parts[rand_r(seed) % (sizeof parts / sizeof parts[0])], f);
	fputc('"', f);
}

/* Appends a random JSON value to f, arrays and objects down to depth. */
static void random_json_value(FILE *f, unsigned *seed, int depth)
{
	static const char *const scalars[] = {"-12.5e3", "true", "null", "0"};
	int kind = rand_r(seed) % (depth > 0 ? 7 : 5);
	if (kind == 0) {
		random_json_string(f, seed);
		return;
	}
	if (kind < 5) {
		fputs(scalars[kind - 1], f);
		return;
	}
	bool object = rand_r(seed) % 2;
	fputs(object ? "{ " : "[\n", f);
	for (int n = rand_r(seed) % 4, i = 0; i < n; i++) {
		if (i)
			fputs(" ,", f);
		bool text = object && rand_r(seed) % 3 == 0;
		if (object) {
			if (text)
				fputs("\"text\"", f);
			else
				random_json_string(f, seed);
			fputs(" : ", f);
		}
		if (text) /* a string, as the API has it */
			random_json_string(f, seed);
		else
			random_json_value(f, seed, depth - 1);
	}
	fputs(object ? "}" : "]", f);
}

/* Random arrays of readout objects (a "text" member most of the time, at
 * times two, other members, other values among the objects, but strings):
 * readout_texts
 * gives what json_each with json_extract gives; malformed ones are an
 * error to both. */
START_TEST(readout_texts_as_json_functions)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(store_search_register(db, NULL), SQLITE_OK);
	sqlite3_stmt *ours, *theirs;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT readout_texts(?1, ' … ')", -1, &ours, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "SELECT group_concat(json_extract(value, '$.text'), ' "
	                                    "… ') FROM json_each(?1)",
	                                    -1, &theirs, NULL),
	                 SQLITE_OK);
	unsigned seed = 20261206;
	int texts = 0, errors = 0;
	for (int round = 0; round < 3000; round++) {
		char *json = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&json, &len);
		fputs(round % 5 ? "[" : " [ ", f);
		for (int n = rand_r(&seed) % 4, i = 0; i < n; i++) {
			if (i)
				fputs(",", f);
			if (rand_r(&seed) % 5 == 0) {
				/* Not an object (nor a string: json_each gives a
				 * string's value unquoted, which json_extract
				 * refuses; PostgreSQL's ->> and readout_texts skip it). */
				char *v = NULL;
				size_t vlen = 0;
				FILE *g = open_memstream(&v, &vlen);
				random_json_value(g, &seed, 2);
				fclose(g);
				fputs(v[0] == '"' ? "[]" : v, f);
				free(v);
				continue;
			}
			fputs("{", f);
			for (int m = 1 + rand_r(&seed) % 4, k = 0; k < m; k++) {
				if (k)
					fputs(", ", f);
				bool text = rand_r(&seed) % 2;
				if (text)
					fputs("\"text\"", f);
				else
					random_json_string(f, &seed);
				fputs(":", f);
				if (text)
					random_json_string(f, &seed);
				else
					random_json_value(f, &seed, 2);
			}
			fputs("}", f);
		}
		fputs("]", f);
		fclose(f);
		if (round % 7 == 6) /* cut short: malformed */
			len = (size_t)rand_r(&seed) % len;
		sqlite3_bind_text(ours, 1, json, (int)len, SQLITE_STATIC);
		sqlite3_bind_text(theirs, 1, json, (int)len, SQLITE_STATIC);
		int a = sqlite3_step(ours), b = sqlite3_step(theirs);
		ck_assert_msg((a == SQLITE_ROW) == (b == SQLITE_ROW), "%d, json_each %d: %.*s", a,
		              b, (int)len, json);
		if (a == SQLITE_ROW) {
			const char *x = (const char *)sqlite3_column_text(ours, 0);
			const char *y = (const char *)sqlite3_column_text(theirs, 0);
			ck_assert_msg((x == NULL) == (y == NULL) && (!x || strcmp(x, y) == 0),
			              "%.*s: [%s], json_each [%s]", (int)len, json, x ? x : "NULL",
			              y ? y : "NULL");
			texts += x != NULL;
		} else {
			errors++;
		}
		sqlite3_reset(ours);
		sqlite3_reset(theirs);
		free(json);
	}
	/* Both kinds of case came up often. */
	ck_assert_int_gt(texts, 1000);
	ck_assert_int_gt(errors, 100);
	sqlite3_finalize(ours);
	sqlite3_finalize(theirs);
	sqlite3_close(db);
}
END_TEST

/* The scores of the meetings a search of match ranks, in the order of ids
 * (at most 8), on the calling thread's connection. */
struct ranked {
	const char *match;
	size_t n;
	int64_t id[8];
	double score[8];
	struct store *s;
};

static void *rank_meetings(void *arg)
{
	struct ranked *r = arg;
	struct search_hit *hits = NULL;
	size_t n = 0;
	char *next = NULL;
	r->n = 0;
	if (store_search(r->s, r->match, 1u << STORE_MEETINGS, NULL, 8, &hits, &n, &next, NULL) !=
	    STORE_OK)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t at = r->n++;
		for (; at > 0 && r->id[at - 1] > hits[i].id; at--) {
			r->id[at] = r->id[at - 1];
			r->score[at] = r->score[at - 1];
		}
		r->id[at] = hits[i].id;
		r->score[at] = hits[i].score;
		search_hit_clear(&hits[i]);
	}
	free(hits);
	free(next);
	return r;
}

/* Two rankings give the same meetings the same scores, to the bit. */
static void same_scores(const struct ranked *a, const struct ranked *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_int_eq(a->id[i], b->id[i]);
		ck_assert_msg(a->score[i] == b->score[i], "meeting %lld: %.17g, then %.17g",
		              (long long)a->id[i], a->score[i], b->score[i]);
	}
}

/* A connection keeps the lengths of the meetings it ranked for as long as
 * no commit changes the store: its scores are those of a connection that
 * keeps none (another thread's, which reads every length). */
START_TEST(lengths_follow_every_commit)
{
	struct store *s;
	char err[256];
	ck_assert_int_eq(store_open(db_path("lengths.db"), &s, err, sizeof err), 0);
	int64_t a = 0, b = 0, c = 0;
	put_meeting(s, &a, "First talks", "2024-03-01", "quartzword and a few words", NULL,
	            STORE_OK);
	put_meeting(s, &b, "Second talks", "2024-03-02", "quartzword", NULL, STORE_OK);
	put_meeting(s, &c, "Third talks", "2024-03-03", "other words", NULL, STORE_OK);
	/* More meetings of the word than the array's first room (256 rows:
	 * its growth keeps the lengths kept), each of another length, all
	 * longer than the first two. */
	char readout[1024] =
	    "quartzword and twenty words more than the first two have in theirs, so "
	    "that they come after them";
	for (int i = 0; i < 600; i++) {
		int64_t other = 0;
		char title[32];
		snprintf(title, sizeof title, "Filler talks %d", i);
		if (strlen(readout) + 8 < sizeof readout)
			strcat(readout, i % 2 ? " filler" : " words");
		put_meeting(s, &other, title, "2024-02-01", readout, NULL, STORE_OK);
	}
	struct ranked first = {.match = "\"quartzword\"", .s = s}, again = first, cold = first;
	ck_assert_ptr_nonnull(rank_meetings(&first));
	ck_assert_uint_eq(first.n, 8);
	ck_assert_uint_eq(store_sqlite_lengths_kept(store_conn(s), STORE_MEETINGS), 602);
	ck_assert_ptr_nonnull(rank_meetings(&again));
	same_scores(&first, &again);
	/* The same words in a longer text: the same hits, a lower score. */
	put_meeting(s, &a, "First talks", "2024-03-01",
	            "quartzword and many more words than it had before this change", NULL,
	            STORE_OK);
	ck_assert_ptr_nonnull(rank_meetings(&again));
	ck_assert_int_eq(first.id[0], a);
	ck_assert_int_eq(again.id[0], a);
	ck_assert_msg(again.score[0] > first.score[0], "%.17g, before %.17g", again.score[0],
	              first.score[0]);
	pthread_t other;
	void *done;
	ck_assert_int_eq(pthread_create(&other, NULL, rank_meetings, &cold), 0);
	pthread_join(other, &done);
	ck_assert_ptr_nonnull(done);
	same_scores(&cold, &again);
	store_close(s);
}
END_TEST

/* From the -shm file of the database name (the WAL-index, in the machine's
 * byte order): the WAL's length in frames (the header's mxFrame, at byte
 * 16) and how many of them are copied into the database (nBackfill, at
 * byte 96). */
static void wal_state(const char *name, uint32_t *frames, uint32_t *copied)
{
	char shm[600];
	snprintf(shm, sizeof shm, "%s-shm", db_path(name));
	FILE *f = fopen(shm, "rb");
	ck_assert_ptr_nonnull(f);
	unsigned char head[100];
	ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
	fclose(f);
	memcpy(frames, head + 16, sizeof *frames);
	memcpy(copied, head + 96, sizeof *copied);
}

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A meeting of its own words, a few WAL pages of them. */
static void put_wordy_meeting(struct store *s, int i)
{
	char title[64], readout[3000] = "";
	snprintf(title, sizeof title, "Checkpoint talks %d", i);
	for (size_t len = 0; len + 16 < sizeof readout;)
		len += (size_t)snprintf(readout + len, sizeof readout - len, "w%dx%zu ", i, len);
	int64_t id = 0;
	put_meeting(s, &id, title, "2024-05-06", readout, NULL, STORE_OK);
}

/* Writes that take the WAL past STORE_CHECKPOINT_PAGES start the store's
 * checkpoint thread, which copies the WAL into the database with no
 * further write; the next write starts the WAL again from its beginning.
 * Under writes that go on, the WAL restarts again and again and never
 * reaches the length at which a commit would copy it itself. Closing the
 * store stops the thread and removes the WAL. */
START_TEST(checkpoints_beside_writes)
{
	struct store *s;
	char err[256];
	ck_assert_int_eq(store_open(db_path("ckpt.db"), &s, err, sizeof err), 0);
	int threads = thread_count();
	uint32_t frames = 0, copied = 0;
	int i = 0;
	while (frames < STORE_CHECKPOINT_PAGES) {
		ck_assert_int_eq(thread_count(), threads);
		ck_assert_int_lt(i, 2000);
		put_wordy_meeting(s, i++);
		wal_state("ckpt.db", &frames, &copied);
	}
	ck_assert_int_eq(thread_count(), threads + 1);
	for (int wait = 0; copied < frames && wait < 500; wait++) {
		usleep(10 * 1000);
		wal_state("ckpt.db", &frames, &copied);
	}
	ck_assert_uint_eq(copied, frames);
	uint32_t before = frames;
	put_wordy_meeting(s, i++);
	wal_state("ckpt.db", &frames, &copied);
	ck_assert_msg(frames < before / 4, "%u frames, %u before", frames, before);
	int restarts = 0;
	for (int n = 0; n < 400; n++) {
		before = frames;
		put_wordy_meeting(s, i++);
		wal_state("ckpt.db", &frames, &copied);
		ck_assert_uint_lt(frames, STORE_CHECKPOINT_INLINE_PAGES);
		restarts += frames < before;
	}
	ck_assert_int_ge(restarts, 2);
	store_close(s);
	ck_assert_int_eq(thread_count(), threads);
	ck_assert_int_eq(access(db_path("ckpt.db-wal"), F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, migrates_fresh_file);
	tcase_add_test(tc, refuses_newer_database);
	tcase_add_test(tc, refuses_unwritable_path);
	tcase_add_test(tc, schema_sql_matches_migrations);
	tcase_add_test(tc, backup_is_consistent_copy);
	tcase_add_test(tc, upgrades_an_older_database);
	tcase_add_test(tc, moves_summaries_to_meeting_list);
	tcase_add_test(tc, checks_build_no_temporary_tables);
	tcase_add_test(tc, rank_is_bm25_with_frozen_statistics);
	tcase_add_test(tc, grouped_writes_index_as_rebuilt);
	tcase_add_test(tc, phrase_counts_follow_every_commit);
	tcase_add_test(tc, lengths_follow_every_commit);
	tcase_add_test(tc, readout_texts_as_json_functions);
	tcase_add_test(tc, checkpoints_beside_writes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
