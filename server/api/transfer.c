/*
 * GET /v1/export and POST /v1/import, and the same operations for the
 * command line. The export is streamed: one entity is encoded at a time, so
 * memory does not grow with the store. The import decodes the whole
 * document with the resources' own validation, then applies it in one
 * transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "api/transfer.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define EXPORT_FORMAT "readout/1"
#define IMPORT_ITEMS_MAX 10000000

/* ---- export ---- */

/* The meeting as the export writes it: every field, nested references by slug. */
static json_t *export_meeting_json(const struct meeting *m)
{
	json_t *doc = api_meeting_json(m, true);
	json_t *list = json_array();
	for (size_t i = 0; i < m->participant_count; i++)
		json_array_append_new(list,
		                      json_pack("{s:s, s:s}", "slug", m->participants[i].slug,
		                                "role", model_role_names[m->participants[i].role]));
	json_object_set_new(doc, "participants", list);
	list = json_array();
	for (size_t i = 0; i < m->principle_count; i++) {
		const struct invocation *v = &m->principles[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o}", "slug", v->slug,
		                                      "stance", model_stance_names[v->stance],
		                                      "invoked_by", api_str(v->invoked_by_slug),
		                                      "quote", api_str(v->quote)));
	}
	json_object_set_new(doc, "principles", list);
	list = json_array();
	for (size_t i = 0; i < m->related_count; i++)
		json_array_append_new(
		    list, json_pack("{s:s, s:s}", "slug", m->related[i].slug, "relation",
		                    model_relation_names[m->related[i].relation]));
	json_object_set_new(doc, "related", list);
	return doc;
}

enum export_phase {
	PHASE_HEAD,
	PHASE_PARTICIPANTS,
	PHASE_PRINCIPLES,
	PHASE_MEETINGS,
	PHASE_TAIL,
	PHASE_END
};

/* The export document's producer (api_export_next). */
static void export_next(struct api_export *e)
{
	static const char *const names[] = {"", "participants", "principles", "meetings"};
	json_t *item = NULL;
	enum store_status st = STORE_NOT_FOUND;
	free(e->buf);
	e->buf = NULL;
	e->len = e->off = 0;
	switch (e->phase) {
	case PHASE_HEAD:
		e->buf = xstrdup("{\"format\":\"" EXPORT_FORMAT "\",\n\"participants\":[");
		e->phase = PHASE_PARTICIPANTS;
		e->first = true;
		break;
	case PHASE_PARTICIPANTS: {
		struct participant p = {0};
		if ((st = store_export_next_participant(e->x, &p)) == STORE_OK)
			item = api_participant_json(&p);
		participant_clear(&p);
		break;
	}
	case PHASE_PRINCIPLES: {
		struct principle p = {0};
		if ((st = store_export_next_principle(e->x, &p)) == STORE_OK)
			item = api_principle_json(&p);
		principle_clear(&p);
		break;
	}
	case PHASE_MEETINGS: {
		struct meeting m = {0};
		if ((st = store_export_next_meeting(e->x, &m)) == STORE_OK)
			item = export_meeting_json(&m);
		meeting_clear(&m);
		break;
	}
	case PHASE_TAIL:
		e->buf = xstrdup("]}\n");
		e->phase = PHASE_END;
		e->done = true;
		break;
	case PHASE_END:
		break;
	}
	if (e->phase >= PHASE_PARTICIPANTS && e->phase <= PHASE_MEETINGS && !e->buf) {
		if (item) {
			size_t n;
			char *text = api_dump(item, &n);
			e->buf = xasprintf("%s\n%s", e->first ? "" : ",", text);
			free(text);
			e->first = false;
		} else if (st == STORE_NOT_FOUND) {
			e->phase++;
			e->first = true;
			if (e->phase != PHASE_TAIL)
				e->buf = xasprintf("\n],\n\"%s\":[", names[e->phase]);
			else
				e->buf = xstrdup("\n");
		} else {
			e->failed = true;
		}
	}
	json_decref(item);
	e->len = e->buf ? strlen(e->buf) : 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void api_export_put(struct api_export *e, char *text)
{
	free(e->buf);
	e->buf = text;
	e->len = text ? strlen(text) : 0;
	e->off = 0;
}

long api_export_fill(void *ctx, char *buf, size_t max)
{
	struct api_export *e = ctx;
	size_t n = 0;
	if (e->deadline_ms && !e->failed && monotonic_ms() > e->deadline_ms) {
		/* Its read snapshot keeps the WAL from being checkpointed: a
		 * slow reader may not hold it for ever. */
		fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"export stream cut: open longer "
		                "than --export-timeout\"}\n");
		e->failed = true;
		return -1;
	}
	while (n < max && !e->failed) {
		if (e->off == e->len) {
			if (e->done)
				break;
			e->next(e);
			continue;
		}
		size_t take = e->len - e->off < max - n ? e->len - e->off : max - n;
		memcpy(buf + n, e->buf + e->off, take);
		e->off += take;
		n += take;
	}
	return e->failed && n == 0 ? -1 : (long)n;
}

enum store_status api_export_open(struct store *s, struct api_export **out)
{
	struct store_export *x = NULL;
	enum store_status st = store_export_open(s, &x);
	if (st != STORE_OK)
		return st;
	struct api_export *e = xcalloc(1, sizeof *e);
	e->x = x;
	e->next = export_next;
	*out = e;
	return STORE_OK;
}

void api_export_close(void *ctx)
{
	struct api_export *e = ctx;
	if (!e)
		return;
	if (e->producer_free)
		e->producer_free(e->producer);
	store_export_close(e->x);
	free(e->buf);
	if (e->open_count) /* once its snapshot and connection are gone */
		atomic_fetch_sub(e->open_count, 1);
	free(e);
}

struct api_export *api_export_begin(struct http_request *req, struct http_response *res)
{
	struct app *app = APP(req);
	if (atomic_fetch_add(&app->exports, 1) >= app->max_exports) {
		atomic_fetch_sub(&app->exports, 1);
		char detail[200];
		snprintf(detail, sizeof detail,
		         "At most %d exports and CSV lists run at once (--max-exports); try again "
		         "when one has finished.",
		         app->max_exports);
		http_unavailable(res, "Too many exports", detail, 10);
		return NULL;
	}
	struct api_export *e = NULL;
	enum store_status st = api_export_open(app->store, &e);
	if (st != STORE_OK) {
		atomic_fetch_sub(&app->exports, 1);
		api_store_problem(res, st, "export");
		return NULL;
	}
	e->open_count = &app->exports;
	e->deadline_ms = monotonic_ms() + (int64_t)app->export_seconds * 1000;
	return e;
}

void api_export_stream(struct api_export *e, struct http_response *res, const char *content_type,
                       const char *filename)
{
	http_set_stream(res, 200, content_type, api_export_fill, e, api_export_close);
	char *disposition = xasprintf("attachment; filename=\"%s\"", filename);
	http_add_header(res, "Content-Disposition", disposition);
	free(disposition);
}

HANDLER(api_transfer_export)
{
	struct api_export *e = api_export_begin(req, res);
	if (e)
		api_export_stream(e, res, "application/json", "readout-export.json");
}

/* ---- import ---- */

/* Moves the problems of from into to with base put before each pointer. */
static void problems_move(struct model_problems *to, struct model_problems *from, const char *base)
{
	for (size_t i = 0; i < from->listed; i++)
		model_problems_add(to, from->items[i].detail, "%s%s", base, from->items[i].pointer);
	to->count += from->count - from->listed; /* found, but not listed */
	model_problems_clear(from);
}

/* Reads the read-only fields an export carries: when created_at,
 * updated_at and version are all present and valid, a created record keeps
 * them; otherwise they are ignored, as read-only fields are everywhere. A
 * version that is present but not an integer from 1 to API_INT_MAX is a
 * problem, though: stored, it could not be counted up as an integer (SQLite
 * turns an overflowing integer into a REAL), and every conditional write
 * of the record would fail. */
static void decode_meta(json_t *item, struct entity_meta *m, struct model_problems *p)
{
	json_t *created = json_object_get(item, "created_at");
	json_t *updated = json_object_get(item, "updated_at");
	json_t *version = json_object_get(item, "version");
	if (version && !json_is_null(version) &&
	    !(json_is_integer(version) && json_integer_value(version) >= 1 &&
	      json_integer_value(version) <= API_INT_MAX)) {
		model_problems_add(p, "must be an integer from 1 to " API_INT_MAX_TEXT, "/version");
		return;
	}
	if (!json_is_string(created) || !model_timestamp_valid(json_string_value(created)) ||
	    !json_is_string(updated) || !model_timestamp_valid(json_string_value(updated)) ||
	    strcmp(json_string_value(created), json_string_value(updated)) > 0 ||
	    !json_is_integer(version) || json_integer_value(version) < 1)
		return;
	snprintf(m->created_at, sizeof m->created_at, "%s", json_string_value(created));
	snprintf(m->updated_at, sizeof m->updated_at, "%s", json_string_value(updated));
	m->version = json_integer_value(version);
}

/* Decodes the array key of doc with resource r into a new array of
 * entities; each item needs a slug, unique within the array. */
static void *decode_list(json_t *doc, const char *key, const struct resource *r, size_t *count,
                         struct model_problems *p)
{
	json_t *a = json_object_get(doc, key);
	*count = 0;
	if (!a || json_is_null(a))
		return NULL;
	if (!json_is_array(a) || json_array_size(a) > IMPORT_ITEMS_MAX) {
		model_problems_add(p, "must be an array of objects", "/%s", key);
		return NULL;
	}
	char *items = xcalloc(json_array_size(a) + 1, r->size);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		char base[48];
		snprintf(base, sizeof base, "/%s/%zu", key, i);
		void *e = items + i * r->size;
		struct entity_meta *meta = e;
		*count = i + 1;
		if (!json_is_object(v)) {
			model_problems_add(p, "must be an object", "%s", base);
			continue;
		}
		struct model_problems mine = {0};
		r->decode(v, e, &mine);
		api_required(v, "slug", "", &mine);
		decode_meta(v, meta, &mine);
		problems_move(p, &mine, base);
		for (size_t k = 0; meta->slug && k < i; k++) {
			const struct entity_meta *other = (const void *)(items + k * r->size);
			if (other->slug && strcmp(other->slug, meta->slug) == 0) {
				model_problems_add(p, "repeats the slug of an earlier item",
				                   "%s/slug", base);
				break;
			}
		}
	}
	return items;
}

static void free_list(const struct resource *r, void *items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		r->clear((char *)items + i * r->size);
	free(items);
}

static const char *const document_fields[] = {"format", "participants", "principles", "meetings",
                                              NULL};

void api_import_text(struct store *s, const char *text, size_t len, struct http_response *res)
{
	struct http_request fake = {.body = text, .body_len = len};
	json_t *doc = api_body_object(&fake, res);
	if (!doc)
		return;
	struct model_problems p = {0};
	api_unknown_fields(doc, "", document_fields, &p);
	json_t *format = json_object_get(doc, "format");
	if (format &&
	    !(json_is_string(format) && strcmp(json_string_value(format), EXPORT_FORMAT) == 0))
		model_problems_add(&p, "must be \"" EXPORT_FORMAT "\"", "/format");
	struct store_import in = {0};
	in.participants =
	    decode_list(doc, "participants", &api_participants, &in.participant_count, &p);
	in.principles = decode_list(doc, "principles", &api_principles, &in.principle_count, &p);
	in.meetings = decode_list(doc, "meetings", &api_meetings, &in.meeting_count, &p);
	struct store_import_counts counts[STORE_KINDS];
	enum store_status st = p.count ? STORE_INVALID_REF : store_import_apply(s, &in, &p, counts);
	if (st == STORE_OK) {
		json_t *out = json_object();
		/* The document's order: what others refer to first. */
		static const enum store_kind order[] = {STORE_PARTICIPANTS, STORE_PRINCIPLES,
		                                        STORE_MEETINGS};
		for (int i = 0; i < STORE_KINDS; i++)
			json_object_set_new(
			    out, store_kinds[order[i]].plural,
			    json_pack("{s:I, s:I}", "created", (json_int_t)counts[order[i]].created,
			              "updated", (json_int_t)counts[order[i]].updated));
		api_json(res, 200, out);
	} else {
		const struct api_store_subject s = {.what = "import", .problems = &p};
		api_store_failure(res, st, &s);
	}
	model_problems_clear(&p);
	free_list(&api_participants, in.participants, in.participant_count);
	free_list(&api_principles, in.principles, in.principle_count);
	free_list(&api_meetings, in.meetings, in.meeting_count);
	json_decref(doc);
}

HANDLER(api_transfer_import)
{
	api_import_text(APP(req)->store, req->body, req->body_len, res);
}
