/*
 * /v1/meetings: meetings with the people who attended, the principles
 * invoked and the meetings they refer to; the attendance and invocation
 * subresources; and /v1/participants/{ref}/meetings.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "model/mentions.h"
#include "model/xalloc.h"

static const char *const writable_fields[] = {
    "slug",    "title",   "date",     "kind",         "location",   "city",    "country", "summary",
    "readout", "sources", "readouts", "participants", "principles", "related", NULL};
/* Nested items may carry the fields a read returns; they are ignored. */
static const char *const attendance_fields[] = {"id",    "slug",    "role", "name",
                                                "title", "country", NULL};
static const char *const invocation_fields[] = {"id",    "slug", "stance",    "invoked_by",
                                                "quote", "name", "framework", NULL};
static const char *const link_fields[] = {"id", "slug", "relation", "title", "date", NULL};
static const char *const source_fields[] = {"url", "publisher", "language", NULL};
static const char *const readout_fields[] = {"language",  "publisher", "url",
                                             "published", "text",      NULL};

static json_t *attendance_json(const struct attendance *a)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)a->participant_id,
	                 "slug", a->slug, "name", a->name, "title", api_str(a->title), "country",
	                 api_str(a->country), "role", model_role_names[a->role]);
}

static json_t *invocation_json(const struct invocation *v)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o}", "id", (json_int_t)v->principle_id,
	                 "slug", v->slug, "name", v->name, "framework", api_str(v->framework),
	                 "stance", model_stance_names[v->stance], "invoked_by",
	                 v->invoked_by ? json_integer(v->invoked_by) : json_null(), "quote",
	                 api_str(v->quote));
}

/* The meeting as JSON; a summary (full false) has no readout, sources,
 * readouts or related. */
json_t *api_meeting_json(const struct meeting *m, bool full)
{
	json_t *doc = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id",
	                        (json_int_t)m->meta.id, "slug", m->meta.slug, "title", m->title,
	                        "date", m->date, "kind", model_kind_names[m->kind], "location",
	                        api_str(m->location), "city", api_str(m->city), "country",
	                        api_str(m->country), "summary", api_str(m->summary));
	if (full) {
		json_t *sources = json_loads(m->sources_json ? m->sources_json : "[]", 0, NULL);
		json_object_set_new(doc, "readout", api_str(m->readout));
		json_object_set_new(doc, "sources", sources ? sources : json_array());
		json_t *readouts = json_loads(m->readouts_json ? m->readouts_json : "[]", 0, NULL);
		json_object_set_new(doc, "readouts", readouts ? readouts : json_array());
	}
	json_t *list = json_array();
	for (size_t i = 0; i < m->participant_count; i++)
		json_array_append_new(list, attendance_json(&m->participants[i]));
	json_object_set_new(doc, "participants", list);
	list = json_array();
	for (size_t i = 0; i < m->principle_count; i++)
		json_array_append_new(list, invocation_json(&m->principles[i]));
	json_object_set_new(doc, "principles", list);
	if (full) {
		list = json_array();
		for (size_t i = 0; i < m->related_count; i++) {
			const struct link *l = &m->related[i];
			json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
			                                      (json_int_t)l->meeting_id, "slug",
			                                      l->slug, "title", l->title, "date",
			                                      l->date, "relation",
			                                      model_relation_names[l->relation]));
		}
		json_object_set_new(doc, "related", list);
	}
	json_object_set_new(doc, "created_at", json_string(m->meta.created_at));
	json_object_set_new(doc, "updated_at", json_string(m->meta.updated_at));
	json_object_set_new(doc, "version", json_integer(m->meta.version));
	return doc;
}

static json_t *encode(const void *e)
{
	return api_meeting_json(e, true);
}

static json_t *writable(const void *e)
{
	const struct meeting *m = e;
	json_t *doc = api_meeting_json(m, true);
	json_t *out = json_object();
	for (int i = 0; writable_fields[i]; i++)
		json_object_set(out, writable_fields[i], json_object_get(doc, writable_fields[i]));
	json_decref(doc);
	return out;
}

/* Decodes sources into their compact JSON text (NULL after problems). */
static char *decode_sources(json_t *body, struct model_problems *p)
{
	json_t *a = json_object_get(body, "sources");
	if (!a || json_is_null(a))
		return xstrdup("[]");
	if (!json_is_array(a) || json_array_size(a) > MODEL_SOURCES_MAX) {
		model_problems_add(p, "must be an array of at most 20 sources", "/sources");
		return NULL;
	}
	size_t before = p->count, i;
	json_t *v;
	json_t *clean = json_array();
	json_array_foreach(a, i, v)
	{
		char base[32];
		snprintf(base, sizeof base, "/sources/%zu", i);
		if (!json_is_object(v)) {
			model_problems_add(p, "must be an object", "%s", base);
			continue;
		}
		api_unknown_fields(v, base, source_fields, p);
		const char *url = NULL, *publisher = NULL, *language = NULL;
		api_required(v, "url", base, p);
		if (api_string(v, "url", base, 1, MODEL_URL_MAX, &url, p) == 0 && url &&
		    !model_url_valid(url))
			model_problems_add(p, "must be an absolute http or https URL", "%s/url",
			                   base);
		api_string(v, "publisher", base, 1, MODEL_TEXT_MAX, &publisher, p);
		if (api_string(v, "language", base, 1, MODEL_LANGUAGE_MAX, &language, p) == 0 &&
		    language && !model_language_valid(language))
			model_problems_add(p, "must be a BCP 47 language tag such as en or zh-Hans",
			                   "%s/language", base);
		json_array_append_new(clean,
		                      json_pack("{s:s?, s:o, s:o}", "url", url, "publisher",
		                                api_str(publisher), "language", api_str(language)));
	}
	char *text = NULL;
	if (p->count == before) {
		size_t len;
		text = api_dump(clean, &len);
	}
	json_decref(clean);
	return text;
}

/* True when the BCP 47 tags a and b are the same tag (they compare
 * without regard to case, RFC 5646 section 2.1.1). */
static bool same_language(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Decodes readouts into their compact JSON text (NULL after problems):
 * every problem of every item is reported, the array's own too. */
static char *decode_readouts(json_t *body, struct model_problems *p)
{
	json_t *a = json_object_get(body, "readouts");
	if (!a || json_is_null(a))
		return xstrdup("[]");
	if (!json_is_array(a)) {
		model_problems_add(p, "must be an array of at most 10 readouts", "/readouts");
		return NULL;
	}
	size_t before = p->count, i;
	if (json_array_size(a) > MODEL_READOUTS_MAX)
		model_problems_add(p, "must be an array of at most 10 readouts", "/readouts");
	json_t *v;
	json_t *clean = json_array();
	json_array_foreach(a, i, v)
	{
		char base[32];
		snprintf(base, sizeof base, "/readouts/%zu", i);
		if (!json_is_object(v)) {
			model_problems_add(p, "must be an object", "%s", base);
			json_array_append_new(clean, json_object());
			continue;
		}
		api_unknown_fields(v, base, readout_fields, p);
		const char *language = NULL, *publisher = NULL, *url = NULL, *text = NULL;
		api_required(v, "language", base, p);
		if (api_string(v, "language", base, 1, MODEL_LANGUAGE_MAX, &language, p) == 0 &&
		    language && !model_language_valid(language)) {
			model_problems_add(p, "must be a BCP 47 language tag such as en or zh-Hans",
			                   "%s/language", base);
			language = NULL;
		}
		api_required(v, "publisher", base, p);
		api_string(v, "publisher", base, 1, MODEL_TEXT_MAX, &publisher, p);
		if (api_string(v, "url", base, 1, MODEL_URL_MAX, &url, p) == 0 && url &&
		    !model_url_valid(url))
			model_problems_add(p, "must be an absolute http or https URL", "%s/url",
			                   base);
		json_t *d = json_object_get(v, "published");
		const char *published = NULL;
		if (d && !json_is_null(d)) {
			published = json_string_value(d);
			if (!published || !model_date_valid(published)) {
				model_problems_add(p, "must be a real date YYYY-MM-DD",
				                   "%s/published", base);
				published = NULL;
			}
		}
		api_required(v, "text", base, p);
		api_string(v, "text", base, 1, MODEL_READOUT_MAX, &text, p);
		for (size_t k = 0; language && publisher && k < json_array_size(clean); k++) {
			json_t *other = json_array_get(clean, k);
			const char *l = json_string_value(json_object_get(other, "language"));
			const char *pub = json_string_value(json_object_get(other, "publisher"));
			if (l && pub && same_language(l, language) && strcmp(pub, publisher) == 0) {
				char detail[96];
				snprintf(detail, sizeof detail,
				         "repeats the language and publisher of /readouts/%zu", k);
				model_problems_add(p, detail, "%s", base);
				break;
			}
		}
		json_array_append_new(
		    clean, json_pack("{s:o, s:o, s:o, s:o, s:o}", "language", api_str(language),
		                     "publisher", api_str(publisher), "url", api_str(url),
		                     "published", api_str(published), "text", api_str(text)));
	}
	char *out = NULL;
	if (p->count == before) {
		size_t len;
		out = api_dump(clean, &len);
	}
	json_decref(clean);
	return out;
}

/* Returns the array member key (NULL when absent or null), adding a problem
 * when it is not an array of at most MODEL_NESTED_MAX items. */
static json_t *nested_array(json_t *body, const char *key, struct model_problems *p)
{
	json_t *a = json_object_get(body, key);
	if (!a || json_is_null(a))
		return NULL;
	if (!json_is_array(a) || json_array_size(a) > MODEL_NESTED_MAX) {
		model_problems_add(p, "must be an array of at most 200 items", "/%s", key);
		return NULL;
	}
	return a;
}

/* Decodes one nested item's common part: an object with a ref. Returns false
 * (after adding problems) when it is unusable. */
static bool nested_item(json_t *v, const char *base, const char *const fields[],
                        struct model_ref *ref, struct model_problems *p)
{
	if (!json_is_object(v)) {
		model_problems_add(p, "must be an object", "%s", base);
		return false;
	}
	api_unknown_fields(v, base, fields, p);
	return api_nested_ref(v, base, ref, p) == 0;
}

static void decode_nested(json_t *body, struct meeting *m, struct model_problems *p)
{
	json_t *a = nested_array(body, "participants", p), *v;
	size_t i;
	char base[48];
	if (a) {
		m->participants = xcalloc(json_array_size(a) + 1, sizeof *m->participants);
		json_array_foreach(a, i, v)
		{
			struct attendance *at = &m->participants[m->participant_count++];
			at->role = ROLE_ATTENDEE;
			snprintf(base, sizeof base, "/participants/%zu", i);
			if (nested_item(v, base, attendance_fields, &at->ref, p))
				api_enum(v, "role", base, model_role_names, &at->role, p);
		}
	}
	a = nested_array(body, "principles", p);
	if (a) {
		m->principles = xcalloc(json_array_size(a) + 1, sizeof *m->principles);
		json_array_foreach(a, i, v)
		{
			struct invocation *in = &m->principles[m->principle_count++];
			in->stance = STANCE_CITED;
			snprintf(base, sizeof base, "/principles/%zu", i);
			if (!nested_item(v, base, invocation_fields, &in->ref, p))
				continue;
			api_enum(v, "stance", base, model_stance_names, &in->stance, p);
			json_t *by = json_object_get(v, "invoked_by");
			if (by && !json_is_null(by)) {
				char pointer[64];
				snprintf(pointer, sizeof pointer, "%s/invoked_by", base);
				api_ref_value(by, pointer, &in->invoked_ref, p);
			}
			const char *quote = NULL;
			api_string(v, "quote", base, 0, MODEL_QUOTE_MAX, &quote, p);
			in->quote = xstrdup(quote);
		}
	}
	a = nested_array(body, "related", p);
	if (a) {
		m->related = xcalloc(json_array_size(a) + 1, sizeof *m->related);
		json_array_foreach(a, i, v)
		{
			struct link *l = &m->related[m->related_count++];
			snprintf(base, sizeof base, "/related/%zu", i);
			if (!nested_item(v, base, link_fields, &l->ref, p))
				continue;
			api_required(v, "relation", base, p);
			api_enum(v, "relation", base, model_relation_names, &l->relation, p);
		}
	}
}

static void decode(json_t *body, void *out, struct model_problems *p)
{
	struct meeting *m = out;
	const char *title = NULL, *date = NULL, *location = NULL, *city = NULL, *summary = NULL,
	           *readout = NULL;
	api_unknown_fields(body, "", writable_fields, p);
	api_slug(body, "", &m->meta.slug, p);
	api_required(body, "title", "", p);
	api_string(body, "title", "", 1, MODEL_TITLE_MAX, &title, p);
	api_required(body, "date", "", p);
	json_t *d = json_object_get(body, "date");
	if (d && !json_is_null(d)) {
		date = json_string_value(d);
		if (!date || !model_date_valid(date)) {
			model_problems_add(p, "must be a real date YYYY-MM-DD", "/date");
			date = NULL;
		}
	}
	m->kind = KIND_MEETING;
	api_enum(body, "kind", "", model_kind_names, &m->kind, p);
	api_string(body, "location", "", 0, MODEL_TEXT_MAX, &location, p);
	api_string(body, "city", "", 0, MODEL_TEXT_MAX, &city, p);
	api_country(body, "country", "", &m->country, p);
	api_string(body, "summary", "", 0, MODEL_SUMMARY_MAX, &summary, p);
	api_string(body, "readout", "", 0, MODEL_READOUT_MAX, &readout, p);
	m->sources_json = decode_sources(body, p);
	m->readouts_json = decode_readouts(body, p);
	decode_nested(body, m, p);
	m->title = xstrdup(title);
	snprintf(m->date, sizeof m->date, "%s", date ? date : "");
	m->location = xstrdup(location);
	m->city = xstrdup(city);
	m->summary = xstrdup(summary);
	m->readout = xstrdup(readout);
}

static enum store_status meeting_get_row(struct store *s, const struct model_ref *ref, void *out)
{
	return store_meeting_get(s, ref, out);
}

static enum store_status meeting_create_row(struct store *s, void *e, struct model_problems *p)
{
	return store_meeting_create(s, e, p);
}

static enum store_status meeting_replace_row(struct store *s, int64_t id, int64_t version, void *e,
                                             struct model_problems *p)
{
	return store_meeting_replace(s, id, version, e, p);
}

static enum store_status remove_row(struct store *s, int64_t id, int64_t version)
{
	return store_meeting_delete(s, id, version);
}

static enum store_status check_refs(struct store *s, int64_t id, void *e, struct model_problems *p)
{
	return store_meeting_check_refs(s, id, e, p);
}

static void meeting_clear_any(void *e)
{
	meeting_clear(e);
}

const struct resource api_meetings = {
    .kind = STORE_MEETINGS,
    .name = "meeting",
    .collection = "/v1/meetings",
    .size = sizeof(struct meeting),
    .get = meeting_get_row,
    .encode = encode,
    .writable = writable,
    .decode = decode,
    .create = meeting_create_row,
    .replace = meeting_replace_row,
    .remove = remove_row,
    .check_refs = check_refs,
    .clear = meeting_clear_any,
};

/* ---- attendance and invocation subresources ---- */

/* Loads the meeting of the path, checks If-Match and parses the reference
 * to the other entity (what it is: "participant"). Returns 0, or -1 after
 * answering. */
static int load_for_write(struct http_request *req, struct meeting *m, const char *what,
                          struct model_ref *other, struct http_response *res)
{
	if (api_resource_load(&api_meetings, req, req->params[0], m, res) ||
	    !api_resource_precondition(&api_meetings, req, m, res))
		return -1;
	return api_ref(req->params[1], what, other, res);
}

static int64_t version_if_match(struct http_request *req, const struct meeting *m)
{
	return http_header(req, "If-Match") ? m->meta.version : 0;
}

static void subresource_result(enum store_status st, const char *what, struct meeting *m,
                               struct model_problems *p, struct http_response *res)
{
	const struct api_store_subject s = {.what = what, .problems = p};
	if (st == STORE_OK)
		api_resource_respond(&api_meetings, m, 200, res);
	else
		api_store_failure(res, st, &s);
}

static const char *const attendance_body_fields[] = {"role", NULL};
static const char *const invocation_body_fields[] = {"stance", "invoked_by", "quote", NULL};

HANDLER(api_meetings_put_participant)
{
	json_t *body = api_body_object(req, res);
	if (!body)
		return;
	struct meeting m = {0};
	struct attendance a = {.role = ROLE_ATTENDEE};
	struct model_problems p = {0};
	if (load_for_write(req, &m, "participant", &a.ref, res) == 0) {
		api_unknown_fields(body, "", attendance_body_fields, &p);
		api_enum(body, "role", "", model_role_names, &a.role, &p);
		if (p.count)
			api_validation_problem(res, &p);
		else
			subresource_result(store_meeting_put_attendance(APP(req)->store, m.meta.id,
			                                                version_if_match(req, &m),
			                                                &a, &m),
			                   "participant", &m, &p, res);
	}
	model_problems_clear(&p);
	meeting_clear(&m);
	json_decref(body);
}

HANDLER(api_meetings_put_principle)
{
	json_t *body = api_body_object(req, res);
	if (!body)
		return;
	struct meeting m = {0};
	struct invocation v = {.stance = STANCE_CITED};
	struct model_problems p = {0};
	const char *quote = NULL;
	if (load_for_write(req, &m, "principle", &v.ref, res) == 0) {
		api_unknown_fields(body, "", invocation_body_fields, &p);
		api_enum(body, "stance", "", model_stance_names, &v.stance, &p);
		json_t *by = json_object_get(body, "invoked_by");
		if (by && !json_is_null(by))
			api_ref_value(by, "/invoked_by", &v.invoked_ref, &p);
		api_string(body, "quote", "", 0, MODEL_QUOTE_MAX, &quote, &p);
		v.quote = (char *)quote;
		if (p.count)
			api_validation_problem(res, &p);
		else
			subresource_result(store_meeting_put_invocation(APP(req)->store, m.meta.id,
			                                                version_if_match(req, &m),
			                                                &v, &m, &p),
			                   "principle", &m, &p, res);
	}
	model_problems_clear(&p);
	meeting_clear(&m);
	json_decref(body);
}

/* DELETE of one attendance or invocation. */
static void remove_nested(struct http_request *req, struct http_response *res, bool participant)
{
	struct meeting m = {0};
	struct model_ref other;
	if (load_for_write(req, &m, participant ? "participant" : "principle", &other, res) == 0) {
		int64_t version = version_if_match(req, &m);
		enum store_status st =
		    participant ? store_meeting_remove_attendance(APP(req)->store, m.meta.id,
		                                                  version, &other)
		                : store_meeting_remove_invocation(APP(req)->store, m.meta.id,
		                                                  version, &other);
		if (st == STORE_OK)
			http_set_body(res, 204, NULL, NULL, 0);
		else
			api_store_problem(res, st,
			                  participant
			                      ? "attendance of this participant at this meeting"
			                      : "invocation of this principle at this meeting");
	}
	meeting_clear(&m);
}

HANDLER(api_meetings_delete_participant)
{
	remove_nested(req, res, true);
}

HANDLER(api_meetings_delete_principle)
{
	remove_nested(req, res, false);
}

/* ---- mentions ---- */

/* One entity a text names, and how often. */
struct mention_hit {
	size_t candidate;
	size_t count;
};

static int mention_hit_order(const void *a, const void *b)
{
	const struct mention_hit *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1; /* the most named first */
	return x->candidate < y->candidate ? -1 : x->candidate > y->candidate;
}

/* {"text", "language", "publisher", "participants", "principles"} of one
 * text, from the counts of each candidate (new reference). */
static json_t *mentions_json(json_t *text, json_t *language, json_t *publisher,
                             const struct mention_candidate *cands, const size_t *counts, size_t n,
                             struct mention_hit *hits)
{
	json_t *doc = json_pack("{s:o, s:O, s:O}", "text", text, "language",
	                        language ? language : json_null(), "publisher",
	                        publisher ? publisher : json_null());
	for (int kind = STORE_PARTICIPANTS; kind <= STORE_PRINCIPLES; kind++) {
		size_t used = 0;
		for (size_t i = 0; i < n; i++)
			if (cands[i].kind == kind && counts[i])
				hits[used++] = (struct mention_hit){i, counts[i]};
		qsort(hits, used, sizeof *hits, mention_hit_order);
		json_t *list = json_array();
		for (size_t k = 0; k < used; k++) {
			const struct mention_candidate *c = &cands[hits[k].candidate];
			json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:I}", "id",
			                                      (json_int_t)c->id, "slug", c->slug,
			                                      "name", c->name, "count",
			                                      (json_int_t)hits[k].count));
		}
		json_object_set_new(doc, kind == STORE_PARTICIPANTS ? "participants" : "principles",
		                    list);
	}
	return doc;
}

/* GET /v1/meetings/{ref}/mentions: for the readout, then each of the
 * readouts, the participants and principles it names (model/mentions.h). */
HANDLER(api_meetings_mentions)
{
	struct meeting m = {0};
	if (api_resource_load(&api_meetings, req, req->params[0], &m, res)) {
		meeting_clear(&m);
		return;
	}
	struct mention_candidate *cands = NULL;
	size_t n = 0;
	enum store_status st =
	    store_meeting_mention_candidates(APP(req)->store, m.meta.id, &cands, &n);
	if (st != STORE_OK) {
		api_store_problem(res, st, "meeting");
		meeting_clear(&m);
		return;
	}
	/* Each candidate's names: its name, then its aliases. */
	json_t *names = json_array();
	struct mention_entity *entities = xcalloc(n ? n : 1, sizeof *entities);
	const char **flat = NULL;
	size_t flat_used = 0, flat_cap = 0;
	size_t *first = xcalloc(n ? n : 1, sizeof *first);
	for (size_t i = 0; i < n; i++) {
		json_t *aliases =
		    json_loads(cands[i].aliases_json ? cands[i].aliases_json : "[]", 0, NULL);
		json_array_append_new(names, aliases ? aliases : json_array());
		size_t need = 1 + json_array_size(aliases);
		if (flat_used + need > flat_cap) {
			flat_cap = 2 * (flat_used + need);
			flat = xrealloc(flat, flat_cap * sizeof *flat);
		}
		first[i] = flat_used;
		flat[flat_used++] = cands[i].name;
		for (size_t k = 0; k < json_array_size(aliases); k++)
			flat[flat_used++] = json_string_value(json_array_get(aliases, k));
		entities[i].name_count = need;
	}
	for (size_t i = 0; i < n; i++)
		entities[i].names = flat + first[i];
	struct mention_matcher matcher;
	model_mention_matcher_init(&matcher, entities, n);
	size_t *counts = xcalloc(n ? n : 1, sizeof *counts);
	struct mention_hit *hits = xcalloc(n ? n : 1, sizeof *hits);
	json_t *data = json_array();
	if (m.readout) {
		/* The readout's language and publisher are those of the first source. */
		json_t *sources = json_loads(m.sources_json ? m.sources_json : "[]", 0, NULL);
		json_t *source = json_array_get(sources, 0);
		json_t *language = json_object_get(source, "language");
		json_t *publisher = json_object_get(source, "publisher");
		model_mentions_count(&matcher, m.readout, counts);
		json_array_append_new(data, mentions_json(json_string("readout"), language,
		                                          publisher, cands, counts, n, hits));
		json_decref(sources);
	}
	json_t *readouts = json_loads(m.readouts_json ? m.readouts_json : "[]", 0, NULL);
	for (size_t r = 0; r < json_array_size(readouts); r++) {
		json_t *item = json_array_get(readouts, r);
		model_mentions_count(&matcher, json_string_value(json_object_get(item, "text")),
		                     counts);
		json_array_append_new(data, mentions_json(json_integer((json_int_t)r),
		                                          json_object_get(item, "language"),
		                                          json_object_get(item, "publisher"), cands,
		                                          counts, n, hits));
	}
	json_decref(readouts);
	api_json_etag(res, 200, json_pack("{s:o}", "data", data));
	model_mention_matcher_clear(&matcher);
	free(hits);
	free(counts);
	free(first);
	free(flat);
	free(entities);
	json_decref(names);
	for (size_t i = 0; i < n; i++)
		mention_candidate_clear(&cands[i]);
	free(cands);
	meeting_clear(&m);
}

/* ---- lists ---- */

/* A participant or principle filter that is well-formed but names nothing
 * (a slug or id no entity has) is 400, like any other bad filter. */
#define NOTHING_STORED "participant or principle names nothing stored."

static int collect_participant(void *ctx, const char *key, const char *value)
{
	struct meeting_filter *f = ctx;
	if (strcmp(key, "participant") != 0)
		return 0;
	if (f->participant_count == MEETING_FILTER_PARTICIPANTS_MAX)
		return 1;
	int rc = model_ref_parse(value, &f->participants[f->participant_count]);
	if (rc)
		return rc < 0 ? 2 : 3; /* 3: an id past any stored one */
	f->participant_count++;
	return 0;
}

/* A meeting summary in a list; ctx, when it points to a participant id
 * other than 0, adds that participant's "role". */
static json_t *meeting_item_json(const void *item, const void *ctx)
{
	const struct meeting *m = item;
	int64_t role_of = *(const int64_t *)ctx;
	json_t *out = api_meeting_json(m, false);
	for (size_t k = 0; role_of && k < m->participant_count; k++)
		if (m->participants[k].participant_id == role_of)
			json_object_set_new(out, "role",
			                    json_string(model_role_names[m->participants[k].role]));
	return out;
}

static int64_t meeting_item_id(const void *item)
{
	return ((const struct meeting *)item)->meta.id;
}

/* Answers a page of meetings; role_of, when not 0, adds that participant's
 * "role" to each item. */
static void respond_meetings(struct http_request *req, struct http_response *res,
                             const struct meeting_filter *f, const char *scope, int64_t role_of)
{
	struct api_page page;
	if (api_page_begin(req, scope, &page, res))
		return;
	struct meeting *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	/* The items of a list by date without a role are their stored
	 * summaries, which the store writes straight into the page. */
	struct xbuf text = {0};
	struct meeting_filter g = *f;
	if (!role_of && f->sort != MEETING_SORT_RANK) {
		api_page_open(&text);
		g.summaries = &text;
	}
	enum store_status st =
	    store_meeting_list(APP(req)->store, &g, page.has_after ? &page.after : NULL, page.limit,
	                       &items, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = "meeting",
	                                        .filters = "participant or principle"};
	const struct api_list_items kind = {.size = sizeof(struct meeting),
	                                    .encode = meeting_item_json,
	                                    .ctx = &role_of,
	                                    .id_of = meeting_item_id,
	                                    .clear = meeting_clear_any};
	api_list_respond(req, &page, st, &about, &kind, items, n, next_key, total, g.summaries,
	                 res);
}

int api_meeting_filter(struct http_request *req, struct meeting_filter *f, char **match,
                       struct http_response *res)
{
	*f = (struct meeting_filter){.kind = -1};
	*match = NULL;
	if (api_query_date(req, "from", &f->from, res) || api_query_date(req, "to", &f->to, res))
		return -1;
	const char *kind = http_query(req, "kind");
	if (kind && (f->kind = model_enum_parse(model_kind_names, kind)) < 0) {
		api_bad_request(
		    res, "kind must be one of meeting, talks, phone_call, video_call, summit, "
		         "visit, other.");
		return -1;
	}
	f->country = http_query(req, "country");
	if (f->country && !model_country_valid(f->country)) {
		api_bad_request(res, "country must be an assigned ISO 3166-1 alpha-2 code.");
		return -1;
	}
	int rc = http_query_each(req, collect_participant, f);
	if (rc) {
		api_bad_request(res, rc == 1 ? "At most 16 participant filters are allowed."
		                     : rc == 2
		                         ? "participant must be a positive integer id or a slug."
		                         : NOTHING_STORED);
		return -1;
	}
	const char *principle = http_query(req, "principle");
	rc = principle ? model_ref_parse(principle, &f->principle) : 0;
	if (rc) {
		api_bad_request(res, rc < 0 ? "principle must be a positive integer id or a slug."
		                            : NOTHING_STORED);
		return -1;
	}
	const char *q = http_query(req, "q");
	if (q && api_search_text(q, match, res))
		return -1;
	f->match = *match;
	const char *sort = http_query(req, "sort");
	if (!sort) {
		f->sort = q ? MEETING_SORT_RANK : MEETING_SORT_DATE_DESC;
	} else if (strcmp(sort, "date") == 0) {
		f->sort = MEETING_SORT_DATE;
	} else if (strcmp(sort, "-date") != 0) {
		api_bad_request(res, "sort must be -date or date.");
		free(*match);
		*match = NULL;
		return -1;
	}
	return 0;
}

HANDLER(api_meetings_list)
{
	int format = api_list_format(req, res);
	if (format < 0)
		return;
	struct meeting_filter f;
	char *match = NULL;
	if (api_meeting_filter(req, &f, &match, res))
		return;
	const char *q = http_query(req, "q");
	if (format == API_FORMAT_CSV) {
		api_csv_meetings(req, res, &f, q && !match);
		free(match);
		return;
	}
	/* The scope binds a cursor to this list: every filter, unambiguously. */
	json_t *scope =
	    json_pack("[s, i, s?, s?, i, s?, [], I, s?, s?]", "meetings", f.sort, f.from, f.to,
	              f.kind, f.country, (json_int_t)f.principle.id, f.principle.slug, q);
	for (size_t i = 0; i < f.participant_count; i++)
		json_array_append_new(
		    json_array_get(scope, 6),
		    json_pack("[I, s?]", (json_int_t)f.participants[i].id, f.participants[i].slug));
	size_t len;
	char *text = api_dump(scope, &len);
	json_decref(scope);
	if (q && !match) /* nothing in q can match anything */
		api_page_empty(req, text, res);
	else
		respond_meetings(req, res, &f, text, 0);
	free(text);
	free(match);
}

HANDLER(api_participants_meetings)
{
	struct participant p = {0};
	if (api_resource_load(&api_participants, req, req->params[0], &p, res) == 0) {
		struct meeting_filter f = {
		    .kind = -1, .sort = MEETING_SORT_DATE, .participant_count = 1};
		f.participants[0].id = p.meta.id;
		char *scope = xasprintf("participant-meetings|%lld", (long long)p.meta.id);
		respond_meetings(req, res, &f, scope, p.meta.id);
		free(scope);
	}
	participant_clear(&p);
}
