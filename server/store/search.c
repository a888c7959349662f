/*
 * Full-text search: keeping the FTS5 tables in step with the records, and
 * ranked search across meetings, participants and principles. Scores are
 * bm25 with the title or name weighted above the rest, computed by an FTS5
 * auxiliary function of our own (readout_rank) with collection statistics
 * frozen when a walk begins and carried in its cursor, so that rows added,
 * changed or removed during the walk cannot move the rows around them
 * across the cursor. Snippets are made in a second query for the page's
 * rows only.
 */
#include <float.h>
#include <math.h>
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

/* ---- ranking with frozen statistics ---- */

/* What readout_rank derives from the statistics once per query. */
struct rank_query {
	int phrases;
	double avgdl;
	double *freq; /* the current row's weighted frequency of each phrase */
	double idf[]; /* each phrase's, then freq's room */
};

/* readout_rank(fts, stats, weight...): the bm25 score of the current row
 * under the bound statistics, each column's hits counted with its weight
 * (1 when none is given), like bm25(fts, weight...). */
static void fts_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                     sqlite3_value **val)
{
	struct rank_query *q = api->xGetAuxdata(fts, 0);
	if (!q) {
		const struct rank_stats *s =
		    nval > 0 ? sqlite3_value_pointer(val[0], STORE_RANK_POINTER) : NULL;
		if (!s) {
			sqlite3_result_error(ctx, "readout_rank: no statistics bound", -1);
			return;
		}
		int n = api->xPhraseCount(fts);
		q = xmalloc(sizeof *q + 2 * (size_t)n * sizeof(double));
		q->phrases = n;
		q->avgdl = rank_avgdl(s);
		q->freq = q->idf + n;
		for (int i = 0; i < n; i++)
			q->idf[i] = rank_idf(s, i);
		int rc = api->xSetAuxdata(fts, q, free); /* frees q when it fails */
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	memset(q->freq, 0, (size_t)q->phrases * sizeof(double));
	int ninst = 0, ntok = 0;
	int rc = api->xInstCount(fts, &ninst);
	for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
		int phrase, col, off;
		rc = api->xInst(fts, i, &phrase, &col, &off);
		if (rc == SQLITE_OK && phrase >= 0 && phrase < q->phrases)
			q->freq[phrase] +=
			    nval - 1 > col ? sqlite3_value_double(val[1 + col]) : 1.0;
	}
	if (rc == SQLITE_OK)
		rc = api->xColumnSize(fts, -1, &ntok);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	sqlite3_result_double(ctx, rank_bm25(q->idf, q->freq, q->phrases, ntok, q->avgdl));
}

static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *count)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)count)++;
	return SQLITE_OK;
}

/* readout_rank_stats(fts, stats): fills the bound statistics with the
 * index's now (one call per query is enough) and returns 1. */
static void fts_rank_stats(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                           int nval, sqlite3_value **val)
{
	struct rank_stats *s = nval > 0 ? sqlite3_value_pointer(val[0], STORE_RANK_POINTER) : NULL;
	if (!s) {
		sqlite3_result_error(ctx, "readout_rank_stats: no statistics bound", -1);
		return;
	}
	memset(s, 0, sizeof *s);
	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(fts, &rows);
	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(fts, -1, &tokens);
	s->rows = rows;
	s->tokens = tokens;
	int n = api->xPhraseCount(fts);
	/* A query of more phrases ranks them alike: their counts would not
	 * fit in a cursor (and reading them would cost a pass each). */
	for (int i = 0; rc == SQLITE_OK && n <= RANK_PHRASES_MAX && i < n; i++) {
		sqlite3_int64 hits = 0;
		rc = api->xQueryPhrase(fts, i, &hits, count_row);
		s->hits[i] = hits;
		s->phrases = i + 1;
	}
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_int(ctx, 1);
}

int store_search_register(sqlite3 *db)
{
	fts5_api *fts = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(st, 1, &fts, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	rc = sqlite3_finalize(st);
	if (rc == SQLITE_OK && !fts)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = fts->xCreateFunction(fts, "readout_rank", NULL, fts_rank, NULL);
	if (rc == SQLITE_OK)
		rc = fts->xCreateFunction(fts, "readout_rank_stats", NULL, fts_rank_stats, NULL);
	return rc;
}

enum store_status store_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                    struct store_rank_walk *w)
{
	static const char *const sql[] = {
	    [STORE_MEETINGS] = "SELECT readout_rank_stats(meetings_fts, ?2) FROM meetings_fts "
	                       "WHERE meetings_fts MATCH ?1 LIMIT 1",
	    [STORE_PARTICIPANTS] = "SELECT readout_rank_stats(participants_fts, ?2) FROM "
	                           "participants_fts WHERE participants_fts MATCH ?1 LIMIT 1",
	    [STORE_PRINCIPLES] = "SELECT readout_rank_stats(principles_fts, ?2) FROM "
	                         "principles_fts WHERE principles_fts MATCH ?1 LIMIT 1",
	};
	memset(w, 0, sizeof *w);
	for (int k = 0; k < STORE_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		sqlite3_stmt *st = store_stmt(c, sql[k]);
		if (!st)
			return STORE_ERROR;
		store_bind_text(st, 1, match);
		sqlite3_bind_pointer(st, 2, &w->stats[k], STORE_RANK_POINTER, NULL);
		int rc = sqlite3_step(st);
		store_stmt_done(c, st);
		if (rc == SQLITE_ROW)
			w->kinds |= 1u << k;
		else if (rc != SQLITE_DONE)
			return store_status_of(c, rc);
	}
	/* The key must fit in a cursor whatever the score; only counts far
	 * beyond any real collection could make it too long. */
	char *key = store_rank_key(w, STORE_KINDS - 1, -DBL_MAX);
	if (strlen(key) > CURSOR_KEY_MAX)
		for (int k = 0; k < STORE_KINDS; k++)
			w->stats[k].phrases = 0;
	free(key);
	return STORE_OK;
}

void store_rank_bind(sqlite3_stmt *st, int i, const struct store_rank_walk *w, enum store_kind kind)
{
	sqlite3_bind_pointer(st, i, (void *)&w->stats[kind], STORE_RANK_POINTER, NULL);
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
                               size_t *count, char **next_key, int64_t *total)
{
	static const char *const parts[] = {
	    [STORE_MEETINGS] = "SELECT 0 AS kind, rowid AS id, " MEETING_RANK(
	        6) " AS score FROM meetings_fts WHERE meetings_fts MATCH ?1",
	    [STORE_PARTICIPANTS] = "SELECT 1 AS kind, rowid AS id, " PARTICIPANT_RANK(
	        7) " AS score FROM participants_fts WHERE participants_fts MATCH ?1",
	    [STORE_PRINCIPLES] = "SELECT 2 AS kind, rowid AS id, " PRINCIPLE_RANK(
	        8) " AS score FROM principles_fts WHERE principles_fts MATCH ?1",
	};
	static const char *const counted[] = {
	    [STORE_MEETINGS] = "SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH ?1",
	    [STORE_PARTICIPANTS] =
	        "SELECT rowid FROM participants_fts WHERE participants_fts MATCH ?1",
	    [STORE_PRINCIPLES] = "SELECT rowid FROM principles_fts WHERE principles_fts MATCH ?1",
	};
	static const int stats_param[] = {6, 7, 8};
	struct store_rank_walk walk = {0};
	int after_kind = 0;
	double after_score = 0;
	if (after && store_rank_key_parse(after->key, &after_kind, &after_score, &walk))
		return STORE_INVALID_REF;
	*next_key = NULL;
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	struct search_hit *out = xcalloc((size_t)limit + 1, sizeof *out);
	size_t n = 0;
	/* The first page (or one after a key without statistics) freezes them. */
	if (!walk.kinds)
		r = store_rank_freeze(c, match, kinds, &walk);
	if (r != STORE_OK)
		goto done;
	char hits[768], sql[1024];
	size_t used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (kinds & walk.kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
			                         used ? " UNION ALL " : "", parts[k]);
	}
	sqlite3_stmt *st;
	int rc;
	if (used) { /* else nothing matched when the walk began */
		snprintf(sql, sizeof sql,
		         "SELECT kind, id, score FROM (%s)%s ORDER BY score, kind, id LIMIT ?5",
		         hits, after ? " WHERE (score, kind, id) > (?2, ?3, ?4)" : "");
		st = store_stmt(c, sql);
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
		for (int k = 0; k < STORE_KINDS; k++)
			if (kinds & walk.kinds & (1u << k))
				store_rank_bind(st, stats_param[k], &walk, k);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			out[n].kind = sqlite3_column_int(st, 0);
			out[n].id = sqlite3_column_int64(st, 1);
			out[n].score = sqlite3_column_double(st, 2);
			n++;
		}
		store_stmt_done(c, st);
		r = rc == SQLITE_DONE ? STORE_OK : store_status_of(c, rc);
	}
	bool more = n > (size_t)limit;
	if (more)
		n--;
	if (r == STORE_OK)
		r = describe(c, match, out, n);
	if (r == STORE_OK && total) {
		used = 0;
		for (int k = 0; k < STORE_KINDS; k++) {
			if (kinds & (1u << k))
				used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
				                         used ? " UNION ALL " : "", counted[k]);
		}
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
	if (r == STORE_OK && more)
		*next_key = store_rank_key(&walk, out[n - 1].kind, out[n - 1].score);
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
