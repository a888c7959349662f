/*
 * Participants: the people who take part in meetings. Derived fields
 * (meeting_count, first/last meeting date) are kept by triggers on
 * attendances; this file reads them and never writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"
#include "store/internal.h"

#define COLUMNS                                                                                    \
	"id, slug, created_at, updated_at, version, name, aliases, title, organization, country, " \
	"meeting_count, first_meeting_date, last_meeting_date"

static void participant_row_read(struct store_stmt *st, void *out)
{
	struct participant *p = out;
	store_read_meta(st, 0, &p->meta);
	p->name = store_column_text(st, 5);
	p->aliases_json = store_column_text(st, 6);
	p->title = store_column_text(st, 7);
	p->organization = store_column_text(st, 8);
	p->country = store_column_text(st, 9);
	p->meeting_count = store_col_int64(st, 10);
	p->first_meeting_date = store_column_text(st, 11);
	p->last_meeting_date = store_column_text(st, 12);
}

enum store_status store_participant_read(struct store_conn *c, int64_t id, struct participant *out)
{
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c, "SELECT " COLUMNS " FROM participants WHERE id = $1", &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	return store_read_one(st, participant_row_read, out);
}

enum store_status store_participant_get(struct store *s, const struct model_ref *ref,
                                        struct participant *out)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	int64_t id;
	enum store_status r = store_resolve(c, STORE_PARTICIPANTS, ref->id, ref->slug, &id);
	return r == STORE_OK ? store_participant_read(c, id, out) : r;
}

enum store_status store_participant_write(struct store_conn *c, int64_t *id,
                                          int64_t expected_version, struct participant *p)
{
	char *slug = NULL;
	enum store_status r =
	    store_slug_for(c, STORE_PARTICIPANTS, p->meta.slug, p->name, NULL, *id, &slug);
	if (r != STORE_OK)
		return r;
	char now[MODEL_TIMESTAMP_LEN + 1];
	model_timestamp_now(now);
	struct store_stmt *st;
	r = *id == 0 ? store_prepare(c,
	                             "INSERT INTO participants (slug, name, aliases, title, "
	                             "organization, country, created_at, updated_at, version) "
	                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	                             &st)
	             : store_prepare(c,
	                             "UPDATE participants SET slug = $1, name = $2, aliases = $3, "
	                             "title = $4, organization = $5, country = $6, "
	                             "updated_at = $7, version = version + 1 "
	                             "WHERE id = $8 AND ($9 = 0 OR version = $9)",
	                             &st);
	if (r != STORE_OK) {
		free(slug);
		return r;
	}
	store_bind_text(st, 1, slug);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->aliases_json ? p->aliases_json : "[]");
	store_bind_text(st, 4, p->title);
	store_bind_text(st, 5, p->organization);
	store_bind_text(st, 6, p->country);
	if (*id) {
		store_bind_text(st, 7, now);
		store_bind_int64(st, 8, *id);
		store_bind_int64(st, 9, expected_version);
	} else {
		store_bind_created(st, 7, 8, 9, &p->meta, now);
	}
	free(slug);
	return store_write_step(c, STORE_PARTICIPANTS, st, id);
}

static enum store_status participant_write_any(struct store_conn *c, int64_t *id,
                                               int64_t expected_version, void *e,
                                               struct model_problems *p)
{
	(void)p;
	return store_participant_write(c, id, expected_version, e);
}

static enum store_status participant_read_any(struct store_conn *c, int64_t id, void *out)
{
	return store_participant_read(c, id, out);
}

static void participant_clear_any(void *e)
{
	participant_clear(e);
}

const struct store_entity_ops store_participant_ops = {
    STORE_PARTICIPANTS, sizeof(struct participant), participant_write_any, participant_read_any,
    participant_clear_any};

enum store_status store_participant_create(struct store *s, struct participant *p)
{
	return store_save(s, &store_participant_ops, 0, 0, p, NULL);
}

enum store_status store_participant_replace(struct store *s, int64_t id, int64_t expected_version,
                                            struct participant *p)
{
	return store_save(s, &store_participant_ops, id, expected_version, p, NULL);
}

enum store_status store_participant_delete(struct store *s, int64_t id, int64_t expected_version)
{
	return store_delete(s, STORE_PARTICIPANTS, id, expected_version,
	                    "SELECT EXISTS (SELECT 1 FROM attendances WHERE participant_id = $1)");
}

char *store_participant_sort_key(const struct participant *p, enum participant_sort sort)
{
	if (sort == PARTICIPANT_SORT_COUNT || sort == PARTICIPANT_SORT_COUNT_DESC)
		return xasprintf("%lld", (long long)p->meeting_count);
	return xstrdup(p->name);
}

/* What the page and count statements of a participant list bind. */
struct participant_list_ctx {
	const struct participant_filter *f;
	const char *pattern;
	const struct cursor_pos *after;
	const char *after_key; /* the cursor's key as the order compares it */
};

static char *participant_list_key(const void *item, const void *ctx)
{
	const struct participant_list_ctx *l = ctx;
	return store_participant_sort_key(item, l->f->sort);
}

static void participant_list_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct participant_list_ctx *l = ctx;
	store_bind_text(st, 1, l->pattern);
	if (l->f->country)
		store_bind_text(st, 2, l->f->country);
	if (page && l->after) {
		store_bind_text(st, 3, l->after_key);
		store_bind_int64(st, 4, l->after->id);
	}
}

enum store_status store_participant_list_on(struct store_conn *c,
                                            const struct participant_filter *f,
                                            const struct cursor_pos *after, int limit,
                                            struct participant **items, size_t *count,
                                            char **next_key, int64_t *total)
{
	static const char *const order[] = {
	    [PARTICIPANT_SORT_NAME] = "lower(name), id",
	    [PARTICIPANT_SORT_NAME_DESC] = "lower(name) DESC, id DESC",
	    [PARTICIPANT_SORT_COUNT] = "meeting_count, id",
	    [PARTICIPANT_SORT_COUNT_DESC] = "meeting_count DESC, id DESC",
	};
	static const char *const keyset[] = {
	    /* The plain bound beside the row value lets the planner seek. */
	    [PARTICIPANT_SORT_NAME] = "lower(name) >= $3 AND (lower(name), id) > ($3, $4)",
	    [PARTICIPANT_SORT_NAME_DESC] = "lower(name) <= $3 AND (lower(name), id) < ($3, $4)",
	    [PARTICIPANT_SORT_COUNT] = "(meeting_count, id) > (CAST($3 AS BIGINT), $4)",
	    [PARTICIPANT_SORT_COUNT_DESC] = "(meeting_count, id) < (CAST($3 AS BIGINT), $4)",
	};
	/* The country test is left out when there is none, so that with it
	 * the (country, name) index can be walked. */
	const char *q =
	    "(CAST($1 AS TEXT) IS NULL OR fold(name) LIKE fold($1) ESCAPE '\\' OR EXISTS (SELECT 1 "
	    "FROM "
	    "json_each(participants.aliases) WHERE fold(value) LIKE fold($1) ESCAPE '\\'))";
	char filters[512];
	snprintf(filters, sizeof filters, "%s%s", q, f->country ? " AND country = $2" : "");
	char sql[1024], count_sql[1024];
	snprintf(sql, sizeof sql,
	         "SELECT " COLUMNS " FROM participants WHERE %s AND %s ORDER BY %s LIMIT $5",
	         filters, after ? keyset[f->sort] : "TRUE", order[f->sort]);
	snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM participants WHERE %s",
	         filters);
	char *pattern = f->q ? store_like_pattern(f->q) : NULL;
	/* Name orders compare lower(name): the cursor's name is lowered here. */
	bool by_name = f->sort == PARTICIPANT_SORT_NAME || f->sort == PARTICIPANT_SORT_NAME_DESC;
	char *after_key = !after    ? NULL
	                  : by_name ? store_name_key(after->key)
	                            : xstrdup(after->key);
	struct participant_list_ctx ctx = {f, pattern, after, after_key};
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 5,
	    .bind = participant_list_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct participant),
	    .row_read = participant_row_read,
	    .item_clear = participant_clear_any,
	    .key_of = participant_list_key,
	};
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, next_key, total);
	free(pattern);
	free(after_key);
	if (r == STORE_OK)
		*items = out;
	return r;
}

enum store_status store_participant_list(struct store *s, const struct participant_filter *f,
                                         const struct cursor_pos *after, int limit,
                                         struct participant **items, size_t *count, char **next_key,
                                         int64_t *total)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return STORE_BUSY;
	return store_participant_list_on(c, f, after, limit, items, count, next_key, total);
}
