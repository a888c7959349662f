/*
 * The daemon and the request/response glue. libmicrohttpd calls the access
 * handler several times per request: the first call checks the head (its
 * syntax, size, framing and expectations), decides the route, the token and
 * the body limit, and refuses there what it must (before a byte of body is
 * read, and with the connection closed); data calls append to a bounded
 * buffer, and the last call runs the handler and queues the response.
 * Per-request state is freed when libmicrohttpd reports completion, which is
 * also where the request is logged and counted. A watcher thread closes
 * connections whose head or body takes longer than its deadline.
 *
 * A handler may wait instead of answering (http_response.wait_ms): the
 * connection is then suspended, holding no worker thread, until
 * http_server_wake, its deadline (the watcher resumes it), the client's
 * close (the watcher sees it) or the server's stop resumes it, and the
 * handler runs again for the same request (see wait_begin).
 *
 * A write that comes while another is under way is queued for one writer
 * thread instead, which commits the queued writes in groups that share one
 * transaction and one sync (opt.group_begin, writer_main); each such
 * connection is suspended until its group is committed.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http/cache.h"
#include "http/logbuf.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define LISTEN_BACKLOG 511
#define DRAIN_WAIT_MS 10000 /* longest wait for in-flight requests at shutdown */
/* A body over the limit but within this much more is read and dropped before
 * the 413, so that closing does not reset the connection under a client
 * still sending (it would lose the answer); a bigger one is refused at once. */
#define OVERSIZE_DRAIN_MAX (8L * 1024 * 1024)
#define WATCH_INTERVAL_MS 250 /* how often the deadlines are checked */
/* Data seen this soon after a connection began to wait may be the end of
 * the previous request: TCP_INFO's times are in kernel ticks of up to 10 ms. */
#define WATCH_SLACK_MS 50
#define GROUP_MAX 64 /* writes in one group commit */

/* What the deadline watcher knows of one connection (see watch_check). */
enum watch_phase {
	WATCH_WAITING, /* for a request: its head is being received, if begun */
	WATCH_BODY,    /* receiving a body, until deadline_ms */
	WATCH_BUSY,    /* running the handler or sending the answer: no deadline */
	WATCH_EXPIRED, /* answered 408 and shut down by the watcher */
};

struct conn_watch {
	struct conn_watch *prev, *next; /* under http_server.watch_lock */
	int fd;
	atomic_int phase;
	atomic_long ready_ms;    /* when the connection began to wait for a request */
	atomic_long head_ms;     /* when a byte of the next head was seen; 0: none yet */
	atomic_long deadline_ms; /* WATCH_BODY: when the body must be complete */
	unsigned char peer[16];  /* the client's address (4 or 16 bytes), for */
	size_t peer_len;         /* --max-connections-per-ip */
};

struct http_server {
	/* One libmicrohttpd daemon per worker thread, each on a listening
	 * socket of its own (SO_REUSEPORT): the kernel spreads connections
	 * over them by address. With one socket shared by a thread pool, the
	 * worker idle when connections arrive takes them all, and keeps them:
	 * behind a long search on the other, one core served every client. */
	struct MHD_Daemon **daemons;
	int *listen_fds;
	size_t workers;
	struct http_server_options opt;
	int port;
	struct metrics metrics;
	struct http_cache *cache;
	atomic_int in_flight;
	atomic_bool stopping; /* set by http_server_stop: new connections are refused */
	bool raw_layout;      /* header lines are read where libmicrohttpd 0.9.75 leaves them */
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_wake;
	pthread_t watcher;
	bool watcher_stop;          /* under watch_lock */
	bool watcher_kick;          /* under watch_lock: look at the waits again */
	struct conn_watch *watches; /* under watch_lock */
	char *timeout_answer;       /* the whole 408 the watcher sends */
	size_t timeout_answer_len;
	pthread_mutex_t wait_lock;
	struct request_state *waiters; /* suspended requests, under wait_lock */
	atomic_int waiting;            /* requests holding a wait slot (--max-waiting) */
	atomic_int suspended;          /* in waiters, or about to be (wait_begin) */
	atomic_ulong wake_gen;         /* calls of http_server_wake */
	pthread_mutex_t tokens_lock;
	struct auth_set *tokens; /* under tokens_lock: the set new requests take */
	/* Group commit (writer_main). */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t write_lock;
	pthread_cond_t write_wake;
	struct request_state *writes, **writes_tail; /* queued, under write_lock */
	int writing;      /* writes under way: queued, in a group or alone (under write_lock) */
	bool grouping;    /* the writer's last group held several (under write_lock) */
	bool writer_stop; /* under write_lock */
	atomic_ulong groups, grouped; /* groups committed, their writes */
	struct logbuf log;            /* the request log's lines, flushed by the watcher */
};

struct request_state {
	struct http_request req;
	struct http_response res;
	char *body;
	size_t body_len, body_cap;
	long limit;
	char *raw_path; /* the path as sent, before any percent-decoding */
	bool too_large;
	bool queued;
	bool started;              /* the first access-handler call has been made */
	bool target_over;          /* the raw target broke a limit (on_target) */
	enum router_result routed; /* decided on the first call */
	char allow[128];           /* the Allow list of a known path */
	struct conn_watch *watch;  /* the connection's, or NULL */
	struct auth_set *tokens;   /* a reference to the set the request began with, or NULL */
	bool private_path;         /* a path of private_prefix on a private server */
	struct timespec start;
	/* Waiting (http_response.wait_ms). */
	struct request_state *wait_prev, *wait_next; /* in waiters, under wait_lock */
	bool suspended;                              /* in waiters, under wait_lock */
	bool wait_slot;                              /* counted in http_server.waiting */
	atomic_bool gone;       /* the client closed while the request waited */
	long wait_deadline_ms;  /* fixed by the first wait; 0: never waited */
	unsigned long wake_gen; /* http_server.wake_gen before the handler's last run */
	int fd;                 /* the connection's socket, while suspended */
	/* Group commit. */
	struct request_state *write_next; /* in writes, under write_lock */
	bool written;                     /* the writer thread answered: respond */
};

static enum http_method parse_method(const char *m)
{
	for (int i = 0; i < HTTP_OTHER; i++)
		if (strcmp(m, http_method_name((enum http_method)i)) == 0)
			return (enum http_method)i;
	return HTTP_OTHER;
}

/* ---- request and response accessors (http.h) ---- */

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *req, const char *name)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
	if (!v && MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name,
	                                        strlen(name), NULL, NULL) == MHD_YES)
		return "";
	return v;
}

struct query_iter {
	int (*fn)(void *ctx, const char *key, const char *value);
	void *ctx;
	int rc;
};

static enum MHD_Result query_iter_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct query_iter *it = cls;
	(void)kind;
	it->rc = it->fn(it->ctx, key, value ? value : "");
	return it->rc ? MHD_NO : MHD_YES;
}

int http_query_each(const struct http_request *req,
                    int (*fn)(void *ctx, const char *key, const char *value), void *ctx)
{
	struct query_iter it = {fn, ctx, 0};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_iter_cb, &it);
	return it.rc;
}

/* True when the comma-separated entity-tag list contains etag (a strong
 * tag). The weak comparison (If-None-Match, RFC 9110 section 13.1.2)
 * ignores a W/ prefix; the strong one (If-Match) never matches a weak tag. */
static bool etag_list_has(const char *list, const char *etag, bool weak)
{
	size_t n = strlen(etag);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t m = len;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		const char *tag = p;
		if (weak && m > 2 && tag[0] == 'W' && tag[1] == '/')
			tag += 2, m -= 2;
		if (m == n && memcmp(tag, etag, n) == 0)
			return true;
		p += len;
	}
	return false;
}

/* The value of a request header without the whitespace around it (RFC
 * 9110 section 5.5), or NULL when absent. Borrowed: it points into the
 * header; *len is its length. */
static const char *header_trimmed(const struct http_request *req, const char *name, size_t *len)
{
	const char *v = http_header(req, name);
	if (!v)
		return NULL;
	v += strspn(v, " \t");
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*len = n;
	return v;
}

bool http_if_match_ok(const struct http_request *req, const char *etag, bool exists)
{
	size_t len;
	const char *im = header_trimmed(req, "If-Match", &len);
	if (!im)
		return true;
	if (len == 1 && im[0] == '*')
		return exists;
	return exists && etag && etag_list_has(im, etag, false);
}

static bool is_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_sub_delim(unsigned char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* True when s[0..n) is an RFC 3986 reg-name: unreserved characters,
 * sub-delims and %HH escapes (an IPv4 address is one too). */
static bool reg_name_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return false;
			i += 2;
		} else if (!is_unreserved(c) && !is_sub_delim(c)) {
			return false;
		}
	}
	return true;
}

/* True when s[0..n) is the inside of an RFC 3986 IP-literal: an IPv6
 * address or "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
static bool ip_literal_valid(const char *s, size_t n)
{
	char addr[64];
	if (n && (s[0] == 'v' || s[0] == 'V')) {
		size_t hex = 1;
		while (hex < n && isxdigit((unsigned char)s[hex]))
			hex++;
		if (hex == 1 || hex + 1 >= n || s[hex] != '.')
			return false;
		for (size_t i = hex + 1; i < n; i++)
			if (!is_unreserved((unsigned char)s[i]) &&
			    !is_sub_delim((unsigned char)s[i]) && s[i] != ':')
				return false;
		return true;
	}
	struct in6_addr in6;
	if (n == 0 || n >= sizeof addr)
		return false;
	memcpy(addr, s, n);
	addr[n] = '\0';
	return inet_pton(AF_INET6, addr, &in6) == 1;
}

bool http_host_valid(const char *host)
{
	if (!host)
		return false;
	size_t len = strlen(host), n;
	if (len == 0 || len > HTTP_HOST_MAX)
		return false;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close || !ip_literal_valid(host + 1, (size_t)(close - host - 1)))
			return false;
		n = (size_t)(close - host) + 1;
	} else {
		n = strcspn(host, ":");
		if (n == 0 || !reg_name_valid(host, n))
			return false;
	}
	if (host[n] == '\0')
		return true;
	/* RFC 3986 allows any run of digits (even none); a port has at most 5. */
	const char *port = host + n + 1;
	size_t digits = strspn(port, "0123456789");
	return host[n] == ':' && port[digits] == '\0' && digits <= 5 &&
	       strtol(port, NULL, 10) <= 65535;
}

/* Copies the request's Host into out in lower case (hosts are
 * case-insensitive) without the whitespace around it (RFC 9110 section
 * 5.5). Returns 1 when it is valid, 0 when there is none, -1 when it is
 * not valid; out is "" unless it is valid. */
static int host_of(const struct http_request *req, char out[HTTP_HOST_MAX + 1])
{
	const char *host = http_header(req, "Host");
	out[0] = '\0';
	if (!host)
		return 0;
	host += strspn(host, " \t");
	size_t n = strlen(host);
	while (n && (host[n - 1] == ' ' || host[n - 1] == '\t'))
		n--;
	if (n > HTTP_HOST_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[n] = '\0';
	if (http_host_valid(out))
		return 1;
	out[0] = '\0';
	return -1;
}

bool http_if_none_match(const struct http_request *req, const char *etag)
{
	size_t len;
	const char *inm = header_trimmed(req, "If-None-Match", &len);
	return inm && etag && ((len == 1 && inm[0] == '*') || etag_list_has(inm, etag, true));
}

char *http_base_url(const struct http_request *req)
{
	char host[HTTP_HOST_MAX + 1];
	host_of(req, host);
	char *url = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&url, &len);
	if (host[0])
		fprintf(f, "http://%s", host);
	/* The path is held decoded: encode again what may not stand in a URI
	 * path, so that no request can put '>' or a space into a Link. */
	for (const char *p = req->path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (is_unreserved(c) || is_sub_delim(c) || c == '/' || c == ':' || c == '@')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
	fclose(f);
	return url;
}

/* ---- the glue ---- */

static long elapsed_us(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000000L + (now.tv_nsec - start->tv_nsec) / 1000;
}

/* Takes a reference to the token set in use (NULL when there is none). */
static struct auth_set *tokens_take(struct http_server *s)
{
	pthread_mutex_lock(&s->tokens_lock);
	struct auth_set *set = auth_set_ref(s->tokens);
	pthread_mutex_unlock(&s->tokens_lock);
	return set;
}

void http_server_set_tokens(struct http_server *s, struct auth_set *set)
{
	pthread_mutex_lock(&s->tokens_lock);
	struct auth_set *old = s->tokens;
	s->tokens = set;
	pthread_mutex_unlock(&s->tokens_lock);
	auth_set_unref(old); /* freed here unless a request still holds it */
}

/* Who the request is: its bearer token, looked up in the set in use, which
 * the request keeps (st->tokens) until it completes. "Bearer" 1*SP token
 * (RFC 6750 section 2.1); whitespace around the field value is not part
 * of it (RFC 9110 section 5.5), so a token followed by spaces or tabs is
 * that token. Returns the token, or NULL. */
static const struct auth_token *identify(struct http_server *s, struct request_state *st)
{
	st->tokens = tokens_take(s);
	size_t len;
	const char *auth = header_trimmed(&st->req, "Authorization", &len);
	if (!auth || len < 7 || strncasecmp(auth, "Bearer ", 7) != 0)
		return NULL;
	size_t skip = 7 + strspn(auth + 7, " ");
	if (len <= skip)
		return NULL;
	const struct auth_token *t = auth_set_match(st->tokens, auth + skip, len - skip);
	st->req.actor = t ? t->name : NULL;
	return t;
}

/* True when path is under the private prefix ("/v1/"), or is it without
 * its last slash ("/v1"). */
static bool under_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (!path)
		return false;
	if (strncmp(path, prefix, n) == 0)
		return true;
	return n > 1 && prefix[n - 1] == '/' && strlen(path) == n - 1 &&
	       strncmp(path, prefix, n - 1) == 0;
}

/* True when the Content-Type names one of the JSON media types the route
 * takes (whitespace may follow it, before or without parameters). */
static bool json_content_type(const struct http_request *req, int flags)
{
	size_t len;
	const char *ct = header_trimmed(req, "Content-Type", &len);
	if (!ct)
		return false;
	size_t n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return (flags & ROUTE_MERGE_PATCH) && n == 28 &&
	       strncasecmp(ct, "application/merge-patch+json", 28) == 0;
}

static const char *allowed_origin(const struct http_server *s, const struct http_request *req)
{
	if (s->opt.cors_origin_count == 0)
		return "*";
	size_t len;
	const char *origin = header_trimmed(req, "Origin", &len);
	if (!origin)
		return NULL;
	/* The configured string is the answer: it is the Origin without the
	 * whitespace around it. */
	for (size_t i = 0; i < s->opt.cors_origin_count; i++)
		if (strlen(s->opt.cors_origins[i]) == len &&
		    memcmp(origin, s->opt.cors_origins[i], len) == 0)
			return s->opt.cors_origins[i];
	return NULL;
}

static int append_arg(void *ctx, const char *key, const char *value)
{
	FILE *f = ctx;
	/* Control characters never reach here (check_target): safe separators. */
	fprintf(f, "\x1e%s\x1f%s", key, value);
	return 0;
}

/* Answers from the cache, or runs the handler and keeps its answer. The
 * key is the Host (Link headers name it), the path and every query
 * parameter in order: every request header an answer depends on. CORS
 * headers and the 304 for If-None-Match are added after the cache. */
static void cached_handler(struct http_server *s, const struct route *route,
                           struct http_request *req, struct http_response *res)
{
	char *key = NULL, host[HTTP_HOST_MAX + 1];
	size_t len = 0;
	FILE *f = open_memstream(&key, &len);
	host_of(req, host);
	fputs(host, f); /* a host holds no '/', so host and path cannot blur */
	fputs(req->path, f);
	http_query_each(req, append_arg, f);
	if (route->flags & ROUTE_VARY_ACCEPT) {
		const char *accept = http_header(req, "Accept");
		fprintf(f, "\x1d%s", accept ? accept : "");
	}
	fclose(f);
	unsigned long gen = s->opt.generation(s->opt.app);
	if (!http_cache_get(s->cache, key, len, gen, res)) {
		route->handler(req, res);
		if (res->status != 0) /* never a wait (http_cache_put keeps 200s only, too) */
			http_cache_put(s->cache, key, len, gen, res);
	}
	free(key);
}

/* Runs the route's handler (through the cache when the route has one) for
 * a fresh store operation. */
static void run_handler(struct http_server *s, struct request_state *st)
{
	const struct route *route = &s->opt.router->routes[st->req.route];
	/* Before the handler looks for news: see wait_begin. */
	st->wake_gen = atomic_load(&s->wake_gen);
	if (s->opt.request_start)
		s->opt.request_start(s->opt.app, &st->req);
	if (route->flags & ROUTE_CACHE && s->cache)
		cached_handler(s, route, &st->req, &st->res);
	else
		route->handler(&st->req, &st->res);
}

/* Runs a write: at once on this worker thread when no other is under way
 * and writes do not meet (true), else queued for the writer thread, its
 * connection suspended until the answer is ready (false). A write alone
 * answers sooner so: a resumed connection waits for its worker's next turn
 * of the event loop, behind every request the worker serves meanwhile.
 * But while writes meet (the writer's last group held several), each
 * queues even when it finds none under way: one run alone then would cost
 * a commit of its own and hold up its worker's other connections for its
 * fsync, while the next group, a moment later, shares one (alone, creates
 * from 32 clients ran at half the rate). MHD_suspend_connection runs on
 * the connection's worker thread, as it must; the writer may resume the
 * connection at once. */
static bool write_run(struct http_server *s, struct request_state *st)
{
	pthread_mutex_lock(&s->write_lock);
	bool alone = s->writing++ == 0 && !s->grouping;
	if (!alone) {
		MHD_suspend_connection(st->req.conn);
		st->write_next = NULL;
		*s->writes_tail = st;
		s->writes_tail = &st->write_next;
		pthread_cond_signal(&s->write_wake);
	}
	pthread_mutex_unlock(&s->write_lock);
	if (!alone)
		return false;
	run_handler(s, st);
	atomic_fetch_add(&s->groups, 1);
	atomic_fetch_add(&s->grouped, 1);
	pthread_mutex_lock(&s->write_lock);
	s->writing--;
	pthread_mutex_unlock(&s->write_lock);
	return true;
}

/* Takes up to GROUP_MAX queued writes (under write_lock). */
static struct request_state *writes_take(struct http_server *s)
{
	struct request_state *group = s->writes, **tail = &s->writes;
	for (int n = 0; *tail && n < GROUP_MAX; n++)
		tail = &(*tail)->write_next;
	s->writes = *tail;
	*tail = NULL;
	if (!s->writes)
		s->writes_tail = &s->writes;
	return group;
}

/* Answers with the route decided on the first call: the checks every route
 * shares, then the handler (respond finishes the answer). False when the
 * writer thread answers instead (write_run). */
static bool dispatch(struct http_server *s, struct request_state *st)
{
	struct http_request *req = &st->req;
	struct http_response *res = &st->res;
	char allow[128];
	if (req->method == HTTP_OPTIONS) {
		if (!router_path_known(s->opt.router, req, allow, sizeof allow)) {
			http_problem(res, 404, "not-found", "Not found",
			             "No resource at this path.");
			return true;
		}
		http_set_body(res, 204, NULL, NULL, 0);
		size_t used = strlen(allow);
		snprintf(allow + used, sizeof allow - used, ", OPTIONS");
		http_add_header(res, "Allow", allow);
		if (allowed_origin(s, req)) {
			http_add_header(res, "Access-Control-Allow-Methods", allow);
			http_add_header(res, "Access-Control-Allow-Headers",
			                "Authorization, Content-Type, If-Match, If-None-Match");
			http_add_header(res, "Access-Control-Max-Age", "86400");
		}
		return true;
	}
	switch (st->routed) {
	case ROUTER_NOT_FOUND:
		http_problem(res, 404, "not-found", "Not found", "No resource at this path.");
		return true;
	case ROUTER_BAD_METHOD:
		http_problem(res, 405, "method-not-allowed", "Method not allowed",
		             "This path does not take this method; see the Allow header.");
		http_add_header(res, "Allow", st->allow);
		return true;
	case ROUTER_FOUND:
		break;
	}
	/* The token was checked on the first call (see check_route). */
	const struct route *route = &s->opt.router->routes[req->route];
	if (st->too_large) {
		http_problem(res, 413, "payload-too-large", "Payload too large",
		             "The request body is larger than this server accepts.");
		res->close = true;
		return true;
	}
	if ((route->flags & ROUTE_JSON_BODY) && !json_content_type(req, route->flags)) {
		http_problem(
		    res, 415, "unsupported-media-type", "Unsupported media type",
		    route->flags & ROUTE_MERGE_PATCH
		        ? "The body must be application/json or application/merge-patch+json."
		        : "The body must be application/json.");
		return true;
	}
	req->body = st->body;
	req->body_len = st->body_len;
	req->wait_left_ms = HTTP_WAIT_FIRST;
	if ((route->flags & ROUTE_WRITE) && s->opt.group_begin)
		return write_run(s, st);
	run_handler(s, st);
	return true;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_response *res = cls;
	(void)pos;
	long n = res->fill(res->fill_ctx, buf, max);
	return n > 0    ? (ssize_t)n
	       : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
	                : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_done(void *cls)
{
	struct http_response *res = cls;
	if (res->fill_done)
		res->fill_done(res->fill_ctx);
	free(res);
}

static enum MHD_Result queue(struct http_server *s, struct request_state *st)
{
	struct http_response *res = &st->res;
	struct MHD_Response *r;
	if (res->fill) {
		/* The stream outlives the request state: it gets a copy of its own.
		 * A HEAD gets an unknown-length response too, never a Content-Length
		 * of 0 (libmicrohttpd never calls the reader for it). Its length
		 * is only known once written, so the HEAD omits Transfer-Encoding
		 * (RFC 9110 section 9.3.2): as an HTTP/1.0 answer, which closes
		 * the connection, because 0.9.75 sends a chunked HEAD the chunked
		 * body's last chunk, which a client would read as the next answer. */
		struct http_response *copy = xmalloc(sizeof *copy);
		*copy = *res;
		res->fill = NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read,
		                                      copy, stream_done);
		if (r && st->req.method == HTTP_HEAD)
			MHD_set_response_options(r, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
	} else {
		r = MHD_create_response_from_buffer(res->body_len, res->body,
		                                    MHD_RESPMEM_MUST_FREE);
		res->body = NULL; /* now owned by r */
	}
	if (!r)
		return MHD_NO;
	if (res->content_type)
		MHD_add_response_header(r, "Content-Type", res->content_type);
	for (size_t i = 0; i < res->header_count; i++)
		MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* Revalidated with ETags, unless the handler knows better (a file named
	 * by its content hash never changes). A private server's answer is for
	 * the one who asked: no shared cache may keep it, and it depends on
	 * the token. */
	if (st->private_path)
		MHD_add_response_header(r, "Cache-Control", "private, no-cache");
	else if (!http_response_header(res, "Cache-Control"))
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	const char *origin = allowed_origin(s, &st->req);
	if (origin) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(r, "Access-Control-Expose-Headers",
		                        "ETag, Location, Link, X-Total-Count");
	}
	/* Vary: what besides the target the answer depends on. */
	bool vary_accept =
	    st->req.route >= 0 && (s->opt.router->routes[st->req.route].flags & ROUTE_VARY_ACCEPT);
	char vary[64] = "";
	if (s->opt.cors_origin_count)
		strcat(vary, ", Origin");
	if (vary_accept)
		strcat(vary, ", Accept");
	if (st->private_path)
		strcat(vary, ", Authorization");
	if (vary[0])
		MHD_add_response_header(r, "Vary", vary + 2);
	if (res->close)
		MHD_add_response_header(r, "Connection", "close");
	/* Counted as it is queued, so a client that reads /metrics right after
	 * an answer always finds that answer counted. */
	metrics_observe(&s->metrics, st->req.route, res->status,
	                (unsigned long)elapsed_us(&st->start));
	enum MHD_Result ret = MHD_queue_response(st->req.conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	st->queued = true;
	return ret;
}

/* A whole answer as bytes for the socket, with the headers queue() adds,
 * for when libmicrohttpd cannot send it: the watcher's 408, and a refusal
 * whose head leaves no room in the connection's memory (see HTTP_HEAD_MAX).
 * It closes the connection. req may be NULL (no request known). Returns a
 * new string (caller frees) of *len bytes. */
static char *answer_text(const struct http_server *s, const struct http_request *req,
                         const struct http_response *res, size_t *len /* OUT */)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		abort();
	fprintf(f, "HTTP/1.1 %d %s\r\n", res->status,
	        MHD_get_reason_phrase_for((unsigned)res->status));
	if (res->content_type)
		fprintf(f, "Content-Type: %s\r\n", res->content_type);
	for (size_t i = 0; i < res->header_count; i++)
		fprintf(f, "%s: %s\r\n", res->headers[i].name, res->headers[i].value);
	fputs("X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n", f);
	const char *origin = s->opt.cors_origin_count == 0 ? "*"
	                     : req                         ? allowed_origin(s, req)
	                                                   : NULL;
	if (origin)
		fprintf(f,
		        "Access-Control-Allow-Origin: %s\r\nAccess-Control-Expose-Headers: ETag, "
		        "Location, Link, X-Total-Count\r\n",
		        origin);
	if (s->opt.cors_origin_count)
		fputs("Vary: Origin\r\n", f);
	fprintf(f, "Connection: close\r\nContent-Length: %zu\r\n\r\n", res->body_len);
	fwrite(res->body, 1, res->body_len, f);
	fclose(f);
	return text;
}

/* Sends st's answer on the socket itself and closes the connection: for a
 * refusal decided on the first call (libmicrohttpd writes nothing then)
 * whose head took the room the answer needs in the connection's memory. */
static enum MHD_Result answer_raw(struct http_server *s, struct request_state *st)
{
	size_t len;
	char *text = answer_text(s, &st->req, &st->res, &len);
	const union MHD_ConnectionInfo *fd =
	    MHD_get_connection_info(st->req.conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (fd) {
		ssize_t sent = send(fd->connect_fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)sent; /* a fresh socket's buffer takes it whole, or the client is gone */
	}
	free(text);
	metrics_observe(&s->metrics, st->req.route, st->res.status,
	                (unsigned long)elapsed_us(&st->start));
	st->queued = true;
	return MHD_NO; /* libmicrohttpd closes the connection */
}

/* Percent-decodes s in place (the path and each query key and value).
 * A control character, given raw or as %00-%1F or %7F, becomes 0x7F so
 * that check_target can refuse the request instead of the string being cut
 * at a NUL. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *out = s;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};
			c = (unsigned char)strtoul(hex, NULL, 16);
			p += 2;
		}
		*out++ = (char)(c < 0x20 || c == 0x7f ? 0x7f : c);
	}
	*out = '\0';
	return (size_t)(out - s);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* True when s is well-formed UTF-8: no stray continuation bytes, overlong
 * forms, surrogates or code points past U+10FFFF. */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t need = *p >= 0xC2 && *p <= 0xDF   ? 2
		              : *p >= 0xE0 && *p <= 0xEF ? 3
		              : *p >= 0xF0 && *p <= 0xF4 ? 4
		                                         : 0;
		if (need == 0)
			return false;
		for (size_t i = 1; i < need; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
		    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
			return false;
		p += need;
	}
	return true;
}

struct target_check {
	size_t length;
	int params;
	bool control;
	bool not_utf8;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct target_check *t = cls;
	(void)kind;
	t->length += strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	t->params++;
	t->control |= has_control(key) || (value && has_control(value));
	t->not_utf8 |= !utf8_valid(key) || (value && !utf8_valid(value));
	return MHD_YES;
}

/* Refuses a request target holding control characters or bytes that are not
 * UTF-8 (400), longer than HTTP_URL_MAX or with more than
 * HTTP_QUERY_PARAMS_MAX parameters (414). Returns false after filling res. */
static bool check_target(struct request_state *st)
{
	if (st->target_over) {
		char detail[200];
		snprintf(detail, sizeof detail,
		         "The path and query are longer than this server accepts (at most %d bytes "
		         "and %d query parameters).",
		         HTTP_URL_MAX, HTTP_QUERY_PARAMS_MAX);
		http_problem(&st->res, 414, "uri-too-long", "URI too long", detail);
		return false;
	}
	struct target_check t = {strlen(st->req.path), 0, has_control(st->req.path),
	                         !utf8_valid(st->req.path)};
	MHD_get_connection_values(st->req.conn, MHD_GET_ARGUMENT_KIND, check_arg, &t);
	if (t.control) {
		http_problem(&st->res, 400, "bad-request", "Bad request",
		             "The path or query holds a control character.");
		return false;
	}
	if (t.not_utf8) {
		/* Handlers may copy any parameter into JSON, which must be UTF-8. */
		http_problem(&st->res, 400, "bad-request", "Bad request",
		             "The path or query is not valid UTF-8.");
		return false;
	}
	char detail[160];
	if (t.length > HTTP_URL_MAX) {
		snprintf(detail, sizeof detail,
		         "The path and query are longer than this server accepts (at most %d "
		         "bytes).",
		         HTTP_URL_MAX);
		http_problem(&st->res, 414, "uri-too-long", "URI too long", detail);
		return false;
	}
	if (t.params > HTTP_QUERY_PARAMS_MAX) {
		snprintf(detail, sizeof detail,
		         "The query has more parameters than this server accepts (at most %d).",
		         HTTP_QUERY_PARAMS_MAX);
		http_problem(&st->res, 414, "uri-too-long", "URI too long", detail);
		return false;
	}
	return true;
}

struct framing {
	int content_lengths, transfer_encodings;
	bool lengths_differ, chunked;
	const char *first_length;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct framing *f = cls;
	(void)kind;
	value = value ? value : "";
	if (strcasecmp(key, "Content-Length") == 0) {
		if (f->content_lengths++ == 0)
			f->first_length = value;
		else if (strcmp(value, f->first_length) != 0)
			f->lengths_differ = true;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->transfer_encodings++;
		f->chunked = strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

/* Refuses a body whose length is ambiguous (RFC 9112 section 6.3): a
 * transfer coding other than plain chunked (libmicrohttpd would read it
 * until the client closes, and never answer), Content-Length beside
 * Transfer-Encoding, or Content-Length headers that disagree. Returns false
 * after filling res; the connection must then be closed. */
static bool check_framing(struct request_state *st)
{
	struct framing f = {0};
	MHD_get_connection_values(st->req.conn, MHD_HEADER_KIND, framing_header, &f);
	const char *detail = NULL;
	if (f.transfer_encodings && f.content_lengths)
		detail = "Content-Length and Transfer-Encoding may not be sent together.";
	else if (f.transfer_encodings > 1 || (f.transfer_encodings && !f.chunked))
		detail = "The only transfer coding accepted is chunked.";
	else if (f.lengths_differ)
		detail = "The Content-Length headers disagree.";
	if (!detail)
		return true;
	http_problem(&st->res, 400, "bad-request", "Bad request", detail);
	return false;
}

/* Finds the route (once, for every later decision) and its body limit. */
static void route_request(const struct http_server *s, struct request_state *st)
{
	int index = -1;
	st->routed = router_match(s->opt.router, &st->req, &index, st->allow, sizeof st->allow);
	st->limit = s->opt.max_body;
	if (st->routed != ROUTER_FOUND)
		return;
	st->req.route = index;
	st->req.route_data = s->opt.router->routes[index].data;
	if (s->opt.router->routes[index].flags & ROUTE_LARGE_BODY)
		st->limit = s->opt.max_import_body;
}

/* True for the characters of a header field name (RFC 9110 section 5.6.2). */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

struct head_scan {
	bool layout;          /* check the fields where libmicrohttpd left them */
	int hosts;            /* Host fields */
	bool expect_other;    /* an expectation other than 100-continue */
	const char *prev_end; /* where the previous field's value ended */
	const char *detail;   /* the first fault found */
};

/* Checks one header field: a name that is a token (libmicrohttpd keeps
 * whitespace before the colon in the name, so "Content-Length : 5" would go
 * unrecognised as framing), a value free of control characters, and, with
 * libmicrohttpd 0.9.75, the field where its parser left it: that version
 * ends every line in place with NULs and keeps name and value in the line,
 * so a name moved away from its value is an obsolete folded line (which it
 * glues onto the name), and anything between a value's end and the next
 * line is what followed a NUL inside the value (which it would cut there). */
static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
	struct head_scan *h = cls;
	(void)kind;
	if (!value)
		value = "", value_size = 0;
	if (strcasecmp(key, "Host") == 0)
		h->hosts++;
	else if (strcasecmp(key, "Expect") == 0 && strcasecmp(value, "100-continue") != 0)
		h->expect_other = true;
	if (h->detail)
		return MHD_YES;
	bool token = key_size > 0;
	for (size_t i = 0; i < key_size; i++)
		token &= is_tchar((unsigned char)key[i]);
	if (!token)
		h->detail = "A header field name is empty or holds a character a name may not "
		            "hold (such as whitespace before the colon).";
	for (size_t i = 0; i < value_size && !h->detail; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			h->detail = "A header field value holds a control character.";
	}
	if (!h->layout || h->detail)
		return MHD_YES;
	uintptr_t k = (uintptr_t)key, v = (uintptr_t)value;
	bool in_place = v > k + key_size && v - k - key_size <= HTTP_HEAD_MAX;
	for (const char *p = key + key_size + 1; in_place && p < value; p++)
		in_place = *p == ' ' || *p == '\t';
	if (!in_place) {
		h->detail = "A header field is continued on a second line (obsolete line "
		            "folding).";
		return MHD_YES;
	}
	if (h->prev_end) {
		uintptr_t gap = k - (uintptr_t)h->prev_end;
		if (k <= (uintptr_t)h->prev_end || gap > 2 || (gap == 2 && h->prev_end[1]))
			h->detail = "A header field value holds a NUL byte.";
	}
	h->prev_end = value + value_size;
	return MHD_YES;
}

/* What the request head costs in the connection's memory: its bytes, a
 * record for each header field, query parameter and cookie, and the copy
 * of the Cookie field libmicrohttpd parses cookies from. */
static size_t head_cost(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *size =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	const char *cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	int values = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL) +
	             MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) +
	             MHD_get_connection_values(conn, MHD_COOKIE_KIND, NULL, NULL);
	return (size ? size->header_size : 0) + (cookie ? strlen(cookie) + 1 : 0) +
	       (size_t)HTTP_FIELD_COST * (size_t)values;
}

/* Checks the request head as a whole: what it costs in the connection's
 * memory (HTTP_HEAD_MAX), each field (scan_field), Host (one, and only one,
 * in HTTP/1.1) and Expect. Returns the status to refuse with after filling
 * res, or 0. */
static int check_head(const struct http_server *s, struct request_state *st, const char *version,
                      size_t cost)
{
	struct head_scan h = {.layout = s->raw_layout};
	MHD_get_connection_values_n(st->req.conn, MHD_HEADER_KIND, scan_field, &h);
	/* The line ending the last field, then the empty line: NULs both,
	 * unless a NUL inside the value left the rest of it there. */
	if (h.layout && !h.detail && h.prev_end && h.prev_end[1])
		h.detail = "A header field value holds a NUL byte.";
	bool http11 = strcmp(version, "HTTP/1.0") != 0; /* 1.1, or a later 1.x read as 1.1 */
	char detail[200];
	if (!h.detail && (h.hosts > 1 || (http11 && h.hosts == 0)))
		h.detail = "An HTTP/1.1 request needs exactly one Host header.";
	char host[HTTP_HOST_MAX + 1];
	if (!h.detail && host_of(&st->req, host) < 0) {
		snprintf(detail, sizeof detail,
		         "The Host header is not a valid host[:port] of at most %d bytes.",
		         HTTP_HOST_MAX);
		h.detail = detail;
	}
	if (h.detail) {
		http_problem(&st->res, 400, "bad-request", "Bad request", h.detail);
		return 400;
	}
	if (cost > HTTP_HEAD_MAX) {
		snprintf(detail, sizeof detail,
		         "The request head is larger than this server accepts (at most %d bytes, "
		         "counting %d more for each header field, cookie and query parameter).",
		         HTTP_HEAD_MAX, HTTP_FIELD_COST);
		http_problem(&st->res, 431, "header-fields-too-large",
		             "Request header fields too large", detail);
		return 431;
	}
	if (h.expect_other) {
		http_problem(&st->res, 417, "expectation-failed", "Expectation failed",
		             "The only expectation this server meets is 100-continue.");
		return 417;
	}
	return 0;
}

/* The first call's decisions once the head is sound: the method, the route,
 * the body limit against Content-Length, and the token, all before a byte of
 * body is read. Returns false after filling res. */
static bool check_route(struct http_server *s, struct request_state *st)
{
	struct MHD_Connection *conn = st->req.conn;
	if (st->req.method == HTTP_OTHER) {
		http_problem(&st->res, 501, "not-implemented", "Not implemented",
		             "This server does not implement this method.");
		return false;
	}
	route_request(s, st);
	const struct route *route =
	    st->routed == ROUTER_FOUND ? &s->opt.router->routes[st->req.route] : NULL;
	/* The scope needed: a route's own, or read on a private server (the
	 * decoded path decides: a route's first segment is decoded before it
	 * is matched). A preflight never carries credentials. */
	unsigned need = 0;
	if (route && (route->flags & ROUTE_ADMIN))
		need = AUTH_ADMIN;
	else if (route && (route->flags & ROUTE_WRITE))
		need = AUTH_WRITE;
	st->private_path = s->opt.private_prefix &&
	                   (under_prefix(st->req.path, s->opt.private_prefix) ||
	                    (route && under_prefix(route->pattern, s->opt.private_prefix)));
	if (!need && st->private_path && st->req.method != HTTP_OPTIONS)
		need = AUTH_READ;
	const struct auth_token *token = NULL;
	if (need || MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))
		token = identify(s, st);
	bool authorized = !need || (token && (token->scopes & need));
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || *end || n > (unsigned long long)st->limit) {
			st->too_large = true;
			/* A client with a token already sending a moderate body
			 * has it read and dropped, then gets the 413 (dispatch). */
			if (authorized && !errno && !*end &&
			    n <= (unsigned long long)(st->limit + OVERSIZE_DRAIN_MAX) &&
			    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect"))
				return true;
			/* Else refuse before reading (and before any 100 Continue). */
			http_problem(&st->res, 413, "payload-too-large", "Payload too large",
			             "The request body is larger than this server accepts.");
			return false;
		}
	}
	if (authorized)
		return true;
	char detail[200];
	if (token) {
		snprintf(detail, sizeof detail,
		         "The token '%s' does not have the %s scope, which this request needs.",
		         token->name, auth_scope_name(need));
		http_problem(&st->res, 403, "forbidden", "Forbidden", detail);
		return false;
	}
	if (!auth_set_count(st->tokens))
		snprintf(detail, sizeof detail,
		         "This server has no token configured; %s are refused.",
		         need == AUTH_READ ? "its private reads" : "writes");
	else
		snprintf(detail, sizeof detail,
		         "A valid bearer token with the %s scope is required%s.",
		         auth_scope_name(need),
		         need == AUTH_READ ? ": this server is private" : " for this request");
	http_problem(&st->res, 401, "unauthorized", "Unauthorized", detail);
	http_add_header(&st->res, "WWW-Authenticate", "Bearer realm=\"readout\"");
	return false;
}

/* ---- deadlines ---- */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The connection's watch, from libmicrohttpd's socket context. */
static struct conn_watch *watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

/* Moves a watch from one phase to another; false when the watcher has
 * expired it meanwhile (the connection is being closed). */
static bool watch_move(struct conn_watch *w, int from, int to)
{
	if (!w)
		return true;
	int seen = from;
	return atomic_compare_exchange_strong(&w->phase, &seen, to) || seen != WATCH_EXPIRED;
}

/* Starts the body deadline, or marks the request busy when it has no body. */
static bool watch_head_done(struct conn_watch *w, const struct request_state *st)
{
	if (!w)
		return true;
	const char *cl =
	    MHD_lookup_connection_value(st->req.conn, MHD_HEADER_KIND, "Content-Length");
	bool chunked =
	    MHD_lookup_connection_value(st->req.conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
	unsigned long long size = chunked ? (unsigned long long)st->limit
	                          : cl    ? strtoull(cl, NULL, 10)
	                                  : 0;
	if (size == 0)
		return watch_move(w, WATCH_WAITING, WATCH_BUSY);
	if (size > (unsigned long long)st->limit + OVERSIZE_DRAIN_MAX)
		size = (unsigned long long)st->limit + OVERSIZE_DRAIN_MAX;
	atomic_store(&w->deadline_ms, now_ms() + HTTP_BODY_DEADLINE_S * 1000L +
	                                  (long)(size * 1000 / HTTP_BODY_MIN_RATE));
	return watch_move(w, WATCH_WAITING, WATCH_BODY);
}

/* Called by the watcher (under watch_lock) for each connection: a head
 * begun more than HTTP_HEAD_DEADLINE_S ago, or a body past its deadline, is
 * answered 408 and the connection shut down (libmicrohttpd then closes it).
 * The first byte of a head is seen in the socket's TCP_INFO: data received
 * after the connection began to wait for a request. */
static void watch_check(struct http_server *s, struct conn_watch *w, long now)
{
	int phase = atomic_load(&w->phase);
	long due;
	if (phase == WATCH_WAITING) {
		long ready = atomic_load(&w->ready_ms), head = atomic_load(&w->head_ms);
		if (head < ready) {
			struct tcp_info ti;
			socklen_t len = sizeof ti;
			head = 0;
			if (getsockopt(w->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
			    now - (long)ti.tcpi_last_data_recv > ready + WATCH_SLACK_MS)
				head = now - (long)ti.tcpi_last_data_recv;
			atomic_store(&w->head_ms, head);
			if (!head)
				return;
		}
		due = head + HTTP_HEAD_DEADLINE_S * 1000L;
	} else if (phase == WATCH_BODY) {
		due = atomic_load(&w->deadline_ms);
	} else {
		return;
	}
	if (now < due || !atomic_compare_exchange_strong(&w->phase, &phase, WATCH_EXPIRED))
		return;
	/* libmicrohttpd is reading, not writing, in both phases: the answer
	 * goes out whole, or not at all if the socket buffer is full. */
	ssize_t sent =
	    send(w->fd, s->timeout_answer, s->timeout_answer_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)sent;
	shutdown(w->fd, SHUT_RDWR);
	metrics_observe(&s->metrics, -1, 408, 0);
}

static long waits_check(struct http_server *s, long now, bool hangups);

/* Checks the head and body deadlines every WATCH_INTERVAL_MS (and then
 * whether a waiting request's client has gone), resumes each waiting
 * request at its deadline, and writes out the request log's buffer every
 * LOGBUF_FLUSH_MS. watch_wake runs on CLOCK_MONOTONIC. */
static void *watcher_main(void *arg)
{
	struct http_server *s = arg;
	long next_watch = now_ms() + WATCH_INTERVAL_MS, next_wait = LONG_MAX;
	long next_flush = now_ms() + LOGBUF_FLUSH_MS;
	pthread_mutex_lock(&s->watch_lock);
	while (!s->watcher_stop) {
		long until = next_wait < next_watch ? next_wait : next_watch;
		if (next_flush < until)
			until = next_flush;
		if (!s->watcher_kick) {
			struct timespec at = {until / 1000, (until % 1000) * 1000000L};
			pthread_cond_timedwait(&s->watch_wake, &s->watch_lock, &at);
		}
		s->watcher_kick = false;
		long now = now_ms();
		bool flush = now >= next_flush;
		if (flush)
			next_flush = now + LOGBUF_FLUSH_MS;
		bool tick = now >= next_watch;
		if (tick) {
			for (struct conn_watch *w = s->watches; w && !s->watcher_stop; w = w->next)
				watch_check(s, w, now);
			next_watch = now + WATCH_INTERVAL_MS;
		}
		/* Not under watch_lock: wait_begin takes it (watcher_kick) after
		 * wait_lock. */
		pthread_mutex_unlock(&s->watch_lock);
		if (flush)
			logbuf_flush(&s->log);
		next_wait = waits_check(s, now, tick);
		pthread_mutex_lock(&s->watch_lock);
	}
	pthread_mutex_unlock(&s->watch_lock);
	return NULL;
}

/* The 408 the watcher sends, made once. */
static void timeout_answer_make(struct http_server *s)
{
	struct http_response res = {0};
	char detail[200];
	snprintf(detail, sizeof detail,
	         "The request took too long to arrive: a head must arrive within %d s, a body "
	         "within %d s plus 1 s for each %d bytes.",
	         HTTP_HEAD_DEADLINE_S, HTTP_BODY_DEADLINE_S, HTTP_BODY_MIN_RATE);
	http_problem(&res, 408, "request-timeout", "Request timeout", detail);
	s->timeout_answer = answer_text(s, NULL, &res, &s->timeout_answer_len);
	free(res.body);
}

/* ---- waiting ---- */

/* Frees what a run of the handler put in res and clears it for the next. */
static void response_clear(struct http_response *res)
{
	if (res->fill && res->fill_done)
		res->fill_done(res->fill_ctx);
	free(res->body);
	for (size_t i = 0; i < res->header_count; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	memset(res, 0, sizeof *res);
}

/* Runs the handler again after a wait, with a fresh response and the time
 * left until the deadline (none once the server stops). */
static void rerun(struct http_server *s, struct request_state *st)
{
	response_clear(&st->res);
	long left = st->wait_deadline_ms - now_ms();
	st->req.wait_left_ms = atomic_load(&s->stopping) || left < 0 ? 0 : left;
	run_handler(s, st);
}

/* Gives back the request's wait slot, if it holds one. */
static void wait_release(struct http_server *s, struct request_state *st)
{
	if (st->wait_slot) {
		st->wait_slot = false;
		atomic_fetch_sub(&s->waiting, 1);
	}
}

/* Asks the watcher to look at the waits again (a new deadline). */
static void watcher_kick(struct http_server *s)
{
	pthread_mutex_lock(&s->watch_lock);
	s->watcher_kick = true;
	pthread_cond_signal(&s->watch_wake);
	pthread_mutex_unlock(&s->watch_lock);
}

enum wait_outcome {
	WAIT_SUSPENDED, /* the connection is suspended: answer nothing now */
	WAIT_AGAIN,     /* run the handler again at once */
	WAIT_FULL,      /* --max-waiting requests wait already */
	WAIT_OVER,      /* the handler waited when it had to answer */
};

/* The handler asked to wait: suspends the connection, unless the wait is
 * over or something happened since the handler ran. A wake between the
 * handler's look for news and the suspension is never lost: suspended is
 * raised before wake_gen is compared (under wait_lock) and
 * http_server_wake raises wake_gen before it reads suspended, so either
 * this sees the new generation and runs the handler again, or the wake
 * sees this request and (waiting for wait_lock) resumes it once suspended.
 * Runs on the connection's worker thread, as MHD_suspend_connection must. */
static enum wait_outcome wait_begin(struct http_server *s, struct request_state *st)
{
	if (st->req.wait_left_ms == 0)
		return WAIT_OVER;
	long now = now_ms();
	if (!st->wait_deadline_ms)
		st->wait_deadline_ms = now + st->res.wait_ms;
	const union MHD_ConnectionInfo *fd =
	    MHD_get_connection_info(st->req.conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	st->fd = fd ? fd->connect_fd : -1;
	pthread_mutex_lock(&s->wait_lock);
	if (!st->wait_slot) {
		if (atomic_load(&s->waiting) >= s->opt.max_waiting) {
			pthread_mutex_unlock(&s->wait_lock);
			return WAIT_FULL;
		}
		atomic_fetch_add(&s->waiting, 1);
		st->wait_slot = true;
		if (s->opt.wait_begun)
			s->opt.wait_begun(s->opt.app);
	}
	atomic_fetch_add(&s->suspended, 1);
	if (atomic_load(&s->wake_gen) != st->wake_gen || atomic_load(&s->stopping) ||
	    now >= st->wait_deadline_ms) {
		atomic_fetch_sub(&s->suspended, 1);
		pthread_mutex_unlock(&s->wait_lock);
		return WAIT_AGAIN;
	}
	st->wait_prev = NULL;
	st->wait_next = s->waiters;
	if (s->waiters)
		s->waiters->wait_prev = st;
	s->waiters = st;
	st->suspended = true;
	MHD_suspend_connection(st->req.conn);
	pthread_mutex_unlock(&s->wait_lock);
	watcher_kick(s);
	return WAIT_SUSPENDED;
}

/* Takes st out of waiters and resumes its connection (under wait_lock).
 * The last touch of st: its worker may run and free it at once. */
static void wait_resume(struct http_server *s, struct request_state *st)
{
	if (st->wait_prev)
		st->wait_prev->wait_next = st->wait_next;
	else
		s->waiters = st->wait_next;
	if (st->wait_next)
		st->wait_next->wait_prev = st->wait_prev;
	st->suspended = false;
	atomic_fetch_sub(&s->suspended, 1);
	MHD_resume_connection(st->req.conn);
}

void http_server_wake(struct http_server *s)
{
	atomic_fetch_add(&s->wake_gen, 1);
	if (atomic_load(&s->suspended) == 0)
		return;
	pthread_mutex_lock(&s->wait_lock);
	while (s->waiters)
		wait_resume(s, s->waiters);
	pthread_mutex_unlock(&s->wait_lock);
}

int http_server_waiting(const struct http_server *s)
{
	return atomic_load(&s->waiting);
}

/* True when the client of a waiting request has closed or reset its end
 * (libmicrohttpd does not watch a suspended connection). */
static bool peer_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Called by the watcher: resumes the waits whose deadline has passed and,
 * with hangups, those whose client has gone. Returns the next deadline
 * (LONG_MAX: none). */
static long waits_check(struct http_server *s, long now, bool hangups)
{
	long next = LONG_MAX;
	if (atomic_load(&s->suspended) == 0)
		return next;
	pthread_mutex_lock(&s->wait_lock);
	for (struct request_state *st = s->waiters, *after; st; st = after) {
		after = st->wait_next;
		if (now >= st->wait_deadline_ms) {
			wait_resume(s, st);
		} else if (hangups && peer_gone(st->fd)) {
			atomic_store(&st->gone, true);
			wait_resume(s, st);
		} else if (st->wait_deadline_ms < next) {
			next = st->wait_deadline_ms;
		}
	}
	pthread_mutex_unlock(&s->wait_lock);
	return next;
}

/* The writer thread: runs the queued writes in groups, each group one
 * transaction committed with one sync (a savepoint per request, so that
 * a request that fails undoes only its own work), then resumes their
 * connections with the answers. Nothing of a group is answered before
 * its commit, so every 201 is durable; when the commit fails, nothing of
 * the group was kept and every request of it is answered 503. */
static void *writer_main(void *arg)
{
	struct http_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->write_lock);
		while (!s->writes && !s->writer_stop)
			pthread_cond_wait(&s->write_wake, &s->write_lock);
		struct request_state *group = writes_take(s);
		pthread_mutex_unlock(&s->write_lock);
		if (!group)
			return NULL; /* stopping, and every write answered */
		s->opt.group_begin(s->opt.app);
		unsigned long n = 0;
		for (struct request_state *st = group; st; st = st->write_next, n++)
			run_handler(s, st);
		bool kept = s->opt.group_end(s->opt.app);
		if (kept) {
			atomic_fetch_add(&s->groups, 1);
			atomic_fetch_add(&s->grouped, n);
		}
		pthread_mutex_lock(&s->write_lock);
		s->writing -= (int)n;
		s->grouping = n > 1;
		pthread_mutex_unlock(&s->write_lock);
		for (struct request_state *st = group, *next; st; st = next) {
			next = st->write_next; /* st may be freed once resumed */
			if (!kept) {
				response_clear(&st->res);
				http_unavailable(
				    &st->res, "Service unavailable",
				    "The write could not be committed; nothing of it was "
				    "kept. Try again.",
				    1);
			}
			st->written = true;
			MHD_resume_connection(st->req.conn);
		}
	}
}

/* After a run of the handler: suspends the request when it asked to wait,
 * else queues its answer. */
static enum MHD_Result respond(struct http_server *s, struct request_state *st)
{
	struct http_request *req = &st->req;
	struct http_response *res = &st->res;
	while (res->status == 0 && res->wait_ms > 0) {
		enum wait_outcome w = wait_begin(s, st);
		if (w == WAIT_SUSPENDED)
			return MHD_YES;
		if (w == WAIT_AGAIN) {
			rerun(s, st);
			continue;
		}
		response_clear(res);
		char detail[160];
		if (w == WAIT_FULL)
			snprintf(detail, sizeof detail,
			         "At most %d requests wait at once (--max-waiting); try again.",
			         s->opt.max_waiting);
		else
			snprintf(detail, sizeof detail,
			         "The request's wait ended without an answer.");
		http_unavailable(
		    res, w == WAIT_FULL ? "Too many waiting requests" : "Service unavailable",
		    detail, 1);
	}
	wait_release(s, st);
	if (res->status == 0)
		http_problem(res, 500, "internal", "Internal error", "The handler gave no answer.");
	/* A GET whose representation the client already holds is 304; the
	 * comparison is weak (RFC 9110 section 13.1.2). */
	if (res->status == 200 && (req->method == HTTP_GET || req->method == HTTP_HEAD) &&
	    http_if_none_match(req, http_response_header(res, "ETag")))
		http_set_body(res, 304, NULL, NULL, 0);
	return queue(s, st);
}

/* A request's state, counted in flight until on_completed frees it. */
static struct request_state *request_new(struct http_server *s)
{
	struct request_state *st = xcalloc(1, sizeof *st);
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	atomic_fetch_add(&s->in_flight, 1);
	return st;
}

/* Called by libmicrohttpd with the raw request target, before it stores the
 * query as one record per parameter in the connection's memory: 500 short
 * parameters fill it, and libmicrohttpd then fails without a word. A target
 * with more than HTTP_QUERY_PARAMS_MAX parameters, or too long to decode to
 * HTTP_URL_MAX bytes (a percent-encoded byte takes three), is marked for a
 * 414 (check_target) and its query emptied where it lies (the
 * target is libmicrohttpd's writable buffer, handed over as const), so that
 * nothing of it is stored. Returns the request's state, which libmicrohttpd
 * hands to on_request and on_completed. */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)conn;
	struct request_state *st = request_new(cls);
	st->raw_path = xstrndup(uri, strcspn(uri, "?")); /* routed as sent: http/router.c */
	char *query = strchr(uri, '?');
	if (!query)
		return st;
	int params = 1;
	for (const char *p = query + 1; *p; p++)
		params += *p == '&' || *p == ';';
	if (params > HTTP_QUERY_PARAMS_MAX || strlen(uri) > 3 * HTTP_URL_MAX) {
		st->target_over = true;
		query[1] = '\0';
	}
	return st;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request_state *st = *con_cls;
	if (!st)
		*con_cls = st = request_new(s); /* on_target always made one */
	if (!st->started) {
		st->started = true;
		st->req.conn = conn;
		st->req.path = url;
		st->req.raw_path = st->raw_path;
		st->req.method_name = method;
		st->req.version = version;
		st->req.method = parse_method(method);
		st->req.route = -1;
		st->req.app = s->opt.app;
		st->watch = watch_of(conn);
		/* Whatever is refused here closes the connection: the body, if
		 * any, is not read (and no 100 Continue is sent for it). */
		size_t cost = head_cost(conn);
		if (!check_target(st) || check_head(s, st, version, cost) || !check_framing(st) ||
		    !check_route(s, st)) {
			st->res.close = true;
			if (!watch_move(st->watch, WATCH_WAITING, WATCH_BUSY))
				return MHD_NO;
			return cost > HTTP_HEAD_MAX ? answer_raw(s, st) : queue(s, st);
		}
		return watch_head_done(st->watch, st) ? MHD_YES : MHD_NO;
	}
	if (st->watch && atomic_load(&st->watch->phase) == WATCH_EXPIRED)
		return MHD_NO; /* the watcher answered 408: stop here */
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->too_large || st->queued)
			return MHD_YES;
		if (st->body_len + n > (size_t)st->limit) {
			st->too_large = true;
			free(st->body);
			st->body = NULL;
			st->body_len = 0;
			return MHD_YES;
		}
		if (st->body_len + n + 1 > st->body_cap) {
			st->body_cap = (st->body_len + n + 1) * 2;
			if (st->body_cap > (size_t)st->limit + 1)
				st->body_cap = (size_t)st->limit + 1;
			st->body = xrealloc(st->body, st->body_cap);
		}
		memcpy(st->body + st->body_len, upload_data, n);
		st->body_len += n;
		st->body[st->body_len] = '\0';
		return MHD_YES;
	}
	if (st->queued)
		return MHD_YES;
	if (st->written) /* resumed by the writer thread */
		return respond(s, st);
	if (st->wait_deadline_ms) { /* resumed after a wait */
		if (atomic_load(&st->gone))
			return MHD_NO; /* libmicrohttpd closes it and reports completion */
		rerun(s, st);
		return respond(s, st);
	}
	if (!watch_move(st->watch, WATCH_BODY, WATCH_BUSY))
		return MHD_NO;
	if (!dispatch(s, st))
		return MHD_YES; /* suspended: the writer thread answers */
	return respond(s, st);
}

#define LOG_PATH_MAX 1024 /* bytes of a path a log line keeps */

/* Writes s into out (cap bytes) as the inside of a JSON string: quotes,
 * backslashes and control characters escaped, bytes that are not UTF-8
 * replaced by U+FFFD, and cut with "..." after LOG_PATH_MAX bytes. */
static void log_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; p[i] && n + 8 < cap; i++) {
		if (i == LOG_PATH_MAX) {
			n += (size_t)snprintf(out + n, cap - n, "...");
			break;
		}
		unsigned char c = p[i];
		size_t seq = c < 0x80                 ? 1
		             : c >= 0xF0 && c <= 0xF4 ? 4
		             : c >= 0xE0              ? 3
		             : c >= 0xC2              ? 2
		                                      : 0;
		for (size_t k = 1; k < seq; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				seq = 0;
		if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else if (seq == 0) {
			n += (size_t)snprintf(out + n, cap - n, "\\ufffd");
		} else {
			memcpy(out + n, p + i, seq);
			n += seq;
			i += seq - 1;
		}
	}
	out[n] = '\0';
}

/* One JSON line a request on stderr: time, level, method, path, the
 * token's name when the request carried a valid one (actor), status,
 * duration. Lines are buffered (s->log) and out within LOGBUF_FLUSH_MS,
 * an error's (5xx) at once. */
static void log_request(struct http_server *s, const struct request_state *st, long us)
{
	/* Each worker formats the date and time of a second once: gmtime_r
	 * takes a lock of the C library's that the workers would share. */
	static _Thread_local time_t second = -1;
	static _Thread_local char ts_second[24];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != second) {
		struct tm tm;
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts_second, sizeof ts_second, "%Y-%m-%dT%H:%M:%S", &tm);
		second = now.tv_sec;
	}
	char ts[40];
	snprintf(ts, sizeof ts, "%s.%03dZ", ts_second, (int)(now.tv_nsec / 1000000));
	char method[64], path[LOG_PATH_MAX * 6 + 16], actor[256], line[sizeof path + 512];
	log_escape(method, sizeof method, st->req.method_name ? st->req.method_name : "");
	/* The path as sent: "%2F" and "/" route differently, so the log
	 * tells them apart. */
	log_escape(path, sizeof path,
	           st->raw_path   ? st->raw_path
	           : st->req.path ? st->req.path
	                          : "");
	/* The token's name, never its secret. */
	actor[0] = '\0';
	if (st->req.actor) {
		char name[sizeof actor - 16];
		log_escape(name, sizeof name, st->req.actor);
		snprintf(actor, sizeof actor, "\"actor\":\"%s\",", name);
	}
	int len = snprintf(line, sizeof line,
	                   "{\"time\":\"%s\",\"level\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
	                   "%s\"status\":%d,\"duration_us\":%ld}\n",
	                   ts, st->res.status >= 500 ? "error" : "info", method, path, actor,
	                   st->res.status, us);
	/* Not stdio: stderr's lock would make the workers wait on each other
	 * for every request, and its buffer is flushed at every line. */
	if (len > 0 && (size_t)len < sizeof line)
		logbuf_put(&s->log, line, (size_t)len, st->res.status >= 500);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct request_state *st = *con_cls;
	(void)conn;
	(void)toe;
	if (!st)
		return;
	if (st->suspended) { /* cannot be: a suspended connection is not processed */
		pthread_mutex_lock(&s->wait_lock);
		if (st->wait_prev)
			st->wait_prev->wait_next = st->wait_next;
		else
			s->waiters = st->wait_next;
		if (st->wait_next)
			st->wait_next->wait_prev = st->wait_prev;
		atomic_fetch_sub(&s->suspended, 1);
		pthread_mutex_unlock(&s->wait_lock);
	}
	wait_release(s, st);
	/* The connection now waits for its next request, if it stays open. */
	struct conn_watch *w = st->watch;
	if (w) {
		atomic_store(&w->head_ms, 0);
		atomic_store(&w->ready_ms, now_ms());
		int phase = atomic_load(&w->phase);
		if (phase != WATCH_EXPIRED)
			atomic_compare_exchange_strong(&w->phase, &phase, WATCH_WAITING);
	}
	long us = elapsed_us(&st->start);
	if (st->res.status)
		log_request(s, st, us);
	response_clear(&st->res);
	free(st->body);
	free(st->req.path_copy);
	free(st->raw_path);
	auth_set_unref(st->tokens);         /* after the log line, which names the actor */
	atomic_fetch_sub(&s->in_flight, 1); /* counted by request_new */
	free(st);
	*con_cls = NULL;
}

/* The address bytes of addr (IPv4 or IPv6) in out[16]; their count, 0 for
 * another family. */
static size_t peer_of(const struct sockaddr *addr, unsigned char out[16])
{
	if (addr && addr->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)addr)->sin_addr, 4);
		return 4;
	}
	if (addr && addr->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

/* Counts open connections and keeps each one's deadline watch. libmicrohttpd
 * reports the close before it closes the socket, so the watcher never
 * touches a descriptor that may have been reused. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	bool started = toe == MHD_CONNECTION_NOTIFY_STARTED;
	atomic_fetch_add_explicit(&s->metrics.open_connections, started ? 1 : -1,
	                          memory_order_relaxed);
	struct conn_watch *w = *socket_context;
	if (started) {
		const union MHD_ConnectionInfo *fd =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!fd)
			return;
		w = xcalloc(1, sizeof *w);
		w->fd = fd->connect_fd;
		const union MHD_ConnectionInfo *peer =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		w->peer_len = peer_of(peer ? peer->client_addr : NULL, w->peer);
		atomic_store(&w->phase, WATCH_WAITING);
		atomic_store(&w->ready_ms, now_ms());
		pthread_mutex_lock(&s->watch_lock);
		w->next = s->watches;
		if (s->watches)
			s->watches->prev = w;
		s->watches = w;
		pthread_mutex_unlock(&s->watch_lock);
		*socket_context = w;
	} else if (w) {
		pthread_mutex_lock(&s->watch_lock);
		if (w->prev)
			w->prev->next = w->next;
		else
			s->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
		pthread_mutex_unlock(&s->watch_lock);
		free(w);
		*socket_context = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	json_t *line = json_pack("{s:s, s:s}", "level", "warn", "msg", msg);
	if (line) {
		char *text = json_dumps(line, JSON_COMPACT);
		fprintf(stderr, "%s\n", text);
		free(text);
		json_decref(line);
	}
}

/* Refuses connections while stopping, and one more from an address that
 * holds --max-connections-per-ip of them, counted over every worker (a
 * daemon of libmicrohttpd would count its own alone). Two arriving at
 * once on two workers may both pass: the limit can be exceeded by one a
 * worker, for as long as those connections last. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct http_server *s = cls;
	(void)len;
	if (atomic_load(&s->stopping))
		return MHD_NO;
	unsigned char peer[16];
	size_t peer_len = peer_of(addr, peer);
	if (s->opt.max_connections_per_ip <= 0 || peer_len == 0)
		return MHD_YES;
	int held = 0;
	pthread_mutex_lock(&s->watch_lock);
	for (const struct conn_watch *w = s->watches; w; w = w->next)
		held += w->peer_len == peer_len && memcmp(w->peer, peer, peer_len) == 0;
	pthread_mutex_unlock(&s->watch_lock);
	return held < s->opt.max_connections_per_ip ? MHD_YES : MHD_NO;
}

/* Opens a listening socket on bind:port, one of a group sharing the port
 * when reuseport. Returns the fd or -1 with err set. */
static int listen_on(const char *addr, int port, bool reuseport, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%d", port);
	int rc = getaddrinfo(addr, portstr, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "--bind %s: not a numeric IPv4 or IPv6 address", addr);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, LISTEN_BACKLOG)) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s port %d: %s%s", addr, port, strerror(e),
		         e == EADDRINUSE ? " (stop the other server or choose another --port)"
		         : e == EACCES
		             ? " (ports below 1024 need privileges; choose another --port)"
		             : "");
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Opens the workers' listening sockets, all on bind:port (port 0: one the
 * kernel picks, s->port then). A plain bind comes first, so that a port
 * another server holds is refused as ever: sockets that set SO_REUSEPORT
 * would share it. Returns 0, or -1 with err set and none open. */
static int listen_group(struct http_server *s, char *err, size_t errlen)
{
	int port = s->opt.port;
	if (port) {
		int probe = listen_on(s->opt.bind, port, false, err, errlen);
		if (probe < 0)
			return -1;
		close(probe);
	}
	for (size_t i = 0; i < s->workers; i++) {
		s->listen_fds[i] = listen_on(s->opt.bind, port, true, err, errlen);
		if (s->listen_fds[i] < 0) {
			while (i--)
				close(s->listen_fds[i]);
			return -1;
		}
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		if (!port && getsockname(s->listen_fds[i], (struct sockaddr *)&sa, &len) == 0)
			port =
			    ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
			                                   : ((struct sockaddr_in *)&sa)->sin_port);
	}
	s->port = port;
	return 0;
}

/* Frees what http_server_start made besides the daemons and the sockets. */
static void server_free(struct http_server *s)
{
	logbuf_destroy(&s->log);
	pthread_cond_destroy(&s->watch_wake);
	pthread_mutex_destroy(&s->watch_lock);
	pthread_mutex_destroy(&s->wait_lock);
	pthread_mutex_destroy(&s->tokens_lock);
	pthread_cond_destroy(&s->write_wake);
	pthread_mutex_destroy(&s->write_lock);
	auth_set_unref(s->tokens);
	free(s->timeout_answer);
	metrics_free(&s->metrics);
	http_cache_free(s->cache);
	free(s->daemons);
	free(s->listen_fds);
	free(s);
}

struct http_server *http_server_start(const struct http_server_options *opt, char *err,
                                      size_t errlen)
{
	struct http_server *s = xcalloc(1, sizeof *s);
	logbuf_init(&s->log);
	s->opt = *opt;
	s->opt.tokens = NULL; /* s->tokens holds them */
	if (!opt->group_end)
		s->opt.group_begin = NULL;
	s->tokens = opt->tokens;
	/* As many workers as threads, each with a share of the connections. */
	s->workers =
	    (size_t)(opt->threads < opt->max_connections ? opt->threads : opt->max_connections);
	s->daemons = xcalloc(s->workers, sizeof *s->daemons);
	s->listen_fds = xcalloc(s->workers, sizeof *s->listen_fds);
	if (listen_group(s, err, errlen) != 0) {
		logbuf_destroy(&s->log);
		auth_set_unref(s->tokens);
		free(s->daemons);
		free(s->listen_fds);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->tokens_lock, NULL);
	metrics_init(&s->metrics, opt->router->count);
	s->cache = opt->generation ? http_cache_new(opt->cache_bytes) : NULL;
	/* scan_field's checks of where fields lie hold for this version only. */
	s->raw_layout = MHD_VERSION == 0x00097500 && strcmp(MHD_get_version(), "0.9.75") == 0;
	if (!s->raw_layout)
		fprintf(stderr,
		        "{\"level\":\"warn\",\"msg\":\"libmicrohttpd %s is not 0.9.75: "
		        "folded header lines and NULs in header values go undetected\"}\n",
		        MHD_get_version());
	timeout_answer_make(s);
	pthread_mutex_init(&s->watch_lock, NULL);
	pthread_mutex_init(&s->wait_lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->watch_wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_cond_init(&s->write_wake, NULL);
	s->writes_tail = &s->writes;
	/* A suspended connection holds no thread, is not timed out by
	 * --timeout (libmicrohttpd restarts its idle time at the resume) and
	 * is not watched for a close: the watcher does that (waits_check). */
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	if (strchr(opt->bind, ':'))
		flags |= MHD_USE_IPv6;
	/* MHD_OPTION_STRICT_FOR_CLIENT stays 0: in 0.9.75, 1 makes the library
	 * answer a missing Host itself (an HTML 400) and close on a space in
	 * the target without a word, and -1 is the value that refuses
	 * whitespace before a colon (again with HTML). check_head refuses all
	 * of these itself, as problem+json. */
	size_t started = 0;
	for (; started < s->workers; started++) {
		size_t i = started, share = (size_t)opt->max_connections / s->workers +
		                            (i < (size_t)opt->max_connections % s->workers);
		s->daemons[i] = MHD_start_daemon(
		    flags, 0, accept_policy, s, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		    s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK,
		    on_target, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fds[i],
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opt->timeout_seconds,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_LIMIT,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)share, MHD_OPTION_NOTIFY_COMPLETED,
		    on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		    MHD_OPTION_STRICT_FOR_CLIENT, (int)0, MHD_OPTION_END);
		if (!s->daemons[i])
			break;
	}
	if (started < s->workers || pthread_create(&s->watcher, NULL, watcher_main, s) != 0) {
		snprintf(err, errlen, "cannot start the HTTP server (see the message above)");
		for (size_t i = 0; i < s->workers; i++) {
			if (i < started)
				MHD_stop_daemon(s->daemons[i]); /* closes its socket */
			else
				close(s->listen_fds[i]);
		}
		server_free(s);
		return NULL;
	}
	if (s->opt.group_begin) {
		if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
			snprintf(err, errlen, "cannot start the writer thread");
			http_server_stop(s);
			return NULL;
		}
		s->writer_started = true;
	}
	return s;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

struct MHD_Daemon *http_server_daemon(const struct http_server *s)
{
	return s->daemons[0];
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Refuse new connections, end the waits (their handlers run once more
	 * and answer: libmicrohttpd 0.9.75 aborts when stopped with a
	 * connection suspended), let the requests under way finish, then stop
	 * the threads. (MHD_quiesce_daemon would stop accepting too, but in
	 * 0.9.75 it races the epoll workers and can abort the process.) */
	atomic_store(&s->stopping, true);
	http_server_wake(s);
	for (int waited = 0; atomic_load(&s->in_flight) > 0 && waited < DRAIN_WAIT_MS; waited += 5)
		usleep(5000);
	http_server_wake(s); /* none waits now: a request that waits sees stopping */
	pthread_mutex_lock(&s->watch_lock);
	s->watcher_stop = true;
	pthread_cond_signal(&s->watch_wake);
	pthread_mutex_unlock(&s->watch_lock);
	pthread_join(s->watcher, NULL);
	if (s->writer_started) { /* it answers what is queued before it ends */
		pthread_mutex_lock(&s->write_lock);
		s->writer_stop = true;
		pthread_cond_signal(&s->write_wake);
		pthread_mutex_unlock(&s->write_lock);
		pthread_join(s->writer, NULL);
	}
	for (size_t i = 0; i < s->workers; i++)
		MHD_stop_daemon(s->daemons[i]);
	server_free(s);
}

char *http_server_metrics(const struct http_server *s)
{
	char *text = metrics_render(&s->metrics, s->opt.router);
	unsigned long hits, misses;
	size_t bytes;
	http_cache_stats(s->cache, &hits, &misses, &bytes);
	char *out =
	    xasprintf("%s"
	              "# HELP readout_cache_hits_total GET answers served from the cache.\n"
	              "# TYPE readout_cache_hits_total counter\n"
	              "readout_cache_hits_total %lu\n"
	              "# HELP readout_cache_misses_total Cacheable GETs that ran their handler.\n"
	              "# TYPE readout_cache_misses_total counter\n"
	              "readout_cache_misses_total %lu\n"
	              "# HELP readout_cache_bytes Bytes held by the response cache.\n"
	              "# TYPE readout_cache_bytes gauge\n"
	              "readout_cache_bytes %zu\n"
	              "# HELP readout_waiting_requests Requests waiting for news (long polls).\n"
	              "# TYPE readout_waiting_requests gauge\n"
	              "readout_waiting_requests %d\n"
	              "# HELP readout_write_groups_total Commits of writes (one alone counts).\n"
	              "# TYPE readout_write_groups_total counter\n"
	              "readout_write_groups_total %lu\n"
	              "# HELP readout_grouped_writes_total Write requests those commits answered.\n"
	              "# TYPE readout_grouped_writes_total counter\n"
	              "readout_grouped_writes_total %lu\n",
	              text, hits, misses, bytes, http_server_waiting(s), atomic_load(&s->groups),
	              atomic_load(&s->grouped));
	free(text);
	return out;
}
