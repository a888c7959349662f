/*
 * Meetings with their attendances, invocations and links. A meeting and its
 * nested lists are written in one transaction; nested references are
 * resolved inside it, and every one that names nothing is reported with its
 * JSON pointer. Reads load the nested lists of a whole page of meetings in
 * one query each, never one query per row.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"
#include "store/internal.h"

#define SUMMARY_COLUMNS                                                                  \
	"m.id, m.slug, m.created_at, m.updated_at, m.version, m.title, m.date, m.kind, " \
	"m.location, m.city, m.country, m.summary"
#define FULL_COLUMNS SUMMARY_COLUMNS ", m.readout, m.sources, m.readouts"

static void meeting_summary_read(struct store_stmt *st, struct meeting *m)
{
	store_read_meta(st, 0, &m->meta);
	m->title = store_column_text(st, 5);
	store_column_copy(st, 6, m->date, sizeof m->date);
	m->kind = model_enum_parse(model_kind_names, store_col_text(st, 7));
	m->location = store_column_text(st, 8);
	m->city = store_column_text(st, 9);
	m->country = store_column_text(st, 10);
	m->summary = store_column_text(st, 11);
}

static void meeting_full_read(struct store_stmt *st, void *out)
{
	struct meeting *m = out;
	meeting_summary_read(st, m);
	m->readout = store_column_text(st, 12);
	m->sources_json = store_column_text(st, 13);
	m->readouts_json = store_column_text(st, 14);
}

/* Finds the meeting with id in items (the page is small: a linear scan). */
static struct meeting *meeting_find(struct meeting *items, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].meta.id == id)
			return &items[i];
	return NULL;
}

static void attendance_row_read(struct store_stmt *st, struct meeting *m)
{
	m->participants =
	    xrealloc(m->participants, (m->participant_count + 1) * sizeof *m->participants);
	struct attendance *a = &m->participants[m->participant_count++];
	memset(a, 0, sizeof *a);
	a->participant_id = store_col_int64(st, 1);
	a->slug = store_column_text(st, 2);
	a->name = store_column_text(st, 3);
	a->title = store_column_text(st, 4);
	a->country = store_column_text(st, 5);
	a->role = model_enum_parse(model_role_names, store_col_text(st, 6));
}

static void invocation_row_read(struct store_stmt *st, struct meeting *m)
{
	m->principles = xrealloc(m->principles, (m->principle_count + 1) * sizeof *m->principles);
	struct invocation *v = &m->principles[m->principle_count++];
	memset(v, 0, sizeof *v);
	v->principle_id = store_col_int64(st, 1);
	v->slug = store_column_text(st, 2);
	v->name = store_column_text(st, 3);
	v->framework = store_column_text(st, 4);
	v->stance = model_enum_parse(model_stance_names, store_col_text(st, 5));
	v->invoked_by = store_col_int64(st, 6);
	v->quote = store_column_text(st, 7);
	v->invoked_by_slug = store_column_text(st, 8);
}

static void link_row_read(struct store_stmt *st, struct meeting *m)
{
	m->related = xrealloc(m->related, (m->related_count + 1) * sizeof *m->related);
	struct link *l = &m->related[m->related_count++];
	memset(l, 0, sizeof *l);
	l->meeting_id = store_col_int64(st, 1);
	l->slug = store_column_text(st, 2);
	l->title = store_column_text(st, 3);
	store_column_copy(st, 4, l->date, sizeof l->date);
	l->relation = model_enum_parse(model_relation_names, store_col_text(st, 5));
}

/* What a page of meetings loads after its rows, one query each: the
 * summary columns (for rows read without them) and the nested lists. */
enum page_list { LIST_SUMMARY, LIST_ATTENDANCES, LIST_INVOCATIONS, LIST_LINKS, PAGE_LISTS };

/* One of them: its query (column 0 the meeting id, $1 the ids as a JSON
 * array) and how a row joins its meeting. */
struct page_list_query {
	const char *sql;
	void (*row_read)(struct store_stmt *st, struct meeting *m);
};

static const struct page_list_query page_lists[PAGE_LISTS] = {
    [LIST_SUMMARY] = {"SELECT " SUMMARY_COLUMNS " FROM meetings m WHERE m.id IN "
                      "(SELECT CAST(value AS BIGINT) FROM json_each($1))",
                      meeting_summary_read},
    [LIST_ATTENDANCES] = {"SELECT a.meeting_id, p.id, p.slug, p.name, p.title, p.country, a.role "
                          "FROM attendances a JOIN participants p ON p.id = a.participant_id "
                          "WHERE a.meeting_id IN (SELECT CAST(value AS BIGINT) FROM json_each($1)) "
                          "ORDER BY a.meeting_id, a.position",
                          attendance_row_read},
    [LIST_INVOCATIONS] = {"SELECT i.meeting_id, p.id, p.slug, p.name, p.framework, "
                          "i.stance, i.invoked_by, i.quote, q.slug "
                          "FROM invocations i JOIN principles p ON p.id = i.principle_id "
                          "LEFT JOIN participants q ON q.id = i.invoked_by "
                          "WHERE i.meeting_id IN (SELECT CAST(value AS BIGINT) FROM json_each($1)) "
                          "ORDER BY i.meeting_id, i.position",
                          invocation_row_read},
    [LIST_LINKS] = {"SELECT l.meeting_id, o.id, o.slug, o.title, o.date, l.relation "
                    "FROM meeting_links l JOIN meetings o ON o.id = l.related_id "
                    "WHERE l.meeting_id IN (SELECT CAST(value AS BIGINT) FROM json_each($1)) "
                    "ORDER BY l.meeting_id, l.position",
                    link_row_read},
};

/* Loads the lists first..last of the meetings in items that keep holds
 * (every one when keep is NULL), with one query per list. */
static enum store_status load_lists(struct store_conn *c, struct meeting *items, size_t n,
                                    enum page_list first, enum page_list last,
                                    bool (*keep)(const void *item, const void *ctx))
{
	if (n == 0)
		return STORE_OK;
	char *ids =
	    store_id_list(items, n, sizeof *items, offsetof(struct meeting, meta.id), keep, NULL);
	enum store_status r = STORE_OK;
	for (int k = first; k <= (int)last && r == STORE_OK; k++) {
		struct store_stmt *st;
		r = store_prepare(c, page_lists[k].sql, &st);
		if (r != STORE_OK)
			break;
		store_bind_text(st, 1, ids);
		bool row;
		while ((r = store_step(st, &row)) == STORE_OK && row) {
			struct meeting *m = meeting_find(items, n, store_col_int64(st, 0));
			if (m)
				page_lists[k].row_read(st, m);
		}
		store_done(st);
	}
	free(ids);
	return r;
}

enum store_status store_meeting_read(struct store_conn *c, int64_t id, struct meeting *out)
{
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c, "SELECT " FULL_COLUMNS " FROM meetings m WHERE m.id = $1", &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	r = store_read_one(st, meeting_full_read, out);
	if (r == STORE_OK)
		r = load_lists(c, out, 1, LIST_ATTENDANCES, LIST_LINKS, NULL);
	if (r != STORE_OK)
		meeting_clear(out);
	return r;
}

enum store_status store_meeting_get(struct store *s, const struct model_ref *ref,
                                    struct meeting *out)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	int64_t id;
	r = store_resolve(c, STORE_MEETINGS, ref->id, ref->slug, &id);
	if (r == STORE_OK)
		r = store_meeting_read(c, id, out);
	store_commit(c);
	return r;
}

/* Resolves ref of kind; a ref that names nothing adds a problem at
 * "<base>/<list>/<index>/<id or slug>". */
static enum store_status resolve_nested(struct store_conn *c, enum store_kind kind,
                                        const struct model_ref *ref, const char *base,
                                        const char *list, size_t index, int64_t *out,
                                        struct model_problems *p)
{
	if (ref->id == 0 && !ref->slug) { /* unreadable: the decoder reported it */
		*out = 0;
		return STORE_OK;
	}
	enum store_status r = store_resolve(c, kind, ref->id, ref->slug, out);
	if (r == STORE_NOT_FOUND) {
		char detail[96];
		snprintf(detail, sizeof detail, "names no %s", store_kinds[kind].singular);
		model_problems_add(p, detail, "%s/%s/%zu/%s", base, list, index,
		                   ref->id > 0 ? "id" : "slug");
		*out = 0;
		return STORE_OK;
	}
	return r;
}

/* Resolves every nested reference of m (for meeting id; 0 for a new one)
 * into its id, adding a problem for each that names nothing, repeats an
 * earlier item, points the meeting at itself, or names an invoked_by who is
 * not among the participants. Reads only. */
static enum store_status resolve_refs(struct store_conn *c, int64_t id, struct meeting *m,
                                      const char *base, struct model_problems *p)
{
	enum store_status r = STORE_OK;
	for (size_t i = 0; i < m->participant_count && r == STORE_OK; i++) {
		struct attendance *a = &m->participants[i];
		r = resolve_nested(c, STORE_PARTICIPANTS, &a->ref, base, "participants", i,
		                   &a->participant_id, p);
		for (size_t k = 0; k < i && r == STORE_OK && a->participant_id; k++)
			if (m->participants[k].participant_id == a->participant_id) {
				model_problems_add(p, "names a participant listed earlier",
				                   "%s/participants/%zu", base, i);
				a->participant_id = 0;
			}
	}
	for (size_t i = 0; i < m->principle_count && r == STORE_OK; i++) {
		struct invocation *v = &m->principles[i];
		r = resolve_nested(c, STORE_PRINCIPLES, &v->ref, base, "principles", i,
		                   &v->principle_id, p);
		for (size_t k = 0; k < i && r == STORE_OK && v->principle_id; k++)
			if (m->principles[k].principle_id == v->principle_id) {
				model_problems_add(p, "names a principle listed earlier",
				                   "%s/principles/%zu", base, i);
				v->principle_id = 0;
			}
		v->invoked_by = 0;
		if (r == STORE_OK && (v->invoked_ref.id || v->invoked_ref.slug)) {
			r = store_resolve(c, STORE_PARTICIPANTS, v->invoked_ref.id,
			                  v->invoked_ref.slug, &v->invoked_by);
			bool attended = false;
			for (size_t k = 0; r == STORE_OK && k < m->participant_count; k++)
				attended |= m->participants[k].participant_id == v->invoked_by;
			if (r == STORE_NOT_FOUND || (r == STORE_OK && !attended)) {
				model_problems_add(p, "must name a participant of this meeting",
				                   "%s/principles/%zu/invoked_by", base, i);
				r = STORE_OK;
			}
		}
	}
	for (size_t i = 0; i < m->related_count && r == STORE_OK; i++) {
		struct link *l = &m->related[i];
		r = resolve_nested(c, STORE_MEETINGS, &l->ref, base, "related", i, &l->meeting_id,
		                   p);
		if (r == STORE_OK && id && l->meeting_id == id) {
			model_problems_add(p, "a meeting cannot relate to itself", "%s/related/%zu",
			                   base, i);
			l->meeting_id = 0;
		}
		for (size_t k = 0; k < i && r == STORE_OK && l->meeting_id; k++)
			if (m->related[k].meeting_id == l->meeting_id) {
				model_problems_add(p, "names a meeting listed earlier",
				                   "%s/related/%zu", base, i);
				l->meeting_id = 0;
			}
	}
	return r;
}

/* Runs sql, an INSERT of (meeting, other, label, position). */
static enum store_status insert_pair(struct store_conn *c, const char *sql, int64_t meeting,
                                     int64_t other, const char *label, size_t position)
{
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, meeting);
	store_bind_int64(st, 2, other);
	store_bind_text(st, 3, label);
	store_bind_int64(st, 4, (int64_t)position);
	bool row;
	r = store_step(st, &row);
	store_done(st);
	return r;
}

/* Inserts the resolved nested lists of m for meeting id. */
static enum store_status insert_nested(struct store_conn *c, int64_t id, const struct meeting *m)
{
	enum store_status r = STORE_OK;
	for (size_t i = 0; i < m->participant_count && r == STORE_OK; i++)
		r = insert_pair(
		    c,
		    "INSERT INTO attendances (meeting_id, participant_id, role, position, date) "
		    "VALUES ($1, $2, $3, $4, (SELECT date FROM meetings WHERE id = $1))",
		    id, m->participants[i].participant_id,
		    model_role_names[m->participants[i].role], i);
	for (size_t i = 0; i < m->principle_count && r == STORE_OK; i++) {
		const struct invocation *v = &m->principles[i];
		struct store_stmt *st;
		r = store_prepare(c,
		                  "INSERT INTO invocations (meeting_id, principle_id, "
		                  "stance, invoked_by, quote, position) "
		                  "VALUES ($1, $2, $3, $4, $5, $6)",
		                  &st);
		if (r != STORE_OK)
			return r;
		store_bind_int64(st, 1, id);
		store_bind_int64(st, 2, v->principle_id);
		store_bind_text(st, 3, model_stance_names[v->stance]);
		if (v->invoked_by)
			store_bind_int64(st, 4, v->invoked_by);
		else
			store_bind_null(st, 4);
		store_bind_text(st, 5, v->quote);
		store_bind_int64(st, 6, (int64_t)i);
		bool row;
		r = store_step(st, &row);
		store_done(st);
	}
	for (size_t i = 0; i < m->related_count && r == STORE_OK; i++)
		r = insert_pair(
		    c,
		    "INSERT INTO meeting_links (meeting_id, related_id, relation, position) "
		    "VALUES ($1, $2, $3, $4)",
		    id, m->related[i].meeting_id, model_relation_names[m->related[i].relation], i);
	return r;
}

enum store_status store_meeting_write_nested(struct store_conn *c, int64_t id, struct meeting *m,
                                             const char *base, struct model_problems *p)
{
	size_t before = p->count;
	enum store_status r = resolve_refs(c, id, m, base, p);
	if (r == STORE_OK && p->count > before)
		return STORE_INVALID_REF;
	return r == STORE_OK ? insert_nested(c, id, m) : r;
}

enum store_status store_meeting_check_refs(struct store *s, int64_t id, struct meeting *m,
                                           struct model_problems *p)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	r = resolve_refs(c, id, m, "", p);
	store_commit(c);
	return r;
}

enum store_status store_meeting_write(struct store_conn *c, int64_t *id, int64_t expected_version,
                                      struct meeting *m)
{
	char *slug = NULL;
	enum store_status r =
	    store_slug_for(c, STORE_MEETINGS, m->meta.slug, m->title, m->date, *id, &slug);
	if (r != STORE_OK)
		return r;
	char now[MODEL_TIMESTAMP_LEN + 1];
	model_timestamp_now(now);
	struct store_stmt *st;
	r = *id == 0
	        ? store_prepare(c,
	                        "INSERT INTO meetings (slug, title, date, kind, location, city, "
	                        "country, summary, readout, sources, readouts, created_at, "
	                        "updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	                        "$10, $11, $12, $13, $14) RETURNING id",
	                        &st)
	        : store_prepare(
	              c,
	              "UPDATE meetings SET slug = $1, title = $2, date = $3, kind = $4, "
	              "location = $5, city = $6, country = $7, summary = $8, "
	              "readout = $9, sources = $10, readouts = $11, updated_at = $12, "
	              "version = version + 1 WHERE id = $13 AND ($14 = 0 OR version = $14)",
	              &st);
	if (r != STORE_OK) {
		free(slug);
		return r;
	}
	store_bind_text(st, 1, slug);
	store_bind_text(st, 2, m->title);
	store_bind_text(st, 3, m->date);
	store_bind_text(st, 4, model_kind_names[m->kind]);
	store_bind_text(st, 5, m->location);
	store_bind_text(st, 6, m->city);
	store_bind_text(st, 7, m->country);
	store_bind_text(st, 8, m->summary);
	store_bind_text(st, 9, m->readout);
	store_bind_text(st, 10, m->sources_json ? m->sources_json : "[]");
	store_bind_text(st, 11, m->readouts_json ? m->readouts_json : "[]");
	if (*id) {
		store_bind_text(st, 12, now);
		store_bind_int64(st, 13, *id);
		store_bind_int64(st, 14, expected_version);
	} else {
		store_bind_created(st, 12, 13, 14, &m->meta, now);
	}
	free(slug);
	return store_write_step(c, STORE_MEETINGS, st, id);
}

enum store_status store_meeting_clear_nested(struct store_conn *c, int64_t id)
{
	enum store_status r =
	    store_exec_ids(c, "DELETE FROM invocations WHERE meeting_id = $1", 1, id, 0, 0);
	if (r == STORE_OK)
		r = store_exec_ids(c, "DELETE FROM attendances WHERE meeting_id = $1", 1, id, 0, 0);
	if (r == STORE_OK)
		r = store_exec_ids(c, "DELETE FROM meeting_links WHERE meeting_id = $1", 1, id, 0,
		                   0);
	return r;
}

/* The meeting row with its nested lists, replacing the old ones. */
static enum store_status meeting_write_any(struct store_conn *c, int64_t *id,
                                           int64_t expected_version, void *e,
                                           struct model_problems *p)
{
	bool existing = *id != 0;
	enum store_status r = store_meeting_write(c, id, expected_version, e);
	if (r == STORE_OK && existing)
		r = store_meeting_clear_nested(c, *id);
	return r == STORE_OK ? store_meeting_write_nested(c, *id, e, "", p) : r;
}

static enum store_status meeting_read_any(struct store_conn *c, int64_t id, void *out)
{
	return store_meeting_read(c, id, out);
}

static void meeting_clear_any(void *e)
{
	meeting_clear(e);
}

const struct store_entity_ops store_meeting_ops = {
    STORE_MEETINGS, sizeof(struct meeting), meeting_write_any, meeting_read_any, meeting_clear_any};

enum store_status store_meeting_create(struct store *s, struct meeting *m, struct model_problems *p)
{
	return store_save(s, &store_meeting_ops, 0, 0, m, p);
}

enum store_status store_meeting_replace(struct store *s, int64_t id, int64_t expected_version,
                                        struct meeting *m, struct model_problems *p)
{
	return store_save(s, &store_meeting_ops, id, expected_version, m, p);
}

enum store_status store_meeting_delete(struct store *s, int64_t id, int64_t expected_version)
{
	/* Attendances, invocations and links go with it (ON DELETE CASCADE). */
	return store_delete(s, STORE_MEETINGS, id, expected_version, NULL);
}

/* Ends a subresource write: on STORE_OK reads the meeting into out and
 * commits; otherwise rolls back. */
static enum store_status nested_write_finish(struct store_conn *c, enum store_status r, int64_t id,
                                             struct meeting *out)
{
	struct meeting stored = {0};
	if (r == STORE_OK)
		r = store_meeting_read(c, id, &stored);
	if (r == STORE_OK)
		r = store_history_add(c, STORE_MEETINGS, CHANGE_UPDATE, &stored);
	if (r == STORE_OK)
		r = store_commit(c);
	else
		store_rollback(c);
	if (r == STORE_OK) {
		meeting_clear(out);
		*out = stored;
	} else {
		meeting_clear(&stored); /* read, then the commit failed */
	}
	return r;
}

/* Marks meeting id changed (version + 1, updated_at now), checking
 * expected_version (0: any). */
static enum store_status meeting_touch(struct store_conn *c, int64_t id, int64_t expected_version)
{
	char now[MODEL_TIMESTAMP_LEN + 1];
	model_timestamp_now(now);
	struct store_stmt *st;
	enum store_status r = store_prepare(c,
	                                    "UPDATE meetings SET version = version + 1, "
	                                    "updated_at = $1 WHERE id = $2 AND "
	                                    "($3 = 0 OR version = $3)",
	                                    &st);
	if (r != STORE_OK)
		return r;
	store_bind_text(st, 1, now);
	store_bind_int64(st, 2, id);
	store_bind_int64(st, 3, expected_version);
	bool row;
	r = store_step(st, &row);
	store_done(st);
	if (r == STORE_OK && store_changes(c) == 0)
		r = store_version_miss(c, STORE_MEETINGS, id);
	return r;
}

/* Opens the write of one nested row of meeting id: a write transaction, the
 * meeting marked changed (checking expected_version), and ref resolved as
 * a kind into *other. *c is NULL when no transaction started (the status
 * says why); otherwise the caller ends the transaction. */
static enum store_status begin_nested(struct store *s, int64_t id, int64_t expected_version,
                                      enum store_kind kind, const struct model_ref *ref,
                                      struct store_conn **c, int64_t *other)
{
	*c = store_conn(s);
	if (!*c)
		return store_conn_failure(s);
	enum store_status r = store_begin_write(*c);
	if (r != STORE_OK) {
		*c = NULL;
		return r;
	}
	r = meeting_touch(*c, id, expected_version);
	return r == STORE_OK ? store_resolve(*c, kind, ref->id, ref->slug, other) : r;
}

enum store_status store_meeting_put_attendance(struct store *s, int64_t id,
                                               int64_t expected_version, const struct attendance *a,
                                               struct meeting *out)
{
	struct store_conn *c;
	int64_t pid = 0;
	enum store_status r =
	    begin_nested(s, id, expected_version, STORE_PARTICIPANTS, &a->ref, &c, &pid);
	if (!c)
		return r;
	struct store_stmt *st;
	if (r == STORE_OK)
		r = store_prepare(
		    c,
		    "INSERT INTO attendances (meeting_id, participant_id, role, position, date) "
		    "VALUES ($1, $2, $3, (SELECT coalesce(max(position), -1) + 1 FROM attendances "
		    "WHERE meeting_id = $1), (SELECT date FROM meetings WHERE id = $1)) "
		    "ON CONFLICT (meeting_id, participant_id) "
		    "DO UPDATE SET role = excluded.role",
		    &st);
	if (r == STORE_OK) {
		store_bind_int64(st, 1, id);
		store_bind_int64(st, 2, pid);
		store_bind_text(st, 3, model_role_names[a->role]);
		bool row;
		r = store_step(st, &row);
		store_done(st);
	}
	return nested_write_finish(c, r, id, out);
}

/* The id of the participant ref names among those who attended meeting id
 * (*by 0 when none did). */
static enum store_status attendee(struct store_conn *c, int64_t id, const struct model_ref *ref,
                                  int64_t *by)
{
	struct store_stmt *st;
	enum store_status r = store_prepare(c,
	                                    "SELECT p.id FROM participants p JOIN attendances a "
	                                    "ON a.participant_id = p.id AND a.meeting_id = $1 "
	                                    "WHERE ($2 > 0 AND p.id = $2) OR p.slug = $3",
	                                    &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	store_bind_int64(st, 2, ref->id);
	store_bind_text(st, 3, ref->slug);
	bool row;
	r = store_step(st, &row);
	*by = r == STORE_OK && row ? store_col_int64(st, 0) : 0;
	store_done(st);
	return r;
}

enum store_status store_meeting_put_invocation(struct store *s, int64_t id,
                                               int64_t expected_version, const struct invocation *i,
                                               struct meeting *out, struct model_problems *p)
{
	struct store_conn *c;
	int64_t pid = 0, by = 0;
	enum store_status r =
	    begin_nested(s, id, expected_version, STORE_PRINCIPLES, &i->ref, &c, &pid);
	if (!c)
		return r;
	if (r == STORE_OK && (i->invoked_ref.id || i->invoked_ref.slug)) {
		/* invoked_by must have attended this meeting. */
		r = attendee(c, id, &i->invoked_ref, &by);
		if (r == STORE_OK && !by) {
			model_problems_add(p, "must name a participant of this meeting",
			                   "/invoked_by");
			r = STORE_INVALID_REF;
		}
	}
	struct store_stmt *st;
	if (r == STORE_OK)
		r = store_prepare(
		    c,
		    "INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, "
		    "position) VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(position), -1) + 1 "
		    "FROM invocations WHERE meeting_id = $1)) ON CONFLICT (meeting_id, "
		    "principle_id) "
		    "DO UPDATE SET stance = excluded.stance, invoked_by = excluded.invoked_by, "
		    "quote = excluded.quote",
		    &st);
	if (r == STORE_OK) {
		store_bind_int64(st, 1, id);
		store_bind_int64(st, 2, pid);
		store_bind_text(st, 3, model_stance_names[i->stance]);
		if (by)
			store_bind_int64(st, 4, by);
		else
			store_bind_null(st, 4);
		store_bind_text(st, 5, i->quote);
		bool row;
		r = store_step(st, &row);
		store_done(st);
	}
	return nested_write_finish(c, r, id, out);
}

/* Deletes one nested row of meeting id whose other key is ref of kind. */
static enum store_status remove_nested(struct store *s, int64_t id, int64_t expected_version,
                                       enum store_kind kind, const struct model_ref *ref,
                                       const char *sql)
{
	struct store_conn *c;
	int64_t other = 0;
	enum store_status r = begin_nested(s, id, expected_version, kind, ref, &c, &other);
	if (!c)
		return r;
	if (r == STORE_OK)
		r = store_exec_ids(c, sql, 2, id, other, 0);
	if (r == STORE_OK && store_changes(c) == 0)
		r = STORE_NOT_FOUND;
	if (r == STORE_OK)
		r = store_history_add_id(c, STORE_MEETINGS, CHANGE_UPDATE, id);
	if (r == STORE_OK)
		return store_commit(c);
	store_rollback(c);
	return r;
}

enum store_status store_meeting_remove_attendance(struct store *s, int64_t id,
                                                  int64_t expected_version,
                                                  const struct model_ref *participant)
{
	return remove_nested(
	    s, id, expected_version, STORE_PARTICIPANTS, participant,
	    "DELETE FROM attendances WHERE meeting_id = $1 AND participant_id = $2");
}

enum store_status store_meeting_remove_invocation(struct store *s, int64_t id,
                                                  int64_t expected_version,
                                                  const struct model_ref *principle)
{
	return remove_nested(s, id, expected_version, STORE_PRINCIPLES, principle,
	                     "DELETE FROM invocations WHERE meeting_id = $1 AND principle_id = $2");
}

/* Resolves the participant and principle filters to ids; a filter that
 * names nothing is STORE_UNKNOWN_FILTER. */
static enum store_status resolve_filters(struct store_conn *c, const struct meeting_filter *f,
                                         int64_t *participants, int64_t *principle)
{
	enum store_status r = STORE_OK;
	for (size_t i = 0; i < f->participant_count && r == STORE_OK; i++)
		r = store_resolve(c, STORE_PARTICIPANTS, f->participants[i].id,
		                  f->participants[i].slug, &participants[i]);
	*principle = 0;
	if (r == STORE_OK && (f->principle.id || f->principle.slug))
		r = store_resolve(c, STORE_PRINCIPLES, f->principle.id, f->principle.slug,
		                  principle);
	return r == STORE_NOT_FOUND ? STORE_UNKNOWN_FILTER : r;
}

/* A meeting list: the filters, their resolved ids and the cursor. */
struct meeting_list_ctx {
	const struct meeting_filter *f;
	int64_t participants[MEETING_FILTER_PARTICIPANTS_MAX];
	int64_t principle;
	const struct cursor_pos *after;
	bool ranked;
	const char *match;           /* f->match, in the driver's form */
	struct xbuf *text;           /* f->summaries, in a list by date: its items' text */
	size_t text_start;           /* text's length when the list began */
	char *own_match;             /* that form, when the driver made one */
	double after_score;          /* ranked: the cursor's score */
	struct store_rank_walk walk; /* ranked: the statistics of the walk */
};

/* What a meeting list reads from. A list filtered by participant reads the
 * first one's attendances a, whose copy of the meeting's date orders
 * attendances_participant_date as a list does, so that a page reads only
 * its own rows; it joins meetings m only for what attendances lack (a CROSS
 * JOIN, which keeps SQLite's planner from starting from meetings). */
enum list_from {
	FROM_MEETINGS,             /* meetings m */
	FROM_LIST,                 /* meeting_list l: stored summaries in list order */
	FROM_RANKED,               /* the dialect's meeting_rank_from */
	FROM_ATTENDANCES,          /* attendances a */
	FROM_ATTENDANCES_MEETINGS, /* attendances a CROSS JOIN meetings m */
};

static const char *const list_from_sql[] = {
    [FROM_MEETINGS] = "meetings m",
    [FROM_LIST] = "meeting_list l",
    [FROM_ATTENDANCES] = "attendances a",
    [FROM_ATTENDANCES_MEETINGS] = "attendances a CROSS JOIN meetings m",
};

/* What a list that is not ranked reads of each meeting. */
enum list_reads {
	READS_COUNT,     /* nothing: it counts them */
	READS_COLUMNS,   /* the meetings' columns */
	READS_SUMMARIES, /* their stored summaries */
};

/* Where a list of l that is not ranked reads from. Stored summaries of a
 * list filtered by no more than dates are read alone, in meeting_list's
 * order. */
static enum list_from list_from(const struct meeting_list_ctx *l, enum list_reads reads)
{
	const struct meeting_filter *f = l->f;
	if (!f->participant_count)
		return reads == READS_SUMMARIES && f->kind < 0 && !f->country && !f->match &&
		               !l->principle
		           ? FROM_LIST
		           : FROM_MEETINGS;
	return reads == READS_COLUMNS || f->kind >= 0 || f->country || f->match
	           ? FROM_ATTENDANCES_MEETINGS
	           : FROM_ATTENDANCES;
}

/* The columns of a list's keyset, id and date, where it reads from from
 * (not meeting_list: its key is both); true when attendances drive it. */
static bool list_keyset(enum list_from from, const char **id, const char **date)
{
	bool driven = from == FROM_ATTENDANCES || from == FROM_ATTENDANCES_MEETINGS;
	*id = driven ? "a.meeting_id" : "m.id";
	*date = driven ? "a.date" : "m.date";
	return driven;
}

/* Appends the WHERE conditions of l, which reads from from, to sql
 * (parameters $1 to $5, $10 up for participants (at most
 * MEETING_FILTER_PARTICIPANTS_MAX, so up to $25) and $30 for the search
 * match, bound by meeting_list_bind). */
static void filter_sql(FILE *sql, const struct store_dialect *d, const struct meeting_list_ctx *l,
                       enum list_from from)
{
	const struct meeting_filter *f = l->f;
	if (from == FROM_LIST) {
		/* Dates bound the key: a day's keys lie between its date's and
		 * the next number's. */
		fputs(" WHERE TRUE", sql);
		if (f->from)
			fputs(" AND l.key >= " STORE_LIST_KEY("$1", "0"), sql);
		if (f->to)
			fputs(" AND l.key < " STORE_LIST_KEY("$2", "4294967296"), sql);
		return;
	}
	const char *id, *date;
	bool driven = list_keyset(from, &id, &date);
	if (from == FROM_ATTENDANCES_MEETINGS)
		fputs(" WHERE m.id = a.meeting_id AND a.participant_id = $10", sql);
	else if (from == FROM_ATTENDANCES)
		fputs(" WHERE a.participant_id = $10", sql);
	else
		fputs(" WHERE TRUE", sql);
	if (f->match)
		fprintf(sql, " AND %s",
		        from == FROM_RANKED ? d->meeting_rank_match : d->meeting_match);
	if (f->from)
		fprintf(sql, " AND %s >= $1", date);
	if (f->to)
		fprintf(sql, " AND %s <= $2", date);
	if (f->kind >= 0)
		fputs(" AND m.kind = $3", sql);
	if (f->country)
		fputs(" AND m.country = $4", sql);
	/* As IN lists rather than EXISTS, so SQLite starts from the person's or
	 * principle's own meetings (an index range) instead of walking every
	 * meeting by date: at 1,000,000 meetings, 0.3 ms against 1.3 s. */
	if (l->principle)
		fprintf(sql,
		        " AND %s IN (SELECT meeting_id FROM invocations WHERE principle_id = $5)",
		        id);
	for (size_t i = driven ? 1 : 0; i < f->participant_count; i++)
		fprintf(
		    sql,
		    " AND %s IN (SELECT meeting_id FROM attendances WHERE participant_id = $%zu)",
		    id, 10 + i);
}

static void meeting_list_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct meeting_list_ctx *l = ctx;
	const struct meeting_filter *f = l->f;
	if (f->from)
		store_bind_text(st, 1, f->from);
	if (f->to)
		store_bind_text(st, 2, f->to);
	if (f->kind >= 0)
		store_bind_text(st, 3, model_kind_names[f->kind]);
	if (f->country)
		store_bind_text(st, 4, f->country);
	if (l->principle)
		store_bind_int64(st, 5, l->principle);
	if (f->match)
		store_bind_text(st, 30, l->match);
	for (size_t i = 0; i < f->participant_count; i++)
		store_bind_int64(st, (int)(10 + i), l->participants[i]);
	if (page && l->ranked)
		store_rank_bind(st, 9, &l->walk, STORE_MEETINGS);
	if (page && l->after && l->ranked)
		store_bind_double(st, 6, l->after_score);
	else if (page && l->after)
		store_bind_text(st, 6, l->after->key);
	if (page && l->after)
		store_bind_int64(st, 7, l->after->id);
}

static void meeting_summary_row_read(struct store_stmt *st, void *out)
{
	meeting_summary_read(st, out);
}

/* A row of a list of stored summaries: id and date (the keyset); the
 * stored summary, column 2, store_page appends to the list's text. */
static void meeting_stored_row_read(struct store_stmt *st, void *out)
{
	struct meeting *m = out;
	m->meta.id = store_col_int64(st, 0);
	store_column_copy(st, 1, m->date, sizeof m->date);
}

static bool lacks_body(const void *item, const void *ctx)
{
	(void)ctx;
	return !((const struct meeting *)item)->meta.body_len;
}

/* True when every one of the n items came with its stored summary. */
static bool all_stored(const void *items, size_t n, const void *ctx)
{
	const struct meeting *m = items;
	for (size_t i = 0; i < n; i++)
		if (lacks_body(&m[i], ctx))
			return false;
	return true;
}

static void meeting_ranked_row_read(struct store_stmt *st, void *out)
{
	struct meeting *m = out;
	meeting_summary_read(st, m);
	m->rank = store_col_double(st, 12);
}

static char *meeting_list_key(const void *item, const void *ctx)
{
	const struct meeting_list_ctx *l = ctx;
	const struct meeting *m = item;
	return l->ranked ? store_rank_key(&l->walk, STORE_MEETINGS, m->rank) : xstrdup(m->date);
}

/* Leaves in the list's text (l->text), past where the list began
 * it, the JSON of the n items joined by commas: the summaries page_read
 * appended, in place when each came with one (the row after the page cut
 * off), else through a copy, with those of the items that came without
 * one rendered from their columns and lists. */
static void summaries_join(struct store_conn *c, const struct meeting_list_ctx *l,
                           const struct meeting *m, size_t n)
{
	struct xbuf *text = l->text;
	size_t end = l->text_start;
	bool in_place = true;
	for (size_t i = 0; i < n && in_place; i++) {
		in_place = m[i].meta.body_len && m[i].meta.body_at == end + (i > 0);
		end = m[i].meta.body_at + m[i].meta.body_len;
	}
	if (in_place) {
		text->len = end;
		return;
	}
	store_render render = store_renderer(c->store);
	struct xbuf joined = {0};
	xbuf_add(&joined, text->buf, l->text_start);
	for (size_t i = 0; i < n; i++) {
		if (i)
			xbuf_add(&joined, ",", 1);
		if (m[i].meta.body_len) {
			xbuf_add(&joined, text->buf + m[i].meta.body_at, m[i].meta.body_len);
		} else {
			size_t len;
			char *own = render(STORE_MEETINGS, &m[i], true, &len);
			xbuf_add(&joined, own, len);
			free(own);
		}
	}
	free(text->buf);
	*text = joined;
}

static enum store_status meeting_list_finish(struct store_conn *c, void *items, size_t n,
                                             const void *ctx)
{
	(void)ctx;
	return load_lists(c, items, n, LIST_ATTENDANCES, LIST_INVOCATIONS, NULL);
}

/* The summaries and nested lists of the items that came without a stored
 * summary (a write made it stale moments ago), then the list's text. */
static enum store_status meeting_stored_list_finish(struct store_conn *c, void *items, size_t n,
                                                    const void *ctx)
{
	enum store_status r = all_stored(items, n, ctx) ? STORE_OK
	                                                : load_lists(c, items, n, LIST_SUMMARY,
	                                                             LIST_INVOCATIONS, lacks_body);
	if (r == STORE_OK)
		summaries_join(c, ctx, items, n);
	return r;
}

enum store_status store_meeting_list_on(struct store_conn *c, const struct meeting_filter *f,
                                        const struct cursor_pos *after, int limit,
                                        struct meeting **items, size_t *count, char **next_key,
                                        int64_t *total)
{
	*next_key = NULL;
	const struct store_dialect *d = c->drv->sql;
	struct meeting_list_ctx *l = xcalloc(1, sizeof *l);
	l->f = f;
	l->after = after;
	l->ranked = f->sort == MEETING_SORT_RANK && f->match;
	l->text = l->ranked ? NULL : f->summaries;
	l->text_start = l->text ? l->text->len : 0;
	l->own_match = f->match && c->drv->match ? c->drv->match(f->match) : NULL;
	l->match = l->own_match ? l->own_match : f->match;
	enum store_status r = resolve_filters(c, f, l->participants, &l->principle);
	if (r == STORE_OK && l->ranked) {
		int kind;
		if (after && store_rank_key_parse(after->key, &kind, &l->after_score, &l->walk))
			r = STORE_BAD_CURSOR;
		/* The first page (or one after a key without statistics) freezes
		 * them; the index's whole statistics, as bm25's, whatever the
		 * filters. */
		else if (!(l->walk.kinds & (1u << STORE_MEETINGS)))
			r = store_rank_freeze(c, l->match, 1u << STORE_MEETINGS, &l->walk);
	}
	if (r != STORE_OK) {
		free(l->own_match);
		free(l);
		return r;
	}
	bool desc = f->sort == MEETING_SORT_DATE_DESC;
	char *sql = NULL, *count_sql = NULL;
	size_t sql_len = 0, count_len = 0;
	FILE *q = open_memstream(&sql, &sql_len);
	if (l->ranked) {
		/* Best match first; the score (column 12) is the keyset. */
		fprintf(q, "SELECT * FROM (SELECT " SUMMARY_COLUMNS ", %s AS score FROM %s",
		        d->meeting_rank_score, d->meeting_rank_from);
		filter_sql(q, d, l, FROM_RANKED);
		fprintf(q, ") AS ranked%s ORDER BY score, id LIMIT $8",
		        after ? " WHERE (score, id) > ($6, $7)" : "");
	} else {
		/* Stored summaries need no more than the index's columns (a's
		 * when the list reads attendances: the same as m's). */
		enum list_from from = list_from(l, l->text ? READS_SUMMARIES : READS_COLUMNS);
		const char *id, *date;
		list_keyset(from, &id, &date);
		if (from == FROM_LIST)
			fprintf(q, "SELECT l.meeting_id, l.date, l.summary FROM %s",
			        list_from_sql[from]);
		else if (l->text)
			fprintf(q,
			        "SELECT %s, %s, j.summary FROM %s "
			        "LEFT JOIN meeting_list j ON j.key = " STORE_LIST_KEY("%s", "%s"),
			        id, date, list_from_sql[from], date, id);
		else
			fprintf(q, "SELECT " SUMMARY_COLUMNS " FROM %s", list_from_sql[from]);
		filter_sql(q, d, l, from);
		if (from == FROM_LIST) {
			if (after)
				fprintf(q, " AND l.key %s " STORE_LIST_KEY("$6", "$7"),
				        desc ? "<" : ">");
			fprintf(q, " ORDER BY l.key %s LIMIT $8", desc ? "DESC" : "");
		} else {
			if (after)
				/* The plain date bound lets the planner seek the
				 * index to the cursor; the row value alone makes
				 * SQLite scan from the end. */
				fprintf(q, " AND %s %s $6 AND (%s, %s) %s ($6, $7)", date,
				        desc ? "<=" : ">=", date, id, desc ? "<" : ">");
			fprintf(q, " ORDER BY %s %s, %s %s LIMIT $8", date, desc ? "DESC" : "", id,
			        desc ? "DESC" : "");
		}
	}
	fclose(q);
	q = open_memstream(&count_sql, &count_len);
	enum list_from count_from = list_from(l, READS_COUNT);
	fprintf(q, "SELECT count(*) FROM %s", list_from_sql[count_from]);
	filter_sql(q, d, l, count_from);
	fclose(q);
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 8,
	    .bind = meeting_list_bind,
	    .ctx = l,
	    .item_size = sizeof(struct meeting),
	    .row_read = l->ranked ? meeting_ranked_row_read
	                : l->text ? meeting_stored_row_read
	                          : meeting_summary_row_read,
	    .text = l->text,
	    .text_col = 2,
	    .item_clear = meeting_clear_any,
	    .finish = l->text ? meeting_stored_list_finish : meeting_list_finish,
	    .complete = l->text ? all_stored : NULL,
	    .key_of = meeting_list_key,
	};
	void *out = NULL;
	r = store_page(c, &query, limit, &out, count, next_key, total);
	free(sql);
	free(count_sql);
	if (r == STORE_OK)
		*items = out;
	free(l->own_match);
	free(l);
	return r;
}

enum store_status store_meeting_list(struct store *s, const struct meeting_filter *f,
                                     const struct cursor_pos *after, int limit,
                                     struct meeting **items, size_t *count, char **next_key,
                                     int64_t *total)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	return store_meeting_list_on(c, f, after, limit, items, count, next_key, total);
}

enum store_status store_meeting_mention_candidates(struct store *s, int64_t id,
                                                   struct mention_candidate **items, size_t *count)
{
	*items = NULL;
	*count = 0;
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	struct store_stmt *st;
	enum store_status r = store_prepare(
	    c,
	    "SELECT 1 AS kind, p.id, p.slug, p.name, p.aliases, a.position AS ord "
	    "FROM attendances a JOIN participants p ON p.id = a.participant_id "
	    "WHERE a.meeting_id = $1 "
	    "UNION ALL SELECT 2, id, slug, name, aliases, id FROM principles ORDER BY 1, 6",
	    &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	struct mention_candidate *out = NULL;
	size_t n = 0, cap = 0;
	bool row;
	while ((r = store_step(st, &row)) == STORE_OK && row) {
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			out = xrealloc(out, cap * sizeof *out);
		}
		struct mention_candidate *m = &out[n++];
		m->kind = (int)store_col_int64(st, 0);
		m->id = store_col_int64(st, 1);
		m->slug = store_column_text(st, 2);
		m->name = store_column_text(st, 3);
		m->aliases_json = store_column_text(st, 4);
	}
	store_done(st);
	if (r != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			mention_candidate_clear(&out[i]);
		free(out);
		return r;
	}
	*items = out;
	*count = n;
	return STORE_OK;
}
