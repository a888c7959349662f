/*
 * The daemon and the request/response glue. libmicrohttpd calls the access
 * handler several times per request: the first call decides the route and the
 * body limit (413 before a byte of body is read), data calls append to a
 * bounded buffer, and the last call runs the handler and queues the response.
 * Per-request state is freed when libmicrohttpd reports completion, which is
 * also where the request is logged and counted.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
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
#include "http/metrics.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define LISTEN_BACKLOG 511
#define DRAIN_WAIT_MS 10000 /* longest wait for in-flight requests at shutdown */
/* A body over the limit but within this much more is read and dropped before
 * the 413, so that closing does not reset the connection under a client
 * still sending (it would lose the answer); a bigger one is refused at once. */
#define OVERSIZE_DRAIN_MAX (8L * 1024 * 1024)

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_options opt;
	int port;
	int listen_fd;
	struct metrics metrics;
	struct http_cache *cache;
	atomic_int in_flight;
	atomic_bool stopping; /* set by http_server_stop: new connections are refused */
};

struct request_state {
	struct http_request req;
	struct http_response res;
	char *body;
	size_t body_len, body_cap;
	long limit;
	char *raw_path; /* the path as sent, before any percent-decoding */
	bool started;   /* the access handler has seen this request */
	bool too_large;
	bool queued;
	struct timespec start;
};

static const char *const method_names[] = {"GET",   "HEAD",   "POST",    "PUT",
                                           "PATCH", "DELETE", "OPTIONS", "OTHER"};

const char *http_method_name(enum http_method m)
{
	return method_names[m];
}

static enum http_method parse_method(const char *m)
{
	for (int i = 0; i < HTTP_OTHER; i++)
		if (strcmp(m, method_names[i]) == 0)
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

void http_set_body(struct http_response *res, int status, const char *content_type, char *body,
                   size_t len)
{
	free(res->body);
	res->status = status;
	res->content_type = content_type;
	res->body = body;
	res->body_len = body ? len : 0;
}

void http_set_stream(struct http_response *res, int status, const char *content_type,
                     http_fill fill, void *ctx, void (*done)(void *ctx))
{
	http_set_body(res, status, content_type, NULL, 0);
	res->fill = fill;
	res->fill_ctx = ctx;
	res->fill_done = done;
}

void http_add_header(struct http_response *res, const char *name, const char *value)
{
	for (size_t i = 0; i < res->header_count; i++) {
		if (strcasecmp(res->headers[i].name, name) == 0) {
			free(res->headers[i].value);
			res->headers[i].value = xstrdup(value);
			return;
		}
	}
	if (res->header_count == HTTP_HEADERS_MAX)
		abort(); /* a programming error: the table is sized for every handler */
	res->headers[res->header_count].name = xstrdup(name);
	res->headers[res->header_count].value = xstrdup(value);
	res->header_count++;
}

const char *http_response_header(const struct http_response *res, const char *name)
{
	for (size_t i = 0; i < res->header_count; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

void http_etag_of(const char *body, size_t len, char out[19])
{
	/* SipHash-2-4 under a fixed, public key: no secret, only a strong
	 * validator that changes whenever a byte of the body does. */
	static const unsigned char key[crypto_shorthash_KEYBYTES] = {0};
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)body, len, key);
	out[0] = '"';
	sodium_bin2hex(out + 1, 2 * sizeof h + 1, h, sizeof h);
	out[17] = '"';
	out[18] = '\0';
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

/* Compares a presented token (plen bytes) with every configured one through
 * their BLAKE2b digests: fixed-length, compared in constant time, so the time
 * depends on the lengths only, never on where the first difference is. */
static bool token_valid(const struct http_server *s, const char *presented, size_t plen)
{
	unsigned char got[crypto_generichash_BYTES], want[crypto_generichash_BYTES];
	crypto_generichash(got, sizeof got, (const unsigned char *)presented, plen, NULL, 0);
	bool ok = false;
	for (size_t t = 0; t < s->opt.token_count; t++) {
		const char *tok = s->opt.tokens[t];
		crypto_generichash(want, sizeof want, (const unsigned char *)tok, strlen(tok), NULL,
		                   0);
		ok |= sodium_memcmp(got, want, sizeof got) == 0;
	}
	return ok;
}

/* "Bearer" 1*SP token (RFC 6750 section 2.1); whitespace around the field
 * value is not part of it (RFC 9110 section 5.5), so a token followed by
 * spaces or tabs is that token. */
static bool authorized(const struct http_server *s, const struct http_request *req)
{
	size_t len;
	const char *auth = header_trimmed(req, "Authorization", &len);
	if (!auth || len < 7 || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	size_t skip = 7 + strspn(auth + 7, " ");
	return len > skip && token_valid(s, auth + skip, len - skip);
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
	fclose(f);
	unsigned long gen = s->opt.generation(s->opt.app);
	if (!http_cache_get(s->cache, key, len, gen, res)) {
		route->handler(req, res);
		http_cache_put(s->cache, key, len, gen, res);
	}
	free(key);
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	int *hosts = cls;
	(void)kind;
	(void)value;
	*hosts += strcasecmp(key, "Host") == 0;
	return MHD_YES;
}

/* Refuses an HTTP/1.1 request without a Host, with more than one, or with
 * one that is not an RFC 3986 host[:port] (RFC 9112 section 3.2): the URLs
 * the server builds come from it. Returns false after filling res with 400. */
static bool check_host(const struct http_request *req, struct http_response *res)
{
	int hosts = 0;
	char host[HTTP_HOST_MAX + 1];
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_host, &hosts);
	int valid = host_of(req, host);
	const char *detail =
	    hosts > 1   ? "The request has more than one Host header."
	    : valid < 0 ? "The Host header is not a valid host[:port]."
	    : valid == 0 && req->version && strcmp(req->version, MHD_HTTP_VERSION_1_0) != 0
	        ? "An HTTP/1.1 request needs a Host header."
	        : NULL;
	if (!detail)
		return true;
	http_problem(res, 400, "bad-request", "Bad request", detail);
	return false;
}

/* Runs routing, the checks every route shares, and the handler. */
static void dispatch(struct http_server *s, struct request_state *st)
{
	struct http_request *req = &st->req;
	struct http_response *res = &st->res;
	char allow[128];
	if (!check_host(req, res))
		return;
	if (req->method == HTTP_OPTIONS) {
		if (!router_path_known(s->opt.router, req, allow, sizeof allow)) {
			http_problem(res, 404, "not-found", "Not found",
			             "No resource at this path.");
			return;
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
		return;
	}
	int index = -1;
	switch (router_match(s->opt.router, req, &index, allow, sizeof allow)) {
	case ROUTER_NOT_FOUND:
		http_problem(res, 404, "not-found", "Not found", "No resource at this path.");
		return;
	case ROUTER_BAD_METHOD:
		http_problem(res, 405, "method-not-allowed", "Method not allowed",
		             "This path does not take this method; see the Allow header.");
		http_add_header(res, "Allow", allow);
		return;
	case ROUTER_FOUND:
		break;
	}
	req->route = index;
	req->route_data = s->opt.router->routes[index].data;
	const struct route *route = &s->opt.router->routes[index];
	if ((route->flags & ROUTE_AUTH) && !authorized(s, req)) {
		http_problem(
		    res, 401, "unauthorized", "Unauthorized",
		    s->opt.token_count
		        ? "A valid bearer token is required for writes."
		        : "This server has no write token configured; writes are refused.");
		http_add_header(res, "WWW-Authenticate", "Bearer realm=\"readout\"");
		return;
	}
	if (st->too_large) {
		http_problem(res, 413, "payload-too-large", "Payload too large",
		             "The request body is larger than this server accepts.");
		res->close = true;
		return;
	}
	if ((route->flags & ROUTE_JSON_BODY) && !json_content_type(req, route->flags)) {
		http_problem(
		    res, 415, "unsupported-media-type", "Unsupported media type",
		    route->flags & ROUTE_MERGE_PATCH
		        ? "The body must be application/json or application/merge-patch+json."
		        : "The body must be application/json.");
		return;
	}
	req->body = st->body;
	req->body_len = st->body_len;
	if (s->opt.request_start)
		s->opt.request_start(s->opt.app);
	if (route->flags & ROUTE_CACHE && s->cache)
		cached_handler(s, route, req, res);
	else
		route->handler(req, res);
	if (res->status == 0)
		http_problem(res, 500, "internal", "Internal error", "The handler gave no answer.");
	/* A GET whose representation the client already holds is 304; the
	 * comparison is weak (RFC 9110 section 13.1.2). */
	if (res->status == 200 && (req->method == HTTP_GET || req->method == HTTP_HEAD) &&
	    http_if_none_match(req, http_response_header(res, "ETag")))
		http_set_body(res, 304, NULL, NULL, 0);
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
	if (res->fill && st->req.method != HTTP_HEAD) {
		/* The stream outlives the request state: it gets a copy of its own. */
		struct http_response *copy = xmalloc(sizeof *copy);
		*copy = *res;
		res->fill = NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read,
		                                      copy, stream_done);
	} else {
		if (res->fill && res->fill_done)
			res->fill_done(res->fill_ctx);
		res->fill = NULL;
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
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	const char *origin = allowed_origin(s, &st->req);
	if (origin) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(r, "Access-Control-Expose-Headers",
		                        "ETag, Location, Link, X-Total-Count");
	}
	if (s->opt.cors_origin_count)
		MHD_add_response_header(r, "Vary", "Origin");
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
	bool control;
	bool not_utf8;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct target_check *t = cls;
	(void)kind;
	t->length += strlen(key) + (value ? strlen(value) + 1 : 0) + 1;
	t->control |= has_control(key) || (value && has_control(value));
	t->not_utf8 |= !utf8_valid(key) || (value && !utf8_valid(value));
	return MHD_YES;
}

/* Refuses a request target holding control characters or bytes that are not
 * UTF-8 (400), or longer than HTTP_URL_MAX (414). Returns false after
 * filling res. */
static bool check_target(struct request_state *st)
{
	struct target_check t = {strlen(st->req.path), has_control(st->req.path),
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
	if (t.length > HTTP_URL_MAX) {
		http_problem(&st->res, 414, "uri-too-long", "URI too long",
		             "The path and query are longer than this server accepts.");
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

/* Finds the route early, only to learn its body limit. */
static long body_limit(const struct http_server *s, struct request_state *st)
{
	int index = -1;
	char allow[128];
	if (router_match(s->opt.router, &st->req, &index, allow, sizeof allow) == ROUTER_FOUND &&
	    (s->opt.router->routes[index].flags & ROUTE_LARGE_BODY))
		return s->opt.max_import_body;
	return s->opt.max_body;
}

/* Called with the request target as sent, before libmicrohttpd decodes
 * it: keeps the path for routing (see http/router.c) in the request's
 * state, which the access handler then gets as *con_cls and
 * on_completed frees. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct request_state *st = xcalloc(1, sizeof *st);
	st->raw_path = xstrndup(uri, strcspn(uri, "?"));
	return st;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request_state *st = *con_cls;
	if (!st->started) { /* made by on_uri */
		st->started = true;
		clock_gettime(CLOCK_MONOTONIC, &st->start);
		atomic_fetch_add(&s->in_flight, 1);
		st->req.conn = conn;
		st->req.path = url;
		st->req.raw_path = st->raw_path;
		st->req.method_name = method;
		st->req.version = version;
		st->req.method = parse_method(method);
		st->req.route = -1;
		st->req.app = s->opt.app;
		if (!check_target(st) || !check_framing(st)) {
			st->res.close = true;
			return queue(s, st);
		}
		st->limit = body_limit(s, st);
		const char *cl =
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || *end || n > (unsigned long long)st->limit) {
				st->too_large = true;
				/* A client already sending a moderate body has it
				 * read and dropped, then gets the 413 (dispatch). */
				if (!errno && !*end &&
				    n <= (unsigned long long)(st->limit + OVERSIZE_DRAIN_MAX) &&
				    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect"))
					return MHD_YES;
				/* Else refuse before reading (and before any 100
				 * Continue). */
				http_problem(
				    &st->res, 413, "payload-too-large", "Payload too large",
				    "The request body is larger than this server accepts.");
				st->res.close = true;
				return queue(s, st);
			}
		}
		return MHD_YES;
	}
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
	dispatch(s, st);
	return queue(s, st);
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

/* One JSON line a request on stderr: time, level, method, path, status,
 * duration. */
static void log_request(const struct request_state *st, long us)
{
	char ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
	char method[64], path[LOG_PATH_MAX * 6 + 16], line[sizeof path + 256];
	log_escape(method, sizeof method, st->req.method_name ? st->req.method_name : "");
	/* The path as sent: "%2F" and "/" route differently, so the log
	 * tells them apart. */
	log_escape(path, sizeof path,
	           st->raw_path   ? st->raw_path
	           : st->req.path ? st->req.path
	                          : "");
	int len = snprintf(line, sizeof line,
	                   "{\"time\":\"%s\",\"level\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
	                   "\"status\":%d,\"duration_us\":%ld}\n",
	                   ts, st->res.status >= 500 ? "error" : "info", method, path,
	                   st->res.status, us);
	if (len > 0 && (size_t)len < sizeof line)
		fwrite(line, 1, (size_t)len, stderr);
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
	long us = elapsed_us(&st->start);
	if (st->res.status)
		log_request(st, us);
	if (st->res.fill && st->res.fill_done)
		st->res.fill_done(st->res.fill_ctx);
	free(st->body);
	free(st->res.body);
	for (size_t i = 0; i < st->res.header_count; i++) {
		free(st->res.headers[i].name);
		free(st->res.headers[i].value);
	}
	free(st->req.path_copy);
	free(st->raw_path);
	if (st->started)
		atomic_fetch_sub(&s->in_flight, 1);
	free(st);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	(void)conn;
	(void)socket_context;
	atomic_fetch_add_explicit(&s->metrics.open_connections,
	                          toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1,
	                          memory_order_relaxed);
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

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	const struct http_server *s = cls;
	(void)addr;
	(void)len;
	return atomic_load(&s->stopping) ? MHD_NO : MHD_YES;
}

/* Opens the listening socket on bind:port. Returns the fd or -1 with err set. */
static int listen_on(const char *addr, int port, char *err, size_t errlen)
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

struct http_server *http_server_start(const struct http_server_options *opt, char *err,
                                      size_t errlen)
{
	struct http_server *s = xcalloc(1, sizeof *s);
	s->opt = *opt;
	s->listen_fd = listen_on(opt->bind, opt->port, err, errlen);
	if (s->listen_fd < 0) {
		free(s);
		return NULL;
	}
	metrics_init(&s->metrics, opt->router->count);
	s->cache = opt->generation ? http_cache_new(opt->cache_bytes) : NULL;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (strchr(opt->bind, ':'))
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
	    flags, 0, accept_policy, s, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)opt->threads, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)opt->timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_CONNECTION_MEMORY_LIMIT, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)opt->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)opt->max_connections_per_ip, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server (see the message above)");
		close(s->listen_fd);
		metrics_free(&s->metrics);
		http_cache_free(s->cache);
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : opt->port;
	return s;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

struct MHD_Daemon *http_server_daemon(const struct http_server *s)
{
	return s->daemon;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Refuse new connections, let the requests under way finish, then
	 * stop the threads. (MHD_quiesce_daemon would stop accepting too, but
	 * in 0.9.75 it races the epoll workers and can abort the process.) */
	atomic_store(&s->stopping, true);
	for (int waited = 0; atomic_load(&s->in_flight) > 0 && waited < DRAIN_WAIT_MS; waited += 5)
		usleep(5000);
	MHD_stop_daemon(s->daemon);
	metrics_free(&s->metrics);
	http_cache_free(s->cache);
	free(s);
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
	              "readout_cache_bytes %zu\n",
	              text, hits, misses, bytes);
	free(text);
	return out;
}
