/*
 * The SQLite full-text search (the search hooks of store/sqlite.c): keeping
 * the FTS5 tables in step with the records, and ranked search across
 * meetings, participants and principles. Scores are
 * bm25 with the title or name weighted above the rest. Snippets are made in
 * a second query for the page's rows only.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"
#include "store/sqlite.h"

#define SNIPPET_TOKENS "24"

enum store_status store_sqlite_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id)
{
	static const char *const sql[] = {
	    /* External content: the index is told the text it holds, from the row. */
	    [STORE_MEETINGS] =
	        "INSERT INTO meetings_fts (meetings_fts, rowid, title, summary, "
	        "readout) SELECT 'delete', id, title, summary, readout FROM meetings "
	        "WHERE id = $1",
	    [STORE_PARTICIPANTS] = "DELETE FROM participants_fts WHERE rowid = $1",
	    [STORE_PRINCIPLES] = "DELETE FROM principles_fts WHERE rowid = $1",
	};
	return store_exec_ids(c, sql[kind], 1, id, 0, 0);
}

enum store_status store_sqlite_fts_add(struct store_conn *c, enum store_kind kind, int64_t id)
{
	static const char *const sql[] = {
	    [STORE_MEETINGS] = "INSERT INTO meetings_fts (rowid, title, summary, readout) "
	                       "SELECT id, title, summary, readout FROM meetings WHERE id = $1",
	    [STORE_PARTICIPANTS] =
	        "INSERT INTO participants_fts (rowid, name, aliases) "
	        "SELECT id, name, (SELECT group_concat(value, '; ') FROM "
	        "json_each(participants.aliases)) FROM participants WHERE id = $1",
	    [STORE_PRINCIPLES] =
	        "INSERT INTO principles_fts (rowid, name, framework, description) "
	        "SELECT id, name, framework, description FROM principles WHERE id = $1",
	};
	return store_exec_ids(c, sql[kind], 1, id, 0, 0);
}

char *store_search_key(int kind, double score)
{
	return xasprintf("%d:%.17g", kind, score);
}

/* Parses a key of store_search_key; -1 when it is not one. */
static int parse_key(const char *key, int *kind, double *score)
{
	char *end;
	long k = strtol(key, &end, 10);
	if (end == key || *end != ':' || k < 0 || k >= STORE_KINDS)
		return -1;
	const char *num = end + 1;
	*score = strtod(num, &end);
	if (end == num || *end)
		return -1;
	*kind = (int)k;
	return 0;
}

static bool hit_of_kind(const void *item, const void *ctx)
{
	return ((const struct search_hit *)item)->kind == *(const int *)ctx;
}

/* Fills slug, title, date and snippet of the page's hits, one query per kind. */
static enum store_status describe(struct store_conn *c, const char *match, struct search_hit *hits,
                                  size_t n)
{
	static const char *const sql[] = {
	    [STORE_MEETINGS] =
	        "SELECT m.id, m.slug, m.title, m.date, snippet(meetings_fts, -1, "
	        "char(1), char(2), '…', " SNIPPET_TOKENS ") FROM meetings_fts "
	        "JOIN meetings m ON m.id = meetings_fts.rowid WHERE meetings_fts "
	        "MATCH $1 AND meetings_fts.rowid IN (SELECT value FROM json_each($2))",
	    [STORE_PARTICIPANTS] =
	        "SELECT p.id, p.slug, p.name, NULL, snippet(participants_fts, -1, "
	        "char(1), char(2), '…', " SNIPPET_TOKENS ") FROM participants_fts "
	        "JOIN participants p ON p.id = participants_fts.rowid WHERE "
	        "participants_fts MATCH $1 AND participants_fts.rowid IN "
	        "(SELECT value FROM json_each($2))",
	    [STORE_PRINCIPLES] = "SELECT p.id, p.slug, p.name, NULL, snippet(principles_fts, -1, "
	                         "char(1), char(2), '…', " SNIPPET_TOKENS ") FROM principles_fts "
	                         "JOIN principles p ON p.id = principles_fts.rowid WHERE "
	                         "principles_fts MATCH $1 AND principles_fts.rowid IN "
	                         "(SELECT value FROM json_each($2))",
	};
	enum store_status r = STORE_OK;
	for (int kind = 0; kind < STORE_KINDS && r == STORE_OK; kind++) {
		char *ids = store_id_list(hits, n, sizeof *hits, offsetof(struct search_hit, id),
		                          hit_of_kind, &kind);
		if (strcmp(ids, "[]") == 0) {
			free(ids);
			continue;
		}
		struct store_stmt *st;
		r = store_prepare(c, sql[kind], &st);
		if (r != STORE_OK) {
			free(ids);
			return r;
		}
		store_bind_text(st, 1, match);
		store_bind_text(st, 2, ids);
		bool row;
		while ((r = store_step(st, &row)) == STORE_OK && row) {
			int64_t id = store_col_int64(st, 0);
			for (size_t i = 0; i < n; i++) {
				if (hits[i].kind != kind || hits[i].id != id)
					continue;
				hits[i].slug = store_column_text(st, 1);
				hits[i].title = store_column_text(st, 2);
				if (!store_col_is_null(st, 3))
					store_column_copy(st, 3, hits[i].date, sizeof hits[i].date);
				hits[i].snippet = store_column_text(st, 4);
			}
		}
		store_done(st);
		free(ids);
	}
	return r;
}

static void search_hit_clear_any(void *e)
{
	search_hit_clear(e);
}

static void search_hit_row_read(struct store_stmt *st, void *out)
{
	struct search_hit *h = out;
	h->kind = (int)store_col_int64(st, 0);
	h->id = store_col_int64(st, 1);
	h->score = store_col_double(st, 2);
}

/* A search: the match and the cursor, parsed. */
struct search_ctx {
	const char *match;
	const struct cursor_pos *after;
	int after_kind;
	double after_score;
};

static void search_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct search_ctx *q = ctx;
	store_bind_text(st, 1, q->match);
	if (page && q->after) {
		store_bind_double(st, 2, q->after_score);
		store_bind_int64(st, 3, q->after_kind);
		store_bind_int64(st, 4, q->after->id);
	}
}

static enum store_status search_finish(struct store_conn *c, void *items, size_t n, const void *ctx)
{
	return describe(c, ((const struct search_ctx *)ctx)->match, items, n);
}

enum store_status store_sqlite_search(struct store_conn *c, const char *match, unsigned kinds,
                                      const struct cursor_pos *after, int limit,
                                      struct search_hit **items, size_t *count, bool *more,
                                      int64_t *total)
{
	static const char *const parts[] = {
	    [STORE_MEETINGS] = "SELECT 0 AS kind, rowid AS id, " MEETING_BM25
	                       " AS score FROM meetings_fts WHERE meetings_fts MATCH $1",
	    [STORE_PARTICIPANTS] =
	        "SELECT 1 AS kind, rowid AS id, " PARTICIPANT_BM25
	        " AS score FROM participants_fts WHERE participants_fts MATCH $1",
	    [STORE_PRINCIPLES] = "SELECT 2 AS kind, rowid AS id, " PRINCIPLE_BM25
	                         " AS score FROM principles_fts WHERE principles_fts MATCH $1",
	};
	struct search_ctx ctx = {match, after, 0, 0};
	if (after && parse_key(after->key, &ctx.after_kind, &ctx.after_score))
		return STORE_INVALID_REF;
	char hits[768], sql[1024], count_sql[1024];
	size_t used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
			                         used ? " UNION ALL " : "", parts[k]);
	}
	snprintf(sql, sizeof sql,
	         "SELECT kind, id, score FROM (%s) AS hits%s ORDER BY score, kind, id LIMIT $5",
	         hits, after ? " WHERE (score, kind, id) > ($2, $3, $4)" : "");
	snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM (%s) AS hits", hits);
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 5,
	    .bind = search_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct search_hit),
	    .row_read = search_hit_row_read,
	    .item_clear = search_hit_clear_any,
	    .finish = search_finish,
	};
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, more, total);
	if (r == STORE_OK)
		*items = out;
	return r;
}
