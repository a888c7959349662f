/*
 * The single-entity verbs and list pages, written once for every resource.
 */
#include "api/resource.h"

#include <stdlib.h>
#include <string.h>

#include "http/problem.h"
#include "model/xalloc.h"

#define PATCH_RETRIES 3

json_t *api_str(const char *s)
{
	/* Stored text came in as valid JSON; api_dump replaces any invalid
	 * byte all the same, so the check json_string makes is not needed. */
	return s ? json_string_nocheck(s) : json_null();
}

char *api_dup(json_t *obj, const char *key)
{
	return xstrdup(json_string_value(json_object_get(obj, key)));
}

void api_country(json_t *obj, const char *key, const char *base, char **out,
                 struct model_problems *p)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v) || !model_country_valid(json_string_value(v))) {
		model_problems_add(p, "must be an assigned ISO 3166-1 alpha-2 code in upper case",
		                   "%s/%s", base, key);
		return;
	}
	*out = xstrdup(json_string_value(v));
}

char *api_aliases(json_t *body, struct model_problems *p)
{
	json_t *a = json_object_get(body, "aliases");
	if (!a || json_is_null(a))
		return xstrdup("[]");
	if (!json_is_array(a) || json_array_size(a) > MODEL_ALIASES_MAX) {
		model_problems_add(p, "must be an array of at most 20 names", "/aliases");
		return NULL;
	}
	size_t i;
	json_t *v;
	bool ok = true;
	json_array_foreach(a, i, v)
	{
		size_t n = json_is_string(v) && model_text_valid(json_string_value(v))
		               ? model_utf8_length(json_string_value(v))
		               : 0;
		if (n < 1 || n > MODEL_NAME_MAX) {
			model_problems_add(p, "must be a string of 1 to 200 characters",
			                   "/aliases/%zu", i);
			ok = false;
			continue;
		}
		for (size_t k = 0; k < i; k++) {
			if (json_equal(json_array_get(a, k), v)) {
				model_problems_add(p, "repeats an earlier alias", "/aliases/%zu",
				                   i);
				ok = false;
				break;
			}
		}
	}
	if (!ok)
		return NULL;
	size_t len;
	return api_dump(a, &len);
}

void api_slug(json_t *obj, const char *base, char **out, struct model_problems *p)
{
	json_t *v = json_object_get(obj, "slug");
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v) || !model_slug_valid(json_string_value(v))) {
		model_problems_add(p,
		                   "must match [a-z0-9]+(-[a-z0-9]+)*, be at most 100 characters "
		                   "and not be all digits",
		                   "%s/slug", base);
		return;
	}
	*out = xstrdup(json_string_value(v));
}

json_t *api_merge_patch(json_t *target, json_t *patch)
{
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		if (json_is_null(v))
			json_object_del(out, key);
		else
			json_object_set_new(out, key,
			                    api_merge_patch(json_object_get(out, key), v));
	}
	return out;
}

static struct entity_meta *meta_of(void *e)
{
	return (struct entity_meta *)e;
}

void api_resource_respond(const struct resource *r, const void *e, int status,
                          struct http_response *res)
{
	const struct entity_meta *meta = e; /* every record struct starts with it */
	if (meta->body)
		api_body_etag(res, status, xstrndup(meta->body, meta->body_len), meta->body_len,
		              NULL);
	else
		api_json_etag(res, status, r->encode(e));
}

/* Parses the reference segment of r into ref; answers and returns -1 when
 * it cannot name a record, 1 when it parses but names none, else 0. */
static int resource_ref(const struct resource *r, const char *segment, struct model_ref *ref,
                        struct http_response *res)
{
	int rc = model_ref_parse(segment, ref);
	return rc < 0 ? api_ref(segment, r->name, ref, res) : rc;
}

/* Answers the failure st of a read of r. */
static void read_failure(const struct resource *r, struct http_request *req, enum store_status st,
                         struct http_response *res)
{
	const struct api_store_subject s = {.what = r->name,
	                                    .conditional = http_header(req, "If-Match") != NULL};
	api_store_failure(res, st, &s);
}

int api_resource_load(const struct resource *r, struct http_request *req, const char *segment,
                      void *out, struct http_response *res)
{
	struct model_ref ref;
	int rc = resource_ref(r, segment, &ref, res);
	if (rc < 0)
		return -1;
	enum store_status st = rc > 0 ? STORE_NOT_FOUND : r->get(APP(req)->store, &ref, out);
	if (st != STORE_OK) {
		read_failure(r, req, st, res);
		return -1;
	}
	return 0;
}

/* GET of one record: its representation as the store keeps or renders it
 * (store_get_json), the bytes its last write answered. */
void api_resource_get(struct http_request *req, struct http_response *res)
{
	const struct resource *r = req->route_data;
	struct model_ref ref;
	int rc = resource_ref(r, req->params[0], &ref, res);
	if (rc < 0)
		return;
	char *body = NULL;
	size_t len = 0;
	char etag[MODEL_ETAG_LEN + 1];
	enum store_status st =
	    rc > 0 ? STORE_NOT_FOUND
	           : store_get_json(APP(req)->store, r->kind, &ref, &body, &len, etag);
	if (st != STORE_OK)
		read_failure(r, req, st, res);
	else
		api_body_etag(res, 200, body, len, etag);
}

/* Maps the status of a write to its answer; on STORE_OK answers the stored
 * entity. */
static void write_result(const struct resource *r, enum store_status st, void *e,
                         struct model_problems *p, int status, struct http_response *res)
{
	if (st != STORE_OK) {
		const struct api_store_subject s = {.what = r->name,
		                                    .slug =
		                                        meta_of(e)->slug ? meta_of(e)->slug : "",
		                                    .problems = p};
		api_store_failure(res, st, &s);
		return;
	}
	api_resource_respond(r, e, status, res);
	if (status == 201) {
		char location[128];
		snprintf(location, sizeof location, "%s/%lld", r->collection,
		         (long long)meta_of(e)->id);
		http_add_header(res, "Location", location);
	}
}

/* Answers 422 for a body with problems, adding those of its references. */
static void invalid(const struct resource *r, struct http_request *req, int64_t id, void *e,
                    struct model_problems *p, struct http_response *res)
{
	if (r->check_refs) {
		enum store_status st = r->check_refs(APP(req)->store, id, e, p);
		if (st != STORE_OK) {
			api_store_problem(res, st, r->name);
			return;
		}
	}
	api_validation_problem(res, p);
}

void api_resource_create(struct http_request *req, struct http_response *res)
{
	const struct resource *r = req->route_data;
	json_t *body = api_body_object(req, res);
	if (!body)
		return;
	void *e = xcalloc(1, r->size);
	struct model_problems p = {0};
	r->decode(body, e, &p);
	if (p.count)
		invalid(r, req, 0, e, &p, res);
	else
		write_result(r, r->create(APP(req)->store, e, &p), e, &p, 201, res);
	model_problems_clear(&p);
	r->clear(e);
	free(e);
	json_decref(body);
}

bool api_resource_precondition(const struct resource *r, struct http_request *req, const void *cur,
                               struct http_response *res)
{
	if (!http_header(req, "If-Match") && !http_header(req, "If-None-Match"))
		return true;
	size_t len;
	json_t *doc = r->encode(cur);
	char *text = api_dump(doc, &len);
	json_decref(doc);
	char etag[MODEL_ETAG_LEN + 1];
	model_etag(text, len, etag);
	free(text);
	if (!http_if_match_ok(req, etag, true)) {
		http_problem(res, 412, "precondition-failed", "Precondition failed",
		             "If-Match does not match the current ETag.");
		return false;
	}
	/* On a write, an If-None-Match that matches fails (RFC 9110 section
	 * 13.1.2): the client asked to change only another state. */
	if (http_if_none_match(req, etag)) {
		http_problem(res, 412, "precondition-failed", "Precondition failed",
		             "If-None-Match matches the current ETag.");
		return false;
	}
	return true;
}

/* A checked write (expected version given) to an entity deleted since it was
 * read fails its precondition: 412 like any other change in between. */
static enum store_status gone_if_checked(enum store_status st, int64_t version)
{
	return st == STORE_NOT_FOUND && version ? STORE_STALE : st;
}

/* Validates doc as the new state of cur and stores it. The version check
 * applies when the client sent If-Match or always_check is set. Returns the
 * store status (STORE_INVALID_REF when the body had problems, which are
 * answered already). */
static enum store_status replace_with(const struct resource *r, struct http_request *req, void *cur,
                                      json_t *doc, bool always_check, struct http_response *res)
{
	void *e = xcalloc(1, r->size);
	struct model_problems p = {0};
	r->decode(doc, e, &p);
	enum store_status st = STORE_INVALID_REF;
	if (p.count) {
		invalid(r, req, meta_of(cur)->id, e, &p, res);
	} else {
		if (!meta_of(e)->slug)
			meta_of(e)->slug = xstrdup(meta_of(cur)->slug);
		int64_t version =
		    always_check || http_header(req, "If-Match") ? meta_of(cur)->version : 0;
		st = gone_if_checked(r->replace(APP(req)->store, meta_of(cur)->id, version, e, &p),
		                     version);
		if (st != STORE_STALE || !always_check)
			write_result(r, st, e, &p, 200, res);
	}
	model_problems_clear(&p);
	r->clear(e);
	free(e);
	return st;
}

void api_resource_replace(struct http_request *req, struct http_response *res)
{
	const struct resource *r = req->route_data;
	json_t *body = api_body_object(req, res);
	if (!body)
		return;
	void *cur = xcalloc(1, r->size);
	if (api_resource_load(r, req, req->params[0], cur, res) == 0 &&
	    api_resource_precondition(r, req, cur, res))
		replace_with(r, req, cur, body, false, res);
	r->clear(cur);
	free(cur);
	json_decref(body);
}

void api_resource_patch(struct http_request *req, struct http_response *res)
{
	const struct resource *r = req->route_data;
	json_t *body = api_body_object(req, res);
	if (!body)
		return;
	void *cur = xcalloc(1, r->size);
	bool conditional = http_header(req, "If-Match") != NULL;
	/* Without If-Match a concurrent change is merged over by retrying on
	 * the fresh state; with it, the client asked for exactly that state. */
	for (int attempt = 0; attempt < PATCH_RETRIES; attempt++) {
		r->clear(cur);
		memset(cur, 0, r->size);
		if (api_resource_load(r, req, req->params[0], cur, res) ||
		    !api_resource_precondition(r, req, cur, res))
			break;
		json_t *base = r->writable(cur);
		json_t *doc = api_merge_patch(base, body);
		json_decref(base);
		bool last = conditional || attempt == PATCH_RETRIES - 1;
		enum store_status st = replace_with(r, req, cur, doc, !last, res);
		json_decref(doc);
		if (st != STORE_STALE || last)
			break;
	}
	r->clear(cur);
	free(cur);
	json_decref(body);
}

void api_resource_delete(struct http_request *req, struct http_response *res)
{
	const struct resource *r = req->route_data;
	void *cur = xcalloc(1, r->size);
	if (api_resource_load(r, req, req->params[0], cur, res) == 0 &&
	    api_resource_precondition(r, req, cur, res)) {
		int64_t version = http_header(req, "If-Match") ? meta_of(cur)->version : 0;
		enum store_status st =
		    gone_if_checked(r->remove(APP(req)->store, meta_of(cur)->id, version), version);
		if (st == STORE_OK)
			http_set_body(res, 204, NULL, NULL, 0);
		else
			api_store_problem(res, st, r->name);
	}
	r->clear(cur);
	free(cur);
}

/* ---- list pages ---- */

void api_cursor_pos(struct cursor_pos *pos, const char *key, int64_t id)
{
	snprintf(pos->key, sizeof pos->key, "%s", key ? key : "");
	pos->id = id;
}

int api_page_begin(struct http_request *req, const char *scope, struct api_page *page,
                   struct http_response *res)
{
	memset(page, 0, sizeof *page);
	page->limit = 50;
	/* The scope may be long (every filter): the cursor binds to a keyed
	 * digest of it, so no part of it can be cut off. */
	snprintf(page->scope, sizeof page->scope, "%016llx",
	         (unsigned long long)cursor_siphash(store_cursor_key(APP(req)->store), scope,
	                                            strlen(scope)));
	if (api_query_limit(req, &page->limit, res) ||
	    api_query_bool(req, "count", &page->count, res))
		return -1;
	const char *cursor = http_query(req, "cursor");
	if (cursor) {
		if (cursor_decode(store_cursor_key(APP(req)->store), page->scope, cursor,
		                  &page->after)) {
			api_bad_request(res, "cursor is not one this server issued for this list.");
			return -1;
		}
		page->has_after = true;
	}
	return 0;
}

void api_url_encode(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~')
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

struct query_copy {
	FILE *f;
	bool first;
};

static int copy_param(void *ctx, const char *key, const char *value)
{
	struct query_copy *q = ctx;
	if (strcmp(key, "cursor") == 0)
		return 0;
	fputc(q->first ? '?' : '&', q->f);
	q->first = false;
	api_url_encode(q->f, key);
	fputc('=', q->f);
	api_url_encode(q->f, value);
	return 0;
}

void api_page_open(struct xbuf *text)
{
	xbuf_add(text, "{\"data\":[", 9);
}

void api_page_respond(struct http_request *req, const struct api_page *page, struct xbuf *text,
                      const struct cursor_pos *last, int64_t total, struct http_response *res)
{
	json_t *rest = json_object();
	char *cursor =
	    last ? cursor_encode(store_cursor_key(APP(req)->store), page->scope, last) : NULL;
	json_object_set_new(rest, "next_cursor", api_str(cursor));
	if (page->count)
		json_object_set_new(rest, "total", json_integer(total));
	xbuf_add(text, "]", 1);
	size_t brace = text->len;
	api_out_json(text, rest);
	json_decref(rest);
	text->buf[brace] = ','; /* {"next_cursor":...} continues the object */
	text->buf[text->len] = '\0';
	http_set_body(res, 200, "application/json", text->buf, text->len);
	*text = (struct xbuf){0};
	if (page->count) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)total);
		http_add_header(res, "X-Total-Count", n);
	}
	if (cursor) {
		char *url = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&url, &len);
		char *base = http_base_url(req);
		fprintf(f, "<%s", base);
		free(base);
		struct query_copy q = {f, true};
		http_query_each(req, copy_param, &q);
		fprintf(f, "%ccursor=", q.first ? '?' : '&');
		api_url_encode(f, cursor);
		fputs(">; rel=\"next\"", f);
		fclose(f);
		http_add_header(res, "Link", url);
		free(url);
	}
	free(cursor);
}

void api_list_respond(struct http_request *req, const struct api_page *page, enum store_status st,
                      const struct api_store_subject *s, const struct api_list_items *k,
                      void *items, size_t n, char *next_key, int64_t total, struct xbuf *text,
                      struct http_response *res)
{
	char *item = items;
	struct xbuf own = {0};
	if (st != STORE_OK) {
		api_store_failure(res, st, s);
	} else {
		if (!text) { /* each item's JSON: what write writes, or its encoding */
			text = &own;
			api_page_open(text);
			for (size_t i = 0; i < n; i++) {
				if (i)
					xbuf_add(text, ",", 1);
				if (k->write) {
					k->write(text, item + i * k->size, k->ctx);
				} else {
					json_t *doc = k->encode(item + i * k->size, k->ctx);
					api_out_json(text, doc);
					json_decref(doc);
				}
			}
		}
		struct cursor_pos last = {0};
		if (next_key && n)
			api_cursor_pos(&last, next_key, k->id_of(item + (n - 1) * k->size));
		api_page_respond(req, page, text, next_key && n ? &last : NULL, total, res);
	}
	if (text)
		free(text->buf);
	for (size_t i = 0; items && i < n; i++)
		k->clear(item + i * k->size);
	free(items);
	free(next_key);
}

void api_page_empty(struct http_request *req, const char *scope, struct http_response *res)
{
	struct api_page page;
	struct xbuf text = {0};
	if (api_page_begin(req, scope, &page, res) == 0) {
		api_page_open(&text);
		api_page_respond(req, &page, &text, NULL, 0, res);
	}
}
