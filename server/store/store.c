/*
 * The store above its driver: opening, per-thread connections, the
 * statement cache, transactions, and the rules every record kind follows
 * (references, slugs, save-then-read-back, delete, the list page). Each
 * worker thread gets its own connection through a pthread key; every
 * connection is also on the store's list so store_close can close them all
 * once the threads are gone. Nothing of a connection is shared between
 * threads. The SQL here is the subset both backends share, with $N
 * parameters.
 */
#include "store/internal.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "model/model.h"
#include "model/xalloc.h"

struct store {
	const struct store_driver *drv;
	char *path;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns */
	/* Held from a write transaction's begin to its end: this process's
	 * writers queue here, in turn, rather than in SQLite's busy handler,
	 * whose growing sleeps let one writer starve for a second while others
	 * take the lock the moment it is free. */
	pthread_mutex_t writer;
	struct store_conn *conns;
	uint8_t cursor_key[CURSOR_KEY_LEN];
	atomic_ulong errors;
	atomic_ulong generation; /* see store_generation */
	int budget_ms;           /* an operation's time budget (store_set_budget) */
	char *file;              /* the file opened at path (NULL: none to watch) */
	dev_t dev;               /* its identity, to notice it removed or replaced */
	ino_t ino;
	store_render render; /* of the versions of writes (store_set_render) */
	/* The checkpoint thread (checkpointer_main), started by the first
	 * commit that makes a checkpoint due; the flags under lock. */
	pthread_t checkpointer;
	pthread_cond_t checkpoint_wake;
	bool checkpointing, checkpoint_due, checkpoint_stop;
	atomic_bool checkpoint_rest; /* the next write copies the rest */
};

const struct store_kind_info store_kinds[STORE_KINDS] = {
    [STORE_MEETINGS] = {"meeting", "meetings", "meetings"},
    [STORE_PARTICIPANTS] = {"participant", "participants", "participants"},
    [STORE_PRINCIPLES] = {"principle", "principles", "principles"},
};

int store_schema_version(void)
{
	return store_sqlite_driver.schema_target();
}

/* The driver for a --db value: a PostgreSQL URI or a SQLite file path. NULL
 * with a reason when this binary has no driver for it. */
static const struct store_driver *driver_for(const char *target, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	if (strncasecmp(target, "postgres://", 11) == 0 ||
	    strncasecmp(target, "postgresql://", 13) == 0)
		return &store_pg_driver;
	return &store_sqlite_driver;
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
static _Thread_local const char *request_actor;

void store_request_start(struct store *s, const char *actor)
{
	request_store = s;
	request_deadline_ms = now_ms() + s->budget_ms;
	request_actor = actor;
}

const char *store_request_actor(const struct store *s)
{
	return request_store == s ? request_actor : NULL;
}

void store_set_render(struct store *s, store_render render)
{
	s->render = render;
}

store_render store_renderer(const struct store *s)
{
	return s->render;
}

/* The deadline of an operation starting now on s: the request's when one is
 * under way on this thread, else the budget from now. */
static int64_t operation_deadline(const struct store *s)
{
	if (request_store == s && request_deadline_ms)
		return request_deadline_ms;
	return now_ms() + s->budget_ms;
}

/* True when the database at the store's path is gone or another than the
 * one opened at start (its directory or it removed, or it replaced): writes
 * would go where nobody will find them again. One stat() for a file, about
 * a microsecond: done before each write transaction (a commit costs ~0.3
 * ms) and for /readyz, not on reads. */
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

enum store_status store_count_error(struct store_conn *c, enum store_status r)
{
	if (r == STORE_BUSY || r == STORE_ERROR)
		atomic_fetch_add(&c->store->errors, 1);
	return r;
}

/* Finalizes every cached statement of c. */
static void cache_clear(struct store_conn *c)
{
	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		if (c->cache[i].sql) {
			c->drv->finalize(c->cache[i].handle);
			free(c->cache[i].sql);
		}
	}
	memset(c->cache, 0, sizeof c->cache);
	c->cached = 0;
}

static void conn_close(struct store_conn *c)
{
	cache_clear(c);
	c->drv->close(c->db);
	free(c->fts_pending);
	free(c->fts_marks);
	free(c);
}

struct store_conn *store_conn_private(struct store *s)
{
	char err[256];
	if (file_moved(s))
		return NULL; /* never open (and create) a file other than the store's */
	struct store_db *db = s->drv->open(s->path, false, err, sizeof err);
	if (!db) {
		atomic_fetch_add(&s->errors, 1);
		return NULL;
	}
	struct store_conn *c = xcalloc(1, sizeof *c);
	c->drv = s->drv;
	c->db = db;
	c->store = s;
	return c;
}

void store_conn_unbounded(struct store_conn *c)
{
	c->drv->set_deadline(c->db, 0);
}

void store_conn_free(struct store_conn *c)
{
	if (c)
		conn_close(c);
}

struct store_conn *store_conn(struct store *s)
{
	struct store_conn *c = pthread_getspecific(s->key);
	if (!c) {
		c = store_conn_private(s);
		if (!c)
			return NULL;
		pthread_mutex_lock(&s->lock);
		c->next = s->conns;
		s->conns = c;
		pthread_mutex_unlock(&s->lock);
		pthread_setspecific(s->key, c);
	}
	c->drv->set_deadline(c->db, operation_deadline(s));
	return c;
}

enum store_status store_conn_failure(struct store *s)
{
	return file_moved(s) ? STORE_MOVED : STORE_BUSY;
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

enum store_status store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out)
{
	*out = NULL;
	long hit = cache_find(c, sql);
	if (hit >= 0) {
		*out = &c->cache[hit];
		return STORE_OK;
	}
	struct store_db_stmt *h = NULL;
	enum store_status r = c->drv->prepare(c->db, sql, &h);
	if (r != STORE_OK)
		return store_count_error(c, r);
	/* Keep it when there is room (3/4 full at most); else the statement is
	 * its caller's until store_done. */
	struct store_stmt *st;
	if (c->cached < STORE_STMT_CACHE * 3 / 4) {
		size_t i = sql_hash(sql) % STORE_STMT_CACHE;
		while (c->cache[i].sql)
			i = (i + 1) % STORE_STMT_CACHE;
		st = &c->cache[i];
		st->cached = true;
		c->cached++;
	} else {
		st = xcalloc(1, sizeof *st);
	}
	st->sql = xstrdup(sql);
	st->handle = h;
	st->conn = c;
	*out = st;
	return STORE_OK;
}

void store_done(struct store_stmt *st)
{
	if (!st)
		return;
	if (st->cached) {
		st->conn->drv->reset(st->handle);
		return;
	}
	st->conn->drv->finalize(st->handle);
	free(st->sql);
	free(st);
}

enum store_status store_step(struct store_stmt *st, bool *row)
{
	enum store_status r = st->conn->drv->step(st->handle, row);
	if (r != STORE_OK)
		*row = false;
	return store_count_error(st->conn, r);
}

char *store_column_text_len(struct store_stmt *st, int i, size_t *len)
{
	const char *t = st->conn->drv->column_text(st->handle, i, len);
	if (!t) {
		*len = 0;
		return NULL;
	}
	char *copy = xmalloc(*len + 1);
	memcpy(copy, t, *len + 1);
	return copy;
}

char *store_column_text(struct store_stmt *st, int i)
{
	size_t len;
	return store_column_text_len(st, i, &len);
}

void store_column_copy(struct store_stmt *st, int i, char *buf, size_t n)
{
	if (n == 0)
		return;
	const char *t = store_col_text(st, i);
	size_t len = t ? strnlen(t, n - 1) : 0;
	memcpy(buf, t ? t : "", len);
	buf[len] = '\0';
}

int64_t store_changes(struct store_conn *c)
{
	return c->drv->changes(c->db);
}

/* Opens the database again for c when the driver finds its connection
 * read-only between transactions (a file that may be writable again). On
 * failure c keeps its connection. */
static void conn_reopen_writable(struct store_conn *c)
{
	char err[256];
	struct store_db *db = c->drv->open(c->store->path, false, err, sizeof err);
	if (!db || c->drv->read_only(db)) {
		c->drv->close(db);
		return;
	}
	cache_clear(c);
	c->drv->close(c->db);
	c->db = db;
	c->data_version = 0; /* a new connection's count: compare from scratch */
	c->drv->set_deadline(db, operation_deadline(c->store));
}

/* items (count of size bytes each, room for *cap), grown to hold one more. */
static void *room_for_one(void *items, size_t count, size_t *cap, size_t size)
{
	if (count < *cap)
		return items;
	*cap = 2 * *cap + 8;
	return xrealloc(items, *cap * size);
}

/* A transaction in an open group: a savepoint of the group's transaction. */
static enum store_status group_savepoint(struct store_conn *c)
{
	if (c->group_lost || !c->drv->in_transaction(c->db)) {
		c->group_lost = true;
		return store_count_error(c, STORE_BUSY);
	}
	enum store_status r = store_count_error(c, c->drv->savepoint(c->db, SAVEPOINT_SET));
	if (r != STORE_OK)
		return r;
	c->fts_marks = room_for_one(c->fts_marks, (size_t)c->savepoints, &c->fts_marks_cap,
	                            sizeof *c->fts_marks);
	c->fts_marks[c->savepoints++] = c->fts_pending_count;
	return r;
}

/* Ends a transaction in an open group: its savepoint released, or undone. */
static enum store_status group_release(struct store_conn *c, enum store_savepoint op)
{
	if (c->savepoints == 0)
		return STORE_OK; /* none to end (a begin that failed) */
	c->savepoints--;
	enum store_status r = store_count_error(c, c->drv->savepoint(c->db, op));
	if (r != STORE_OK &&
	    (op == SAVEPOINT_UNDO || c->drv->savepoint(c->db, SAVEPOINT_UNDO) != STORE_OK))
		c->group_lost = true;
	if (op == SAVEPOINT_UNDO || r != STORE_OK) /* undone: its records' entries too */
		c->fts_pending_count = c->fts_marks[c->savepoints];
	return r;
}

static enum store_status begin_write(struct store_conn *c);

/* In a group, the first write opens the group's transaction (waiting for
 * the lock, refusing as any write would), and each write is a savepoint. */
enum store_status store_begin_write(struct store_conn *c)
{
	if (!c->group)
		return begin_write(c);
	if (!c->group_open) {
		enum store_status r = begin_write(c);
		if (r != STORE_OK)
			return r;
		c->group_open = true;
	}
	return group_savepoint(c);
}

static enum store_status begin_write(struct store_conn *c)
{
	if (file_moved(c->store))
		return STORE_MOVED;
	if (c->drv->read_only(c->db))
		conn_reopen_writable(c);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STORE_BUSY_TIMEOUT_MS / 1000;
	if (pthread_mutex_timedlock(&c->store->writer, &until) != 0)
		return store_count_error(c, STORE_BUSY);
	if (atomic_exchange(&c->store->checkpoint_rest, false))
		c->drv->checkpoint(c->db);
	enum store_status r = store_count_error(c, c->drv->begin_write(c->db));
	c->writing = r == STORE_OK;
	if (!c->writing)
		pthread_mutex_unlock(&c->store->writer);
	return r;
}

/* Ends the write transaction under way, if any, for this process's next
 * writer. */
static void write_done(struct store_conn *c)
{
	if (c->writing) {
		c->writing = false;
		pthread_mutex_unlock(&c->store->writer);
	}
}

enum store_status store_begin_read(struct store_conn *c)
{
	if (c->group_open)
		return group_savepoint(c);
	return store_count_error(c, c->drv->begin_read(c->db));
}

/* Adds the full-text entries of the records the write transaction wrote, a
 * kind at a time, before its commit. */
static enum store_status fts_add_pending(struct store_conn *c)
{
	enum store_status r = STORE_OK;
	int64_t *ids = xmalloc((c->fts_pending_count + 1) * sizeof *ids);
	for (enum store_kind k = 0; k < STORE_KINDS && r == STORE_OK; k++) {
		size_t n = 0;
		for (size_t i = 0; i < c->fts_pending_count; i++)
			if (c->fts_pending[i].kind == k)
				ids[n++] = c->fts_pending[i].id;
		if (n)
			r = c->drv->fts_add(c, k, ids, n);
	}
	free(ids);
	c->fts_pending_count = 0;
	return r;
}

/* Copies the log of writes into the database whenever a commit makes that
 * due, on a connection of its own, beside the writes: in passes, each
 * copying what the writes added during the one before, until one finds
 * little new; then the next write, holding this process's other writers
 * back, copies the rest before it begins (begin_write). The log is then
 * whole in the database, and that write starts it again from its
 * beginning: copied only beside writes that go on, a WAL never is, and
 * grows. SQLite's automatic checkpoint did it all inside the commit that
 * crossed STORE_CHECKPOINT_PAGES, on the writer thread: a fifth of its
 * time under a stream of creates. */
static void *checkpointer_main(void *arg)
{
	struct store *s = arg;
	struct store_conn *c = store_conn_private(s);
	if (!c)
		return NULL; /* the commits copy the WAL themselves past
		              * STORE_CHECKPOINT_INLINE_PAGES */
	pthread_mutex_lock(&s->lock);
	while (!s->checkpoint_stop) {
		if (!s->checkpoint_due || atomic_load(&s->checkpoint_rest)) {
			pthread_cond_wait(&s->checkpoint_wake, &s->lock);
			continue;
		}
		s->checkpoint_due = false;
		pthread_mutex_unlock(&s->lock);
		int seen = 0;
		for (int pass = 0; pass < STORE_CHECKPOINT_PASSES; pass++) {
			int pages = c->drv->checkpoint(c->db);
			if (pages < 0 || pages - seen < STORE_CHECKPOINT_REST_PAGES)
				break;
			seen = pages;
		}
		atomic_store(&s->checkpoint_rest, true);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	store_conn_free(c);
	return NULL;
}

/* After a write's commit on c: wakes the checkpoint thread, first starting
 * it, when the commit made a checkpoint due. */
static void checkpoint_check(struct store_conn *c)
{
	struct store *s = c->store;
	if (!c->drv->checkpoint_due || !c->drv->checkpoint_due(c->db))
		return;
	pthread_mutex_lock(&s->lock);
	if (!s->checkpointing && !s->checkpoint_stop)
		s->checkpointing =
		    pthread_create(&s->checkpointer, NULL, checkpointer_main, s) == 0;
	s->checkpoint_due = true;
	pthread_cond_signal(&s->checkpoint_wake);
	pthread_mutex_unlock(&s->lock);
}

enum store_status store_commit(struct store_conn *c)
{
	if (c->group_open)
		return group_release(c, SAVEPOINT_RELEASE);
	enum store_status r = c->writing ? fts_add_pending(c) : STORE_OK;
	if (r == STORE_OK)
		r = store_count_error(c, c->drv->commit(c->db));
	if (r != STORE_OK)
		store_rollback(c);
	else if (c->writing)
		atomic_fetch_add(&c->store->generation, 1);
	bool wrote = r == STORE_OK && c->writing;
	write_done(c);
	if (wrote)
		checkpoint_check(c);
	return r;
}

void store_rollback(struct store_conn *c)
{
	if (c->group_open) {
		group_release(c, SAVEPOINT_UNDO);
		return;
	}
	c->drv->rollback(c->db);
	c->fts_pending_count = 0;
	write_done(c);
}

void store_group_begin(struct store *s)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return; /* the writes will find none and answer so */
	c->group = true;
	c->group_open = c->group_lost = false;
	c->savepoints = 0;
}

enum store_status store_group_end(struct store *s)
{
	store_request_start(s, NULL); /* a deadline of its own for the COMMIT */
	struct store_conn *c = store_conn(s);
	if (!c || !c->group)
		return STORE_OK; /* no write could run */
	bool open = c->group_open;
	c->group = c->group_open = false;
	if (!open)
		return STORE_OK; /* no write began */
	if (c->group_lost || c->savepoints || !c->drv->in_transaction(c->db)) {
		c->savepoints = 0;
		store_rollback(c);
		return store_count_error(c, STORE_BUSY);
	}
	return store_commit(c);
}

unsigned long store_generation(struct store *s)
{
	struct store_conn *c = store_conn(s);
	struct store_stmt *st = NULL;
	bool row = false;
	if (!c || store_prepare(c, c->drv->sql->data_version, &st) != STORE_OK ||
	    store_step(st, &row) != STORE_OK || !row) {
		store_done(st);
		/* Cannot tell: a fresh generation makes every cached answer miss. */
		return atomic_fetch_add(&s->generation, 1) + 1;
	}
	/* The data version moves when another connection commits; this
	 * process's own commits move the generation in store_commit. A
	 * connection's first look counts as a change: it has no earlier value
	 * to compare. */
	int64_t v = store_col_int64(st, 0);
	if (v != c->data_version) {
		c->data_version = v;
		atomic_fetch_add(&s->generation, 1);
	}
	store_done(st);
	return atomic_load(&s->generation);
}

enum store_status store_exec_ids(struct store_conn *c, const char *sql, int n, int64_t a, int64_t b,
                                 int64_t c3)
{
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	int64_t v[3] = {a, b, c3};
	for (int i = 0; i < n; i++)
		store_bind_int64(st, i + 1, v[i]);
	bool row;
	r = store_step(st, &row);
	store_done(st);
	return r;
}

enum store_status store_resolve(struct store_conn *c, enum store_kind kind, int64_t id,
                                const char *slug, int64_t *out)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s", store_kinds[kind].table,
	         id > 0 && slug ? "id = $1 AND slug = $2"
	         : id > 0       ? "id = $1"
	                        : "slug = $1");
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	if (id > 0)
		store_bind_int64(st, 1, id);
	if (slug)
		store_bind_text(st, id > 0 ? 2 : 1, slug);
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && row)
		*out = store_col_int64(st, 0);
	else if (r == STORE_OK)
		r = STORE_NOT_FOUND;
	store_done(st);
	return r;
}

/* The lowest n >= lo such that "stem-n" is free in kind (no other row than
 * self holds it), in one query: the taken suffixes of stem come from one
 * range of the slug index, and the first gap after lo - 1 from a window
 * over their order. */
static enum store_status free_suffix(struct store_conn *c, enum store_kind kind, const char *stem,
                                     int64_t lo, int64_t self, int64_t *n)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "SELECT min(n) + 1 FROM (SELECT n, lead(n) OVER (ORDER BY n) AS next FROM "
	         "(SELECT CAST($3 AS BIGINT) - 1 AS n UNION ALL "
	         "SELECT CAST(substr(slug, length($1) + 2) AS BIGINT) FROM %s "
	         "WHERE slug > $1 || '-' AND slug < $1 || '.' AND id <> $2 "
	         "AND substr(slug, length($1) + 2, 1) BETWEEN '1' AND '9' "
	         "AND ltrim(substr(slug, length($1) + 2), '0123456789') = '' "
	         "AND length(slug) <= length($1) + 10) AS taken "
	         "WHERE n >= CAST($3 AS BIGINT) - 1) AS gaps "
	         "WHERE next IS NULL OR next > n + 1",
	         store_kinds[kind].table);
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	store_bind_text(st, 1, stem);
	store_bind_int64(st, 2, self);
	store_bind_int64(st, 3, lo);
	bool row;
	r = store_step(st, &row);
	*n = r == STORE_OK && row && !store_col_is_null(st, 0) ? store_col_int64(st, 0) : lo;
	store_done(st);
	return r;
}

/* The stem model_slug_candidate puts before "-n" (base cut to make room
 * for the suffix), which is the same for every n of one digit count. */
static char *slug_stem(const char *base, int64_t n)
{
	char *candidate = model_slug_candidate(base, (int)n);
	*strrchr(candidate, '-') = '\0';
	return candidate;
}

/* The first free slug of base in kind: base itself, else the lowest
 * "base-N" (N >= 2) no other row holds. A base near the length limit is cut
 * to make room for the suffix, so its stem depends on the number of digits
 * of N: one query for each stem, never one for each candidate. The row self
 * (0 for none) counts as free. Returns a new string in *out. */
static enum store_status free_slug(struct store_conn *c, enum store_kind kind, const char *base,
                                   int64_t self, char **out)
{
	int64_t holder = 0;
	enum store_status r = store_resolve(c, kind, 0, base, &holder);
	if (r == STORE_NOT_FOUND || (r == STORE_OK && holder == self)) {
		*out = xstrdup(base);
		return STORE_OK;
	}
	if (r != STORE_OK)
		return r;
	for (int64_t lo = 2, hi = 9; lo < INT32_MAX; lo = hi + 1, hi = hi * 10 + 9) {
		char *stem = slug_stem(base, lo);
		/* Widths whose stem is the same are one range. */
		while (hi < INT32_MAX / 10) {
			char *next = slug_stem(base, hi + 1);
			bool same = strcmp(next, stem) == 0;
			free(next);
			if (!same)
				break;
			hi = hi * 10 + 9;
		}
		int64_t n = 0;
		r = free_suffix(c, kind, stem, lo, self, &n);
		if (r == STORE_OK && n <= hi)
			*out = xasprintf("%s-%lld", stem, (long long)n);
		free(stem);
		if (r != STORE_OK || n <= hi)
			return r;
	}
	return STORE_CONFLICT;
}

enum store_status store_slug_for(struct store_conn *c, enum store_kind kind, const char *given,
                                 const char *text, const char *prefix, int64_t self, char **out)
{
	if (given) {
		int64_t other;
		enum store_status r = store_resolve(c, kind, 0, given, &other);
		if (r == STORE_OK && other != self)
			return STORE_CONFLICT;
		if (r != STORE_OK && r != STORE_NOT_FOUND)
			return r;
		*out = xstrdup(given);
		return STORE_OK;
	}
	char *base = model_slug_derive(text, prefix, store_kinds[kind].singular);
	enum store_status r = free_slug(c, kind, base, self, out);
	free(base);
	return r;
}

/* Loads the cursor signing key through c, creating it on first start. */
static int load_cursor_key(struct store_conn *c, uint8_t key[CURSOR_KEY_LEN])
{
	struct store_stmt *st;
	bool row = false, ok = false;
	if (store_prepare(c, "SELECT value FROM settings WHERE key = 'cursor_key'", &st) ==
	    STORE_OK) {
		if (store_step(st, &row) == STORE_OK && row) {
			size_t len = 0;
			const void *p = c->drv->column_blob(st->handle, 0, &len);
			if (p && len == CURSOR_KEY_LEN) {
				memcpy(key, p, CURSOR_KEY_LEN);
				ok = true;
			}
		}
		store_done(st);
	}
	if (ok)
		return 0;
	randombytes_buf(key, CURSOR_KEY_LEN);
	if (store_prepare(c,
	                  "INSERT INTO settings (key, value) VALUES ('cursor_key', $1) "
	                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	                  &st) != STORE_OK)
		return -1;
	store_bind_blob(st, 1, key, CURSOR_KEY_LEN);
	enum store_status r = store_step(st, &row);
	store_done(st);
	return r == STORE_OK ? 0 : -1;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	const struct store_driver *drv = driver_for(path, err, errlen);
	if (!drv)
		return -1;
	struct store_db *db = drv->open(path, true, err, errlen);
	if (!db)
		return -1;
	if (drv->migrate(db, path, err, errlen)) {
		drv->close(db);
		return -1;
	}
	char *file = drv->watched_file(db);
	drv->close(db);
	struct stat sb;
	if (file && stat(file, &sb)) {
		snprintf(err, errlen, "cannot stat database %s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	struct store *s = xcalloc(1, sizeof *s);
	s->drv = drv;
	s->file = file;
	s->dev = file ? sb.st_dev : 0;
	s->ino = file ? sb.st_ino : 0;
	s->path = xstrdup(path);
	s->budget_ms = STORE_QUERY_BUDGET_MS;
	struct store_conn *c = store_conn_private(s);
	if (!c || load_cursor_key(c, s->cursor_key)) {
		snprintf(err, errlen, "cannot write to database %s (check its permissions)", path);
		store_conn_free(c);
		free(s->path);
		free(s->file);
		free(s);
		return -1;
	}
	store_conn_free(c);
	pthread_key_create(&s->key, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->writer, NULL);
	pthread_cond_init(&s->checkpoint_wake, NULL);
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	/* The checkpoint thread's connection closes first, so that the last
	 * one can remove the WAL. */
	pthread_mutex_lock(&s->lock);
	s->checkpoint_stop = true;
	pthread_cond_signal(&s->checkpoint_wake);
	pthread_mutex_unlock(&s->lock);
	if (s->checkpointing)
		pthread_join(s->checkpointer, NULL);
	pthread_cond_destroy(&s->checkpoint_wake);
	struct store_conn *c = s->conns;
	while (c) {
		struct store_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->writer);
	free(s->path);
	free(s->file);
	free(s);
}

const char *store_backend(const struct store *s)
{
	return s->drv->name;
}

int store_schema(const struct store *s)
{
	return s->drv->schema_target();
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
	struct store_stmt *st;
	if (store_prepare(c, c->drv->sql->schema_version, &st) != STORE_OK)
		return STORE_BUSY;
	bool row;
	enum store_status r = store_step(st, &row);
	if (r == STORE_OK)
		r = row && store_col_int64(st, 0) == c->drv->schema_target() ? STORE_OK
		                                                             : STORE_BUSY;
	store_done(st);
	return r == STORE_OK ? STORE_OK : STORE_BUSY;
}

enum store_status store_is_empty(struct store *s, bool *empty)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c,
	                  "SELECT EXISTS (SELECT 1 FROM participants) OR EXISTS "
	                  "(SELECT 1 FROM principles) OR EXISTS (SELECT 1 FROM meetings)",
	                  &st);
	if (r != STORE_OK)
		return r;
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && row)
		*empty = !store_col_bool(st, 0);
	store_done(st);
	return r;
}

enum store_status store_fts_optimize(struct store *s)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	if (!c->drv->fts_optimize)
		return STORE_OK;
	store_conn_unbounded(c);
	enum store_status r = store_begin_write(c);
	if (r == STORE_OK)
		r = c->drv->fts_optimize(c);
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}

enum store_status store_backup(struct store *s, const char *path, char *err, size_t errlen)
{
	struct store_conn *c = store_conn(s);
	if (!c) {
		snprintf(err, errlen, "cannot open the database");
		return STORE_BUSY;
	}
	return store_count_error(c, c->drv->backup(c->db, path, err, errlen));
}

void store_read_meta(struct store_stmt *st, int col, struct entity_meta *m)
{
	m->id = store_col_int64(st, col);
	m->slug = store_column_text(st, col + 1);
	store_column_copy(st, col + 2, m->created_at, sizeof m->created_at);
	store_column_copy(st, col + 3, m->updated_at, sizeof m->updated_at);
	m->version = store_col_int64(st, col + 4);
}

enum store_status store_read_one(struct store_stmt *st,
                                 void (*row_read)(struct store_stmt *st, void *out), void *out)
{
	bool row;
	enum store_status r = store_step(st, &row);
	if (r == STORE_OK && row)
		row_read(st, out);
	else if (r == STORE_OK)
		r = STORE_NOT_FOUND;
	store_done(st);
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

char *store_name_key(const char *name)
{
	char *out = xstrdup(name);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

enum store_status store_version_miss(struct store_conn *c, enum store_kind kind, int64_t id)
{
	int64_t found;
	enum store_status r = store_resolve(c, kind, id, NULL, &found);
	return r == STORE_OK ? STORE_STALE : r;
}

void store_bind_created(struct store_stmt *st, int created_col, int updated_col, int version_col,
                        const struct entity_meta *meta, const char *now)
{
	bool restore = meta->created_at[0] && meta->updated_at[0] && meta->version > 0;
	store_bind_text(st, created_col, restore ? meta->created_at : now);
	store_bind_text(st, updated_col, restore ? meta->updated_at : now);
	store_bind_int64(st, version_col, restore ? meta->version : 1);
}

enum store_status store_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id)
{
	return c->drv->fts_remove(c, kind, id);
}

enum store_status store_fts_add(struct store_conn *c, enum store_kind kind, int64_t id)
{
	if (!c->writing || !c->drv->fts_at_commit)
		return c->drv->fts_add(c, kind, &id, 1);
	c->fts_pending = room_for_one(c->fts_pending, c->fts_pending_count, &c->fts_pending_cap,
	                              sizeof *c->fts_pending);
	c->fts_pending[c->fts_pending_count++] = (struct store_fts_pending){kind, id};
	return STORE_OK;
}

enum store_status store_write_step(struct store_conn *c, enum store_kind kind,
                                   struct store_stmt *st, int64_t *id)
{
	/* The index entry of the old text goes first: the index is told that
	 * text, read from the row, so before the UPDATE. */
	enum store_status r = *id ? store_fts_remove(c, kind, *id) : STORE_OK;
	bool row = false;
	int64_t inserted = 0;
	if (r == STORE_OK)
		r = store_step(st, &row);
	if (r == STORE_OK && *id == 0) {
		if (row)
			inserted = store_col_int64(st, 0); /* INSERT ... RETURNING id */
		else
			r = store_count_error(c, STORE_ERROR);
	}
	int64_t changed = r == STORE_OK && *id ? store_changes(c) : 0;
	store_done(st);
	if (r != STORE_OK)
		return r;
	if (*id == 0)
		*id = inserted;
	else if (changed == 0)
		return store_version_miss(c, kind, *id);
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
	enum change_action action = id ? CHANGE_UPDATE : CHANGE_CREATE;
	r = ops->write(c, &id, expected_version, entity, p);
	if (r == STORE_OK)
		r = ops->read(c, id, stored);
	if (r == STORE_OK)
		r = store_history_add(c, ops->kind, action, stored);
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
		struct store_stmt *st;
		r = store_prepare(c, referenced_sql, &st);
		if (r == STORE_OK) {
			store_bind_int64(st, 1, id);
			bool row;
			r = store_step(st, &row);
			if (r == STORE_OK && row && store_col_bool(st, 0))
				r = STORE_REFERENCED;
			store_done(st);
		}
	}
	if (r == STORE_OK)
		r = store_history_delete(c, kind, id);
	if (r == STORE_OK)
		r = store_fts_remove(c, kind, id);
	char sql[96];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = $1 AND ($2 = 0 OR version = $2)",
	         store_kinds[kind].table);
	if (r == STORE_OK)
		r = store_exec_ids(c, sql, 2, id, expected_version, 0);
	if (r == STORE_OK && store_changes(c) == 0)
		r = store_version_miss(c, kind, id);
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}

/* Clears the n items of out, and n. */
static void page_clear(const struct store_page_query *q, char *out, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		q->item_clear(out + i * q->item_size);
	memset(out, 0, *n * q->item_size);
	*n = 0;
}

/* Appends the text of q's text_col in st's row to q->text, past start,
 * and says where in item. */
static void text_read(struct store_stmt *st, const struct store_page_query *q, size_t start,
                      void *item)
{
	struct entity_meta *meta = item; /* every record struct starts with it */
	size_t len;
	const char *t = store_col_text_len(st, q->text_col, &len);
	if (!t || !len)
		return;
	if (q->text->len > start)
		xbuf_add(q->text, ",", 1);
	meta->body_at = q->text->len;
	meta->body_len = len;
	xbuf_add(q->text, t, len);
}

/* Reads the page of q into out (limit + 1 items), again while the query
 * is not settled; *n items read, *more when there is a next one (cleared
 * from out). Each reading writes q->text from start. */
static enum store_status page_read(struct store_conn *c, const struct store_page_query *q,
                                   size_t start, int limit, char *out, size_t *n, bool *more)
{
	enum store_status r;
	for (;;) {
		if (q->text)
			q->text->len = start;
		struct store_stmt *st;
		r = store_prepare(c, q->sql, &st);
		if (r == STORE_OK) {
			q->bind(st, q->ctx, true);
			store_bind_int64(st, q->limit_param, (int64_t)limit + 1);
			bool row;
			while ((r = store_step(st, &row)) == STORE_OK && row) {
				void *item = out + (*n)++ * q->item_size;
				q->row_read(st, item);
				if (q->text)
					text_read(st, q, start, item);
			}
			store_done(st);
		}
		if (r != STORE_OK || !q->settled || q->settled(out, n, (size_t)limit + 1, q->ctx))
			break;
		page_clear(q, out, n);
	}
	*more = *n > (size_t)limit;
	if (*more)
		q->item_clear(out + --*n * q->item_size);
	return r;
}

enum store_status store_page(struct store_conn *c, const struct store_page_query *q, int limit,
                             void **items, size_t *count, char **next_key, int64_t *total)
{
	*next_key = NULL;
	/* One statement sees one snapshot by itself: a page that it answers
	 * whole needs no BEGIN and COMMIT (on PostgreSQL, a round trip each).
	 * Read so, a page whose items finish would complete is read again in
	 * a transaction. */
	bool alone =
	    !c->snapshot && !q->settled && !(total && q->count_sql) && (!q->finish || q->complete);
	enum store_status r = c->snapshot || alone ? STORE_OK : store_begin_read(c);
	if (r != STORE_OK)
		return r;
	char *out = xcalloc((size_t)limit + 1, q->item_size);
	size_t n = 0, start = q->text ? q->text->len : 0;
	bool more;
	r = page_read(c, q, start, limit, out, &n, &more);
	if (r == STORE_OK && alone && q->finish && !q->complete(out, n, q->ctx)) {
		page_clear(q, out, &n);
		r = store_begin_read(c);
		if (r != STORE_OK) {
			free(out);
			return r;
		}
		alone = false;
		r = page_read(c, q, start, limit, out, &n, &more);
	}
	if (r == STORE_OK && q->finish)
		r = q->finish(c, out, n, q->ctx);
	if (r == STORE_OK && total && q->count_sql) {
		struct store_stmt *st;
		r = store_prepare(c, q->count_sql, &st);
		if (r == STORE_OK) {
			q->bind(st, q->ctx, false);
			bool row;
			r = store_step(st, &row);
			*total = r == STORE_OK && row ? store_col_int64(st, 0) : 0;
			store_done(st);
		}
	}
	if (!c->snapshot && !alone)
		store_commit(c);
	if (r != STORE_OK) {
		page_clear(q, out, &n);
		free(out);
		return r;
	}
	if (more)
		*next_key = q->key_of(out + (n - 1) * q->item_size, q->ctx);
	*items = out;
	*count = n;
	return STORE_OK;
}

char *store_id_list(const void *items, size_t n, size_t item_size, size_t id_offset,
                    bool (*keep)(const void *item, const void *ctx), const void *ctx)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fputc('[', f);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const char *item = (const char *)items + i * item_size;
		if (keep && !keep(item, ctx))
			continue;
		int64_t id;
		memcpy(&id, item + id_offset, sizeof id);
		fprintf(f, "%s%lld", first ? "" : ",", (long long)id);
		first = false;
	}
	fputc(']', f);
	fclose(f);
	return out;
}

enum store_status store_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                    struct store_rank_walk *w)
{
	memset(w, 0, sizeof *w);
	enum store_status r = c->drv->rank_freeze(c, match, kinds, w);
	if (r != STORE_OK)
		return r;
	/* The key must fit in a cursor whatever the score; only counts far
	 * beyond any real collection could make it too long. */
	char *key = store_rank_key(w, STORE_KINDS - 1, -DBL_MAX);
	if (strlen(key) > CURSOR_KEY_MAX)
		for (int k = 0; k < STORE_KINDS; k++)
			w->stats[k].phrases = 0;
	free(key);
	return STORE_OK;
}

void store_rank_bind(struct store_stmt *st, int i, const struct store_rank_walk *w,
                     enum store_kind kind)
{
	st->conn->drv->rank_bind(st->handle, i, &w->stats[kind]);
}

/* A key is "kind:score", then for each kind ":" and its statistics as
 * rank_stats_format writes them, or nothing for a kind not in the walk. */
char *store_rank_key(const struct store_rank_walk *w, int kind, double score)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fprintf(f, "%d:%.17g", kind, score);
	for (int k = 0; k < STORE_KINDS; k++) {
		char stats[RANK_STATS_TEXT_MAX + 1] = "";
		if (w->kinds & (1u << k))
			rank_stats_format(&w->stats[k], stats, sizeof stats);
		fprintf(f, ":%s", stats);
	}
	fclose(f);
	return out;
}

int store_rank_key_parse(const char *key, int *kind, double *score, struct store_rank_walk *w)
{
	memset(w, 0, sizeof *w);
	char *end;
	long k = 0;
	const char *p = key;
	/* A ranked meeting list's keys were once its score alone. */
	if (strchr(key, ':')) {
		k = strtol(key, &end, 10);
		if (end == key || *end != ':' || k < 0 || k >= STORE_KINDS)
			return -1;
		p = end + 1;
	}
	*score = strtod(p, &end);
	if (end == p || isnan(*score))
		return -1;
	const char *q = end;
	for (int i = 0; *q && i < STORE_KINDS; i++) {
		if (*q != ':')
			return -1;
		size_t n = strcspn(++q, ":");
		if (n) {
			if (rank_stats_parse(q, n, &w->stats[i]))
				return -1;
			w->kinds |= 1u << i;
		}
		q += n;
	}
	if (*q)
		return -1;
	*kind = (int)k;
	return 0;
}

enum store_status store_search(struct store *s, const char *match, unsigned kinds,
                               const struct cursor_pos *after, int limit, struct search_hit **items,
                               size_t *count, char **next_key, int64_t *total)
{
	*next_key = NULL;
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	return c->drv->search(c, match, kinds, after, limit, items, count, next_key, total);
}

void store_set_budget(struct store *s, int ms)
{
	s->budget_ms = ms;
}
