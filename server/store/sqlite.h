/*
 * What the SQLite driver (store/sqlite.c) and the SQLite search
 * (store/search.c) share: the FTS5 scores and the search hooks.
 */
#ifndef READOUT_STORE_SQLITE_H
#define READOUT_STORE_SQLITE_H

#include "store/internal.h"

/* Search scores: bm25 with column weights title > summary > readout and
 * name > aliases or framework > description. Lower is better. */
#define MEETING_BM25 "bm25(meetings_fts, 10.0, 4.0, 1.0)"
#define PARTICIPANT_BM25 "bm25(participants_fts, 10.0, 5.0)"
#define PRINCIPLE_BM25 "bm25(principles_fts, 10.0, 4.0, 1.0)"

enum store_status store_sqlite_search(struct store_conn *c, const char *match, unsigned kinds,
                                      const struct cursor_pos *after, int limit,
                                      struct search_hit **items, size_t *count, bool *more,
                                      int64_t *total);
enum store_status store_sqlite_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id);
enum store_status store_sqlite_fts_add(struct store_conn *c, enum store_kind kind, int64_t id);

#endif
