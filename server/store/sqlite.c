/*
 * The SQLite driver: one SQLite connection per struct store_db, the
 * connection settings of DESIGN.md (WAL, synchronous=FULL, foreign keys, a
 * busy timeout, limits), fold() for case- and accent-blind LIKE, the
 * per-operation deadline through the progress handler, migrations counted
 * by PRAGMA user_version, and online backup. The only file of the store
 * besides the SQLite search (store/search.c) that includes sqlite3.h.
 */
#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "model/xalloc.h"
#include "store/migrations.h"
#include "store/sqlite.h"

/* The transaction statements, prepared once per connection: parsing
 * "BEGIN" and "COMMIT" again for every request cost about a tenth of a
 * read by id. */
enum tx_statement {
	TX_BEGIN,
	TX_BEGIN_IMMEDIATE,
	TX_COMMIT,
	TX_SAVEPOINT,
	TX_RELEASE,
	TX_ROLLBACK_TO,
	TX_STATEMENTS
};
static const char *const tx_sql[TX_STATEMENTS] = {
    "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "SAVEPOINT w", "RELEASE w", "ROLLBACK TO w"};

struct store_db {
	sqlite3 *handle;
	int64_t deadline_ms; /* monotonic ms when running statements must stop; 0: none */
	sqlite3_stmt *tx[TX_STATEMENTS];
	struct search_kept *kept; /* store_sqlite_search_kept */
	int wal_pages;            /* the WAL's length after the last commit */
};

/* The one mapping of SQLite result codes to store statuses. */
static enum store_status sqlite_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_CONSTRAINT:
		return STORE_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_INTERRUPT:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
	case SQLITE_NOMEM:
		return STORE_BUSY;
	default:
		return STORE_ERROR;
	}
}

/* fold(text): model_fold for SQL, so LIKE can ignore case and accents. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	if (!text) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, model_fold(text), -1, free);
}

/* The coarse clock costs a few nanoseconds, and its resolution (a few
 * milliseconds) is far finer than any budget. Deadlines are set on the same
 * clock (store.c). */
static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Interrupts a statement that runs past its connection's deadline (the
 * statement then fails with SQLITE_INTERRUPT: 503). */
static int progress(void *ctx)
{
	const struct store_db *db = ctx;
	return db->deadline_ms && now_ms() > db->deadline_ms;
}

/* Applies the connection settings of DESIGN.md; the search functions
 * keep what they read in kept. */
static int configure(sqlite3 *db, struct search_kept *kept)
{
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, STORE_VALUE_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, STORE_SQL_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, STORE_VARIABLES_MAX);
	sqlite3_create_function(db, "fold", 1,
	                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                        sql_fold, NULL, NULL);
	int rc = store_search_register(db, kept);
	if (rc != SQLITE_OK)
		return rc;
	int on = 1;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &on);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	/* temp_store=MEMORY: a savepoint keeps the pages its write changes in a
	 * sub-journal, a temporary file past 64 KiB unless temporary files
	 * are kept in memory; each write of a group commit is a savepoint
	 * (store_group_begin), and a new meeting's spilled, 15% of the
	 * writer's time in writes to that file. */
	char sql[256];
	snprintf(sql, sizeof sql,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	         "PRAGMA trusted_schema=OFF; PRAGMA journal_size_limit=%d;"
	         "PRAGMA temp_store=MEMORY;",
	         STORE_WAL_SIZE_LIMIT);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Keeps -wal and -shm writable by their owner. SQLite creates them with
 * the database file's mode, so opened on a read-only file (0444) they are
 * read-only too, and stay so after the file's write permission is back:
 * every later connection, of this server or another writer, then opens
 * them read-only, and SQLite maps -shm once per process, read-only for as
 * long as any connection of the process has it open. Called before each
 * connection is opened, so the mapping is made writable from the start.
 * Only files this process's user owns (who could chmod them anyway), only
 * the owner's bits while the database file is read-only, and its mode
 * (the one SQLite would have given them) once it is writable. */
static void sidecar_repair(const char *path)
{
	struct stat db;
	if (stat(path, &db))
		return;
	bool writable = access(path, W_OK) == 0;
	static const char *const suffix[] = {"-wal", "-shm"};
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		char side[4096];
		struct stat sb;
		if ((size_t)snprintf(side, sizeof side, "%s%s", path, suffix[i]) >= sizeof side ||
		    lstat(side, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
			continue;
		mode_t want = (writable ? db.st_mode : sb.st_mode) & 0777;
		want |= S_IRUSR | S_IWUSR;
		if ((sb.st_mode & 0777) != want)
			chmod(side, want);
	}
}

/* The file SQLite opened: none ("") for an in-memory database (a file:
 * URI with mode=memory), which no one can remove. */
static char *sqlite_watched_file(struct store_db *db)
{
	const char *file = sqlite3_db_filename(db->handle, "main");
	return file && *file ? xstrdup(file) : NULL;
}

static void sqlite_tune_for_scan(struct store_db *db)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", STORE_EXPORT_CACHE_KIB);
	sqlite3_exec(db->handle, sql, NULL, NULL, NULL);
}

/* SQLite counts every allocation under one process-wide mutex unless told
 * not to, before its first use: the worker threads' searches (FTS5 allocates
 * for each row it ranks) then queue on it, a tenth of a search's time in
 * futex calls. Nothing reads those counts. */
static void sqlite_configure_process(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_checkpoint(struct store_db *db)
{
	int pages = 0;
	int rc =
	    sqlite3_wal_checkpoint_v2(db->handle, NULL, SQLITE_CHECKPOINT_PASSIVE, &pages, NULL);
	return rc == SQLITE_OK ? pages : -1;
}

/* After each commit of the connection, in place of SQLite's automatic
 * checkpoint: keeps the WAL's length for sqlite_checkpoint_due, and copies
 * the WAL here once the store's checkpoint thread has let it grow to
 * STORE_CHECKPOINT_INLINE_PAGES. */
static int wal_committed(void *ctx, sqlite3 *h, const char *name, int pages)
{
	(void)h;
	(void)name;
	struct store_db *db = ctx;
	db->wal_pages = pages;
	if (pages >= STORE_CHECKPOINT_INLINE_PAGES)
		sqlite_checkpoint(db);
	return SQLITE_OK;
}

static bool sqlite_checkpoint_due(struct store_db *db)
{
	return db->wal_pages >= STORE_CHECKPOINT_PAGES;
}

static struct store_db *sqlite_open(const char *path, bool create, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_configure_process);
	sqlite3 *h = NULL;
	sidecar_repair(path);
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &h, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	struct search_kept *kept = store_sqlite_search_kept_new();
	if (rc == SQLITE_OK)
		rc = configure(h, kept);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen,
		         "cannot open database %s: %s (check the path and its permissions)", path,
		         h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		store_sqlite_search_kept_free(kept);
		return NULL;
	}
	struct store_db *db = xcalloc(1, sizeof *db);
	db->handle = h;
	db->kept = kept;
	sqlite3_wal_hook(h, wal_committed, db);
	sqlite3_progress_handler(h, STORE_PROGRESS_STEPS, progress, db);
	return db;
}

static void sqlite_close(struct store_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < TX_STATEMENTS; i++)
		sqlite3_finalize(db->tx[i]);
	sqlite3_close_v2(db->handle);
	store_sqlite_search_kept_free(db->kept);
	free(db);
}

/* Rewrites the $N parameters of sql as ?N, outside string literals and
 * quoted identifiers (a new string). */
static char *rewrite_params(const char *sql)
{
	char *out = xstrdup(sql);
	char quote = 0;
	for (char *p = out; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			*p = '?';
		}
	}
	return out;
}

static enum store_status sqlite_prepare(struct store_db *db, const char *sql,
                                        struct store_db_stmt **out)
{
	char *text = rewrite_params(sql);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->handle, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	free(text);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return sqlite_status(rc);
	}
	*out = (struct store_db_stmt *)st;
	return STORE_OK;
}

#define STMT(st) ((sqlite3_stmt *)(st))

static void sqlite_finalize(struct store_db_stmt *st)
{
	sqlite3_finalize(STMT(st));
}

static void sqlite_bind_int64(struct store_db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(STMT(st), i, v);
}

static void sqlite_bind_double(struct store_db_stmt *st, int i, double v)
{
	sqlite3_bind_double(STMT(st), i, v);
}

static void sqlite_bind_text(struct store_db_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(STMT(st), i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(STMT(st), i);
}

static void sqlite_bind_blob(struct store_db_stmt *st, int i, const void *p, size_t n)
{
	sqlite3_bind_blob(STMT(st), i, p, (int)n, SQLITE_TRANSIENT);
}

static void sqlite_bind_null(struct store_db_stmt *st, int i)
{
	sqlite3_bind_null(STMT(st), i);
}

static enum store_status sqlite_step(struct store_db_stmt *st, bool *row)
{
	int rc = sqlite3_step(STMT(st));
	*row = rc == SQLITE_ROW;
	return sqlite_status(rc);
}

static int64_t sqlite_column_int64(struct store_db_stmt *st, int i)
{
	return sqlite3_column_int64(STMT(st), i);
}

static double sqlite_column_double(struct store_db_stmt *st, int i)
{
	return sqlite3_column_double(STMT(st), i);
}

static const char *sqlite_column_text(struct store_db_stmt *st, int i, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(STMT(st), i);
	if (len)
		*len = (size_t)sqlite3_column_bytes(STMT(st), i);
	return t;
}

static const void *sqlite_column_blob(struct store_db_stmt *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(STMT(st), i);
	*len = (size_t)sqlite3_column_bytes(STMT(st), i);
	return p;
}

static bool sqlite_column_is_null(struct store_db_stmt *st, int i)
{
	return sqlite3_column_type(STMT(st), i) == SQLITE_NULL;
}

static bool sqlite_column_bool(struct store_db_stmt *st, int i)
{
	return sqlite3_column_int64(STMT(st), i) != 0;
}

static void sqlite_reset(struct store_db_stmt *st)
{
	sqlite3_reset(STMT(st));
	sqlite3_clear_bindings(STMT(st));
}

static int64_t sqlite_changes(struct store_db *db)
{
	return sqlite3_changes64(db->handle);
}

static enum store_status exec_tx(struct store_db *db, enum tx_statement which)
{
	int rc = SQLITE_OK;
	if (!db->tx[which])
		rc = sqlite3_prepare_v2(db->handle, tx_sql[which], -1, &db->tx[which], NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(db->tx[which]);
		sqlite3_reset(db->tx[which]);
	}
	return sqlite_status(rc);
}

static enum store_status sqlite_begin_write(struct store_db *db)
{
	return exec_tx(db, TX_BEGIN_IMMEDIATE);
}

static enum store_status sqlite_begin_read(struct store_db *db)
{
	return exec_tx(db, TX_BEGIN);
}

static enum store_status sqlite_commit(struct store_db *db)
{
	return exec_tx(db, TX_COMMIT);
}

static void sqlite_rollback(struct store_db *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

static enum store_status sqlite_savepoint(struct store_db *db, enum store_savepoint op)
{
	if (op == SAVEPOINT_SET)
		return exec_tx(db, TX_SAVEPOINT);
	enum store_status r = op == SAVEPOINT_UNDO ? exec_tx(db, TX_ROLLBACK_TO) : STORE_OK;
	return r == STORE_OK ? exec_tx(db, TX_RELEASE) : r;
}

static bool sqlite_in_transaction(struct store_db *db)
{
	return !sqlite3_get_autocommit(db->handle);
}

static void sqlite_set_deadline(struct store_db *db, int64_t deadline_ms)
{
	db->deadline_ms = deadline_ms;
}

/* Reads one integer of a PRAGMA. */
static enum store_status pragma_int(struct store_db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->handle, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_OK ? STORE_ERROR : sqlite_status(rc);
}

static int sqlite_schema_target(void)
{
	return store_migration_count;
}

/* Applies every migration newer than the database, in one transaction. */
static int migrate_all(struct store_db *d, const char *path, char *err, size_t errlen)
{
	sqlite3 *db = d->handle;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot lock database %s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	int64_t version = 0;
	pragma_int(d, "PRAGMA user_version", &version);
	if (version > store_migration_count) {
		snprintf(err, errlen,
		         "database %s is at schema version %d, newer than this readoutd (%d): "
		         "run a newer readoutd",
		         path, (int)version, store_migration_count);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (int i = (int)version; i < store_migration_count; i++) {
		char *msg = NULL;
		if (sqlite3_exec(db, store_migrations[i].sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s failed: %s", store_migrations[i].name,
			         msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	/* Up to date: nothing to write (a read-only database still serves reads). */
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_migration_count);
	if ((version < store_migration_count &&
	     sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot migrate database %s: %s", path, sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* migrate_all with defensive mode off: it forbids PRAGMA writable_schema,
 * with which a migration edits a table's definition in place where the
 * stored rows stay as they are (0016). The migrations are this program's
 * own SQL; whatever the connection runs after them is defended again. */
static int sqlite_migrate(struct store_db *d, const char *path, char *err, size_t errlen)
{
	sqlite3 *db = d->handle;
	int on = 0;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, &on);
	int rc = migrate_all(d, path, err, errlen);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	return rc;
}

static enum store_status sqlite_backup(struct store_db *db, const char *path, char *err,
                                       size_t errlen)
{
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists already; choose a new path", path);
		return STORE_CONFLICT;
	}
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	enum store_status r = STORE_ERROR;
	if (rc == SQLITE_OK) {
		/* One step copies every page from one read transaction: a consistent snapshot. */
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", db->handle, "main");
		if (b) {
			rc = sqlite3_backup_step(b, -1);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		} else {
			rc = sqlite3_errcode(dst);
		}
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "backup to %s failed: %s", path,
		         dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		r = sqlite_status(rc);
		goto done;
	}
	/* Leave a self-contained file: no WAL beside it. */
	sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_stmt *st = NULL;
	bool ok = false;
	if (sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		snprintf(err, errlen, "backup %s failed its integrity check", path);
		goto done;
	}
	r = STORE_OK;
done:
	sqlite3_close(dst);
	if (r == STORE_OK) {
		int fd = open(path, O_RDONLY);
		if (fd < 0 || fsync(fd)) {
			snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
			r = STORE_BUSY;
		}
		if (fd >= 0)
			close(fd);
	} else if (access(path, F_OK) == 0) {
		unlink(path);
	}
	return r;
}

static bool sqlite_read_only(struct store_db *db)
{
	return sqlite3_db_readonly(db->handle, "main") == 1 && sqlite3_get_autocommit(db->handle);
}

static const struct store_dialect sqlite_dialect = {
    .meeting_rank_from = "meetings_fts JOIN meetings m ON m.id = meetings_fts.rowid",
    .meeting_rank_score = MEETING_RANK(9),
    .meeting_rank_match = "meetings_fts MATCH $30",
    .meeting_match = "m.id IN (SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH $30)",
    /* Moves when another connection (another thread, or another process
     * such as readoutd import) commits. */
    .data_version = "PRAGMA data_version",
    .schema_version = "PRAGMA user_version",
};

const struct store_driver store_sqlite_driver = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .bind_int64 = sqlite_bind_int64,
    .bind_double = sqlite_bind_double,
    .bind_text = sqlite_bind_text,
    .bind_blob = sqlite_bind_blob,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .column_int64 = sqlite_column_int64,
    .column_double = sqlite_column_double,
    .column_text = sqlite_column_text,
    .column_blob = sqlite_column_blob,
    .column_is_null = sqlite_column_is_null,
    .column_bool = sqlite_column_bool,
    .reset = sqlite_reset,
    .changes = sqlite_changes,
    .begin_write = sqlite_begin_write,
    .begin_read = sqlite_begin_read,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .savepoint = sqlite_savepoint,
    .in_transaction = sqlite_in_transaction,
    .set_deadline = sqlite_set_deadline,
    .migrate = sqlite_migrate,
    .backup = sqlite_backup,
    .read_only = sqlite_read_only,
    .schema_target = sqlite_schema_target,
    .watched_file = sqlite_watched_file,
    .tune_for_scan = sqlite_tune_for_scan,
    .checkpoint_due = sqlite_checkpoint_due,
    .checkpoint = sqlite_checkpoint,
    .sql = &sqlite_dialect,
    .search = store_sqlite_search,
    .fts_remove = store_sqlite_fts_remove,
    .fts_at_commit = true,
    .fts_add = store_sqlite_fts_add,
    .fts_optimize = store_sqlite_fts_optimize,
    .rank_freeze = store_sqlite_rank_freeze,
    .rank_bind = store_sqlite_rank_bind,
};

struct sqlite3 *store_sqlite_handle(struct store_conn *c)
{
	return c->db->handle;
}

struct search_kept *store_sqlite_search_kept(struct store_conn *c)
{
	return c->db->kept;
}
