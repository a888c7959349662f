/*
 * What the store's files share and nothing outside store/ sees: the
 * per-thread connection, its statement cache, transactions and the mapping
 * of SQLite result codes to store statuses.
 */
#ifndef READOUT_STORE_INTERNAL_H
#define READOUT_STORE_INTERNAL_H

#include <sqlite3.h>

#include "model/rank.h"
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
/* Page cache of an export's connection (KiB): it reads each page once. */
#define STORE_EXPORT_CACHE_KIB 512
#define STORE_SQL_MAX (64 * 1024) /* longest statement text */
#define STORE_VARIABLES_MAX 64    /* bound parameters per statement */

struct store_conn;

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

/* The raw handle of a connection. */
sqlite3 *store_db(struct store_conn *c);

/* A prepared statement for sql from the connection's cache (prepared on
 * first use). The caller binds, steps and must hand it back with
 * store_stmt_done, which resets it. NULL on a prepare error. */
sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql);
void store_stmt_done(struct store_conn *c, sqlite3_stmt *st);

/* Maps a SQLite result code to a store status, counting errors. */
enum store_status store_status_of(struct store_conn *c, int rc);

/* BEGIN IMMEDIATE / BEGIN (deferred, for consistent multi-statement reads),
 * COMMIT and ROLLBACK. */
enum store_status store_begin_write(struct store_conn *c);
enum store_status store_begin_read(struct store_conn *c);
enum store_status store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);

/* Runs a statement that returns no rows, binding up to 3 int64 values (only
 * the first n are bound). */
enum store_status store_exec_ids(struct store_conn *c, const char *sql, int n, int64_t a, int64_t b,
                                 int64_t c3);

/* Binds text or NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Copies column i as a new string, or NULL for SQL NULL. */
char *store_column_text(sqlite3_stmt *st, int i);

/* Resolves a ref (id > 0, a slug, or both, which must then name the same
 * row) in table ("participants", "principles", "meetings") to an id.
 * STORE_NOT_FOUND when there is none. */
enum store_status store_resolve(struct store_conn *c, const char *table, int64_t id,
                                const char *slug, int64_t *out);

/* Picks the first free candidate of base in table ("base", "base-2", ...),
 * counting the row self (0 for none) as free. Returns a new string in *out. */
enum store_status store_free_slug(struct store_conn *c, const char *table, const char *base,
                                  int64_t self, char **out);

/* Reads id, slug, created_at, updated_at, version from columns col..col+4. */
void store_read_meta(sqlite3_stmt *st, int col, struct entity_meta *m);

/* Runs a prepared SELECT of one row through read; STORE_NOT_FOUND when no
 * row comes back. Hands st back to the cache. */
enum store_status store_read_one(struct store_conn *c, sqlite3_stmt *st,
                                 void (*read)(sqlite3_stmt *st, void *out), void *out);

/* A LIKE pattern (new string) matching the folded text as a substring, with
 * \ escapes; compare it with fold(column) to ignore case and accents. */
char *store_like_pattern(const char *text);

/* A status from the version check of an UPDATE/DELETE that changed nothing:
 * STORE_STALE when the row exists, else STORE_NOT_FOUND. */
enum store_status store_version_miss(struct store_conn *c, const char *table, int64_t id);

/* Binds created_at, updated_at and version of a new row: those of meta
 * when it carries them (an import restoring a record), else now and 1. */
void store_bind_created(sqlite3_stmt *st, int created_col, int updated_col, int version_col,
                        const struct entity_meta *meta, const char *now);

/* Opens a connection of its own (for a long read such as an export), not
 * shared with the thread's; close it with store_conn_free. */
struct store_conn *store_conn_private(struct store *s);
void store_conn_free(struct store_conn *c);

/* Entity reads and writes inside the caller's transaction, for the import. */
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

/* The table of each kind of record. */
extern const char *const store_tables[STORE_KINDS];

/* The slug a record of kind is stored with: given (STORE_CONFLICT when
 * another row has it), or derived from text (with a date prefix for
 * meetings) and made unique. self is the row being written, 0 for a new
 * one. *out is a new string. */
enum store_status store_slug_for(struct store_conn *c, enum store_kind kind, const char *given,
                                 const char *text, const char *prefix, int64_t self, char **out);

/* Steps a bound INSERT (*id 0, then set to the new id) or UPDATE (checked
 * against its version: STORE_STALE or STORE_NOT_FOUND when it changed
 * nothing) of a record of kind, keeping its full-text entry in step; hands
 * st back to the cache. */
enum store_status store_write_step(struct store_conn *c, enum store_kind kind, sqlite3_stmt *st,
                                   int64_t *id);

/* How store_save writes and reads one kind of record. */
struct store_entity_ops {
	size_t size; /* of the record struct */
	enum store_status (*write)(struct store_conn *c, int64_t *id, int64_t expected_version,
	                           void *entity, struct model_problems *p);
	enum store_status (*read)(struct store_conn *c, int64_t id, void *out);
	void (*clear)(void *entity);
};

/* Writes entity as row id (0: a new row) in one transaction and, on
 * STORE_OK, clears it and fills it with the stored record. */
enum store_status store_save(struct store *s, const struct store_entity_ops *ops, int64_t id,
                             int64_t expected_version, void *entity, struct model_problems *p);

/* Deletes row id of kind (checked against expected_version, 0: any) with its
 * full-text entry; STORE_CONFLICT when referenced_sql (a SELECT EXISTS with
 * the id as ?1; NULL: no check) finds it referenced. */
enum store_status store_delete(struct store *s, enum store_kind kind, int64_t id,
                               int64_t expected_version, const char *referenced_sql);

/* Search scores: bm25 with column weights title > summary > readout and
 * name > aliases or framework > description, computed by readout_rank with
 * the collection statistics bound (a struct rank_stats pointer, see
 * store_rank_bind) at parameter ?p, frozen for a whole walk. Lower is
 * better. */
#define MEETING_RANK(p) "readout_rank(meetings_fts, ?" #p ", 10.0, 4.0, 1.0)"
#define PARTICIPANT_RANK(p) "readout_rank(participants_fts, ?" #p ", 10.0, 5.0)"
#define PRINCIPLE_RANK(p) "readout_rank(principles_fts, ?" #p ", 10.0, 4.0, 1.0)"

/* The type of the struct rank_stats pointers that readout_rank and
 * readout_rank_stats take (sqlite3_bind_pointer: SQL text cannot forge one). */
#define STORE_RANK_POINTER "readout_rank_stats"

/* The statistics a relevance-ordered walk ranks each kind of record with:
 * read at its first page (store_rank_freeze), carried in its cursor key
 * from page to page (store_rank_key, store_rank_key_parse). */
struct store_rank_walk {
	unsigned kinds; /* the kinds in the walk (a bit per enum store_kind): those
	                 * with no match when it began are left out */
	struct rank_stats stats[STORE_KINDS];
};

/* Registers the full-text functions (readout_rank, readout_rank_stats) on a
 * new connection. Returns a SQLite result code. */
int store_search_register(sqlite3 *db);

/* Reads into *w the statistics of the indexes of kinds (a bit per enum
 * store_kind) for the FTS5 expression match, inside the caller's read
 * transaction; a kind with no matching record is left out of w->kinds. */
enum store_status store_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                    struct store_rank_walk *w /* OUT */);

/* Binds the statistics of kind in w (borrowed: they must outlive the
 * statement's run) to parameter i, for the *_RANK expressions. */
void store_rank_bind(sqlite3_stmt *st, int i, const struct store_rank_walk *w,
                     enum store_kind kind);

/* The cursor key after a row of kind with score in the walk w (new
 * string, at most CURSOR_KEY_MAX characters). */
char *store_rank_key(const struct store_rank_walk *w, int kind, double score);

/* Parses a key of store_rank_key into *kind, *score and *w; a key without
 * statistics (issued before walks carried them) gives w->kinds 0, for the
 * caller to freeze them now. Returns 0, or -1 when key is not such a key. */
int store_rank_key_parse(const char *key, int *kind /* OUT */, double *score /* OUT */,
                         struct store_rank_walk *w /* OUT */);

/* Keep the full-text index of one record in step, inside the caller's
 * transaction: remove before the record's text changes or it is deleted,
 * add after it is written. */
enum store_status store_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id);
enum store_status store_fts_add(struct store_conn *c, enum store_kind kind, int64_t id);

#endif
