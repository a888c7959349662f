/* The response cache: answers come from it only while nothing changed. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

static void expect_status(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
}

START_TEST(repeated_get_is_a_hit)
{
	reply_free(write_json(&h, "POST", "/v1/participants", "{\"name\": \"Ada Example\"}"));
	struct reply *a = get(&h, "/v1/participants/ada-example");
	expect_status(a, 200);
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(a, "ETag"));
	/* Each worker thread's first look at the data generation counts as a
	 * change (it has nothing to compare with), so warm both up first. */
	for (int i = 0; i < 10; i++)
		reply_free(get(&h, "/v1/participants/ada-example"));
	long hits = harness_metric(&h, "readout_cache_hits_total");
	for (int i = 0; i < 5; i++) {
		struct reply *b = get(&h, "/v1/participants/ada-example");
		expect_status(b, 200);
		ck_assert_str_eq(b->body, a->body);
		ck_assert_str_eq(reply_header(b, "ETag"), etag);
		reply_free(b);
	}
	ck_assert_int_ge(harness_metric(&h, "readout_cache_hits_total"), hits + 4);
	/* A conditional GET answered from the cache is still 304. */
	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *const hdr[] = {inm, NULL};
	struct reply *c = req(&h, "GET", "/v1/participants/ada-example", NULL, hdr);
	expect_status(c, 304);
	reply_free(a);
	reply_free(c);
}
END_TEST

START_TEST(writes_through_the_api_are_seen)
{
	reply_free(write_json(&h, "POST", "/v1/participants", "{\"name\": \"Ada Example\"}"));
	reply_free(write_json(&h, "POST", "/v1/meetings",
	                      "{\"title\": \"A talk\", \"date\": \"2024-01-02\", "
	                      "\"participants\": [{\"slug\": \"ada-example\"}]}"));
	const char *paths[] = {"/v1/meetings/1",         "/v1/meetings",     "/v1/participants/1",
	                       "/v1/participants?q=ada", "/v1/search?q=ada", NULL};
	for (int i = 0; paths[i]; i++) { /* fill the cache */
		reply_free(get(&h, paths[i]));
		reply_free(get(&h, paths[i]));
	}
	/* A rename shows in the participant, the lists, the meeting that
	 * embeds the participant, and the search index. */
	struct reply *w =
	    write_json(&h, "PATCH", "/v1/participants/1", "{\"name\": \"Grace Example\"}");
	expect_status(w, 200);
	reply_free(w);
	for (int i = 0; paths[i]; i++) {
		if (strstr(paths[i], "q=ada"))
			continue;
		struct reply *r = get(&h, paths[i]);
		expect_status(r, 200);
		ck_assert_msg(strstr(r->body, "Grace Example") != NULL, "%s is stale: %s", paths[i],
		              r->body);
		reply_free(r);
	}
	struct reply *r = get(&h, "/v1/participants?q=ada");
	ck_assert_msg(strstr(r->body, "Grace") == NULL && strstr(r->body, "\"data\":[]"),
	              "list still finds the old name: %s", r->body);
	reply_free(r);
	/* A delete shows at once. */
	w = req(&h, "DELETE", "/v1/meetings/1", NULL, (const char *const[]){"AUTH", NULL});
	expect_status(w, 204);
	reply_free(w);
	r = get(&h, "/v1/meetings/1");
	expect_status(r, 404);
	reply_free(r);
	r = get(&h, "/v1/meetings");
	ck_assert_ptr_nonnull(strstr(r->body, "\"data\":[]"));
	reply_free(r);
}
END_TEST

START_TEST(writes_by_another_process_are_seen)
{
	reply_free(write_json(&h, "POST", "/v1/principles", "{\"name\": \"Mutual respect\"}"));
	reply_free(get(&h, "/v1/principles/mutual-respect"));
	struct reply *r = get(&h, "/v1/principles/mutual-respect");
	ck_assert_ptr_nonnull(strstr(r->body, "Mutual respect"));
	reply_free(r);
	/* Another connection (as readoutd import would be) changes the row. */
	harness_sql(&h, "UPDATE principles SET name = 'Changed elsewhere'");
	r = get(&h, "/v1/principles/mutual-respect");
	ck_assert_msg(strstr(r->body, "Changed elsewhere") != NULL, "stale: %s", r->body);
	reply_free(r);
}
END_TEST

START_TEST(size_zero_disables_it)
{
	harness_restart(&h, (const char *const[]){"--cache-size", "0", NULL});
	reply_free(write_json(&h, "POST", "/v1/participants", "{\"name\": \"Ada Example\"}"));
	for (int i = 0; i < 3; i++)
		reply_free(get(&h, "/v1/participants/ada-example"));
	ck_assert_int_eq(harness_metric(&h, "readout_cache_hits_total"), 0);
	ck_assert_int_eq(harness_metric(&h, "readout_cache_bytes"), 0);
}
END_TEST

START_TEST(bounded_by_its_size)
{
	harness_restart(&h, (const char *const[]){"--cache-size", "65536", NULL});
	char body[256];
	for (int i = 0; i < 60; i++) {
		snprintf(body, sizeof body, "{\"name\": \"Person %d\", \"title\": \"%0150d\"}", i,
		         i);
		reply_free(write_json(&h, "POST", "/v1/participants", body));
	}
	for (int i = 1; i <= 60; i++)
		reply_free(get(&h, path_fmt("/v1/participants/%d", i)));
	long bytes = harness_metric(&h, "readout_cache_bytes");
	ck_assert_int_gt(bytes, 0);
	ck_assert_int_le(bytes, 65536);
}
END_TEST

/* Sends text as it is on a new connection and returns the status of the
 * answer (for what curl will not send, such as two Host headers). */
static int raw_status(const char *text)
{
	int fd = harness_connect(&h);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	char buf[64] = "";
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	int status = 0;
	ck_assert_msg(n > 12 && sscanf(buf, "HTTP/1.%*d %d", &status) == 1, "answer: %s", buf);
	return status;
}

/* The Link of a first page of participants asked for with the given Host
 * header line (NULL: curl's own), copied into out; asserts 200. */
static void first_page_link(const char *host_line, char *out, size_t cap)
{
	const char *const hdr[] = {host_line, NULL};
	struct reply *r = req(&h, "GET", "/v1/participants?limit=1", NULL, hdr);
	expect_status(r, 200);
	const char *link = reply_header(r, "Link");
	ck_assert_ptr_nonnull(link);
	snprintf(out, cap, "%s", link);
	reply_free(r);
}

START_TEST(host_of_one_client_never_reaches_another)
{
	reply_free(write_json(&h, "POST", "/v1/participants", "{\"name\": \"Ada Example\"}"));
	reply_free(write_json(&h, "POST", "/v1/participants", "{\"name\": \"Bob Example\"}"));
	char own[128], link[4096];
	snprintf(own, sizeof own, "<http://127.0.0.1:%d/v1/participants?limit=1&cursor=", h.port);
	/* Each worker thread has its own idea of the generation at first: go
	 * round enough times that both serve from a filled cache. */
	for (int i = 0; i < 10; i++) {
		first_page_link("Host: evil.example", link, sizeof link);
		ck_assert_msg(strncmp(link, "<http://evil.example/v1/participants?", 37) == 0, "%s",
		              link);
		first_page_link(NULL, link, sizeof link);
		ck_assert_msg(strncmp(link, own, strlen(own)) == 0, "another client's host: %s",
		              link);
	}
	/* Hosts are case-insensitive: one entry, and the URL in lower case. */
	first_page_link("Host: Example.COM:8080", link, sizeof link);
	ck_assert_msg(strncmp(link, "<http://example.com:8080/v1/", 28) == 0, "%s", link);
	first_page_link("Host: [::1]:8080", link, sizeof link);
	ck_assert_msg(strncmp(link, "<http://[::1]:8080/v1/", 22) == 0, "%s", link);

	/* A Host that is not host[:port] could put anything into a Link: 400,
	 * for every request, cached or not. */
	const char *bad[] = {"Host: a>; rel=\"next\", <http://evil.example/x",
	                     "Host: evil.example/x",
	                     "Host: evil.example:80:80",
	                     "Host: evil.example:99999",
	                     "Host: evil example",
	                     "Host: user@evil.example",
	                     "Host: [::1",
	                     "Host: [not-v6]",
	                     "Host: evil.example%zz",
	                     "Host;", /* empty */
	                     NULL};
	const char *paths[] = {"/v1/participants?limit=1", "/", "/healthz", NULL};
	for (int i = 0; bad[i]; i++) {
		for (int k = 0; paths[k]; k++) {
			const char *const hdr[] = {bad[i], NULL};
			struct reply *r = req(&h, "GET", paths[k], NULL, hdr);
			ck_assert_msg(r->status == 400, "%s on %s: %ld", bad[i], paths[k],
			              r->status);
			ck_assert_ptr_null(reply_header(r, "Link"));
			ck_assert_ptr_nonnull(strstr(r->body, "urn:readout:problem:bad-request"));
			reply_free(r);
		}
	}
	/* Two Host headers, or none in HTTP/1.1: 400 (RFC 9112 section 3.2);
	 * HTTP/1.0 may go without, and whitespace around a Host is not part of it. */
	ck_assert_int_eq(raw_status("GET /v1/participants?limit=1 HTTP/1.1\r\nHost: a.example\r\n"
	                            "Host: b.example\r\nConnection: close\r\n\r\n"),
	                 400);
	ck_assert_int_eq(
	    raw_status("GET /v1/participants?limit=1 HTTP/1.1\r\nConnection: close\r\n\r\n"), 400);
	ck_assert_int_eq(raw_status("GET /v1/participants?limit=1 HTTP/1.0\r\n\r\n"), 200);
	ck_assert_int_eq(raw_status("GET /v1/participants?limit=1 HTTP/1.1\r\nHost: a.example \t"
	                            "\r\nConnection: close\r\n\r\n"),
	                 200);
	/* After all that, a plain client still gets its own URL. */
	first_page_link(NULL, link, sizeof link);
	ck_assert_msg(strncmp(link, own, strlen(own)) == 0, "%s", link);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, repeated_get_is_a_hit);
	tcase_add_test(tc, writes_through_the_api_are_seen);
	tcase_add_test(tc, writes_by_another_process_are_seen);
	tcase_add_test(tc, size_zero_disables_it);
	tcase_add_test(tc, bounded_by_its_size);
	tcase_add_test(tc, host_of_one_client_never_reaches_another);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
