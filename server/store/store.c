/*
 * Opening, connections, statements, transactions and migrations. Each worker
 * thread gets its own connection through a pthread key; every connection is
 * also on the store's list so store_close can close them all once the
 * threads are gone. Nothing SQLite is shared between threads.
 */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "model/xalloc.h"
#include "store/migrations.h"

struct stmt_entry {
	char *sql;
	sqlite3_stmt *stmt;
};

struct store_conn {
	sqlite3 *db;
	int64_t deadline_ms;  /* monotonic ms when the running operation must stop; 0: none */
	int64_t data_version; /* PRAGMA data_version last seen; 0: never read */
	bool writing;         /* in a BEGIN IMMEDIATE transaction */
	struct store *store;
	struct stmt_entry cache[STORE_STMT_CACHE];
	size_t cached;
	struct store_conn *next;
};

struct store {
	char *path;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns */
	struct store_conn *conns;
	uint8_t cursor_key[CURSOR_KEY_LEN];
	atomic_ulong errors;
	atomic_ulong generation; /* see store_generation */
	int budget_ms;           /* an operation's time budget (store_set_budget) */
	char *file;              /* the file opened at path (NULL: in memory) */
	dev_t dev;               /* its identity, to notice it removed or replaced */
	ino_t ino;
};

int store_schema_version(void)
{
	return store_migration_count;
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
 * milliseconds) is far finer than any budget. */
static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The deadline of the request this thread is serving (store_request_start),
 * for the store it was started on; 0: none. */
static _Thread_local const struct store *request_store;
static _Thread_local int64_t request_deadline_ms;

void store_request_start(struct store *s)
{
	request_store = s;
	request_deadline_ms = now_ms() + s->budget_ms;
}

/* The deadline of an operation starting now on s: the request's when one is
 * under way on this thread, else the budget from now. */
static int64_t operation_deadline(const struct store *s)
{
	if (request_store == s && request_deadline_ms)
		return request_deadline_ms;
	return now_ms() + s->budget_ms;
}

/* Interrupts a statement that runs past its connection's deadline (the
 * statement then fails with SQLITE_INTERRUPT: 503). */
static int progress(void *ctx)
{
	const struct store_conn *c = ctx;
	return c->deadline_ms && now_ms() > c->deadline_ms;
}

/* Applies the connection settings of DESIGN.md. */
static int configure(sqlite3 *db)
{
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, STORE_VALUE_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, STORE_SQL_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, STORE_VARIABLES_MAX);
	sqlite3_create_function(db, "fold", 1,
	                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                        sql_fold, NULL, NULL);
	int rc = store_search_register(db);
	if (rc != SQLITE_OK)
		return rc;
	int on = 1;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &on);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	         "PRAGMA trusted_schema=OFF; PRAGMA journal_size_limit=%d;",
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

static sqlite3 *open_db(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sidecar_repair(path);
	int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK)
		rc = configure(db);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen,
		         "cannot open database %s: %s (check the path and its permissions)", path,
		         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* True when the file at the store's path is gone or another file than the
 * one opened at start (its directory or it removed, or it replaced): writes
 * would go to a file nobody will find again. One stat(), about a
 * microsecond: done before each write transaction (a commit costs ~0.3 ms)
 * and for /readyz, not on reads. */
static bool file_moved(struct store *s)
{
	if (!s->file)
		return false;
	struct stat sb;
	bool moved = stat(s->file, &sb) != 0 || sb.st_dev != s->dev || sb.st_ino != s->ino;
	if (moved)
		atomic_fetch_add(&s->errors, 1);
	return moved;
}

static void conn_close(struct store_conn *c)
{
	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		if (c->cache[i].sql) {
			sqlite3_finalize(c->cache[i].stmt);
			free(c->cache[i].sql);
		}
	}
	sqlite3_close(c->db);
	free(c);
}

struct store_conn *store_conn_private(struct store *s)
{
	char err[256];
	if (file_moved(s))
		return NULL; /* never open (and create) a file other than the store's */
	sqlite3 *db = open_db(s->path, SQLITE_OPEN_READWRITE, err, sizeof err);
	if (!db) {
		atomic_fetch_add(&s->errors, 1);
		return NULL;
	}
	struct store_conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	c->store = s;
	sqlite3_progress_handler(db, STORE_PROGRESS_STEPS, progress, c);
	return c;
}

void store_conn_unbounded(struct store_conn *c)
{
	c->deadline_ms = 0;
}

void store_conn_free(struct store_conn *c)
{
	if (c)
		conn_close(c);
}

struct store_conn *store_conn(struct store *s)
{
	struct store_conn *c = pthread_getspecific(s->key);
	if (c) {
		c->deadline_ms = operation_deadline(s);
		return c;
	}
	c = store_conn_private(s);
	if (!c)
		return NULL;
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->lock);
	pthread_setspecific(s->key, c);
	c->deadline_ms = operation_deadline(s);
	return c;
}

enum store_status store_conn_failure(struct store *s)
{
	return file_moved(s) ? STORE_MOVED : STORE_BUSY;
}

sqlite3 *store_db(struct store_conn *c)
{
	return c->db;
}

static size_t sql_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Finds the cache slot holding sql, or -1. */
static long cache_find(const struct store_conn *c, const char *sql)
{
	size_t i = sql_hash(sql) % STORE_STMT_CACHE;
	for (size_t probe = 0; probe < STORE_STMT_CACHE; probe++, i = (i + 1) % STORE_STMT_CACHE) {
		if (!c->cache[i].sql)
			return -1;
		if (strcmp(c->cache[i].sql, sql) == 0)
			return (long)i;
	}
	return -1;
}

sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql)
{
	long hit = cache_find(c, sql);
	if (hit >= 0)
		return c->cache[hit].stmt;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		store_status_of(c, rc);
		return NULL;
	}
	/* Keep it when there is room (3/4 full at most); else the statement is
	 * finalized by store_stmt_done. */
	size_t i = sql_hash(sql) % STORE_STMT_CACHE;
	while (c->cache[i].sql)
		i = (i + 1) % STORE_STMT_CACHE;
	if (c->cached < STORE_STMT_CACHE * 3 / 4) {
		c->cache[i].sql = xstrdup(sql);
		c->cache[i].stmt = st;
		c->cached++;
	}
	return st;
}

void store_stmt_done(struct store_conn *c, sqlite3_stmt *st)
{
	if (!st)
		return;
	long i = cache_find(c, sqlite3_sql(st));
	if (i >= 0 && c->cache[i].stmt == st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

enum store_status store_status_of(struct store_conn *c, int rc)
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
		atomic_fetch_add(&c->store->errors, 1);
		return STORE_BUSY;
	default:
		atomic_fetch_add(&c->store->errors, 1);
		return STORE_ERROR;
	}
}

static enum store_status exec_simple(struct store_conn *c, const char *sql)
{
	return store_status_of(c, sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

/* Opens the database again for c when it can now be written: SQLite opens a
 * file it may not write read-only, and such a connection stays read-only
 * after the file becomes writable again. Only between operations (no
 * transaction open); on failure c keeps its connection. */
static void conn_reopen_writable(struct store_conn *c)
{
	char err[256];
	sqlite3 *db = open_db(c->store->path, SQLITE_OPEN_READWRITE, err, sizeof err);
	if (!db || sqlite3_db_readonly(db, "main") != 0) {
		sqlite3_close(db);
		return;
	}
	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		if (c->cache[i].sql) {
			sqlite3_finalize(c->cache[i].stmt);
			free(c->cache[i].sql);
		}
	}
	memset(c->cache, 0, sizeof c->cache);
	c->cached = 0;
	sqlite3_close_v2(c->db);
	c->db = db;
	c->data_version = 0; /* a new connection's count: compare from scratch */
	sqlite3_progress_handler(db, STORE_PROGRESS_STEPS, progress, c);
}

enum store_status store_begin_write(struct store_conn *c)
{
	if (file_moved(c->store))
		return STORE_MOVED;
	if (sqlite3_db_readonly(c->db, "main") == 1 && sqlite3_get_autocommit(c->db))
		conn_reopen_writable(c);
	enum store_status r = exec_simple(c, "BEGIN IMMEDIATE");
	c->writing = r == STORE_OK;
	return r;
}

enum store_status store_begin_read(struct store_conn *c)
{
	return exec_simple(c, "BEGIN");
}

enum store_status store_commit(struct store_conn *c)
{
	enum store_status st = exec_simple(c, "COMMIT");
	if (st != STORE_OK)
		store_rollback(c);
	else if (c->writing)
		atomic_fetch_add(&c->store->generation, 1);
	c->writing = false;
	return st;
}

void store_rollback(struct store_conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->writing = false;
}

unsigned long store_generation(struct store *s)
{
	struct store_conn *c = store_conn(s);
	sqlite3_stmt *st = c ? store_stmt(c, "PRAGMA data_version") : NULL;
	if (!st) {
		/* Cannot tell: a fresh generation makes every cached answer miss. */
		return atomic_fetch_add(&s->generation, 1) + 1;
	}
	/* data_version moves when another connection (another thread, or
	 * another process such as readoutd import) commits; this process's own
	 * commits move the generation in store_commit. A connection's first
	 * look counts as a change: it has no earlier value to compare. */
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0);
		if (v != c->data_version) {
			c->data_version = v;
			atomic_fetch_add(&s->generation, 1);
		}
	}
	store_stmt_done(c, st);
	return atomic_load(&s->generation);
}

enum store_status store_exec_ids(struct store_conn *c, const char *sql, int n, int64_t a, int64_t b,
                                 int64_t c3)
{
	sqlite3_stmt *st = store_stmt(c, sql);
	if (!st)
		return STORE_ERROR;
	int64_t v[3] = {a, b, c3};
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	enum store_status r = store_status_of(c, sqlite3_step(st));
	store_stmt_done(c, st);
	return r;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

char *store_column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

enum store_status store_resolve(struct store_conn *c, const char *table, int64_t id,
                                const char *slug, int64_t *out)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s", table,
	         id > 0 && slug ? "id = ?1 AND slug = ?2"
	         : id > 0       ? "id = ?1"
	                        : "slug = ?2");
	sqlite3_stmt *st = store_stmt(c, sql);
	if (!st)
		return STORE_ERROR;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if (slug)
		store_bind_text(st, 2, slug);
	int rc = sqlite3_step(st);
	enum store_status r = STORE_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		r = STORE_OK;
	} else if (rc != SQLITE_DONE) {
		r = store_status_of(c, rc);
	}
	store_stmt_done(c, st);
	return r;
}

enum store_status store_free_slug(struct store_conn *c, const char *table, const char *base,
                                  int64_t self, char **out)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE slug = ?", table);
	for (int n = 1;; n++) {
		char *candidate = model_slug_candidate(base, n);
		sqlite3_stmt *st = store_stmt(c, sql);
		if (!st) {
			free(candidate);
			return STORE_ERROR;
		}
		store_bind_text(st, 1, candidate);
		int rc = sqlite3_step(st);
		bool taken = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) != self;
		store_stmt_done(c, st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			free(candidate);
			return store_status_of(c, rc);
		}
		if (!taken) {
			*out = candidate;
			return STORE_OK;
		}
		free(candidate);
	}
}

/* Applies every migration newer than the database, in one transaction. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot lock database %s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > store_migration_count) {
		snprintf(err, errlen,
		         "database %s is at schema version %d, newer than this readoutd (%d): "
		         "run a newer readoutd",
		         path, version, store_migration_count);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (int i = version; i < store_migration_count; i++) {
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

/* Loads the cursor signing key, creating it on first start. */
static int load_cursor_key(sqlite3 *db, uint8_t key[CURSOR_KEY_LEN])
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM settings WHERE key = 'cursor_key'", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CURSOR_KEY_LEN) {
		memcpy(key, sqlite3_column_blob(st, 0), CURSOR_KEY_LEN);
		ok = 1;
	}
	sqlite3_finalize(st);
	if (ok)
		return 0;
	randombytes_buf(key, CURSOR_KEY_LEN);
	if (sqlite3_prepare_v2(
	        db, "INSERT OR REPLACE INTO settings (key, value) VALUES ('cursor_key', ?)", -1,
	        &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_blob(st, 1, key, CURSOR_KEY_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err, errlen);
	if (!db)
		return -1;
	if (migrate(db, path, err, errlen)) {
		sqlite3_close(db);
		return -1;
	}
	struct store *s = xcalloc(1, sizeof *s);
	if (load_cursor_key(db, s->cursor_key)) {
		snprintf(err, errlen, "cannot write to database %s: %s (check its permissions)",
		         path, sqlite3_errmsg(db));
		sqlite3_close(db);
		free(s);
		return -1;
	}
	/* The file SQLite opened: "" for an in-memory database (a file: URI
	 * with mode=memory), which no one can remove. */
	const char *file = sqlite3_db_filename(db, "main");
	struct stat sb;
	if (file && *file && stat(file, &sb)) {
		snprintf(err, errlen, "cannot stat database %s: %s", file, strerror(errno));
		sqlite3_close(db);
		free(s);
		return -1;
	}
	s->file = file && *file ? xstrdup(file) : NULL;
	s->dev = s->file ? sb.st_dev : 0;
	s->ino = s->file ? sb.st_ino : 0;
	sqlite3_close(db);
	s->path = xstrdup(path);
	s->budget_ms = STORE_QUERY_BUDGET_MS;
	pthread_key_create(&s->key, NULL);
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	struct store_conn *c = s->conns;
	while (c) {
		struct store_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s->file);
	free(s);
}

const uint8_t *store_cursor_key(struct store *s)
{
	return s->cursor_key;
}

unsigned long store_error_count(const struct store *s)
{
	return atomic_load(&((struct store *)s)->errors);
}

enum store_status store_ready(struct store *s)
{
	if (file_moved(s))
		return STORE_MOVED;
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	sqlite3_stmt *st = store_stmt(c, "PRAGMA user_version");
	if (!st)
		return STORE_BUSY;
	int rc = sqlite3_step(st);
	enum store_status r = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == store_migration_count
	                          ? STORE_OK
	                          : STORE_BUSY;
	if (rc != SQLITE_ROW)
		store_status_of(c, rc);
	store_stmt_done(c, st);
	return r;
}

enum store_status store_is_empty(struct store *s, bool *empty)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	sqlite3_stmt *st =
	    store_stmt(c, "SELECT EXISTS (SELECT 1 FROM participants) OR EXISTS "
	                  "(SELECT 1 FROM principles) OR EXISTS (SELECT 1 FROM meetings)");
	if (!st)
		return STORE_ERROR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*empty = sqlite3_column_int(st, 0) == 0;
	enum store_status r = store_status_of(c, rc);
	store_stmt_done(c, st);
	return r;
}

enum store_status store_backup(struct store *s, const char *path, char *err, size_t errlen)
{
	struct store_conn *c = store_conn(s);
	if (!c) {
		snprintf(err, errlen, "cannot open the database");
		return STORE_BUSY;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists already; choose a new path", path);
		return STORE_CONFLICT;
	}
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	enum store_status r = STORE_ERROR;
	if (rc == SQLITE_OK) {
		/* One step copies every page from one read transaction: a consistent snapshot. */
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", c->db, "main");
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
		r = store_status_of(c, rc);
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

void store_read_meta(sqlite3_stmt *st, int col, struct entity_meta *m)
{
	m->id = sqlite3_column_int64(st, col);
	m->slug = store_column_text(st, col + 1);
	snprintf(m->created_at, sizeof m->created_at, "%s",
	         (const char *)sqlite3_column_text(st, col + 2));
	snprintf(m->updated_at, sizeof m->updated_at, "%s",
	         (const char *)sqlite3_column_text(st, col + 3));
	m->version = sqlite3_column_int64(st, col + 4);
}

enum store_status store_read_one(struct store_conn *c, sqlite3_stmt *st,
                                 void (*read)(sqlite3_stmt *st, void *out), void *out)
{
	int rc = sqlite3_step(st);
	enum store_status r = STORE_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		read(st, out);
		r = STORE_OK;
	} else if (rc != SQLITE_DONE) {
		r = store_status_of(c, rc);
	}
	store_stmt_done(c, st);
	return r;
}

char *store_like_pattern(const char *text)
{
	char *s = model_fold(text), *folded = s;
	size_t n = strlen(s);
	char *out = xmalloc(2 * n + 3), *o = out;
	*o++ = '%';
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '%';
	*o = '\0';
	free(folded);
	return out;
}

enum store_status store_version_miss(struct store_conn *c, const char *table, int64_t id)
{
	int64_t found;
	enum store_status st = store_resolve(c, table, id, NULL, &found);
	return st == STORE_OK ? STORE_STALE : st;
}

void store_bind_created(sqlite3_stmt *st, int created_col, int updated_col, int version_col,
                        const struct entity_meta *meta, const char *now)
{
	bool restore = meta->created_at[0] && meta->updated_at[0] && meta->version > 0;
	store_bind_text(st, created_col, restore ? meta->created_at : now);
	store_bind_text(st, updated_col, restore ? meta->updated_at : now);
	sqlite3_bind_int64(st, version_col, restore ? meta->version : 1);
}

const char *const store_tables[STORE_KINDS] = {
    [STORE_MEETINGS] = "meetings",
    [STORE_PARTICIPANTS] = "participants",
    [STORE_PRINCIPLES] = "principles",
};

enum store_status store_slug_for(struct store_conn *c, enum store_kind kind, const char *given,
                                 const char *text, const char *prefix, int64_t self, char **out)
{
	static const char *const singular[STORE_KINDS] = {
	    [STORE_MEETINGS] = "meeting",
	    [STORE_PARTICIPANTS] = "participant",
	    [STORE_PRINCIPLES] = "principle",
	};
	if (given) {
		int64_t other;
		enum store_status r = store_resolve(c, store_tables[kind], 0, given, &other);
		if (r == STORE_OK && other != self)
			return STORE_CONFLICT;
		if (r != STORE_OK && r != STORE_NOT_FOUND)
			return r;
		*out = xstrdup(given);
		return STORE_OK;
	}
	char *base = model_slug_derive(text, prefix, singular[kind]);
	enum store_status r = store_free_slug(c, store_tables[kind], base, self, out);
	free(base);
	return r;
}

enum store_status store_write_step(struct store_conn *c, enum store_kind kind, sqlite3_stmt *st,
                                   int64_t *id)
{
	/* The index entry of the old text goes first: meetings_fts reads that
	 * text from the row, so before the UPDATE. */
	enum store_status r = *id ? store_fts_remove(c, kind, *id) : STORE_OK;
	if (r == STORE_OK)
		r = store_status_of(c, sqlite3_step(st));
	store_stmt_done(c, st);
	if (r != STORE_OK)
		return r;
	if (*id == 0)
		*id = sqlite3_last_insert_rowid(c->db);
	else if (sqlite3_changes(c->db) == 0)
		return store_version_miss(c, store_tables[kind], *id);
	return store_fts_add(c, kind, *id);
}

enum store_status store_save(struct store *s, const struct store_entity_ops *ops, int64_t id,
                             int64_t expected_version, void *entity, struct model_problems *p)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	enum store_status r = store_begin_write(c);
	if (r != STORE_OK)
		return r;
	void *stored = xcalloc(1, ops->size);
	r = ops->write(c, &id, expected_version, entity, p);
	if (r == STORE_OK)
		r = ops->read(c, id, stored);
	if (r == STORE_OK)
		r = store_commit(c);
	else
		store_rollback(c);
	if (r == STORE_OK) {
		ops->clear(entity);
		memcpy(entity, stored, ops->size);
	} else {
		ops->clear(stored); /* read back, then the commit failed */
	}
	free(stored);
	return r;
}

enum store_status store_delete(struct store *s, enum store_kind kind, int64_t id,
                               int64_t expected_version, const char *referenced_sql)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	enum store_status r = store_begin_write(c);
	if (r != STORE_OK)
		return r;
	if (referenced_sql) {
		/* Checked first, though the foreign keys would refuse too, so the
		 * answer is an exact 409. */
		sqlite3_stmt *st = store_stmt(c, referenced_sql);
		if (!st) {
			store_rollback(c);
			return STORE_ERROR;
		}
		sqlite3_bind_int64(st, 1, id);
		int rc = sqlite3_step(st);
		r = rc == SQLITE_ROW ? (sqlite3_column_int(st, 0) ? STORE_CONFLICT : STORE_OK)
		                     : store_status_of(c, rc);
		store_stmt_done(c, st);
	}
	if (r == STORE_OK)
		r = store_fts_remove(c, kind, id);
	char sql[96];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?1 AND (?2 = 0 OR version = ?2)",
	         store_tables[kind]);
	if (r == STORE_OK)
		r = store_exec_ids(c, sql, 2, id, expected_version, 0);
	if (r == STORE_OK && sqlite3_changes(c->db) == 0)
		r = store_version_miss(c, store_tables[kind], id);
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}

void store_set_budget(struct store *s, int ms)
{
	s->budget_ms = ms;
}
