/* HTTP tests of the service endpoints and the transport: the real server on
 * port 0, spoken to with libcurl. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

START_TEST(healthz)
{
	struct reply *r = get(&h, "/healthz");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	ck_assert_str_eq(jstr(r->json, "status"), "ok");
	ck_assert_str_eq(reply_header(r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(reply_header(r, "Cache-Control"), "no-cache");
	ck_assert_str_eq(reply_header(r, "Access-Control-Allow-Origin"), "*");
	reply_free(r);
}
END_TEST

START_TEST(readyz)
{
	struct reply *r = get(&h, "/readyz");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "status"), "ok");
	ck_assert_int_ge(jint(r->json, "schema"), 1);
	ck_assert_int_eq(jint(r->json, "schema_version"), jint(r->json, "schema"));
	ck_assert_str_eq(jstr(r->json, "store"), harness_postgres() ? "postgres" : "sqlite");
	reply_free(r);
}
END_TEST

START_TEST(index_links)
{
	struct reply *r = get(&h, "/");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "name"), "readout");
	ck_assert_ptr_nonnull(jstr(r->json, "version"));
	ck_assert_str_eq(jstr(r->json, "links.meetings"), "/v1/meetings");
	ck_assert_str_eq(jstr(r->json, "links.openapi"), "/openapi.json");
	reply_free(r);
}
END_TEST

START_TEST(openapi_document)
{
	struct reply *r = get(&h, "/openapi.json");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(r->json);
	ck_assert_str_eq(jstr(r->json, "openapi"), "3.1.0");
	ck_assert_ptr_nonnull(jget(r->json, "paths./healthz"));
	const char *etag = reply_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	char tag[64];
	snprintf(tag, sizeof tag, "If-None-Match: %s", etag);
	const char *const hdr[] = {tag, NULL};
	struct reply *again = req(&h, "GET", "/openapi.json", NULL, hdr);
	ck_assert_int_eq(again->status, 304);
	ck_assert_int_eq(again->len, 0);
	reply_free(again);
	reply_free(r);
}
END_TEST

/* The file name the index refers to after prefix ("./app."), up to its
 * closing quote, copied into out; "" when there is none. */
static void explore_asset_name(const char *html, const char *prefix, char *out, size_t size)
{
	const char *at = strstr(html, prefix);
	out[0] = '\0';
	if (!at)
		return;
	at += 2; /* past "./" */
	size_t len = strcspn(at, "\"");
	if (len < size) {
		memcpy(out, at, len);
		out[len] = '\0';
	}
}

/* A GET with If-None-Match: etag answers 304 and keeps cache_control. */
static void assert_revalidates(const char *path, const char *etag, const char *cache_control)
{
	char tag[64];
	snprintf(tag, sizeof tag, "If-None-Match: %s", etag);
	const char *const hdr[] = {tag, NULL};
	struct reply *r = req(&h, "GET", path, NULL, hdr);
	ck_assert_int_eq(r->status, 304);
	ck_assert_int_eq(r->len, 0);
	ck_assert_str_eq(reply_header(r, "Cache-Control"), cache_control);
	reply_free(r);
}

START_TEST(explorer_index)
{
	struct reply *r = get(&h, "/explore/");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "text/html; charset=utf-8");
	ck_assert_str_eq(reply_header(r, "Content-Security-Policy"), "default-src 'self'");
	ck_assert_str_eq(reply_header(r, "Cache-Control"), "no-cache");
	ck_assert_str_eq(reply_header(r, "X-Content-Type-Options"), "nosniff");
	ck_assert_ptr_nonnull(strstr(r->body, "<main id=\"main\""));
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
	ck_assert_int_eq(etag[0], '"');
	assert_revalidates("/explore/", etag, "no-cache");
	reply_free(r);

	struct reply *head = req(&h, "HEAD", "/explore/", NULL, NULL);
	ck_assert_int_eq(head->status, 200);
	ck_assert_int_eq(head->len, 0);
	ck_assert_str_eq(reply_header(head, "Content-Security-Policy"), "default-src 'self'");
	reply_free(head);

	struct reply *bare = get(&h, "/explore");
	ck_assert_int_eq(bare->status, 308);
	ck_assert_str_eq(reply_header(bare, "Location"), "/explore/");
	reply_free(bare);
}
END_TEST

START_TEST(explorer_assets)
{
	struct reply *index = get(&h, "/explore/");
	ck_assert_int_eq(index->status, 200);
	const struct {
		const char *prefix, *type;
	} assets[] = {{"./app.", "text/javascript"}, {"./style.", "text/css"}};
	for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
		char name[128], path[160], etag[64];
		explore_asset_name(index->body, assets[i].prefix, name, sizeof name);
		ck_assert_msg(name[0], "the index names no %sHASH file", assets[i].prefix);
		/* app.0123456789ab.js: the name holds 12 hex digits of its hash. */
		const char *hash = strchr(name, '.') + 1;
		ck_assert_int_eq(strspn(hash, "0123456789abcdef"), 12);
		snprintf(path, sizeof path, "/explore/%s", name);
		struct reply *r = get(&h, path);
		ck_assert_int_eq(r->status, 200);
		ck_assert_str_eq(reply_header(r, "Content-Type"), assets[i].type);
		ck_assert_str_eq(reply_header(r, "Cache-Control"),
		                 "public, max-age=31536000, immutable");
		ck_assert_str_eq(reply_header(r, "Content-Security-Policy"), "default-src 'self'");
		ck_assert_str_eq(reply_header(r, "X-Content-Type-Options"), "nosniff");
		ck_assert_uint_gt(r->len, 100);
		snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
		assert_revalidates(path, etag, "public, max-age=31536000, immutable");
		reply_free(r);
	}
	reply_free(index);

	/* Only the hashed names exist: not the source name, not another hash. */
	const char *missing[] = {"/explore/app.js", "/explore/app.000000000000.js",
	                         "/explore/index.html", "/explore/nope", NULL};
	for (int i = 0; missing[i]; i++) {
		struct reply *r = get(&h, missing[i]);
		ck_assert_int_eq(r->status, 404);
		ck_assert_str_eq(reply_header(r, "Content-Type"), "application/problem+json");
		ck_assert_str_eq(jstr(r->json, "type"), "urn:readout:problem:not-found");
		ck_assert_str_eq(reply_header(r, "Cache-Control"), "no-cache");
		reply_free(r);
	}
}
END_TEST

START_TEST(not_found_is_problem)
{
	const char *paths[] = {"/nope", "/v1", "/healthz/extra", "/v1/unknown/1", NULL};
	for (int i = 0; paths[i]; i++) {
		struct reply *r = get(&h, paths[i]);
		ck_assert_int_eq(r->status, 404);
		ck_assert_str_eq(reply_header(r, "Content-Type"), "application/problem+json");
		ck_assert_str_eq(jstr(r->json, "type"), "urn:readout:problem:not-found");
		ck_assert_int_eq(jint(r->json, "status"), 404);
		ck_assert_ptr_nonnull(jstr(r->json, "title"));
		ck_assert_str_eq(reply_header(r, "Access-Control-Allow-Origin"), "*");
		reply_free(r);
	}
}
END_TEST

START_TEST(method_not_allowed)
{
	const char *methods[] = {"POST", "PUT", "DELETE", "PATCH", NULL};
	for (int i = 0; methods[i]; i++) {
		struct reply *r = req(&h, methods[i], "/healthz", NULL, NULL);
		ck_assert_int_eq(r->status, 405);
		ck_assert_str_eq(reply_header(r, "Allow"), "GET, HEAD");
		ck_assert_str_eq(reply_header(r, "Content-Type"), "application/problem+json");
		ck_assert_str_eq(jstr(r->json, "type"), "urn:readout:problem:method-not-allowed");
		reply_free(r);
	}
}
END_TEST

START_TEST(head_like_get)
{
	struct reply *g = get(&h, "/healthz");
	struct reply *r = req(&h, "HEAD", "/healthz", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->len, 0);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	char len[32];
	snprintf(len, sizeof len, "%zu", g->len);
	ck_assert_str_eq(reply_header(r, "Content-Length"), len);
	reply_free(r);
	reply_free(g);
}
END_TEST

START_TEST(preflight)
{
	const char *const hdr[] = {"Origin: https://app.example",
	                           "Access-Control-Request-Method: GET", NULL};
	struct reply *r = req(&h, "OPTIONS", "/healthz", NULL, hdr);
	ck_assert_int_eq(r->status, 204);
	ck_assert_ptr_nonnull(strstr(reply_header(r, "Access-Control-Allow-Methods"), "GET"));
	ck_assert_ptr_nonnull(
	    strstr(reply_header(r, "Access-Control-Allow-Headers"), "Authorization"));
	ck_assert_ptr_nonnull(reply_header(r, "Access-Control-Max-Age"));
	reply_free(r);
}
END_TEST

START_TEST(metrics_count_requests)
{
	for (int i = 0; i < 3; i++)
		reply_free(get(&h, "/healthz"));
	reply_free(get(&h, "/missing"));
	struct reply *r = get(&h, "/metrics");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(reply_header(r, "Content-Type"), "text/plain"));
	ck_assert_ptr_nonnull(strstr(
	    r->body,
	    "readout_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(
	    r->body,
	    "readout_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r->body, "readout_http_request_duration_seconds_count 4\n"));
	ck_assert_ptr_nonnull(strstr(r->body, "readout_http_open_connections "));
	ck_assert_ptr_nonnull(strstr(r->body, "readout_db_errors_total 0\n"));
	reply_free(r);
}
END_TEST

/* The number of whole lines in text. */
static int count_lines(const char *text)
{
	int n = 0;
	for (const char *nl = text; (nl = strchr(nl, '\n')) != NULL; nl++)
		n++;
	return n;
}

START_TEST(request_log_line)
{
	char path[] = "/tmp/readout-log-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	reply_free(get(&h, "/healthz?probe=log"));
	reply_free(get(&h, "/v1/participants/x%2Fmeetings?probe=log"));
	/* More lines than the buffer holds (4 KB), then an idle server. */
	enum { BURST = 60 };
	for (int i = 0; i < BURST; i++) {
		char p[64];
		snprintf(p, sizeof p, "/v1/log-burst-%02d", i);
		reply_free(get(&h, p));
	}
	/* Lines are buffered and out within LOGBUF_FLUSH_MS (100 ms): wait
	 * for all, two seconds at most (a slow machine's scheduler). */
	char buf[32768] = {0};
	for (int i = 0; i < 200 && count_lines(buf) < BURST + 2; i++) {
		usleep(10000);
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	unlink(path);
	/* Every line whole and there once, each request's own. Not in order:
	 * a line is logged when its response is out, so the client's next
	 * request, on another connection and worker, may be logged first. */
	bool seen[BURST + 2] = {false};
	int lines = 0;
	for (const char *at = buf; *at; at = strchr(at, '\n') + 1, lines++) {
		ck_assert_ptr_nonnull(strchr(at, '\n'));
		json_t *line = json_loads(at, JSON_DISABLE_EOF_CHECK, NULL);
		ck_assert_msg(line != NULL, "not a JSON line: %.200s", at);
		ck_assert_str_eq(jstr(line, "method"), "GET");
		ck_assert_str_eq(jstr(line, "level"), "info");
		ck_assert_int_ge(jint(line, "duration_us"), 0);
		ck_assert_ptr_nonnull(jstr(line, "time"));
		const char *path = jstr(line, "path");
		int n = -1;
		if (strcmp(path, "/healthz") == 0) {
			ck_assert_int_eq(jint(line, "status"), 200);
			n = BURST;
		} else if (strcmp(path, "/v1/participants/x%2Fmeetings") == 0) {
			/* The path is logged as sent, before any decoding. */
			ck_assert_int_eq(jint(line, "status"), 404);
			n = BURST + 1;
		} else {
			ck_assert_int_eq(sscanf(path, "/v1/log-burst-%d", &n), 1);
			ck_assert_int_eq(jint(line, "status"), 404);
		}
		ck_assert_msg(n >= 0 && n < BURST + 2 && !seen[n], "unexpected or twice: %s", path);
		seen[n] = true;
		json_decref(line);
	}
	ck_assert_int_eq(lines, BURST + 2);
}
END_TEST

START_TEST(restart_keeps_serving)
{
	harness_restart(&h, NULL);
	struct reply *r = get(&h, "/readyz");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_meta");
	TCase *tc = tcase_create("meta");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, healthz);
	tcase_add_test(tc, readyz);
	tcase_add_test(tc, index_links);
	tcase_add_test(tc, openapi_document);
	tcase_add_test(tc, explorer_index);
	tcase_add_test(tc, explorer_assets);
	tcase_add_test(tc, not_found_is_problem);
	tcase_add_test(tc, method_not_allowed);
	tcase_add_test(tc, head_like_get);
	tcase_add_test(tc, preflight);
	tcase_add_test(tc, metrics_count_requests);
	tcase_add_test(tc, request_log_line);
	tcase_add_test(tc, restart_keeps_serving);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
