/* HTTP tests of /v1/principles and /v1/principles/{ref}/timeline: the real
 * server on port 0, spoken to with libcurl. Invocations are made through
 * POST /v1/meetings. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

static struct harness h;

static void setup(void)
{
	harness_start(&h, NULL);
}

static void teardown(void)
{
	harness_stop(&h);
}

/* POSTs body to /v1/principles, asserts 201 and returns the new id. */
static long long create(const char *body)
{
	struct reply *r = write_json(&h, "POST", "/v1/principles", body);
	ck_assert_msg(r->status == 201, "create %s: %ld %s", body, r->status, r->body);
	long long id = jint(r->json, "id");
	reply_free(r);
	return id;
}

/* POSTs a meeting body, asserts 201 and returns the new id. */
static long long create_meeting(const char *body)
{
	struct reply *r = write_json(&h, "POST", "/v1/meetings", body);
	ck_assert_msg(r->status == 201, "meeting %s: %ld %s", body, r->status, r->body);
	long long id = jint(r->json, "id");
	reply_free(r);
	return id;
}

/* The "If-Match: <etag>" (or other) header line for an ETag. */
static const char *header_line(const char *name, const char *value)
{
	static char line[256];
	snprintf(line, sizeof line, "%s: %s", name, value);
	return line;
}

START_TEST(create_and_read)
{
	struct reply *r =
	    write_json(&h, "POST", "/v1/principles",
	               "{\"name\": \"Peaceful coexistence\", \"framework\": \"Five Principles\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	long long id = jint(r->json, "id");
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(reply_header(r, "Location"), path_fmt("/v1/principles/%lld", id));
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
	ck_assert_int_eq(etag[0], '"');
	ck_assert_str_eq(jstr(r->json, "slug"), "peaceful-coexistence");
	ck_assert_str_eq(jstr(r->json, "name"), "Peaceful coexistence");
	ck_assert_str_eq(jstr(r->json, "framework"), "Five Principles");
	ck_assert(json_is_null(jget(r->json, "description")));
	ck_assert_int_eq(jint(r->json, "invocation_count"), 0);
	ck_assert(json_is_null(jget(r->json, "first_invoked_date")));
	ck_assert_int_eq(jint(r->json, "version"), 1);
	ck_assert_int_eq(strlen(jstr(r->json, "created_at")), 24);
	ck_assert_str_eq(jstr(r->json, "created_at"), jstr(r->json, "updated_at"));
	/* Every field, in the documented order. */
	static const char *const order[] = {"id",
	                                    "slug",
	                                    "name",
	                                    "aliases",
	                                    "framework",
	                                    "description",
	                                    "invocation_count",
	                                    "first_invoked_date",
	                                    "created_at",
	                                    "updated_at",
	                                    "version",
	                                    NULL};
	void *it = json_object_iter(r->json);
	for (int i = 0; order[i]; i++, it = json_object_iter_next(r->json, it)) {
		ck_assert_ptr_nonnull(it);
		ck_assert_str_eq(json_object_iter_key(it), order[i]);
	}
	ck_assert_ptr_null(it);

	/* The same representation by id and by slug, with the same ETag. */
	struct reply *by_id = get(&h, path_fmt("/v1/principles/%lld", id));
	ck_assert_int_eq(by_id->status, 200);
	ck_assert_str_eq(by_id->body, r->body);
	ck_assert_str_eq(reply_header(by_id, "ETag"), etag);
	struct reply *by_slug = get(&h, "/v1/principles/peaceful-coexistence");
	ck_assert_int_eq(by_slug->status, 200);
	ck_assert_str_eq(by_slug->body, r->body);
	ck_assert_str_eq(reply_header(by_slug, "ETag"), etag);
	struct reply *head = req(&h, "HEAD", "/v1/principles/peaceful-coexistence", NULL, NULL);
	ck_assert_int_eq(head->status, 200);
	ck_assert_int_eq(head->len, 0);
	ck_assert_str_eq(reply_header(head, "ETag"), etag);
	reply_free(head);
	reply_free(by_slug);
	reply_free(by_id);
	reply_free(r);
}
END_TEST

START_TEST(slugs_derived_deduplicated_and_unique)
{
	long long a = create("{\"name\": \"Mutual respect\"}");
	struct reply *r =
	    write_json(&h, "POST", "/v1/principles", "{\"name\": \"Mutual  RESPECT!\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(jstr(r->json, "slug"), "mutual-respect-2");
	reply_free(r);
	r = write_json(&h, "POST", "/v1/principles", "{\"name\": \"Mutual respect\"}");
	ck_assert_str_eq(jstr(r->json, "slug"), "mutual-respect-3");
	reply_free(r);
	/* An explicit slug is kept as given... */
	r = write_json(&h, "POST", "/v1/principles",
	               "{\"name\": \"Win-win\", \"slug\": \"win-win-cooperation\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(jstr(r->json, "slug"), "win-win-cooperation");
	reply_free(r);
	/* ...and one already taken is 409, writing nothing. */
	r = write_json(&h, "POST", "/v1/principles",
	               "{\"name\": \"Other\", \"slug\": \"mutual-respect\"}");
	assert_problem(r, 409, "conflict");
	reply_free(r);
	r = get(&h, "/v1/principles?count=true");
	ck_assert_int_eq(jint(r->json, "total"), 4);
	reply_free(r);
	r = get(&h, "/v1/principles/mutual-respect");
	ck_assert_int_eq(jint(r->json, "id"), a);
	reply_free(r);
	/* A name with nothing sluggable falls back. */
	r = write_json(&h, "POST", "/v1/principles", "{\"name\": \"!!!\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(jstr(r->json, "slug"), "principle");
	reply_free(r);
}
END_TEST

START_TEST(not_found_and_bad_refs)
{
	create("{\"name\": \"Sovereignty\"}");
	const char *missing[] = {"/v1/principles/999", "/v1/principles/no-such-thing",
	                         "/v1/principles/999/timeline", "/v1/principles/nope/timeline",
	                         NULL};
	for (int i = 0; missing[i]; i++) {
		struct reply *r = get(&h, missing[i]);
		assert_problem(r, 404, "not-found");
		reply_free(r);
	}
	const char *bad[] = {"/v1/principles/0",
	                     "/v1/principles/Bad%20Slug",
	                     "/v1/principles/-1",
	                     "/v1/principles/a--b",
	                     "/v1/principles/0/timeline",
	                     "/v1/principles/Bad%20Slug/timeline",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		struct reply *r = get(&h, bad[i]);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	struct reply *r = write_json(&h, "PUT", "/v1/principles/0", "{\"name\": \"X\"}");
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = write_json(&h, "PUT", "/v1/principles/404", "{\"name\": \"X\"}");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = write_json(&h, "PATCH", "/v1/principles/missing", "{\"name\": \"X\"}");
	assert_problem(r, 404, "not-found");
	reply_free(r);
}
END_TEST

START_TEST(put_replaces_and_keeps_slug)
{
	long long id = create("{\"name\": \"Equality\", \"framework\": \"F\", \"description\": "
	                      "\"All equal.\"}");
	struct reply *r = write_json(&h, "PUT", path_fmt("/v1/principles/%lld", id),
	                             "{\"name\": \"Equality and mutual benefit\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "slug"), "equality");
	ck_assert_str_eq(jstr(r->json, "name"), "Equality and mutual benefit");
	/* PUT replaces the whole record: omitted optional fields become null. */
	ck_assert(json_is_null(jget(r->json, "framework")));
	ck_assert(json_is_null(jget(r->json, "description")));
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_ptr_nonnull(reply_header(r, "ETag"));
	reply_free(r);
	r = write_json(&h, "PUT", "/v1/principles/equality",
	               "{\"name\": \"Equality\", \"slug\": \"equality-and-benefit\", \"id\": 77, "
	               "\"version\": 9, \"invocation_count\": 5}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "id"), id);
	ck_assert_str_eq(jstr(r->json, "slug"), "equality-and-benefit");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	ck_assert_int_eq(jint(r->json, "invocation_count"), 0);
	reply_free(r);
	r = get(&h, "/v1/principles/equality");
	ck_assert_int_eq(r->status, 404);
	reply_free(r);
	/* Taking another principle's slug is 409 and changes nothing. */
	create("{\"name\": \"Taken\"}");
	r = write_json(&h, "PUT", path_fmt("/v1/principles/%lld", id),
	               "{\"name\": \"Equality\", \"slug\": \"taken\"}");
	assert_problem(r, 409, "conflict");
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/%lld", id));
	ck_assert_str_eq(jstr(r->json, "slug"), "equality-and-benefit");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
}
END_TEST

START_TEST(patch_merges)
{
	long long id = create("{\"name\": \"Non-interference\", \"framework\": \"Five\", "
	                      "\"description\": \"Keep out.\"}");
	const char *path = path_fmt("/v1/principles/%lld", id);
	char p[64];
	snprintf(p, sizeof p, "%s", path);
	struct reply *r = write_json(&h, "PATCH", p, "{\"framework\": null}");
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_null(jget(r->json, "framework")));
	ck_assert_str_eq(jstr(r->json, "description"), "Keep out.");
	ck_assert_str_eq(jstr(r->json, "name"), "Non-interference");
	ck_assert_str_eq(jstr(r->json, "slug"), "non-interference");
	ck_assert_int_eq(jint(r->json, "version"), 2);
	reply_free(r);
	const char *const merge[] = {"AUTH", "Content-Type: application/merge-patch+json", NULL};
	r = req(&h, "PATCH", p, "{\"description\": \"Stay out.\"}", merge);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "description"), "Stay out.");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	const char *const text[] = {"AUTH", "Content-Type: text/plain", NULL};
	r = req(&h, "PATCH", p, "{\"description\": \"x\"}", text);
	assert_problem(r, 415, "unsupported-media-type");
	reply_free(r);
	r = req(&h, "POST", "/v1/principles", "{\"name\": \"x\"}", text);
	assert_problem(r, 415, "unsupported-media-type");
	reply_free(r);
	/* merge-patch+json is for PATCH only. */
	r = req(&h, "PUT", p, "{\"name\": \"x\"}", merge);
	assert_problem(r, 415, "unsupported-media-type");
	reply_free(r);
	/* Clearing the required name is a validation error. */
	r = write_json(&h, "PATCH", p, "{\"name\": null}");
	assert_problem(r, 422, "validation");
	ck_assert(has_pointer(r, "/name"));
	reply_free(r);
	r = get(&h, p);
	ck_assert_str_eq(jstr(r->json, "name"), "Non-interference");
	ck_assert_str_eq(jstr(r->json, "description"), "Stay out.");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
}
END_TEST

START_TEST(conditional_requests)
{
	long long id = create("{\"name\": \"Good faith\"}");
	char path[64];
	snprintf(path, sizeof path, "/v1/principles/%lld", id);
	struct reply *cur = get(&h, path);
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(cur, "ETag"));
	reply_free(cur);

	const char *const inm[] = {header_line("If-None-Match", etag), NULL};
	struct reply *r = req(&h, "GET", path, NULL, inm);
	ck_assert_int_eq(r->status, 304);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	const char *const inm_other[] = {"If-None-Match: \"0000000000000000\"", NULL};
	r = req(&h, "GET", path, NULL, inm_other);
	ck_assert_int_eq(r->status, 200);
	reply_free(r);

	const char *stale = "If-Match: \"0123456789abcdef\"";
	const char *const stale_hdr[] = {"AUTH", stale, NULL};
	r = req(&h, "PUT", path, "{\"name\": \"Bad faith\"}", stale_hdr);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	r = req(&h, "PATCH", path, "{\"name\": \"Bad faith\"}", stale_hdr);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	r = req(&h, "DELETE", path, NULL, stale_hdr);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	r = get(&h, path);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "name"), "Good faith");
	ck_assert_int_eq(jint(r->json, "version"), 1);
	ck_assert_str_eq(reply_header(r, "ETag"), etag);
	reply_free(r);

	/* The current ETag matches; the write changes the ETag. */
	char match[96];
	snprintf(match, sizeof match, "If-Match: %s", etag);
	const char *const ok_hdr[] = {"AUTH", match, NULL};
	r = req(&h, "PATCH", path, "{\"description\": \"Honest.\"}", ok_hdr);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_str_ne(reply_header(r, "ETag"), etag);
	reply_free(r);
	/* The old ETag no longer matches. */
	r = req(&h, "DELETE", path, NULL, ok_hdr);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	const char *const star[] = {"AUTH", "If-Match: *", NULL};
	r = req(&h, "DELETE", path, NULL, star);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
}
END_TEST

START_TEST(delete_then_gone)
{
	long long id = create("{\"name\": \"Transient\"}");
	char path[64];
	snprintf(path, sizeof path, "/v1/principles/%lld", id);
	struct reply *r = write_json(&h, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	r = get(&h, path);
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = write_json(&h, "DELETE", path, NULL);
	assert_problem(r, 404, "not-found");
	reply_free(r);
	/* Ids are never reused. */
	long long next = create("{\"name\": \"Transient\"}");
	ck_assert_int_gt(next, id);
}
END_TEST

START_TEST(writes_need_a_token)
{
	long long id = create("{\"name\": \"Guarded\"}");
	char path[64];
	snprintf(path, sizeof path, "/v1/principles/%lld", id);
	const char *const none[] = {NULL};
	const char *const wrong[] = {"Authorization: Bearer not-the-token-0123456789", NULL};
	const char *const *headers[] = {none, wrong};
	for (int i = 0; i < 2; i++) {
		struct reply *r =
		    req(&h, "POST", "/v1/principles", "{\"name\": \"Intruder\"}", headers[i]);
		assert_problem(r, 401, "unauthorized");
		ck_assert_ptr_nonnull(reply_header(r, "WWW-Authenticate"));
		ck_assert_int_eq(strncmp(reply_header(r, "WWW-Authenticate"), "Bearer", 6), 0);
		reply_free(r);
		r = req(&h, "PUT", path, "{\"name\": \"Intruder\"}", headers[i]);
		assert_problem(r, 401, "unauthorized");
		reply_free(r);
		r = req(&h, "PATCH", path, "{\"name\": \"Intruder\"}", headers[i]);
		assert_problem(r, 401, "unauthorized");
		reply_free(r);
		r = req(&h, "DELETE", path, NULL, headers[i]);
		assert_problem(r, 401, "unauthorized");
		ck_assert_str_eq(reply_header(r, "WWW-Authenticate"), "Bearer realm=\"readout\"");
		reply_free(r);
	}
	struct reply *r = get(&h, "/v1/principles?count=true");
	ck_assert_int_eq(jint(r->json, "total"), 1);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "Guarded");
	ck_assert_int_eq(jint(r->json, "data.0.version"), 1);
	reply_free(r);
}
END_TEST

START_TEST(validation_lists_every_problem)
{
	char body[1024];
	char long_name[256];
	memset(long_name, 'n', 201);
	long_name[201] = '\0';
	snprintf(body, sizeof body,
	         "{\"name\": \"%s\", \"framework\": 7, \"description\": [\"x\"], "
	         "\"colour\": \"red\", \"slug\": \"Bad Slug\", \"id\": 5}",
	         long_name);
	struct reply *r = write_json(&h, "POST", "/v1/principles", body);
	assert_problem(r, 422, "validation");
	ck_assert_int_eq(json_array_size(jget(r->json, "errors")), 5);
	ck_assert_str_eq(jstr(r->json, "detail"), "5 fields are invalid");
	const char *pointers[] = {"/name", "/framework", "/description", "/colour", "/slug", NULL};
	for (int i = 0; pointers[i]; i++)
		ck_assert_msg(has_pointer(r, pointers[i]), "no problem at %s: %s", pointers[i],
		              r->body);
	reply_free(r);

	/* Missing name, an over-long framework and description. */
	char *big = malloc(12000);
	char fw[256];
	memset(fw, 'f', 201);
	fw[201] = '\0';
	char *desc = malloc(10002);
	memset(desc, 'd', 10001);
	desc[10001] = '\0';
	snprintf(big, 12000, "{\"framework\": \"%s\", \"description\": \"%s\"}", fw, desc);
	r = write_json(&h, "POST", "/v1/principles", big);
	assert_problem(r, 422, "validation");
	ck_assert_int_eq(json_array_size(jget(r->json, "errors")), 3);
	ck_assert(has_pointer(r, "/name"));
	ck_assert(has_pointer(r, "/framework"));
	ck_assert(has_pointer(r, "/description"));
	reply_free(r);
	/* At the limits everything is accepted (characters, not bytes). */
	memset(desc, 'd', 10000);
	desc[10000] = '\0';
	fw[200] = '\0';
	char name[1024] = "";
	for (int i = 0; i < 200; i++)
		strcat(name, "\xc3\xa9"); /* é: 2 bytes, 1 character */
	snprintf(big, 12000, "{\"name\": \"%s\", \"framework\": \"%s\", \"description\": \"%s\"}",
	         name, fw, desc);
	r = write_json(&h, "POST", "/v1/principles", big);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	reply_free(r);
	free(desc);
	free(big);

	r = write_json(&h, "POST", "/v1/principles", "{\"name\": \"\"}");
	assert_problem(r, 422, "validation");
	ck_assert(has_pointer(r, "/name"));
	reply_free(r);
	r = write_json(&h, "POST", "/v1/principles", "[\"name\"]");
	assert_problem(r, 422, "validation");
	reply_free(r);
	r = write_json(&h, "POST", "/v1/principles", "{\"name\": ");
	assert_problem(r, 400, "malformed");
	reply_free(r);
	/* Nothing but the one valid principle was written. */
	r = get(&h, "/v1/principles?count=true");
	ck_assert_int_eq(jint(r->json, "total"), 1);
	reply_free(r);
}
END_TEST

START_TEST(list_filters_and_count)
{
	create("{\"name\": \"Peaceful coexistence\", \"framework\": \"Five Principles\"}");
	create(
	    "{\"name\": \"Mutual respect for sovereignty\", \"framework\": \"Five Principles\"}");
	create("{\"name\": \"COEXISTENCE of systems\"}");
	create("{\"name\": \"100% commitment\", \"framework\": \"five principles\"}");
	create("{\"name\": \"Open dialogue\", \"framework\": \"Three Pillars\"}");

	struct reply *r = get(&h, "/v1/principles?q=coexist");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 2);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "COEXISTENCE of systems");
	ck_assert_str_eq(jstr(r->json, "data.1.name"), "Peaceful coexistence");
	ck_assert(json_is_null(jget(r->json, "next_cursor")));
	ck_assert_ptr_null(jget(r->json, "total"));
	ck_assert_ptr_null(reply_header(r, "X-Total-Count"));
	ck_assert_ptr_null(reply_header(r, "Link"));
	reply_free(r);

	r = get(&h, "/v1/principles?q=COEXIST&count=true");
	ck_assert_int_eq(jint(r->json, "total"), 2);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "2");
	reply_free(r);

	/* LIKE wildcards in q are literal. */
	r = get(&h, "/v1/principles?q=%25");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "100% commitment");
	reply_free(r);
	r = get(&h, "/v1/principles?q=_");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 0);
	reply_free(r);

	/* framework is exact, case included. */
	r = get(&h, "/v1/principles?framework=Five%20Principles&count=true");
	ck_assert_int_eq(jint(r->json, "total"), 2);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "Mutual respect for sovereignty");
	ck_assert_str_eq(jstr(r->json, "data.1.name"), "Peaceful coexistence");
	reply_free(r);
	r = get(&h, "/v1/principles?framework=Five");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 0);
	reply_free(r);
	r = get(&h, "/v1/principles?framework=Five%20Principles&q=peace&count=true");
	ck_assert_int_eq(jint(r->json, "total"), 1);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "Peaceful coexistence");
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "1");
	reply_free(r);

	r = get(&h, "/v1/principles?count=true");
	ck_assert_int_eq(jint(r->json, "total"), 5);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "5");
	reply_free(r);
	r = get(&h, "/v1/principles?count=false");
	ck_assert_ptr_null(jget(r->json, "total"));
	reply_free(r);

	const char *bad[] = {"/v1/principles?q=",
	                     "/v1/principles?framework=",
	                     "/v1/principles?count=maybe",
	                     "/v1/principles?limit=0",
	                     "/v1/principles?limit=201",
	                     "/v1/principles?limit=-3",
	                     "/v1/principles?limit=ten",
	                     "/v1/principles?sort=date",
	                     "/v1/principles?sort=NAME",
	                     "/v1/principles?sort=",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		r = get(&h, bad[i]);
		ck_assert_msg(r->status == 400, "%s: %ld", bad[i], r->status);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	r = get(&h, "/v1/principles?limit=200");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	r = get(&h, "/v1/principles?limit=1");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	ck_assert(json_is_string(jget(r->json, "next_cursor")));
	reply_free(r);
}
END_TEST

/* The fixture for sorting and paging: n principles with clashing names
 * (equal, and equal but for case) and invocations at meetings on a few
 * dates, some on the same date, leaving some principles never invoked. */
#define FIXTURE_N 60
static long long fixture_ids[FIXTURE_N];

static void make_fixture(void)
{
	for (int i = 0; i < FIXTURE_N; i++) {
		char body[128];
		if (i % 10 == 0)
			snprintf(body, sizeof body, "{\"name\": \"Shared name\"}");
		else if (i % 10 == 1)
			snprintf(body, sizeof body, "{\"name\": \"shared NAME\"}");
		else
			snprintf(body, sizeof body, "{\"name\": \"%s %02d\"}",
			         i % 3 ? "Principle" : "principle", (i * 37) % FIXTURE_N);
		fixture_ids[i] = create(body);
	}
	static const char *const dates[] = {"2020-01-01", "2021-06-15", "2019-03-03", "2021-06-15",
	                                    "2022-02-02"};
	for (int k = 0; k < 5; k++) {
		char body[4096];
		int used = snprintf(
		    body, sizeof body,
		    "{\"title\": \"Meeting %d\", \"date\": \"%s\", \"principles\": [", k, dates[k]);
		bool first = true;
		for (int i = 0; i < FIXTURE_N; i++) {
			if (i % (k + 2) != 0 || i % 7 == 6)
				continue;
			used += snprintf(body + used, sizeof body - (size_t)used,
			                 "%s{\"id\": %lld}", first ? "" : ", ", fixture_ids[i]);
			first = false;
		}
		snprintf(body + used, sizeof body - (size_t)used, "]}");
		create_meeting(body);
	}
}

/* Compares consecutive items a, b of a list in sort order: true when a may
 * precede b. */
static bool in_order(const char *sort, json_t *a, json_t *b)
{
	long long ida = jint(a, "id"), idb = jint(b, "id");
	if (strcmp(sort, "name") == 0 || strcmp(sort, "-name") == 0) {
		int c = strcasecmp(jstr(a, "name"), jstr(b, "name"));
		if (sort[0] == '-')
			return c > 0 || (c == 0 && ida > idb);
		return c < 0 || (c == 0 && ida < idb);
	}
	if (strcmp(sort, "invocation_count") == 0 || strcmp(sort, "-invocation_count") == 0) {
		long long ca = jint(a, "invocation_count"), cb = jint(b, "invocation_count");
		if (sort[0] == '-')
			return ca > cb || (ca == cb && ida > idb);
		return ca < cb || (ca == cb && ida < idb);
	}
	/* first_invoked_date: dated oldest first, never-invoked last, ties by id. */
	const char *da = jstr(a, "first_invoked_date"), *db = jstr(b, "first_invoked_date");
	if (da && !db)
		return true;
	if (!da && db)
		return false;
	int c = da ? strcmp(da, db) : 0;
	return c < 0 || (c == 0 && ida < idb);
}

/* Walks every page of path (which has a query already) with limit 7 and
 * checks each item comes once, in order. Returns the number seen. When
 * add_midway, a new principle is created after the first page. */
static int walk(const char *path, const char *sort, bool add_midway)
{
	char url[2048];
	snprintf(url, sizeof url, "%s&limit=7", path);
	long long seen[FIXTURE_N + 8] = {0};
	int count = 0, pages = 0;
	json_t *prev = NULL;
	for (;;) {
		struct reply *r = get(&h, url);
		ck_assert_msg(r->status == 200, "%s: %ld %s", url, r->status, r->body);
		json_t *data = jget(r->json, "data");
		size_t i;
		json_t *item;
		json_array_foreach(data, i, item)
		{
			long long id = jint(item, "id");
			for (int k = 0; k < count; k++)
				ck_assert_msg(seen[k] != id, "%s: id %lld seen twice", sort, id);
			ck_assert_int_lt(count, FIXTURE_N + 8);
			seen[count++] = id;
			if (prev)
				ck_assert_msg(in_order(sort, prev, item), "%s: %s before %s", sort,
				              json_dumps(prev, 0), json_dumps(item, 0));
			json_decref(prev);
			prev = json_incref(item);
		}
		pages++;
		const char *next = jstr(r->json, "next_cursor");
		if (!next) {
			ck_assert_ptr_null(reply_header(r, "Link"));
			reply_free(r);
			break;
		}
		ck_assert_int_eq(json_array_size(data), 7);
		/* The Link header holds the full next URL with the same query. */
		const char *link = reply_header(r, "Link");
		ck_assert_ptr_nonnull(link);
		ck_assert_ptr_nonnull(strstr(link, "rel=\"next\""));
		ck_assert_ptr_nonnull(strstr(link, "limit=7"));
		ck_assert_ptr_nonnull(strstr(link, "cursor="));
		ck_assert_int_eq(strncmp(link, "<http://", 8), 0);
		const char *path_start = strstr(link + 8, "/v1/principles?");
		ck_assert_ptr_nonnull(path_start);
		const char *end = strchr(path_start, '>');
		ck_assert_ptr_nonnull(end);
		snprintf(url, sizeof url, "%.*s", (int)(end - path_start), path_start);
		reply_free(r);
		if (add_midway && pages == 1)
			create("{\"name\": \"AAA added meanwhile\"}");
		ck_assert_int_lt(pages, 40);
	}
	json_decref(prev);
	return count;
}

START_TEST(keyset_pages_in_every_order)
{
	make_fixture();
	const char *sorts[] = {
	    "name", "-name", "invocation_count", "-invocation_count", "first_invoked_date", NULL};
	for (int i = 0; sorts[i]; i++) {
		char path[128];
		snprintf(path, sizeof path, "/v1/principles?sort=%s", sorts[i]);
		ck_assert_int_eq(walk(path, sorts[i], false), FIXTURE_N);
	}
	/* Default order is name. */
	ck_assert_int_eq(walk("/v1/principles?count=true", "name", false), FIXTURE_N);
	/* The fixture covers what the orders must handle. */
	struct reply *r = get(&h, "/v1/principles?sort=first_invoked_date&limit=200");
	json_t *data = jget(r->json, "data");
	ck_assert_str_eq(jstr(data, "0.first_invoked_date"), "2019-03-03");
	ck_assert(json_is_null(jget(data, path_fmt("%d.first_invoked_date", FIXTURE_N - 1))));
	ck_assert(json_is_string(jget(data, "20.first_invoked_date")));
	reply_free(r);
	r = get(&h, "/v1/principles?sort=-invocation_count&limit=1");
	ck_assert_int_eq(jint(r->json, "data.0.invocation_count"), 5);
	ck_assert_int_eq(jint(r->json, "data.0.id"), fixture_ids[0]);
	reply_free(r);
	/* Rows added while walking: the original rows still come exactly once. */
	int seen = walk("/v1/principles?sort=name", "name", true);
	ck_assert(seen == FIXTURE_N || seen == FIXTURE_N + 1);
	/* A filter pages too: "shared name" matches 12 rows. */
	ck_assert_int_eq(walk("/v1/principles?q=SHARED", "name", false), 12);
	ck_assert_int_eq(
	    walk("/v1/principles?q=shared&sort=first_invoked_date", "first_invoked_date", false),
	    12);
}
END_TEST

START_TEST(cursors_are_checked)
{
	for (int i = 0; i < 5; i++)
		create(path_fmt("{\"name\": \"P%d\"}", i));
	struct reply *r = get(&h, "/v1/principles?limit=2");
	char cursor[1100];
	snprintf(cursor, sizeof cursor, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles?limit=2&cursor=%s", cursor));
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "P2");
	reply_free(r);
	/* Altered anywhere: 400. */
	size_t n = strlen(cursor);
	const size_t at[] = {0, n / 2, n - 2};
	for (int i = 0; i < 3; i++) {
		char altered[1100];
		snprintf(altered, sizeof altered, "%s", cursor);
		altered[at[i]] = altered[at[i]] == 'A' ? 'B' : 'A';
		r = get(&h, path_fmt("/v1/principles?limit=2&cursor=%s", altered));
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	const char *forged[] = {"abc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%21%21", NULL};
	for (int i = 0; forged[i]; i++) {
		r = get(&h, path_fmt("/v1/principles?cursor=%s", forged[i]));
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	/* A cursor belongs to its list: sort and filters included. */
	const char *other[] = {"sort=-name", "sort=invocation_count", "sort=first_invoked_date",
	                       "q=P",        "framework=F",           NULL};
	for (int i = 0; other[i]; i++) {
		r = get(&h, path_fmt("/v1/principles?%s&limit=2&cursor=%s", other[i], cursor));
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	/* Free-text filters cannot be shuffled into the same scope. */
	create("{\"name\": \"a|1\", \"framework\": \"b\"}");
	create("{\"name\": \"a|2\", \"framework\": \"b\"}");
	r = get(&h, "/v1/principles?q=a%7C&framework=b&limit=1");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "a|1");
	char piped[1100];
	snprintf(piped, sizeof piped, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles?q=a%%7C&framework=b&limit=1&cursor=%s", piped));
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "data.0.name"), "a|2");
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles?q=a&framework=%%7Cb&limit=1&cursor=%s", piped));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, path_fmt("/v1/participants?limit=2&cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/p0/timeline?cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
}
END_TEST

START_TEST(timeline_oldest_first)
{
	long long pid = create("{\"name\": \"Peaceful coexistence\"}");
	create("{\"name\": \"Unused\"}");
	struct reply *r = write_json(&h, "POST", "/v1/participants",
	                             "{\"name\": \"Xi Jinping\", \"country\": \"CN\"}");
	ck_assert_int_eq(r->status, 201);
	long long xi = jint(r->json, "id");
	reply_free(r);
	/* Created out of date order; two on the same date. */
	long long m2024 = create_meeting(
	    "{\"title\": \"Talks with Blinken\", \"date\": \"2024-04-26\", \"participants\": "
	    "[{\"slug\": \"xi-jinping\", \"role\": \"host\"}], \"principles\": [{\"slug\": "
	    "\"peaceful-coexistence\", \"stance\": \"reaffirmed\", \"invoked_by\": "
	    "\"xi-jinping\", \"quote\": \"Respect each other.\"}]}");
	long long m1954 = create_meeting(
	    "{\"title\": \"Talks with Nehru\", \"date\": \"1954-06-28\", \"principles\": "
	    "[{\"slug\": \"peaceful-coexistence\", \"stance\": \"proposed\"}]}");
	ck_assert_int_eq(pid, 1);
	long long m2024b = create_meeting(
	    "{\"title\": \"Second talks\", \"date\": \"2024-04-26\", \"principles\": "
	    "[{\"id\": 1}]}");

	r = get(&h, "/v1/principles/peaceful-coexistence/timeline?count=true");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	ck_assert_int_eq(jint(r->json, "total"), 3);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "3");
	ck_assert(json_is_null(jget(r->json, "next_cursor")));
	json_t *data = jget(r->json, "data");
	ck_assert_int_eq(json_array_size(data), 3);
	ck_assert_int_eq(jint(data, "0.meeting.id"), m1954);
	ck_assert_str_eq(jstr(data, "0.meeting.slug"), "1954-06-28-talks-with-nehru");
	ck_assert_str_eq(jstr(data, "0.meeting.title"), "Talks with Nehru");
	ck_assert_str_eq(jstr(data, "0.meeting.date"), "1954-06-28");
	ck_assert_int_eq(json_object_size(jget(data, "0.meeting")), 4);
	ck_assert_str_eq(jstr(data, "0.stance"), "proposed");
	ck_assert(json_is_null(jget(data, "0.invoked_by")));
	ck_assert(json_is_null(jget(data, "0.quote")));
	ck_assert_int_eq(json_object_size(json_array_get(data, 0)), 4);
	ck_assert_int_eq(jint(data, "1.meeting.id"), m2024);
	ck_assert_str_eq(jstr(data, "1.stance"), "reaffirmed");
	ck_assert_int_eq(jint(data, "1.invoked_by.id"), xi);
	ck_assert_str_eq(jstr(data, "1.invoked_by.slug"), "xi-jinping");
	ck_assert_str_eq(jstr(data, "1.invoked_by.name"), "Xi Jinping");
	ck_assert_int_eq(json_object_size(jget(data, "1.invoked_by")), 3);
	ck_assert_str_eq(jstr(data, "1.quote"), "Respect each other.");
	ck_assert_int_eq(jint(data, "2.meeting.id"), m2024b);
	ck_assert_str_eq(jstr(data, "2.stance"), "cited");
	/* The key order of an item. */
	ck_assert_ptr_nonnull(strstr(r->body, "{\"meeting\":{\"id\":"));
	ck_assert_ptr_nonnull(strstr(r->body, ",\"date\":\"1954-06-28\"},\"stance\":\"proposed\","
	                                      "\"invoked_by\":null,\"quote\":null}"));
	reply_free(r);

	/* Derived fields follow the invocations. */
	r = get(&h, "/v1/principles/1");
	ck_assert_int_eq(jint(r->json, "invocation_count"), 3);
	ck_assert_str_eq(jstr(r->json, "first_invoked_date"), "1954-06-28");
	reply_free(r);

	/* Paged one at a time, by id too, in the same order. */
	long long want[] = {m1954, m2024, m2024b};
	char url[1400] = "/v1/principles/1/timeline?limit=1";
	for (int i = 0; i < 3; i++) {
		r = get(&h, url);
		ck_assert_int_eq(r->status, 200);
		ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
		ck_assert_int_eq(jint(r->json, "data.0.meeting.id"), want[i]);
		const char *next = jstr(r->json, "next_cursor");
		if (i < 2) {
			ck_assert_ptr_nonnull(next);
			ck_assert_ptr_nonnull(strstr(reply_header(r, "Link"), "/timeline?"));
			snprintf(url, sizeof url, "/v1/principles/1/timeline?limit=1&cursor=%s",
			         next);
		} else {
			ck_assert_ptr_null(next);
		}
		reply_free(r);
	}

	/* A timeline cursor is bound to its principle. */
	r = get(&h, "/v1/principles/1/timeline?limit=1");
	char cursor[1100];
	snprintf(cursor, sizeof cursor, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/unused/timeline?cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles?cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, "/v1/principles/1/timeline?limit=0");
	assert_problem(r, 400, "bad-request");
	reply_free(r);

	/* Never invoked: an empty page. */
	r = get(&h, "/v1/principles/unused/timeline?count=true");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 0);
	ck_assert(json_is_null(jget(r->json, "next_cursor")));
	ck_assert_int_eq(jint(r->json, "total"), 0);
	reply_free(r);
}
END_TEST

START_TEST(delete_while_invoked_conflicts)
{
	long long pid = create("{\"name\": \"Territorial integrity\"}");
	struct reply *before = get(&h, "/v1/principles/territorial-integrity");
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(before, "ETag"));
	reply_free(before);
	long long mid = create_meeting(
	    "{\"title\": \"Summit\", \"date\": \"2023-11-15\", \"principles\": [{\"slug\": "
	    "\"territorial-integrity\"}]}");

	/* The derived count changed the representation, so the ETag too. */
	struct reply *r = get(&h, "/v1/principles/territorial-integrity");
	ck_assert_int_eq(jint(r->json, "invocation_count"), 1);
	ck_assert_str_eq(jstr(r->json, "first_invoked_date"), "2023-11-15");
	ck_assert_str_ne(reply_header(r, "ETag"), etag);
	reply_free(r);

	r = write_json(&h, "DELETE", "/v1/principles/territorial-integrity", NULL);
	assert_problem(r, 409, "conflict");
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/%lld", pid));
	ck_assert_int_eq(r->status, 200);
	reply_free(r);

	/* Without the invocation it can go. */
	r = write_json(&h, "DELETE",
	               path_fmt("/v1/meetings/%lld/principles/territorial-integrity", mid), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = get(&h, "/v1/principles/territorial-integrity");
	ck_assert_int_eq(jint(r->json, "invocation_count"), 0);
	ck_assert(json_is_null(jget(r->json, "first_invoked_date")));
	reply_free(r);
	r = write_json(&h, "DELETE", "/v1/principles/territorial-integrity", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);

	/* Deleting the meeting also frees a principle. */
	create("{\"name\": \"Second\"}");
	mid = create_meeting("{\"title\": \"Again\", \"date\": \"2023-11-16\", \"principles\": "
	                     "[{\"slug\": \"second\"}]}");
	r = write_json(&h, "DELETE", "/v1/principles/second", NULL);
	assert_problem(r, 409, "conflict");
	reply_free(r);
	r = write_json(&h, "DELETE", path_fmt("/v1/meetings/%lld", mid), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = get(&h, "/v1/principles/second");
	ck_assert_int_eq(jint(r->json, "invocation_count"), 0);
	reply_free(r);
	r = write_json(&h, "DELETE", "/v1/principles/second", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
}
END_TEST

START_TEST(methods_and_routes)
{
	struct reply *r = req(&h, "DELETE", "/v1/principles", NULL, NULL);
	assert_problem(r, 405, "method-not-allowed");
	ck_assert_str_eq(reply_header(r, "Allow"), "GET, HEAD, POST");
	reply_free(r);
	r = req(&h, "POST", "/v1/principles/1/timeline", "{}", NULL);
	assert_problem(r, 405, "method-not-allowed");
	ck_assert_str_eq(reply_header(r, "Allow"), "GET, HEAD");
	reply_free(r);
	r = req(&h, "POST", "/v1/principles/1", "{}", NULL);
	assert_problem(r, 405, "method-not-allowed");
	ck_assert_str_eq(reply_header(r, "Allow"), "GET, HEAD, PUT, PATCH, DELETE");
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_principles");
	TCase *tc = tcase_create("principles");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_and_read);
	tcase_add_test(tc, slugs_derived_deduplicated_and_unique);
	tcase_add_test(tc, not_found_and_bad_refs);
	tcase_add_test(tc, put_replaces_and_keeps_slug);
	tcase_add_test(tc, patch_merges);
	tcase_add_test(tc, conditional_requests);
	tcase_add_test(tc, delete_then_gone);
	tcase_add_test(tc, writes_need_a_token);
	tcase_add_test(tc, validation_lists_every_problem);
	tcase_add_test(tc, list_filters_and_count);
	tcase_add_test(tc, keyset_pages_in_every_order);
	tcase_add_test(tc, cursors_are_checked);
	tcase_add_test(tc, timeline_oldest_first);
	tcase_add_test(tc, delete_while_invoked_conflicts);
	tcase_add_test(tc, methods_and_routes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
