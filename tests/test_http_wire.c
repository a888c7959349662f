/* The wire: what the server does with request heads that are unusual,
 * ambiguous, oversized or slow, spoken over raw sockets to the real server.
 * Each answer is checked whole: one status line, problem+json for every
 * error the server makes, and whether the connection stays open. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "http/server.h"

#define IDLE_TIMEOUT_S 30 /* the suite's --timeout: far above every deadline */
#define ANSWER_WAIT_MS 3000
#define AUTH_LINE "Authorization: Bearer " TEST_TOKEN "\r\n"

static struct harness h;

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void send_all(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the server may refuse early and close */
		off += (size_t)n;
	}
}

/* True when buf holds a whole final answer (an interim 1xx is skipped):
 * its head, and the body its Content-Length announces (none for a HEAD). */
static bool answer_complete(const char *buf, size_t len, bool head)
{
	const char *p = buf;
	while ((size_t)(p - buf) < len) {
		const char *end = strstr(p, "\r\n\r\n");
		if (!end)
			return false;
		if (strtol(p + 9, NULL, 10) >= 200) {
			const char *cl = strcasestr(p, "\r\nContent-Length:");
			long body = cl && cl < end && !head ? strtol(cl + 17, NULL, 10) : 0;
			return (size_t)(end + 4 - buf) + (size_t)body <= len;
		}
		p = end + 4;
	}
	return false;
}

/* Reads what the server sends on fd until a whole answer has come and
 * linger_ms more have passed (to catch a second answer), until it closes, or
 * for wait_ms at most. buf is NUL-terminated; *closed tells whether the
 * server closed the connection. Returns the byte count. */
static size_t read_answer(int fd, char *buf, size_t cap, long wait_ms, long linger_ms, bool head,
                          bool *closed)
{
	size_t len = 0;
	long deadline = now_ms() + wait_ms;
	bool complete = false;
	*closed = false;
	buf[0] = '\0';
	while (len + 1 < cap) {
		long left = deadline - now_ms();
		struct pollfd p = {fd, POLLIN, 0};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			*closed = true;
			break;
		}
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (!complete && answer_complete(buf, len, head)) {
				complete = true;
				deadline = now_ms() + linger_ms;
			}
		}
	}
	buf[len] = '\0';
	return len;
}

/* The status lines in buf (interim ones included). */
static int status_lines(const char *buf)
{
	int n = 0;
	for (const char *p = buf; (p = strstr(p, "HTTP/1.")); p++)
		n += p == buf || p[-1] == '\n';
	return n;
}

/* The value of a header in the first answer's head, copied into a static
 * buffer, or NULL. */
static const char *head_value(const char *buf, const char *name)
{
	static char value[16384];
	const char *end = strstr(buf, "\r\n\r\n");
	size_t n = strlen(name);
	for (const char *p = strstr(buf, "\r\n"); p && end && p < end; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			if (len >= sizeof value)
				len = sizeof value - 1;
			memcpy(value, v, len);
			value[len] = '\0';
			return value;
		}
	}
	return NULL;
}

struct exchange {
	char buf[65536];
	size_t len;
	bool closed;
	long status;
};

/* Sends data on a new connection and reads the answer (see read_answer). */
static void exchange(struct exchange *x, const char *data, size_t len)
{
	int fd = harness_connect(&h);
	send_all(fd, data, len);
	x->len = read_answer(fd, x->buf, sizeof x->buf, ANSWER_WAIT_MS, 300,
	                     strncmp(data, "HEAD ", 5) == 0, &x->closed);
	close(fd);
	x->status = x->len > 12 ? strtol(x->buf + 9, NULL, 10) : 0;
}

/* Checks that x holds exactly one answer, a problem+json with the status
 * want, and that the server closed the connection after it. */
static void assert_refused(const struct exchange *x, long want, const char *what)
{
	ck_assert_msg(x->status == want, "%s: status %ld, not %ld: '%.300s'", what, x->status, want,
	              x->buf);
	ck_assert_msg(status_lines(x->buf) == 1, "%s: %d status lines: '%.600s'", what,
	              status_lines(x->buf), x->buf);
	const char *ct = head_value(x->buf, "Content-Type");
	ck_assert_msg(ct && strcmp(ct, "application/problem+json") == 0, "%s: Content-Type %s",
	              what, ct ? ct : "(none)");
	ck_assert_msg(head_value(x->buf, "X-Content-Type-Options"), "%s: no nosniff", what);
	ck_assert_msg(answer_complete(x->buf, x->len, false), "%s: incomplete answer", what);
	const char *body = strstr(x->buf, "\r\n\r\n") + 4;
	json_t *doc = json_loads(body, 0, NULL);
	ck_assert_msg(doc, "%s: the body is not JSON: '%s'", what, body);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "status")), want);
	ck_assert_msg(json_is_string(json_object_get(doc, "type")), "%s: no type", what);
	json_decref(doc);
	ck_assert_msg(x->closed, "%s: the connection stayed open", what);
}

static void refused(const char *data, size_t len, long want, const char *what)
{
	static struct exchange x;
	exchange(&x, data, len);
	assert_refused(&x, want, what);
}

#define REFUSED(text, want, what) refused(text, sizeof text - 1, want, what)

/* The number of participants whose name starts with prefix. */
static long participants_named(const char *prefix)
{
	struct reply *r = get(&h, path_fmt("/v1/participants?q=%s&limit=200", prefix));
	ck_assert_int_eq(r->status, 200);
	long n = (long)json_array_size(json_object_get(r->json, "data"));
	reply_free(r);
	return n;
}

/* ---- 2: the token is decided when the head arrives ---- */

START_TEST(unauthorized_write_refused_before_its_body)
{
	/* A large import body announced with Expect: no 100 Continue, the 401
	 * at once, and the connection closed (the body is never read). */
	REFUSED("POST /v1/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	        "Content-Length: 60000000\r\nExpect: 100-continue\r\n\r\n",
	        401, "import, Expect, no token");
	/* The same without Expect, the client already sending: the answer
	 * comes before the 60 MB (only a few bytes of it are sent). */
	static struct exchange x;
	char req[512];
	int n = snprintf(req, sizeof req,
	                 "POST /v1/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	                 "Authorization: Bearer wrong-token-0000000000\r\n"
	                 "Content-Length: 60000000\r\n\r\n{\"participants\": [");
	exchange(&x, req, (size_t)n);
	assert_refused(&x, 401, "import, wrong token, body under way");
	ck_assert_ptr_null(strstr(x.buf, " 100 "));
	ck_assert_str_eq(head_value(x.buf, "WWW-Authenticate"), "Bearer realm=\"readout\"");
	/* A small write without a token: 401 too, nothing written. */
	REFUSED("POST /v1/participants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	        "Content-Length: 21\r\n\r\n{\"name\": \"Tokenless\"}",
	        401, "small write, no token");
	ck_assert_int_eq(participants_named("Tokenless"), 0);
}
END_TEST

/* Answers on one connection: reads are kept alive, and a write with a token
 * (its body read on a later call) does not close the connection either. */
START_TEST(keep_alive_is_unaffected)
{
	int fd = harness_connect(&h);
	static char buf[65536];
	bool closed;
	static const char *const reqs[] = {
	    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /v1/meetings?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
	    "Content-Type: application/json\r\nContent-Length: 22\r\n\r\n{\"name\": \"Kept "
	    "Alive\"}",
	    "HEAD /v1/meetings HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		send_all(fd, reqs[i], strlen(reqs[i]));
		size_t len = read_answer(fd, buf, sizeof buf, ANSWER_WAIT_MS, 100,
		                         strncmp(reqs[i], "HEAD", 4) == 0, &closed);
		ck_assert_msg(len > 12 && (strncmp(buf, "HTTP/1.1 200 ", 13) == 0 ||
		                           strncmp(buf, "HTTP/1.1 201 ", 13) == 0),
		              "request %zu: '%.200s'", i, buf);
		ck_assert_msg(!closed, "request %zu closed the connection", i);
		const char *conn = head_value(buf, "Connection");
		ck_assert_msg(!conn || strcasecmp(conn, "close") != 0,
		              "request %zu: Connection: %s", i, conn);
	}
	close(fd);
}
END_TEST

/* ---- 4: framing the parser would not recognise ---- */

/* A body that is itself a request: were the framing header ignored, it
 * would be answered as a second request. */
#define SMUGGLED "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

START_TEST(unrecognised_framing_is_refused)
{
	static const struct {
		const char *what, *framing;
	} cases[] = {
	    {"space before the colon", "Content-Length : 35\r\n"},
	    {"tab before the colon", "Content-Length\t: 35\r\n"},
	    {"Transfer-Encoding, space before the colon", "Transfer-Encoding : chunked\r\n"},
	    {"folded Transfer-Encoding", "Transfer-Encoding:\r\n chunked\r\n"},
	    {"Transfer-Encoding folded into another field",
	     "X-Note: a\r\n\tTransfer-Encoding: chunked\r\n"},
	    {"folded Content-Length", "Content-Length:\r\n 35\r\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char req[512];
		int n = snprintf(req, sizeof req,
		                 "POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
		                 "Content-Type: application/json\r\n%s\r\n" SMUGGLED,
		                 cases[i].framing);
		refused(req, (size_t)n, 400, cases[i].what);
	}
}
END_TEST

START_TEST(host_and_field_values)
{
	REFUSED("GET /healthz HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host");
	REFUSED("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Host fields");
	REFUSED("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\nAccept: */*\r\n\r\n", 400,
	        "a NUL inside a value");
	REFUSED("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n", 400,
	        "a NUL inside the last value");
	REFUSED("GET /healthz HTTP/1.1\r\nHost: x\0evil\r\n\r\n", 400, "a NUL inside Host");
	REFUSED("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x01z\r\n\r\n", 400,
	        "a control character inside a value");
	/* What stays accepted: HTTP/1.0 without Host, bare LF line ends,
	 * tabs inside a value. */
	static const char *const fine[] = {
	    "GET /healthz HTTP/1.0\r\n\r\n",
	    "GET /healthz HTTP/1.1\nHost: x\nAccept: */*\n\n",
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Tab: a\tb\r\nConnection: close\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		static struct exchange x;
		exchange(&x, fine[i], strlen(fine[i]));
		ck_assert_msg(x.status == 200, "'%s': status %ld", fine[i], x.status);
	}
}
END_TEST

/* ---- 7: sizes are decided before a handler runs ---- */

START_TEST(no_write_commits_without_an_answer)
{
	/* Heads from well under to just over the connection's memory: each
	 * write is answered (201, or 431 from the server or, past what
	 * libmicrohttpd can hold at all, from libmicrohttpd), and exactly the
	 * writes answered 201 exist afterwards. */
	long created = 0, refused_431 = 0;
	static char req[40000];
	for (int pad = 14000; pad <= 33000; pad += 250) {
		char body[64];
		int blen = snprintf(body, sizeof body, "{\"name\": \"Padded %d\"}", pad);
		int n = snprintf(req, sizeof req,
		                 "POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
		                 "Content-Type: application/json\r\nX-Pad: %0*d\r\n"
		                 "Content-Length: %d\r\n\r\n%s",
		                 pad, 0, blen, body);
		static struct exchange x;
		exchange(&x, req, (size_t)n);
		ck_assert_msg(x.status == 201 || x.status == 431, "pad %d: status %ld: '%.200s'",
		              pad, x.status, x.buf);
		ck_assert_msg(status_lines(x.buf) == 1, "pad %d: '%.400s'", pad, x.buf);
		created += x.status == 201;
		refused_431 += x.status == 431;
		if (x.status == 201)
			ck_assert_msg(pad < HTTP_HEAD_MAX, "pad %d was accepted", pad);
		if (x.status == 431 && pad < 30000)
			assert_refused(&x, 431, "a head over HTTP_HEAD_MAX");
	}
	ck_assert_int_gt(created, 0);
	ck_assert_int_gt(refused_431, 0);
	ck_assert_int_eq(participants_named("Padded"), created);
}
END_TEST

START_TEST(long_targets_are_answered)
{
	static char req[70000];
	/* 500 query parameters: 414 at once, never a silent wait. */
	size_t n = (size_t)snprintf(req, sizeof req, "GET /v1/meetings?");
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(req + n, sizeof req - n, "%sp%d=1", i ? "&" : "", i);
	n += (size_t)snprintf(req + n, sizeof req - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	long t0 = now_ms();
	refused(req, n, 414, "500 query parameters");
	ck_assert_int_lt(now_ms() - t0, 2000);
	/* A target over HTTP_URL_MAX: 414. */
	n = (size_t)snprintf(req, sizeof req, "GET /v1/meetings?q=");
	memset(req + n, 'a', HTTP_URL_MAX);
	n += HTTP_URL_MAX;
	n += (size_t)snprintf(req + n, sizeof req - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	refused(req, n, 414, "a target over HTTP_URL_MAX");
	/* Many header fields: 431. */
	n = (size_t)snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 400; i++)
		n += (size_t)snprintf(req + n, sizeof req - n, "X-F%d: v\r\n", i);
	n += (size_t)snprintf(req + n, sizeof req - n, "\r\n");
	refused(req, n, 431, "400 header fields");
	/* The largest target accepted, every byte of it percent-encoded again
	 * in the next page's Link: the answer still fits. */
	n = (size_t)snprintf(req, sizeof req, "GET /v1/meetings?limit=1&x=");
	size_t room = HTTP_URL_MAX - strlen("/v1/meetings?limit=1&x=") - 16;
	for (size_t i = 0; i + 2 <= room; i += 2)
		n += (size_t)snprintf(req + n, sizeof req - n, "\xc3\xa9");
	n += (size_t)snprintf(req + n, sizeof req - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	static struct exchange x;
	exchange(&x, req, n);
	ck_assert_msg(x.status == 200, "a long query: status %ld: '%.200s'", x.status, x.buf);
	const char *link = head_value(x.buf, "Link");
	ck_assert_msg(link && strstr(link, "rel=\"next\""), "no Link");
}
END_TEST

/* ---- 13: what libmicrohttpd refuses itself ---- */

/* These never reach the server's code in libmicrohttpd 0.9.75 (README, "What
 * the server refuses"): the answer is the library's, but it comes at once,
 * is a 4xx (or 505 for a major version other than 1), and closes. */
START_TEST(library_refusals_close_at_once)
{
	static const struct {
		const char *req;
		long status;
	} cases[] = {
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 13, 13\r\n\r\n", 400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: +13\r\n\r\n", 400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400},
	    {"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	    {"GET /healthz HTTP/1.10\r\nHost: x\r\n\r\n", 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		static struct exchange x;
		long t0 = now_ms();
		exchange(&x, cases[i].req, strlen(cases[i].req));
		ck_assert_msg(x.status == cases[i].status, "'%s': status %ld", cases[i].req,
		              x.status);
		ck_assert_msg(x.closed && now_ms() - t0 < 1500, "'%s': not closed at once",
		              cases[i].req);
	}
	/* A later 1.x version is read as HTTP/1.1 (RFC 9110 section 2.5). */
	static struct exchange x;
	exchange(&x, "GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n", 34);
	ck_assert_int_eq(x.status, 200);
}
END_TEST

/* ---- 14: time limits on a head and a body ---- */

/* Trickles a head and a body, a byte a second (never idle for the 30 s
 * timeout), beside a keep-alive connection that idles past the head
 * deadline between two requests: the trickles get a 408 and a close within
 * their deadline, the idle connection is still served. */
START_TEST(trickled_requests_are_cut_off)
{
	const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	char body_head[256];
	int bh = snprintf(body_head, sizeof body_head,
	                  "POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
	                  "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
	int slow_head = harness_connect(&h), slow_body = harness_connect(&h),
	    idle = harness_connect(&h);
	static char buf[8192];
	bool closed;
	send_all(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	read_answer(idle, buf, sizeof buf, ANSWER_WAIT_MS, 50, false, &closed);
	ck_assert(strncmp(buf, "HTTP/1.1 200 ", 13) == 0 && !closed);

	send_all(slow_head, head, 3); /* the head begins */
	long t0 = now_ms();
	send_all(slow_body, body_head, (size_t)bh);
	long head_closed = 0, body_closed = 0;
	static char head_answer[1024], body_answer[1024];
	size_t head_len = 0, body_len = 0;
	for (int i = 3; now_ms() - t0 < (HTTP_HEAD_DEADLINE_S + 5) * 1000L; i++) {
		if (!head_closed)
			send_all(slow_head, i < (int)sizeof head - 1 ? head + i : "h", 1);
		if (!body_closed)
			send_all(slow_body, "x", 1);
		long until = now_ms() + 1000;
		while (now_ms() < until) {
			if (!head_closed) {
				head_len += read_answer(slow_head, head_answer + head_len,
				                        sizeof head_answer - head_len, 50, 0, false,
				                        &closed);
				if (closed)
					head_closed = now_ms() - t0;
			}
			if (!body_closed) {
				body_len += read_answer(slow_body, body_answer + body_len,
				                        sizeof body_answer - body_len, 50, 0, false,
				                        &closed);
				if (closed)
					body_closed = now_ms() - t0;
			}
		}
	}
	close(slow_head);
	close(slow_body);
	printf("http_wire: trickled head closed after %ld ms, trickled body after %ld ms\n",
	       head_closed, body_closed);
	ck_assert_msg(head_closed >= (HTTP_HEAD_DEADLINE_S - 1) * 1000L &&
	                  head_closed <= (HTTP_HEAD_DEADLINE_S + 2) * 1000L,
	              "the trickled head was closed after %ld ms", head_closed);
	ck_assert_msg(strncmp(head_answer, "HTTP/1.1 408 ", 13) == 0 &&
	                  strstr(head_answer, "application/problem+json"),
	              "head: '%s'", head_answer);
	long body_bound = HTTP_BODY_DEADLINE_S * 1000L + 1000L * 1000 / HTTP_BODY_MIN_RATE;
	ck_assert_msg(body_closed >= body_bound - 1000 && body_closed <= body_bound + 2000,
	              "the trickled body was closed after %ld ms", body_closed);
	ck_assert_msg(strncmp(body_answer, "HTTP/1.1 408 ", 13) == 0, "body: '%s'", body_answer);

	/* The keep-alive connection idled past the head deadline: still open,
	 * and served. */
	send_all(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	read_answer(idle, buf, sizeof buf, ANSWER_WAIT_MS, 50, false, &closed);
	close(idle);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "idle: '%.100s'", buf);
}
END_TEST

/* ---- 15: methods, expectations, HEAD ---- */

START_TEST(methods_and_expectations)
{
	REFUSED("BREW /v1/meetings HTTP/1.1\r\nHost: x\r\n\r\n", 501, "an unknown method");
	REFUSED("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "TRACE");
	REFUSED("POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
	        "Content-Type: application/json\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
	        417, "Expect: 200-ok");
	/* A known method a path lacks stays 405, with Allow. */
	static struct exchange x;
	exchange(&x,
	         "DELETE /healthz HTTP/1.1\r\nHost: x\r\n" AUTH_LINE "Connection: close\r\n\r\n",
	         strlen("DELETE /healthz HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
	                "Connection: close\r\n\r\n"));
	ck_assert_int_eq(x.status, 405);
	ck_assert_str_eq(head_value(x.buf, "Allow"), "GET, HEAD");
	/* 100-continue is met: the body follows and the write is done. */
	int fd = harness_connect(&h);
	const char *req = "POST /v1/participants HTTP/1.1\r\nHost: x\r\n" AUTH_LINE
	                  "Content-Type: application/json\r\nExpect: 100-continue\r\n"
	                  "Content-Length: 23\r\n\r\n";
	send_all(fd, req, strlen(req));
	static char buf[4096];
	bool closed;
	read_answer(fd, buf, sizeof buf, ANSWER_WAIT_MS, 0, false, &closed);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 100 ", 13) == 0, "'%s'", buf);
	send_all(fd, "{\"name\": \"Continued A\"}", 23);
	read_answer(fd, buf, sizeof buf, ANSWER_WAIT_MS, 50, false, &closed);
	close(fd);
	ck_assert_msg(strstr(buf, "HTTP/1.1 201 "), "'%s'", buf);
}
END_TEST

/* The head of an answer, one "name: value" a line, without Date, and
 * without the fields named in skip (a NULL-terminated list). */
static void head_fields(const char *buf, char *out, size_t cap, const char *const *skip)
{
	size_t n = 0;
	const char *end = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(end);
	out[0] = '\0';
	for (const char *p = strstr(buf, "\r\n") + 2; p < end + 2;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = (size_t)(eol - p);
		bool keep = strncasecmp(p, "Date:", 5) != 0;
		for (size_t i = 0; skip[i] && keep; i++)
			keep = strncasecmp(p, skip[i], strlen(skip[i])) != 0 ||
			       p[strlen(skip[i])] != ':';
		if (keep)
			n += (size_t)snprintf(out + n, cap - n, "%.*s\n", (int)len, p);
		p = eol + 2;
	}
}

/* Every HEAD answers the status and headers its GET answers, and no body.
 * Two exceptions: /metrics counts the GET, so its length differs; and a
 * streamed body's length is known only once written, so its HEAD omits
 * Transfer-Encoding (RFC 9110 section 9.3.2) and, never Content-Length: 0,
 * and closes (libmicrohttpd 0.9.75 would send a chunked HEAD a last chunk). */
START_TEST(head_answers_what_get_answers)
{
	static const char *const paths[] = {
	    "/",
	    "/healthz",
	    "/readyz",
	    "/metrics",
	    "/openapi.json",
	    "/v1/participants",
	    "/v1/participants/xi-jinping",
	    "/v1/participants/xi-jinping/meetings",
	    "/v1/meetings?limit=1",
	    "/v1/meetings/1",
	    "/v1/principles",
	    "/v1/principles/1",
	    "/v1/principles/1/timeline",
	    "/v1/search?q=peace",
	    "/v1/export",
	    "/v1/meetings/999999",
	};
	static const char *const none[] = {NULL};
	static const char *const length[] = {"Content-Length", NULL};
	static const char *const stream[] = {"Transfer-Encoding", "Connection", NULL};
	int streams = 0;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		static struct exchange g, hd;
		static char gf[8192], hf[8192];
		char req[512];
		int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
		exchange(&g, req, (size_t)n);
		n = snprintf(req, sizeof req, "HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
		exchange(&hd, req, (size_t)n);
		bool streamed = head_value(g.buf, "Transfer-Encoding") != NULL;
		streams += streamed;
		const char *const *skip = strcmp(paths[i], "/metrics") == 0 ? length
		                          : streamed                        ? stream
		                                                            : none;
		head_fields(g.buf, gf, sizeof gf, skip);
		head_fields(hd.buf, hf, sizeof hf, skip);
		ck_assert_msg(g.status == hd.status, "%s: GET %ld, HEAD %ld", paths[i], g.status,
		              hd.status);
		ck_assert_msg(strcmp(gf, hf) == 0, "%s:\nGET:\n%sHEAD:\n%s", paths[i], gf, hf);
		const char *body = strstr(hd.buf, "\r\n\r\n") + 4;
		ck_assert_msg(body == hd.buf + hd.len, "HEAD %s has a body: '%s'", paths[i], body);
		if (streamed)
			ck_assert_msg(!head_value(hd.buf, "Content-Length"),
			              "HEAD %s says Content-Length: %s", paths[i],
			              head_value(hd.buf, "Content-Length"));
	}
	ck_assert_msg(streams > 0, "no streamed answer was checked (/v1/export is)");
}
END_TEST

/* A GET of /healthz on a new connection: true when it is answered 200
 * (the connection then stays open in *fd), false when it is refused. */
static bool served_on_new_connection(int *fd)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	*fd = harness_connect(&h);
	send_all(*fd, get, sizeof get - 1);
	char buf[4096];
	bool closed;
	size_t n = read_answer(*fd, buf, sizeof buf, ANSWER_WAIT_MS, 100, false, &closed);
	return n > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0 && !closed;
}

/* --max-connections-per-ip counts an address's connections over every
 * worker: each worker listens on a socket of its own and the kernel gives
 * each connection to one of them by its port, so a count per worker would
 * let through up to the limit on each. */
START_TEST(per_address_limit_spans_workers)
{
	harness_start(&h, (const char *[]){"--max-connections-per-ip", "3", NULL});
	enum { TRIES = 10 };
	int fds[TRIES];
	int served = 0;
	for (int i = 0; i < TRIES; i++)
		served += served_on_new_connection(&fds[i]);
	ck_assert_int_eq(served, 3);
	/* Closed, they make room again: three of the next four. */
	for (int i = 0; i < TRIES; i++)
		close(fds[i]);
	usleep(200 * 1000); /* the server sees the closes */
	served = 0;
	for (int i = 0; i < 4; i++)
		served += served_on_new_connection(&fds[i]);
	ck_assert_int_eq(served, 3);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	harness_stop(&h);
}
END_TEST

static void setup(void)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", IDLE_TIMEOUT_S);
	harness_start(&h, (const char *[]){"--timeout", timeout, "--sample-data",
	                                   "--max-connections-per-ip", "0", NULL});
}

static void teardown(void)
{
	harness_stop(&h);
}

int main(void)
{
	Suite *s = suite_create("http_wire");
	TCase *tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, unauthorized_write_refused_before_its_body);
	tcase_add_test(tc, keep_alive_is_unaffected);
	tcase_add_test(tc, unrecognised_framing_is_refused);
	tcase_add_test(tc, host_and_field_values);
	tcase_add_test(tc, no_write_commits_without_an_answer);
	tcase_add_test(tc, long_targets_are_answered);
	tcase_add_test(tc, library_refusals_close_at_once);
	tcase_add_test(tc, trickled_requests_are_cut_off);
	tcase_add_test(tc, methods_and_expectations);
	tcase_add_test(tc, head_answers_what_get_answers);
	suite_add_tcase(s, tc);
	TCase *limits = tcase_create("limits"); /* servers of their own */
	tcase_set_timeout(limits, 60);
	tcase_add_test(limits, per_address_limit_spans_workers);
	suite_add_tcase(s, limits);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
