/* Slow clients: 240 connections that trickle a request a byte at a time or
 * sit idle must not delay a normal client, must not be dropped while they
 * still send, and idle ones must be closed by the connection timeout.
 *
 * READOUT_LATENCY_BUDGET_MS overrides the 50 ms budget per request (only
 * scripts/check-valgrind raises it: under valgrind every thread runs on one
 * core at a fraction of its speed). */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SLOW_CONNECTIONS 240 /* half trickle, half idle */
#define TRICKLERS (SLOW_CONNECTIONS / 2)
#define TRICKLE_PAUSE_MS 200
#define IDLE_TIMEOUT_S 5
#define NORMAL_REQUESTS 200
#define NORMAL_GAP_MS 30 /* spreads the normal client over ~7 s, past the idle timeout */

/* The request every trickling client sends, one byte per pause. */
static const char trickle_request[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
#define TRICKLE_LEN (sizeof trickle_request - 1)

static struct harness h;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	if (ms <= 0)
		return;
	struct timespec t = {(time_t)(ms / 1000),
	                     (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* Reads whatever the server has sent on fd within wait_ms into buf (NUL
 * terminated). Returns the byte count, and sets *closed when the server
 * closed the connection (EOF or reset). */
static size_t read_some(int fd, char *buf, size_t cap, int wait_ms, bool *closed)
{
	size_t len = 0;
	double deadline = now_ms() + wait_ms;
	*closed = false;
	while (len + 1 < cap) {
		int left = (int)(deadline - now_ms());
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left > 0 ? left : 0) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			*closed = true;
			break;
		}
		if (n > 0)
			len += (size_t)n;
		/* A whole answer to the trickled GET: headers and the short body. */
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") && strstr(buf, "}"))
			break;
	}
	buf[len] = '\0';
	return len;
}

struct trickle {
	int fds[TRICKLERS];
	size_t sent[TRICKLERS];
	int send_errors;
	atomic_bool stop;
};

/* Sends the next byte of the request on every trickling socket each pause,
 * staggered so that sends are spread over the whole pause. */
static void *trickle_main(void *arg)
{
	struct trickle *t = arg;
	double start = now_ms();
	for (size_t round = 0; round < TRICKLE_LEN && !atomic_load(&t->stop); round++) {
		for (int i = 0; i < TRICKLERS && !atomic_load(&t->stop); i++) {
			double at = start + (double)round * TRICKLE_PAUSE_MS +
			            (double)i * TRICKLE_PAUSE_MS / TRICKLERS;
			sleep_ms(at - now_ms());
			ssize_t n = send(t->fds[i], trickle_request + round, 1, MSG_NOSIGNAL);
			if (n == 1)
				t->sent[i]++;
			else
				t->send_errors++;
		}
	}
	return NULL;
}

static size_t discard(char *ptr, size_t size, size_t n, void *userdata)
{
	(void)ptr, (void)userdata;
	return size * n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

START_TEST(normal_client_unaffected_by_slow_ones)
{
	const char *budget_env = getenv("READOUT_LATENCY_BUDGET_MS");
	double budget = budget_env ? atof(budget_env) : 50.0;
	ck_assert(budget > 0);

	static struct trickle t;
	memset(&t, 0, sizeof t);
	int idle[SLOW_CONNECTIONS - TRICKLERS];
	double opened = now_ms();
	for (int i = 0; i < TRICKLERS; i++)
		t.fds[i] = harness_connect(&h);
	for (int i = 0; i < SLOW_CONNECTIONS - TRICKLERS; i++)
		idle[i] = harness_connect(&h);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, trickle_main, &t), 0);
	sleep_ms(300); /* every slow connection accepted and the trickle under way */

	/* The normal client: a fresh connection for every request. */
	static double lat[NORMAL_REQUESTS], connect_ms[NORMAL_REQUESTS],
	    first_byte_ms[NORMAL_REQUESTS];
	long status[NORMAL_REQUESTS];
	CURLcode rc[NORMAL_REQUESTS];
	for (int i = 0; i < NORMAL_REQUESTS; i++) {
		double t0 = now_ms();
		CURL *c = curl_easy_init();
		ck_assert_ptr_nonnull(c);
		char url[128];
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h.port,
		         i % 2 ? "/healthz" : "/v1/meetings");
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		rc[i] = curl_easy_perform(c);
		status[i] = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status[i]);
		curl_off_t us = 0;
		curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &us);
		connect_ms[i] = (double)us / 1000.0;
		curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T, &us);
		first_byte_ms[i] = (double)us / 1000.0;
		curl_easy_cleanup(c);
		lat[i] = now_ms() - t0;
		sleep_ms(t0 + NORMAL_GAP_MS - now_ms());
	}
	double normal_done = now_ms();

	/* The trickled requests complete and are answered. */
	pthread_join(th, NULL);
	int trickle_answered = 0;
	char first_bad[256] = "";
	for (int i = 0; i < TRICKLERS; i++) {
		char buf[2048];
		bool closed;
		read_some(t.fds[i], buf, sizeof buf, 3000, &closed);
		if (t.sent[i] == TRICKLE_LEN && strncmp(buf, "HTTP/1.1 200 ", 13) == 0)
			trickle_answered++;
		else if (!first_bad[0])
			snprintf(first_bad, sizeof first_bad, "#%d sent %zu of %zu, got '%.60s'%s",
			         i, t.sent[i], TRICKLE_LEN, buf, closed ? " then close" : "");
		close(t.fds[i]);
	}
	/* The idle connections were closed by the server's timeout. */
	sleep_ms(opened + (IDLE_TIMEOUT_S + 2) * 1000.0 - now_ms());
	int idle_closed = 0;
	for (int i = 0; i < SLOW_CONNECTIONS - TRICKLERS; i++) {
		char buf[256];
		bool closed;
		read_some(idle[i], buf, sizeof buf, 1, &closed);
		idle_closed += closed;
		close(idle[i]);
	}

	double sorted[NORMAL_REQUESTS];
	memcpy(sorted, lat, sizeof sorted);
	qsort(sorted, NORMAL_REQUESTS, sizeof sorted[0], cmp_double);
	double p50 = sorted[NORMAL_REQUESTS / 2];
	double p99 = sorted[(NORMAL_REQUESTS * 99 + 99) / 100 - 1];
	double max = sorted[NORMAL_REQUESTS - 1];
	printf("http_slow: %d slow connections (%d trickling, %d idle); %d normal requests "
	       "over %.1f s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (budget %.0f ms); "
	       "%d/%d trickled requests answered; %d/%d idle connections timed out\n",
	       SLOW_CONNECTIONS, TRICKLERS, SLOW_CONNECTIONS - TRICKLERS, NORMAL_REQUESTS,
	       (normal_done - opened) / 1000.0, p50, p99, max, budget, trickle_answered, TRICKLERS,
	       idle_closed, SLOW_CONNECTIONS - TRICKLERS);
	for (int i = 0; i < NORMAL_REQUESTS; i++)
		if (lat[i] > budget / 4)
			printf(
			    "  slow request %d (%s): %.2f ms (connected at %.2f ms, first byte at "
			    "%.2f ms)\n",
			    i, i % 2 ? "/healthz" : "/v1/meetings", lat[i], connect_ms[i],
			    first_byte_ms[i]);
	fflush(stdout);

	for (int i = 0; i < NORMAL_REQUESTS; i++) {
		ck_assert_msg(rc[i] == CURLE_OK, "request %d: %s", i, curl_easy_strerror(rc[i]));
		ck_assert_msg(status[i] == 200, "request %d: status %ld", i, status[i]);
		ck_assert_msg(lat[i] <= budget, "request %d took %.2f ms (budget %.0f ms)", i,
		              lat[i], budget);
	}
	ck_assert_int_eq(t.send_errors, 0);
	ck_assert_msg(trickle_answered == TRICKLERS,
	              "%d of %d trickled requests answered; first: %s", trickle_answered, TRICKLERS,
	              first_bad);
	ck_assert_int_eq(idle_closed, SLOW_CONNECTIONS - TRICKLERS);

	/* And the server still answers afterwards. */
	struct reply *r = get(&h, "/readyz");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
}
END_TEST

/* A client that stops halfway through its request is cut off by the timeout
 * rather than holding its connection forever. */
START_TEST(stalled_request_times_out)
{
	int fd = harness_connect(&h);
	const char part[] = "GET /healthz HTTP/1.1\r\nHost: loc";
	ck_assert_int_eq(send(fd, part, sizeof part - 1, MSG_NOSIGNAL), (ssize_t)(sizeof part - 1));
	double t0 = now_ms();
	char buf[512];
	bool closed;
	read_some(fd, buf, sizeof buf, (IDLE_TIMEOUT_S + 3) * 1000, &closed);
	double waited = now_ms() - t0;
	close(fd);
	ck_assert_msg(closed, "the stalled connection was still open after %.0f ms", waited);
	ck_assert_msg(waited >= (IDLE_TIMEOUT_S - 1) * 1000.0, "closed too early: %.0f ms", waited);
}
END_TEST

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	harness_start(&h, (const char *[]){"--max-connections-per-ip", "0", "--timeout", "5",
	                                   "--sample-data", NULL});
}

static void teardown(void)
{
	harness_stop(&h);
	curl_global_cleanup();
}

int main(void)
{
	Suite *s = suite_create("http_slow");
	TCase *tc = tcase_create("slow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, normal_client_unaffected_by_slow_ones);
	tcase_add_test(tc, stalled_request_times_out);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
