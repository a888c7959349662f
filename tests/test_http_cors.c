/* HTTP tests of CORS and the web headers (API.md section 6): the real server
 * on port 0, spoken to with libcurl. The default configuration lets any
 * origin read; --cors-origin restricts it to a list. Every kind of response,
 * errors included, is checked. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

#define ORIGIN_A "https://a.example"
#define ORIGIN_B "http://b.example:8080"

static struct harness h;

/* A small body limit makes a 413 cheap to provoke. */
static const char *const default_args[] = {"--max-body", "1024", NULL};
static const char *const restricted_args[] = {"--cors-origin", ORIGIN_A "," ORIGIN_B, "--max-body",
                                              "1024", NULL};

static void setup_default(void)
{
	harness_start(&h, default_args);
}

static void setup_restricted(void)
{
	harness_start(&h, restricted_args);
}

static void teardown(void)
{
	harness_stop(&h);
}

/* ---- helpers ---- */

/* True when the comma-separated list value holds token (case-insensitive,
 * spaces around items ignored). */
static bool list_has(const char *value, const char *token)
{
	size_t n = strlen(token);
	const char *p = value;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t m = len;
		while (m && p[m - 1] == ' ')
			m--;
		if (m == n && strncasecmp(p, token, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static size_t list_len(const char *value)
{
	size_t count = 0;
	const char *p = value;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p) {
			count++;
			p += strcspn(p, ",");
		}
	}
	return count;
}

/* Asserts that header name is a list of exactly the items in want (a
 * comma-separated list), in any order. */
static void assert_list_is(const struct reply *r, const char *name, const char *want,
                           const char *what)
{
	const char *v = reply_header(r, name);
	ck_assert_msg(v != NULL, "%s: no %s header", what, name);
	char got[512];
	snprintf(got, sizeof got, "%s", v);
	char copy[512];
	snprintf(copy, sizeof copy, "%s", want);
	size_t items = 0;
	for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t;
	     t = strtok_r(NULL, ", ", &save)) {
		ck_assert_msg(list_has(got, t), "%s: %s is '%s', lacks %s", what, name, got, t);
		items++;
	}
	ck_assert_msg(list_len(got) == items, "%s: %s is '%s', want exactly '%s'", what, name, got,
	              want);
}

/* The number of header lines whose name starts with prefix. */
static int headers_with_prefix(const struct reply *r, const char *prefix)
{
	int count = 0;
	size_t n = strlen(prefix);
	for (const char *line = r->headers; line && *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len >= n && strncasecmp(line, prefix, n) == 0 && memchr(line, ':', len))
			count++;
		line = end ? end + 2 : line + len;
	}
	return count;
}

/* X-Content-Type-Options and Cache-Control, on every response. */
static void assert_web_headers(const struct reply *r, const char *what)
{
	const char *v = reply_header(r, "X-Content-Type-Options");
	ck_assert_msg(v && strcmp(v, "nosniff") == 0, "%s: X-Content-Type-Options %s", what,
	              v ? v : "(none)");
	v = reply_header(r, "Cache-Control");
	ck_assert_msg(v && strcmp(v, "no-cache") == 0, "%s: Cache-Control %s", what,
	              v ? v : "(none)");
}

/* The CORS headers of a readable response for origin ("*" or an echoed
 * origin). */
static void assert_cors(const struct reply *r, const char *origin, const char *what)
{
	const char *v = reply_header(r, "Access-Control-Allow-Origin");
	ck_assert_msg(v && strcmp(v, origin) == 0, "%s: Access-Control-Allow-Origin %s, want %s",
	              what, v ? v : "(none)", origin);
	ck_assert_msg(headers_with_prefix(r, "Access-Control-Allow-Origin:") == 1,
	              "%s: Access-Control-Allow-Origin more than once", what);
	ck_assert_msg(reply_header(r, "Access-Control-Allow-Credentials") == NULL,
	              "%s: credentials header present", what);
	v = reply_header(r, "Access-Control-Expose-Headers");
	ck_assert_msg(v != NULL, "%s: no Access-Control-Expose-Headers", what);
	const char *exposed[] = {"ETag", "Location", "Link", "X-Total-Count"};
	for (size_t i = 0; i < sizeof exposed / sizeof exposed[0]; i++)
		ck_assert_msg(list_has(v, exposed[i]),
		              "%s: Access-Control-Expose-Headers '%s' lacks %s", what, v,
		              exposed[i]);
	assert_web_headers(r, what);
}

/* A restricted server's answer names Origin in Vary. */
static void assert_vary_origin(const struct reply *r, const char *what)
{
	const char *v = reply_header(r, "Vary");
	ck_assert_msg(v && list_has(v, "Origin"), "%s: Vary %s", what, v ? v : "(none)");
}

/* No Access-Control-* header at all. */
static void assert_no_cors(const struct reply *r, const char *what)
{
	ck_assert_msg(headers_with_prefix(r, "Access-Control-") == 0,
	              "%s: has Access-Control-* headers:\n%s", what, r->headers);
	assert_web_headers(r, what);
}

static void assert_status(const struct reply *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: status %ld, want %ld: %s", what, r->status, status,
	              r->body);
}

/* A 2 KiB JSON body, over the 1 KiB --max-body of these servers. */
static char *big_body(void)
{
	size_t n = 2048;
	char *b = malloc(n + 32);
	if (!b)
		abort();
	strcpy(b, "{\"name\":\"");
	memset(b + 9, 'x', n);
	strcpy(b + 9 + n, "\"}");
	return b;
}

/* One request of every kind of answer the transport and handlers give, with
 * the given Origin header (NULL: none). Each is checked by check(). */
struct probe {
	const char *what;
	const char *method;
	const char *path;
	const char *body; /* "BIG" for big_body() */
	bool auth;
	const char *extra; /* one more header line, or NULL */
	long status;
};

static const struct probe probes[] = {
    {"200 list", "GET", "/v1/meetings?count=true", NULL, false, NULL, 200},
    {"200 item list", "GET", "/v1/participants?limit=1", NULL, false, NULL, 200},
    {"200 healthz", "GET", "/healthz", NULL, false, NULL, 200},
    {"200 HEAD", "HEAD", "/v1/meetings", NULL, false, NULL, 200},
    {"201 create", "POST", "/v1/participants", "{\"name\":\"Cors Person\"}", true, NULL, 201},
    {"400 control character", "GET", "/v1/meetings%01", NULL, false, NULL, 400},
    {"400 bad cursor", "GET", "/v1/meetings?cursor=not-a-cursor", NULL, false, NULL, 400},
    {"401 no token", "POST", "/v1/participants", "{\"name\":\"X\"}", false, NULL, 401},
    {"404 unknown path", "GET", "/nope", NULL, false, NULL, 404},
    {"404 missing item", "GET", "/v1/participants/999999", NULL, false, NULL, 404},
    {"405 method", "DELETE", "/healthz", NULL, false, NULL, 405},
    {"413 Content-Length", "POST", "/v1/participants", "BIG", true, NULL, 413},
    {"413 chunked", "POST", "/v1/participants", "BIG", true, "Transfer-Encoding: chunked", 413},
    {"415 media type", "POST", "/v1/participants", "{\"name\":\"X\"}", true,
     "Content-Type: text/plain", 415},
    {"422 validation", "POST", "/v1/participants", "{}", true, NULL, 422},
};

#define PROBES (sizeof probes / sizeof probes[0])

static struct reply *send_probe(const struct probe *p, const char *origin)
{
	char origin_line[256];
	const char *hdr[5];
	int n = 0;
	if (origin) {
		snprintf(origin_line, sizeof origin_line, "Origin: %s", origin);
		hdr[n++] = origin_line;
	}
	if (p->auth)
		hdr[n++] = "AUTH";
	if (p->extra)
		hdr[n++] = p->extra;
	hdr[n] = NULL;
	char *big = p->body && strcmp(p->body, "BIG") == 0 ? big_body() : NULL;
	struct reply *r = req(&h, p->method, p->path, big ? big : p->body, hdr);
	free(big);
	return r;
}

/* A preflight OPTIONS from origin (NULL: no Origin header). */
static struct reply *preflight(const char *path, const char *origin, const char *method)
{
	char origin_line[256], method_line[128];
	snprintf(origin_line, sizeof origin_line, "Origin: %s", origin ? origin : "");
	snprintf(method_line, sizeof method_line, "Access-Control-Request-Method: %s", method);
	const char *const with[] = {
	    origin_line, method_line,
	    "Access-Control-Request-Headers: authorization, content-type, if-match", NULL};
	const char *const without[] = {method_line, NULL};
	return req(&h, "OPTIONS", path, NULL, origin ? with : without);
}

/* Each kind of path, and the methods its preflight allows. */
static const struct {
	const char *path;
	const char *methods;
} paths[] = {
    {"/v1/meetings", "GET, HEAD, POST, OPTIONS"},
    {"/v1/meetings/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    {"/v1/meetings/some-slug", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    {"/v1/meetings/1/participants/2", "PUT, DELETE, OPTIONS"},
    {"/v1/meetings/1/principles/2", "PUT, DELETE, OPTIONS"},
    {"/v1/participants", "GET, HEAD, POST, OPTIONS"},
    {"/v1/participants/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    {"/v1/participants/1/meetings", "GET, HEAD, OPTIONS"},
    {"/v1/principles", "GET, HEAD, POST, OPTIONS"},
    {"/v1/principles/1/timeline", "GET, HEAD, OPTIONS"},
    {"/v1/search", "GET, HEAD, OPTIONS"},
    {"/v1/import", "POST, OPTIONS"},
    {"/v1/export", "GET, HEAD, OPTIONS"},
    {"/healthz", "GET, HEAD, OPTIONS"},
};

#define PATHS (sizeof paths / sizeof paths[0])

/* The preflight answer for an allowed origin. */
static void assert_preflight_ok(const struct reply *r, const char *origin, const char *methods,
                                const char *what)
{
	assert_status(r, 204, what);
	ck_assert_msg(r->len == 0, "%s: a 204 with a body", what);
	assert_cors(r, origin, what);
	assert_list_is(r, "Access-Control-Allow-Methods", methods, what);
	assert_list_is(r, "Allow", methods, what);
	const char *v = reply_header(r, "Access-Control-Allow-Headers");
	ck_assert_msg(v != NULL, "%s: no Access-Control-Allow-Headers", what);
	const char *wanted[] = {"Authorization", "Content-Type", "If-Match", "If-None-Match"};
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
		ck_assert_msg(list_has(v, wanted[i]),
		              "%s: Access-Control-Allow-Headers '%s' lacks %s", what, v, wanted[i]);
	v = reply_header(r, "Access-Control-Max-Age");
	ck_assert_msg(v != NULL, "%s: no Access-Control-Max-Age", what);
	char *end;
	long age = strtol(v, &end, 10);
	ck_assert_msg(*v && *end == '\0' && age > 0, "%s: Access-Control-Max-Age '%s'", what, v);
}

/* ---- default: any origin ---- */

START_TEST(default_every_response_is_readable)
{
	const char *origins[] = {NULL, "https://anywhere.example", "null"};
	for (size_t o = 0; o < sizeof origins / sizeof origins[0]; o++) {
		for (size_t i = 0; i < PROBES; i++) {
			char what[160];
			snprintf(what, sizeof what, "%s (Origin %s)", probes[i].what,
			         origins[o] ? origins[o] : "none");
			struct reply *r = send_probe(&probes[i], origins[o]);
			assert_status(r, probes[i].status, what);
			assert_cors(r, "*", what);
			reply_free(r);
		}
	}
}
END_TEST

START_TEST(default_not_modified_is_readable)
{
	struct reply *r = get(&h, "/openapi.json");
	assert_status(r, 200, "openapi");
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %s", reply_header(r, "ETag"));
	reply_free(r);
	const char *const hdr[] = {"Origin: https://anywhere.example", inm, NULL};
	r = req(&h, "GET", "/openapi.json", NULL, hdr);
	assert_status(r, 304, "304");
	assert_cors(r, "*", "304");
	reply_free(r);
}
END_TEST

START_TEST(default_preflight_every_kind_of_path)
{
	for (size_t i = 0; i < PATHS; i++) {
		const char *method = strstr(paths[i].methods, "POST")  ? "POST"
		                     : strstr(paths[i].methods, "PUT") ? "PUT"
		                                                       : "GET";
		struct reply *r = preflight(paths[i].path, "https://anywhere.example", method);
		assert_preflight_ok(r, "*", paths[i].methods, paths[i].path);
		reply_free(r);
		/* Without an Origin header, the same answer. */
		r = preflight(paths[i].path, NULL, method);
		assert_preflight_ok(r, "*", paths[i].methods, paths[i].path);
		reply_free(r);
	}
}
END_TEST

START_TEST(default_preflight_unknown_path_is_404)
{
	const char *unknown[] = {"/nope",        "/v1",          "/v1/meetings/1/extra",
	                         "/v1/search/x", "/v1/import/1", "/v1/participants/1/meetings/2"};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		struct reply *r = preflight(unknown[i], "https://anywhere.example", "GET");
		assert_status(r, 404, unknown[i]);
		ck_assert_pstr_eq(reply_header(r, "Content-Type"), "application/problem+json");
		ck_assert_pstr_eq(jstr(r->json, "type"), "urn:readout:problem:not-found");
		/* An error, still readable, but no preflight grant. */
		assert_cors(r, "*", unknown[i]);
		ck_assert_msg(reply_header(r, "Access-Control-Allow-Methods") == NULL,
		              "%s: methods granted for an unknown path", unknown[i]);
		ck_assert_ptr_null(reply_header(r, "Access-Control-Max-Age"));
		reply_free(r);
	}
}
END_TEST

/* ---- restricted: --cors-origin ---- */

START_TEST(restricted_listed_origin_is_echoed)
{
	const char *origins[] = {ORIGIN_A, ORIGIN_B};
	for (size_t o = 0; o < 2; o++) {
		for (size_t i = 0; i < PROBES; i++) {
			char what[160];
			snprintf(what, sizeof what, "%s (Origin %s)", probes[i].what, origins[o]);
			struct reply *r = send_probe(&probes[i], origins[o]);
			assert_status(r, probes[i].status, what);
			assert_cors(r, origins[o], what);
			assert_vary_origin(r, what);
			reply_free(r);
		}
	}
}
END_TEST

START_TEST(restricted_listed_origin_preflight)
{
	const char *origins[] = {ORIGIN_A, ORIGIN_B};
	for (size_t o = 0; o < 2; o++) {
		for (size_t i = 0; i < PATHS; i++) {
			char what[160];
			snprintf(what, sizeof what, "preflight %s (Origin %s)", paths[i].path,
			         origins[o]);
			struct reply *r = preflight(paths[i].path, origins[o], "GET");
			assert_preflight_ok(r, origins[o], paths[i].methods, what);
			assert_vary_origin(r, what);
			reply_free(r);
		}
		/* An unknown path: 404, readable by the listed origin. */
		struct reply *r = preflight("/nope", origins[o], "GET");
		assert_status(r, 404, "preflight /nope");
		assert_cors(r, origins[o], "preflight /nope");
		assert_vary_origin(r, "preflight /nope");
		reply_free(r);
	}
}
END_TEST

START_TEST(restricted_listed_origin_not_modified)
{
	struct reply *r = get(&h, "/openapi.json");
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %s", reply_header(r, "ETag"));
	reply_free(r);
	const char *const hdr[] = {"Origin: " ORIGIN_B, inm, NULL};
	r = req(&h, "GET", "/openapi.json", NULL, hdr);
	assert_status(r, 304, "304");
	assert_cors(r, ORIGIN_B, "304");
	assert_vary_origin(r, "304");
	reply_free(r);
}
END_TEST

/* Origins that are not on the list: exact matches only. */
static const char *const strangers[] = {
    "https://evil.example",
    "http://a.example",       /* another scheme */
    "https://a.example:8443", /* another port */
    "https://a.example.evil.example",
    "https://sub.a.example",
    "http://b.example",      /* the port left out */
    "http://b.example:8081", /* another port */
    "https://a.example/",    /* not an origin */
    "https://a.example,http://b.example:8080",
    "null",
    "*",
    NULL, /* no Origin header */
};

#define STRANGERS (sizeof strangers / sizeof strangers[0])

START_TEST(restricted_other_origin_gets_no_cors)
{
	for (size_t o = 0; o < STRANGERS; o++) {
		for (size_t i = 0; i < PROBES; i++) {
			char what[200];
			snprintf(what, sizeof what, "%s (Origin %s)", probes[i].what,
			         strangers[o] ? strangers[o] : "none");
			struct reply *r = send_probe(&probes[i], strangers[o]);
			assert_status(r, probes[i].status, what);
			assert_no_cors(r, what);
			assert_vary_origin(r, what);
			reply_free(r);
		}
	}
}
END_TEST

START_TEST(restricted_other_origin_preflight_gets_no_cors)
{
	for (size_t o = 0; o < STRANGERS; o++) {
		for (size_t i = 0; i < PATHS; i++) {
			char what[200];
			snprintf(what, sizeof what, "preflight %s (Origin %s)", paths[i].path,
			         strangers[o] ? strangers[o] : "none");
			struct reply *r = preflight(paths[i].path, strangers[o], "POST");
			ck_assert_msg(r->status < 500, "%s: status %ld", what, r->status);
			assert_no_cors(r, what);
			assert_vary_origin(r, what);
			reply_free(r);
		}
	}
}
END_TEST

/* The answer depends on each request's own Origin only: a refused stranger
 * in between changes nothing for the listed origins. */
START_TEST(restricted_answers_follow_each_request)
{
	for (int round = 0; round < 3; round++) {
		struct reply *r = preflight("/v1/participants", "https://evil.example", "POST");
		assert_no_cors(r, "stranger");
		reply_free(r);
		r = preflight("/v1/participants", ORIGIN_A, "POST");
		assert_preflight_ok(r, ORIGIN_A, "GET, HEAD, POST, OPTIONS", "listed A");
		reply_free(r);
		r = preflight("/v1/participants", ORIGIN_B, "POST");
		assert_preflight_ok(r, ORIGIN_B, "GET, HEAD, POST, OPTIONS", "listed B");
		reply_free(r);
	}
}
END_TEST

/* Whitespace around the Origin value is not part of it (RFC 9110 section
 * 5.5): the listed origin is echoed without it. */
START_TEST(restricted_listed_origin_with_whitespace)
{
	struct reply *r = preflight("/v1/participants", ORIGIN_A " \t", "POST");
	assert_preflight_ok(r, ORIGIN_A, "GET, HEAD, POST, OPTIONS", "listed A, spaced");
	reply_free(r);
	for (size_t i = 0; i < PROBES; i++) {
		r = send_probe(&probes[i], ORIGIN_B "\t");
		assert_status(r, probes[i].status, probes[i].what);
		assert_cors(r, ORIGIN_B, probes[i].what);
		reply_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_cors");
	TCase *any = tcase_create("default");
	tcase_add_checked_fixture(any, setup_default, teardown);
	tcase_add_test(any, default_every_response_is_readable);
	tcase_add_test(any, default_not_modified_is_readable);
	tcase_add_test(any, default_preflight_every_kind_of_path);
	tcase_add_test(any, default_preflight_unknown_path_is_404);
	suite_add_tcase(s, any);
	TCase *listed = tcase_create("restricted");
	tcase_add_checked_fixture(listed, setup_restricted, teardown);
	tcase_add_test(listed, restricted_listed_origin_is_echoed);
	tcase_add_test(listed, restricted_listed_origin_preflight);
	tcase_add_test(listed, restricted_listed_origin_not_modified);
	tcase_add_test(listed, restricted_other_origin_gets_no_cors);
	tcase_add_test(listed, restricted_other_origin_preflight_gets_no_cors);
	tcase_add_test(listed, restricted_answers_follow_each_request);
	tcase_add_test(listed, restricted_listed_origin_with_whitespace);
	suite_add_tcase(s, listed);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
