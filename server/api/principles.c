/*
 * /v1/principles: the named ideas meetings invoke, and each principle's
 * timeline of invocations.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "model/xalloc.h"

static const char *const writable_fields[] = {"slug",      "name",        "aliases",
                                              "framework", "description", NULL};

json_t *api_principle_json(const struct principle *p)
{
	json_t *aliases = json_loads(p->aliases_json ? p->aliases_json : "[]", 0, NULL);
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:s, s:s, s:I}", "id",
	                 (json_int_t)p->meta.id, "slug", p->meta.slug, "name", p->name, "aliases",
	                 aliases ? aliases : json_array(), "framework", api_str(p->framework),
	                 "description", api_str(p->description), "invocation_count",
	                 (json_int_t)p->invocation_count, "first_invoked_date",
	                 api_str(p->first_invoked_date), "created_at", p->meta.created_at,
	                 "updated_at", p->meta.updated_at, "version", (json_int_t)p->meta.version);
}

static json_t *encode(const void *e)
{
	return api_principle_json(e);
}

static json_t *writable(const void *e)
{
	json_t *doc = api_principle_json(e);
	json_t *out = json_object();
	for (int i = 0; writable_fields[i]; i++)
		json_object_set(out, writable_fields[i], json_object_get(doc, writable_fields[i]));
	json_decref(doc);
	return out;
}

static void decode(json_t *body, void *out, struct model_problems *p)
{
	struct principle *e = out;
	const char *name = NULL, *framework = NULL, *description = NULL;
	api_unknown_fields(body, "", writable_fields, p);
	api_slug(body, "", &e->meta.slug, p);
	api_required(body, "name", "", p);
	api_string(body, "name", "", 1, MODEL_NAME_MAX, &name, p);
	api_string(body, "framework", "", 0, MODEL_TEXT_MAX, &framework, p);
	api_string(body, "description", "", 0, MODEL_SUMMARY_MAX, &description, p);
	e->aliases_json = api_aliases(body, p);
	e->name = xstrdup(name);
	e->framework = xstrdup(framework);
	e->description = xstrdup(description);
}

static enum store_status principle_get_row(struct store *s, const struct model_ref *ref, void *out)
{
	return store_principle_get(s, ref, out);
}

static enum store_status principle_create_row(struct store *s, void *e, struct model_problems *p)
{
	(void)p;
	return store_principle_create(s, e);
}

static enum store_status principle_replace_row(struct store *s, int64_t id, int64_t version,
                                               void *e, struct model_problems *p)
{
	(void)p;
	return store_principle_replace(s, id, version, e);
}

static enum store_status remove_row(struct store *s, int64_t id, int64_t version)
{
	return store_principle_delete(s, id, version);
}

static void principle_clear_any(void *e)
{
	principle_clear(e);
}

const struct resource api_principles = {
    .kind = STORE_PRINCIPLES,
    .name = "principle",
    .collection = "/v1/principles",
    .size = sizeof(struct principle),
    .get = principle_get_row,
    .encode = encode,
    .writable = writable,
    .decode = decode,
    .create = principle_create_row,
    .replace = principle_replace_row,
    .remove = remove_row,
    .check_refs = NULL,
    .clear = principle_clear_any,
};

static const char *const sort_names[] = {
    "name", "-name", "invocation_count", "-invocation_count", "first_invoked_date", NULL};

static json_t *principle_item_json(const void *item, const void *ctx)
{
	(void)ctx;
	return api_principle_json(item);
}

static int64_t principle_item_id(const void *item)
{
	return ((const struct principle *)item)->meta.id;
}

static const struct api_list_items principle_items = {.size = sizeof(struct principle),
                                                      .encode = principle_item_json,
                                                      .id_of = principle_item_id,
                                                      .clear = principle_clear_any};

HANDLER(api_principles_list)
{
	int format = api_list_format(req, res);
	if (format < 0)
		return;
	struct principle_filter f = {0};
	const char *sort = http_query(req, "sort");
	int si = sort ? model_enum_parse(sort_names, sort) : 0;
	if (si < 0) {
		api_bad_request(res, "sort must be one of name, -name, invocation_count, "
		                     "-invocation_count, first_invoked_date.");
		return;
	}
	f.sort = (enum principle_sort)si;
	f.q = http_query(req, "q");
	f.framework = http_query(req, "framework");
	if (f.q && (!*f.q || model_utf8_length(f.q) > 500)) {
		api_bad_request(res, "q must be 1 to 500 characters.");
		return;
	}
	if (f.framework && (!*f.framework || model_utf8_length(f.framework) > MODEL_TEXT_MAX)) {
		api_bad_request(res, "framework must be 1 to 200 characters.");
		return;
	}
	if (format == API_FORMAT_CSV) {
		api_csv_principles(req, res, &f);
		return;
	}
	/* Both filters are free text: their lengths keep the scope unambiguous. */
	char *scope =
	    xasprintf("principles|%d|%zu:%s|%zu:%s", si, f.q ? strlen(f.q) : 0, f.q ? f.q : "",
	              f.framework ? strlen(f.framework) : 0, f.framework ? f.framework : "");
	struct api_page page;
	int rc = api_page_begin(req, scope, &page, res);
	free(scope);
	if (rc)
		return;
	struct principle *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	enum store_status st =
	    store_principle_list(APP(req)->store, &f, page.has_after ? &page.after : NULL,
	                         page.limit, &items, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = "principle"};
	api_list_respond(req, &page, st, &about, &principle_items, items, n, next_key, total, NULL,
	                 res);
}

/* One timeline item as API.md gives it (new reference). */
static json_t *timeline_entry_json(const struct timeline_entry *t)
{
	json_t *invoked_by = t->invoked_by
	                         ? json_pack("{s:I, s:s?, s:s?}", "id", (json_int_t)t->invoked_by,
	                                     "slug", t->invoked_by_slug, "name", t->invoked_by_name)
	                         : json_null();
	return json_pack(
	    "{s:{s:I, s:s?, s:s?, s:s}, s:s, s:o, s:o}", "meeting", "id", (json_int_t)t->meeting_id,
	    "slug", t->meeting_slug, "title", t->meeting_title, "date", t->meeting_date, "stance",
	    model_stance_names[t->stance], "invoked_by", invoked_by, "quote", api_str(t->quote));
}

static json_t *timeline_item_json(const void *item, const void *ctx)
{
	(void)ctx;
	return timeline_entry_json(item);
}

/* A timeline's cursor holds the meeting's id. */
static int64_t timeline_item_id(const void *item)
{
	return ((const struct timeline_entry *)item)->meeting_id;
}

static void timeline_item_clear(void *item)
{
	timeline_entry_clear(item);
}

static const struct api_list_items timeline_items = {.size = sizeof(struct timeline_entry),
                                                     .encode = timeline_item_json,
                                                     .id_of = timeline_item_id,
                                                     .clear = timeline_item_clear};

HANDLER(api_principles_timeline)
{
	struct principle p = {0};
	if (api_resource_load(&api_principles, req, req->params[0], &p, res))
		return;
	char *scope = xasprintf("principles/%lld/timeline", (long long)p.meta.id);
	struct api_page page;
	int rc = api_page_begin(req, scope, &page, res);
	free(scope);
	int64_t id = p.meta.id;
	principle_clear(&p);
	if (rc)
		return;
	struct timeline_entry *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	enum store_status st =
	    store_principle_timeline(APP(req)->store, id, page.has_after ? &page.after : NULL,
	                             page.limit, &items, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = "principle"};
	api_list_respond(req, &page, st, &about, &timeline_items, items, n, next_key, total, NULL,
	                 res);
}
