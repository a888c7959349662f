/*
 * Helpers every resource shares: JSON responses with ETags, strict body
 * parsing, field readers that collect every problem, query parameters, and
 * the mapping of store statuses to HTTP problems.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "http/problem.h"
#include "model/xalloc.h"

const char *const api_read_only_fields[] = {"id",
                                            "created_at",
                                            "updated_at",
                                            "version",
                                            "meeting_count",
                                            "first_meeting_date",
                                            "last_meeting_date",
                                            "invocation_count",
                                            "first_invoked_date",
                                            NULL};

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_valid_at(const unsigned char *p, size_t n)
{
	size_t need = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (need == 0 || need > n || p[0] > 0xF4)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
	    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
		return 0;
	return need;
}

/* Writes s as a JSON string: quotes, backslashes and control characters
 * escaped, other text copied in runs; a byte that is not valid UTF-8
 * becomes U+FFFD, so the output is always valid JSON. */
static void out_string(struct xbuf *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	xbuf_reserve(o, n + 2);
	o->buf[o->len++] = '"';
	size_t run = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		size_t seq = c >= 0x80 ? utf8_valid_at(p + i, n - i) : 0;
		if (seq) {
			i += seq;
			continue;
		}
		xbuf_add(o, s + run, i - run);
		char esc[8];
		switch (c) {
		case '"':
			xbuf_add(o, "\\\"", 2);
			break;
		case '\\':
			xbuf_add(o, "\\\\", 2);
			break;
		case '\n':
			xbuf_add(o, "\\n", 2);
			break;
		case '\r':
			xbuf_add(o, "\\r", 2);
			break;
		case '\t':
			xbuf_add(o, "\\t", 2);
			break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", c);
				xbuf_add(o, esc, 6);
			} else {
				xbuf_add(o, "\xEF\xBF\xBD", 3); /* U+FFFD */
			}
		}
		run = ++i;
	}
	xbuf_add(o, s + run, n - run);
	xbuf_add(o, "\"", 1);
}

void api_out_string(struct xbuf *o, const char *s)
{
	if (s)
		out_string(o, s, strlen(s));
	else
		xbuf_add(o, "null", 4);
}

void api_out_int(struct xbuf *o, int64_t v)
{
	char num[24];
	xbuf_add(o, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v));
}

void api_out_real(struct xbuf *o, double v)
{
	char num[40];
	int n = snprintf(num, sizeof num, "%.17g", v);
	if (!strpbrk(num, ".eEni")) /* keep it a real: 2 -> 2.0 */
		n += snprintf(num + n, sizeof num - (size_t)n, ".0");
	xbuf_add(o, num, (size_t)n);
}

/* Writes v compactly, members in insertion order (as json_dumpb with
 * JSON_COMPACT would, several times faster on long strings). */
void api_out_json(struct xbuf *o, const json_t *v)
{
	if (!v) { /* a json_pack that failed: never expected, never a crash */
		xbuf_add(o, "null", 4);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		xbuf_add(o, "{", 1);
		const char *key;
		json_t *member;
		bool first = true;
		json_object_foreach((json_t *)v, key, member)
		{
			if (!first)
				xbuf_add(o, ",", 1);
			first = false;
			out_string(o, key, strlen(key));
			xbuf_add(o, ":", 1);
			api_out_json(o, member);
		}
		xbuf_add(o, "}", 1);
		return;
	}
	case JSON_ARRAY:
		xbuf_add(o, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				xbuf_add(o, ",", 1);
			api_out_json(o, json_array_get(v, i));
		}
		xbuf_add(o, "]", 1);
		return;
	case JSON_STRING:
		out_string(o, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		api_out_int(o, json_integer_value(v));
		return;
	case JSON_REAL:
		api_out_real(o, json_real_value(v));
		return;
	case JSON_TRUE:
		xbuf_add(o, "true", 4);
		return;
	case JSON_FALSE:
		xbuf_add(o, "false", 5);
		return;
	case JSON_NULL:
		xbuf_add(o, "null", 4);
		return;
	}
}

char *api_dump(const json_t *doc, size_t *len)
{
	struct xbuf o = {0};
	xbuf_reserve(&o, 4096);
	api_out_json(&o, doc);
	o.buf[o.len] = '\0';
	*len = o.len;
	return o.buf;
}

void api_json(struct http_response *res, int status, json_t *doc)
{
	size_t len;
	char *body = api_dump(doc, &len);
	json_decref(doc);
	http_set_body(res, status, "application/json", body, len);
}

void api_json_etag(struct http_response *res, int status, json_t *doc)
{
	size_t len;
	char *body = api_dump(doc, &len);
	json_decref(doc);
	api_body_etag(res, status, body, len, NULL);
}

void api_body_etag(struct http_response *res, int status, char *body, size_t len, const char *etag)
{
	http_set_body(res, status, "application/json", body, len);
	char own[MODEL_ETAG_LEN + 1];
	if (!etag)
		model_etag(res->body, res->body_len, own);
	http_add_header(res, "ETag", etag ? etag : own);
}

/* The deepest nesting of arrays and objects in text, and how many there
 * are, counted outside strings, before a parser builds anything. */
static void json_shape(const char *s, size_t len, int *max_depth, size_t *containers)
{
	int depth = 0;
	bool in_string = false;
	*max_depth = 0;
	*containers = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = false;
		} else if (ch == '"') {
			in_string = true;
		} else if (ch == '[' || ch == '{') {
			(*containers)++;
			if (++depth > *max_depth)
				*max_depth = depth;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
}

/* One open array or object on the way to a byte of a JSON text. */
struct json_frame {
	bool array;
	size_t index;              /* arrays: the item's index */
	size_t key_start, key_len; /* objects: the last key, as its quoted token */
};

/* The JSON pointer of the value that ends at byte `at` of a well-formed
 * text (s, len), which nests at most API_JSON_DEPTH_MAX deep; new string. */
static char *json_pointer_at(const char *s, size_t len, size_t at)
{
	struct json_frame stack[API_JSON_DEPTH_MAX + 1];
	int depth = 0;
	bool want_key = false;
	for (size_t i = 0; i < at && i < len; i++) {
		char ch = s[i];
		if (ch == '"') {
			size_t start = i;
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (want_key && depth > 0) {
				stack[depth - 1].key_start = start;
				stack[depth - 1].key_len = i + 1 - start;
				want_key = false;
			}
		} else if ((ch == '{' || ch == '[') && depth <= API_JSON_DEPTH_MAX) {
			stack[depth++] = (struct json_frame){.array = ch == '['};
			want_key = ch == '{';
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		} else if (ch == ',' && depth > 0) {
			stack[depth - 1].index++;
			want_key = !stack[depth - 1].array;
		}
	}
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	for (int d = 0; d < depth; d++) {
		if (stack[d].array) {
			fprintf(f, "/%zu", stack[d].index);
			continue;
		}
		json_t *key =
		    json_loadb(s + stack[d].key_start, stack[d].key_len, JSON_DECODE_ANY, NULL);
		char *token =
		    model_pointer_escape(json_is_string(key) ? json_string_value(key) : "");
		fprintf(f, "/%s", token);
		free(token);
		json_decref(key);
	}
	fclose(f);
	return out;
}

json_t *api_body_object(const struct http_request *req, struct http_response *res)
{
	if (!req->body || req->body_len == 0) {
		http_problem(res, 400, "malformed", "Malformed request body",
		             "The request body is empty.");
		return NULL;
	}
	int depth;
	size_t containers;
	json_shape(req->body, req->body_len, &depth, &containers);
	if (depth > API_JSON_DEPTH_MAX) {
		http_problem(res, 400, "malformed", "Malformed request body",
		             "The body nests arrays and objects deeper than 32 levels.");
		return NULL;
	}
	if (containers > API_JSON_CONTAINERS_MAX) {
		/* Each costs the parser about a hundred bytes: bound the memory. */
		http_problem(res, 400, "malformed", "Malformed request body",
		             "The body holds more than 2,000,000 arrays and objects.");
		return NULL;
	}
	json_error_t err;
	/* Any JSON value parses, so that a well-formed scalar is the 422 below
	 * like an array, not a 400. */
	json_t *doc =
	    json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (!doc && json_error_code(&err) == json_error_numeric_overflow) {
		/* A number out of every range this API has, which is 422 when the
		 * rest is well-formed: read as reals, integers cannot overflow, so
		 * the parse goes on past it and finds any other error. */
		json_error_t rest;
		json_t *again = json_loadb(
		    req->body, req->body_len,
		    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &rest);
		json_decref(again);
		if (!again && json_error_code(&rest) != json_error_numeric_overflow)
			err = rest;
	}
	if (!doc && json_error_code(&err) == json_error_numeric_overflow) {
		char *pointer = json_pointer_at(req->body, req->body_len, (size_t)err.position);
		struct model_problems p = {0};
		model_problems_add(&p, "is a number out of range", "%s", pointer);
		api_validation_problem(res, &p);
		model_problems_clear(&p);
		free(pointer);
		return NULL;
	}
	if (!doc) {
		char detail[256];
		snprintf(detail, sizeof detail, "%s (line %d, column %d)", err.text, err.line,
		         err.column);
		http_problem(res, 400, "malformed", "Malformed request body", detail);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		struct model_problems p = {0};
		model_problems_add(&p, "must be a JSON object", "%s", "");
		api_validation_problem(res, &p);
		model_problems_clear(&p);
		return NULL;
	}
	return doc;
}

#define MOVED_LOG_INTERVAL_S 60 /* at most one log line this often */

/* Logs that the database file is gone, once a MOVED_LOG_INTERVAL_S. */
static void log_moved(void)
{
	static atomic_llong last;
	long long now = (long long)time(NULL);
	long long before = atomic_load(&last);
	if (now - before < MOVED_LOG_INTERVAL_S ||
	    !atomic_compare_exchange_strong(&last, &before, now))
		return;
	fprintf(stderr, "{\"level\":\"error\",\"msg\":\"the database file was removed or "
	                "replaced while the server runs: writes and /readyz answer 503 until "
	                "it is back at its path or the server is restarted\"}\n");
}

void api_store_failure(struct http_response *res, enum store_status st,
                       const struct api_store_subject *s)
{
	char detail[160];
	switch (st) {
	case STORE_NOT_FOUND:
		if (s->conditional) {
			/* No current representation: If-Match fails, "*" too (RFC
			 * 9110 section 13.1.1). */
			snprintf(detail, sizeof detail, "If-Match given, but no such %s exists.",
			         s->what);
			http_problem(res, 412, "precondition-failed", "Precondition failed",
			             detail);
			return;
		}
		snprintf(detail, sizeof detail, "No such %s.", s->what);
		http_problem(res, 404, "not-found", "Not found", detail);
		return;
	case STORE_REFERENCED:
		snprintf(detail, sizeof detail,
		         "This %s is still referenced by meetings; remove those references first.",
		         s->what);
		http_problem(res, 409, "conflict", "Still referenced", detail);
		return;
	case STORE_CONFLICT:
		if (s->slug) {
			snprintf(detail, sizeof detail, "Another %s already has the slug '%s'.",
			         s->what, s->slug);
			http_problem(res, 409, "conflict", "Slug taken", detail);
			return;
		}
		snprintf(detail, sizeof detail, "The %s conflicts with the stored records.",
		         s->what);
		http_problem(res, 409, "conflict", "Conflict", detail);
		return;
	case STORE_INVALID_REF:
		if (!s->problems)
			break;
		api_validation_problem(res, s->problems);
		return;
	case STORE_UNKNOWN_FILTER:
		snprintf(detail, sizeof detail, "%s names nothing stored.",
		         s->filters ? s->filters : s->what);
		api_bad_request(res, detail);
		return;
	case STORE_BAD_CURSOR:
		api_bad_request(res, "cursor is not one this server issued for this list.");
		return;
	case STORE_BUSY:
		if (s->readiness) {
			http_unavailable(res, "Not ready",
			                 "The database does not answer or is not fully migrated.",
			                 1);
			return;
		}
		http_unavailable(res, "Service unavailable",
		                 "The database cannot serve this request now; try again shortly.",
		                 1);
		return;
	case STORE_STALE:
		http_problem(res, 412, "precondition-failed", "Precondition failed",
		             "The entity changed since it was read; fetch it again.");
		return;
	case STORE_MOVED:
		log_moved();
		http_unavailable(res, "Service unavailable",
		                 "The database file was removed or replaced while the server runs; "
		                 "writes are refused until it is back or the server restarts.",
		                 60);
		return;
	case STORE_GONE:
		snprintf(detail, sizeof detail,
		         "Changes after this since were pruned; read /v1/export again, then "
		         "follow from next_since (%lld).",
		         (long long)s->next_since);
		http_problem_with(res, 410, "changes-pruned", "Changes pruned", detail,
		                  json_pack("{s:I}", "next_since", (json_int_t)s->next_since));
		return;
	case STORE_ERROR:
	case STORE_UNSUPPORTED:
	case STORE_OK:
		break;
	}
	http_problem(res, 500, "internal", "Internal error", "The database failed unexpectedly.");
}

void api_store_problem(struct http_response *res, enum store_status st, const char *what)
{
	const struct api_store_subject s = {.what = what};
	api_store_failure(res, st, &s);
}

void api_validation_problem(struct http_response *res, const struct model_problems *p)
{
	json_t *errors = json_array();
	for (size_t i = 0; i < p->listed; i++)
		json_array_append_new(errors,
		                      json_pack("{s:s, s:s}", "pointer", p->items[i].pointer,
		                                "detail", p->items[i].detail));
	char detail[96];
	if (p->count == 1)
		snprintf(detail, sizeof detail, "1 field is invalid");
	else if (p->count == p->listed)
		snprintf(detail, sizeof detail, "%zu fields are invalid", p->count);
	else
		snprintf(detail, sizeof detail, "%zu fields are invalid; the first %zu are listed",
		         p->count, p->listed);
	http_problem_with(res, 422, "validation", "Invalid request body", detail,
	                  json_pack("{s:o}", "errors", errors));
}

void api_bad_request(struct http_response *res, const char *detail)
{
	http_problem(res, 400, "bad-request", "Bad request", detail);
}

int api_ref(const char *segment, const char *what, struct model_ref *ref, struct http_response *res)
{
	int rc = model_ref_parse(segment, ref);
	if (rc == 0)
		return 0;
	if (rc > 0)
		api_store_problem(res, STORE_NOT_FOUND, what);
	else
		api_bad_request(res, "A path reference must be a positive integer id or a slug.");
	return -1;
}

int api_string(json_t *obj, const char *key, const char *base, size_t min, size_t max,
               const char **out, struct model_problems *p)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		model_problems_add(p, "must be a string", "%s/%s", base, key);
		return -1;
	}
	const char *s = json_string_value(v);
	if (!model_text_valid(s)) {
		model_problems_add(p, "must not contain control characters", "%s/%s", base, key);
		return -1;
	}
	size_t n = model_utf8_length(s);
	if (n < min || n > max) {
		char detail[96];
		snprintf(detail, sizeof detail, "must be %zu to %zu characters long", min, max);
		model_problems_add(p, detail, "%s/%s", base, key);
		return -1;
	}
	*out = s;
	return 0;
}

void api_required(json_t *obj, const char *key, const char *base, struct model_problems *p)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		model_problems_add(p, "is required", "%s/%s", base, key);
}

int api_enum(json_t *obj, const char *key, const char *base, const char *const names[], int *out,
             struct model_problems *p)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	int i = json_is_string(v) ? model_enum_parse(names, json_string_value(v)) : -1;
	if (i < 0) {
		char detail[160] = "must be one of";
		for (int k = 0; names[k]; k++) {
			size_t used = strlen(detail);
			snprintf(detail + used, sizeof detail - used, "%s %s", k ? "," : "",
			         names[k]);
		}
		model_problems_add(p, detail, "%s/%s", base, key);
		return -1;
	}
	*out = i;
	return 0;
}

int api_ref_value(json_t *v, const char *pointer, struct model_ref *out, struct model_problems *p)
{
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= API_INT_MAX) {
		out->id = json_integer_value(v);
		out->slug = NULL;
		return 0;
	}
	if (json_is_string(v) && model_slug_valid(json_string_value(v))) {
		out->id = 0;
		out->slug = json_string_value(v);
		return 0;
	}
	model_problems_add(p, "must be an integer id from 1 to " API_INT_MAX_TEXT " or a slug",
	                   "%s", pointer);
	return -1;
}

int api_nested_ref(json_t *item, const char *base, struct model_ref *out, struct model_problems *p)
{
	json_t *id = json_object_get(item, "id");
	json_t *slug = json_object_get(item, "slug");
	char pointer[256];
	if (!id && !slug) {
		model_problems_add(p, "is required (or give id)", "%s/slug", base);
		return -1;
	}
	struct model_ref by_slug = {0};
	if (id) {
		snprintf(pointer, sizeof pointer, "%s/id", base);
		if (!json_is_integer(id)) {
			model_problems_add(p, "must be an integer from 1 to " API_INT_MAX_TEXT,
			                   "%s", pointer);
			return -1;
		}
		if (api_ref_value(id, pointer, out, p))
			return -1;
	}
	if (slug) {
		snprintf(pointer, sizeof pointer, "%s/slug", base);
		if (!json_is_string(slug)) {
			model_problems_add(p, "must be a slug string", "%s", pointer);
			return -1;
		}
		if (api_ref_value(slug, pointer, &by_slug, p))
			return -1;
		if (!id)
			out->id = 0;
		out->slug = by_slug.slug;
	}
	return 0;
}

void api_unknown_fields(json_t *obj, const char *base, const char *const allowed[],
                        struct model_problems *p)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool known = false;
		for (int i = 0; allowed[i] && !known; i++)
			known = strcmp(allowed[i], key) == 0;
		for (int i = 0; api_read_only_fields[i] && !known; i++)
			known = strcmp(api_read_only_fields[i], key) == 0;
		if (!known) {
			char *token = model_pointer_escape(key);
			model_problems_add(p, "is not a field of this resource", "%s/%s", base,
			                   token);
			free(token);
		}
	}
}

int api_query_int(const struct http_request *req, const char *name, int64_t min, int64_t max,
                  int64_t *out, struct http_response *res)
{
	const char *v = http_query(req, name);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || !(*v >= '0' && *v <= '9') || *end || n < min || n > max) {
		char detail[128];
		snprintf(detail, sizeof detail, "%s must be an integer from %lld to %lld.", name,
		         (long long)min, (long long)max);
		api_bad_request(res, detail);
		return -1;
	}
	*out = n;
	return 0;
}

int api_query_limit(const struct http_request *req, int *out, struct http_response *res)
{
	int64_t n = *out;
	if (api_query_int(req, "limit", 1, 200, &n, res))
		return -1;
	*out = (int)n;
	return 0;
}

/* Reads one type= value (a comma list) into a bit set of kinds. */
static int collect_type(void *ctx, const char *key, const char *value)
{
	unsigned *kinds = ctx;
	if (strcmp(key, "type") != 0)
		return 0;
	const char *p = value;
	do {
		size_t n = strcspn(p, ",");
		int k;
		for (k = 0; k < STORE_KINDS; k++)
			if (strlen(store_kinds[k].singular) == n &&
			    strncmp(store_kinds[k].singular, p, n) == 0)
				break;
		if (k == STORE_KINDS)
			return 1;
		*kinds |= 1u << k;
		p += n;
	} while (*p++ == ',');
	return 0;
}

int api_query_kinds(const struct http_request *req, unsigned *out, struct http_response *res)
{
	unsigned kinds = 0;
	if (http_query_each(req, collect_type, &kinds)) {
		api_bad_request(res, "type must be meeting, participant or principle.");
		return -1;
	}
	*out = kinds ? kinds : (1u << STORE_KINDS) - 1;
	return 0;
}

int api_query_bool(const struct http_request *req, const char *name, bool *out,
                   struct http_response *res)
{
	const char *v = http_query(req, name);
	if (!v)
		return 0;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || *v == '\0') {
		*out = true;
	} else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
	} else {
		char detail[96];
		snprintf(detail, sizeof detail, "%s must be true or false.", name);
		api_bad_request(res, detail);
		return -1;
	}
	return 0;
}

int api_query_date(const struct http_request *req, const char *name, const char **out,
                   struct http_response *res)
{
	const char *v = http_query(req, name);
	if (!v)
		return 0;
	if (!model_date_valid(v)) {
		char detail[96];
		snprintf(detail, sizeof detail, "%s must be a real date YYYY-MM-DD.", name);
		api_bad_request(res, detail);
		return -1;
	}
	*out = v;
	return 0;
}

char *api_markup_text(const char *s, bool marks)
{
	size_t n = s ? strlen(s) : 0;
	char *out = xmalloc(7 * n + 1), *o = out; /* "</mark>" is the longest */
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		const char *with = NULL;
		switch (*p) {
		case '&':
			with = "&amp;";
			break;
		case '<':
			with = "&lt;";
			break;
		case '>':
			with = "&gt;";
			break;
		case '"':
			with = "&quot;";
			break;
		case '\'':
			with = "&#39;";
			break;
		case '\x01':
		case '\x02':
			with = !marks ? "" : *p == '\x01' ? "<mark>" : "</mark>";
			break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				with = "";
			else if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
				with = "", p += 2;
		}
		if (!with)
			*o++ = (char)*p;
		else
			o = stpcpy(o, with);
	}
	*o = '\0';
	return out;
}

void api_markup(FILE *f, const char *s, bool marks)
{
	char *text = api_markup_text(s, marks);
	fputs(text, f);
	free(text);
}
