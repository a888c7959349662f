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
#define MEETING_RANK(p) \
	"readout_rank(meetings_fts, $" #p ", " MEETING_LENGTH ", " MEETING_WEIGHTS ")"

/* The type of the struct rank_stats pointers that readout_rank and
 * readout_rank_stats take (sqlite3_bind_pointer: SQL text cannot forge one). */
#define STORE_RANK_POINTER "readout_rank_stats"

/* Registers the full-text functions (readout_rank, readout_rank_stats) and
 * the FTS5 tokenizer "readout" (model/tokenize.h), which the full-text
 * tables use, on a new connection, before any migration runs. Returns a
 * SQLite result code. */
struct sqlite3;
int store_search_register(struct sqlite3 *db);

/* The SQLite handle of a connection (for tests of the SQL functions). */
struct sqlite3 *store_sqlite_handle(struct store_conn *c);

/* The document counts of phrases a connection keeps (store/search.c): its
 * open makes them (about 600 KB, zero pages until searches touch them, and
 * the counts' keys), its close frees them. How many it keeps (for tests). */
struct phrase_counts;
struct phrase_counts *store_sqlite_phrase_counts(struct store_conn *c);
struct phrase_counts *store_sqlite_phrase_counts_new(void);
void store_sqlite_phrase_counts_free(struct phrase_counts *p);
size_t store_sqlite_phrase_counts_kept(struct store_conn *c);

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
