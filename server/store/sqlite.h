/*
 * What the SQLite driver (store/sqlite.c) and the SQLite search
 * (store/search.c) share: the FTS5 scores and the search hooks.
 */
#ifndef READOUT_STORE_SQLITE_H
#define READOUT_STORE_SQLITE_H

#include "model/rank.h"
#include "store/internal.h"

/* Search scores: bm25 with column weights title > summary > readout =
 * readouts (the other texts) and name > aliases > framework > description, computed by readout_rank
 * with the collection statistics bound (a struct rank_stats pointer, see store_rank_bind) at
 * parameter $p, frozen for a whole walk. Lower is better. */
#define RANK_TEXT(...) #__VA_ARGS__
#define RANK_TEXT_OF(...) RANK_TEXT(__VA_ARGS__)
#define MEETING_WEIGHTS RANK_TEXT_OF(RANK_MEETING_WEIGHTS)
#define PARTICIPANT_WEIGHTS "10.0, 5.0"
#define PRINCIPLE_WEIGHTS "10.0, 4.0, 1.0, 5.0"
/* The length a score is computed against: meetings' fixed (the tiers of
 * model/rank.h), 0 for the collection's average. */
#define MEETING_LENGTH RANK_TEXT_OF(RANK_MEETING_LENGTH)
/* readout_rank's second argument: the kind (enum store_kind) of the index,
 * whose lengths it keeps; meetings are 0. */
#define MEETING_RANK(p) \
	"readout_rank(meetings_fts, $" #p ", 0, " MEETING_LENGTH ", " MEETING_WEIGHTS ")"

/* The type of the struct rank_stats pointers that readout_rank and
 * readout_rank_stats take (sqlite3_bind_pointer: SQL text cannot forge one). */
#define STORE_RANK_POINTER "readout_rank_stats"

/* Registers the full-text functions (readout_rank, readout_rank_stats) and
 * the FTS5 tokenizer "readout" (model/tokenize.h), which the full-text
 * tables use, on a new connection, before any migration runs; the
 * functions keep what they read for the connection in kept. Returns a
 * SQLite result code. */
struct sqlite3;
struct search_kept;
int store_search_register(struct sqlite3 *db, struct search_kept *kept);

/* The SQLite handle of a connection (for tests of the SQL functions). */
struct sqlite3 *store_sqlite_handle(struct store_conn *c);

/* The document counts of phrases and the lengths of rows a connection
 * keeps (store/search.c): its open makes them (about 600 KB, zero pages
 * until searches touch them, the counts' keys, and the lengths' tables,
 * 16 to 32 bytes a row kept, 512 KB an index at most), its close frees
 * them. How many it keeps (for tests). */
struct search_kept *store_sqlite_search_kept(struct store_conn *c);
struct search_kept *store_sqlite_search_kept_new(void);
void store_sqlite_search_kept_free(struct search_kept *k);
size_t store_sqlite_phrase_counts_kept(struct store_conn *c);
size_t store_sqlite_lengths_kept(struct store_conn *c, enum store_kind kind);

enum store_status store_sqlite_search(struct store_conn *c, const char *match, unsigned kinds,
                                      const struct cursor_pos *after, int limit,
                                      struct search_hit **items, size_t *count, char **next_key,
                                      int64_t *total);
enum store_status store_sqlite_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                           struct store_rank_walk *w);
void store_sqlite_rank_bind(struct store_db_stmt *st, int i, const struct rank_stats *s);
enum store_status store_sqlite_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id);
enum store_status store_sqlite_fts_add(struct store_conn *c, enum store_kind kind,
                                       const int64_t *ids, size_t n);
enum store_status store_sqlite_fts_optimize(struct store_conn *c);

#endif
