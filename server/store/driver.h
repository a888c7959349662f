/*
 * The narrow interface between the store's rules (store.c and the files of
 * each record kind) and one database backend. A driver is a table of
 * functions chosen by store_open from the --db value; store/sqlite.c is the
 * one for SQLite files. Nothing above this header includes a backend's own
 * header.
 *
 * Statements are written once, with $1, $2, ... parameters, in the SQL
 * SQLite 3.40 and PostgreSQL 15 share; a driver rewrites them as its
 * library needs at prepare. Every failure is a store status, mapped by one
 * function in each driver: STORE_CONFLICT for a unique or constraint
 * violation, STORE_BUSY for a lock or timeout, a full disk, a read-only
 * database, an interrupted statement or a lost connection, STORE_ERROR for
 * anything else.
 */
#ifndef READOUT_STORE_DRIVER_H
#define READOUT_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/rank.h"
#include "store/store.h"

struct store_conn;      /* the store's connection (store/internal.h) */
struct store_rank_walk; /* frozen ranking statistics (store/internal.h) */
struct store_db;        /* one connection (driver-defined) */
struct store_db_stmt;   /* one prepared statement of a connection (driver-defined) */

/* The SQL that differs between backends, in one place per driver. Each is a
 * fragment the shared statements splice in with %s. */
struct store_dialect {
	/* A ranked meeting list: the full-text index of meetings joined to
	 * meetings m (after FROM), the score of a row (lower is better) with
	 * the walk's statistics at $9 (see rank_bind), and the condition that
	 * the row matches $30. */
	const char *meeting_rank_from;
	const char *meeting_rank_score;
	const char *meeting_rank_match;
	/* A condition on meetings m alone: m matches $30. */
	const char *meeting_match;
	/* One row, one integer that moves when another connection commits:
	 * for the response cache (store_generation). */
	const char *data_version;
	/* One row, one integer: the schema version the database holds. */
	const char *schema_version;
};

enum store_savepoint { SAVEPOINT_SET, SAVEPOINT_RELEASE, SAVEPOINT_UNDO };

struct store_driver {
	const char *name; /* "sqlite", as API.md section 9 names a store */

	/* Opens a connection to target (creating the database when create).
	 * NULL with a one-line reason in err. */
	struct store_db *(*open)(const char *target, bool create, char *err, size_t errlen);
	void (*close)(struct store_db *db); /* NULL ok; finalizes nothing: close statements first */

	/* Prepares sql (with $N parameters) into *out. The store caches the
	 * result per connection, keyed by the SQL text. */
	enum store_status (*prepare)(struct store_db *db, const char *sql,
	                             struct store_db_stmt **out);
	void (*finalize)(struct store_db_stmt *st); /* NULL ok */
	/* Binds parameter $i (from 1). Text and blobs are copied. */
	void (*bind_int64)(struct store_db_stmt *st, int i, int64_t v);
	void (*bind_double)(struct store_db_stmt *st, int i, double v);
	void (*bind_text)(struct store_db_stmt *st, int i, const char *s); /* NULL binds NULL */
	void (*bind_blob)(struct store_db_stmt *st, int i, const void *p, size_t n);
	void (*bind_null)(struct store_db_stmt *st, int i);
	/* Runs the statement to its next row: STORE_OK with *row true on a row,
	 * false when done; otherwise the failure. */
	enum store_status (*step)(struct store_db_stmt *st, bool *row);
	/* Column i (from 0) of the current row. Text is borrowed until the next
	 * step or reset; NULL for SQL NULL. */
	int64_t (*column_int64)(struct store_db_stmt *st, int i);
	double (*column_double)(struct store_db_stmt *st, int i);
	/* Borrowed until the next step; NULL for SQL NULL; its length in
	 * bytes in *len unless len is NULL. */
	const char *(*column_text)(struct store_db_stmt *st, int i, size_t *len);
	const void *(*column_blob)(struct store_db_stmt *st, int i, size_t *len);
	bool (*column_is_null)(struct store_db_stmt *st, int i);
	bool (*column_bool)(struct store_db_stmt *st, int i); /* a boolean column (EXISTS) */
	/* Makes the statement ready to bind and run again, bindings cleared. */
	void (*reset)(struct store_db_stmt *st);
	/* Rows the last INSERT, UPDATE or DELETE of the connection changed. */
	int64_t (*changes)(struct store_db *db);

	/* Transactions: a write (taking the write lock at once), a consistent
	 * read, commit, and rollback (a no-op when none is open). */
	enum store_status (*begin_write)(struct store_db *db);
	enum store_status (*begin_read)(struct store_db *db);
	enum store_status (*commit)(struct store_db *db);
	void (*rollback)(struct store_db *db);
	/* Savepoints inside an open write transaction (a group commit, see
	 * store_group_begin): set one, release it keeping its work, or undo
	 * its work and release it. */
	enum store_status (*savepoint)(struct store_db *db, enum store_savepoint op);
	/* True while a transaction is open (one that failed may have ended it). */
	bool (*in_transaction)(struct store_db *db);

	/* Hooks. */
	/* Statements started from now stop with STORE_BUSY once the monotonic
	 * clock passes deadline_ms (0: no deadline). */
	void (*set_deadline)(struct store_db *db, int64_t deadline_ms);
	/* Applies every migration the database lacks, under the backend's
	 * lock. -1 with a one-line reason (a database newer than this binary). */
	int (*migrate)(struct store_db *db, const char *target, char *err, size_t errlen);
	/* A consistent online copy to path; err gets a one-line reason. */
	enum store_status (*backup)(struct store_db *db, const char *path, char *err,
	                            size_t errlen);
	/* True when the connection can only read though no transaction is
	 * open: the store then opens a new one before a write (SQLite opens a
	 * file it may not write read-only and keeps it so). */
	bool (*read_only)(struct store_db *db);

	/* The file the connection opened (a new string), which the store
	 * watches so as to notice the database removed or replaced under the
	 * server; NULL when there is none (in memory; a database server). */
	char *(*watched_file)(struct store_db *db);
	/* Readies a connection for one long sequential read (an export): a
	 * small page cache, since it reads each page once. */
	void (*tune_for_scan)(struct store_db *db);

	/* Optional: true when the connection's last commit left enough in the
	 * log of writes to copy into the database (SQLite: a WAL of
	 * STORE_CHECKPOINT_PAGES or more); the store then runs checkpoint on
	 * a thread of its own (store.c, checkpointer_main). NULL: the backend
	 * copies its log itself (PostgreSQL's checkpointer). */
	bool (*checkpoint_due)(struct store_db *db);
	/* Copies what it can of the log into the database without waiting for
	 * readers or writers. The length of the log it saw (pages), or -1
	 * when it could not (another connection copying it, an error). */
	int (*checkpoint)(struct store_db *db);

	/* Optional: blocks up to timeout_ms for a sign that another session
	 * committed a change (PostgreSQL: a NOTIFY on readout_changes, which it
	 * LISTENs to first). 1 when one came or the session is new (anything
	 * may have been missed), 0 when none, -1 when the database cannot be
	 * reached. NULL: the store polls instead. */
	int (*wait_change)(struct store_db *db, int timeout_ms);

	/* The number of migrations compiled in for this backend. */
	int (*schema_target)(void);

	const struct store_dialect *sql;

	/* Full-text search of this backend (see store_search in store.h, and
	 * the index upkeep of store_fts_add and store_fts_remove). */
	enum store_status (*search)(struct store_conn *c, const char *match, unsigned kinds,
	                            const struct cursor_pos *after, int limit,
	                            struct search_hit **items, size_t *count, char **next_key,
	                            int64_t *total);
	/* Reads into w the statistics of the full-text index of each kind in
	 * kinds for match, inside the caller's transaction, adding to w->kinds
	 * each kind with a matching record. */
	enum store_status (*rank_freeze)(struct store_conn *c, const char *match, unsigned kinds,
	                                 struct store_rank_walk *w);
	/* Binds frozen statistics s (borrowed: they outlive the statement's
	 * run) to parameter $i of a statement that ranks with them (the
	 * dialect's meeting_rank_score). */
	void (*rank_bind)(struct store_db_stmt *st, int i, const struct rank_stats *s);
	/* Removes the entry of the record of kind with this id, if the index
	 * holds one. */
	enum store_status (*fts_remove)(struct store_conn *c, enum store_kind kind, int64_t id);
	/* Whether the entries a write transaction adds wait for its commit
	 * (store_fts_add): SQLite's FTS5 writes a piece of its index at every
	 * savepoint otherwise. PostgreSQL's vectors are columns of the records,
	 * written with them: written at the commit instead, they would fire
	 * the triggers that clear the meetings' stored JSON just stored. */
	bool fts_at_commit;
	/* Adds the entries of the n records of kind with these ids (one
	 * statement on SQLite; ids of no record are passed over). */
	enum store_status (*fts_add)(struct store_conn *c, enum store_kind kind, const int64_t *ids,
	                             size_t n);
	/* Optional: merges each full-text index into one piece, inside the
	 * caller's write transaction (store_fts_optimize). */
	enum store_status (*fts_optimize)(struct store_conn *c);
	/* Optional: the backend's form of a search expression (model/search.h)
	 * as a new string, which the meeting list binds for the dialect's
	 * meeting_rank_* and meeting_match and hands to rank_freeze. NULL: the
	 * expression itself. (search gets the expression.) */
	char *(*match)(const char *expr);
};

/* The SQLite driver (store/sqlite.c). */
extern const struct store_driver store_sqlite_driver;
/* The PostgreSQL driver (store/postgres.c). */
extern const struct store_driver store_pg_driver;

#endif
