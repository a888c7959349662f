/* Who changed what, and when: the change feed and version history over
 * HTTP (API.md section 11), on either backend. */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void expect_status(const struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
}

/* POSTs body to path and returns the new record's id. */
static long long create(const char *path, const char *body)
{
	struct reply *r = write_json(&h, "POST", path, body);
	expect_status(r, 201);
	long long id = jint(r->json, "id");
	reply_free(r);
	return id;
}

/* Every change after since (of the type= in query, "" for all), walked with
 * pages of limit; returns them as a JSON array (new reference) and checks
 * that each page's next_since is its last seq. */
static json_t *follow(long long since, int limit, const char *query)
{
	json_t *all = json_array();
	for (;;) {
		char path[256];
		snprintf(path, sizeof path, "/v1/changes?since=%lld&limit=%d%s", since, limit,
		         query);
		struct reply *r = get(&h, path);
		expect_status(r, 200);
		ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
		json_t *data = json_object_get(r->json, "data");
		size_t n = json_array_size(data);
		ck_assert_int_le(n, limit);
		long long next = jint(r->json, "next_since");
		if (n == 0) {
			ck_assert_int_eq(next, since);
			reply_free(r);
			return all;
		}
		ck_assert_int_eq(
		    next, json_integer_value(json_object_get(json_array_get(data, n - 1), "seq")));
		json_array_extend(all, data);
		since = next;
		reply_free(r);
	}
}

/* The newest seq of the feed (0 when empty). */
static long long newest(void)
{
	json_t *all = follow(0, 1000, "");
	size_t n = json_array_size(all);
	long long seq = n ? jint(json_array_get(all, n - 1), "seq") : 0;
	json_decref(all);
	return seq;
}

/* Checks change c: its action, type, id and version. */
static void expect_change(json_t *c, const char *action, const char *type, long long id,
                          long long version)
{
	ck_assert_msg(c != NULL, "missing change (%s %s %lld)", action, type, id);
	ck_assert_str_eq(jstr(c, "action"), action);
	ck_assert_str_eq(jstr(c, "type"), type);
	ck_assert_int_eq(jint(c, "id"), id);
	ck_assert_int_eq(jint(c, "version"), version);
	ck_assert_ptr_nonnull(jstr(c, "slug"));
	ck_assert_int_eq(strlen(jstr(c, "at")), 24);
	ck_assert_ptr_nonnull(json_object_get(c, "actor"));
}

START_TEST(every_write_records_one_change_in_commit_order)
{
	long long xi = create("/v1/participants", "{\"name\": \"Xi Jinping\"}");
	long long wang = create("/v1/participants", "{\"name\": \"Wang Yi\"}");
	long long p = create("/v1/principles", "{\"name\": \"Mutual respect\"}");
	char body[512];
	snprintf(body, sizeof body,
	         "{\"title\": \"Talks\", \"date\": \"2024-04-26\", \"kind\": \"talks\", "
	         "\"participants\": [{\"id\": %lld, \"role\": \"host\"}], \"principles\": "
	         "[{\"id\": %lld, \"stance\": \"proposed\"}]}",
	         xi, p);
	long long m = create("/v1/meetings", body);
	struct reply *r = write_json(&h, "PATCH", path_fmt("/v1/participants/%lld", xi),
	                             "{\"title\": \"President\"}");
	expect_status(r, 200);
	reply_free(r);
	r = write_json(&h, "PUT", path_fmt("/v1/meetings/%lld/participants/%lld", m, wang),
	               "{\"role\": \"guest\"}");
	expect_status(r, 200);
	reply_free(r);
	r = req(&h, "DELETE", path_fmt("/v1/meetings/%lld/principles/%lld", m, p), NULL,
	        (const char *[]){"AUTH", NULL});
	expect_status(r, 204);
	reply_free(r);
	r = req(&h, "DELETE", path_fmt("/v1/meetings/%lld", m), NULL,
	        (const char *[]){"AUTH", NULL});
	expect_status(r, 204);
	reply_free(r);

	json_t *all = follow(0, 100, "");
	ck_assert_int_eq(json_array_size(all), 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_int_eq(jint(json_array_get(all, i), "seq"), (long long)i + 1);
	expect_change(json_array_get(all, 0), "create", "participant", xi, 1);
	ck_assert_str_eq(jstr(json_array_get(all, 0), "slug"), "xi-jinping");
	expect_change(json_array_get(all, 1), "create", "participant", wang, 1);
	expect_change(json_array_get(all, 2), "create", "principle", p, 1);
	expect_change(json_array_get(all, 3), "create", "meeting", m, 1);
	expect_change(json_array_get(all, 4), "update", "participant", xi, 2);
	expect_change(json_array_get(all, 5), "update", "meeting", m, 2);
	expect_change(json_array_get(all, 6), "update", "meeting", m, 3);
	/* A delete ends the last live version: it is that version plus one. */
	expect_change(json_array_get(all, 7), "delete", "meeting", m, 4);

	/* Pages of any size walk the same feed; so does each type alone. */
	for (int limit = 1; limit <= 3; limit++) {
		json_t *again = follow(0, limit, "");
		ck_assert(json_equal(again, all));
		json_decref(again);
	}
	json_t *meetings = follow(0, 2, "&type=meeting");
	ck_assert_int_eq(json_array_size(meetings), 4);
	ck_assert_int_eq(jint(json_array_get(meetings, 0), "seq"), 4);
	json_decref(meetings);
	json_t *two = follow(0, 100, "&type=principle,participant");
	ck_assert_int_eq(json_array_size(two), 4);
	json_decref(two);
	/* Nothing newer: an empty page that says where to continue from. */
	r = get(&h, "/v1/changes?since=8");
	expect_status(r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 0);
	ck_assert_int_eq(jint(r->json, "next_since"), 8);
	reply_free(r);
	json_decref(all);
}
END_TEST

START_TEST(refused_writes_record_nothing)
{
	long long xi = create("/v1/participants", "{\"name\": \"Xi Jinping\"}");
	char body[256];
	snprintf(body, sizeof body,
	         "{\"title\": \"Talks\", \"date\": \"2024-04-26\", \"kind\": \"talks\", "
	         "\"participants\": [{\"id\": %lld}]}",
	         xi);
	create("/v1/meetings", body);
	long long before = newest();
	ck_assert_int_eq(before, 2);
	/* 422, 409 (slug taken), 409 (still referenced), 412, 404. */
	struct reply *r = write_json(&h, "POST", "/v1/participants", "{\"name\": 5}");
	expect_status(r, 422);
	reply_free(r);
	r = write_json(&h, "POST", "/v1/participants",
	               "{\"name\": \"X\", \"slug\": \"xi-jinping\"}");
	expect_status(r, 409);
	reply_free(r);
	r = req(&h, "DELETE", path_fmt("/v1/participants/%lld", xi), NULL,
	        (const char *[]){"AUTH", NULL});
	expect_status(r, 409);
	reply_free(r);
	r = req(&h, "PATCH", path_fmt("/v1/participants/%lld", xi), "{\"title\": \"T\"}",
	        (const char *[]){"AUTH", "If-Match: \"0000000000000000\"",
	                         "Content-Type: application/merge-patch+json", NULL});
	expect_status(r, 412);
	reply_free(r);
	r = req(&h, "DELETE", "/v1/participants/999", NULL, (const char *[]){"AUTH", NULL});
	expect_status(r, 404);
	reply_free(r);
	snprintf(body, sizeof body,
	         "{\"title\": \"Bad\", \"date\": \"2024-04-26\", \"kind\": \"talks\", "
	         "\"participants\": [{\"slug\": \"nobody\"}]}");
	r = write_json(&h, "POST", "/v1/meetings", body);
	expect_status(r, 422);
	reply_free(r);
	r = write_json(&h, "POST", "/v1/import",
	               "{\"participants\": [{\"name\": \"New\", \"slug\": \"new\"}], \"meetings\": "
	               "[{\"title\": \"T\", \"slug\": \"t\", \"date\": \"2024-01-01\", \"kind\": "
	               "\"phone_call\", \"participants\": [{\"slug\": \"nobody\"}]}]}");
	expect_status(r, 422);
	reply_free(r);
	ck_assert_int_eq(newest(), before);
	r = get(&h, "/v1/participants/new");
	expect_status(r, 404);
	reply_free(r);
}
END_TEST

START_TEST(an_import_records_one_change_per_record)
{
	long long old = create("/v1/participants", "{\"name\": \"Xi Jinping\"}");
	struct reply *r = write_json(
	    &h, "POST", "/v1/import",
	    "{\"format\": \"readout/1\", \"participants\": [{\"name\": \"Xi Jinping\", \"slug\": "
	    "\"xi-jinping\", \"title\": \"President\"}, {\"name\": \"Wang Yi\", \"slug\": "
	    "\"wang-yi\"}], \"principles\": [{\"name\": \"Peace\", \"slug\": \"peace\"}], "
	    "\"meetings\": [{\"title\": \"One\", \"slug\": \"one\", \"date\": \"2024-01-01\", "
	    "\"kind\": \"phone_call\", \"participants\": [{\"slug\": \"wang-yi\"}], "
	    "\"principles\": "
	    "[{\"slug\": \"peace\"}], \"related\": [{\"slug\": \"two\", \"relation\": "
	    "\"references\"}]}, {\"title\": \"Two\", \"slug\": \"two\", \"date\": "
	    "\"2024-02-01\", \"kind\": \"phone_call\"}]}");
	expect_status(r, 200);
	reply_free(r);
	json_t *all = follow(1, 100, "");
	ck_assert_int_eq(json_array_size(all), 5);
	expect_change(json_array_get(all, 0), "update", "participant", old, 2);
	ck_assert_str_eq(jstr(json_array_get(all, 1), "slug"), "wang-yi");
	ck_assert_str_eq(jstr(json_array_get(all, 1), "action"), "create");
	ck_assert_str_eq(jstr(json_array_get(all, 2), "type"), "principle");
	ck_assert_str_eq(jstr(json_array_get(all, 3), "slug"), "one");
	ck_assert_str_eq(jstr(json_array_get(all, 4), "slug"), "two");
	/* Each version reads as the records did after the whole import: Wang
	 * Yi counts the meeting written after him. */
	long long wang = jint(json_array_get(all, 1), "id");
	r = get(&h, path_fmt("/v1/participants/%lld/versions/1", wang));
	expect_status(r, 200);
	ck_assert_int_eq(jint(r->json, "meeting_count"), 1);
	reply_free(r);
	json_decref(all);
}
END_TEST

START_TEST(a_version_is_what_its_write_answered)
{
	struct reply *a = write_json(&h, "POST", "/v1/participants", "{\"name\": \"Ada Example\"}");
	expect_status(a, 201);
	long long id = jint(a->json, "id");
	char etag_a[32];
	snprintf(etag_a, sizeof etag_a, "%s", reply_header(a, "ETag"));
	struct reply *b = write_json(&h, "PATCH", path_fmt("/v1/participants/%lld", id),
	                             "{\"aliases\": [\"Ada\"]}");
	expect_status(b, 200);

	struct reply *v = get(&h, path_fmt("/v1/participants/%lld/versions/1", id));
	expect_status(v, 200);
	ck_assert_str_eq(v->body, a->body);
	ck_assert_str_eq(reply_header(v, "ETag"), etag_a);
	reply_free(v);
	v = get(&h, "/v1/participants/ada-example/versions/2");
	expect_status(v, 200);
	ck_assert_str_eq(v->body, b->body);
	reply_free(v);

	/* A meeting changes Ada's derived count, which is no change of hers:
	 * her versions keep the count of their time. */
	char body[256];
	snprintf(body, sizeof body,
	         "{\"title\": \"Talks\", \"date\": \"2024-04-26\", \"kind\": \"talks\", "
	         "\"participants\": [{\"id\": %lld}]}",
	         id);
	create("/v1/meetings", body);
	v = get(&h, path_fmt("/v1/participants/%lld/versions/2", id));
	ck_assert_str_eq(v->body, b->body);
	ck_assert_int_eq(jint(v->json, "meeting_count"), 0);
	reply_free(v);
	struct reply *now = get(&h, path_fmt("/v1/participants/%lld", id));
	ck_assert_int_eq(jint(now->json, "meeting_count"), 1);
	reply_free(now);

	/* The list: newest first, as a list page. */
	struct reply *l = get(&h, path_fmt("/v1/participants/%lld/versions?count=true", id));
	expect_status(l, 200);
	ck_assert_int_eq(jint(l->json, "total"), 2);
	ck_assert_int_eq(jint(l->json, "data.0.version"), 2);
	ck_assert_str_eq(jstr(l->json, "data.0.action"), "update");
	ck_assert_int_eq(jint(l->json, "data.1.version"), 1);
	ck_assert_str_eq(jstr(l->json, "data.1.action"), "create");
	ck_assert_ptr_nonnull(jstr(l->json, "data.1.at"));
	ck_assert_str_eq(jstr(l->json, "data.1.actor"), "cli"); /* --token's name */
	ck_assert(json_is_null(json_object_get(l->json, "next_cursor")));
	reply_free(l);
	l = get(&h, path_fmt("/v1/participants/%lld/versions?limit=1", id));
	ck_assert_int_eq(json_array_size(json_object_get(l->json, "data")), 1);
	const char *cursor = jstr(l->json, "next_cursor");
	ck_assert_ptr_nonnull(cursor);
	struct reply *l2 =
	    get(&h, path_fmt("/v1/participants/%lld/versions?limit=1&cursor=%s", id, cursor));
	expect_status(l2, 200);
	ck_assert_int_eq(jint(l2->json, "data.0.version"), 1);
	ck_assert(json_is_null(json_object_get(l2->json, "next_cursor")));
	reply_free(l2);
	reply_free(l);

	/* No such version, no such record, not a version number. */
	v = get(&h, path_fmt("/v1/participants/%lld/versions/3", id));
	assert_problem(v, 404, "not-found");
	reply_free(v);
	v = get(&h, path_fmt("/v1/participants/%lld/versions/abc", id));
	assert_problem(v, 404, "not-found");
	reply_free(v);
	v = get(&h, "/v1/participants/999/versions");
	assert_problem(v, 404, "not-found");
	reply_free(v);
	v = get(&h, "/v1/principles/ada-example/versions");
	assert_problem(v, 404, "not-found");
	reply_free(v);
	reply_free(a);
	reply_free(b);
}
END_TEST

START_TEST(a_deleted_record_keeps_its_versions)
{
	struct reply *a = write_json(&h, "POST", "/v1/principles", "{\"name\": \"Short lived\"}");
	long long id = jint(a->json, "id");
	struct reply *r = req(&h, "DELETE", path_fmt("/v1/principles/%lld", id), NULL,
	                      (const char *[]){"AUTH", NULL});
	expect_status(r, 204);
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/%lld", id));
	assert_problem(r, 404, "not-found");
	reply_free(r);
	for (int by_slug = 0; by_slug < 2; by_slug++) {
		const char *ref = by_slug ? "short-lived" : path_fmt("%lld", id);
		char path[128];
		snprintf(path, sizeof path, "/v1/principles/%s/versions", ref);
		r = get(&h, path);
		expect_status(r, 200);
		ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 2);
		ck_assert_int_eq(jint(r->json, "data.0.version"), 2);
		ck_assert_str_eq(jstr(r->json, "data.0.action"), "delete");
		reply_free(r);
	}
	r = get(&h, path_fmt("/v1/principles/%lld/versions/1", id));
	expect_status(r, 200);
	ck_assert_str_eq(r->body, a->body);
	reply_free(r);
	r = get(&h, path_fmt("/v1/principles/%lld/versions/2", id));
	assert_problem(r, 404, "not-found");
	ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "deletion"));
	reply_free(r);
	/* The slug is free again: the new record's versions are its own. */
	long long again = create("/v1/principles", "{\"name\": \"Short lived\"}");
	ck_assert_int_ne(again, id);
	r = get(&h, "/v1/principles/short-lived/versions");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 1);
	reply_free(r);
	reply_free(a);
}
END_TEST

START_TEST(bad_parameters_are_400)
{
	static const char *const bad[] = {
	    "since=-1", "since=abc",  "since=",        "since=9007199254740992",
	    "limit=0",  "limit=1001", "limit=x",       "wait=61",
	    "wait=-1",  "wait=1.5",   "type=meetings", "type=meeting,",
	    "type=",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply *r = get(&h, path_fmt("/v1/changes?%s", bad[i]));
		ck_assert_msg(r->status == 400, "%s: %ld %s", bad[i], r->status, r->body);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	struct reply *r = get(&h, "/v1/changes?since=9007199254740991&limit=1000&wait=0");
	expect_status(r, 200);
	ck_assert_str_eq(reply_header(r, "Cache-Control"), "no-store");
	reply_free(r);
}
END_TEST

START_TEST(retention_prunes_and_says_where_to_go_on)
{
	const char *const args[] = {"--changes-retention", "1", NULL};
	harness_restart(&h, args);
	for (int i = 0; i < 5; i++) {
		char body[64];
		snprintf(body, sizeof body, "{\"name\": \"Person %d\"}", i);
		create("/v1/participants", body);
	}
	/* The first three changes are two days old; a restart prunes at once. */
	harness_sql(&h, "UPDATE changes SET at = '2000-01-01T00:00:00.000Z' WHERE seq <= 3");
	harness_restart(&h, args);
	struct reply *r = NULL;
	for (int tries = 0; tries < 100; tries++) {
		reply_free(r);
		r = get(&h, "/v1/changes?since=0");
		if (r->status == 410)
			break;
		usleep(50 * 1000);
	}
	assert_problem(r, 410, "changes-pruned");
	ck_assert_int_eq(jint(r->json, "next_since"), 5);
	reply_free(r);
	r = get(&h, "/v1/changes?since=2");
	assert_problem(r, 410, "changes-pruned");
	reply_free(r);
	/* From the oldest kept change on, nothing is missing. */
	r = get(&h, "/v1/changes?since=3");
	expect_status(r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 2);
	ck_assert_int_eq(jint(r->json, "data.0.seq"), 4);
	reply_free(r);
	r = get(&h, "/v1/participants/person-0/versions");
	expect_status(r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 0);
	reply_free(r);
	r = get(&h, "/v1/participants/person-4/versions");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 1);
	reply_free(r);
}
END_TEST

/* The actor of a change is the name of the token that made it; a write made
 * without one (the command-line import, the sample data) has none. */
START_TEST(the_actor_is_the_token_name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tokens", h.dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("desk write desk-secret-0123456789\n", f);
	fclose(f);
	const char *const args[] = {"--token-file", path, "--token", TEST_TOKEN, NULL};
	harness_restart(&h, args);
	struct reply *r =
	    req(&h, "POST", "/v1/participants", "{\"name\": \"By the desk\"}",
	        (const char *[]){"Authorization: Bearer desk-secret-0123456789", NULL});
	expect_status(r, 201);
	reply_free(r);
	create("/v1/participants", "{\"name\": \"By the cli token\"}");
	json_t *all = follow(0, 100, "");
	ck_assert_int_eq(json_array_size(all), 2);
	ck_assert_str_eq(jstr(json_array_get(all, 0), "actor"), "desk");
	ck_assert_str_eq(jstr(json_array_get(all, 1), "actor"), "cli");
	json_decref(all);
	r = get(&h, "/v1/participants/by-the-desk/versions");
	ck_assert_str_eq(jstr(r->json, "data.0.actor"), "desk");
	reply_free(r);
}
END_TEST

/* ---- the guarantee under concurrent writers ---- */

#define WRITERS 4
#define WRITES_EACH 25

static void *writer(void *arg)
{
	long n = (long)arg;
	for (int i = 0; i < WRITES_EACH; i++) {
		char body[96];
		snprintf(body, sizeof body, "{\"name\": \"Writer %ld record %d\"}", n, i);
		struct reply *r = write_json(&h, "POST", "/v1/participants", body);
		if (r->status != 201)
			fprintf(stderr, "writer %ld: %ld %s\n", n, r->status, r->body);
		if (i % 3 == 0 && r->status == 201) {
			char path[64];
			snprintf(path, sizeof path, "/v1/participants/%lld", jint(r->json, "id"));
			reply_free(write_json(&h, "PATCH", path, "{\"title\": \"Edited\"}"));
		}
		reply_free(r);
	}
	return NULL;
}

START_TEST(a_follower_sees_every_change_once_in_order)
{
	pthread_t t[WRITERS];
	for (long i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	/* Follow while they write, in small pages: seq 1, 2, 3, ... each once. */
	const long long total = WRITERS * (WRITES_EACH + (WRITES_EACH + 2) / 3);
	long long since = 0, expected = 1;
	for (int round = 0; expected - 1 < total && round < 60000; round++) {
		struct reply *r = get(&h, path_fmt("/v1/changes?since=%lld&limit=7", since));
		expect_status(r, 200);
		json_t *data = json_object_get(r->json, "data");
		for (size_t i = 0; i < json_array_size(data); i++)
			ck_assert_int_eq(jint(json_array_get(data, i), "seq"), expected++);
		since = jint(r->json, "next_since");
		if (!json_array_size(data))
			usleep(1000);
		reply_free(r);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(expected - 1, total);
	ck_assert_int_eq(newest(), total);
}
END_TEST

/* ---- long polls ---- */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct poll_call {
	char path[128];
	struct reply *r;
	double done_ms;
};

static void *poll_thread(void *arg)
{
	struct poll_call *p = arg;
	p->r = get(&h, p->path);
	p->done_ms = now_ms();
	return NULL;
}

/* Starts GET path in a thread, and waits until the server holds it. */
static void poll_start(struct poll_call *p, pthread_t *t, const char *path)
{
	snprintf(p->path, sizeof p->path, "%s", path);
	p->r = NULL;
	ck_assert_int_eq(pthread_create(t, NULL, poll_thread, p), 0);
	usleep(300 * 1000);
	ck_assert_ptr_null(p->r); /* still held */
}

START_TEST(a_waiting_request_answers_at_the_commit)
{
	create("/v1/participants", "{\"name\": \"Before\"}");
	for (int round = 0; round < 3; round++) {
		struct poll_call p;
		pthread_t t;
		poll_start(&p, &t, path_fmt("/v1/changes?since=%d&wait=20", round + 1));
		char body[64];
		snprintf(body, sizeof body, "{\"name\": \"Round %d\"}", round);
		double before = now_ms();
		struct reply *w = write_json(&h, "POST", "/v1/participants", body);
		double written = now_ms();
		expect_status(w, 201);
		pthread_join(t, NULL);
		expect_status(p.r, 200);
		ck_assert_int_eq(json_array_size(json_object_get(p.r->json, "data")), 1);
		ck_assert_str_eq(jstr(p.r->json, "data.0.slug"), jstr(w->json, "slug"));
		ck_assert_int_eq(jint(p.r->json, "next_since"), round + 2);
		/* The commit happens before the write's answer: the poll answers at
		 * most a few milliseconds after it (generously bounded here). */
		double late = p.done_ms - written;
		fprintf(
		    stderr,
		    "long poll answered %.1f ms after the write's answer (write took %.1f ms)\n",
		    late, written - before);
		ck_assert_msg(late < 250, "answered %.1f ms after the write", late);
		reply_free(w);
		reply_free(p.r);
	}
}
END_TEST

/* The context switches of every thread of this process (the server's and
 * the test's) so far. */
static long context_switches(void)
{
	long n = 0;
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[300], line[256];
		snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
		FILE *f = fopen(path, "r");
		long v;
		while (f && fgets(line, sizeof line, f))
			if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
				n += v;
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

/* While no request waits, the notifier sleeps until one begins to: it
 * looked for waiting requests every 5 ms, some 400 wake-ups a second of an
 * idle server. Then a wait is answered at the next commit as ever. */
START_TEST(an_idle_server_sleeps)
{
	sleep(1); /* past the start's first round of background work */
	long before = context_switches();
	sleep(1);
	long switches = context_switches() - before;
	fprintf(stderr, "an idle second: %ld context switches\n", switches);
	ck_assert_msg(switches < 60, "%ld context switches in an idle second", switches);
	struct poll_call p;
	pthread_t t;
	poll_start(&p, &t, "/v1/changes?since=0&wait=20");
	struct reply *w = write_json(&h, "POST", "/v1/participants", "{\"name\": \"Awake\"}");
	expect_status(w, 201);
	pthread_join(t, NULL);
	expect_status(p.r, 200);
	ck_assert_str_eq(jstr(p.r->json, "data.0.slug"), jstr(w->json, "slug"));
	reply_free(w);
	reply_free(p.r);
}
END_TEST

START_TEST(a_wait_with_nothing_new_runs_out_empty)
{
	double start = now_ms();
	struct reply *r = get(&h, "/v1/changes?since=0&wait=1");
	double took = now_ms() - start;
	expect_status(r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 0);
	ck_assert_int_eq(jint(r->json, "next_since"), 0);
	ck_assert_msg(took >= 950 && took < 3000, "took %.0f ms", took);
	reply_free(r);
	/* wait=0 answers at once. */
	start = now_ms();
	r = get(&h, "/v1/changes?since=0&wait=0");
	expect_status(r, 200);
	ck_assert_msg(now_ms() - start < 500, "took %.0f ms", now_ms() - start);
	reply_free(r);
}
END_TEST

START_TEST(a_wait_for_one_type_ignores_the_others)
{
	struct poll_call p;
	pthread_t t;
	poll_start(&p, &t, "/v1/changes?since=0&wait=20&type=principle");
	create("/v1/participants", "{\"name\": \"Not this\"}");
	usleep(200 * 1000);
	ck_assert_ptr_null(p.r); /* woken, found nothing of its type, waits again */
	create("/v1/principles", "{\"name\": \"This one\"}");
	pthread_join(t, NULL);
	expect_status(p.r, 200);
	ck_assert_int_eq(json_array_size(json_object_get(p.r->json, "data")), 1);
	ck_assert_str_eq(jstr(p.r->json, "data.0.type"), "principle");
	ck_assert_int_eq(jint(p.r->json, "next_since"), 2);
	reply_free(p.r);
}
END_TEST

/* A commit by another process (here one row written as another readoutd
 * would write it, through a connection of its own) wakes the waiters too:
 * PRAGMA data_version on SQLite, LISTEN/NOTIFY on PostgreSQL. */
START_TEST(a_commit_by_another_process_wakes_waiters)
{
	struct poll_call p;
	pthread_t t;
	poll_start(&p, &t, "/v1/changes?since=0&wait=20");
	double before = now_ms();
	harness_sql(&h, "BEGIN; UPDATE change_log SET last_seq = last_seq + 1 WHERE id = 1; "
	                "INSERT INTO changes (seq, at, action, type, entity_id, slug, version, "
	                "actor) VALUES (1, '2026-01-01T00:00:00.000Z', 'create', 'participant', "
	                "77, 'elsewhere', 1, 'other'); COMMIT;");
	double written = now_ms();
	pthread_join(t, NULL);
	expect_status(p.r, 200);
	ck_assert_str_eq(jstr(p.r->json, "data.0.slug"), "elsewhere");
	ck_assert_str_eq(jstr(p.r->json, "data.0.actor"), "other");
	fprintf(stderr, "another process's commit: answered %.1f ms after it (it took %.1f ms)\n",
	        p.done_ms - written, written - before);
	ck_assert_msg(p.done_ms - written < 500, "answered %.1f ms late", p.done_ms - written);
	reply_free(p.r);
}
END_TEST

START_TEST(waiting_requests_are_bounded)
{
	const char *const args[] = {"--max-waiting", "2", NULL};
	harness_restart(&h, args);
	struct poll_call p[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		poll_start(&p[i], &t[i], "/v1/changes?since=0&wait=20");
	struct reply *r = get(&h, "/v1/changes?since=0&wait=20");
	assert_problem(r, 503, "unavailable");
	ck_assert_ptr_nonnull(reply_header(r, "Retry-After"));
	reply_free(r);
	/* A request that need not wait is answered as ever. */
	r = get(&h, "/v1/changes?since=0");
	expect_status(r, 200);
	reply_free(r);
	create("/v1/participants", "{\"name\": \"Wakes them\"}");
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		expect_status(p[i].r, 200);
		reply_free(p[i].r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_changes");
	TCase *tc = tcase_create("changes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_write_records_one_change_in_commit_order);
	tcase_add_test(tc, refused_writes_record_nothing);
	tcase_add_test(tc, an_import_records_one_change_per_record);
	tcase_add_test(tc, a_version_is_what_its_write_answered);
	tcase_add_test(tc, a_deleted_record_keeps_its_versions);
	tcase_add_test(tc, bad_parameters_are_400);
	tcase_add_test(tc, retention_prunes_and_says_where_to_go_on);
	tcase_add_test(tc, the_actor_is_the_token_name);
	tcase_add_test(tc, a_follower_sees_every_change_once_in_order);
	tcase_add_test(tc, a_waiting_request_answers_at_the_commit);
	tcase_add_test(tc, an_idle_server_sleeps);
	tcase_add_test(tc, a_wait_with_nothing_new_runs_out_empty);
	tcase_add_test(tc, a_wait_for_one_type_ignores_the_others);
	tcase_add_test(tc, a_commit_by_another_process_wakes_waiters);
	tcase_add_test(tc, waiting_requests_are_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
