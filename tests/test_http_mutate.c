/* The bad-input sweep: thousands of requests made by mutating valid ones
 * (truncation, type swaps, huge numbers, deep nesting, odd Unicode, duplicate
 * keys, strange methods, headers and framing). Whatever arrives, the server
 * must answer with a complete HTTP response that is not a 5xx (503 aside,
 * and 501 for a method the server does not implement),
 * must not drop a connection without answering (unless the request itself
 * was cut short), and must stay healthy.
 *
 * The generator is seeded, so a run is reproducible; READOUT_MUTATE_SEED
 * picks another seed and READOUT_MUTATE_VERBOSE=1 prints every request. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MIN_REQUESTS 2000
#define JSON_MUTANTS 1700   /* mutated bodies, through libcurl */
#define QUERY_MUTANTS 360   /* mutated paths and query strings, through libcurl */
#define RAW_ROUNDS 4        /* passes over the protocol-level cases, raw sockets */
#define ANSWER_WAIT_MS 3000 /* how long a complete request may wait for its answer */
#define CUT_WAIT_MS 300     /* how long to watch cut-short requests for an answer */
#define FAILURES_SHOWN 15

static struct harness h;

/* ---- a small deterministic generator (xorshift64*) ---- */

static uint64_t rng = 0x5eedfacade123457ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static size_t pick(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

#define PICK(arr) (arr)[pick(sizeof(arr) / sizeof((arr)[0]))]

/* ---- a growable string ---- */

struct str {
	char *s;
	size_t len, cap;
};

static void str_add(struct str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert_ptr_nonnull(b->s);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void str_puts(struct str *b, const char *p)
{
	str_add(b, p, strlen(p));
}

static void str_printf(struct str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_printf(struct str *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof tmp);
	str_add(b, tmp, (size_t)n);
}

static void str_repeat(struct str *b, const char *p, size_t times)
{
	for (size_t i = 0; i < times; i++)
		str_puts(b, p);
}

/* ---- outcome bookkeeping ---- */

struct tally {
	int sent, via_curl, via_raw, cut, cut_unanswered;
	int status[6]; /* by hundred: [1] 1xx ... [5] 5xx */
	int s503, failures;
	char first_failure[600];
};

static struct tally tally;

static void printable(char *out, size_t cap, const char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (o + 4 < cap && strlen(s) > len)
		o += (size_t)snprintf(out + o, cap - o, "...");
	out[o] = '\0';
}

static void failure(const char *what, const char *method, const char *target, const char *body,
                    size_t body_len)
{
	char shown_target[160], shown_body[240];
	printable(shown_target, sizeof shown_target, target,
	          strlen(target) > 120 ? 120 : strlen(target));
	printable(shown_body, sizeof shown_body, body ? body : "",
	          body ? (body_len > 160 ? 160 : body_len) : 0);
	tally.failures++;
	if (tally.failures <= FAILURES_SHOWN)
		printf("http_mutate: FAIL %s: %s %s [%zu bytes] %s\n", what, method, shown_target,
		       body_len, shown_body);
	if (!tally.first_failure[0])
		snprintf(tally.first_failure, sizeof tally.first_failure,
		         "%s: %s %s [%zu bytes] %s", what, method, shown_target, body_len,
		         shown_body);
}

/* True for a status that means the server failed: a 5xx, except 503 (the
 * database is busy) and 501 (the mutated method is one the server does not
 * implement, which is the right answer to it). */
static bool server_failed(long status)
{
	return status >= 500 && status != 503 && status != 501;
}

static void count_status(long status)
{
	if (status >= 100 && status < 600)
		tally.status[status / 100]++;
	if (status == 503)
		tally.s503++;
}

static bool verbose;

/* ---- sending through libcurl ---- */

static CURL *curl;

static size_t sink(char *ptr, size_t size, size_t n, void *userdata)
{
	struct str *b = userdata;
	if (b->len < 4096)
		str_add(b, ptr, size * n);
	return size * n;
}

/* Sends one request and checks its answer. headers are full header lines;
 * "AUTH" stands for the test token. */
static void send_curl(const char *method, const char *target, const char *const *headers,
                      size_t header_count, const char *body, size_t body_len)
{
	curl_easy_reset(curl);
	char url[16384];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h.port, target);
	struct curl_slist *list = NULL;
	bool has_expect = false;
	for (size_t i = 0; i < header_count; i++) {
		if (strcmp(headers[i], "AUTH") == 0)
			list = curl_slist_append(list, "Authorization: Bearer " TEST_TOKEN);
		else
			list = curl_slist_append(list, headers[i]);
		has_expect |= strncasecmp(headers[i], "Expect:", 7) == 0;
	}
	if (!has_expect)
		list = curl_slist_append(list, "Expect:");
	struct str out = {0};
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	tally.sent++;
	tally.via_curl++;
	if (verbose)
		printf("curl %s %.100s [%zu] -> %ld %s\n", method, target, body_len, status,
		       rc ? curl_easy_strerror(rc) : "");
	if (rc != CURLE_OK) {
		char what[128];
		snprintf(what, sizeof what, "no complete answer (%s, status %ld)",
		         curl_easy_strerror(rc), status);
		failure(what, method, target, body, body_len);
	} else {
		count_status(status);
		if (server_failed(status)) {
			char what[160];
			snprintf(what, sizeof what, "status %ld %.100s", status,
			         out.s ? out.s : "");
			failure(what, method, target, body, body_len);
		} else if (status < 200) {
			failure("no final status", method, target, body, body_len);
		}
	}
	free(out.s);
	curl_slist_free_all(list);
}

/* ---- sending raw bytes ---- */

static int connect_raw(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s",
	              strerror(errno));
	return fd;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Every final status line in what the server sent, checked; returns how many
 * final answers the buffer holds. */
static int check_statuses(const char *buf, size_t len, const char *req, size_t req_len)
{
	int finals = 0;
	for (size_t i = 0; i + 12 <= len; i++) {
		if ((i > 0 && buf[i - 1] != '\n') || memcmp(buf + i, "HTTP/1.", 7) != 0)
			continue;
		long status = strtol(buf + i + 9, NULL, 10);
		if (status < 200)
			continue;
		finals++;
		count_status(status);
		if (server_failed(status)) {
			char what[64];
			snprintf(what, sizeof what, "status %ld", status);
			failure(what, "raw", "", req, req_len);
		}
	}
	return finals;
}

/* True when buf holds a whole final response (headers, and the body its
 * Content-Length announces unless it answers a HEAD). */
static bool response_complete(const char *buf, size_t len, bool head)
{
	const char *p = buf;
	while (p && (size_t)(p - buf) < len) {
		const char *end = strstr(p, "\r\n\r\n");
		if (!end)
			return false;
		long status = strtol(p + 9, NULL, 10);
		if (status >= 200) {
			const char *cl = strcasestr(p, "\r\nContent-Length:");
			long body = cl && cl < end && !head ? strtol(cl + 17, NULL, 10) : 0;
			return (size_t)(end + 4 - buf) + (size_t)body <= len;
		}
		p = end + 4; /* an interim 100 Continue */
	}
	return false;
}

/* Reads what the server answers on fd for up to wait_ms. Returns the bytes
 * read (buf NUL-terminated); *closed tells whether the server closed. */
static size_t read_answer(int fd, char *buf, size_t cap, long wait_ms, bool head, bool *closed)
{
	size_t len = 0;
	long deadline = now_ms() + wait_ms;
	*closed = false;
	buf[0] = '\0';
	while (len + 1 < cap) {
		long left = deadline - now_ms();
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			*closed = true;
			break;
		}
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (response_complete(buf, len, head))
				wait_ms = 50,
				deadline = now_ms() + 50; /* collect a second answer */
		}
	}
	buf[len] = '\0';
	return len;
}

struct pending {
	int fd;
	char *req;
	size_t req_len;
};

static struct pending cut_batch[64];
static size_t cut_count;

/* Watches the cut-short requests of the batch: an answer is optional, a 5xx
 * is not allowed. */
static void flush_cut(void)
{
	if (!cut_count)
		return;
	long deadline = now_ms() + CUT_WAIT_MS;
	for (size_t i = 0; i < cut_count; i++) {
		static char buf[65536];
		bool closed;
		long left = deadline - now_ms();
		size_t n = read_answer(cut_batch[i].fd, buf, sizeof buf, left > 0 ? left : 0, false,
		                       &closed);
		if (check_statuses(buf, n, cut_batch[i].req, cut_batch[i].req_len) == 0)
			tally.cut_unanswered++;
		close(cut_batch[i].fd);
		free(cut_batch[i].req);
	}
	cut_count = 0;
}

/* What a raw request may get back. */
enum expect {
	ANSWER, /* a complete request: a complete answer, never a 5xx but 503 */
	CUT,    /* cut short: the server may wait for the rest; an answer is optional */
	/* A request line libmicrohttpd 0.9.75 cannot parse: it closes the
	 * connection without a word (newer versions answer 400). It must at
	 * least close promptly, and whatever it says must not be a 5xx. */
	CLOSED,
	/* An HTTP major version other than 1: libmicrohttpd answers 505 HTTP
	 * Version Not Supported itself, the one 5xx that is the correct answer
	 * to the request rather than a failure of the server. */
	VERSION,
};

/* Sends raw bytes on a new connection and checks the answer as expected;
 * want, unless 0, is the status the (first) answer must have. */
static void send_raw(const char *data, size_t len, enum expect expect, long want)
{
	int fd = connect_raw();
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server may refuse early and close; what it said counts */
		off += (size_t)n;
	}
	tally.sent++;
	tally.via_raw++;
	if (expect == CUT) {
		tally.cut++;
		cut_batch[cut_count].fd = fd;
		cut_batch[cut_count].req = malloc(len + 1);
		memcpy(cut_batch[cut_count].req, data, len);
		cut_batch[cut_count].req[len] = '\0';
		cut_batch[cut_count].req_len = len;
		if (++cut_count == sizeof cut_batch / sizeof cut_batch[0])
			flush_cut();
		return;
	}
	static char buf[262144];
	bool closed;
	bool head = strncmp(data, "HEAD ", 5) == 0;
	size_t n = read_answer(fd, buf, sizeof buf, ANSWER_WAIT_MS, head, &closed);
	close(fd);
	char *req = malloc(len + 1);
	memcpy(req, data, len);
	req[len] = '\0';
	if (verbose) {
		char shown[400];
		printable(shown, sizeof shown, req, len > 160 ? 160 : len);
		printf("raw %s -> %.12s%s\n", shown, buf, closed ? " (closed)" : "");
	}
	if (expect == VERSION) {
		long status = n > 12 ? strtol(buf + 9, NULL, 10) : 0;
		if (status != 505 && (status < 400 || status >= 500))
			failure("an unsupported HTTP version not refused", "raw", "", req, len);
		else if (status == 505)
			count_status(status);
		else
			check_statuses(buf, n, req, len);
	} else if (check_statuses(buf, n, req, len) > 0) {
		long status = strtol(buf + 9, NULL, 10);
		if (status == 100) /* the final answer after a 100 Continue */
			status = strstr(buf, "\r\n\r\n")
			             ? strtol(strstr(buf, "\r\n\r\n") + 13, NULL, 10)
			             : 0;
		if (!response_complete(buf, n, head)) {
			failure("incomplete answer", "raw", "", req, len);
		} else if (want && status != want) {
			char what[64];
			snprintf(what, sizeof what, "status %ld, not %ld", status, want);
			failure(what, "raw", "", req, len);
		}
	} else if (expect == ANSWER || !closed) {
		failure(closed ? "connection closed without an answer" : "no answer", "raw", "",
		        req, len);
	}
	free(req);
}

/* ---- the valid seeds ---- */

struct seed {
	const char *method;
	const char *path;
	const char *content_type;
	const char *body;
};

#define SAMPLE_MEETING "2024-04-26-president-xi-jinping-meets-u-s-secretary-of-state-antony-blinken"

static const struct seed seeds[] = {
    {"POST", "/v1/participants", "application/json",
     "{\"name\": \"Seed Person\", \"aliases\": [\"S. Person\", \"Person S.\"], \"title\": "
     "\"Envoy\", \"organization\": \"Ministry\", \"country\": \"FR\"}"},
    {"PUT", "/v1/participants/wang-yi", "application/json",
     "{\"slug\": \"wang-yi\", \"name\": \"Wang Yi\", \"aliases\": [], \"title\": \"Minister\", "
     "\"organization\": null, \"country\": \"CN\"}"},
    {"PATCH", "/v1/participants/joe-biden", "application/merge-patch+json",
     "{\"title\": \"President\", \"aliases\": [\"Joseph Biden\"]}"},
    {"POST", "/v1/principles", "application/json",
     "{\"name\": \"Seed principle\", \"framework\": \"Five pillars\", \"description\": \"A "
     "principle made to be mutated.\"}"},
    {"PUT", "/v1/principles/value-peace", "application/json",
     "{\"slug\": \"value-peace\", \"name\": \"Value peace\", \"framework\": \"Three points\", "
     "\"description\": null}"},
    {"PATCH", "/v1/principles/mutual-respect", "application/json",
     "{\"description\": \"Respect each other.\", \"framework\": null}"},
    {"POST", "/v1/meetings", "application/json",
     "{\"title\": \"Seed meeting\", \"date\": \"2024-05-01\", \"kind\": \"talks\", \"location\": "
     "\"Hall\", \"city\": \"Beijing\", \"country\": \"CN\", \"summary\": \"Talks.\", \"readout\": "
     "\"Full text of the talks.\", \"sources\": [{\"url\": \"https://example.org/a\", "
     "\"publisher\": \"Example\", \"language\": \"zh-Hans\"}], \"participants\": [{\"slug\": "
     "\"xi-jinping\", \"role\": \"host\"}, {\"id\": 2, \"role\": \"guest\"}], \"principles\": "
     "[{\"slug\": \"mutual-respect\", \"stance\": \"proposed\", \"invoked_by\": \"xi-jinping\", "
     "\"quote\": \"We respect.\"}], \"related\": [{\"id\": 1, \"relation\": \"follows_up\"}]}"},
    {"PUT", "/v1/meetings/" SAMPLE_MEETING, "application/json",
     "{\"title\": \"President Xi Jinping meets U.S. Secretary of State Antony Blinken\", "
     "\"date\": \"2024-04-26\", \"kind\": \"meeting\", \"country\": \"CN\", \"participants\": "
     "[{\"slug\": \"xi-jinping\", \"role\": \"host\"}, {\"slug\": \"antony-blinken\", \"role\": "
     "\"guest\"}], \"principles\": [], \"related\": [], \"sources\": []}"},
    {"PATCH", "/v1/meetings/1", "application/merge-patch+json",
     "{\"summary\": \"Patched.\", \"kind\": \"summit\", \"sources\": [{\"url\": "
     "\"http://example.com/x\"}], \"city\": null}"},
    {"PUT", "/v1/meetings/2/participants/wang-yi", "application/json", "{\"role\": \"guest\"}"},
    {"PUT", "/v1/meetings/1/principles/peaceful-coexistence", "application/json",
     "{\"stance\": \"cited\", \"invoked_by\": \"xi-jinping\", \"quote\": \"Coexist.\"}"},
    {"POST", "/v1/import", "application/json",
     "{\"format\": \"readout/1\", \"participants\": [{\"slug\": \"imp-person\", \"name\": "
     "\"Imported Person\", \"aliases\": [], \"country\": \"DE\"}], \"principles\": [{\"slug\": "
     "\"imp-principle\", \"name\": \"Imported principle\"}], \"meetings\": [{\"slug\": "
     "\"2020-01-01-imported\", \"title\": \"Imported\", \"date\": \"2020-01-01\", \"kind\": "
     "\"visit\", \"participants\": [{\"slug\": \"imp-person\", \"role\": \"host\"}], "
     "\"principles\": [{\"slug\": \"imp-principle\", \"stance\": \"cited\", \"invoked_by\": "
     "\"imp-person\"}], \"related\": [], \"sources\": []}]}"},
};

/* ---- JSON mutations ---- */

/* A node of the parsed seed and where it hangs. */
struct slot {
	json_t *parent; /* NULL for the root */
	const char *key;
	size_t index;
	json_t *node;
};

static void collect_slots(json_t *parent, const char *key, size_t index, json_t *node,
                          struct slot *slots, size_t *n, size_t cap)
{
	if (*n < cap)
		slots[(*n)++] = (struct slot){parent, key, index, node};
	if (json_is_object(node)) {
		const char *k;
		json_t *v;
		json_object_foreach(node, k, v) collect_slots(node, k, 0, v, slots, n, cap);
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++)
			collect_slots(node, NULL, i, json_array_get(node, i), slots, n, cap);
	}
}

/* Puts v (stolen) where slot s is; returns the (possibly new) root. */
static json_t *replace_slot(json_t *root, const struct slot *s, json_t *v)
{
	if (!s->parent) {
		json_decref(root);
		return v;
	}
	if (json_is_object(s->parent))
		json_object_set_new(s->parent, s->key, v);
	else
		json_array_set_new(s->parent, s->index, v);
	return root;
}

static json_t *other_type(json_t *old)
{
	for (;;) {
		json_t *v;
		switch (pick(10)) {
		case 0:
			v = json_string("x");
			break;
		case 1:
			v = json_integer((json_int_t)pick(1000) - 500);
			break;
		case 2:
			v = json_real(1.5);
			break;
		case 3:
			v = json_array();
			break;
		case 4:
			v = json_pack("[is{}]", 1, "a");
			break;
		case 5:
			v = json_object();
			break;
		case 6:
			v = json_pack("{si}", "k", 1);
			break;
		case 7:
			v = json_null();
			break;
		case 8:
			v = json_true();
			break;
		default:
			v = json_string("");
			break;
		}
		if (!old || json_typeof(v) != json_typeof(old) ||
		    (json_is_string(v) && strcmp(json_string_value(v), json_string_value(old))))
			return v;
		json_decref(v);
	}
}

/* Raw texts put in place of a value: markers in the tree become these
 * after it is written out. */
static const char *const huge_numbers[] = {
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "-0",
    "-0.0",
    "0e0",
    "4.9e-324",
    "1.7976931348623157e308",
    "123456789012345678901234567890.123456789",
    "100000000000000000000000000000000000000000000000000000000000000000000000000001",
    "00",
    "01",
    "+1",
    ".5",
    "1.",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e",
    "--1",
    "1_000",
};

static const char *const odd_strings[] = {
    "\"\\ud800\"",
    "\"a\\udc00b\"",
    "\"\\ud800\\u0041\"",
    "\"\\udbff\\udfff\"",
    "\"\\ud83d\\ude00 smile\"",
    "\"\xC0\xAF\"",
    "\"x\xE0\x80\xAFy\"",
    "\"\xF0\x80\x80\xAF\"",
    "\"\xED\xA0\x80\"",
    "\"\xEF\xBF\xBF\"",
    "\"\xEF\xBF\xBE\"",
    "\"\xF4\x8F\xBF\xBF\"",
    "\"\xF4\x90\x80\x80\"",
    "\"\xFF\xFE\"",
    "\"\x80\"",
    "\"trunc\xE2\x82\"",
    "\"\\uffff\"",
    "\"\\ufffe\"",
    "\"\\u202e\\u202dreversed\"",
    "\"\xE2\x80\xAE"
    "RTL override\"",
    "\"\\u200f\\u200e\\u061c\"",
    "\"\\ufeffbom\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
    "\"e\\u0301\\u0301\\u0301\\u0301\"",
    "\"\\u0301leading combining\"",
    "\"\\u00e9 vs e\\u0301\"",
    "\"\xF0\x9F\x98\x80\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88\"",
    "\"raw\x01control\"",
    "\"tab\there\"",
    "\"new\nline\"",
    "\"\\u0007\\u001b[31m\"",
    "\"\\/\\\\\\\"\"",
    "\"\\x41\"",
    "\"\\u12\"",
    "\"\\uZZZZ\"",
    "\"\\\"",
    "\"\xE4\xB8\xAD\xE6\x96\x87 \xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A \xE0\xA4\xB9\xE0\xA4\xBF\"",
    "\"\\u2028\\u2029\"",
    "\"\xE2\x80\x8B\xE2\x80\x8C\xE2\x80\x8D\"",
};

/* Writes the tree with markers, then swaps each marker for its raw text. */
static void dump_with_raw(json_t *root, const char *marker_text, struct str *out)
{
	char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(text);
	const char *marker = "\"@@RAW@@\"";
	const char *p = text;
	const char *hit;
	while ((hit = strstr(p, marker))) {
		str_add(out, p, (size_t)(hit - p));
		str_puts(out, marker_text);
		p = hit + strlen(marker);
	}
	str_puts(out, p);
	free(text);
}

static void nested(struct str *b, int depth, bool objects)
{
	for (int i = 0; i < depth; i++)
		str_puts(b, objects ? "{\"a\":" : "[");
	str_puts(b, "1");
	for (int i = 0; i < depth; i++)
		str_puts(b, objects ? "}" : "]");
}

enum mutation {
	M_TYPE_SWAP,
	M_HUGE_NUMBER,
	M_DEEP,
	M_ODD_STRING,
	M_ODD_KEY,
	M_DUPLICATE_KEY,
	M_UNKNOWN_FIELD,
	M_REMOVE,
	M_LONG_STRING,
	M_BIG_ARRAY,
	M_KINDS
};

/* Applies one mutation to the tree (or, for raw texts, records the text
 * that replaces the marker). Returns the new root. */
static json_t *mutate_tree(json_t *root, struct str *raw, bool *has_raw)
{
	struct slot slots[512];
	size_t n = 0;
	collect_slots(NULL, NULL, 0, root, slots, &n, 512);
	struct slot s = slots[pick(n)];
	switch ((enum mutation)pick(M_KINDS)) {
	case M_TYPE_SWAP:
		return replace_slot(root, &s, other_type(s.node));
	case M_HUGE_NUMBER:
		if (*has_raw)
			return root;
		*has_raw = true;
		str_puts(raw, PICK(huge_numbers));
		return replace_slot(root, &s, json_string("@@RAW@@"));
	case M_DEEP: {
		if (*has_raw)
			return root;
		*has_raw = true;
		static const int depths[] = {30, 31, 32, 33, 34, 64, 1000, 1000, 20000};
		nested(raw, depths[pick(sizeof depths / sizeof depths[0])], pick(2));
		return replace_slot(root, &s, json_string("@@RAW@@"));
	}
	case M_ODD_STRING:
		if (*has_raw)
			return root;
		*has_raw = true;
		str_puts(raw, PICK(odd_strings));
		/* Prefer a string that is there already. */
		for (size_t i = 0; i < 8; i++) {
			struct slot t = slots[pick(n)];
			if (json_is_string(t.node)) {
				s = t;
				break;
			}
		}
		return replace_slot(root, &s, json_string("@@RAW@@"));
	case M_ODD_KEY: {
		json_t *obj = json_is_object(s.node)     ? s.node
		              : json_is_object(s.parent) ? s.parent
		                                         : root;
		if (!json_is_object(obj) || *has_raw)
			return root;
		*has_raw = true;
		/* The key is written as "@@RAW@@"; the raw text replaces it whole. */
		str_puts(raw, PICK(odd_strings));
		json_object_set_new(obj, "@@RAW@@", json_string("v"));
		return root;
	}
	case M_DUPLICATE_KEY: {
		json_t *obj = json_is_object(s.node)     ? s.node
		              : json_is_object(s.parent) ? s.parent
		                                         : root;
		if (!json_is_object(obj) || json_object_size(obj) == 0 || *has_raw)
			return root;
		*has_raw = true;
		const char *keys[64];
		size_t k = 0;
		const char *key;
		json_t *v;
		json_object_foreach(obj, key, v) if (k < 64) keys[k++] = key;
		str_printf(raw, "\"%s\"", keys[pick(k)]);
		json_object_set_new(obj, "@@RAW@@",
		                    pick(2) ? json_string("dup") : other_type(NULL));
		return root;
	}
	case M_UNKNOWN_FIELD: {
		json_t *obj = json_is_object(s.node)     ? s.node
		              : json_is_object(s.parent) ? s.parent
		                                         : root;
		if (!json_is_object(obj))
			return root;
		static const char *const names[] = {"id",   "version", "created_at",    "bogus",
		                                    "",     "slug",    "meeting_count", "__proto__",
		                                    "NAME", "name "};
		json_object_set_new(obj, PICK(names), other_type(NULL));
		return root;
	}
	case M_REMOVE:
		if (s.parent && json_is_object(s.parent))
			json_object_del(s.parent, s.key);
		else if (s.parent)
			json_array_remove(s.parent, s.index);
		return root;
	case M_LONG_STRING: {
		static const size_t lengths[] = {101, 201, 501, 2001, 10001, 500001, 1100000};
		size_t len = lengths[pick(sizeof lengths / sizeof lengths[0])];
		char *text = malloc(len + 1);
		memset(text, pick(2) ? 'a' : '-', len);
		text[len] = '\0';
		root = replace_slot(root, &s, json_string(text));
		free(text);
		return root;
	}
	case M_BIG_ARRAY: {
		json_t *a = json_array();
		size_t count = pick(2) ? 21 : 1000;
		for (size_t i = 0; i < count; i++)
			json_array_append_new(a, pick(2) ? json_pack("{ss}", "slug", "xi-jinping")
			                                 : json_pack("{si}", "id", (int)i));
		return replace_slot(root, &s, a);
	}
	case M_KINDS:
		break;
	}
	return root;
}

/* Whole bodies that replace the seed's (lengths explicit: some hold a NUL). */
#define TEXT(s)                 \
	{                       \
		s, sizeof s - 1 \
	}
struct text {
	const char *s;
	size_t len;
};

static const struct text odd_bodies[] = {
    TEXT(""),
    TEXT(" "),
    TEXT("null"),
    TEXT("[]"),
    TEXT("{}"),
    TEXT("\"a string\""),
    TEXT("0"),
    TEXT("true"),
    TEXT("{"),
    TEXT("}"),
    TEXT("{\"name\":}"),
    TEXT("{\"name\" \"x\"}"),
    TEXT("{'name': 'single quotes'}"),
    TEXT("{\"name\": \"x\",}"),
    TEXT("{\"name\": \"x\"} trailing"),
    TEXT("{\"name\": \"x\"}{\"name\": \"y\"}"),
    TEXT("\xEF\xBB\xBF{\"name\": \"bom\"}"),
    TEXT("{\"name\": \"x\" /* comment */}"),
    TEXT("\x00{}"),
    TEXT("{\"name\": \"nul after\"}\x00"),
    TEXT("{\"a\":1,\"a\":2}"),
    TEXT("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["),
    TEXT("{\"name\": NaN}"),
    TEXT("{\"name\": \"\\ud800\"}"),
};

/* Builds one mutated request from a seed and sends it. */
static void json_mutant(void)
{
	const struct seed *seed = &seeds[pick(sizeof seeds / sizeof seeds[0])];
	const char *method = seed->method;
	const char *headers[8];
	size_t nh = 0;
	headers[nh++] = "AUTH";
	char ct[128];
	snprintf(ct, sizeof ct, "Content-Type: %s", seed->content_type);
	headers[nh++] = ct;

	struct str body = {0};
	size_t roll = pick(100);
	if (roll < 6) {
		const struct text *b = &PICK(odd_bodies);
		str_add(&body, b->s, b->len);
	} else {
		json_error_t err;
		json_t *root = json_loads(seed->body, 0, &err);
		ck_assert_msg(root != NULL, "seed: %s", err.text);
		struct str raw = {0};
		bool has_raw = false;
		int rounds = 1 + (int)pick(3);
		for (int i = 0; i < rounds; i++)
			root = mutate_tree(root, &raw, &has_raw);
		dump_with_raw(root, raw.s ? raw.s : "\"@@RAW@@\"", &body);
		json_decref(root);
		free(raw.s);
		if (pick(100) < 12 && body.len > 0) /* cut short */
			body.len = pick(body.len), body.s[body.len] = '\0';
	}

	/* Now and then a strange method or header as well. */
	static const char *const methods[] = {"BREW",  "PROPFIND", "get",      "post",
	                                      "TRACE", "HEAD",     "OPTIONS",  "PATCH",
	                                      "PUT",   "POST",     "M-SEARCH", "GET"};
	static const char *const content_types[] = {
	    "Content-Type: application/json; charset=utf-8",
	    "Content-Type: APPLICATION/JSON",
	    "Content-Type: application/json;charset=\"latin1\"",
	    "Content-Type: application/merge-patch+json",
	    "Content-Type: application/json-patch+json",
	    "Content-Type: text/plain",
	    "Content-Type: application/x-www-form-urlencoded",
	    "Content-Type: multipart/form-data; boundary=xyz",
	    "Content-Type: application/json, text/plain",
	    "Content-Type;",
	    "Content-Type: ;",
	    "Content-Type: application/jsonx",
	    "Content-Type:  application/json ",
	};
	static const char *const auths[] = {
	    "Authorization: Bearer wrong-token-000000",
	    "Authorization: Bearer",
	    "Authorization: Bearer ",
	    "Authorization: bearer " TEST_TOKEN,
	    "Authorization: Bearer  " TEST_TOKEN,
	    "Authorization: Bearer " TEST_TOKEN "x",
	    "Authorization: Basic dXNlcjpwYXNz",
	    "Authorization: Bearer " TEST_TOKEN,
	};
	static const char *const others[] = {
	    "If-Match: *",
	    "If-Match: \"nope\"",
	    "If-Match: W/\"weak\", \"a\",,,",
	    "If-None-Match: *",
	    "If-Match: \"",
	    "Origin: null",
	    "Origin: http://evil.example",
	    "Accept: application/xml",
	    "Content-Encoding: gzip",
	    "Expect: 100-continue",
	    "Host: \xff\xfe",
	    "X-Forwarded-For: 1.2.3.4, ::1",
	    "Connection: close",
	    "Connection: keep-alive, Upgrade",
	    "Upgrade: websocket",
	    "Range: bytes=0-1",
	};
	if (pick(100) < 12)
		method = PICK(methods);
	if (pick(100) < 10)
		headers[1] = PICK(content_types);
	if (pick(100) < 8) {
		headers[0] = PICK(auths);
		if (pick(2))
			headers[nh++] = PICK(auths); /* a repeated Authorization */
	}
	char *pad = NULL;
	if (pick(100) < 3) {
		static const size_t sizes[] = {8000, 40000, 70000, 200000};
		size_t len = sizes[pick(4)];
		/* A header block past the connection's memory is refused by
		 * libmicrohttpd itself (431), which closes at once: a client
		 * still sending a large body then meets a reset and may lose
		 * the answer (0.9.75 has no lingering close). So the big
		 * blocks go with small bodies only. */
		if (body.len > 16384 && len > 40000)
			len = 40000;
		pad = malloc(len + 16);
		memcpy(pad, "X-Pad: ", 7);
		memset(pad + 7, 'p', len);
		pad[7 + len] = '\0';
		headers[nh++] = pad;
	}
	if (pick(100) < 10)
		headers[nh++] = PICK(others);
	send_curl(method, seed->path, headers, nh, body.s ? body.s : "", body.len);
	free(pad);
	free(body.s);
}

/* ---- path and query mutations ---- */

static const char *const list_paths[] = {
    "/v1/meetings",
    "/v1/participants",
    "/v1/principles",
    "/v1/search",
    "/v1/participants/xi-jinping/meetings",
    "/v1/principles/mutual-respect/timeline",
};

static const char *const params[] = {"q",         "limit", "cursor",    "sort",    "count",
                                     "from",      "to",    "kind",      "country", "participant",
                                     "principle", "type",  "framework", "bogus",   ""};

static const char *const values[] = {
    "",
    "-1",
    "0",
    "1",
    "200",
    "201",
    "99999999999999999999",
    "1e3",
    "0x10",
    "abc",
    "%00",
    "%FF",
    "%C0%AF",
    "%ED%A0%80",
    "%EF%BF%BF",
    "%F4%8F%BF%BF",
    "%E2%80%AE",
    "%0A",
    "%",
    "%2",
    "%%",
    "+",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "9999-12-31",
    "2024-1-1",
    "true",
    "TRUE",
    "name",
    "-name",
    "-date",
    "date",
    "invocation_count",
    "-meeting_count",
    "meeting",
    "summit",
    "ZZ",
    "cn",
    "xi-jinping",
    "1",
    "%22",
    "%22unterminated",
    "*",
    "a*",
    "*a",
    "OR",
    "a%20OR",
    "NEAR(a%20b)",
    "col:xyz",
    "(((",
    "AND%20OR%20NOT",
    "-",
    "^a",
    "xi%20jinping",
    "%22xi%20jinping%22",
    "eyJhIjoxfQ",
    "eyJhIjoxfQ.AAAA",
    "AAAAAAAAAAAAAAAAAAAAAAAA",
    "..%2F..%2Fetc%2Fpasswd",
};

static const char *const refs[] = {
    "0",      "-1",         "99999999999999999999",
    "1.5",    "%2F",        "..",
    "%00",    "Xi-Jinping", "a--b",
    "-a",     "a-",         "%E2%80%AE",
    "9",      "1e2",        "+1",
    "%20",    "xi_jinping", "1;DROP",
    "%ff%fe", "%ED%A0%80",  "1%00",
    "0x1",    "007",        "xi-jinping",
};

static const char *const ref_paths[] = {
    "/v1/participants/%s",
    "/v1/principles/%s",
    "/v1/meetings/%s",
    "/v1/participants/%s/meetings",
    "/v1/principles/%s/timeline",
    "/v1/meetings/1/participants/%s",
    "/v1/meetings/%s/principles/mutual-respect",
};

static char valid_cursor[512];

static void query_mutant(void)
{
	struct str target = {0};
	static const char *const methods[] = {"HEAD", "DELETE", "BREW", "get"};
	const char *method = pick(10) ? "GET" : PICK(methods);
	const char *headers[2] = {"AUTH", NULL};
	size_t roll = pick(100);
	if (roll < 30) {
		char seg[256];
		const char *ref = PICK(refs);
		if (pick(8) == 0) { /* a slug of 101 characters, or a long one */
			size_t len = 101 + pick(100);
			memset(seg, 'a', len);
			seg[len] = '\0';
			ref = seg;
		}
		str_printf(&target, PICK(ref_paths), ref);
		static const char *const suffixes[] = {"", "", "", "/", "//", "/x", "?", "#frag"};
		str_puts(&target, PICK(suffixes));
	} else if (roll < 36) {
		static const char *const odd[] = {
		    "/v1//meetings",
		    "/v1/meetings/",
		    "//v1/meetings",
		    "/v1/./meetings",
		    "/v1/../v1/meetings",
		    "/V1/MEETINGS",
		    "/v1/meetings%2F1",
		    "/v1/%6deetings",
		    "/v1/meetings/%",
		    "/healthz/",
		    "/v2/meetings",
		    "/v1",
		    "/%00",
		};
		str_puts(&target, PICK(odd));
	} else {
		str_puts(&target, PICK(list_paths));
		int n = 1 + (int)pick(5);
		for (int i = 0; i < n; i++) {
			str_puts(&target, i ? "&" : "?");
			const char *param = PICK(params);
			str_puts(&target, param);
			if (pick(10) == 0)
				continue; /* a parameter with no '=' */
			str_puts(&target, "=");
			if (strcmp(param, "cursor") == 0 && valid_cursor[0]) {
				/* A real cursor, altered or cut. */
				char c[512];
				snprintf(c, sizeof c, "%s", valid_cursor);
				size_t len = strlen(c);
				if (pick(2))
					c[pick(len)] ^= (char)(1 + pick(3));
				else
					c[pick(len)] = '\0';
				str_puts(&target, c);
			} else if (pick(20) == 0) {
				str_repeat(&target, pick(2) ? "a" : "%E2%80%AE",
				           pick(2) ? 501 : 9000);
			} else {
				str_puts(&target, PICK(values));
			}
		}
	}
	send_curl(method, target.s, headers, pick(3) ? 0 : 1, NULL, 0);
	free(target.s);
}

/* ---- protocol-level cases, through raw sockets ---- */

static const char *const raw_paths[] = {"/v1/participants", "/v1/meetings", "/healthz",
                                        "/v1/import"};

/* A write request to path (NULL: one picked) with the given framing headers
 * and body. */
static void raw_write(const char *path, const char *framing, const char *body, size_t body_len,
                      enum expect expect, long want)
{
	struct str r = {0};
	str_printf(&r,
	           "POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " TEST_TOKEN
	           "\r\nContent-Type: application/json\r\n%sConnection: close\r\n\r\n",
	           path ? path : PICK(raw_paths), framing);
	str_add(&r, body, body_len);
	send_raw(r.s, r.len, expect, want);
	free(r.s);
}

#define RAW_BODY "{\"name\": \"Raw Persons\", \"country\": \"IT\"}" /* 40 bytes */

static void raw_cases(void)
{
	const char *body = RAW_BODY;
	size_t blen = strlen(body);
	ck_assert_uint_eq(blen, 40);
	char framing[256];
	struct str chunked = {0};
	str_printf(&chunked, "%zx\r\n%s\r\n0\r\n\r\n", blen, body);

	/* Chunked bodies, good and bad. */
	raw_write(NULL, "Transfer-Encoding: chunked\r\n", chunked.s, chunked.len, ANSWER, 0);
	static const char *const bad_chunked[] = {
	    "zz\r\n{}\r\n0\r\n\r\n",
	    "-1\r\n{}\r\n0\r\n\r\n",
	    "2;ext=1\r\n{}\r\n0\r\n\r\n",
	    "0x2\r\n{}\r\n0\r\n\r\n",
	    " 2\r\n{}\r\n0\r\n\r\n",
	    "2 \r\n{}\r\n0\r\n\r\n",
	    "2\n{}\n0\n\n",
	    "1\r\n{}\r\n0\r\n\r\n",
	    "\r\n\r\n",
	    "2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n",
	    "2\r\n{}0\r\n\r\n",
	    "g\r\n",
	};
	for (size_t i = 0; i < sizeof bad_chunked / sizeof bad_chunked[0]; i++)
		raw_write(NULL, "Transfer-Encoding: chunked\r\n", bad_chunked[i],
		          strlen(bad_chunked[i]), ANSWER, 0);
	/* Chunk sizes that promise more than ever comes: the request is cut. */
	static const char *const short_chunked[] = {
	    "ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
	    "7fffffffffffffff\r\n{}",
	    "100\r\n{}\r\n",
	    "2\r\n{}\r\n",
	};
	for (size_t i = 0; i < sizeof short_chunked / sizeof short_chunked[0]; i++)
		raw_write(NULL, "Transfer-Encoding: chunked\r\n", short_chunked[i],
		          strlen(short_chunked[i]), CUT, 0);
	/* Transfer codings other than plain chunked: the length is unknowable,
	 * so the answer is 400 (RFC 9112 section 6.3), never a wait. */
	static const char *const te_variants[] = {
	    "Transfer-Encoding: gzip, chunked\r\n",
	    "Transfer-Encoding: identity\r\n",
	    "Transfer-Encoding: Chunked\r\n",
	    "Transfer-Encoding: chunked, chunked\r\n",
	    "Transfer-Encoding: x\r\n",
	    "Transfer-Encoding: \r\n",
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
	};
	for (size_t i = 0; i < sizeof te_variants / sizeof te_variants[0]; i++)
		raw_write(NULL, te_variants[i], chunked.s, chunked.len, ANSWER,
		          strstr(te_variants[i], "Chunked") ? 0 : 400);

	/* Content-Length and Transfer-Encoding together, conflicting lengths:
	 * 400 (API.md section 7). */
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\nTransfer-Encoding: chunked\r\n",
	         chunked.len);
	raw_write(NULL, framing, chunked.s, chunked.len, ANSWER, 400);
	snprintf(framing, sizeof framing, "Transfer-Encoding: chunked\r\nContent-Length: %zu\r\n",
	         chunked.len);
	raw_write(NULL, framing, chunked.s, chunked.len, ANSWER, 400);
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\nContent-Length: %zu\r\n", blen,
	         blen + 5);
	raw_write("/v1/participants", framing, body, blen, ANSWER, 400);
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\nContent-Length: %zu\r\n", blen,
	         blen);
	raw_write("/v1/participants", framing, body, blen, ANSWER, 0);
	snprintf(framing, sizeof framing, "Content-Length: %zu, %zu\r\n", blen, blen);
	raw_write("/v1/participants", framing, body, blen, ANSWER, 0);
	free(chunked.s);

	/* Content-Length mismatches and odd values. */
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", blen - 10);
	raw_write(NULL, framing, body, blen, ANSWER, 0); /* the rest reads as a second request */
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", blen + 10);
	raw_write(NULL, framing, body, blen, CUT, 0); /* the server waits for 10 more bytes */
	static const char *const lengths[] = {
	    "Content-Length: -5\r\n",
	    "Content-Length: abc\r\n",
	    "Content-Length: 1e3\r\n",
	    "Content-Length: 99999999999999999999\r\n",
	    "Content-Length: 18446744073709551615\r\n",
	    "Content-Length: 18446744073709551616\r\n",
	    "Content-Length: +40\r\n",
	    "Content-Length: 0x28\r\n",
	    "Content-Length: \r\n",
	    "Content-Length: 40 \r\n",
	    "Content-Length:40\r\n",
	    "Content-Length:\t40\r\n",
	    "Content-Length: 040\r\n",
	    "Content-Length: 0\r\n",
	    "Content-Length: 4 0\r\n",
	    "Content-Length: 70000000\r\n",
	};
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
		raw_write("/v1/participants", lengths[i], body, blen, ANSWER, 0);
	/* A body a little over the limit, sent whole without waiting: it is read
	 * and the answer is a clean 413 (no reset that would swallow it). */
	struct str big = {0};
	str_puts(&big, "{\"name\": \"");
	str_repeat(&big, "n", 1100000);
	str_puts(&big, "\"}");
	snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", big.len);
	raw_write("/v1/participants", framing, big.s, big.len, ANSWER, 413);
	free(big.s);

	/* Expect: 100-continue without a body, and with one never sent. */
	raw_write(NULL, "Expect: 100-continue\r\n", "", 0, ANSWER, 0);
	raw_write(NULL, "Expect: 100-continue\r\nContent-Length: 0\r\n", "", 0, ANSWER, 0);
	raw_write(NULL, "Expect: 100-continue\r\nContent-Length: 40\r\n", "", 0, CUT, 0);
	raw_write("/v1/participants", "Expect: 100-continue\r\nContent-Length: 5000000\r\n", "", 0,
	          ANSWER, 413);
	raw_write(NULL, "Expect: 200-ok\r\nContent-Length: 0\r\n", "", 0, ANSWER, 0);
	raw_write(NULL, "Expect: 100-continue\r\nExpect: 100-continue\r\n", "", 0, ANSWER, 0);

	/* Request lines and header blocks. */
	static const struct {
		struct text t;
		enum expect expect;
	} lines[] = {
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("get /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("PROPFIND /v1/meetings HTTP/1.1\r\nHost: x\r\nDepth: 1\r\nConnection: "
	          "close\r\n\r\n"),
	     ANSWER},
	    {TEXT("G@T /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET  /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n"), VERSION},
	    {TEXT("GET /healthz HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n"), VERSION},
	    {TEXT("GET /healthz HTTP/1.10\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz HTTP/1.9\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz http/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz FOO\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz\r\n\r\n"), ANSWER},
	    {TEXT("GET\r\n\r\n"), CLOSED},
	    {TEXT(" GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), CLOSED},
	    {TEXT("\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET http://localhost/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz HTTP/1.0\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\n: empty-name\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n  b\r\nConnection: "
	          "close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Sp : a\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n"), ANSWER},
	    /* Bare CRs: no line ever ends, so the request never completes. */
	    {TEXT("GET /healthz HTTP/1.1\rHost: x\rConnection: close\r\r"), CUT},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /heal\0thz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /v1/meetings?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /v1/search?q=\xed\xa0\x80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /v1/meetings/\xc0\xaf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Ctl: \x01\x02\r\nConnection: "
	          "close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Utf: \xe2\x80\xae\xff\r\nConnection: "
	          "close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close, close, "
	          "keep-alive\r\n\r\n"),
	     ANSWER},
	    {TEXT("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("OPTIONS /v1/meetings HTTP/1.1\r\nHost: x\r\nOrigin: http://a\r\n"
	          "Access-Control-Request-Method: DELETE\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("HEAD /v1/meetings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ANSWER},
	    {TEXT("DELETE /v1/meetings/999999 HTTP/1.1\r\nHost: x\r\nAuthorization: "
	          "Bearer " TEST_TOKEN
	          "\r\nAuthorization: Bearer wrong-token-0000\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("DELETE /v1/meetings/999999 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	          "wrong-token-0000\r\nAuthorization: Bearer " TEST_TOKEN
	          "\r\nConnection: close\r\n\r\n"),
	     ANSWER},
	    {TEXT("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n"
	          "Connection: close\r\n\r\n"),
	     ANSWER},
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		send_raw(lines[i].t.s, lines[i].t.len, lines[i].expect, 0);

	/* Huge header values, many headers, a huge request line. */
	static const size_t sizes[] = {1000, 8000, 30000, 60000, 70000, 300000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct str r = {0};
		str_puts(&r, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
		str_repeat(&r, "b", sizes[i]);
		str_puts(&r, "\r\nConnection: close\r\n\r\n");
		send_raw(r.s, r.len, ANSWER, 0);
		free(r.s);
		r = (struct str){0};
		str_puts(&r, "GET /healthz?");
		str_repeat(&r, "q", sizes[i]);
		str_puts(&r, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		send_raw(r.s, r.len, ANSWER, 0);
		free(r.s);
		r = (struct str){0};
		str_puts(&r, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
		for (size_t k = 0; k < sizes[i] / 20; k++)
			str_printf(&r, "X-H%zu: v\r\n", k);
		str_puts(&r, "Connection: close\r\n\r\n");
		send_raw(r.s, r.len, ANSWER, 0);
		free(r.s);
		r = (struct str){0};
		str_puts(
		    &r, "DELETE /v1/meetings/999999 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ");
		str_repeat(&r, "t", sizes[i]);
		str_puts(&r, "\r\nConnection: close\r\n\r\n");
		send_raw(r.s, r.len, ANSWER, 0);
		free(r.s);
	}

	/* Requests cut mid-way: in the request line, the headers, the body. */
	const char *full =
	    "POST /v1/participants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TEST_TOKEN
	    "\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n" RAW_BODY;
	size_t full_len = strlen(full);
	for (int i = 0; i < 12; i++)
		send_raw(full, 1 + pick(full_len - 1), CUT, 0);
}

/* ---- the tests ---- */

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	harness_start(&h, (const char *[]){"--max-connections-per-ip", "0", "--timeout", "10",
	                                   "--sample-data", NULL});
	curl = curl_easy_init();
	ck_assert_ptr_nonnull(curl);
	memset(&tally, 0, sizeof tally);
	const char *seed = getenv("READOUT_MUTATE_SEED");
	if (seed && *seed)
		rng = strtoull(seed, NULL, 0) | 1;
	verbose = getenv("READOUT_MUTATE_VERBOSE") != NULL;
}

static void teardown(void)
{
	curl_easy_cleanup(curl);
	harness_stop(&h);
	curl_global_cleanup();
}

START_TEST(mutated_requests_never_break_the_server)
{
	uint64_t first_seed = rng;
	/* A real cursor to alter. */
	struct reply *r = get(&h, "/v1/principles?limit=2");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
	snprintf(valid_cursor, sizeof valid_cursor, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);

	for (int i = 0; i < JSON_MUTANTS; i++)
		json_mutant();
	for (int i = 0; i < QUERY_MUTANTS; i++)
		query_mutant();
	for (int i = 0; i < RAW_ROUNDS; i++)
		raw_cases();
	flush_cut();

	printf("http_mutate: seed %#llx: %d requests sent (%d through libcurl, %d raw, %d of them "
	       "cut short, %d of those unanswered); answers 2xx %d, 3xx %d, 4xx %d, 5xx %d (503: "
	       "%d); %d failures\n",
	       (unsigned long long)first_seed, tally.sent, tally.via_curl, tally.via_raw, tally.cut,
	       tally.cut_unanswered, tally.status[2], tally.status[3], tally.status[4],
	       tally.status[5], tally.s503, tally.failures);
	fflush(stdout);
	ck_assert_int_ge(tally.sent, MIN_REQUESTS);
	ck_assert_msg(tally.failures == 0, "%d of %d requests failed; first: %s", tally.failures,
	              tally.sent, tally.first_failure);

	/* Healthy afterwards: ready, and a normal create and read work. */
	r = get(&h, "/readyz");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	r = write_json(&h, "POST", "/v1/participants",
	               "{\"name\": \"After The Sweep\", \"country\": \"SE\"}");
	ck_assert_int_eq(r->status, 201);
	long long id = jint(r->json, "id");
	ck_assert_int_gt(id, 0);
	reply_free(r);
	r = get(&h, path_fmt("/v1/participants/%lld", id));
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "name"), "After The Sweep");
	ck_assert_str_eq(jstr(r->json, "country"), "SE");
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_mutate");
	TCase *tc = tcase_create("mutate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mutated_requests_never_break_the_server);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
