/*
 * Who changed what, and when (API.md section 11): the change feed
 * GET /v1/changes, with its long poll, and the versions of each record,
 * GET /v1/{kind}/{ref}/versions[/{n}].
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define CHANGES_LIMIT_DEFAULT 100
#define CHANGES_LIMIT_MAX 1000
#define CHANGES_WAIT_MAX_S 60

char *api_render(enum store_kind kind, const void *record, bool summary, size_t *len)
{
	static const struct resource *const of[STORE_KINDS] = {
	    [STORE_MEETINGS] = &api_meetings,
	    [STORE_PARTICIPANTS] = &api_participants,
	    [STORE_PRINCIPLES] = &api_principles,
	};
	json_t *doc = summary && kind == STORE_MEETINGS ? api_meeting_json(record, false)
	                                                : of[kind]->encode(record);
	char *body = api_dump(doc, len);
	json_decref(doc);
	return body;
}

/* One change as API.md gives it (new reference). */
static json_t *change_json(const struct change *c)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:s?, s:I, s:o}", "seq", (json_int_t)c->seq,
	                 "at", c->at, "action", change_action_names[c->action], "type",
	                 store_kinds[c->kind].singular, "id", (json_int_t)c->id, "slug", c->slug,
	                 "version", (json_int_t)c->version, "actor", api_str(c->actor));
}

HANDLER(api_changes)
{
	int64_t since = 0, limit = CHANGES_LIMIT_DEFAULT, wait = 0;
	unsigned kinds;
	if (api_query_int(req, "since", 0, API_INT_MAX, &since, res) ||
	    api_query_int(req, "limit", 1, CHANGES_LIMIT_MAX, &limit, res) ||
	    api_query_int(req, "wait", 0, CHANGES_WAIT_MAX_S, &wait, res) ||
	    api_query_kinds(req, &kinds, res))
		return;
	struct change *items = NULL;
	size_t n = 0;
	int64_t latest = 0;
	enum store_status st =
	    store_changes_since(APP(req)->store, since, kinds, (int)limit, &items, &n, &latest);
	if (st != STORE_OK) {
		const struct api_store_subject about = {.what = "change feed",
		                                        .next_since = latest};
		api_store_failure(res, st, &about);
		return;
	}
	/* Nothing newer: hold the request (without its worker thread) until a
	 * commit wakes it or the wait runs out; it then runs again. */
	long left = req->wait_left_ms == HTTP_WAIT_FIRST ? (long)wait * 1000 : req->wait_left_ms;
	if (n == 0 && left > 0) {
		free(items);
		res->wait_ms = (int)left;
		return;
	}
	int64_t next = n ? items[n - 1].seq : since;
	json_t *data = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(data, change_json(&items[i]));
		change_clear(&items[i]);
	}
	free(items);
	api_json(res, 200, json_pack("{s:o, s:I}", "data", data, "next_since", (json_int_t)next));
	http_add_header(res, "Cache-Control", "no-store");
}

/* The id of the record that path segment names among the live ones and
 * those only versions remember; -1 after filling res. */
static int64_t versions_subject(const struct resource *r, struct http_request *req,
                                struct http_response *res)
{
	struct model_ref ref;
	int rc = model_ref_parse(req->params[0], &ref);
	if (rc < 0)
		return api_ref(req->params[0], r->name, &ref, res);
	int64_t id = 0;
	enum store_status st =
	    rc > 0 ? STORE_NOT_FOUND : store_versions_resolve(APP(req)->store, r->kind, &ref, &id);
	if (st != STORE_OK) {
		api_store_problem(res, st, r->name);
		return -1;
	}
	return id;
}

/* One version as the list gives it (new reference). */
static json_t *version_json(const void *item, const void *ctx)
{
	(void)ctx;
	const struct change *c = item;
	return json_pack("{s:I, s:s, s:s, s:o}", "version", (json_int_t)c->version, "at", c->at,
	                 "action", change_action_names[c->action], "actor", api_str(c->actor));
}

/* A versions cursor holds the version number. */
static int64_t version_id(const void *item)
{
	return ((const struct change *)item)->version;
}

static void version_clear(void *item)
{
	change_clear(item);
}

static const struct api_list_items version_items = {.size = sizeof(struct change),
                                                    .encode = version_json,
                                                    .id_of = version_id,
                                                    .clear = version_clear};

HANDLER(api_versions)
{
	const struct resource *r = req->route_data;
	int64_t id = versions_subject(r, req, res);
	if (id < 0)
		return;
	char *scope = xasprintf("%s/%lld/versions", r->collection, (long long)id);
	struct api_page page;
	int rc = api_page_begin(req, scope, &page, res);
	free(scope);
	if (rc)
		return;
	struct change *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	enum store_status st =
	    store_versions(APP(req)->store, r->kind, id, page.has_after ? &page.after : NULL,
	                   page.limit, &items, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = r->name};
	api_list_respond(req, &page, st, &about, &version_items, items, n, next_key, total, NULL,
	                 res);
}

HANDLER(api_version)
{
	const struct resource *r = req->route_data;
	int64_t id = versions_subject(r, req, res);
	if (id < 0)
		return;
	struct model_ref n;
	if (model_ref_parse(req->params[1], &n) != 0 || n.id <= 0 || n.slug) {
		api_store_problem(res, STORE_NOT_FOUND, "version");
		return;
	}
	struct change meta = {0};
	char *body = NULL;
	size_t len = 0;
	enum store_status st =
	    store_version_get(APP(req)->store, r->kind, id, n.id, &meta, &body, &len);
	if (st == STORE_OK && !body) {
		char detail[160];
		snprintf(detail, sizeof detail,
		         "Version %lld of %s %lld is its deletion; version %lld holds its last "
		         "content.",
		         (long long)n.id, r->name, (long long)id, (long long)n.id - 1);
		http_problem(res, 404, "not-found", "Not found", detail);
	} else if (st != STORE_OK) {
		api_store_problem(res, st, "version");
	} else {
		api_body_etag(res, 200, body, len, NULL);
		body = NULL;
	}
	free(body);
	change_clear(&meta);
}
