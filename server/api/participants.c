/*
 * /v1/participants: the people who take part in meetings.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "model/xalloc.h"

static const char *const writable_fields[] = {"slug",         "name",    "aliases", "title",
                                              "organization", "country", NULL};

json_t *api_participant_json(const struct participant *p)
{
	json_t *aliases = json_loads(p->aliases_json ? p->aliases_json : "[]", 0, NULL);
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:s, s:s, s:I}", "id",
	                 (json_int_t)p->meta.id, "slug", p->meta.slug, "name", p->name, "aliases",
	                 aliases ? aliases : json_array(), "title", api_str(p->title),
	                 "organization", api_str(p->organization), "country", api_str(p->country),
	                 "meeting_count", (json_int_t)p->meeting_count, "first_meeting_date",
	                 api_str(p->first_meeting_date), "last_meeting_date",
	                 api_str(p->last_meeting_date), "created_at", p->meta.created_at,
	                 "updated_at", p->meta.updated_at, "version", (json_int_t)p->meta.version);
}

static json_t *encode(const void *e)
{
	return api_participant_json(e);
}

static json_t *writable(const void *e)
{
	json_t *doc = api_participant_json(e);
	json_t *out = json_object();
	for (int i = 0; writable_fields[i]; i++)
		json_object_set(out, writable_fields[i], json_object_get(doc, writable_fields[i]));
	json_decref(doc);
	return out;
}

static void decode(json_t *body, void *out, struct model_problems *p)
{
	struct participant *e = out;
	const char *name = NULL, *title = NULL, *org = NULL;
	api_unknown_fields(body, "", writable_fields, p);
	api_slug(body, "", &e->meta.slug, p);
	api_required(body, "name", "", p);
	api_string(body, "name", "", 1, MODEL_NAME_MAX, &name, p);
	api_string(body, "title", "", 0, MODEL_TEXT_MAX, &title, p);
	api_string(body, "organization", "", 0, MODEL_TEXT_MAX, &org, p);
	api_country(body, "country", "", &e->country, p);
	e->aliases_json = api_aliases(body, p);
	e->name = xstrdup(name);
	e->title = xstrdup(title);
	e->organization = xstrdup(org);
}

static enum store_status participant_get_row(struct store *s, const struct model_ref *ref,
                                             void *out)
{
	return store_participant_get(s, ref, out);
}

static enum store_status participant_create_row(struct store *s, void *e, struct model_problems *p)
{
	(void)p;
	return store_participant_create(s, e);
}

static enum store_status participant_replace_row(struct store *s, int64_t id, int64_t version,
                                                 void *e, struct model_problems *p)
{
	(void)p;
	return store_participant_replace(s, id, version, e);
}

static enum store_status remove_row(struct store *s, int64_t id, int64_t version)
{
	return store_participant_delete(s, id, version);
}

static void participant_clear_any(void *e)
{
	participant_clear(e);
}

const struct resource api_participants = {
    .kind = STORE_PARTICIPANTS,
    .name = "participant",
    .collection = "/v1/participants",
    .size = sizeof(struct participant),
    .get = participant_get_row,
    .encode = encode,
    .writable = writable,
    .decode = decode,
    .create = participant_create_row,
    .replace = participant_replace_row,
    .remove = remove_row,
    .check_refs = NULL,
    .clear = participant_clear_any,
};

static json_t *participant_item_json(const void *item, const void *ctx)
{
	(void)ctx;
	return api_participant_json(item);
}

static int64_t participant_item_id(const void *item)
{
	return ((const struct participant *)item)->meta.id;
}

static const struct api_list_items participant_items = {.size = sizeof(struct participant),
                                                        .encode = participant_item_json,
                                                        .id_of = participant_item_id,
                                                        .clear = participant_clear_any};

static const char *const sort_names[] = {"name", "-name", "meeting_count", "-meeting_count", NULL};

HANDLER(api_participants_list)
{
	int format = api_list_format(req, res);
	if (format < 0)
		return;
	struct participant_filter f = {0};
	const char *sort = http_query(req, "sort");
	int si = sort ? model_enum_parse(sort_names, sort) : 0;
	if (si < 0) {
		api_bad_request(res,
		                "sort must be one of name, -name, meeting_count, -meeting_count.");
		return;
	}
	f.sort = (enum participant_sort)si;
	f.q = http_query(req, "q");
	f.country = http_query(req, "country");
	if (f.q && (!*f.q || model_utf8_length(f.q) > 500)) {
		api_bad_request(res, "q must be 1 to 500 characters.");
		return;
	}
	if (f.country && !model_country_valid(f.country)) {
		api_bad_request(res, "country must be an assigned ISO 3166-1 alpha-2 code.");
		return;
	}
	if (format == API_FORMAT_CSV) {
		api_csv_participants(req, res, &f);
		return;
	}
	char *scope =
	    xasprintf("participants|%d|%s|%s", si, f.q ? f.q : "", f.country ? f.country : "");
	struct api_page page;
	int rc = api_page_begin(req, scope, &page, res);
	free(scope);
	if (rc)
		return;
	struct participant *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	enum store_status st =
	    store_participant_list(APP(req)->store, &f, page.has_after ? &page.after : NULL,
	                           page.limit, &items, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = "participant"};
	api_list_respond(req, &page, st, &about, &participant_items, items, n, next_key, total,
	                 NULL, res);
}
