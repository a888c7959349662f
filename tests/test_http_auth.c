/* Identities and scopes (API.md section 10) over HTTP: what a token of each
 * scope may do, a refusal decided before the body is read, a private
 * server whose reads need a token (and whose cache never answers without
 * one), and the request log naming the token, never its secret. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define READER "reader-secret-0123456789"
#define WRITER "writer-secret-0123456789"
#define ADMIN "admin-secret-0123456789"
#define IMPORTER "importer-secret-0123456789"
#define V1 "version-one-secret-0123456789"
#define SLUG "2024-04-26-president-xi-jinping-meets-u-s-secretary-of-state-antony-blinken"

static struct harness h;
static char token_path[64];

/* Starts the server on a token file of every kind of token; private adds
 * --private. */
static void start(bool private)
{
	strcpy(token_path, "/tmp/readout-auth-tokens-XXXXXX");
	int fd = mkstemp(token_path);
	ck_assert_int_ge(fd, 0);
	const char *text = "# the suite's tokens\n"
	                   "reader read " READER "\n"
	                   "writer write " WRITER "\n"
	                   "admin write,admin " ADMIN "\n"
	                   "importer admin " IMPORTER "\n" V1 "\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	const char *args[] = {"--token-file", token_path, "--sample-data",
	                      private ? "--private" : NULL, NULL};
	harness_start(&h, args);
}

static void setup_public(void)
{
	start(false);
}

static void setup_private(void)
{
	start(true);
}

static void teardown(void)
{
	harness_stop(&h);
	unlink(token_path);
}

/* A request with the bearer token secret (NULL: no Authorization). */
static struct reply *as(const char *secret, const char *method, const char *path, const char *body)
{
	char auth[256];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", secret ? secret : "");
	const char *headers[] = {secret ? auth : NULL, NULL};
	return req(&h, method, path, body, headers);
}

/* Asserts a 403 forbidden that names the scope needed, without a
 * WWW-Authenticate. */
static void assert_forbidden(struct reply *r, const char *scope, const char *what)
{
	ck_assert_msg(r->status == 403, "%s: %ld %s", what, r->status, r->body);
	assert_problem(r, 403, "forbidden");
	const char *detail = jstr(r->json, "detail");
	ck_assert_msg(detail && strstr(detail, scope), "%s: detail '%s' names no %s", what,
	              detail ? detail : "", scope);
	ck_assert_ptr_null(reply_header(r, "WWW-Authenticate"));
	reply_free(r);
}

static void assert_unauthorized(struct reply *r, const char *what)
{
	ck_assert_msg(r->status == 401, "%s: %ld %s", what, r->status, r->body);
	assert_problem(r, 401, "unauthorized");
	ck_assert_ptr_nonnull(reply_header(r, "WWW-Authenticate"));
	reply_free(r);
}

static long status_of(struct reply *r)
{
	long s = r->status;
	reply_free(r);
	return s;
}

static const char *const PARTICIPANT = "{\"name\": \"Scoped Person\"}";
static const char *const IMPORT = "{\"format\": \"readout/1\"}";

START_TEST(read_token_cannot_write)
{
	assert_forbidden(as(READER, "POST", "/v1/participants", PARTICIPANT), "write", "POST");
	assert_forbidden(
	    as(READER, "PUT", "/v1/participants/xi-jinping", "{\"name\": \"Xi Jinping\"}"), "write",
	    "PUT");
	assert_forbidden(as(READER, "PATCH", "/v1/participants/xi-jinping", "{\"name\": \"X\"}"),
	                 "write", "PATCH");
	assert_forbidden(as(READER, "DELETE", path_fmt("/v1/meetings/%s", SLUG), NULL), "write",
	                 "DELETE");
	assert_forbidden(
	    as(READER, "DELETE", path_fmt("/v1/meetings/%s/participants/xi-jinping", SLUG), NULL),
	    "write", "DELETE attendance");
	assert_forbidden(as(READER, "POST", "/v1/import", IMPORT), "admin", "import");
	/* Nothing changed; reads are public, with or without the token. */
	struct reply *r = get(&h, "/v1/participants/xi-jinping");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "name"), "Xi Jinping");
	reply_free(r);
	ck_assert_int_eq(status_of(get(&h, path_fmt("/v1/meetings/%s", SLUG))), 200);
	ck_assert_int_eq(status_of(as(READER, "GET", "/v1/meetings", NULL)), 200);
	r = get(&h, "/v1/participants?q=Scoped");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "data")), 0);
	reply_free(r);
}
END_TEST

START_TEST(write_and_admin_scopes)
{
	ck_assert_int_eq(status_of(as(WRITER, "POST", "/v1/participants", PARTICIPANT)), 201);
	ck_assert_int_eq(status_of(as(WRITER, "PATCH", "/v1/participants/scoped-person",
	                              "{\"name\": \"Scoped Person\"}")),
	                 200);
	assert_forbidden(as(WRITER, "POST", "/v1/import", IMPORT), "admin", "import by writer");
	ck_assert_int_eq(status_of(as(ADMIN, "POST", "/v1/import", IMPORT)), 200);
	ck_assert_int_eq(status_of(as(IMPORTER, "POST", "/v1/import", IMPORT)), 200);
	assert_forbidden(as(IMPORTER, "DELETE", "/v1/participants/scoped-person", NULL), "write",
	                 "DELETE by admin alone");
	/* A version 1 line is write and admin. */
	ck_assert_int_eq(status_of(as(V1, "POST", "/v1/import", IMPORT)), 200);
	ck_assert_int_eq(status_of(as(V1, "DELETE", "/v1/participants/scoped-person", NULL)), 204);
	/* No token, a wrong one, or one cut short: 401, as before. */
	assert_unauthorized(as(NULL, "POST", "/v1/participants", PARTICIPANT), "no token");
	assert_unauthorized(as("wrong-secret-0123456789", "POST", "/v1/participants", PARTICIPANT),
	                    "wrong token");
	assert_unauthorized(as("writer-secret-012345678", "POST", "/v1/participants", PARTICIPANT),
	                    "a prefix of a token");
	assert_unauthorized(as(NULL, "POST", "/v1/import", IMPORT), "import without a token");
}
END_TEST

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Sends head on a new connection (no body follows) and reads until the
 * server closes it or 3 s pass; returns what came, in a static buffer. */
static const char *refused_head(const char *head)
{
	static char buf[8192];
	int fd = harness_connect(&h);
	ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	size_t len = 0;
	long deadline = now_ms() + 3000;
	bool closed = false;
	while (len + 1 < sizeof buf && now_ms() < deadline) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
		if (n <= 0) {
			closed = true;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	ck_assert_msg(closed, "the connection stayed open: '%s'", buf);
	return buf;
}

/* A token without the scope is refused when the head arrives: no 100
 * Continue, no wait for the 60 MB announced, the connection closed. */
START_TEST(forbidden_before_the_body)
{
	const char *a = refused_head("POST /v1/import HTTP/1.1\r\nHost: x\r\n"
	                             "Content-Type: application/json\r\n"
	                             "Authorization: Bearer " WRITER "\r\n"
	                             "Content-Length: 60000000\r\nExpect: 100-continue\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.1 403 ", 13) == 0, "'%s'", a);
	ck_assert_ptr_nonnull(strstr(a, "urn:readout:problem:forbidden"));
	const char *b = refused_head("PUT /v1/participants/xi-jinping HTTP/1.1\r\nHost: x\r\n"
	                             "Content-Type: application/json\r\n"
	                             "Authorization: Bearer " READER "\r\n"
	                             "Content-Length: 1000\r\n\r\n");
	ck_assert_msg(strncmp(b, "HTTP/1.1 403 ", 13) == 0, "'%s'", b);
	ck_assert_ptr_nonnull(strstr(b, "urn:readout:problem:forbidden"));
}
END_TEST

START_TEST(private_reads_need_a_token)
{
	assert_unauthorized(get(&h, "/v1/meetings"), "GET /v1/meetings");
	assert_unauthorized(as("wrong-secret-0123456789", "GET", "/v1/meetings", NULL),
	                    "wrong token");
	assert_unauthorized(get(&h, "/v1/nothing-here"), "an unknown /v1/ path");
	assert_unauthorized(get(&h, "/v1"), "/v1");
	assert_unauthorized(get(&h, "/%761/meetings"), "an encoded /v1/");
	assert_unauthorized(get(&h, "/v1/export"), "export");
	struct reply *head = req(&h, "HEAD", "/v1/meetings", NULL, NULL);
	ck_assert_int_eq(head->status, 401);
	ck_assert_ptr_nonnull(reply_header(head, "WWW-Authenticate"));
	reply_free(head);
	const char *tokens[] = {READER, WRITER, ADMIN, IMPORTER, V1};
	for (size_t i = 0; i < 5; i++) {
		struct reply *r = as(tokens[i], "GET", "/v1/meetings", NULL);
		ck_assert_msg(r->status == 200, "token %zu: %ld", i, r->status);
		const char *cc = reply_header(r, "Cache-Control");
		ck_assert_msg(cc && strstr(cc, "private"), "Cache-Control %s", cc ? cc : "(none)");
		const char *vary = reply_header(r, "Vary");
		ck_assert_msg(vary && strstr(vary, "Authorization"), "Vary %s",
		              vary ? vary : "(none)");
		reply_free(r);
	}
	/* Writes keep their scopes. */
	assert_forbidden(as(READER, "POST", "/v1/participants", PARTICIPANT), "write", "POST");
	ck_assert_int_eq(status_of(as(WRITER, "POST", "/v1/participants", PARTICIPANT)), 201);
	/* The rest stays public. */
	const char *public[] = {"/",        "/healthz", "/readyz", "/openapi.json",
	                        "/metrics", "/explore/"};
	for (size_t i = 0; i < sizeof public / sizeof public[0]; i++) {
		struct reply *r = get(&h, public[i]);
		ck_assert_msg(r->status == 200, "%s: %ld", public[i], r -> status);
		const char *cc = reply_header(r, "Cache-Control");
		ck_assert_msg(!cc || !strstr(cc, "private"), "%s: Cache-Control %s", public[i], cc);
		reply_free(r);
	}
	/* A CORS preflight carries no credentials, and needs none. */
	const char *pre[] = {"Origin: https://app.example", "Access-Control-Request-Method: GET",
	                     "Access-Control-Request-Headers: authorization", NULL};
	struct reply *r = req(&h, "OPTIONS", "/v1/meetings", NULL, pre);
	ck_assert_int_eq(r->status, 204);
	ck_assert_ptr_nonnull(reply_header(r, "Access-Control-Allow-Methods"));
	ck_assert_ptr_nonnull(
	    strstr(reply_header(r, "Access-Control-Allow-Headers"), "Authorization"));
	reply_free(r);
	/* A 401 in the browser is readable: it carries the CORS headers. */
	const char *origin[] = {"Origin: https://app.example", NULL};
	r = req(&h, "GET", "/v1/meetings", NULL, origin);
	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_nonnull(reply_header(r, "Access-Control-Allow-Origin"));
	reply_free(r);
}
END_TEST

/* The response cache never answers a request the token check refuses. */
START_TEST(private_answers_stay_in_the_cache)
{
	/* A participant: single meetings are not kept in the cache. */
	const char *path = "/v1/participants/antony-blinken";
	char etag[64] = "";
	/* Each worker thread's first look at the data generation counts as a
	 * change (see test_http_cache.c): enough reads to be served cached. */
	for (int i = 0; i < 12; i++) {
		struct reply *r = as(READER, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
		reply_free(r);
	}
	ck_assert_msg(harness_metric(&h, "readout_cache_hits_total") >= 2,
	              "the reads were not cached");
	struct reply *r = get(&h, path);
	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_null(strstr(r->body, "Blinken"));
	reply_free(r);
	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *cond[] = {inm, NULL};
	r = req(&h, "GET", path, NULL, cond);
	ck_assert_int_eq(r->status, 401);
	reply_free(r);
	r = req(&h, "HEAD", path, NULL, NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_null(reply_header(r, "ETag"));
	reply_free(r);
	r = as("wrong-secret-0123456789", "GET", path, NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_ptr_null(strstr(r->body, "Blinken"));
	reply_free(r);
}
END_TEST

/* The request log line of an authenticated request names its token;
 * no line holds a secret. stderr goes to a file for the test (each test
 * runs in a process of its own). */
START_TEST(log_names_the_actor)
{
	char log_path[] = "/tmp/readout-auth-log-XXXXXX";
	int fd = mkstemp(log_path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	ck_assert_int_eq(status_of(as(WRITER, "POST", "/v1/participants", PARTICIPANT)), 201);
	ck_assert_int_eq(status_of(as(READER, "GET", "/v1/meetings?limit=1", NULL)), 200);
	ck_assert_int_eq(status_of(as(READER, "DELETE", "/v1/participants/scoped-person", NULL)),
	                 403);
	ck_assert_int_eq(status_of(as("wrong-secret-0123456789", "GET", "/healthz", NULL)), 200);
	ck_assert_int_eq(status_of(get(&h, "/readyz")), 200);
	/* Lines are written as each request completes: wait for the last. */
	char text[16384] = "";
	for (int i = 0; i < 200 && !strstr(text, "/readyz"); i++) {
		usleep(10000);
		FILE *f = fopen(log_path, "r");
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	unlink(log_path);
	const char *want[] = {
	    "\"method\":\"POST\",\"path\":\"/v1/participants\",\"actor\":\"writer\",\"status\":201",
	    "\"method\":\"GET\",\"path\":\"/v1/meetings\",\"actor\":\"reader\",\"status\":200",
	    "\"path\":\"/v1/participants/scoped-person\",\"actor\":\"reader\",\"status\":403",
	    "\"method\":\"GET\",\"path\":\"/healthz\",\"status\":200",
	    "\"method\":\"GET\",\"path\":\"/readyz\",\"status\":200",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(text, want[i]), "no '%s' in the log:\n%s", want[i], text);
	ck_assert_msg(!strstr(text, "secret-0123456789"), "a secret in the log:\n%s", text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_auth");
	TCase *pub = tcase_create("scopes");
	tcase_add_checked_fixture(pub, setup_public, teardown);
	tcase_add_test(pub, read_token_cannot_write);
	tcase_add_test(pub, write_and_admin_scopes);
	tcase_add_test(pub, forbidden_before_the_body);
	tcase_add_test(pub, log_names_the_actor);
	suite_add_tcase(s, pub);
	TCase *priv = tcase_create("private");
	tcase_add_checked_fixture(priv, setup_private, teardown);
	tcase_add_test(priv, private_reads_need_a_token);
	tcase_add_test(priv, private_answers_stay_in_the_cache);
	suite_add_tcase(s, priv);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
