/*
 * The request and response that handlers see. Nothing here names
 * libmicrohttpd: handlers read the request through these functions and fill
 * the response; http/server.c turns it into bytes on the wire.
 */
#ifndef READOUT_HTTP_H
#define READOUT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_PARAMS_MAX 2   /* captures in a route pattern */
#define HTTP_HEADERS_MAX 16 /* extra response headers */
#define HTTP_HOST_MAX 261   /* a Host: 255 for the name, ":" and 5 digits of port */

struct MHD_Connection;

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_OTHER
};

struct http_request {
	enum http_method method;
	const char *method_name; /* borrowed from the connection */
	const char *version;     /* borrowed: "HTTP/1.1"; NULL outside a server */
	const char *path;        /* borrowed, percent-decoded */
	const char *raw_path;    /* borrowed: the path as sent (routing splits it first) */
	const char *params[HTTP_PARAMS_MAX]; /* path captures, borrowed from path_copy */
	char *path_copy;                     /* owned: the path split into captures */
	const char *body;                    /* NUL-terminated copy of the body, or NULL */
	size_t body_len;
	int route;              /* index in the route table, -1 when none matched */
	const void *route_data; /* the matched route's data (see struct route) */
	struct MHD_Connection *conn;
	void *app; /* the application context given to http_server_start */
	/* The name of the valid bearer token the request carries, or NULL.
	 * Borrowed from the token set the request began with, which lives
	 * until the request completes (whatever a reload swaps in meanwhile).
	 * Set before request_start and the handler run. */
	const char *actor;
	/* What is left of the request's wait (see http_response.wait_ms), in
	 * ms: HTTP_WAIT_FIRST on the handler's first run, which may begin a
	 * wait; on a run after a wait, the time left until the deadline its
	 * first wait fixed (> 0: woken early by http_server_wake, the handler
	 * may wait again for the rest), or 0 when the deadline has passed or
	 * the server is stopping: the handler must then answer. */
	long wait_left_ms;
};

#define HTTP_WAIT_FIRST (-1L) /* wait_left_ms of a handler's first run */

struct http_header {
	char *name, *value; /* owned */
};

/* A streamed body: fill writes up to max bytes into buf and returns how
 * many it wrote, 0 at the end, or -1 on an error (the connection is then
 * cut short). done is called once when the response is finished. */
typedef long (*http_fill)(void *ctx, char *buf, size_t max);

struct http_response {
	int status;
	http_fill fill; /* set: the body is streamed and body is unused */
	void *fill_ctx;
	void (*fill_done)(void *ctx);
	char *body; /* owned, may be NULL */
	size_t body_len;
	const char *content_type; /* static string */
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t header_count;
	bool close; /* close the connection after this response */
	/* Set (> 0) instead of an answer to wait for news: the server answers
	 * nothing yet, frees the worker thread and runs the handler again for
	 * the same request when http_server_wake is called or the wait is
	 * over. A request's first wait fixes its deadline, now + wait_ms; a
	 * later wait (req->wait_left_ms > 0) goes on until that same deadline,
	 * whatever wait_ms it gives. Ignored when the handler also set a
	 * status (an answer wins). Beyond --max-waiting requests waiting, the
	 * server answers 503 instead; a handler that waits when wait_left_ms
	 * is 0 gets a 503 too. */
	int wait_ms;
};

/* A request handler. It fills res (status, body, headers), or asks to wait
 * (res->wait_ms); it never sees libmicrohttpd. A handler that may wait runs
 * more than once for one request, each time with a fresh res. */
typedef void (*http_handler)(struct http_request *req, struct http_response *res);

/* The wire name of a method ("GET"). */
const char *http_method_name(enum http_method m);

/* The value of a request header (case-insensitive name), or NULL. Borrowed. */
const char *http_header(const struct http_request *req, const char *name);

/* The first value of a query parameter, or NULL. Borrowed. A parameter given
 * without a value ("?count") is "". */
const char *http_query(const struct http_request *req, const char *name);

/* The quality in thousandths (0 to 1000) that the request's Accept header
 * gives the media type type ("text/csv"): that of the most specific media
 * range matching it (type/subtype over type/any over any/any; parameters other
 * than q are not compared), 0 when none does, 1000 without an Accept
 * header (RFC 9110 section 12.5.1). A range with a malformed q is
 * skipped. */
int http_accept_quality(const struct http_request *req, const char *type);

/* Calls fn for every query parameter (in order) with its key and value
 * (value may be ""), stopping when fn returns non-zero; returns that value. */
int http_query_each(const struct http_request *req,
                    int (*fn)(void *ctx, const char *key, const char *value), void *ctx);

/* Sets the response status and body (takes ownership of body, which may be
 * NULL for an empty body). content_type is a static string. */
void http_set_body(struct http_response *res, int status, const char *content_type, char *body,
                   size_t len);

/* Sets the response status and a streamed body (see http_fill). */
void http_set_stream(struct http_response *res, int status, const char *content_type,
                     http_fill fill, void *ctx, void (*done)(void *ctx));

/* Adds a response header (copies both strings). Silently replaces a header
 * of the same name. */
void http_add_header(struct http_response *res, const char *name, const char *value);

/* Value of a header already set on res, or NULL. */
const char *http_response_header(const struct http_response *res, const char *name);

/* True when the If-Match header of req is absent, "*" (and exists is true),
 * or lists etag. False means 412. */
bool http_if_match_ok(const struct http_request *req, const char *etag, bool exists);

/* True when host is an RFC 3986 host[:port] (reg-name, IPv4 or IP-literal,
 * port of at most 5 digits) of at most HTTP_HOST_MAX bytes. */
bool http_host_valid(const char *host);

/* True when the If-None-Match header of req is "*" or lists etag, W/ or not
 * (the weak comparison of RFC 9110 section 13.1.2). A GET answers 304, a
 * write 412. */
bool http_if_none_match(const struct http_request *req, const char *etag);

/* The request's full URL without query ("http://host/path") for Link
 * headers: the host is the request's Host in lower case (only ever a valid
 * one: the server refuses others), the path percent-encoded where a URI
 * needs it. Without a Host (HTTP/1.0) it is the path alone, a relative
 * reference. New string (caller frees). */
char *http_base_url(const struct http_request *req);

#endif
