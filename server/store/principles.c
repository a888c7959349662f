/*
 * Principles: the named ideas meetings invoke. Derived fields
 * (invocation_count, first_invoked_date) are kept by triggers on
 * invocations; this file reads them and never writes them. The timeline of
 * a principle is its invocations joined to their meetings, oldest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"
#include "store/internal.h"

#define COLUMNS                                                                     \
	"id, slug, created_at, updated_at, version, name, framework, description, " \
	"invocation_count, first_invoked_date"

static void read_principle(sqlite3_stmt *st, void *out)
{
	struct principle *p = out;
	store_read_meta(st, 0, &p->meta);
	p->name = store_column_text(st, 5);
	p->framework = store_column_text(st, 6);
	p->description = store_column_text(st, 7);
	p->invocation_count = sqlite3_column_int64(st, 8);
	p->first_invoked_date = store_column_text(st, 9);
}

enum store_status store_principle_read(struct store_conn *c, int64_t id, struct principle *out)
{
	sqlite3_stmt *st = store_stmt(c, "SELECT " COLUMNS " FROM principles WHERE id = ?");
	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return store_read_one(c, st, read_principle, out);
}

enum store_status store_principle_get(struct store *s, const struct model_ref *ref,
                                      struct principle *out)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	int64_t id;
	enum store_status r = store_resolve(c, "principles", ref->id, ref->slug, &id);
	return r == STORE_OK ? store_principle_read(c, id, out) : r;
}

enum store_status store_principle_write(struct store_conn *c, int64_t *id, int64_t expected_version,
                                        struct principle *p)
{
	char *slug = NULL;
	enum store_status r =
	    store_slug_for(c, STORE_PRINCIPLES, p->meta.slug, p->name, NULL, *id, &slug);
	if (r != STORE_OK)
		return r;
	char now[MODEL_TIMESTAMP_LEN + 1];
	model_timestamp_now(now);
	sqlite3_stmt *st =
	    *id == 0 ? store_stmt(c, "INSERT INTO principles (slug, name, framework, description, "
	                             "created_at, updated_at, version) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
	             : store_stmt(c, "UPDATE principles SET slug = ?1, name = ?2, framework = ?3, "
	                             "description = ?4, updated_at = ?5, version = version + 1 "
	                             "WHERE id = ?6 AND (?7 = 0 OR version = ?7)");
	if (!st) {
		free(slug);
		return STORE_ERROR;
	}
	store_bind_text(st, 1, slug);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->framework);
	store_bind_text(st, 4, p->description);
	if (*id) {
		store_bind_text(st, 5, now);
		sqlite3_bind_int64(st, 6, *id);
		sqlite3_bind_int64(st, 7, expected_version);
	} else {
		store_bind_created(st, 5, 6, 7, &p->meta, now);
	}
	free(slug);
	return store_write_step(c, STORE_PRINCIPLES, st, id);
}

static enum store_status principle_write_any(struct store_conn *c, int64_t *id,
                                             int64_t expected_version, void *e,
                                             struct model_problems *p)
{
	(void)p;
	return store_principle_write(c, id, expected_version, e);
}

static enum store_status principle_read_any(struct store_conn *c, int64_t id, void *out)
{
	return store_principle_read(c, id, out);
}

static void principle_clear_any(void *e)
{
	principle_clear(e);
}

static const struct store_entity_ops ops = {sizeof(struct principle), principle_write_any,
                                            principle_read_any, principle_clear_any};

enum store_status store_principle_create(struct store *s, struct principle *p)
{
	return store_save(s, &ops, 0, 0, p, NULL);
}

enum store_status store_principle_replace(struct store *s, int64_t id, int64_t expected_version,
                                          struct principle *p)
{
	return store_save(s, &ops, id, expected_version, p, NULL);
}

enum store_status store_principle_delete(struct store *s, int64_t id, int64_t expected_version)
{
	return store_delete(s, STORE_PRINCIPLES, id, expected_version,
	                    "SELECT EXISTS (SELECT 1 FROM invocations WHERE principle_id = ?)");
}

char *store_principle_sort_key(const struct principle *p, enum principle_sort sort)
{
	switch (sort) {
	case PRINCIPLE_SORT_COUNT:
	case PRINCIPLE_SORT_COUNT_DESC:
		return xasprintf("%lld", (long long)p->invocation_count);
	case PRINCIPLE_SORT_FIRST_INVOKED:
		/* "" marks a never-invoked principle: dates are never empty. */
		return xstrdup(p->first_invoked_date ? p->first_invoked_date : "");
	case PRINCIPLE_SORT_NAME:
	case PRINCIPLE_SORT_NAME_DESC:
		break;
	}
	return xstrdup(p->name);
}

/* Writes the page query of f after `after` into sql. The name and count
 * orders are one index walk from the cursor on (the plain comparison beside
 * the row value lets SQLite seek instead of scanning from the start). The
 * first_invoked_date order puts never-invoked principles last; SQLite sorts
 * NULL first and cannot seek past a row value holding NULL, so that order
 * is two walks, dated rows then undated ones, each starting at the cursor
 * when it lies in its part, and merged in order. */
static void list_sql(char *sql, size_t len, const char *filters, enum principle_sort sort,
                     const struct cursor_pos *after)
{
	static const char *const order[] = {
	    [PRINCIPLE_SORT_NAME] = "name COLLATE NOCASE, id",
	    [PRINCIPLE_SORT_NAME_DESC] = "name COLLATE NOCASE DESC, id DESC",
	    [PRINCIPLE_SORT_COUNT] = "invocation_count, id",
	    [PRINCIPLE_SORT_COUNT_DESC] = "invocation_count DESC, id DESC",
	};
	static const char *const keyset[] = {
	    [PRINCIPLE_SORT_NAME] = "name COLLATE NOCASE >= ?3 AND "
	                            "(name COLLATE NOCASE, id) > (?3, ?4)",
	    [PRINCIPLE_SORT_NAME_DESC] = "name COLLATE NOCASE <= ?3 AND "
	                                 "(name COLLATE NOCASE, id) < (?3, ?4)",
	    [PRINCIPLE_SORT_COUNT] = "(invocation_count, id) > (CAST(?3 AS INTEGER), ?4)",
	    [PRINCIPLE_SORT_COUNT_DESC] = "(invocation_count, id) < (CAST(?3 AS INTEGER), ?4)",
	};
	if (sort != PRINCIPLE_SORT_FIRST_INVOKED) {
		snprintf(sql, len,
		         "SELECT " COLUMNS " FROM principles WHERE %s AND %s ORDER BY %s LIMIT ?5",
		         filters, after ? keyset[sort] : "1", order[sort]);
		return;
	}
	bool undated_cursor = after && after->key[0] == '\0';
	const char *dated = !after           ? "1"
	                    : undated_cursor ? "0"
	                                     : "first_invoked_date >= ?3 AND "
	                                       "(first_invoked_date, id) > (?3, ?4)";
	const char *undated = undated_cursor ? "id > ?4" : "1";
	/* Column 11 (undated) and 10 (first_invoked_date) order the merge. */
	snprintf(sql, len,
	         "SELECT * FROM (SELECT " COLUMNS ", 0 AS undated FROM principles WHERE %s AND "
	         "first_invoked_date IS NOT NULL AND %s ORDER BY first_invoked_date, id LIMIT ?5) "
	         "UNION ALL SELECT * FROM (SELECT " COLUMNS ", 1 AS undated FROM principles "
	         "WHERE %s AND first_invoked_date IS NULL AND %s ORDER BY id LIMIT ?5) "
	         "ORDER BY 11, 10, 1 LIMIT ?5",
	         filters, dated, filters, undated);
}

enum store_status store_principle_list(struct store *s, const struct principle_filter *f,
                                       const struct cursor_pos *after, int limit,
                                       struct principle **items, size_t *count, bool *more,
                                       int64_t *total)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	/* The framework test is left out when there is none, so that with it
	 * SQLite can walk the (framework, name) index. */
	const char *filters = f->framework ? "(?1 IS NULL OR fold(name) LIKE ?1 ESCAPE '\\') "
	                                     "AND framework = ?2"
	                                   : "(?1 IS NULL OR fold(name) LIKE ?1 ESCAPE '\\')";
	char *pattern = f->q ? store_like_pattern(f->q) : NULL;
	char sql[2048];
	list_sql(sql, sizeof sql, filters, f->sort, after);
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK) {
		free(pattern);
		return r;
	}
	sqlite3_stmt *st = store_stmt(c, sql);
	size_t n = 0;
	struct principle *out = xcalloc((size_t)limit + 1, sizeof *out);
	if (!st) {
		r = STORE_ERROR;
		goto done;
	}
	store_bind_text(st, 1, pattern);
	if (f->framework)
		store_bind_text(st, 2, f->framework);
	if (after && sqlite3_bind_parameter_index(st, "?3"))
		store_bind_text(st, 3, after->key);
	if (after && sqlite3_bind_parameter_index(st, "?4"))
		sqlite3_bind_int64(st, 4, after->id);
	sqlite3_bind_int(st, 5, limit + 1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_principle(st, &out[n++]);
	store_stmt_done(c, st);
	if (rc != SQLITE_DONE) {
		r = store_status_of(c, rc);
		goto done;
	}
	if (total) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM principles WHERE %s", filters);
		st = store_stmt(c, sql);
		if (!st) {
			r = STORE_ERROR;
			goto done;
		}
		store_bind_text(st, 1, pattern);
		if (f->framework)
			store_bind_text(st, 2, f->framework);
		rc = sqlite3_step(st);
		*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		r = store_status_of(c, rc);
		store_stmt_done(c, st);
	}
done:
	store_commit(c);
	free(pattern);
	if (r != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			principle_clear(&out[i]);
		free(out);
		return r;
	}
	*more = n > (size_t)limit;
	if (*more)
		principle_clear(&out[--n]);
	*items = out;
	*count = n;
	return STORE_OK;
}

static void read_timeline_entry(sqlite3_stmt *st, struct timeline_entry *t)
{
	t->meeting_id = sqlite3_column_int64(st, 0);
	t->meeting_slug = store_column_text(st, 1);
	t->meeting_title = store_column_text(st, 2);
	snprintf(t->meeting_date, sizeof t->meeting_date, "%s",
	         (const char *)sqlite3_column_text(st, 3));
	int stance = model_enum_parse(model_stance_names, (const char *)sqlite3_column_text(st, 4));
	t->stance = stance >= 0 ? stance : STANCE_CITED;
	t->invoked_by = sqlite3_column_int64(st, 5);
	t->invoked_by_slug = store_column_text(st, 6);
	t->invoked_by_name = store_column_text(st, 7);
	t->quote = store_column_text(st, 8);
}

enum store_status store_principle_timeline(struct store *s, int64_t id,
                                           const struct cursor_pos *after, int limit,
                                           struct timeline_entry **items, size_t *count, bool *more,
                                           int64_t *total)
{
	/* The principle's invocations through their index, then each meeting
	 * by id (CROSS JOIN keeps that order): a page costs the principle's
	 * invocation count, never a walk over every meeting. */
	static const char *const sql[] = {
	    "SELECT m.id, m.slug, m.title, m.date, i.stance, p.id, p.slug, p.name, i.quote "
	    "FROM invocations i CROSS JOIN meetings m ON m.id = i.meeting_id "
	    "LEFT JOIN participants p ON p.id = i.invoked_by "
	    "WHERE i.principle_id = ?1 ORDER BY m.date, m.id LIMIT ?4",
	    "SELECT m.id, m.slug, m.title, m.date, i.stance, p.id, p.slug, p.name, i.quote "
	    "FROM invocations i CROSS JOIN meetings m ON m.id = i.meeting_id "
	    "LEFT JOIN participants p ON p.id = i.invoked_by "
	    "WHERE i.principle_id = ?1 AND (m.date, m.id) > (?2, ?3) "
	    "ORDER BY m.date, m.id LIMIT ?4",
	};
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	size_t n = 0;
	struct timeline_entry *out = xcalloc((size_t)limit + 1, sizeof *out);
	sqlite3_stmt *st = NULL;
	int64_t found;
	r = store_resolve(c, "principles", id, NULL, &found);
	if (r != STORE_OK)
		goto done;
	st = store_stmt(c, sql[after != NULL]);
	if (!st) {
		r = STORE_ERROR;
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	if (after) {
		store_bind_text(st, 2, after->key);
		sqlite3_bind_int64(st, 3, after->id);
	}
	sqlite3_bind_int(st, 4, limit + 1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_timeline_entry(st, &out[n++]);
	store_stmt_done(c, st);
	if (rc != SQLITE_DONE) {
		r = store_status_of(c, rc);
		goto done;
	}
	if (total) {
		st = store_stmt(c, "SELECT count(*) FROM invocations WHERE principle_id = ?");
		if (!st) {
			r = STORE_ERROR;
			goto done;
		}
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		r = store_status_of(c, rc);
		store_stmt_done(c, st);
	}
done:
	store_commit(c);
	if (r != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			timeline_entry_clear(&out[i]);
		free(out);
		return r;
	}
	*more = n > (size_t)limit;
	if (*more)
		timeline_entry_clear(&out[--n]);
	*items = out;
	*count = n;
	return STORE_OK;
}
