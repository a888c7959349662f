/* HTTP tests of /v1/participants: the real server on port 0, spoken to with
 * libcurl. Every write is checked for what it answers and for what it leaves
 * behind in the store (read back through the API). */
#include <check.h>
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define COLL "/v1/participants"

static struct harness h;

static void setup(void)
{
	harness_start(&h, NULL);
}

static void teardown(void)
{
	harness_stop(&h);
}

/* ---- helpers ---- */

static struct reply *post(const char *body)
{
	return write_json(&h, "POST", COLL, body);
}

/* True when the problem's errors[] has an item with this pointer (and a
 * non-empty detail). */
static bool has_error(json_t *doc, const char *pointer)
{
	json_t *errors = json_object_get(doc, "errors");
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		const char *p = jstr(e, "pointer");
		const char *d = jstr(e, "detail");
		if (p && strcmp(p, pointer) == 0 && d && *d)
			return true;
	}
	return false;
}

/* A 422 validation problem naming pointer. */
static void assert_invalid(const struct reply *r, const char *pointer)
{
	assert_problem(r, 422, "validation");
	ck_assert_msg(has_error(r->json, pointer), "no error at %s in %s", pointer, r->body);
}

/* Creates from body, asserting 201; returns the response body (new ref). */
static json_t *create(const char *body)
{
	struct reply *r = post(body);
	ck_assert_msg(r->status == 201, "POST %s: %ld %s", body, r->status, r->body);
	ck_assert_ptr_nonnull(r->json);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

/* Creates a participant from a JSON object built by the caller (stolen). */
static json_t *create_doc(json_t *obj)
{
	char *body = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	json_t *doc = create(body);
	free(body);
	return doc;
}

static long long create_named(const char *name, const char *country)
{
	json_t *doc = create_doc(country ? json_pack("{s:s, s:s}", "name", name, "country", country)
	                                 : json_pack("{s:s}", "name", name));
	long long id = jint(doc, "id");
	json_decref(doc);
	ck_assert_int_gt(id, 0);
	return id;
}

/* The number of participants, from the list's total. */
static long long total(void)
{
	struct reply *r = get(&h, COLL "?count=true");
	ck_assert_int_eq(r->status, 200);
	long long n = jint(r->json, "total");
	reply_free(r);
	ck_assert_int_ge(n, 0);
	return n;
}

/* The ETag of a GET of path (new string), asserting 200. */
static char *etag_of(const char *path)
{
	struct reply *r = get(&h, path);
	ck_assert_msg(r->status == 200, "GET %s: %ld", path, r->status);
	const char *e = reply_header(r, "ETag");
	ck_assert_ptr_nonnull(e);
	char *out = strdup(e);
	reply_free(r);
	return out;
}

/* The current representation of path (new ref), asserting 200. */
static json_t *fetch(const char *path)
{
	struct reply *r = get(&h, path);
	ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

static bool is_timestamp(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	if (!s || strlen(s) != sizeof shape - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	}
	return true;
}

static bool is_slug(const char *s)
{
	if (!s || !*s || strlen(s) > 100 || s[0] == '-' || s[strlen(s) - 1] == '-')
		return false;
	bool digits_only = true;
	for (const char *p = s; *p; p++) {
		if (*p == '-' && p[1] == '-')
			return false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		if (!isdigit((unsigned char)*p))
			digits_only = false;
	}
	return !digits_only;
}

static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *out = malloc(len * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, unit, len);
	out[len * n] = '\0';
	return out;
}

static const char *participant_path(long long id)
{
	return path_fmt(COLL "/%lld", id);
}

static const char *const fields[] = {"id",
                                     "slug",
                                     "name",
                                     "aliases",
                                     "title",
                                     "organization",
                                     "country",
                                     "meeting_count",
                                     "first_meeting_date",
                                     "last_meeting_date",
                                     "created_at",
                                     "updated_at",
                                     "version",
                                     NULL};

static void assert_full_shape(json_t *doc)
{
	ck_assert(json_is_object(doc));
	for (int i = 0; fields[i]; i++)
		ck_assert_msg(json_object_get(doc, fields[i]) != NULL, "missing %s", fields[i]);
	ck_assert_int_eq(json_object_size(doc), 13);
	ck_assert(json_is_integer(jget(doc, "id")));
	ck_assert(json_is_string(jget(doc, "slug")));
	ck_assert(json_is_string(jget(doc, "name")));
	ck_assert(json_is_array(jget(doc, "aliases")));
	ck_assert(json_is_integer(jget(doc, "meeting_count")));
	ck_assert(json_is_integer(jget(doc, "version")));
	ck_assert(is_timestamp(jstr(doc, "created_at")));
	ck_assert(is_timestamp(jstr(doc, "updated_at")));
}

/* ---- create ---- */

START_TEST(create_full_record)
{
	struct reply *r =
	    post("{\"name\":\"Antony Blinken\",\"aliases\":[\"Anthony Blinken\"],"
	         "\"title\":\"U.S. Secretary of State\",\"organization\":\"U.S. Department of "
	         "State\",\"country\":\"US\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_pstr_eq(reply_header(r, "Content-Type"), "application/json");
	long long id = jint(r->json, "id");
	ck_assert_int_gt(id, 0);
	char want[64];
	snprintf(want, sizeof want, COLL "/%lld", id);
	ck_assert_pstr_eq(reply_header(r, "Location"), want);
	const char *etag = reply_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	/* strong: a quoted opaque tag without W/ */
	ck_assert_msg(etag[0] == '"' && etag[strlen(etag) - 1] == '"' && strlen(etag) > 2,
	              "ETag %s", etag);
	char *created_etag = strdup(etag);
	assert_full_shape(r->json);
	ck_assert_str_eq(jstr(r->json, "slug"), "antony-blinken");
	ck_assert_str_eq(jstr(r->json, "name"), "Antony Blinken");
	ck_assert_int_eq(json_array_size(jget(r->json, "aliases")), 1);
	ck_assert_str_eq(jstr(r->json, "aliases.0"), "Anthony Blinken");
	ck_assert_str_eq(jstr(r->json, "title"), "U.S. Secretary of State");
	ck_assert_str_eq(jstr(r->json, "organization"), "U.S. Department of State");
	ck_assert_str_eq(jstr(r->json, "country"), "US");
	ck_assert_int_eq(jint(r->json, "meeting_count"), 0);
	ck_assert(json_is_null(jget(r->json, "first_meeting_date")));
	ck_assert(json_is_null(jget(r->json, "last_meeting_date")));
	ck_assert_int_eq(jint(r->json, "version"), 1);
	ck_assert_str_eq(jstr(r->json, "created_at"), jstr(r->json, "updated_at"));

	/* The Location answers the same representation with the same ETag. */
	struct reply *g = get(&h, want);
	ck_assert_int_eq(g->status, 200);
	ck_assert(json_equal(g->json, r->json));
	ck_assert_pstr_eq(reply_header(g, "ETag"), created_etag);
	reply_free(g);
	free(created_etag);
	reply_free(r);
}
END_TEST

START_TEST(create_minimal_has_nulls)
{
	json_t *doc = create("{\"name\":\"Wang Yi\"}");
	assert_full_shape(doc);
	ck_assert_str_eq(jstr(doc, "slug"), "wang-yi");
	ck_assert(json_is_array(jget(doc, "aliases")));
	ck_assert_int_eq(json_array_size(jget(doc, "aliases")), 0);
	ck_assert(json_is_null(jget(doc, "title")));
	ck_assert(json_is_null(jget(doc, "organization")));
	ck_assert(json_is_null(jget(doc, "country")));
	ck_assert(json_is_null(jget(doc, "first_meeting_date")));
	ck_assert(json_is_null(jget(doc, "last_meeting_date")));
	ck_assert_int_eq(jint(doc, "meeting_count"), 0);
	ck_assert_int_eq(jint(doc, "version"), 1);
	json_decref(doc);

	/* Explicit nulls are the same as absent optional fields. */
	doc = create("{\"name\":\"Han Zheng\",\"aliases\":null,\"title\":null,"
	             "\"organization\":null,\"country\":null,\"slug\":null}");
	ck_assert_str_eq(jstr(doc, "slug"), "han-zheng");
	ck_assert_int_eq(json_array_size(jget(doc, "aliases")), 0);
	ck_assert(json_is_null(jget(doc, "title")));
	ck_assert(json_is_null(jget(doc, "country")));
	json_decref(doc);
}
END_TEST

START_TEST(create_derives_slug_and_dedupes)
{
	json_t *a = create("{\"name\":\"Jos\xc3\xa9 M\xc3\xbcller\"}");
	ck_assert_str_eq(jstr(a, "slug"), "jose-muller");
	ck_assert_str_eq(jstr(a, "name"), "Jos\xc3\xa9 M\xc3\xbcller");
	json_t *b = create("{\"name\":\"Jose Muller\"}");
	ck_assert_str_eq(jstr(b, "slug"), "jose-muller-2");
	json_t *c = create("{\"name\":\"JOS\xc3\x89  m\xc3\xbcller!\"}");
	ck_assert_str_eq(jstr(c, "slug"), "jose-muller-3");
	ck_assert_int_ne(jint(a, "id"), jint(b, "id"));
	ck_assert_int_ne(jint(b, "id"), jint(c, "id"));
	json_decref(a);
	json_decref(b);
	json_decref(c);

	/* A name that gives no usable slug (all digits, punctuation only) still
	 * gets a valid one that is not all digits. */
	json_t *d = create("{\"name\":\"2024\"}");
	ck_assert_msg(is_slug(jstr(d, "slug")), "slug %s", jstr(d, "slug"));
	json_t *e = create("{\"name\":\"!!!\"}");
	ck_assert_msg(is_slug(jstr(e, "slug")), "slug %s", jstr(e, "slug"));
	ck_assert_str_ne(jstr(d, "slug"), jstr(e, "slug"));
	json_decref(d);
	json_decref(e);

	/* A long name is cut at 100 characters on a word boundary, and its
	 * de-duplicated form stays within 100 too. */
	const char *long_name = "Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett "
	                        "Kilo Lima Mike November Oscar Papa Quebec Romeo Sierra Tango";
	json_t *body = json_pack("{s:s}", "name", long_name);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_t *f = create(text);
	json_t *g = create(text);
	free(text);
	const char *fs = jstr(f, "slug");
	const char *gs = jstr(g, "slug");
	ck_assert_msg(is_slug(fs) && strlen(fs) <= 100, "slug %s", fs);
	ck_assert_msg(is_slug(gs) && strlen(gs) <= 100, "slug %s", gs);
	const char *full = "alpha-bravo-charlie-delta-echo-foxtrot-golf-hotel-india-juliett-kilo-"
	                   "lima-mike-november-oscar-papa-quebec-romeo-sierra-tango";
	ck_assert_msg(strncmp(full, fs, strlen(fs)) == 0 && full[strlen(fs)] == '-',
	              "not cut on a word boundary: %s", fs);
	ck_assert_str_ne(fs, gs);
	ck_assert_msg(strlen(gs) > 2 && strcmp(gs + strlen(gs) - 2, "-2") == 0, "slug %s", gs);
	json_decref(f);
	json_decref(g);
}
END_TEST

START_TEST(create_explicit_slug)
{
	json_t *a = create("{\"name\":\"Xi Jinping\",\"slug\":\"president-xi\"}");
	ck_assert_str_eq(jstr(a, "slug"), "president-xi");
	json_decref(a);
	long long before = total();
	struct reply *r = post("{\"name\":\"Someone Else\",\"slug\":\"president-xi\"}");
	assert_problem(r, 409, "conflict");
	reply_free(r);
	ck_assert_int_eq(total(), before);

	/* A derived slug never collides with an explicit one: it de-duplicates. */
	json_t *b = create("{\"name\":\"President Xi\"}");
	ck_assert_str_eq(jstr(b, "slug"), "president-xi-2");
	json_decref(b);

	/* Invalid explicit slugs: all digits, upper case, spaces, too long. */
	char *s101 = repeat("a", 101);
	char body101[256];
	snprintf(body101, sizeof body101, "{\"name\":\"N\",\"slug\":\"%s\"}", s101);
	const char *bad[] = {"{\"name\":\"N\",\"slug\":\"12345\"}",
	                     "{\"name\":\"N\",\"slug\":\"Bad\"}",
	                     "{\"name\":\"N\",\"slug\":\"bad slug\"}",
	                     "{\"name\":\"N\",\"slug\":\"-bad\"}",
	                     "{\"name\":\"N\",\"slug\":\"bad--slug\"}",
	                     "{\"name\":\"N\",\"slug\":\"\"}",
	                     "{\"name\":\"N\",\"slug\":5}",
	                     body101,
	                     NULL};
	before = total();
	for (int i = 0; bad[i]; i++) {
		r = post(bad[i]);
		assert_invalid(r, "/slug");
		reply_free(r);
		ck_assert_int_eq(total(), before);
	}
	/* 100 characters is fine. */
	char *s100 = repeat("b", 100);
	char body100[256];
	snprintf(body100, sizeof body100, "{\"name\":\"N\",\"slug\":\"%s\"}", s100);
	json_t *c = create(body100);
	ck_assert_str_eq(jstr(c, "slug"), s100);
	json_decref(c);
	free(s100);
	free(s101);
}
END_TEST

START_TEST(create_ignores_read_only_fields)
{
	json_t *doc = create("{\"name\":\"Li Qiang\",\"id\":999,\"version\":7,"
	                     "\"created_at\":\"2000-01-01T00:00:00.000Z\","
	                     "\"updated_at\":\"2000-01-01T00:00:00.000Z\",\"meeting_count\":42,"
	                     "\"first_meeting_date\":\"2001-01-01\","
	                     "\"last_meeting_date\":\"2002-01-01\"}");
	ck_assert_int_ne(jint(doc, "id"), 999);
	ck_assert_int_eq(jint(doc, "version"), 1);
	ck_assert_int_eq(jint(doc, "meeting_count"), 0);
	ck_assert_str_ne(jstr(doc, "created_at"), "2000-01-01T00:00:00.000Z");
	ck_assert(json_is_null(jget(doc, "first_meeting_date")));
	ck_assert(json_is_null(jget(doc, "last_meeting_date")));
	struct reply *r = get(&h, COLL "/999");
	ck_assert_int_eq(r->status, 404);
	reply_free(r);
	json_decref(doc);
}
END_TEST

/* ---- read ---- */

START_TEST(read_by_id_and_slug)
{
	json_t *doc = create("{\"name\":\"Sergey Lavrov\",\"country\":\"RU\"}");
	long long id = jint(doc, "id");
	struct reply *a = get(&h, participant_path(id));
	struct reply *b = get(&h, COLL "/sergey-lavrov");
	ck_assert_int_eq(a->status, 200);
	ck_assert_int_eq(b->status, 200);
	ck_assert_str_eq(a->body, b->body);
	ck_assert(json_equal(a->json, doc));
	char *ea = strdup(reply_header(a, "ETag"));
	ck_assert_pstr_eq(reply_header(b, "ETag"), ea);
	free(ea);
	reply_free(a);
	reply_free(b);

	/* HEAD: same headers, no body. */
	struct reply *g = get(&h, participant_path(id));
	struct reply *hd = req(&h, "HEAD", participant_path(id), NULL, NULL);
	ck_assert_int_eq(hd->status, 200);
	ck_assert_int_eq(hd->len, 0);
	char *eg = strdup(reply_header(g, "ETag"));
	ck_assert_pstr_eq(reply_header(hd, "ETag"), eg);
	free(eg);
	reply_free(g);
	reply_free(hd);
	json_decref(doc);
}
END_TEST

START_TEST(read_missing_is_404)
{
	reply_free(post("{\"name\":\"Someone\"}"));
	const char *paths[] = {COLL "/999", COLL "/nobody", COLL "/someone-2", NULL};
	for (int i = 0; paths[i]; i++) {
		struct reply *r = get(&h, paths[i]);
		assert_problem(r, 404, "not-found");
		reply_free(r);
	}
}
END_TEST

START_TEST(read_bad_ref_is_400)
{
	reply_free(post("{\"name\":\"Someone\"}"));
	const char *paths[] = {COLL "/0",        COLL "/Bad%20Slug", COLL "/-1", COLL "/Someone",
	                       COLL "/some_one", COLL "/00",         NULL};
	for (int i = 0; paths[i]; i++) {
		struct reply *r = get(&h, paths[i]);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	/* An id past INT64_MAX is a well-formed reference to nothing. */
	struct reply *huge = get(&h, COLL "/99999999999999999999");
	assert_problem(huge, 404, NULL);
	reply_free(huge);
	/* Writes check the reference the same way, and write nothing. */
	const char *writes[] = {COLL "/0", COLL "/Bad%20Slug", COLL "/-1", COLL "/%FF", NULL};
	for (int i = 0; writes[i]; i++) {
		struct reply *r = write_json(&h, "PUT", writes[i], "{\"name\":\"Someone\"}");
		assert_problem(r, 400, NULL);
		reply_free(r);
		r = write_json(&h, "PATCH", writes[i], "{\"title\":\"x\"}");
		assert_problem(r, 400, NULL);
		reply_free(r);
		r = write_json(&h, "DELETE", writes[i], NULL);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	ck_assert_int_eq(total(), 1);
	/* Not UTF-8, too long for a slug: 400 too. */
	char *s101 = repeat("a", 101);
	const char *more[] = {COLL "/%FF", COLL "/caf%C3%A9", path_fmt(COLL "/%s", s101), NULL};
	for (int i = 0; more[i]; i++) {
		struct reply *r = get(&h, more[i]);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	free(s101);
}
END_TEST

/* ---- replace and merge-patch ---- */

START_TEST(put_replaces_whole_record)
{
	json_t *old = create("{\"name\":\"Old Name\",\"slug\":\"keep-me\",\"aliases\":[\"A\"],"
	                     "\"title\":\"T\",\"organization\":\"O\",\"country\":\"US\"}");
	long long id = jint(old, "id");
	char *old_etag = etag_of(participant_path(id));
	usleep(20000);
	struct reply *r = write_json(&h, "PUT", participant_path(id), "{\"name\":\"New Name\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	assert_full_shape(r->json);
	ck_assert_int_eq(jint(r->json, "id"), id);
	ck_assert_str_eq(jstr(r->json, "name"), "New Name");
	ck_assert_str_eq(jstr(r->json, "slug"), "keep-me");
	ck_assert_int_eq(json_array_size(jget(r->json, "aliases")), 0);
	ck_assert(json_is_null(jget(r->json, "title")));
	ck_assert(json_is_null(jget(r->json, "organization")));
	ck_assert(json_is_null(jget(r->json, "country")));
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_str_eq(jstr(r->json, "created_at"), jstr(old, "created_at"));
	ck_assert_str_ne(jstr(r->json, "updated_at"), jstr(old, "updated_at"));
	ck_assert_int_gt(strcmp(jstr(r->json, "updated_at"), jstr(r->json, "created_at")), 0);
	const char *etag = reply_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	ck_assert_str_ne(etag, old_etag);
	char *new_etag = strdup(etag);
	json_t *now = fetch(participant_path(id));
	ck_assert(json_equal(now, r->json));
	json_decref(now);
	char *get_etag = etag_of(participant_path(id));
	ck_assert_str_eq(get_etag, new_etag);
	free(get_etag);
	free(new_etag);
	reply_free(r);

	/* PUT through the slug, changing the slug. */
	r = write_json(&h, "PUT", COLL "/keep-me",
	               "{\"name\":\"New Name\",\"slug\":\"renamed\",\"country\":\"GB\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "slug"), "renamed");
	ck_assert_str_eq(jstr(r->json, "country"), "GB");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	r = get(&h, COLL "/keep-me");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, COLL "/renamed");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "id"), id);
	reply_free(r);

	/* Keeping its own slug explicitly is no conflict. */
	r = write_json(&h, "PUT", participant_path(id), "{\"name\":\"X\",\"slug\":\"renamed\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "slug"), "renamed");
	reply_free(r);

	/* Taking another participant's slug is 409 and changes nothing. */
	reply_free(post("{\"name\":\"Other\",\"slug\":\"taken\"}"));
	char *before = etag_of(participant_path(id));
	r = write_json(&h, "PUT", participant_path(id), "{\"name\":\"Y\",\"slug\":\"taken\"}");
	assert_problem(r, 409, "conflict");
	reply_free(r);
	char *after = etag_of(participant_path(id));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* PUT of a missing participant does not create it. */
	long long n = total();
	r = write_json(&h, "PUT", COLL "/999", "{\"name\":\"Ghost\"}");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = write_json(&h, "PUT", COLL "/ghost", "{\"name\":\"Ghost\"}");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	ck_assert_int_eq(total(), n);
	free(old_etag);
	json_decref(old);
}
END_TEST

START_TEST(patch_merges)
{
	json_t *old = create("{\"name\":\"Full Person\",\"aliases\":[\"A\",\"B\"],\"title\":\"T\","
	                     "\"organization\":\"O\",\"country\":\"FR\"}");
	long long id = jint(old, "id");
	const char *const mp[] = {"AUTH", "Content-Type: application/merge-patch+json", NULL};
	usleep(20000);
	struct reply *r =
	    req(&h, "PATCH", participant_path(id), "{\"title\":null,\"aliases\":[\"C\"]}", mp);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(jstr(r->json, "name"), "Full Person");
	ck_assert_str_eq(jstr(r->json, "slug"), "full-person");
	ck_assert(json_is_null(jget(r->json, "title")));
	ck_assert_str_eq(jstr(r->json, "organization"), "O");
	ck_assert_str_eq(jstr(r->json, "country"), "FR");
	ck_assert_int_eq(json_array_size(jget(r->json, "aliases")), 1);
	ck_assert_str_eq(jstr(r->json, "aliases.0"), "C");
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_str_eq(jstr(r->json, "created_at"), jstr(old, "created_at"));
	ck_assert_str_ne(jstr(r->json, "updated_at"), jstr(old, "updated_at"));
	ck_assert_ptr_nonnull(reply_header(r, "ETag"));
	json_t *now = fetch(participant_path(id));
	ck_assert(json_equal(now, r->json));
	json_decref(now);
	reply_free(r);

	/* application/json is accepted too; an empty array clears. */
	r = write_json(&h, "PATCH", participant_path(id), "{\"aliases\":[],\"country\":null}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "aliases")), 0);
	ck_assert(json_is_null(jget(r->json, "country")));
	ck_assert_str_eq(jstr(r->json, "organization"), "O");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);

	/* Through the slug, changing the name keeps the slug. */
	r = write_json(&h, "PATCH", COLL "/full-person", "{\"name\":\"Renamed Person\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "name"), "Renamed Person");
	ck_assert_str_eq(jstr(r->json, "slug"), "full-person");
	ck_assert_int_eq(jint(r->json, "version"), 4);
	reply_free(r);

	/* Read-only fields in a patch are ignored. */
	r = write_json(&h, "PATCH", participant_path(id), "{\"id\":5000,\"version\":99}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "id"), id);
	ck_assert_int_eq(jint(r->json, "version"), 5);
	reply_free(r);

	/* Clearing the required name is 422 and changes nothing. */
	char *before = etag_of(participant_path(id));
	r = write_json(&h, "PATCH", participant_path(id), "{\"name\":null}");
	assert_invalid(r, "/name");
	reply_free(r);
	char *after = etag_of(participant_path(id));
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* PATCH of a missing participant is 404. */
	r = write_json(&h, "PATCH", COLL "/999", "{\"title\":\"x\"}");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	json_decref(old);
}
END_TEST

START_TEST(content_types)
{
	json_t *doc = create("{\"name\":\"Typed Person\"}");
	long long id = jint(doc, "id");
	json_decref(doc);
	const char *path = strdup(participant_path(id));
	struct {
		const char *method;
		const char *path;
		const char *ct; /* NULL: none sent */
		long status;
	} cases[] = {
	    {"PATCH", path, "Content-Type: text/plain", 415},
	    {"PATCH", path, NULL, 415},
	    {"PATCH", path, "Content-Type: application/x-www-form-urlencoded", 415},
	    {"PUT", path, "Content-Type: text/plain", 415},
	    {"PUT", path, NULL, 415},
	    {"PUT", path, "Content-Type: application/merge-patch+json", 415},
	    {"POST", COLL, "Content-Type: text/plain", 415},
	    {"POST", COLL, NULL, 415},
	    {"POST", COLL, "Content-Type: application/merge-patch+json", 415},
	    {"PATCH", path, "Content-Type: application/merge-patch+json", 200},
	    {"PATCH", path, "Content-Type: application/json; charset=utf-8", 200},
	    {"PUT", path, "Content-Type: application/json; charset=utf-8", 200},
	    {"POST", COLL, "Content-Type: application/json; charset=utf-8", 201},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long n = total();
		char *etag = etag_of(path);
		const char *hdr[] = {"AUTH", cases[i].ct ? cases[i].ct : "Content-Type:", NULL};
		struct reply *r = req(&h, cases[i].method, cases[i].path,
		                      "{\"name\":\"Typed Person\",\"title\":\"changed\"}", hdr);
		ck_assert_msg(r->status == cases[i].status, "case %zu %s %s: %ld %s", i,
		              cases[i].method, cases[i].ct ? cases[i].ct : "(none)", r->status,
		              r->body);
		char *after = etag_of(path);
		if (cases[i].status == 415) {
			assert_problem(r, 415, NULL);
			ck_assert_int_eq(total(), n);
			ck_assert_str_eq(after, etag);
		} else if (cases[i].status == 201) {
			ck_assert_int_eq(total(), n + 1);
		} else {
			ck_assert_str_eq(jstr(r->json, "title"), "changed");
		}
		free(after);
		free(etag);
		reply_free(r);
		/* Undo a successful change so the next case can see one again. */
		reply_free(write_json(&h, "PATCH", path, "{\"title\":null}"));
	}
	free((char *)path);
}
END_TEST

/* ---- conditional requests ---- */

START_TEST(if_none_match_gives_304)
{
	json_t *doc = create("{\"name\":\"Cached Person\"}");
	long long id = jint(doc, "id");
	json_decref(doc);
	char *etag = etag_of(participant_path(id));
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *const hdr[] = {inm, NULL};
	struct reply *r = req(&h, "GET", participant_path(id), NULL, hdr);
	ck_assert_int_eq(r->status, 304);
	ck_assert_int_eq(r->len, 0);
	ck_assert_pstr_eq(reply_header(r, "ETag"), etag);
	reply_free(r);
	r = req(&h, "GET", COLL "/cached-person", NULL, hdr);
	ck_assert_int_eq(r->status, 304);
	reply_free(r);

	/* A list of tags that holds it matches too; another tag does not. */
	char list[192];
	snprintf(list, sizeof list, "If-None-Match: \"0000000000000000\", %s", etag);
	const char *const hdr_list[] = {list, NULL};
	r = req(&h, "GET", participant_path(id), NULL, hdr_list);
	ck_assert_int_eq(r->status, 304);
	reply_free(r);
	const char *const other[] = {"If-None-Match: \"0000000000000000\"", NULL};
	r = req(&h, "GET", participant_path(id), NULL, other);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(r->json);
	reply_free(r);

	/* After a change the old tag no longer matches. */
	reply_free(write_json(&h, "PATCH", participant_path(id), "{\"title\":\"New\"}"));
	r = req(&h, "GET", participant_path(id), NULL, hdr);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "title"), "New");
	ck_assert_str_ne(reply_header(r, "ETag"), etag);
	reply_free(r);
	free(etag);
}
END_TEST

START_TEST(if_match)
{
	json_t *doc = create("{\"name\":\"Guarded Person\",\"title\":\"Original\"}");
	long long id = jint(doc, "id");
	json_decref(doc);
	const char *path = strdup(participant_path(id));
	char *etag = etag_of(path);
	const char *wrongs[] = {"If-Match: \"0000000000000000\"", "If-Match: W/ETAG",
	                        "If-Match: garbage", NULL};
	for (int i = 0; wrongs[i]; i++) {
		char wrong[160];
		if (strstr(wrongs[i], "ETAG"))
			snprintf(wrong, sizeof wrong, "If-Match: W/%s", etag);
		else
			snprintf(wrong, sizeof wrong, "%s", wrongs[i]);
		const char *const hdr[] = {"AUTH", wrong, NULL};
		struct reply *r = req(&h, "PUT", path, "{\"name\":\"Changed\"}", hdr);
		assert_problem(r, 412, "precondition-failed");
		reply_free(r);
		r = req(&h, "PATCH", path, "{\"title\":\"Changed\"}", hdr);
		assert_problem(r, 412, "precondition-failed");
		reply_free(r);
		r = req(&h, "DELETE", path, NULL, hdr);
		assert_problem(r, 412, "precondition-failed");
		reply_free(r);
		json_t *now = fetch(path);
		ck_assert_int_eq(jint(now, "version"), 1);
		ck_assert_str_eq(jstr(now, "name"), "Guarded Person");
		ck_assert_str_eq(jstr(now, "title"), "Original");
		json_decref(now);
		char *again = etag_of(path);
		ck_assert_str_eq(again, etag);
		free(again);
	}

	/* The right tag: the change goes through. */
	char right[128];
	snprintf(right, sizeof right, "If-Match: %s", etag);
	const char *const ok[] = {"AUTH", right, NULL};
	struct reply *r =
	    req(&h, "PUT", path, "{\"name\":\"Guarded Person\",\"title\":\"V2\"}", ok);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "version"), 2);
	char *etag2 = strdup(reply_header(r, "ETag"));
	reply_free(r);

	/* The old tag is stale now, for every write. */
	r = req(&h, "PATCH", path, "{\"title\":\"V3\"}", ok);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	r = req(&h, "DELETE", path, NULL, ok);
	assert_problem(r, 412, "precondition-failed");
	reply_free(r);
	json_t *now = fetch(path);
	ck_assert_str_eq(jstr(now, "title"), "V2");
	ck_assert_int_eq(jint(now, "version"), 2);
	json_decref(now);

	/* The new tag, in a list, works for PATCH. */
	char right2[192];
	snprintf(right2, sizeof right2, "If-Match: \"0000000000000000\", %s", etag2);
	const char *const ok2[] = {"AUTH", right2, NULL};
	r = req(&h, "PATCH", path, "{\"title\":\"V3\"}", ok2);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "title"), "V3");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);

	/* If-Match: * matches any existing participant. */
	const char *const star[] = {"AUTH", "If-Match: *", NULL};
	r = req(&h, "PATCH", path, "{\"title\":\"V4\"}", star);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "version"), 4);
	reply_free(r);
	r = req(&h, "PUT", path, "{\"name\":\"Guarded Person\",\"title\":\"V5\"}", star);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "version"), 5);
	reply_free(r);

	/* DELETE with the current tag. */
	char *etag5 = etag_of(path);
	char right5[128];
	snprintf(right5, sizeof right5, "If-Match: %s", etag5);
	const char *const ok5[] = {"AUTH", right5, NULL};
	r = req(&h, "DELETE", path, NULL, ok5);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = get(&h, path);
	ck_assert_int_eq(r->status, 404);
	reply_free(r);
	/* If-Match: * on a participant that does not exist never succeeds. */
	r = req(&h, "PATCH", path, "{\"title\":\"V6\"}", star);
	ck_assert(r->status == 404 || r->status == 412);
	reply_free(r);
	ck_assert_int_eq(total(), 0);
	free(etag5);
	free(etag2);
	free(etag);
	free((char *)path);
}
END_TEST

/* ---- delete ---- */

START_TEST(delete_and_ids_not_reused)
{
	long long a = create_named("First Person", NULL);
	long long b = create_named("Second Person", NULL);
	ck_assert_int_gt(b, a);
	struct reply *r = write_json(&h, "DELETE", participant_path(b), NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	r = get(&h, participant_path(b));
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, COLL "/second-person");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = write_json(&h, "DELETE", participant_path(b), NULL);
	assert_problem(r, 404, "not-found");
	reply_free(r);
	ck_assert_int_eq(total(), 1);

	/* b was the highest id: a new row must still not get it. */
	long long c = create_named("Third Person", NULL);
	ck_assert_int_gt(c, b);
	/* Deleting through the slug works too. */
	r = write_json(&h, "DELETE", COLL "/first-person", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = get(&h, participant_path(a));
	ck_assert_int_eq(r->status, 404);
	reply_free(r);
	long long d = create_named("Fourth Person", NULL);
	ck_assert_int_gt(d, c);
	/* Even after a restart. */
	r = write_json(&h, "DELETE", participant_path(d), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	harness_restart(&h, NULL);
	long long e = create_named("Fifth Person", NULL);
	ck_assert_int_gt(e, d);
	ck_assert_int_eq(total(), 2);
}
END_TEST

/* ---- authentication ---- */

START_TEST(writes_need_token)
{
	json_t *doc = create("{\"name\":\"Protected Person\"}");
	long long id = jint(doc, "id");
	json_decref(doc);
	const char *path = strdup(participant_path(id));
	char *etag = etag_of(path);
	const char *auths[] = {
	    NULL, /* none */
	    "Authorization: Bearer wrong-token",
	    "Authorization: Bearer ",
	    "Authorization: Bearer test-token-0123456788",       /* last char differs */
	    "Authorization: Bearer test-token-012345678",        /* a prefix */
	    "Authorization: Bearer test-token-01234567890",      /* longer */
	    "Authorization: Basic dGVzdC10b2tlbi0wMTIzNDU2Nzg5", /* not Bearer */
	    "Authorization: test-token-0123456789",              /* no scheme */
	    "Authorization: Bearertest-token-0123456789",        /* no space */
	    NULL};
	const int n_auths = 9;
	struct {
		const char *method, *path, *body;
	} writes[] = {
	    {"POST", COLL, "{\"name\":\"Intruder\"}"},
	    {"PUT", path, "{\"name\":\"Intruder\"}"},
	    {"PATCH", path, "{\"name\":\"Intruder\"}"},
	    {"DELETE", path, NULL},
	};
	for (int a = 0; a < n_auths; a++) {
		for (size_t w = 0; w < sizeof writes / sizeof writes[0]; w++) {
			const char *hdr[] = {auths[a], NULL};
			struct reply *r = req(&h, writes[w].method, writes[w].path, writes[w].body,
			                      auths[a] ? hdr : NULL);
			ck_assert_msg(r->status == 401, "%s with %s: %ld", writes[w].method,
			              auths[a] ? auths[a] : "(none)", r->status);
			assert_problem(r, 401, "unauthorized");
			const char *www = reply_header(r, "WWW-Authenticate");
			ck_assert_ptr_nonnull(www);
			ck_assert_ptr_nonnull(strstr(www, "Bearer"));
			reply_free(r);
			ck_assert_int_eq(total(), 1);
			char *now = etag_of(path);
			ck_assert_str_eq(now, etag);
			free(now);
		}
	}
	/* Reads need no token. */
	struct reply *r = get(&h, path);
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	r = get(&h, COLL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	reply_free(r);
	/* The scheme is case-insensitive (RFC 9110). */
	const char *const lower[] = {"Authorization: bearer " TEST_TOKEN, NULL};
	r = req(&h, "POST", COLL, "{\"name\":\"Lower Case\"}", lower);
	ck_assert_int_eq(r->status, 201);
	reply_free(r);
	ck_assert_int_eq(total(), 2);
	free(etag);
	free((char *)path);
}
END_TEST

/* ---- bad bodies ---- */

struct bad_body {
	const char *what;
	char *body; /* owned */
	long status;
	const char *pointer; /* for 422 */
};

static void add_bad(struct bad_body *list, size_t *n, const char *what, const char *body,
                    long status, const char *pointer)
{
	list[*n].what = what;
	list[*n].body = strdup(body);
	list[*n].status = status;
	list[*n].pointer = pointer;
	(*n)++;
}

/* {"name":"Nested","deep": <levels-1 arrays>} nests `levels` deep. */
static char *nested_body(int levels)
{
	char *open = repeat("[", (size_t)levels - 1);
	char *close = repeat("]", (size_t)levels - 1);
	size_t len = strlen(open) * 2 + 64;
	char *out = malloc(len);
	snprintf(out, len, "{\"name\":\"Nested\",\"deep\":%s%s}", open, close);
	free(open);
	free(close);
	return out;
}

START_TEST(bad_bodies_write_nothing)
{
	json_t *doc = create("{\"name\":\"Target Person\",\"title\":\"Kept\"}");
	long long id = jint(doc, "id");
	json_decref(doc);
	const char *path = strdup(participant_path(id));

	struct bad_body list[64];
	size_t n = 0;
	add_bad(list, &n, "malformed", "{\"name\":", 400, NULL);
	add_bad(list, &n, "malformed quote", "{'name':'x'}", 400, NULL);
	add_bad(list, &n, "trailing garbage", "{\"name\":\"x\"} x", 400, NULL);
	add_bad(list, &n, "two documents", "{\"name\":\"x\"}{}", 400, NULL);
	add_bad(list, &n, "empty", "", 400, NULL);
	add_bad(list, &n, "invalid utf-8", "{\"name\":\"\xff\xfe\"}", 400, NULL);
	add_bad(list, &n, "invalid utf-8 key", "{\"na\xc3me\":\"x\"}", 400, NULL);
	add_bad(list, &n, "overlong utf-8", "{\"name\":\"\xc0\xaf\"}", 400, NULL);
	add_bad(list, &n, "lone surrogate", "{\"name\":\"\\ud800\"}", 400, NULL);
	add_bad(list, &n, "nul escape", "{\"name\":\"a\\u0000b\"}", 400, NULL);
	add_bad(list, &n, "nul escape in alias", "{\"name\":\"a\",\"aliases\":[\"\\u0000\"]}", 400,
	        NULL);
	char *deep = nested_body(33);
	add_bad(list, &n, "depth 33", deep, 400, NULL);
	free(deep);
	deep = nested_body(5000);
	add_bad(list, &n, "depth 5000", deep, 400, NULL);
	free(deep);
	deep = nested_body(32);
	add_bad(list, &n, "depth 32", deep, 422, "/deep");
	free(deep);
	add_bad(list, &n, "duplicate keys", "{\"name\":\"a\",\"name\":\"b\"}", 400, NULL);
	add_bad(list, &n, "top-level array", "[{\"name\":\"a\"}]", 422, "");
	add_bad(list, &n, "empty array", "[]", 422, "");
	add_bad(list, &n, "name number", "{\"name\":5}", 422, "/name");
	add_bad(list, &n, "name empty", "{\"name\":\"\"}", 422, "/name");
	add_bad(list, &n, "name array", "{\"name\":[\"x\"]}", 422, "/name");
	add_bad(list, &n, "aliases string", "{\"name\":\"a\",\"aliases\":\"x\"}", 422, "/aliases");
	add_bad(list, &n, "alias number", "{\"name\":\"a\",\"aliases\":[\"x\",3]}", 422,
	        "/aliases/1");
	add_bad(list, &n, "alias empty", "{\"name\":\"a\",\"aliases\":[\"\"]}", 422, "/aliases/0");
	add_bad(list, &n, "country number", "{\"name\":\"a\",\"country\":1}", 422, "/country");
	add_bad(list, &n, "country ZZ", "{\"name\":\"a\",\"country\":\"ZZ\"}", 422, "/country");
	add_bad(list, &n, "country us", "{\"name\":\"a\",\"country\":\"us\"}", 422, "/country");
	add_bad(list, &n, "country USA", "{\"name\":\"a\",\"country\":\"USA\"}", 422, "/country");
	add_bad(list, &n, "title number", "{\"name\":\"a\",\"title\":true}", 422, "/title");
	add_bad(list, &n, "organization object", "{\"name\":\"a\",\"organization\":{}}", 422,
	        "/organization");
	add_bad(list, &n, "unknown field", "{\"name\":\"a\",\"that_field\":1}", 422, "/that_field");
	add_bad(list, &n, "unknown escaped field", "{\"name\":\"a\",\"a/b~c\":1}", 422, "/a~1b~0c");
	add_bad(list, &n, "duplicate alias", "{\"name\":\"a\",\"aliases\":[\"X\",\"X\"]}", 422,
	        "/aliases/1");
	char *long_title = repeat("t", 201);
	char buf[2048];
	snprintf(buf, sizeof buf, "{\"name\":\"a\",\"title\":\"%s\"}", long_title);
	add_bad(list, &n, "title 201", buf, 422, "/title");
	snprintf(buf, sizeof buf, "{\"name\":\"a\",\"organization\":\"%s\"}", long_title);
	add_bad(list, &n, "organization 201", buf, 422, "/organization");
	snprintf(buf, sizeof buf, "{\"name\":\"%s\"}", long_title);
	add_bad(list, &n, "name 201", buf, 422, "/name");
	snprintf(buf, sizeof buf, "{\"name\":\"a\",\"aliases\":[\"%s\"]}", long_title);
	add_bad(list, &n, "alias 201", buf, 422, "/aliases/0");
	free(long_title);
	char *e201 = repeat("\xc3\xa9", 201);
	snprintf(buf, sizeof buf, "{\"name\":\"%s\"}", e201);
	add_bad(list, &n, "name 201 code points", buf, 422, "/name");
	free(e201);
	strcpy(buf, "{\"name\":\"a\",\"aliases\":[");
	for (int i = 0; i < 21; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s\"alias %d\"",
		         i ? "," : "", i);
	strcat(buf, "]}");
	add_bad(list, &n, "21 aliases", buf, 422, "/aliases");

	struct {
		const char *method;
		const char *path;
	} targets[] = {{"POST", COLL}, {"PUT", path}, {"PATCH", path}};
	char *etag = etag_of(path);
	for (size_t t = 0; t < 3; t++) {
		for (size_t i = 0; i < n; i++) {
			/* A PATCH body without the name keeps the stored one, so
			 * "name" cases stay invalid; "top-level" shapes too. */
			struct reply *r =
			    write_json(&h, targets[t].method, targets[t].path, list[i].body);
			ck_assert_msg(r->status == list[i].status, "%s %s: got %ld want %ld: %s",
			              targets[t].method, list[i].what, r->status, list[i].status,
			              r->body);
			if (list[i].status == 422)
				assert_invalid(r, list[i].pointer);
			else
				assert_problem(r, list[i].status, NULL);
			reply_free(r);
			ck_assert_msg(total() == 1, "%s %s wrote a row", targets[t].method,
			              list[i].what);
			char *now = etag_of(path);
			ck_assert_msg(strcmp(now, etag) == 0, "%s %s changed the record",
			              targets[t].method, list[i].what);
			free(now);
		}
	}
	free(etag);
	for (size_t i = 0; i < n; i++)
		free(list[i].body);
	free((char *)path);
}
END_TEST

START_TEST(depth_is_counted_outside_strings)
{
	/* Brackets inside strings are text, escaped quotes included. */
	char *brackets = repeat("[", 40);
	char body[512];
	snprintf(body, sizeof body, "{\"name\":\"%s\"}", brackets);
	json_t *a = create(body);
	ck_assert_str_eq(jstr(a, "name"), brackets);
	json_decref(a);
	snprintf(body, sizeof body, "{\"name\":\"q\\\"%s\\\\\",\"title\":\"%s\"}", brackets,
	         brackets);
	json_t *b = create(body);
	ck_assert_int_eq(strlen(jstr(b, "name")), 43);
	json_decref(b);
	free(brackets);
	ck_assert_int_eq(total(), 2);
}
END_TEST

START_TEST(length_limits_count_code_points)
{
	char *a200 = repeat("a", 200);
	char *e200 = repeat("\xc3\xa9", 200);
	char *cjk200 = repeat("\xe4\xb8\xad", 200);
	char body[4096];
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"title\":\"%s\",\"organization\":\"%s\"}",
	         a200, e200, cjk200);
	json_t *a = create(body);
	ck_assert_str_eq(jstr(a, "name"), a200);
	ck_assert_str_eq(jstr(a, "title"), e200);
	ck_assert_str_eq(jstr(a, "organization"), cjk200);
	json_decref(a);
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"aliases\":[\"%s\"]}", e200, e200);
	json_t *b = create(body);
	ck_assert_str_eq(jstr(b, "name"), e200);
	ck_assert_msg(is_slug(jstr(b, "slug")), "slug %s", jstr(b, "slug"));
	json_decref(b);
	/* 20 aliases is the most. */
	char aliases[512] = "{\"name\":\"Many Names\",\"aliases\":[";
	for (int i = 0; i < 20; i++)
		snprintf(aliases + strlen(aliases), sizeof aliases - strlen(aliases), "%s\"n%d\"",
		         i ? "," : "", i);
	strcat(aliases, "]}");
	json_t *c = create(aliases);
	ck_assert_int_eq(json_array_size(jget(c, "aliases")), 20);
	ck_assert_str_eq(jstr(c, "aliases.19"), "n19");
	json_decref(c);
	free(a200);
	free(e200);
	free(cjk200);
}
END_TEST

START_TEST(every_problem_listed)
{
	struct reply *r = post("{\"name\":\"\",\"country\":\"ZZ\",\"aliases\":[\"a\",\"a\"]}");
	assert_problem(r, 422, "validation");
	ck_assert_str_eq(jstr(r->json, "detail"), "3 fields are invalid");
	ck_assert_int_eq(json_array_size(jget(r->json, "errors")), 3);
	ck_assert(has_error(r->json, "/name"));
	ck_assert(has_error(r->json, "/country"));
	ck_assert(has_error(r->json, "/aliases/1"));
	reply_free(r);
	r = post("{\"name\":7,\"bogus\":true,\"title\":1,\"country\":\"us\"}");
	assert_problem(r, 422, "validation");
	ck_assert_str_eq(jstr(r->json, "detail"), "4 fields are invalid");
	ck_assert(has_error(r->json, "/name"));
	ck_assert(has_error(r->json, "/bogus"));
	ck_assert(has_error(r->json, "/title"));
	ck_assert(has_error(r->json, "/country"));
	reply_free(r);
	r = post("{}");
	assert_invalid(r, "/name");
	ck_assert_str_eq(jstr(r->json, "detail"), "1 field is invalid");
	reply_free(r);
	ck_assert_int_eq(total(), 0);
}
END_TEST

/* ---- lists ---- */

/* The ids of a list page, in order, as a comma-separated text. */
static char *page_ids(const char *path, struct reply **out)
{
	struct reply *r = get(&h, path);
	ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
	json_t *data = jget(r->json, "data");
	ck_assert(json_is_array(data));
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	size_t i;
	json_t *v;
	json_array_foreach(data, i, v)
	{
		fprintf(f, "%s%lld", i ? "," : "",
		        (long long)json_integer_value(json_object_get(v, "id")));
	}
	fclose(f);
	if (out)
		*out = r;
	else
		reply_free(r);
	return s;
}

static void expect_ids(const char *path, const char *want)
{
	char *got = page_ids(path, NULL);
	ck_assert_msg(strcmp(got, want) == 0, "GET %s: ids %s, want %s", path, got, want);
	free(got);
}

START_TEST(list_search_and_filter)
{
	json_t *b = create("{\"name\":\"Antony Blinken\",\"aliases\":[\"Anthony Blinken\"],"
	                   "\"country\":\"US\"}");
	long long blinken = jint(b, "id");
	long long xi = create_named("Xi Jinping", "CN");
	long long wang = create_named("Wang Yi", "CN");
	long long pct = create_named("Mr 100% Percent_Sign", NULL);
	char want[64];

	/* The first page's items are the full representation. */
	struct reply *r = NULL;
	free(page_ids(COLL "?q=blinken", &r));
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	ck_assert(json_equal(jget(r->json, "data.0"), b));
	ck_assert(json_is_null(jget(r->json, "next_cursor")));
	ck_assert_ptr_null(reply_header(r, "Link"));
	ck_assert_ptr_null(jget(r->json, "total"));
	ck_assert_ptr_null(reply_header(r, "X-Total-Count"));
	ck_assert_pstr_eq(reply_header(r, "Content-Type"), "application/json");
	reply_free(r);
	json_decref(b);

	snprintf(want, sizeof want, "%lld", blinken);
	expect_ids(COLL "?q=anthony%20blinken", want);
	expect_ids(COLL "?q=ANTHONY+BLINKEN", want);
	expect_ids(COLL "?q=thony", want);
	expect_ids(COLL "?q=BLINK", want);
	snprintf(want, sizeof want, "%lld", xi);
	expect_ids(COLL "?q=jinp", want);
	expect_ids(COLL "?q=nobody", "");
	/* LIKE wildcards are plain characters. */
	snprintf(want, sizeof want, "%lld", pct);
	expect_ids(COLL "?q=%25", want);
	expect_ids(COLL "?q=_", want);
	expect_ids(COLL "?q=0%25%20p", want);
	expect_ids(COLL "?q=i_j", "");
	expect_ids(COLL "?q=a%25i", "");

	/* country filter, alone and with q (AND). */
	snprintf(want, sizeof want, "%lld,%lld", wang, xi);
	expect_ids(COLL "?country=CN", want);
	snprintf(want, sizeof want, "%lld", wang);
	expect_ids(COLL "?country=CN&q=yi", want);
	expect_ids(COLL "?country=US&q=yi", "");
	expect_ids(COLL "?country=DE", "");
}
END_TEST

START_TEST(list_search_non_ascii_case)
{
	/* Look-ups are case-insensitive (API.md 2): that holds for letters
	 * outside ASCII as well. */
	long long id = create_named("Jos\xc3\xa9 M\xc3\xbcller", NULL);
	char want[32];
	snprintf(want, sizeof want, "%lld", id);
	expect_ids(COLL "?q=m%C3%BCller", want);
	expect_ids(COLL "?q=M%C3%9CLLER", want);
	expect_ids(COLL "?q=JOS%C3%89", want);
}
END_TEST

START_TEST(list_sorts)
{
	long long c = create_named("charlie", NULL);
	long long a = create_named("Alpha", NULL);
	long long b = create_named("bravo", NULL);
	long long a2 = create_named("alpha", NULL);
	long long d = create_named("Delta", NULL);
	char want[128];
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld,%lld", a, a2, b, c, d);
	expect_ids(COLL, want);
	expect_ids(COLL "?sort=name", want);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld,%lld", d, c, b, a2, a);
	expect_ids(COLL "?sort=-name", want);
	/* meeting_count is 0 for everyone: ties by id. */
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld,%lld", c, a, b, a2, d);
	expect_ids(COLL "?sort=meeting_count", want);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld,%lld", d, a2, b, a, c);
	expect_ids(COLL "?sort=-meeting_count", want);
	/* limit cuts each order at the front. */
	snprintf(want, sizeof want, "%lld,%lld", d, c);
	expect_ids(COLL "?sort=-name&limit=2", want);
	snprintf(want, sizeof want, "%lld", c);
	expect_ids(COLL "?sort=meeting_count&limit=1", want);
}
END_TEST

START_TEST(list_count)
{
	for (int i = 0; i < 5; i++)
		create_named(path_fmt("Counted %d", i), i < 2 ? "JP" : NULL);
	struct reply *r = get(&h, COLL "?count=true&limit=2");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "total"), 5);
	ck_assert_pstr_eq(reply_header(r, "X-Total-Count"), "5");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 2);
	reply_free(r);
	r = get(&h, COLL "?count=true&country=JP");
	ck_assert_int_eq(jint(r->json, "total"), 2);
	ck_assert_pstr_eq(reply_header(r, "X-Total-Count"), "2");
	reply_free(r);
	r = get(&h, COLL "?count=true&q=nothing-like-this");
	ck_assert_int_eq(jint(r->json, "total"), 0);
	ck_assert_pstr_eq(reply_header(r, "X-Total-Count"), "0");
	reply_free(r);
	r = get(&h, COLL "?count=false");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_null(jget(r->json, "total"));
	ck_assert_ptr_null(reply_header(r, "X-Total-Count"));
	reply_free(r);
}
END_TEST

START_TEST(list_bad_parameters)
{
	create_named("Someone", "US");
	char *q501 = repeat("a", 501);
	char *q500 = repeat("a", 500);
	char p501[600], p500[600];
	snprintf(p501, sizeof p501, COLL "?q=%s", q501);
	snprintf(p500, sizeof p500, COLL "?q=%s", q500);
	const char *bad[] = {COLL "?limit=0",
	                     COLL "?limit=201",
	                     COLL "?limit=x",
	                     COLL "?limit=-1",
	                     COLL "?limit=",
	                     COLL "?limit=1x",
	                     COLL "?limit=99999999999999999999",
	                     COLL "?sort=bogus",
	                     COLL "?sort=",
	                     COLL "?sort=NAME",
	                     COLL "?sort=id",
	                     COLL "?country=us",
	                     COLL "?country=ZZ",
	                     COLL "?country=USA",
	                     COLL "?country=",
	                     COLL "?q=",
	                     COLL "?q",
	                     p501,
	                     COLL "?count=maybe",
	                     COLL "?cursor=",
	                     COLL "?cursor=not-a-cursor",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		struct reply *r = get(&h, bad[i]);
		ck_assert_msg(r->status == 400, "GET %s: %ld", bad[i], r->status);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	/* Odd bytes in parameters are answered, never a 500. */
	char *long_cursor = repeat("A", 2000);
	const char *odd[] = {COLL "?q=%FF",
	                     COLL "?q=%C3",
	                     COLL "?q=%00",
	                     COLL "?q=a%00b",
	                     COLL "?sort=%FF",
	                     COLL "?country=%FF",
	                     COLL "?limit=%00",
	                     COLL "?cursor=%FF",
	                     COLL "?q=%27%22%3B--",
	                     COLL "?q=%5C",
	                     NULL};
	for (int i = 0; odd[i]; i++) {
		struct reply *r = get(&h, odd[i]);
		ck_assert_msg(r->status == 200 || r->status == 400, "GET %s: %ld", odd[i],
		              r->status);
		reply_free(r);
	}
	struct reply *lc = get(&h, path_fmt(COLL "?cursor=%s", long_cursor));
	assert_problem(lc, 400, NULL);
	reply_free(lc);
	free(long_cursor);
	const char *good[] = {COLL "?limit=1", COLL "?limit=200", p500, COLL "?country=US", NULL};
	for (int i = 0; good[i]; i++) {
		struct reply *r = get(&h, good[i]);
		ck_assert_msg(r->status == 200, "GET %s: %ld", good[i], r->status);
		reply_free(r);
	}
	free(q500);
	free(q501);
}
END_TEST

/* ---- keyset pagination ---- */

#define MAX_ROWS 600

struct row {
	long long id;
	char name[64];
	char country[3];
};

static struct row created[MAX_ROWS];
static size_t created_n;

static void remember(long long id, const char *name, const char *country)
{
	ck_assert_int_lt(created_n, MAX_ROWS);
	created[created_n].id = id;
	snprintf(created[created_n].name, sizeof created[created_n].name, "%s", name);
	snprintf(created[created_n].country, sizeof created[created_n].country, "%s",
	         country ? country : "");
	created_n++;
}

/* SQLite's NOCASE: ASCII letters folded, then bytes. */
static int nocase_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
}

static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	int c = nocase_cmp(a->name, b->name);
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int row_cmp_desc(const void *x, const void *y)
{
	return row_cmp(y, x);
}

/* Creates n participants whose names repeat a few values in mixed case, so
 * many share a name; every third one is in FR. */
static void create_many(size_t n)
{
	static const char *const names[] = {"Kim", "kim",  "Lee",  "Ann Lee", "KIM",
	                                    "Bo",  "lee",  "Park", "Zed",     "Ann lee",
	                                    "bo",  "park", "Lee"};
	created_n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = names[(i * 7) % (sizeof names / sizeof names[0])];
		const char *country = i % 3 == 0 ? "FR" : NULL;
		remember(create_named(name, country), name, country);
	}
}

/* The path of a Link header's next URL (into out), after checking its form. */
static void link_path(const char *link, char *out, size_t outlen)
{
	ck_assert_ptr_nonnull(link);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "<http://127.0.0.1:%d" COLL "?", h.port);
	ck_assert_msg(strncmp(link, prefix, strlen(prefix)) == 0, "Link %s", link);
	const char *end = strchr(link, '>');
	ck_assert_ptr_nonnull(end);
	ck_assert_str_eq(end, ">; rel=\"next\"");
	const char *start = link + strlen(prefix) - strlen(COLL "?");
	size_t len = (size_t)(end - start);
	ck_assert_int_lt(len, outlen);
	memcpy(out, start, len);
	out[len] = '\0';
}

/* Whether the query of path has key=value exactly once. */
static int param_count(const char *path, const char *kv)
{
	const char *q = strchr(path, '?');
	int n = 0;
	size_t len = strlen(kv);
	for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
		const char *item = p + 1;
		if (strncmp(item, kv, len) == 0 && (item[len] == '&' || item[len] == '\0'))
			n++;
	}
	return n;
}

struct walk {
	struct row rows[MAX_ROWS];
	size_t n;
	int pages;
};

static struct walk walked;

typedef void (*between_pages_fn)(int page);

/* Walks every page of COLL?query, following next_cursor (or the Link header
 * when via_link), checking every page's form. must_have lists key=value
 * items each next-page Link must carry. */
static void walk_pages(const char *query, bool via_link, const char *const *must_have, int limit,
                       between_pages_fn between, struct walk *w)
{
	char path[4096];
	snprintf(path, sizeof path, COLL "?%s", query);
	w->n = 0;
	w->pages = 0;
	long long first_total = -1;
	for (;;) {
		ck_assert_msg(w->pages < 200, "too many pages: the walk does not end");
		struct reply *r = get(&h, path);
		ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
		w->pages++;
		json_t *data = jget(r->json, "data");
		ck_assert(json_is_array(data));
		ck_assert_int_le(json_array_size(data), limit);
		size_t i;
		json_t *v;
		json_array_foreach(data, i, v)
		{
			ck_assert_int_lt(w->n, MAX_ROWS);
			w->rows[w->n].id = jint(v, "id");
			snprintf(w->rows[w->n].name, sizeof w->rows[w->n].name, "%s",
			         jstr(v, "name"));
			const char *country = jstr(v, "country");
			snprintf(w->rows[w->n].country, sizeof w->rows[w->n].country, "%s",
			         country ? country : "");
			w->n++;
		}
		json_t *total_v = jget(r->json, "total");
		if (total_v) {
			if (first_total < 0)
				first_total = json_integer_value(total_v);
			ck_assert_int_eq(json_integer_value(total_v), first_total);
		}
		json_t *next = jget(r->json, "next_cursor");
		ck_assert_ptr_nonnull(next);
		if (json_is_null(next)) {
			ck_assert_ptr_null(reply_header(r, "Link"));
			reply_free(r);
			break;
		}
		/* A page with a next page is full. */
		ck_assert_int_eq(json_array_size(data), limit);
		ck_assert(json_is_string(next));
		char cursor[2048];
		snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
		char lpath[4096];
		link_path(reply_header(r, "Link"), lpath, sizeof lpath);
		reply_free(r);
		for (int k = 0; must_have && must_have[k]; k++)
			ck_assert_msg(param_count(lpath, must_have[k]) == 1, "Link %s lacks %s",
			              lpath, must_have[k]);
		char want_cursor[2100];
		snprintf(want_cursor, sizeof want_cursor, "cursor=%s", cursor);
		ck_assert_msg(param_count(lpath, want_cursor) == 1, "Link %s lacks %s", lpath,
		              want_cursor);
		if (between)
			between(w->pages);
		if (via_link)
			snprintf(path, sizeof path, "%s", lpath);
		else
			snprintf(path, sizeof path, COLL "?%s&cursor=%s", query, cursor);
	}
}

static void assert_walk_is(const struct walk *w, const struct row *want, size_t n, const char *what)
{
	ck_assert_msg(w->n == n, "%s: %zu rows, want %zu", what, w->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(w->rows[i].id == want[i].id, "%s: row %zu is id %lld, want %lld",
		              what, i, w->rows[i].id, want[i].id);
}

START_TEST(pagination_walks_every_row_once)
{
	create_many(120);
	static struct row asc[MAX_ROWS], desc[MAX_ROWS];
	memcpy(asc, created, created_n * sizeof created[0]);
	memcpy(desc, created, created_n * sizeof created[0]);
	qsort(asc, created_n, sizeof asc[0], row_cmp);
	qsort(desc, created_n, sizeof desc[0], row_cmp_desc);

	const char *const asc_params[] = {"limit=7", NULL};
	const char *const desc_params[] = {"limit=7", "sort=-name", NULL};
	for (int via_link = 0; via_link < 2; via_link++) {
		walk_pages("limit=7", via_link, asc_params, 7, NULL, &walked);
		assert_walk_is(&walked, asc, created_n, via_link ? "name via Link" : "name");
		ck_assert_int_eq(walked.pages, 18); /* 17 full pages and one of 1 */
		walk_pages("sort=name&limit=7", via_link, asc_params, 7, NULL, &walked);
		assert_walk_is(&walked, asc, created_n, "sort=name");
		walk_pages("limit=7&sort=-name", via_link, desc_params, 7, NULL, &walked);
		assert_walk_is(&walked, desc, created_n, via_link ? "-name via Link" : "-name");
	}

	/* meeting_count is 0 for everyone: the walk is by id. */
	static struct row by_id[MAX_ROWS];
	memcpy(by_id, created, created_n * sizeof created[0]);
	const char *const mc[] = {"limit=7", "sort=meeting_count", NULL};
	walk_pages("sort=meeting_count&limit=7", true, mc, 7, NULL, &walked);
	assert_walk_is(&walked, by_id, created_n, "meeting_count");
	for (size_t i = 0; i < created_n; i++)
		by_id[i] = created[created_n - 1 - i];
	const char *const mcd[] = {"limit=7", "sort=-meeting_count", NULL};
	walk_pages("sort=-meeting_count&limit=7", false, mcd, 7, NULL, &walked);
	assert_walk_is(&walked, by_id, created_n, "-meeting_count");

	/* A page size that divides the total exactly: the last full page says
	 * there is no more (no empty page follows). */
	walk_pages("limit=40", false, NULL, 40, NULL, &walked);
	assert_walk_is(&walked, asc, created_n, "limit=40");
	ck_assert_int_eq(walked.pages, 3);
	walk_pages("limit=200", false, NULL, 200, NULL, &walked);
	assert_walk_is(&walked, asc, created_n, "limit=200");
	ck_assert_int_eq(walked.pages, 1);
}
END_TEST

START_TEST(pagination_keeps_filters)
{
	create_many(120);
	/* q=ee matches Lee, Ann Lee, lee, Ann lee; only FR ones. */
	static struct row want[MAX_ROWS];
	size_t n = 0;
	for (size_t i = 0; i < created_n; i++) {
		char lower[64];
		size_t k;
		for (k = 0; created[i].name[k]; k++)
			lower[k] = (char)tolower((unsigned char)created[i].name[k]);
		lower[k] = '\0';
		if (strstr(lower, "ee") && strcmp(created[i].country, "FR") == 0)
			want[n++] = created[i];
	}
	ck_assert_int_gt(n, 7);
	qsort(want, n, sizeof want[0], row_cmp_desc);
	const char *const params[] = {"q=EE",    "country=FR", "sort=-name",
	                              "limit=3", "count=true", NULL};
	for (int via_link = 0; via_link < 2; via_link++) {
		walk_pages("q=EE&country=FR&sort=-name&limit=3&count=true", via_link, params, 3,
		           NULL, &walked);
		assert_walk_is(&walked, want, n, "filtered");
		for (size_t i = 0; i < walked.n; i++)
			ck_assert_str_eq(walked.rows[i].country, "FR");
	}
	/* A q with a space and a percent sign travels encoded in the Link. */
	long long a = create_named("Odd 50% Name", NULL);
	long long b = create_named("odd 50% name", NULL);
	struct reply *r = get(&h, COLL "?q=d%2050%25&limit=1");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "data.0.id"), a);
	char lpath[4096];
	link_path(reply_header(r, "Link"), lpath, sizeof lpath);
	reply_free(r);
	ck_assert_msg(param_count(lpath, "q=d%2050%25") == 1, "Link %s", lpath);
	r = get(&h, lpath);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	ck_assert_int_eq(jint(r->json, "data.0.id"), b);
	ck_assert(json_is_null(jget(r->json, "next_cursor")));
	ck_assert_ptr_null(reply_header(r, "Link"));
	reply_free(r);
}
END_TEST

static int inserted;
static long long inserted_late[64];
static int inserted_late_n;

static void insert_between(int page)
{
	(void)page;
	/* One that sorts before everything (already passed) and one after. */
	create_named(path_fmt("Aaa inserted %d", inserted), NULL);
	inserted_late[inserted_late_n++] =
	    create_named(path_fmt("Zzz inserted %02d", inserted), NULL);
	/* And one that ties with a name in the middle. */
	create_named("Lee", NULL);
	inserted++;
}

START_TEST(pagination_with_inserts)
{
	create_many(120);
	inserted = 0;
	inserted_late_n = 0;
	static struct row asc[MAX_ROWS];
	memcpy(asc, created, created_n * sizeof created[0]);
	qsort(asc, created_n, sizeof asc[0], row_cmp);
	walk_pages("limit=7", false, NULL, 7, insert_between, &walked);
	ck_assert_int_gt(inserted, 10);
	/* Every row present before is seen exactly once. */
	for (size_t i = 0; i < created_n; i++) {
		int seen = 0;
		for (size_t k = 0; k < walked.n; k++)
			seen += walked.rows[k].id == created[i].id;
		ck_assert_msg(seen == 1, "id %lld seen %d times", created[i].id, seen);
	}
	/* No row twice, and the order holds across pages. */
	for (size_t k = 0; k < walked.n; k++) {
		for (size_t j = k + 1; j < walked.n; j++)
			ck_assert_msg(walked.rows[k].id != walked.rows[j].id, "id %lld twice",
			              walked.rows[k].id);
		if (k)
			ck_assert_msg(row_cmp(&walked.rows[k - 1], &walked.rows[k]) < 0,
			              "order broken at %zu", k);
	}
	/* Rows added after the current position are reached. */
	for (int i = 0; i < inserted_late_n; i++) {
		int seen = 0;
		for (size_t k = 0; k < walked.n; k++)
			seen += walked.rows[k].id == inserted_late[i];
		ck_assert_msg(seen == 1, "late insert %lld seen %d times", inserted_late[i], seen);
	}
	/* And no "Aaa" row (before the position when it was added). */
	for (size_t k = 0; k < walked.n; k++)
		ck_assert_msg(strncmp(walked.rows[k].name, "Aaa", 3) != 0, "saw %s",
		              walked.rows[k].name);
}
END_TEST

static char *first_cursor(const char *query)
{
	struct reply *r = get(&h, path_fmt(COLL "?%s", query));
	ck_assert_int_eq(r->status, 200);
	const char *c = jstr(r->json, "next_cursor");
	ck_assert_ptr_nonnull(c);
	char *out = strdup(c);
	reply_free(r);
	return out;
}

START_TEST(pagination_rejects_altered_cursors)
{
	create_many(20);
	char *cursor = first_cursor("limit=7");
	size_t len = strlen(cursor);
	ck_assert_int_gt(len, 10);
	/* The untouched cursor works. */
	struct reply *r = get(&h, path_fmt(COLL "?limit=7&cursor=%s", cursor));
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 7);
	reply_free(r);
	/* Every single-character change is refused. */
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *altered = strdup(cursor);
	for (size_t i = 0; i < len; i++) {
		for (int k = 0; k < 2; k++) {
			memcpy(altered, cursor, len + 1);
			/* the next letter, and a far one, of the alphabet */
			const char *at = strchr(alphabet, cursor[i]);
			ck_assert_ptr_nonnull(at);
			size_t pos = (size_t)(at - alphabet);
			altered[i] = alphabet[(pos + (k ? 29 : 1)) % 64];
			r = get(&h, path_fmt(COLL "?limit=7&cursor=%s", altered));
			ck_assert_msg(r->status == 400, "cursor changed at %zu (%c->%c): %ld", i,
			              cursor[i], altered[i], r->status);
			assert_problem(r, 400, NULL);
			reply_free(r);
		}
	}
	free(altered);
	/* Shortened, lengthened, padded. */
	char variants[4][1100];
	snprintf(variants[0], sizeof variants[0], "%.*s", (int)len - 1, cursor);
	snprintf(variants[1], sizeof variants[1], "%sA", cursor);
	snprintf(variants[2], sizeof variants[2], "%s=", cursor);
	snprintf(variants[3], sizeof variants[3], "%s%%3D", cursor);
	for (int i = 0; i < 4; i++) {
		r = get(&h, path_fmt(COLL "?limit=7&cursor=%s", variants[i]));
		ck_assert_msg(r->status == 400, "cursor %s: %ld", variants[i], r->status);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	free(cursor);
}
END_TEST

START_TEST(pagination_cursor_bound_to_list)
{
	create_many(30);
	char *cursor = first_cursor("limit=7");
	const char *bad[] = {"sort=-name", "sort=meeting_count", "sort=-meeting_count",
	                     "q=lee",      "country=FR",         "q=lee&country=FR",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		struct reply *r = get(&h, path_fmt(COLL "?limit=7&%s&cursor=%s", bad[i], cursor));
		ck_assert_msg(r->status == 400, "cursor for name used with %s: %ld", bad[i],
		              r->status);
		assert_problem(r, 400, NULL);
		reply_free(r);
	}
	/* The same list (explicit default sort, other limit, count) accepts it. */
	const char *good[] = {"sort=name", "limit=3", "count=true", NULL};
	for (int i = 0; good[i]; i++) {
		struct reply *r = get(&h, path_fmt(COLL "?%s&cursor=%s", good[i], cursor));
		ck_assert_msg(r->status == 200, "cursor with %s: %ld", good[i], r->status);
		reply_free(r);
	}
	free(cursor);
	/* And the other way round: a filtered cursor on the unfiltered list. */
	cursor = first_cursor("q=lee&limit=2");
	struct reply *r = get(&h, path_fmt(COLL "?limit=2&cursor=%s", cursor));
	assert_problem(r, 400, NULL);
	reply_free(r);
	r = get(&h, path_fmt(COLL "?q=LEE&limit=2&cursor=%s", cursor));
	assert_problem(r, 400, NULL);
	reply_free(r);
	r = get(&h, path_fmt(COLL "?q=lee&limit=2&cursor=%s", cursor));
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	free(cursor);
}
END_TEST

START_TEST(pagination_long_multibyte_names)
{
	/* Names may be 200 code points of up to 4 bytes each: the cursor must
	 * carry the whole sort key or ties on such a name repeat or vanish. */
	char *cjk = repeat("\xe4\xb8\xad", 200);       /* 600 bytes */
	char *emoji = repeat("\xf0\x9f\x98\x80", 200); /* 800 bytes */
	created_n = 0;
	for (int i = 0; i < 4; i++) {
		remember(create_named(cjk, NULL), "cjk", NULL);
		remember(create_named(emoji, NULL), "emoji", NULL);
	}
	free(cjk);
	free(emoji);
	const char *orders[] = {"limit=1", "limit=1&sort=-name", "limit=3", "limit=3&sort=-name",
	                        NULL};
	for (int o = 0; orders[o]; o++) {
		walk_pages(orders[o], false, NULL, o < 2 ? 1 : 3, NULL, &walked);
		ck_assert_msg(walked.n == created_n, "%s: %zu rows, want %zu", orders[o], walked.n,
		              created_n);
		for (size_t i = 0; i < created_n; i++) {
			int seen = 0;
			for (size_t k = 0; k < walked.n; k++)
				seen += walked.rows[k].id == created[i].id;
			ck_assert_msg(seen == 1, "%s: id %lld seen %d times", orders[o],
			              created[i].id, seen);
		}
	}
}
END_TEST

/* ---- derived fields (attendance rows written with plain SQL) ---- */

static void raw_sql(const char *sql)
{
	harness_sql(&h, sql);
}

START_TEST(attended_participant)
{
	long long a = create_named("Attendee One", "CN");
	long long b = create_named("Attendee Two", "US");
	long long c = create_named("Stay Home", NULL);
	char *before = etag_of(participant_path(a));
	raw_sql("INSERT INTO meetings (slug, title, date, created_at, updated_at) VALUES "
	        "('m1', 'M1', '2024-04-26', '2024-01-01T00:00:00.000Z', "
	        "'2024-01-01T00:00:00.000Z'), ('m2', 'M2', '2023-11-15', "
	        "'2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')");
	raw_sql(path_fmt("INSERT INTO attendances (meeting_id, participant_id, role, position) "
	                 "SELECT id, %lld, 'host', 0 FROM meetings",
	                 a));
	raw_sql(path_fmt("INSERT INTO attendances (meeting_id, participant_id, role, position) "
	                 "SELECT id, %lld, 'guest', 1 FROM meetings WHERE slug = 'm1'",
	                 b));
	json_t *doc = fetch(participant_path(a));
	ck_assert_int_eq(jint(doc, "meeting_count"), 2);
	ck_assert_str_eq(jstr(doc, "first_meeting_date"), "2023-11-15");
	ck_assert_str_eq(jstr(doc, "last_meeting_date"), "2024-04-26");
	json_decref(doc);

	/* The representation changed, so the ETag did. */
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %s", before);
	const char *const hdr[] = {inm, NULL};
	struct reply *r = req(&h, "GET", participant_path(a), NULL, hdr);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_ne(reply_header(r, "ETag"), before);
	reply_free(r);
	free(before);

	/* Still referenced: 409, with or without If-Match, and it stays. */
	r = write_json(&h, "DELETE", participant_path(a), NULL);
	assert_problem(r, 409, "conflict");
	reply_free(r);
	char *etag = etag_of(participant_path(a));
	char im[128];
	snprintf(im, sizeof im, "If-Match: %s", etag);
	const char *const cond[] = {"AUTH", im, NULL};
	r = req(&h, "DELETE", participant_path(a), NULL, cond);
	assert_problem(r, 409, "conflict");
	reply_free(r);
	free(etag);
	ck_assert_int_eq(total(), 3);

	/* Writes keep the derived fields; a body cannot set them. */
	r = write_json(&h, "PUT", participant_path(a),
	               "{\"name\":\"Attendee One\",\"meeting_count\":0,"
	               "\"first_meeting_date\":null}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "meeting_count"), 2);
	ck_assert_str_eq(jstr(r->json, "first_meeting_date"), "2023-11-15");
	reply_free(r);

	/* Sorted by meeting count, with keyset pages across the counts. */
	char want[64];
	snprintf(want, sizeof want, "%lld,%lld,%lld", c, b, a);
	expect_ids(COLL "?sort=meeting_count", want);
	snprintf(want, sizeof want, "%lld,%lld,%lld", a, b, c);
	expect_ids(COLL "?sort=-meeting_count", want);
	for (int via_link = 0; via_link < 2; via_link++) {
		walk_pages("sort=-meeting_count&limit=1", via_link, NULL, 1, NULL, &walked);
		ck_assert_int_eq(walked.n, 3);
		ck_assert_int_eq(walked.rows[0].id, a);
		ck_assert_int_eq(walked.rows[1].id, b);
		ck_assert_int_eq(walked.rows[2].id, c);
		walk_pages("sort=meeting_count&limit=2", via_link, NULL, 2, NULL, &walked);
		ck_assert_int_eq(walked.n, 3);
		ck_assert_int_eq(walked.rows[0].id, c);
		ck_assert_int_eq(walked.rows[1].id, b);
		ck_assert_int_eq(walked.rows[2].id, a);
	}

	/* Without attendances the fields clear and the delete goes through. */
	raw_sql("DELETE FROM attendances");
	doc = fetch(participant_path(a));
	ck_assert_int_eq(jint(doc, "meeting_count"), 0);
	ck_assert(json_is_null(jget(doc, "first_meeting_date")));
	ck_assert(json_is_null(jget(doc, "last_meeting_date")));
	json_decref(doc);
	r = write_json(&h, "DELETE", participant_path(a), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	ck_assert_int_eq(total(), 2);
}
END_TEST

/* ---- concurrency ---- */

#define WRITERS 8
#define WRITES_EACH 5

struct writer {
	pthread_t thread;
	long status[WRITES_EACH];
	long long id[WRITES_EACH];
	char slug[WRITES_EACH][64];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < WRITES_EACH; i++) {
		struct reply *r = post("{\"name\":\"Same Name\"}");
		w->status[i] = r->status;
		w->id[i] = r->json ? jint(r->json, "id") : -1;
		const char *slug = r->json ? jstr(r->json, "slug") : NULL;
		snprintf(w->slug[i], sizeof w->slug[i], "%s", slug ? slug : "");
		reply_free(r);
	}
	return NULL;
}

START_TEST(concurrent_creates_get_distinct_slugs)
{
	static struct writer writers[WRITERS];
	long groups = harness_metric(&h, "readout_write_groups_total");
	long grouped = harness_metric(&h, "readout_grouped_writes_total");
	for (int t = 0; t < WRITERS; t++)
		ck_assert_int_eq(pthread_create(&writers[t].thread, NULL, writer_main, &writers[t]),
		                 0);
	for (int t = 0; t < WRITERS; t++)
		pthread_join(writers[t].thread, NULL);
	for (int t = 0; t < WRITERS; t++) {
		for (int i = 0; i < WRITES_EACH; i++) {
			ck_assert_msg(writers[t].status[i] == 201, "writer %d write %d: %ld", t, i,
			              writers[t].status[i]);
			ck_assert_msg(is_slug(writers[t].slug[i]), "slug %s", writers[t].slug[i]);
			for (int u = 0; u < WRITERS; u++)
				for (int k = 0; k < WRITES_EACH; k++)
					if (u != t || k != i) {
						ck_assert_int_ne(writers[t].id[i],
						                 writers[u].id[k]);
						ck_assert_str_ne(writers[t].slug[i],
						                 writers[u].slug[k]);
					}
		}
	}
	ck_assert_int_eq(total(), WRITERS * WRITES_EACH);
	struct reply *r = get(&h, COLL "/same-name");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	r = get(&h, path_fmt(COLL "/same-name-%d", WRITERS * WRITES_EACH));
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	/* Every write is counted once, alone or in a group. That they share
	 * commits depends on how they meet here; test_http_faults.c makes
	 * them meet behind a lock. */
	groups = harness_metric(&h, "readout_write_groups_total") - groups;
	grouped = harness_metric(&h, "readout_grouped_writes_total") - grouped;
	ck_assert_int_eq(grouped, WRITERS * WRITES_EACH);
	ck_assert_int_le(groups, grouped);
}
END_TEST

struct claimant {
	pthread_t thread;
	int n;
	long contested, own; /* the status of each of its two creates */
};

static void *claimant_main(void *arg)
{
	struct claimant *c = arg;
	struct reply *r = post("{\"slug\":\"contested\",\"name\":\"Contested\"}");
	c->contested = r->status;
	reply_free(r);
	char body[64]; /* not path_fmt: its buffers are not for threads */
	snprintf(body, sizeof body, "{\"name\":\"Claimant %d\"}", c->n);
	r = post(body);
	c->own = r->status;
	reply_free(r);
	return NULL;
}

/* Racing creates of one slug, in the same groups as writes that succeed:
 * one 201 and 409s, and the 409s undo only their own work. */
START_TEST(racing_creates_of_one_slug)
{
	static struct claimant c[WRITERS];
	for (int t = 0; t < WRITERS; t++) {
		c[t].n = t;
		ck_assert_int_eq(pthread_create(&c[t].thread, NULL, claimant_main, &c[t]), 0);
	}
	for (int t = 0; t < WRITERS; t++)
		pthread_join(c[t].thread, NULL);
	int won = 0;
	for (int t = 0; t < WRITERS; t++) {
		ck_assert_msg(c[t].contested == 201 || c[t].contested == 409, "claimant %d: %ld", t,
		              c[t].contested);
		won += c[t].contested == 201;
		ck_assert_int_eq(c[t].own, 201);
		json_t *doc = fetch(path_fmt(COLL "/claimant-%d", t));
		json_decref(doc);
	}
	ck_assert_int_eq(won, 1);
	ck_assert_int_eq(total(), WRITERS + 1);
}
END_TEST

/* ---- limits of the transport ---- */

START_TEST(body_too_large)
{
	create_named("Existing", NULL);
	size_t n = 1100 * 1024;
	char *big = malloc(n + 32);
	strcpy(big, "{\"name\":\"");
	memset(big + strlen(big), 'x', n);
	strcpy(big + 9 + n, "\"}");
	struct reply *r = post(big);
	assert_problem(r, 413, NULL);
	reply_free(r);
	r = write_json(&h, "PUT", COLL "/existing", big);
	assert_problem(r, 413, NULL);
	reply_free(r);
	free(big);
	ck_assert_int_eq(total(), 1);
	json_t *doc = fetch(COLL "/existing");
	ck_assert_int_eq(jint(doc, "version"), 1);
	json_decref(doc);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	Suite *s = suite_create("http_participants");
	TCase *tc = tcase_create("participants");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, create_full_record);
	tcase_add_test(tc, create_minimal_has_nulls);
	tcase_add_test(tc, create_derives_slug_and_dedupes);
	tcase_add_test(tc, create_explicit_slug);
	tcase_add_test(tc, create_ignores_read_only_fields);
	tcase_add_test(tc, read_by_id_and_slug);
	tcase_add_test(tc, read_missing_is_404);
	tcase_add_test(tc, read_bad_ref_is_400);
	tcase_add_test(tc, put_replaces_whole_record);
	tcase_add_test(tc, patch_merges);
	tcase_add_test(tc, content_types);
	tcase_add_test(tc, if_none_match_gives_304);
	tcase_add_test(tc, if_match);
	tcase_add_test(tc, delete_and_ids_not_reused);
	tcase_add_test(tc, writes_need_token);
	tcase_add_test(tc, bad_bodies_write_nothing);
	tcase_add_test(tc, depth_is_counted_outside_strings);
	tcase_add_test(tc, length_limits_count_code_points);
	tcase_add_test(tc, every_problem_listed);
	tcase_add_test(tc, list_search_and_filter);
	tcase_add_test(tc, list_search_non_ascii_case);
	tcase_add_test(tc, list_sorts);
	tcase_add_test(tc, list_count);
	tcase_add_test(tc, list_bad_parameters);
	tcase_add_test(tc, pagination_walks_every_row_once);
	tcase_add_test(tc, pagination_keeps_filters);
	tcase_add_test(tc, pagination_with_inserts);
	tcase_add_test(tc, pagination_rejects_altered_cursors);
	tcase_add_test(tc, pagination_cursor_bound_to_list);
	tcase_add_test(tc, pagination_long_multibyte_names);
	tcase_add_test(tc, attended_participant);
	tcase_add_test(tc, concurrent_creates_get_distinct_slugs);
	tcase_add_test(tc, racing_creates_of_one_slug);
	tcase_add_test(tc, body_too_large);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
