/*
 * What the store's files share and nothing outside store/ sees: the
 * per-thread connection over a driver (store/driver.h), its statement
 * cache, transactions, the table of record kinds, and the rules every kind
 * follows (slugs, references, save-then-read-back, the list page).
 * Nothing here names a backend.
 */
#ifndef READOUT_STORE_INTERNAL_H
#define READOUT_STORE_INTERNAL_H

#include "store/driver.h"
#include "store/store.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_STMT_CACHE 256       /* prepared statements kept per connection */
#define STORE_QUERY_BUDGET_MS 5000 /* default of store_set_budget */
/* VM steps between deadline checks. Few, because one step can be long: an
 * FTS5 snippet() of a prefix query is one step per row and took ~25 ms a
 * row on 3,000 meetings; 10,000 steps let a 100-row page run for seconds
 * past its deadline. A check (coarse clock) costs a few nanoseconds. */
#define STORE_PROGRESS_STEPS 100
#define STORE_VALUE_MAX (16 * 1024 * 1024) /* longest string or blob */
/* The WAL is cut back to this size when it restarts after a checkpoint; it
 * grows past it only while an old read snapshot (an export) is open. Twice
 * the size of the automatic checkpoint (1000 pages of 4 KiB). */
#define STORE_WAL_SIZE_LIMIT (8 * 1024 * 1024)
/* A commit that leaves the WAL this long (pages; SQLite's automatic
 * checkpoint is as long) wakes the store's checkpoint thread, which
 * copies it in passes until a pass finds fewer than
 * STORE_CHECKPOINT_REST_PAGES new ones; the next write copies the rest.
 * A commit that leaves it STORE_CHECKPOINT_INLINE_PAGES long copies it on
 * its own connection, as SQLite's would: a bound on the WAL when that
 * thread cannot run or keep up. */
#define STORE_CHECKPOINT_PAGES 1000
#define STORE_CHECKPOINT_REST_PAGES 200
#define STORE_CHECKPOINT_PASSES 4
#define STORE_CHECKPOINT_INLINE_PAGES 4000
/* Page cache of an export's connection (KiB): it reads each page once. */
#define STORE_EXPORT_CACHE_KIB 512
#define STORE_SQL_MAX (64 * 1024) /* longest statement text */
#define STORE_VARIABLES_MAX 64    /* bound parameters per statement */
/* The key of a meeting's row in meeting_list, from SQL expressions of its
 * date (YYYY-MM-DD) and id: the date as YYYYMMDD shifted past the id's 32
 * bits, plus the id, so that keys order as a list does, by (date, id). The
 * same on both backends, and the same as the migrations' triggers
 * (migrations/sqlite/0017_meeting_list.sql). */
#define STORE_LIST_KEY(date, id) "((CAST(replace(" date ", '-', '') AS BIGINT) << 32) + " id ")"

/* A prepared statement of a connection, from its cache or (when the cache
 * is full) its own until store_done. */
struct store_stmt {
	char *sql; /* the text it was prepared from: the cache key */
	struct store_db_stmt *handle;
	struct store_conn *conn;
	bool cached;
};

/* A record whose full-text entry its transaction's commit adds
 * (store_fts_add). */
struct store_fts_pending {
	enum store_kind kind;
	int64_t id;
};

struct store_conn {
	const struct store_driver *drv;
	struct store_db *db;
	int64_t data_version; /* the driver's data version last seen; 0: never read */
	bool writing;         /* in a write transaction */
	bool group;           /* running a group's writes (store_group_begin) */
	bool group_open;      /* the group's write transaction is open */
	bool group_lost;      /* a failure ended the group's transaction */
	int savepoints;       /* the group's savepoints open */
	/* The records written in the open write transaction, whose full-text
	 * entries its commit adds (store_fts_add), and how many there were
	 * when each open savepoint of a group was set: undoing one forgets the
	 * rest. */
	struct store_fts_pending *fts_pending;
	size_t fts_pending_count, fts_pending_cap;
	size_t *fts_marks; /* one a savepoint open */
	size_t fts_marks_cap;
	bool snapshot; /* held in one read transaction by its owner (an export, a
	                * search's first page): list pages run inside it instead
	                * of their own */
	struct store *store;
	struct store_stmt cache[STORE_STMT_CACHE];
	size_t cached;
	struct store_conn *next;
};

/* This thread's connection to s, opened on first use; NULL when it cannot be
 * opened. Borrowed: the store closes it. Each call starts an operation: its
 * statements are interrupted (503) at the deadline of the request under way
 * on this thread (store_request_start), or, outside a request, once they
 * have run the store's time budget in all. */
struct store_conn *store_conn(struct store *s);

/* Why store_conn gave no connection: STORE_MOVED when the database file is
 * no longer the one the store opened, else STORE_BUSY. */
enum store_status store_conn_failure(struct store *s);

/* Lifts the time budget of the operation under way (an import). */
void store_conn_unbounded(struct store_conn *c);

/* Opens a connection of its own (for a long read such as an export), not
 * shared with the thread's; close it with store_conn_free. */
struct store_conn *store_conn_private(struct store *s);
void store_conn_free(struct store_conn *c);

/* ---- statements ----
 * store_prepare finds sql (with $N parameters) in the connection's cache or
 * prepares it; the caller binds, steps and hands it back with store_done,
 * which resets it. On failure *out is NULL and the status says why. */
enum store_status store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out);
void store_done(struct store_stmt *st); /* NULL ok */

static inline void store_bind_int64(struct store_stmt *st, int i, int64_t v)
{
	st->conn->drv->bind_int64(st->handle, i, v);
}
static inline void store_bind_double(struct store_stmt *st, int i, double v)
{
	st->conn->drv->bind_double(st->handle, i, v);
}
/* Binds text, or NULL for a NULL s. */
static inline void store_bind_text(struct store_stmt *st, int i, const char *s)
{
	st->conn->drv->bind_text(st->handle, i, s);
}
static inline void store_bind_blob(struct store_stmt *st, int i, const void *p, size_t n)
{
	st->conn->drv->bind_blob(st->handle, i, p, n);
}
static inline void store_bind_null(struct store_stmt *st, int i)
{
	st->conn->drv->bind_null(st->handle, i);
}

/* Steps st: STORE_OK with *row telling whether a row came, else the
 * failure (counted for /metrics). */
enum store_status store_step(struct store_stmt *st, bool *row);

static inline int64_t store_col_int64(struct store_stmt *st, int i)
{
	return st->conn->drv->column_int64(st->handle, i);
}
static inline double store_col_double(struct store_stmt *st, int i)
{
	return st->conn->drv->column_double(st->handle, i);
}
/* Borrowed until the next step; NULL for SQL NULL. */
static inline const char *store_col_text(struct store_stmt *st, int i)
{
	return st->conn->drv->column_text(st->handle, i, NULL);
}
/* The same, and its length in *len. */
static inline const char *store_col_text_len(struct store_stmt *st, int i, size_t *len)
{
	return st->conn->drv->column_text(st->handle, i, len);
}
static inline bool store_col_is_null(struct store_stmt *st, int i)
{
	return st->conn->drv->column_is_null(st->handle, i);
}
/* A boolean column (an EXISTS): SQLite gives 0 or 1, PostgreSQL t or f. */
static inline bool store_col_bool(struct store_stmt *st, int i)
{
	return st->conn->drv->column_bool(st->handle, i);
}
/* Column i as a new string, or NULL for SQL NULL. */
char *store_column_text(struct store_stmt *st, int i);
/* The same, its length in *len (0 for NULL): no strlen of a long text. */
char *store_column_text_len(struct store_stmt *st, int i, size_t *len);
/* Copies text column i into buf (size n), "" for NULL. */
void store_column_copy(struct store_stmt *st, int i, char *buf, size_t n);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int64_t store_changes(struct store_conn *c);

/* Counts a failure status for /metrics and returns it. */
enum store_status store_count_error(struct store_conn *c, enum store_status r);

/* Write (taking the write lock at once) and read transactions. */
enum store_status store_begin_write(struct store_conn *c);
enum store_status store_begin_read(struct store_conn *c);
enum store_status store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);

/* Runs a statement that returns no rows, binding up to 3 int64 values as
 * $1..$n. */
enum store_status store_exec_ids(struct store_conn *c, const char *sql, int n, int64_t a, int64_t b,
                                 int64_t c3);

/* Runs a prepared, bound SELECT of one row through row_read; STORE_NOT_FOUND
 * when no row comes back. Hands st back. */
enum store_status store_read_one(struct store_stmt *st,
                                 void (*row_read)(struct store_stmt *st, void *out), void *out);

/* Reads id, slug, created_at, updated_at, version from columns col..col+4. */
void store_read_meta(struct store_stmt *st, int col, struct entity_meta *m);

/* ---- kinds of record ---- */

/* Resolves a ref (id > 0, a slug, or both, which must then name the same
 * row) of kind to an id. STORE_NOT_FOUND when there is none. */
enum store_status store_resolve(struct store_conn *c, enum store_kind kind, int64_t id,
                                const char *slug, int64_t *out);

/* The slug a record of kind is stored with: given (STORE_CONFLICT when
 * another row has it), or derived from text (with a date prefix for
 * meetings) and made unique with the lowest free "-N". self is the row
 * being written, 0 for a new one. *out is a new string. */
enum store_status store_slug_for(struct store_conn *c, enum store_kind kind, const char *given,
                                 const char *text, const char *prefix, int64_t self, char **out);

/* A LIKE pattern (new string) matching the folded text as a substring, with
 * \ escapes; compare it with fold(column) to ignore case and accents. */
char *store_like_pattern(const char *text);

/* The cursor key of a name order: lower-cased (ASCII, as the lower(name)
 * indexes are) (new string). */
char *store_name_key(const char *name);

/* A status from the version check of an UPDATE/DELETE that changed nothing:
 * STORE_STALE when the row exists, else STORE_NOT_FOUND. */
enum store_status store_version_miss(struct store_conn *c, enum store_kind kind, int64_t id);

/* Binds created_at, updated_at and version of a new row: those of meta
 * when it carries them (an import restoring a record), else now and 1. */
void store_bind_created(struct store_stmt *st, int created_col, int updated_col, int version_col,
                        const struct entity_meta *meta, const char *now);

/* Steps a bound INSERT ... RETURNING id (*id 0, then set to the new id) or
 * UPDATE (checked against its version: STORE_STALE or STORE_NOT_FOUND when
 * it changed nothing) of a record of kind, keeping its full-text entry in
 * step; hands st back. */
enum store_status store_write_step(struct store_conn *c, enum store_kind kind,
                                   struct store_stmt *st, int64_t *id);

/* How store_save writes and reads one kind of record. */
struct store_entity_ops {
	enum store_kind kind;
	size_t size; /* of the record struct */
	enum store_status (*write)(struct store_conn *c, int64_t *id, int64_t expected_version,
	                           void *entity, struct model_problems *p);
	enum store_status (*read)(struct store_conn *c, int64_t id, void *out);
	void (*clear)(void *entity);
};

extern const struct store_entity_ops store_participant_ops, store_principle_ops, store_meeting_ops;
/* The operations of each kind (store/participants.c, principles.c,
 * meetings.c), indexed by enum store_kind. */
extern const struct store_entity_ops *const store_entity_ops[STORE_KINDS];

/* Writes entity as row id (0: a new row) in one transaction, with its
 * change, and, on STORE_OK, clears it and fills it with the stored record. */
enum store_status store_save(struct store *s, const struct store_entity_ops *ops, int64_t id,
                             int64_t expected_version, void *entity, struct model_problems *p);

/* Deletes row id of kind (checked against expected_version, 0: any) with its
 * full-text entry; STORE_REFERENCED when referenced_sql (a SELECT EXISTS with
 * the id as $1, read as a boolean; NULL: no check) finds it referenced. */
enum store_status store_delete(struct store *s, enum store_kind kind, int64_t id,
                               int64_t expected_version, const char *referenced_sql);

/* ---- history (store/history.c) ----
 * The change and version of one write, inside the caller's write
 * transaction, made by the actor of the request under way. */

/* Records the write of record (a struct of kind, read back after the write:
 * its meta says id, slug and version); the representation it rendered for
 * the version is left in its meta's body. */
enum store_status store_history_add(struct store_conn *c, enum store_kind kind,
                                    enum change_action action, void *record);

/* Reads record id of kind back and records its write. */
enum store_status store_history_add_id(struct store_conn *c, enum store_kind kind,
                                       enum change_action action, int64_t id);

/* Records the delete of record id of kind; call it before the row goes. */
enum store_status store_history_delete(struct store_conn *c, enum store_kind kind, int64_t id);

/* The actor of the request under way on this thread for store s (NULL:
 * none, or no token). */
const char *store_request_actor(const struct store *s);

/* The renderer of versions (store_set_render); NULL when none was set. */
store_render store_renderer(const struct store *s);

/* ---- list pages ----
 * One keyset page: the page statement (its LIMIT bound to limit + 1) read
 * into a new array of item_size items; when a row beyond limit came (then
 * dropped), *next_key is key_of the page's last item (a new string), else
 * NULL; finish runs on the page (nested lists, snippets), and with total
 * the count statement, all in one read transaction. */
struct store_page_query {
	const char *sql;       /* the page */
	const char *count_sql; /* count(*) of every row the filters match; NULL: no total */
	int limit_param;       /* the $N of the page's LIMIT */
	/* Binds the filters (page false: of the count statement) and, in the
	 * page, the cursor. */
	void (*bind)(struct store_stmt *st, const void *ctx, bool page);
	const void *ctx;
	size_t item_size;
	void (*row_read)(struct store_stmt *st, void *item);
	/* Optional: each row's column text_col, a JSON text or NULL, appended
	 * to text (a comma before each but the first the page appends), the
	 * item's meta.body_at and body_len saying where (body_len 0: NULL). */
	struct xbuf *text;
	int text_col;
	void (*item_clear)(void *item);
	/* Optional: completes the page's n items before the count. */
	enum store_status (*finish)(struct store_conn *c, void *items, size_t n, const void *ctx);
	/* Optional with finish: true when finish has nothing to do for the n
	 * items. A page without one, or for which it answers false, is read
	 * in a read transaction (so that finish sees the page's snapshot); a
	 * page that the one statement answers is read without. */
	bool (*complete)(const void *items, size_t n, const void *ctx);
	/* The cursor key after item (a new string). */
	char *(*key_of)(const void *item, const void *ctx);
	/* Optional: false when the *n rows read (at most cap: the page and
	 * the next row) cannot be shown to be the page's, and the bound
	 * filters have been moved on (a search over tiers, store/search.c):
	 * the page is then read again. It may first fold rows of its own
	 * into items (*n then counts them), to be the page read. */
	bool (*settled)(void *items, size_t *n, size_t cap, const void *ctx);
};
enum store_status store_page(struct store_conn *c, const struct store_page_query *q, int limit,
                             void **items, size_t *count, char **next_key, int64_t *total);

/* The list pages of store.h on connection c (an export's snapshot, or the
 * thread's own). */
enum store_status store_participant_list_on(struct store_conn *c,
                                            const struct participant_filter *f,
                                            const struct cursor_pos *after, int limit,
                                            struct participant **items, size_t *count,
                                            char **next_key, int64_t *total);
enum store_status store_principle_list_on(struct store_conn *c, const struct principle_filter *f,
                                          const struct cursor_pos *after, int limit,
                                          struct principle **items, size_t *count, char **next_key,
                                          int64_t *total);
enum store_status store_meeting_list_on(struct store_conn *c, const struct meeting_filter *f,
                                        const struct cursor_pos *after, int limit,
                                        struct meeting **items, size_t *count, char **next_key,
                                        int64_t *total);

/* The ids of n items (each of item_size bytes, an int64_t id at id_offset,
 * those for which keep is NULL or true) as a JSON array text for
 * "IN (SELECT value FROM json_each($N))" (new string). */
char *store_id_list(const void *items, size_t n, size_t item_size, size_t id_offset,
                    bool (*keep)(const void *item, const void *ctx), const void *ctx);

/* ---- entity reads and writes inside the caller's transaction ---- */
enum store_status store_participant_read(struct store_conn *c, int64_t id, struct participant *out);
enum store_status store_participant_write(struct store_conn *c, int64_t *id,
                                          int64_t expected_version, struct participant *p);
enum store_status store_principle_read(struct store_conn *c, int64_t id, struct principle *out);
enum store_status store_principle_write(struct store_conn *c, int64_t *id, int64_t expected_version,
                                        struct principle *p);
enum store_status store_meeting_read(struct store_conn *c, int64_t id, struct meeting *out);
/* The meeting row alone (slug, fields, sources). */
enum store_status store_meeting_write(struct store_conn *c, int64_t *id, int64_t expected_version,
                                      struct meeting *m);
/* Removes the nested lists of meeting id (invocations first: removing an
 * attendance clears invoked_by). */
enum store_status store_meeting_clear_nested(struct store_conn *c, int64_t id);
/* Inserts the nested lists of m for meeting id (whose old lists are gone);
 * problems get pointers under base ("" or "/meetings/3"). */
enum store_status store_meeting_write_nested(struct store_conn *c, int64_t id, struct meeting *m,
                                             const char *base, struct model_problems *p);

/* ---- relevance walks ----
 * The statistics a relevance-ordered walk ranks each kind of record with:
 * read at its first page (store_rank_freeze), carried in its cursor key
 * from page to page (store_rank_key, store_rank_key_parse). */
struct store_rank_walk {
	unsigned kinds; /* the kinds in the walk (a bit per enum store_kind): those
	                 * with no match when it began are left out */
	struct rank_stats stats[STORE_KINDS];
};

/* Reads into *w the statistics of the indexes of kinds (a bit per enum
 * store_kind) for the full-text expression match, inside the caller's read
 * transaction; a kind with no matching record is left out of w->kinds. */
enum store_status store_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                    struct store_rank_walk *w /* OUT */);

/* Binds the statistics of kind in w (borrowed: they must outlive the
 * statement's run) to parameter i. */
void store_rank_bind(struct store_stmt *st, int i, const struct store_rank_walk *w,
                     enum store_kind kind);

/* The cursor key after a row of kind with score in the walk w (new
 * string, at most CURSOR_KEY_MAX characters). */
char *store_rank_key(const struct store_rank_walk *w, int kind, double score);

/* Parses a key of store_rank_key into *kind, *score and *w; a key without
 * statistics (issued before walks carried them) gives w->kinds 0, for the
 * caller to freeze them now. Returns 0, or -1 when key is not such a key. */
int store_rank_key_parse(const char *key, int *kind /* OUT */, double *score /* OUT */,
                         struct store_rank_walk *w /* OUT */);

/* ---- full-text search (per backend: the driver's search hooks) ----
 * Keep the full-text index of one record in step, inside the caller's
 * write transaction: remove before the record's text changes or it is
 * deleted (nothing when the index holds no entry for it), add after it is
 * written. On SQLite the entries added are written at the transaction's
 * commit, all of a kind in one statement: SQLite's FTS5 writes the entries it holds in
 * memory to the database as a new piece of its index at every savepoint
 * and every statement that opens one, so adding them a record at a time
 * would cost a piece each, where a group commit or an import costs one. A
 * record written earlier in the transaction has no entry yet, so a later
 * write of it removes none. */
enum store_status store_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id);
enum store_status store_fts_add(struct store_conn *c, enum store_kind kind, int64_t id);

#endif
