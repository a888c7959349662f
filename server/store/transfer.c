/*
 * Import and export of the whole store. The export reads one snapshot on a
 * private connection, one entity at a time; the import writes a whole
 * document in one transaction or nothing of it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model/xalloc.h"
#include "store/internal.h"

struct store_export {
	struct store_conn *c;
	int64_t last[STORE_KINDS];
};

enum store_status store_export_open(struct store *s, struct store_export **out)
{
	struct store_conn *c = store_conn_private(s);
	if (!c)
		return STORE_BUSY;
	c->drv->tune_for_scan(c->db);
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK) {
		store_conn_free(c);
		return r;
	}
	c->snapshot = true;
	struct store_export *x = xcalloc(1, sizeof *x);
	x->c = c;
	*out = x;
	return STORE_OK;
}

void store_export_close(struct store_export *x)
{
	if (!x)
		return;
	x->c->snapshot = false;
	store_commit(x->c);
	store_conn_free(x->c);
	free(x);
}

/* Moves to the next id of kind; STORE_NOT_FOUND after the last. */
static enum store_status next_id(struct store_export *x, enum store_kind kind)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id > $1 ORDER BY id LIMIT 1",
	         store_kinds[kind].table);
	struct store_stmt *st;
	enum store_status r = store_prepare(x->c, sql, &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, x->last[kind]);
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && row)
		x->last[kind] = store_col_int64(st, 0);
	else if (r == STORE_OK)
		r = STORE_NOT_FOUND;
	store_done(st);
	return r;
}

enum store_status store_export_next_participant(struct store_export *x, struct participant *out)
{
	enum store_status r = next_id(x, STORE_PARTICIPANTS);
	return r == STORE_OK ? store_participant_read(x->c, x->last[STORE_PARTICIPANTS], out) : r;
}

enum store_status store_export_next_principle(struct store_export *x, struct principle *out)
{
	enum store_status r = next_id(x, STORE_PRINCIPLES);
	return r == STORE_OK ? store_principle_read(x->c, x->last[STORE_PRINCIPLES], out) : r;
}

enum store_status store_export_next_meeting(struct store_export *x, struct meeting *out)
{
	enum store_status r = next_id(x, STORE_MEETINGS);
	return r == STORE_OK ? store_meeting_read(x->c, x->last[STORE_MEETINGS], out) : r;
}

enum store_status store_export_participants(struct store_export *x,
                                            const struct participant_filter *f,
                                            const struct cursor_pos *after, int limit,
                                            struct participant **items, size_t *count,
                                            char **next_key)
{
	return store_participant_list_on(x->c, f, after, limit, items, count, next_key, NULL);
}

enum store_status store_export_principles(struct store_export *x, const struct principle_filter *f,
                                          const struct cursor_pos *after, int limit,
                                          struct principle **items, size_t *count, char **next_key)
{
	return store_principle_list_on(x->c, f, after, limit, items, count, next_key, NULL);
}

enum store_status store_export_meetings(struct store_export *x, const struct meeting_filter *f,
                                        const struct cursor_pos *after, int limit,
                                        struct meeting **items, size_t *count, char **next_key)
{
	return store_meeting_list_on(x->c, f, after, limit, items, count, next_key, NULL);
}

/* The id of the row of kind with slug (0 when none). */
static enum store_status slug_match(struct store_conn *c, enum store_kind kind, const char *slug,
                                    int64_t *id)
{
	enum store_status r = store_resolve(c, kind, 0, slug, id);
	if (r == STORE_NOT_FOUND) {
		*id = 0;
		return STORE_OK;
	}
	return r;
}

/* Counts a write of kind: created when there was no row before. */
static void count_write(struct store_import_counts counts[STORE_KINDS], enum store_kind kind,
                        bool existed)
{
	if (existed)
		counts[kind].updated++;
	else
		counts[kind].created++;
}

static enum store_status import_apply_all(struct store_conn *c, struct store_import *doc,
                                          struct model_problems *p,
                                          struct store_import_counts counts[STORE_KINDS])
{
	enum store_status r = STORE_OK;
	int64_t id;
	for (size_t i = 0; i < doc->participant_count && r == STORE_OK; i++) {
		r = slug_match(c, STORE_PARTICIPANTS, doc->participants[i].meta.slug, &id);
		count_write(counts, STORE_PARTICIPANTS, id != 0);
		if (r == STORE_OK)
			r = store_participant_write(c, &id, 0, &doc->participants[i]);
	}
	for (size_t i = 0; i < doc->principle_count && r == STORE_OK; i++) {
		r = slug_match(c, STORE_PRINCIPLES, doc->principles[i].meta.slug, &id);
		count_write(counts, STORE_PRINCIPLES, id != 0);
		if (r == STORE_OK)
			r = store_principle_write(c, &id, 0, &doc->principles[i]);
	}
	int64_t *ids = xcalloc(doc->meeting_count + 1, sizeof *ids);
	for (size_t i = 0; i < doc->meeting_count && r == STORE_OK; i++) {
		r = slug_match(c, STORE_MEETINGS, doc->meetings[i].meta.slug, &ids[i]);
		count_write(counts, STORE_MEETINGS, ids[i] != 0);
		if (r == STORE_OK && ids[i])
			r = store_meeting_clear_nested(c, ids[i]);
		if (r == STORE_OK)
			r = store_meeting_write(c, &ids[i], 0, &doc->meetings[i]);
	}
	for (size_t i = 0; i < doc->meeting_count && (r == STORE_OK || r == STORE_INVALID_REF);
	     i++) {
		char base[32];
		snprintf(base, sizeof base, "/meetings/%zu", i);
		enum store_status w =
		    store_meeting_write_nested(c, ids[i], &doc->meetings[i], base, p);
		if (w != STORE_OK)
			r = w;
	}
	free(ids);
	return r;
}

enum store_status store_import_apply(struct store *s, struct store_import *doc,
                                     struct model_problems *p,
                                     struct store_import_counts counts[STORE_KINDS])
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	store_conn_unbounded(c); /* a large document takes its time */
	enum store_status r = store_begin_write(c);
	if (r != STORE_OK)
		return r;
	for (int k = 0; k < STORE_KINDS; k++)
		counts[k].created = counts[k].updated = 0;
	r = import_apply_all(c, doc, p, counts);
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}
