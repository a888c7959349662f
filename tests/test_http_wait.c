/*
 * The server's long-poll mechanism (http_response.wait_ms, http_server_wake)
 * with a route table of its own: a handler that waits until a counter the
 * test bumps passes the request's since, then answers with it. The real
 * server runs on port 0; requests go over loopback with libcurl.
 * READOUT_LATENCY_BUDGET_MS (scripts/check-valgrind) is added to every
 * bound on how late an answer may come.
 */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "http/problem.h"
#include "http/server.h"

static atomic_int counter;       /* the news waiters wait for */
static atomic_int runs;          /* handler runs */
static atomic_int first_runs;    /* runs with wait_left_ms == HTTP_WAIT_FIRST */
static atomic_int starts;        /* request_start calls */
static struct http_server *srv;  /* for handlers that wake */
static atomic_bool race_in_hand; /* /race: commit-and-wake inside the handler */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Extra ms allowed on every latency bound (0 unless the environment says). */
static long slack(void)
{
	const char *v = getenv("READOUT_LATENCY_BUDGET_MS");
	return v ? strtol(v, NULL, 10) : 0;
}

static int query_int(const struct http_request *req, const char *name, int fallback)
{
	const char *v = http_query(req, name);
	return v ? atoi(v) : fallback;
}

/* GET /wait?since=N&ms=M: the counter once it passes since; else waits up
 * to ms (answering "timeout" when the wait is over). */
static void h_wait(struct http_request *req, struct http_response *res)
{
	atomic_fetch_add(&runs, 1);
	if (req->wait_left_ms == HTTP_WAIT_FIRST)
		atomic_fetch_add(&first_runs, 1);
	int since = query_int(req, "since", 0);
	int now = atomic_load(&counter);
	if (now <= since && atomic_load(&race_in_hand) && req->wait_left_ms == HTTP_WAIT_FIRST) {
		/* A commit and its wake between this look and the suspension. */
		atomic_fetch_add(&counter, 1);
		http_server_wake(srv);
	}
	char text[64];
	if (now > since) {
		snprintf(text, sizeof text, "%d", now);
	} else if (req->wait_left_ms != 0) {
		http_add_header(res, "X-Dropped", "a waiting run's headers are discarded");
		res->wait_ms = query_int(req, "ms", 5000);
		return;
	} else {
		snprintf(text, sizeof text, "timeout");
	}
	size_t len = strlen(text);
	char *body = malloc(len + 1);
	memcpy(body, text, len + 1);
	http_set_body(res, 200, "text/plain", body, len);
}

/* GET /stubborn: always waits, even when it must answer. */
static void h_stubborn(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->wait_ms = 50;
}

static void h_plain(struct http_request *req, struct http_response *res)
{
	(void)req;
	char *body = malloc(3);
	memcpy(body, "ok", 3);
	http_set_body(res, 200, "text/plain", body, 2);
}

static const struct route routes[] = {
    {HTTP_GET, "/wait", h_wait, 0, NULL},
    {HTTP_GET, "/cached-wait", h_wait, ROUTE_CACHE, NULL},
    {HTTP_GET, "/stubborn", h_stubborn, 0, NULL},
    {HTTP_GET, "/plain", h_plain, 0, NULL},
};
static const struct router router = {routes, sizeof routes / sizeof routes[0]};

static unsigned long generation(void *app)
{
	(void)app;
	return (unsigned long)atomic_load(&counter);
}

static void request_start(void *app, const struct http_request *req)
{
	(void)app, (void)req;
	atomic_fetch_add(&starts, 1);
}

static int port;

static void start_timeout(int threads, int max_waiting, int timeout_seconds)
{
	atomic_store(&counter, 0);
	atomic_store(&runs, 0);
	atomic_store(&first_runs, 0);
	atomic_store(&starts, 0);
	atomic_store(&race_in_hand, false);
	struct http_server_options opt = {
	    .bind = "127.0.0.1",
	    .port = 0,
	    .threads = threads,
	    .max_body = 4096,
	    .max_import_body = 4096,
	    .max_connections = 200,
	    .max_connections_per_ip = 0,
	    .max_waiting = max_waiting,
	    .timeout_seconds = timeout_seconds,
	    .cache_bytes = 1 << 20,
	    .generation = generation,
	    .request_start = request_start,
	    .router = &router,
	};
	char err[256];
	srv = http_server_start(&opt, err, sizeof err);
	ck_assert_msg(srv != NULL, "%s", err);
	port = http_server_port(srv);
}

static void start(int threads, int max_waiting)
{
	start_timeout(threads, max_waiting, 30);
}

struct call {
	char path[128];
	const char *method;
	long status;
	char body[512];
	char retry_after[16];
	CURLcode rc;
	long started_ms, ended_ms;
	pthread_t thread;
};

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct call *c = ud;
	size_t have = strlen(c->body), add = size * n;
	if (have + add < sizeof c->body) {
		memcpy(c->body + have, ptr, add);
		c->body[have + add] = '\0';
	}
	return size * n;
}

static size_t header(char *ptr, size_t size, size_t n, void *ud)
{
	struct call *c = ud;
	size_t len = size * n;
	if (len > 13 && strncasecmp(ptr, "Retry-After: ", 13) == 0)
		snprintf(c->retry_after, sizeof c->retry_after, "%.*s", (int)(len - 15), ptr + 13);
	return len;
}

/* One request; asserts nothing (it runs on threads of its own). */
static void *perform(void *arg)
{
	struct call *c = arg;
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, c->path);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->method && strcmp(c->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	c->started_ms = now_ms();
	c->rc = curl_easy_perform(h);
	c->ended_ms = now_ms();
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(h);
	return NULL;
}

static void call_method(struct call *c, const char *method, const char *path)
{
	memset(c, 0, sizeof *c);
	c->method = method;
	snprintf(c->path, sizeof c->path, "%s", path);
	ck_assert_int_eq(pthread_create(&c->thread, NULL, perform, c), 0);
}

static void call_start(struct call *c, const char *path)
{
	call_method(c, "GET", path);
}

static void call_join(struct call *c)
{
	pthread_join(c->thread, NULL);
}

/* Waits (up to 5 s, plus ten times the slack) until n requests wait. */
static void until_waiting(int n)
{
	long until = now_ms() + 5000 + 10 * slack();
	while (http_server_waiting(srv) != n && now_ms() < until)
		usleep(1000);
	ck_assert_int_eq(http_server_waiting(srv), n);
}

/* The waiting gauge of /metrics. */
static long metrics_waiting(void)
{
	char *text = http_server_metrics(srv);
	const char *line = strstr(text, "\nreadout_waiting_requests ");
	ck_assert_ptr_nonnull(line);
	long v = strtol(line + 26, NULL, 10);
	free(text);
	return v;
}

START_TEST(wake_answers_at_once)
{
	start(2, 16);
	const char *paths[] = {"/wait", "/cached-wait"};
	for (int i = 0; i < 2; i++) {
		struct call c;
		char path[64];
		snprintf(path, sizeof path, "%s?since=%d&ms=10000", paths[i], i);
		call_start(&c, path);
		until_waiting(1);
		ck_assert_int_eq(metrics_waiting(), 1);
		usleep(20000); /* surely suspended, not between runs */
		long t0 = now_ms();
		atomic_fetch_add(&counter, 1);
		http_server_wake(srv);
		call_join(&c);
		long latency = c.ended_ms - t0;
		printf("wake latency (%s): %ld ms\n", paths[i], latency);
		ck_assert_int_eq(c.rc, CURLE_OK);
		ck_assert_int_eq(c.status, 200);
		char want[8];
		snprintf(want, sizeof want, "%d", i + 1);
		ck_assert_str_eq(c.body, want);
		ck_assert_int_lt(latency, 100 + slack());
		ck_assert_int_eq(http_server_waiting(srv), 0);
	}
	/* Two runs each (the look, the answer), request_start before each. */
	ck_assert_int_eq(atomic_load(&runs), 4);
	ck_assert_int_eq(atomic_load(&first_runs), 2);
	ck_assert_int_eq(atomic_load(&starts), 4);
	ck_assert_int_eq(metrics_waiting(), 0);
	http_server_stop(srv);
}
END_TEST

START_TEST(deadline_answers)
{
	start(2, 16);
	struct call c;
	call_start(&c, "/wait?since=5&ms=300");
	call_join(&c);
	long took = c.ended_ms - c.started_ms;
	printf("a 300 ms wait answered after %ld ms\n", took);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.body, "timeout");
	ck_assert_int_ge(took, 290);
	ck_assert_int_le(took, 500 + slack());
	/* A wake with nothing new: the handler waits again, to the same end. */
	call_start(&c, "/wait?since=5&ms=400");
	until_waiting(1);
	for (int i = 0; i < 3; i++) {
		usleep(50000);
		http_server_wake(srv);
	}
	call_join(&c);
	took = c.ended_ms - c.started_ms;
	printf("a 400 ms wait woken 3 times answered after %ld ms\n", took);
	ck_assert_str_eq(c.body, "timeout");
	ck_assert_int_ge(took, 390);
	ck_assert_int_le(took, 600 + slack());
	/* HEAD waits like GET. */
	call_method(&c, "HEAD", "/wait?since=5&ms=200");
	call_join(&c);
	ck_assert_int_eq(c.status, 200);
	ck_assert_int_ge(c.ended_ms - c.started_ms, 190);
	/* A handler that waits when it must answer gets a 503. */
	call_start(&c, "/stubborn");
	call_join(&c);
	ck_assert_int_eq(c.status, 503);
	ck_assert_str_eq(c.retry_after, "1");
	ck_assert_int_eq(http_server_waiting(srv), 0);
	http_server_stop(srv);
}
END_TEST

/* A wait longer than --timeout: libmicrohttpd does not time out a
 * suspended connection (its idle time starts again at the resume), nor does
 * the head and body watcher. */
START_TEST(outlives_idle_timeout)
{
	start_timeout(2, 16, 1);
	struct call c;
	call_start(&c, "/wait?since=5&ms=2500");
	call_join(&c);
	long took = c.ended_ms - c.started_ms;
	printf("a 2500 ms wait with --timeout 1 answered after %ld ms\n", took);
	ck_assert_int_eq(c.rc, CURLE_OK);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.body, "timeout");
	ck_assert_int_ge(took, 2490);
	http_server_stop(srv);
}
END_TEST

#define MANY 20

START_TEST(waiters_hold_no_thread)
{
	start(2, 64);
	struct call c[MANY], plain;
	for (int i = 0; i < MANY; i++)
		call_start(&c[i], "/wait?since=0&ms=10000");
	until_waiting(MANY);
	call_start(&plain, "/plain");
	call_join(&plain);
	long took = plain.ended_ms - plain.started_ms;
	printf("with %d waiting on 2 threads, a plain request took %ld ms\n", MANY, took);
	ck_assert_int_eq(plain.status, 200);
	ck_assert_int_lt(took, 500 + slack());
	long t0 = now_ms();
	atomic_fetch_add(&counter, 1);
	http_server_wake(srv);
	long last = 0;
	for (int i = 0; i < MANY; i++) {
		call_join(&c[i]);
		ck_assert_int_eq(c[i].status, 200);
		ck_assert_str_eq(c[i].body, "1");
		if (c[i].ended_ms - t0 > last)
			last = c[i].ended_ms - t0;
	}
	printf("all %d waiters answered %ld ms after the wake\n", MANY, last);
	ck_assert_int_lt(last, 1000 + slack());
	ck_assert_int_eq(http_server_waiting(srv), 0);
	http_server_stop(srv);
}
END_TEST

START_TEST(wake_race_not_lost)
{
	start(2, 16);
	/* The commit and its wake inside the handler, after its look: the
	 * request must not sleep through them. */
	atomic_store(&race_in_hand, true);
	for (int i = 0; i < 50; i++) {
		struct call c;
		char path[64];
		snprintf(path, sizeof path, "/wait?since=%d&ms=5000", atomic_load(&counter));
		call_start(&c, path);
		call_join(&c);
		ck_assert_int_eq(c.status, 200);
		ck_assert_int_lt(c.ended_ms - c.started_ms, 1000 + slack());
	}
	atomic_store(&race_in_hand, false);
	/* From another thread, at any moment around the suspension. */
	long worst = 0;
	for (int i = 0; i < 200; i++) {
		struct call c;
		char path[64];
		snprintf(path, sizeof path, "/wait?since=%d&ms=5000", atomic_load(&counter));
		call_start(&c, path);
		usleep((useconds_t)(rand() % 3000));
		long t0 = now_ms();
		atomic_fetch_add(&counter, 1);
		http_server_wake(srv);
		call_join(&c);
		ck_assert_int_eq(c.status, 200);
		if (c.ended_ms - t0 > worst)
			worst = c.ended_ms - t0;
	}
	printf("200 racing wakes: the slowest answered %ld ms after its wake\n", worst);
	ck_assert_int_lt(worst, 1000 + slack());
	ck_assert_int_eq(http_server_waiting(srv), 0);
	http_server_stop(srv);
}
END_TEST

START_TEST(max_waiting_refuses)
{
	start(2, 3);
	struct call c[3], over;
	for (int i = 0; i < 3; i++)
		call_start(&c[i], "/wait?since=0&ms=10000");
	until_waiting(3);
	call_start(&over, "/wait?since=0&ms=10000");
	call_join(&over);
	ck_assert_int_eq(over.status, 503);
	ck_assert_str_eq(over.retry_after, "1");
	ck_assert_ptr_nonnull(strstr(over.body, "urn:readout:problem:unavailable"));
	/* A request that does not wait still answers. */
	call_start(&over, "/plain");
	call_join(&over);
	ck_assert_int_eq(over.status, 200);
	atomic_fetch_add(&counter, 1);
	http_server_wake(srv);
	for (int i = 0; i < 3; i++) {
		call_join(&c[i]);
		ck_assert_int_eq(c[i].status, 200);
	}
	until_waiting(0);
	http_server_stop(srv);
}
END_TEST

START_TEST(client_gone)
{
	start(2, 16);
	struct harness h = {.port = port};
	for (int i = 0; i < 3; i++) {
		int fd = harness_connect(&h);
		const char *head = "GET /wait?since=0&ms=20000 HTTP/1.1\r\nHost: x\r\n\r\n";
		ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
		until_waiting(1);
		close(fd);
		long t0 = now_ms();
		until_waiting(0);
		printf("a closed waiter was let go after %ld ms\n", now_ms() - t0);
		ck_assert_int_eq(metrics_waiting(), 0);
	}
	/* The server goes on. */
	struct call c;
	call_start(&c, "/plain");
	call_join(&c);
	ck_assert_int_eq(c.status, 200);
	http_server_stop(srv);
}
END_TEST

START_TEST(stop_with_waiters)
{
	start(2, 16);
	struct call c[5];
	for (int i = 0; i < 5; i++)
		call_start(&c[i], "/wait?since=0&ms=20000");
	until_waiting(5);
	long t0 = now_ms();
	http_server_stop(srv);
	long took = now_ms() - t0;
	printf("stopped with 5 waiting in %ld ms\n", took);
	ck_assert_int_lt(took, 2000 + slack());
	for (int i = 0; i < 5; i++) {
		call_join(&c[i]);
		/* An answer (their last run), or at worst a clean close. */
		if (c[i].rc == CURLE_OK) {
			ck_assert_int_eq(c[i].status, 200);
			ck_assert_str_eq(c[i].body, "timeout");
		}
		ck_assert_int_lt(c[i].ended_ms - t0, 2000 + slack());
	}
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("http_wait");
	TCase *tc = tcase_create("wait");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wake_answers_at_once);
	tcase_add_test(tc, deadline_answers);
	tcase_add_test(tc, outlives_idle_timeout);
	tcase_add_test(tc, waiters_hold_no_thread);
	tcase_add_test(tc, wake_race_not_lost);
	tcase_add_test(tc, max_waiting_refuses);
	tcase_add_test(tc, client_gone);
	tcase_add_test(tc, stop_with_waiters);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
