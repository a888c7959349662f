/*
 * What the store's files share and nothing outside store/ sees: the
 * per-thread connection, its statement cache, transactions and the mapping
 * of SQLite result codes to store statuses.
 */
#ifndef READOUT_STORE_INTERNAL_H
#define READOUT_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_STMT_CACHE 256 /* prepared statements kept per connection */

struct store_conn;

/* This thread's connection to s, opened on first use; NULL when it cannot be
 * opened. Borrowed: the store closes it. */
struct store_conn *store_conn(struct store *s);

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

/* Resolves a ref (id > 0 or slug) in table ("participants", "principles",
 * "meetings") to an id. STORE_NOT_FOUND when there is none. */
enum store_status store_resolve(struct store_conn *c, const char *table, int64_t id,
                                const char *slug, int64_t *out);

/* Picks a free slug in table: wanted as is (STORE_CONFLICT when taken and
 * exact is true) or the first free candidate of base ("base", "base-2", ...),
 * skipping the row self (0 for none). Returns a new string in *out. */
enum store_status store_free_slug(struct store_conn *c, const char *table, const char *base,
                                  int64_t self, char **out);

#endif
