/*
 * libFuzzer harness for request-body decoding and validation. The first
 * byte picks what the rest is (modulo 4): a participant, principle or
 * meeting body (api_body_object, then the resource's decode into a zeroed
 * entity) or an import document (api_import_text against an in-memory
 * store). The body is handed over in a buffer of exactly its length, so a
 * read past the end is an AddressSanitizer report.
 *
 * Aborts when the answer is a 500 or any status the contract does not allow
 * there; when a body that decoded without problems breaks a rule the
 * decoder promises (a name that is not 1-200 characters, a bad date, slug
 * or country); when the 422 document does not list every problem; or when
 * an import that failed changed the store (a partial write).
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/resource.h"
#include "api/transfer.h"
#include "model/entities.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DB_URI "file:fuzzbody?mode=memory&cache=shared"
#define STORE_RUNS 2000 /* imports between two fresh stores, to bound growth */

/* An in-memory database lives while a connection holds it, and store_open
 * closes its own: keeper holds it for the store's life. */
static sqlite3 *keeper;
static struct store *store;
static unsigned long imports;

static void fail(const char *what, const char *detail, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_body: %s\n  %s\n  input (%zu bytes): [%.*s]\n", what,
	        detail ? detail : "", size, (int)(size > 4096 ? 4096 : size), (const char *)data);
	abort();
}

static void store_up(void)
{
	char err[512];
	if (sqlite3_open_v2(DB_URI, &keeper,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
	                    NULL) != SQLITE_OK ||
	    store_open(DB_URI, &store, err, sizeof err)) {
		fprintf(stderr, "fuzz_body: cannot open the store: %s\n", err);
		abort();
	}
	store_set_render(store, api_render); /* as readoutd does: imports record versions */
}

static void store_down(void)
{
	store_close(store);
	store = NULL;
	sqlite3_close(keeper);
	keeper = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	store_up();
	atexit(store_down);
	return 0;
}

static void response_free(struct http_response *res)
{
	free(res->body);
	for (size_t i = 0; i < res->header_count; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	memset(res, 0, sizeof *res);
}

/* A fingerprint of everything the store holds (new string). */
static char *fingerprint(void)
{
	static const char *const sql =
	    "SELECT (SELECT count(*) || '/' || total(version) || '/' || ifnull(max(updated_at), '')"
	    "        FROM participants) || ' ' ||"
	    "       (SELECT count(*) || '/' || total(version) || '/' || ifnull(max(updated_at), '')"
	    "        FROM principles) || ' ' ||"
	    "       (SELECT count(*) || '/' || total(version) || '/' || ifnull(max(updated_at), '')"
	    "        FROM meetings) || ' ' ||"
	    "       (SELECT count(*) FROM attendances) || ' ' ||"
	    "       (SELECT count(*) FROM invocations) || ' ' ||"
	    "       (SELECT count(*) FROM meeting_links)";
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(keeper, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!out) {
		fprintf(stderr, "fuzz_body: fingerprint: %s\n", sqlite3_errmsg(keeper));
		abort();
	}
	return out;
}

/* The problem document must be JSON with the status and every problem. */
static void check_problem(const struct http_response *res, size_t problems, const uint8_t *data,
                          size_t size)
{
	json_error_t err;
	json_t *doc = res->body ? json_loadb(res->body, res->body_len, 0, &err) : NULL;
	if (!doc)
		fail("the problem document is not JSON", res->body, data, size);
	if (json_integer_value(json_object_get(doc, "status")) != res->status)
		fail("the problem document's status differs from the response's", res->body, data,
		     size);
	if (problems && json_array_size(json_object_get(doc, "errors")) != problems)
		fail("the 422 document does not list every problem", res->body, data, size);
	json_decref(doc);
}

static bool text_ok(const char *s, size_t min, size_t max)
{
	if (!s)
		return min == 0;
	size_t n = model_utf8_length(s);
	return model_text_valid(s) && n >= min && n <= max;
}

static bool ref_ok(const struct model_ref *r)
{
	return r->id > 0 || (r->id == 0 && r->slug && model_slug_valid(r->slug));
}

static bool json_array_text(const char *s)
{
	json_t *doc = s ? json_loads(s, 0, NULL) : NULL;
	bool ok = json_is_array(doc);
	json_decref(doc);
	return ok;
}

/* What a body that decoded without problems must hold; NULL when it does. */
static const char *decoded_wrong(int which, const void *e)
{
	const struct entity_meta *meta = e;
	if (meta->slug && !model_slug_valid(meta->slug))
		return "an invalid slug was accepted";
	if (which == 0) {
		const struct participant *p = e;
		if (!text_ok(p->name, 1, MODEL_NAME_MAX))
			return "participant name not 1-200 characters";
		if (!text_ok(p->title, 0, MODEL_TEXT_MAX) ||
		    !text_ok(p->organization, 0, MODEL_TEXT_MAX))
			return "participant title or organization too long";
		if (p->country && !model_country_valid(p->country))
			return "participant country invalid";
		if (!json_array_text(p->aliases_json))
			return "participant aliases not a JSON array";
	} else if (which == 1) {
		const struct principle *p = e;
		if (!text_ok(p->name, 1, MODEL_NAME_MAX) ||
		    !text_ok(p->framework, 0, MODEL_TEXT_MAX) ||
		    !text_ok(p->description, 0, MODEL_SUMMARY_MAX))
			return "principle text out of range";
		if (!json_array_text(p->aliases_json))
			return "principle aliases not a JSON array";
	} else {
		const struct meeting *m = e;
		if (!text_ok(m->title, 1, MODEL_TITLE_MAX))
			return "meeting title not 1-500 characters";
		if (!model_date_valid(m->date))
			return "meeting date invalid";
		if (m->kind < KIND_MEETING || m->kind > KIND_OTHER)
			return "meeting kind out of range";
		if (m->country && !model_country_valid(m->country))
			return "meeting country invalid";
		if (!text_ok(m->summary, 0, MODEL_SUMMARY_MAX) ||
		    !text_ok(m->readout, 0, MODEL_READOUT_MAX))
			return "meeting summary or readout too long";
		if (!json_array_text(m->sources_json))
			return "meeting sources not a JSON array";
		if (!json_array_text(m->readouts_json))
			return "meeting readouts not a JSON array";
		for (size_t i = 0; i < m->participant_count; i++)
			if (!ref_ok(&m->participants[i].ref) || m->participants[i].role < 0 ||
			    m->participants[i].role > ROLE_ATTENDEE)
				return "meeting participant ref or role invalid";
		for (size_t i = 0; i < m->principle_count; i++) {
			const struct invocation *v = &m->principles[i];
			if (!ref_ok(&v->ref) || v->stance < 0 || v->stance > STANCE_CITED ||
			    !text_ok(v->quote, 0, MODEL_QUOTE_MAX) ||
			    (v->invoked_ref.slug && !ref_ok(&v->invoked_ref)))
				return "meeting principle ref, stance or quote invalid";
		}
		for (size_t i = 0; i < m->related_count; i++)
			if (!ref_ok(&m->related[i].ref) || m->related[i].relation < 0 ||
			    m->related[i].relation > RELATION_FOLLOWS_UP)
				return "meeting related ref or relation invalid";
	}
	return NULL;
}

static void fuzz_decode(int which, const char *body, size_t len, const uint8_t *data, size_t size)
{
	static const struct resource *const resources[] = {&api_participants, &api_principles,
	                                                   &api_meetings};
	const struct resource *r = resources[which];
	struct http_request req = {.body = body, .body_len = len};
	struct http_response res = {0};
	json_t *doc = api_body_object(&req, &res);
	if (!doc) {
		if (res.status != 400 && res.status != 422)
			fail("api_body_object failed without a 400 or 422", res.body, data, size);
		check_problem(&res, 0, data, size);
		response_free(&res);
		return;
	}
	if (res.status != 0)
		fail("api_body_object answered and returned a document", res.body, data, size);
	void *e = calloc(1, r->size);
	struct model_problems p = {0};
	r->decode(doc, e, &p);
	for (size_t i = 0; i < p.listed; i++)
		if (!p.items[i].pointer ||
		    (p.items[i].pointer[0] && p.items[i].pointer[0] != '/') || !p.items[i].detail ||
		    !p.items[i].detail[0])
			fail("a problem without a JSON pointer or detail", p.items[i].pointer, data,
			     size);
	if (p.count) {
		api_validation_problem(&res, &p);
		if (res.status != 422)
			fail("validation problems did not answer 422", res.body, data, size);
		check_problem(&res, p.listed, data, size);
	} else {
		const char *wrong = decoded_wrong(which, e);
		if (wrong)
			fail(wrong, NULL, data, size);
	}
	r->clear(e);
	free(e);
	model_problems_clear(&p);
	response_free(&res);
	json_decref(doc);
}

static void fuzz_import(const char *body, size_t len, const uint8_t *data, size_t size)
{
	if (++imports % STORE_RUNS == 0) {
		store_down();
		store_up();
	}
	char *before = fingerprint();
	struct http_response res = {0};
	api_import_text(store, body, len, &res);
	switch (res.status) {
	case 200:
		break;
	case 400:
	case 422:
	case 503: {
		check_problem(&res, 0, data, size);
		char *after = fingerprint();
		if (strcmp(before, after) != 0)
			fail("a failed import changed the store", after, data, size);
		free(after);
		break;
	}
	default:
		fail("import answered a status the contract does not allow", res.body, data, size);
	}
	free(before);
	response_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 4;
	size_t len = size - 1;
	/* Exactly len bytes, not NUL-terminated: api_import_text takes such text. */
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	if (which < 3)
		fuzz_decode(which, len ? body : NULL, len, data, size);
	else
		fuzz_import(body, len, data, size);
	free(body);
	return 0;
}
