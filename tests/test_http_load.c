/* Concurrent mixed load: 8 client threads at once create, replace, patch and
 * delete meetings, add and remove attendances and invocations, and read,
 * list and search, against one server. No answer may be a 5xx other than
 * 503 (counted and reported), and every answer must agree with what the
 * thread itself wrote: each thread owns its meetings, so it knows their
 * version, title and attendees at every moment. At the end the stored
 * state is checked against the sum of what the threads did, including the
 * derived counts that several threads changed at once.
 *
 * Made for ThreadSanitizer (scripts/check-tsan); it runs in the normal
 * suite too, for READOUT_LOAD_SECONDS (3 by default; check-tsan sets 10). */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define THREADS 8
#define PEOPLE 6            /* shared participants p0..p5 */
#define PRINCIPLES 3        /* shared principles q0..q2 */
#define OWN_MAX 64          /* meetings a thread keeps alive at most */
#define REQUESTS_MAX 200000 /* per thread: a bound whatever the duration */
#define ERRORS_SHOWN 5

static struct harness h;

/* ---- one thread's view ---- */

struct own {
	long long id;
	long long version;
	int serial; /* in the title: "Load t<thread> m<serial> r<revision>" */
	int revision;
	bool attends[PEOPLE]; /* who attends, as this thread made it */
	bool invokes[PRINCIPLES];
};

enum op {
	OP_CREATE,
	OP_GET,
	OP_REPLACE,
	OP_PATCH,
	OP_DELETE,
	OP_PUT_PARTICIPANT,
	OP_DELETE_PARTICIPANT,
	OP_PUT_PRINCIPLE,
	OP_DELETE_PRINCIPLE,
	OP_LIST,
	OP_SEARCH,
	OP_GET_PERSON,
	OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
    "create",          "get",           "replace",       "patch", "delete", "put-participant",
    "del-participant", "put-principle", "del-principle", "list",  "search", "get-participant"};

struct worker {
	int index;
	uint64_t rng;
	CURL *curl;
	struct own own[OWN_MAX];
	int own_count;
	int serial;
	long requests, unavailable, by_op[OP_KINDS];
	int errors;
	char error[ERRORS_SHOWN][300];
	double deadline;
};

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static int pick(struct worker *w, int n)
{
	return (int)(rnd(w) % (uint64_t)n);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void error(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void error(struct worker *w, const char *fmt, ...)
{
	if (w->errors < ERRORS_SHOWN) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->error[w->errors], sizeof w->error[0], fmt, ap);
		va_end(ap);
	}
	w->errors++;
}

/* ---- HTTP, thread-safe (the harness's helpers keep static buffers) ---- */

struct answer {
	long status;
	char *body;
	size_t len;
	json_t *json;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
	struct answer *a = userdata;
	size_t add = size * n;
	char *grown = realloc(a->body, a->len + add + 1);
	if (!grown)
		return 0;
	a->body = grown;
	memcpy(a->body + a->len, ptr, add);
	a->len += add;
	a->body[a->len] = '\0';
	return add;
}

/* Sends one request on the worker's connection. Returns the status, or 0
 * when no answer came (recorded as an error). */
static long call(struct worker *w, enum op op, const char *method, const char *path,
                 const char *body, struct answer *a)
{
	memset(a, 0, sizeof *a);
	char url[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h.port, path);
	struct curl_slist *headers = NULL;
	headers = curl_slist_append(headers, "Authorization: Bearer " TEST_TOKEN);
	headers = curl_slist_append(headers, "Expect:");
	if (body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	CURL *c = w->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* A third of the requests on a new connection, which the server may
	 * give to another worker thread (and its own database connection): a
	 * read must see a write made through any of them. */
	if (pick(w, 3) == 0) {
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	w->requests++;
	w->by_op[op]++;
	if (rc != CURLE_OK) {
		error(w, "%s %s: %s", method, path, curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	a->json = a->len ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	if (a->status == 503)
		w->unavailable++;
	else if (a->status >= 500)
		error(w, "%s %s: %ld %.200s", method, path, a->status, a->body ? a->body : "");
	return a->status;
}

static void answer_free(struct answer *a)
{
	free(a->body);
	json_decref(a->json);
}

static const char *jstring(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static long long jinteger(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* ---- what a meeting must look like ---- */

static void title_of(const struct worker *w, const struct own *m, char *out, size_t len)
{
	snprintf(out, len, "Load t%d m%d r%d", w->index, m->serial, m->revision);
}

/* A meeting body with m's title and every attendance and invocation m has. */
static char *meeting_body(const struct worker *w, const struct own *m)
{
	char title[64];
	title_of(w, m, title, sizeof title);
	json_t *people = json_array(), *principles = json_array();
	char slug[32];
	for (int p = 0; p < PEOPLE; p++) {
		if (!m->attends[p])
			continue;
		snprintf(slug, sizeof slug, "load-person-%d", p);
		json_array_append_new(people, json_pack("{s:s, s:s}", "slug", slug, "role",
		                                        p % 2 ? "guest" : "host"));
	}
	for (int q = 0; q < PRINCIPLES; q++) {
		if (!m->invokes[q])
			continue;
		snprintf(slug, sizeof slug, "load-principle-%d", q);
		json_array_append_new(principles,
		                      json_pack("{s:s, s:s}", "slug", slug, "stance", "cited"));
	}
	json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "title", title, "date", "2025-03-01",
	              "kind", "talks", "country", "FR", "summary", "Concurrent load",
	              "participants", people, "principles", principles);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

/* Checks a meeting document against what the thread knows of it. */
static void check_meeting(struct worker *w, const char *what, json_t *doc, const struct own *m)
{
	char title[64];
	title_of(w, m, title, sizeof title);
	if (!doc) {
		error(w, "%s: no JSON body", what);
		return;
	}
	if (jinteger(doc, "id") != m->id || jinteger(doc, "version") != m->version ||
	    !jstring(doc, "title") || strcmp(jstring(doc, "title"), title) != 0) {
		error(w, "%s: meeting %lld is version %lld '%s', expected version %lld '%s'", what,
		      m->id, jinteger(doc, "id") == m->id ? jinteger(doc, "version") : -1,
		      jstring(doc, "title") ? jstring(doc, "title") : "?", m->version, title);
		return;
	}
	json_t *people = json_object_get(doc, "participants");
	int seen = 0;
	for (size_t i = 0; i < json_array_size(people); i++) {
		const char *slug = jstring(json_array_get(people, i), "slug");
		int p = slug && strncmp(slug, "load-person-", 12) == 0 ? slug[12] - '0' : -1;
		if (p < 0 || p >= PEOPLE || !m->attends[p])
			error(w, "%s: meeting %lld lists %s, who does not attend", what, m->id,
			      slug ? slug : "?");
		seen++;
	}
	int expected = 0;
	for (int p = 0; p < PEOPLE; p++)
		expected += m->attends[p];
	if (seen != expected)
		error(w, "%s: meeting %lld lists %d participants, expected %d", what, m->id, seen,
		      expected);
	json_t *principles = json_object_get(doc, "principles");
	expected = 0;
	for (int q = 0; q < PRINCIPLES; q++)
		expected += m->invokes[q];
	if ((int)json_array_size(principles) != expected)
		error(w, "%s: meeting %lld lists %zu principles, expected %d", what, m->id,
		      json_array_size(principles), expected);
}

/* After a 503 on a write, nothing was written: the meeting must still be
 * as it was. */
static void check_unchanged(struct worker *w, const char *what, const struct own *m)
{
	struct answer a;
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", m->id);
	long st = call(w, OP_GET, "GET", path, NULL, &a);
	if (st == 200)
		check_meeting(w, what, a.json, m);
	else if (st != 503 && st != 0)
		error(w, "%s: GET %s after a 503: %ld", what, path, st);
	answer_free(&a);
}

/* ---- the operations ---- */

static void op_create(struct worker *w)
{
	if (w->own_count == OWN_MAX)
		return;
	struct own m = {.serial = ++w->serial, .version = 1};
	for (int p = 0; p < PEOPLE; p++)
		m.attends[p] = pick(w, 3) == 0;
	m.invokes[pick(w, PRINCIPLES)] = true;
	char *body = meeting_body(w, &m);
	struct answer a;
	long st = call(w, OP_CREATE, "POST", "/v1/meetings", body, &a);
	if (st == 201) {
		m.id = jinteger(a.json, "id");
		check_meeting(w, "create", a.json, &m);
		if (m.id > 0)
			w->own[w->own_count++] = m;
	} else if (st != 503 && st != 0) {
		error(w, "create: %ld %.200s", st, a.body ? a.body : "");
	}
	answer_free(&a);
	free(body);
}

/* Sends a write to meeting m; on 200 checks and adopts the new state (next),
 * on 503 checks that nothing changed. */
static void write_own(struct worker *w, enum op op, const char *method, const char *path,
                      const char *body, struct own *m, const struct own *next, long ok_status)
{
	struct answer a;
	long st = call(w, op, method, path, body, &a);
	if (st == ok_status) {
		*m = *next;
		if (ok_status == 200)
			check_meeting(w, op_names[op], a.json, m);
	} else if (st == 503) {
		check_unchanged(w, op_names[op], m);
	} else if (st != 0) {
		error(w, "%s %s: %ld %.200s", method, path, st, a.body ? a.body : "");
	}
	answer_free(&a);
}

static void op_on_own(struct worker *w, enum op op)
{
	if (w->own_count == 0) {
		op_create(w);
		return;
	}
	int i = pick(w, w->own_count);
	struct own *m = &w->own[i];
	struct own next = *m;
	next.version++;
	char path[128];
	snprintf(path, sizeof path, "/v1/meetings/%lld", m->id);
	switch (op) {
	case OP_GET: {
		struct answer a;
		long st = call(w, op, "GET", path, NULL, &a);
		if (st == 200)
			check_meeting(w, "get", a.json, m);
		else if (st != 503 && st != 0)
			error(w, "GET %s: %ld", path, st);
		answer_free(&a);
		return;
	}
	case OP_REPLACE: {
		next.revision++;
		for (int p = 0; p < PEOPLE; p++)
			next.attends[p] = pick(w, 2);
		char *body = meeting_body(w, &next);
		write_own(w, op, "PUT", path, body, m, &next, 200);
		free(body);
		return;
	}
	case OP_PATCH: {
		next.revision++;
		char title[64], body[128];
		title_of(w, &next, title, sizeof title);
		snprintf(body, sizeof body, "{\"title\": \"%s\", \"summary\": \"patched\"}", title);
		write_own(w, op, "PATCH", path, body, m, &next, 200);
		return;
	}
	case OP_DELETE: {
		struct answer a;
		long st = call(w, op, "DELETE", path, NULL, &a);
		answer_free(&a);
		if (st == 204) {
			long long id = m->id;
			w->own[i] = w->own[--w->own_count];
			st = call(w, OP_GET, "GET", path, NULL, &a);
			if (st != 404 && st != 503 && st != 0)
				error(w, "GET %s after its delete: %ld (meeting %lld)", path, st,
				      id);
			answer_free(&a);
		} else if (st == 503) {
			check_unchanged(w, "delete", m);
		} else if (st != 0) {
			error(w, "DELETE %s: %ld", path, st);
		}
		return;
	}
	case OP_PUT_PARTICIPANT:
	case OP_DELETE_PARTICIPANT: {
		int p = pick(w, PEOPLE);
		bool put = op == OP_PUT_PARTICIPANT;
		snprintf(path, sizeof path, "/v1/meetings/%lld/participants/load-person-%d", m->id,
		         p);
		next.attends[p] = put;
		if (!put && !m->attends[p]) { /* nothing to remove: 404, nothing changes */
			struct answer a;
			long st = call(w, op, "DELETE", path, NULL, &a);
			if (st != 404 && st != 503 && st != 0)
				error(w, "DELETE %s of no attendance: %ld", path, st);
			answer_free(&a);
			return;
		}
		write_own(w, op, put ? "PUT" : "DELETE", path,
		          put ? (p % 2 ? "{\"role\": \"guest\"}" : "{\"role\": \"host\"}") : NULL,
		          m, &next, put ? 200 : 204);
		return;
	}
	case OP_PUT_PRINCIPLE:
	case OP_DELETE_PRINCIPLE: {
		int q = pick(w, PRINCIPLES);
		bool put = op == OP_PUT_PRINCIPLE;
		snprintf(path, sizeof path, "/v1/meetings/%lld/principles/load-principle-%d", m->id,
		         q);
		next.invokes[q] = put;
		if (!put && !m->invokes[q]) {
			struct answer a;
			long st = call(w, op, "DELETE", path, NULL, &a);
			if (st != 404 && st != 503 && st != 0)
				error(w, "DELETE %s of no invocation: %ld", path, st);
			answer_free(&a);
			return;
		}
		write_own(w, op, put ? "PUT" : "DELETE", path,
		          put ? "{\"stance\": \"cited\"}" : NULL, m, &next, put ? 200 : 204);
		return;
	}
	default:
		return;
	}
}

/* Reads of shared state: lists, search and participants, which other
 * threads change meanwhile. Only their shape can be checked here. */
static void op_read_shared(struct worker *w, enum op op)
{
	char path[160];
	const char *list_key = "data";
	switch (op) {
	case OP_LIST:
		if (pick(w, 2))
			snprintf(path, sizeof path,
			         "/v1/meetings?limit=%d&participant=load-person-%d",
			         1 + pick(w, 30), pick(w, PEOPLE));
		else
			snprintf(path, sizeof path, "/v1/meetings?limit=20&country=FR&count=true");
		break;
	case OP_SEARCH:
		snprintf(path, sizeof path, "/v1/search?q=%s&limit=10",
		         pick(w, 2) ? "load" : "concurrent%20OR%20talks");
		break;
	default:
		snprintf(path, sizeof path, "/v1/participants/load-person-%d", pick(w, PEOPLE));
		list_key = NULL;
		break;
	}
	struct answer a;
	long st = call(w, op, "GET", path, NULL, &a);
	if (st == 200) {
		if (list_key && !json_is_array(json_object_get(a.json, list_key)))
			error(w, "GET %s: no %s array", path, list_key);
		if (!list_key && jinteger(a.json, "meeting_count") < 0)
			error(w, "GET %s: no meeting_count", path);
		/* A filtered page holds only meetings that match the filter. */
		json_t *data = json_object_get(a.json, "data");
		for (size_t i = 0; list_key && i < json_array_size(data); i++)
			if (!json_is_integer(json_object_get(json_array_get(data, i), "id")))
				error(w, "GET %s: item %zu without an id", path, i);
	} else if (st != 503 && st != 0) {
		error(w, "GET %s: %ld", path, st);
	}
	answer_free(&a);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->curl = curl_easy_init();
	if (!w->curl) {
		error(w, "curl_easy_init failed");
		return NULL;
	}
	/* Weights: writes to own meetings about half, reads the rest. */
	static const enum op mix[] = {
	    OP_CREATE,        OP_CREATE,           OP_GET,
	    OP_GET,           OP_REPLACE,          OP_PATCH,
	    OP_DELETE,        OP_PUT_PARTICIPANT,  OP_DELETE_PARTICIPANT,
	    OP_PUT_PRINCIPLE, OP_DELETE_PRINCIPLE, OP_LIST,
	    OP_LIST,          OP_SEARCH,           OP_GET_PERSON,
	    OP_GET,
	};
	while (w->requests < REQUESTS_MAX && now_s() < w->deadline) {
		enum op op = mix[pick(w, (int)(sizeof mix / sizeof mix[0]))];
		if (op == OP_CREATE)
			op_create(w);
		else if (op >= OP_LIST)
			op_read_shared(w, op);
		else
			op_on_own(w, op);
	}
	curl_easy_cleanup(w->curl);
	w->curl = NULL;
	return NULL;
}

/* ---- the test ---- */

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: not thread-safe */
	harness_start(&h, (const char *[]){"--threads", "4", NULL});
	for (int p = 0; p < PEOPLE; p++) {
		char body[128];
		snprintf(body, sizeof body,
		         "{\"slug\": \"load-person-%d\", \"name\": \"Load Person %d\"}", p, p);
		struct reply *r = write_json(&h, "POST", "/v1/participants", body);
		ck_assert_int_eq(r->status, 201);
		reply_free(r);
	}
	for (int q = 0; q < PRINCIPLES; q++) {
		char body[128];
		snprintf(body, sizeof body,
		         "{\"slug\": \"load-principle-%d\", \"name\": \"Load principle %d\"}", q,
		         q);
		struct reply *r = write_json(&h, "POST", "/v1/principles", body);
		ck_assert_int_eq(r->status, 201);
		reply_free(r);
	}
}

static void teardown(void)
{
	harness_stop(&h);
	curl_global_cleanup();
}

START_TEST(concurrent_mixed_load)
{
	const char *env = getenv("READOUT_LOAD_SECONDS");
	double seconds = env && atof(env) > 0 ? atof(env) : 3.0;
	static struct worker workers[THREADS];
	memset(workers, 0, sizeof workers);
	pthread_t threads[THREADS];
	double start = now_s();
	for (int i = 0; i < THREADS; i++) {
		workers[i].index = i;
		workers[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		workers[i].deadline = start + seconds;
		ck_assert_int_eq(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	double took = now_s() - start;

	long requests = 0, unavailable = 0, by_op[OP_KINDS] = {0};
	int errors = 0, alive = 0;
	for (int i = 0; i < THREADS; i++) {
		requests += workers[i].requests;
		unavailable += workers[i].unavailable;
		errors += workers[i].errors;
		alive += workers[i].own_count;
		for (int k = 0; k < OP_KINDS; k++)
			by_op[k] += workers[i].by_op[k];
		for (int e = 0; e < workers[i].errors && e < ERRORS_SHOWN; e++)
			printf("http_load: thread %d: %s\n", i, workers[i].error[e]);
	}
	printf("http_load: %d threads, %ld requests in %.1f s (%.0f/s); 503: %ld; errors: %d; "
	       "meetings alive: %d\n  ",
	       THREADS, requests, took, (double)requests / took, unavailable, errors, alive);
	for (int k = 0; k < OP_KINDS; k++)
		printf("%s %ld%s", op_names[k], by_op[k], k + 1 < OP_KINDS ? ", " : "\n");
	fflush(stdout);
	ck_assert_msg(errors == 0, "%d errors; first: %s", errors,
	              workers[0].errors ? workers[0].error[0] : "(see above)");
	ck_assert_int_gt(requests, THREADS * 10);

	/* Every meeting a thread still owns is stored exactly as it left it. */
	int attendances[PEOPLE] = {0};
	for (int i = 0; i < THREADS; i++) {
		struct worker *w = &workers[i];
		for (int k = 0; k < w->own_count; k++) {
			struct own *m = &w->own[k];
			struct reply *r = get(&h, path_fmt("/v1/meetings/%lld", m->id));
			ck_assert_int_eq(r->status, 200);
			w->errors = 0;
			check_meeting(w, "final", r->json, m);
			ck_assert_msg(w->errors == 0, "%s", w->error[0]);
			reply_free(r);
			for (int p = 0; p < PEOPLE; p++)
				attendances[p] += m->attends[p];
		}
	}
	/* The stored total is the sum of what the threads kept. */
	struct reply *r = get(&h, "/v1/meetings?count=true&limit=1");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "total"), alive);
	reply_free(r);
	/* Derived counts that every thread changed at once add up. */
	for (int p = 0; p < PEOPLE; p++) {
		r = get(&h, path_fmt("/v1/participants/load-person-%d", p));
		ck_assert_int_eq(r->status, 200);
		ck_assert_msg(jint(r->json, "meeting_count") == attendances[p],
		              "load-person-%d: meeting_count %lld, expected %d", p,
		              jint(r->json, "meeting_count"), attendances[p]);
		reply_free(r);
	}
	r = get(&h, "/readyz");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_load");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, concurrent_mixed_load);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
