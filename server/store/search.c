/*
 * Full-text search: keeping the FTS5 tables in step with the records, and
 * ranked search across meetings, participants and principles. Scores are
 * bm25 with the title or name weighted above the rest. Snippets are made in
 * a second query for the page's rows only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"
#include "store/internal.h"

#define SNIPPET_TOKENS "24"

enum store_status store_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id)
{
	static const char *const sql[] = {
	    /* External content: the index is told the text it holds, from the row. */
	    [STORE_MEETINGS] =
	        "INSERT INTO meetings_fts (meetings_fts, rowid, title, summary, "
	        "readout) SELECT 'delete', id, title, summary, readout FROM meetings "
	        "WHERE id = ?",
	    [STORE_PARTICIPANTS] = "DELETE FROM participants_fts WHERE rowid = ?",
	    [STORE_PRINCIPLES] = "DELETE FROM principles_fts WHERE rowid = ?",
	};
	return store_exec_ids(c, sql[kind], 1, id, 0, 0);
}

enum store_status store_fts_add(struct store_conn *c, enum store_kind kind, int64_t id)
{
	static const char *const sql[] = {
	    [STORE_MEETINGS] = "INSERT INTO meetings_fts (rowid, title, summary, readout) "
	                       "SELECT id, title, summary, readout FROM meetings WHERE id = ?",
	    [STORE_PARTICIPANTS] =
	        "INSERT INTO participants_fts (rowid, name, aliases) "
	        "SELECT id, name, (SELECT group_concat(value, '; ') FROM "
	        "json_each(participants.aliases)) FROM participants WHERE id = ?",
	    [STORE_PRINCIPLES] =
	        "INSERT INTO principles_fts (rowid, name, framework, description) "
	        "SELECT id, name, framework, description FROM principles WHERE id = ?",
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

/* The ids of hits of one kind as a JSON array text. */
static char *ids_of(const struct search_hit *hits, size_t n, int kind)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fputc('[', f);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (hits[i].kind != kind)
			continue;
		fprintf(f, "%s%lld", first ? "" : ",", (long long)hits[i].id);
		first = false;
	}
	fputc(']', f);
	fclose(f);
	return out;
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
	        "MATCH ?1 AND meetings_fts.rowid IN (SELECT value FROM json_each(?2))",
	    [STORE_PARTICIPANTS] =
	        "SELECT p.id, p.slug, p.name, NULL, snippet(participants_fts, -1, "
	        "char(1), char(2), '…', " SNIPPET_TOKENS ") FROM participants_fts "
	        "JOIN participants p ON p.id = participants_fts.rowid WHERE "
	        "participants_fts MATCH ?1 AND participants_fts.rowid IN "
	        "(SELECT value FROM json_each(?2))",
	    [STORE_PRINCIPLES] = "SELECT p.id, p.slug, p.name, NULL, snippet(principles_fts, -1, "
	                         "char(1), char(2), '…', " SNIPPET_TOKENS ") FROM principles_fts "
	                         "JOIN principles p ON p.id = principles_fts.rowid WHERE "
	                         "principles_fts MATCH ?1 AND principles_fts.rowid IN "
	                         "(SELECT value FROM json_each(?2))",
	};
	enum store_status r = STORE_OK;
	for (int kind = 0; kind < STORE_KINDS && r == STORE_OK; kind++) {
		char *ids = ids_of(hits, n, kind);
		if (strcmp(ids, "[]") == 0) {
			free(ids);
			continue;
		}
		sqlite3_stmt *st = store_stmt(c, sql[kind]);
		if (!st) {
			free(ids);
			return STORE_ERROR;
		}
		store_bind_text(st, 1, match);
		store_bind_text(st, 2, ids);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			for (size_t i = 0; i < n; i++) {
				if (hits[i].kind != kind || hits[i].id != id)
					continue;
				hits[i].slug = store_column_text(st, 1);
				hits[i].title = store_column_text(st, 2);
				if (sqlite3_column_type(st, 3) != SQLITE_NULL)
					snprintf(hits[i].date, sizeof hits[i].date, "%s",
					         (const char *)sqlite3_column_text(st, 3));
				hits[i].snippet = store_column_text(st, 4);
			}
		}
		store_stmt_done(c, st);
		free(ids);
		if (rc != SQLITE_DONE)
			r = store_status_of(c, rc);
	}
	return r;
}

enum store_status store_search(struct store *s, const char *match, unsigned kinds,
                               const struct cursor_pos *after, int limit, struct search_hit **items,
                               size_t *count, bool *more, int64_t *total)
{
	static const char *const parts[] = {
	    [STORE_MEETINGS] = "SELECT 0 AS kind, rowid AS id, " MEETING_BM25
	                       " AS score FROM meetings_fts WHERE meetings_fts MATCH ?1",
	    [STORE_PARTICIPANTS] =
	        "SELECT 1 AS kind, rowid AS id, " PARTICIPANT_BM25
	        " AS score FROM participants_fts WHERE participants_fts MATCH ?1",
	    [STORE_PRINCIPLES] = "SELECT 2 AS kind, rowid AS id, " PRINCIPLE_BM25
	                         " AS score FROM principles_fts WHERE principles_fts MATCH ?1",
	};
	int after_kind = 0;
	double after_score = 0;
	if (after && parse_key(after->key, &after_kind, &after_score))
		return STORE_INVALID_REF;
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	char hits[768], sql[1024];
	size_t used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
			                         used ? " UNION ALL " : "", parts[k]);
	}
	snprintf(sql, sizeof sql,
	         "SELECT kind, id, score FROM (%s)%s ORDER BY score, kind, id LIMIT ?5", hits,
	         after ? " WHERE (score, kind, id) > (?2, ?3, ?4)" : "");
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	struct search_hit *out = xcalloc((size_t)limit + 1, sizeof *out);
	size_t n = 0;
	sqlite3_stmt *st = store_stmt(c, sql);
	if (!st) {
		r = STORE_ERROR;
		goto done;
	}
	store_bind_text(st, 1, match);
	if (after) {
		sqlite3_bind_double(st, 2, after_score);
		sqlite3_bind_int(st, 3, after_kind);
		sqlite3_bind_int64(st, 4, after->id);
	}
	sqlite3_bind_int(st, 5, limit + 1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].kind = sqlite3_column_int(st, 0);
		out[n].id = sqlite3_column_int64(st, 1);
		out[n].score = sqlite3_column_double(st, 2);
		n++;
	}
	store_stmt_done(c, st);
	r = rc == SQLITE_DONE ? STORE_OK : store_status_of(c, rc);
	*more = n > (size_t)limit;
	if (*more)
		n--;
	if (r == STORE_OK)
		r = describe(c, match, out, n);
	if (r == STORE_OK && total) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", hits);
		st = store_stmt(c, sql);
		if (!st) {
			r = STORE_ERROR;
			goto done;
		}
		store_bind_text(st, 1, match);
		rc = sqlite3_step(st);
		*total = sqlite3_column_int64(st, 0);
		r = store_status_of(c, rc);
		store_stmt_done(c, st);
	}
done:
	store_commit(c);
	if (r != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			search_hit_clear(&out[i]);
		free(out);
		return r;
	}
	*items = out;
	*count = n;
	return STORE_OK;
}
