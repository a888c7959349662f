/*
 * The change feed and the version history (API.md section 11): one row of
 * `changes` per write of one record, inserted in the write's transaction
 * (the 0005 migrations). Its seq comes from the one-row change_log, moved in
 * the same transaction: writers are serialized (SQLite's lock, readoutd's
 * advisory lock on PostgreSQL, then the row lock), so seq follows commit
 * order without gaps and every read snapshot holds a prefix of the feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/xalloc.h"
#include "store/internal.h"

#define HISTORY_POLL_MS 2       /* how often a SQLite file is asked whether the feed moved */
#define HISTORY_LISTEN_MAX 1000 /* longest one wait for a notification */

const struct store_entity_ops *const store_entity_ops[STORE_KINDS] = {
    [STORE_MEETINGS] = &store_meeting_ops,
    [STORE_PARTICIPANTS] = &store_participant_ops,
    [STORE_PRINCIPLES] = &store_principle_ops,
};

/* The columns every reader of changes selects, in change_read's order. */
#define CHANGE_COLUMNS "seq, at, action, type, entity_id, slug, version, actor"

static void change_read(struct store_stmt *st, void *out)
{
	struct change *ch = out;
	ch->seq = store_col_int64(st, 0);
	store_column_copy(st, 1, ch->at, sizeof ch->at);
	const char *action = store_col_text(st, 2);
	ch->action = CHANGE_CREATE;
	for (int a = 0; a < 3; a++)
		if (action && strcmp(action, change_action_names[a]) == 0)
			ch->action = a;
	const char *type = store_col_text(st, 3);
	for (int k = 0; k < STORE_KINDS; k++)
		if (type && strcmp(type, store_kinds[k].singular) == 0)
			ch->kind = k;
	ch->id = store_col_int64(st, 4);
	ch->slug = store_column_text(st, 5);
	ch->version = store_col_int64(st, 6);
	ch->actor = store_column_text(st, 7);
}

static void change_clear_any(void *item)
{
	change_clear(item);
}

/* Inserts the change of one write: the next seq, now, the request's actor. */
static enum store_status history_insert(struct store_conn *c, enum store_kind kind,
                                        enum change_action action, int64_t id, const char *slug,
                                        int64_t version, const char *body)
{
	struct store_stmt *st;
	enum store_status r = store_prepare(
	    c, "UPDATE change_log SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq",
	    &st);
	if (r != STORE_OK)
		return r;
	bool row;
	r = store_step(st, &row);
	int64_t seq = r == STORE_OK && row ? store_col_int64(st, 0) : 0;
	store_done(st);
	if (r != STORE_OK)
		return r;
	if (!seq)
		return STORE_ERROR;
	r = store_prepare(c,
	                  "INSERT INTO changes (seq, at, action, type, entity_id, slug, version, "
	                  "actor, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	                  &st);
	if (r != STORE_OK)
		return r;
	char now[MODEL_TIMESTAMP_LEN + 1];
	model_timestamp_now(now);
	store_bind_int64(st, 1, seq);
	store_bind_text(st, 2, now);
	store_bind_text(st, 3, change_action_names[action]);
	store_bind_text(st, 4, store_kinds[kind].singular);
	store_bind_int64(st, 5, id);
	store_bind_text(st, 6, slug);
	store_bind_int64(st, 7, version);
	store_bind_text(st, 8, store_request_actor(c->store));
	store_bind_text(st, 9, body); /* JSON: no NUL inside */
	r = store_step(st, &row);
	store_done(st);
	return r;
}

/* A new record of kind read by id (*r says whether it was); record_free
 * frees it. */
static void *record_read(struct store_conn *c, enum store_kind kind, int64_t id,
                         enum store_status *r)
{
	void *record = xcalloc(1, store_entity_ops[kind]->size);
	*r = store_entity_ops[kind]->read(c, id, record);
	return record;
}

static void record_free(enum store_kind kind, void *record)
{
	store_entity_ops[kind]->clear(record);
	free(record);
}

/* Stores meeting's body of len bytes (rendered here when NULL) and its
 * ETag in meeting_json, and its summary in meeting_list. */
static enum store_status meeting_json_store(struct store_conn *c, const void *meeting,
                                            const char *body, size_t len)
{
	const struct meeting *m = meeting;
	store_render render = store_renderer(c->store);
	char *own = body ? NULL : render(STORE_MEETINGS, meeting, false, &len);
	if (!body)
		body = own;
	char etag[MODEL_ETAG_LEN + 1];
	model_etag(body, len, etag);
	char *summary = render(STORE_MEETINGS, meeting, true, &len);
	static const char *const sql[] = {
	    "UPDATE meeting_json SET body = $2, etag = $3 WHERE meeting_id = $1",
	    "UPDATE meeting_list SET summary = $2 WHERE key = " STORE_LIST_KEY("$3", "$1"),
	};
	const char *const text[][2] = {{body, etag}, {summary, m->date}};
	enum store_status r = STORE_OK;
	for (size_t i = 0; i < sizeof sql / sizeof *sql && r == STORE_OK; i++) {
		struct store_stmt *st;
		r = store_prepare(c, sql[i], &st);
		if (r != STORE_OK)
			break;
		store_bind_int64(st, 1, m->meta.id);
		store_bind_text(st, 2, text[i][0]);
		store_bind_text(st, 3, text[i][1]);
		bool row;
		r = store_step(st, &row);
		store_done(st);
	}
	free(own);
	free(summary);
	return r;
}

enum store_status store_history_add(struct store_conn *c, enum store_kind kind,
                                    enum change_action action, void *record)
{
	struct entity_meta *meta = record; /* every record struct starts with it */
	store_render render = store_renderer(c->store);
	free(meta->body);
	meta->body = render ? render(kind, record, false, &meta->body_len) : NULL;
	enum store_status r =
	    history_insert(c, kind, action, meta->id, meta->slug, meta->version, meta->body);
	if (r == STORE_OK && kind == STORE_MEETINGS && meta->body)
		r = meeting_json_store(c, record, meta->body, meta->body_len);
	return r;
}

enum store_status store_history_add_id(struct store_conn *c, enum store_kind kind,
                                       enum change_action action, int64_t id)
{
	enum store_status r;
	void *record = record_read(c, kind, id, &r);
	if (r == STORE_OK)
		r = store_history_add(c, kind, action, record);
	record_free(kind, record);
	return r;
}

enum store_status store_history_delete(struct store_conn *c, enum store_kind kind, int64_t id)
{
	char sql[64];
	snprintf(sql, sizeof sql, "SELECT slug, version FROM %s WHERE id = $1",
	         store_kinds[kind].table);
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	bool row;
	r = store_step(st, &row);
	char *slug = r == STORE_OK && row ? store_column_text(st, 0) : NULL;
	int64_t version = r == STORE_OK && row ? store_col_int64(st, 1) : 0;
	store_done(st);
	if (r == STORE_OK && !row)
		r = STORE_NOT_FOUND;
	if (r == STORE_OK)
		r = history_insert(c, kind, CHANGE_DELETE, id, slug, version + 1, NULL);
	free(slug);
	return r;
}

/* Reads last_seq and pruned_seq, inside the caller's transaction. */
static enum store_status log_read(struct store_conn *c, int64_t *last, int64_t *pruned)
{
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c, "SELECT last_seq, pruned_seq FROM change_log WHERE id = 1", &st);
	if (r != STORE_OK)
		return r;
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && !row)
		r = STORE_ERROR;
	if (r == STORE_OK) {
		*last = store_col_int64(st, 0);
		if (pruned)
			*pruned = store_col_int64(st, 1);
	}
	store_done(st);
	return r;
}

enum store_status store_changes_since(struct store *s, int64_t since, unsigned kinds, int limit,
                                      struct change **items, size_t *count, int64_t *latest)
{
	*items = NULL;
	*count = 0;
	*latest = 0;
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	int64_t pruned = 0;
	r = log_read(c, latest, &pruned);
	if (r == STORE_OK && since < pruned)
		r = STORE_GONE;
	/* Every kind walks the feed; some walk the (type, seq) index. */
	bool all = kinds == (1u << STORE_KINDS) - 1;
	struct store_stmt *st = NULL;
	if (r == STORE_OK)
		r = store_prepare(c,
		                  all ? "SELECT " CHANGE_COLUMNS " FROM changes WHERE seq > $1 "
		                        "ORDER BY seq LIMIT $2"
		                      : "SELECT " CHANGE_COLUMNS " FROM changes WHERE type IN "
		                        "(SELECT value FROM json_each($3)) AND seq > $1 "
		                        "ORDER BY seq LIMIT $2",
		                  &st);
	struct change *out = xcalloc((size_t)limit, sizeof *out);
	size_t n = 0;
	if (r == STORE_OK) {
		store_bind_int64(st, 1, since);
		store_bind_int64(st, 2, limit);
		if (!all) {
			char types[64] = "[";
			for (int k = 0; k < STORE_KINDS; k++)
				if (kinds & (1u << k))
					snprintf(types + strlen(types),
					         sizeof types - strlen(types), "%s\"%s\"",
					         types[1] ? "," : "", store_kinds[k].singular);
			strcat(types, "]");
			store_bind_text(st, 3, types);
		}
		bool row;
		while (n < (size_t)limit && (r = store_step(st, &row)) == STORE_OK && row)
			change_read(st, &out[n++]);
		store_done(st);
	}
	store_commit(c);
	if (r != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			change_clear(&out[i]);
		free(out);
		return r;
	}
	*items = out;
	*count = n;
	return STORE_OK;
}

enum store_status store_changes_wait(struct store *s, int64_t *seen, int timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct store_conn *c = store_conn(s);
		int64_t last = 0;
		enum store_status r = c ? log_read(c, &last, NULL) : store_conn_failure(s);
		if (r == STORE_OK && last != *seen) {
			*seen = last;
			return STORE_OK;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000L +
		                          (now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0)
			return STORE_NOT_FOUND;
		if (r == STORE_OK && c->drv->wait_change &&
		    c->drv->wait_change(c->db, left < HISTORY_LISTEN_MAX ? (int)left
		                                                         : HISTORY_LISTEN_MAX) >= 0)
			continue;
		/* Polled (or the database is unreachable: ask again soon). */
		long ms = r == STORE_OK ? HISTORY_POLL_MS : 100;
		if (ms > left)
			ms = left;
		nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L},
		          NULL);
	}
}

enum store_status store_changes_prune(struct store *s, const char *before, int batch,
                                      int64_t *removed)
{
	*removed = 0;
	for (;;) {
		struct store_conn *c = store_conn(s);
		if (!c)
			return store_conn_failure(s);
		enum store_status r = store_begin_write(c);
		if (r != STORE_OK)
			return r;
		/* The oldest changes first, up to the first that is young enough:
		 * what goes is always a prefix of the feed, so pruned_seq tells
		 * exactly which since values missed something. */
		struct store_stmt *st;
		r = store_prepare(c, "SELECT seq, at FROM changes ORDER BY seq LIMIT $1", &st);
		int64_t upto = 0, n = 0;
		if (r == STORE_OK) {
			store_bind_int64(st, 1, batch);
			bool row;
			while ((r = store_step(st, &row)) == STORE_OK && row) {
				const char *at = store_col_text(st, 1);
				if (!at || strcmp(at, before) >= 0)
					break;
				upto = store_col_int64(st, 0);
				n++;
			}
			store_done(st);
		}
		if (r == STORE_OK && n)
			r = store_exec_ids(c, "DELETE FROM changes WHERE seq <= $1", 1, upto, 0, 0);
		if (r == STORE_OK && n)
			r = store_exec_ids(c,
			                   "UPDATE change_log SET pruned_seq = $1 WHERE id = 1 AND "
			                   "pruned_seq < $1",
			                   1, upto, 0, 0);
		if (r == STORE_OK)
			r = store_commit(c);
		else
			store_rollback(c);
		if (r != STORE_OK)
			return r;
		*removed += n;
		if (n < batch)
			return STORE_OK;
	}
}

enum store_status store_versions_resolve(struct store *s, enum store_kind kind,
                                         const struct model_ref *ref, int64_t *id)
{
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	enum store_status r = store_resolve(c, kind, ref->id, ref->slug, id);
	if (r != STORE_NOT_FOUND)
		return r;
	/* Gone: by id, or the newest record of kind that had the slug. */
	struct store_stmt *st;
	r = store_prepare(c,
	                  ref->id ? "SELECT entity_id FROM changes WHERE type = $1 AND "
	                            "entity_id = $2 LIMIT 1"
	                          : "SELECT entity_id FROM changes WHERE type = $1 AND slug = $3 "
	                            "ORDER BY seq DESC LIMIT 1",
	                  &st);
	if (r != STORE_OK)
		return r;
	store_bind_text(st, 1, store_kinds[kind].singular);
	if (ref->id)
		store_bind_int64(st, 2, ref->id);
	else
		store_bind_text(st, 3, ref->slug);
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && !row)
		r = STORE_NOT_FOUND;
	if (r == STORE_OK)
		*id = store_col_int64(st, 0);
	store_done(st);
	return r;
}

struct versions_ctx {
	enum store_kind kind;
	int64_t id;
	const struct cursor_pos *after;
};

static void versions_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct versions_ctx *v = ctx;
	store_bind_text(st, 1, store_kinds[v->kind].singular);
	store_bind_int64(st, 2, v->id);
	if (page && v->after)
		store_bind_int64(st, 3, v->after->id);
}

/* The cursor key of a version: its number (the cursor's id holds it too). */
static char *version_key(const void *item, const void *ctx)
{
	(void)ctx;
	return xasprintf("%lld", (long long)((const struct change *)item)->version);
}

enum store_status store_versions(struct store *s, enum store_kind kind, int64_t id,
                                 const struct cursor_pos *after, int limit, struct change **items,
                                 size_t *count, char **next_key, int64_t *total)
{
	static const char *const sql[] = {
	    "SELECT " CHANGE_COLUMNS " FROM changes WHERE type = $1 AND entity_id = $2 "
	    "ORDER BY version DESC LIMIT $4",
	    "SELECT " CHANGE_COLUMNS " FROM changes WHERE type = $1 AND entity_id = $2 "
	    "AND version < $3 ORDER BY version DESC LIMIT $4",
	};
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	struct versions_ctx ctx = {kind, id, after};
	const struct store_page_query query = {
	    .sql = sql[after != NULL],
	    .count_sql = "SELECT count(*) FROM changes WHERE type = $1 AND entity_id = $2",
	    .limit_param = 4,
	    .bind = versions_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct change),
	    .row_read = change_read,
	    .item_clear = change_clear_any,
	    .key_of = version_key,
	};
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, next_key, total);
	if (r == STORE_OK)
		*items = out;
	return r;
}

enum store_status store_version_get(struct store *s, enum store_kind kind, int64_t id, int64_t n,
                                    struct change *meta, char **body, size_t *len)
{
	*body = NULL;
	*len = 0;
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	struct store_stmt *st;
	enum store_status r = store_prepare(c,
	                                    "SELECT " CHANGE_COLUMNS ", body FROM changes "
	                                    "WHERE type = $1 AND entity_id = $2 AND version = $3",
	                                    &st);
	if (r != STORE_OK)
		return r;
	store_bind_text(st, 1, store_kinds[kind].singular);
	store_bind_int64(st, 2, id);
	store_bind_int64(st, 3, n);
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && !row)
		r = STORE_NOT_FOUND;
	if (r == STORE_OK) {
		change_read(st, meta);
		*body = store_column_text_len(st, 8, len); /* NULL for a delete */
	}
	store_done(st);
	return r;
}

/* A meeting's stored body (meeting_json), NULL when it is stale, and its
 * ETag, empty when it was stored without one (before schema 12). */
static enum store_status meeting_json_read(struct store_conn *c, int64_t id, char **body,
                                           size_t *len, char etag[MODEL_ETAG_LEN + 1])
{
	struct store_stmt *st;
	enum store_status r =
	    store_prepare(c, "SELECT body, etag FROM meeting_json WHERE meeting_id = $1", &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, id);
	bool row;
	r = store_step(st, &row);
	if (r == STORE_OK && row) {
		*body = store_column_text_len(st, 0, len); /* NULL when stale */
		if (*body) /* a stale body's etag is left as it was */
			store_column_copy(st, 1, etag, MODEL_ETAG_LEN + 1);
	}
	store_done(st);
	return r;
}

/* store_get_json in one read transaction: the id ref names resolved, the
 * stored body read (by slug: by id it was read already), or else the
 * record rendered. */
static enum store_status get_json_read(struct store_conn *c, enum store_kind kind,
                                       const struct model_ref *ref, char **body, size_t *len,
                                       char etag[MODEL_ETAG_LEN + 1])
{
	enum store_status r = store_begin_read(c);
	if (r != STORE_OK)
		return r;
	int64_t id = ref->id;
	if (ref->slug)
		r = store_resolve(c, kind, ref->id, ref->slug, &id);
	if (r == STORE_OK && kind == STORE_MEETINGS && ref->slug)
		r = meeting_json_read(c, id, body, len, etag);
	if (r == STORE_OK && !*body) {
		void *record = record_read(c, kind, id, &r);
		if (r == STORE_OK)
			*body = store_renderer(c->store)(kind, record, false, len);
		record_free(kind, record);
	}
	store_commit(c);
	return r;
}

enum store_status store_get_json(struct store *s, enum store_kind kind, const struct model_ref *ref,
                                 char **body, size_t *len, char etag[MODEL_ETAG_LEN + 1])
{
	*body = NULL;
	*len = 0;
	etag[0] = '\0';
	if (!store_renderer(s))
		return STORE_ERROR;
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	/* By id nothing is resolved: a stored body exists only for a meeting
	 * that does, and reading the record answers STORE_NOT_FOUND for one
	 * that does not. A stored body is one statement, which needs no
	 * transaction around it (on PostgreSQL, BEGIN and COMMIT would be two
	 * more round trips); anything more is read in one. */
	enum store_status r = STORE_OK;
	if (kind == STORE_MEETINGS && !ref->slug)
		r = meeting_json_read(c, ref->id, body, len, etag);
	if (r == STORE_OK && !*body)
		r = get_json_read(c, kind, ref, body, len, etag);
	if (*body && !etag[0])
		model_etag(*body, *len, etag);
	return r;
}

/* Reads into ids up to batch meetings whose stored body is stale. */
static enum store_status stale_ids(struct store_conn *c, int batch, int64_t *ids, int *n)
{
	*n = 0;
	struct store_stmt *st;
	enum store_status r = store_prepare(
	    c, "SELECT meeting_id FROM meeting_json WHERE body IS NULL LIMIT $1", &st);
	if (r != STORE_OK)
		return r;
	store_bind_int64(st, 1, batch);
	bool row;
	while (*n < batch && (r = store_step(st, &row)) == STORE_OK && row)
		ids[(*n)++] = store_col_int64(st, 0);
	store_done(st);
	return r;
}

enum store_status store_meeting_json_fill(struct store *s, int batch, int64_t *filled)
{
	*filled = 0;
	if (!store_renderer(s))
		return STORE_OK;
	struct store_conn *c = store_conn(s);
	if (!c)
		return store_conn_failure(s);
	/* Nearly always nothing is stale: look first, one read of a partial
	 * index, and take the write lock only for work (held for nothing, it
	 * would stall every writer of the database at each look). Inside the
	 * write the stale are read again: another writer may have filled or
	 * deleted some meanwhile. */
	int64_t *ids = xcalloc((size_t)batch, sizeof *ids);
	int n = 0;
	enum store_status r = stale_ids(c, batch, ids, &n);
	if (r == STORE_OK && n > 0 && (r = store_begin_write(c)) == STORE_OK) {
		r = stale_ids(c, batch, ids, &n);
		for (int i = 0; i < n && r == STORE_OK; i++) {
			void *record = record_read(c, STORE_MEETINGS, ids[i], &r);
			if (r == STORE_OK)
				r = meeting_json_store(c, record, NULL, 0);
			record_free(STORE_MEETINGS, record);
		}
		if (r == STORE_OK)
			r = store_commit(c);
		else
			store_rollback(c);
	}
	free(ids);
	if (r == STORE_OK)
		*filled = n;
	return r;
}
