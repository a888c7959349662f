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

/* What an import wrote: the id of each record of the document, and
 * whether it existed before (an update) or not (a create). */
struct import_written {
	size_t n[STORE_KINDS]; /* records of each kind in the document */
	int64_t *ids[STORE_KINDS];
	bool *existed[STORE_KINDS];
};

/* Matches the record of kind with slug and counts its write. */
static enum store_status import_match(struct store_conn *c, enum store_kind kind, const char *slug,
                                      struct import_written *w, size_t i,
                                      struct store_import_counts counts[STORE_KINDS])
{
	enum store_status r = slug_match(c, kind, slug, &w->ids[kind][i]);
	w->existed[kind][i] = w->ids[kind][i] != 0;
	count_write(counts, kind, w->existed[kind][i]);
	return r;
}

static enum store_status import_apply_all(struct store_conn *c, struct store_import *doc,
                                          struct model_problems *p,
                                          struct store_import_counts counts[STORE_KINDS],
                                          struct import_written *w)
{
	enum store_status r = STORE_OK;
	int64_t *ids = w->ids[STORE_PARTICIPANTS];
	for (size_t i = 0; i < doc->participant_count && r == STORE_OK; i++) {
		r = import_match(c, STORE_PARTICIPANTS, doc->participants[i].meta.slug, w, i,
		                 counts);
		if (r == STORE_OK)
			r = store_participant_write(c, &ids[i], 0, &doc->participants[i]);
	}
	ids = w->ids[STORE_PRINCIPLES];
	for (size_t i = 0; i < doc->principle_count && r == STORE_OK; i++) {
		r = import_match(c, STORE_PRINCIPLES, doc->principles[i].meta.slug, w, i, counts);
		if (r == STORE_OK)
			r = store_principle_write(c, &ids[i], 0, &doc->principles[i]);
	}
	ids = w->ids[STORE_MEETINGS];
	for (size_t i = 0; i < doc->meeting_count && r == STORE_OK; i++) {
		r = import_match(c, STORE_MEETINGS, doc->meetings[i].meta.slug, w, i, counts);
		if (r == STORE_OK && ids[i])
			r = store_meeting_clear_nested(c, ids[i]);
		if (r == STORE_OK)
			r = store_meeting_write(c, &ids[i], 0, &doc->meetings[i]);
	}
	for (size_t i = 0; i < doc->meeting_count && (r == STORE_OK || r == STORE_INVALID_REF);
	     i++) {
		char base[32];
		snprintf(base, sizeof base, "/meetings/%zu", i);
		enum store_status nested =
		    store_meeting_write_nested(c, ids[i], &doc->meetings[i], base, p);
		if (nested != STORE_OK)
			r = nested;
	}
	return r;
}

/* Records one change per record the import wrote, each as it reads after
 * the whole document (its counts and nested names final). */
static enum store_status import_record(struct store_conn *c, const struct import_written *w)
{
	static const enum store_kind order[] = {STORE_PARTICIPANTS, STORE_PRINCIPLES,
	                                        STORE_MEETINGS};
	enum store_status r = STORE_OK;
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < w->n[order[k]] && r == STORE_OK; i++)
			r = store_history_add_id(
			    c, order[k], w->existed[order[k]][i] ? CHANGE_UPDATE : CHANGE_CREATE,
			    w->ids[order[k]][i]);
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
	struct import_written w = {.n = {
	                               [STORE_PARTICIPANTS] = doc->participant_count,
	                               [STORE_PRINCIPLES] = doc->principle_count,
	                               [STORE_MEETINGS] = doc->meeting_count,
	                           }};
	for (int k = 0; k < STORE_KINDS; k++) {
		w.ids[k] = xcalloc(w.n[k] + 1, sizeof *w.ids[k]);
		w.existed[k] = xcalloc(w.n[k] + 1, sizeof *w.existed[k]);
	}
	r = import_apply_all(c, doc, p, counts, &w);
	if (r == STORE_OK)
		r = import_record(c, &w);
	for (int k = 0; k < STORE_KINDS; k++) {
		free(w.ids[k]);
		free(w.existed[k]);
	}
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}
