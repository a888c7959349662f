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
	"invocation_count, first_invoked_date, aliases"

static void principle_row_read(struct store_stmt *st, void *out)
{
	struct principle *p = out;
	store_read_meta(st, 0, &p->meta);
	p->name = store_column_text(st, 5);
	p->framework = store_column_text(st, 6);
	p->description = store_column_text(st, 7);
	p->invocation_count = store_col_int64(st, 8);
	p->first_invoked_date = store_column_text(st, 9);
	p->aliases_json = store_column_text(st, 10);
}

enum store_status store_principle_read(struct store_conn *c, int64_t id, struct principle *out)
{
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c, "SELECT " COLUMNS " FROM principles WHERE id = $1", &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	return store_read_one(st, principle_row_read, out);
}

enum store_status store_principle_get(struct store *s, const struct model_ref *ref,
                                      struct principle *out)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	int64_t id;
	enum store_status r = store_resolve(c, STORE_PRINCIPLES, ref->id, ref->slug, &id);
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
	struct store_stmt *st;
	r = *id == 0 ? store_prepare(c,
	                             "INSERT INTO principles (slug, name, framework, description, "
	                             "aliases, created_at, updated_at, version) "
	                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	                             &st)
	             : store_prepare(c,
	                             "UPDATE principles SET slug = $1, name = $2, framework = $3, "
	                             "description = $4, aliases = $5, updated_at = $6, "
	                             "version = version + 1 "
	                             "WHERE id = $7 AND ($8 = 0 OR version = $8)",
	                             &st);
	if (r != STORE_OK) {
		free(slug);
		return r;
	}
	store_bind_text(st, 1, slug);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->framework);
	store_bind_text(st, 4, p->description);
	store_bind_text(st, 5, p->aliases_json ? p->aliases_json : "[]");
	if (*id) {
		store_bind_text(st, 6, now);
		store_bind_int64(st, 7, *id);
		store_bind_int64(st, 8, expected_version);
	} else {
		store_bind_created(st, 6, 7, 8, &p->meta, now);
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

const struct store_entity_ops store_principle_ops = {STORE_PRINCIPLES, sizeof(struct principle),
                                                     principle_write_any, principle_read_any,
                                                     principle_clear_any};

enum store_status store_principle_create(struct store *s, struct principle *p)
{
	return store_save(s, &store_principle_ops, 0, 0, p, NULL);
}

enum store_status store_principle_replace(struct store *s, int64_t id, int64_t expected_version,
                                          struct principle *p)
{
	return store_save(s, &store_principle_ops, id, expected_version, p, NULL);
}

enum store_status store_principle_delete(struct store *s, int64_t id, int64_t expected_version)
{
	return store_delete(s, STORE_PRINCIPLES, id, expected_version,
	                    "SELECT EXISTS (SELECT 1 FROM invocations WHERE principle_id = $1)");
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
 * the row value lets the planner seek instead of scanning from the start).
 * The first_invoked_date order puts never-invoked principles last; SQLite
 * sorts NULL first and cannot seek past a row value holding NULL, so that
 * order is two walks, dated rows then undated ones, each starting at the
 * cursor when it lies in its part, and merged in order. */
static void list_sql(char *sql, size_t len, const char *filters, enum principle_sort sort,
                     const struct cursor_pos *after)
{
	static const char *const order[] = {
	    [PRINCIPLE_SORT_NAME] = "lower(name), id",
	    [PRINCIPLE_SORT_NAME_DESC] = "lower(name) DESC, id DESC",
	    [PRINCIPLE_SORT_COUNT] = "invocation_count, id",
	    [PRINCIPLE_SORT_COUNT_DESC] = "invocation_count DESC, id DESC",
	};
	static const char *const keyset[] = {
	    [PRINCIPLE_SORT_NAME] = "lower(name) >= $3 AND (lower(name), id) > ($3, $4)",
	    [PRINCIPLE_SORT_NAME_DESC] = "lower(name) <= $3 AND (lower(name), id) < ($3, $4)",
	    [PRINCIPLE_SORT_COUNT] = "(invocation_count, id) > (CAST($3 AS BIGINT), $4)",
	    [PRINCIPLE_SORT_COUNT_DESC] = "(invocation_count, id) < (CAST($3 AS BIGINT), $4)",
	};
	if (sort != PRINCIPLE_SORT_FIRST_INVOKED) {
		snprintf(sql, len,
		         "SELECT " COLUMNS " FROM principles WHERE %s AND %s ORDER BY %s LIMIT $5",
		         filters, after ? keyset[sort] : "TRUE", order[sort]);
		return;
	}
	bool undated_cursor = after && after->key[0] == '\0';
	const char *dated = !after           ? "TRUE"
	                    : undated_cursor ? "FALSE"
	                                     : "first_invoked_date >= $3 AND "
	                                       "(first_invoked_date, id) > ($3, $4)";
	const char *undated = undated_cursor ? "id > $4" : "TRUE";
	/* Column 12 (undated) and 10 (first_invoked_date) order the merge. */
	snprintf(
	    sql, len,
	    "SELECT * FROM (SELECT * FROM (SELECT " COLUMNS ", 0 AS undated FROM principles "
	    "WHERE %s AND first_invoked_date IS NOT NULL AND %s "
	    "ORDER BY first_invoked_date, id LIMIT $5) AS dated_rows "
	    "UNION ALL SELECT * FROM (SELECT " COLUMNS ", 1 AS undated FROM principles "
	    "WHERE %s AND first_invoked_date IS NULL AND %s ORDER BY id LIMIT $5) AS undated_rows) "
	    "AS merged ORDER BY 12, 10, 1 LIMIT $5",
	    filters, dated, filters, undated);
}

/* What the page and count statements of a principle list bind. */
struct principle_list_ctx {
	const struct principle_filter *f;
	const char *pattern;
	const struct cursor_pos *after;
	const char *after_key; /* the cursor's key as the order compares it */
};

static char *principle_list_key(const void *item, const void *ctx)
{
	const struct principle_list_ctx *l = ctx;
	return store_principle_sort_key(item, l->f->sort);
}

static void principle_list_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct principle_list_ctx *l = ctx;
	store_bind_text(st, 1, l->pattern);
	if (l->f->framework)
		store_bind_text(st, 2, l->f->framework);
	if (page && l->after) {
		store_bind_text(st, 3, l->after_key);
		store_bind_int64(st, 4, l->after->id);
	}
}

enum store_status store_principle_list_on(struct store_conn *c, const struct principle_filter *f,
                                          const struct cursor_pos *after, int limit,
                                          struct principle **items, size_t *count, char **next_key,
                                          int64_t *total)
{
	/* The framework test is left out when there is none, so that with it
	 * the (framework, name) index can be walked. */
	const char *q =
	    "(CAST($1 AS TEXT) IS NULL OR fold(name) LIKE fold($1) ESCAPE '\\' OR EXISTS (SELECT 1 "
	    "FROM json_each(principles.aliases) WHERE fold(value) LIKE fold($1) ESCAPE '\\'))";
	char filters[512];
	snprintf(filters, sizeof filters, "%s%s", q, f->framework ? " AND framework = $2" : "");
	char sql[2048], count_sql[1024];
	list_sql(sql, sizeof sql, filters, f->sort, after);
	snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM principles WHERE %s", filters);
	char *pattern = f->q ? store_like_pattern(f->q) : NULL;
	/* Name orders compare lower(name): the cursor's name is lowered here. */
	bool by_name = f->sort == PRINCIPLE_SORT_NAME || f->sort == PRINCIPLE_SORT_NAME_DESC;
	char *after_key = !after    ? NULL
	                  : by_name ? store_name_key(after->key)
	                            : xstrdup(after->key);
	struct principle_list_ctx ctx = {f, pattern, after, after_key};
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 5,
	    .bind = principle_list_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct principle),
	    .row_read = principle_row_read,
	    .item_clear = principle_clear_any,
	    .key_of = principle_list_key,
	};
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, next_key, total);
	free(pattern);
	free(after_key);
	if (r == STORE_OK)
		*items = out;
	return r;
}

static void timeline_row_read(struct store_stmt *st, void *out)
{
	struct timeline_entry *t = out;
	t->meeting_id = store_col_int64(st, 0);
	t->meeting_slug = store_column_text(st, 1);
	t->meeting_title = store_column_text(st, 2);
	store_column_copy(st, 3, t->meeting_date, sizeof t->meeting_date);
	int stance = model_enum_parse(model_stance_names, store_col_text(st, 4));
	t->stance = stance >= 0 ? stance : STANCE_CITED;
	t->invoked_by = store_col_int64(st, 5);
	t->invoked_by_slug = store_column_text(st, 6);
	t->invoked_by_name = store_column_text(st, 7);
	t->quote = store_column_text(st, 8);
}

static void timeline_clear_any(void *e)
{
	timeline_entry_clear(e);
}

struct timeline_ctx {
	int64_t id;
	const struct cursor_pos *after;
};

/* The cursor key of the timeline: the meeting date (its id the meeting's). */
static char *timeline_key(const void *item, const void *ctx)
{
	(void)ctx;
	return xstrdup(((const struct timeline_entry *)item)->meeting_date);
}

static void timeline_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct timeline_ctx *t = ctx;
	store_bind_int64(st, 1, t->id);
	if (page && t->after) {
		store_bind_text(st, 2, t->after->key);
		store_bind_int64(st, 3, t->after->id);
	}
}

enum store_status store_principle_timeline(struct store *s, int64_t id,
                                           const struct cursor_pos *after, int limit,
                                           struct timeline_entry **items, size_t *count,
                                           char **next_key, int64_t *total)
{
	/* The principle's invocations through their index, then each meeting
	 * by id (CROSS JOIN keeps that order in SQLite): a page costs the
	 * principle's invocation count, never a walk over every meeting. */
	static const char *const sql[] = {
	    "SELECT m.id, m.slug, m.title, m.date, i.stance, p.id, p.slug, p.name, i.quote "
	    "FROM invocations i CROSS JOIN meetings m "
	    "LEFT JOIN participants p ON p.id = i.invoked_by "
	    "WHERE m.id = i.meeting_id AND i.principle_id = $1 ORDER BY m.date, m.id LIMIT $4",
	    "SELECT m.id, m.slug, m.title, m.date, i.stance, p.id, p.slug, p.name, i.quote "
	    "FROM invocations i CROSS JOIN meetings m "
	    "LEFT JOIN participants p ON p.id = i.invoked_by "
	    "WHERE m.id = i.meeting_id AND i.principle_id = $1 AND (m.date, m.id) > ($2, $3) "
	    "ORDER BY m.date, m.id LIMIT $4",
	};
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	int64_t found;
	enum store_status r = store_resolve(c, STORE_PRINCIPLES, id, NULL, &found);
	if (r != STORE_OK)
		return r;
	struct timeline_ctx ctx = {id, after};
	const struct store_page_query query = {
	    .sql = sql[after != NULL],
	    .count_sql = "SELECT count(*) FROM invocations WHERE principle_id = $1",
	    .limit_param = 4,
	    .bind = timeline_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct timeline_entry),
	    .row_read = timeline_row_read,
	    .item_clear = timeline_clear_any,
	    .key_of = timeline_key,
	};
	void *out = NULL;
	r = store_page(c, &query, limit, &out, count, next_key, total);
	if (r == STORE_OK)
		*items = out;
	return r;
}

enum store_status store_principle_list(struct store *s, const struct principle_filter *f,
                                       const struct cursor_pos *after, int limit,
                                       struct principle **items, size_t *count, char **next_key,
                                       int64_t *total)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	return store_principle_list_on(c, f, after, limit, items, count, next_key, total);
}
