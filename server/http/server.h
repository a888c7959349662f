/*
 * The HTTP daemon: libmicrohttpd with an epoll thread pool, limits on
 * connections, memory, time and body size, and the glue that collects a
 * request, routes it, runs its handler and queues the response with the
 * common headers (CORS, ETag handling, nosniff, cache control).
 */
#ifndef READOUT_HTTP_SERVER_H
#define READOUT_HTTP_SERVER_H

#include <stddef.h>

#include "http/auth.h"
#include "http/router.h"

struct MHD_Daemon;

/* Per connection, for the request's headers and the response's: libmicrohttpd
 * clears it for every request, so it costs time as well as memory. */
#define HTTP_CONNECTION_MEMORY_LIMIT (32 * 1024)

/* Limits on a request head, decided before any handler runs. What the head
 * costs in the connection's memory (its bytes, plus HTTP_FIELD_COST for each
 * header field, query parameter and cookie libmicrohttpd records) may be at
 * most HTTP_HEAD_MAX: the other half of HTTP_CONNECTION_MEMORY_LIMIT is kept
 * for the answer's head, so that a handler never commits a write it cannot
 * answer. The largest answer head is a list's Link, which repeats the target
 * with every byte possibly percent-encoded: 3 * HTTP_URL_MAX fits. */
#define HTTP_HEAD_MAX (16 * 1024) /* a costlier head is 431 */
#define HTTP_FIELD_COST 64        /* bytes libmicrohttpd keeps per value */
#define HTTP_URL_MAX 4096         /* a longer decoded path plus query is 414 */
#define HTTP_QUERY_PARAMS_MAX 64  /* more query parameters are 414 */

/* Time limits on receiving a request, closing the connection with a 408:
 * the whole head must arrive within HTTP_HEAD_DEADLINE_S of its first byte,
 * and a body within HTTP_BODY_DEADLINE_S plus its size over
 * HTTP_BODY_MIN_RATE of the end of the head. (--timeout bounds idle time
 * only: a client that trickles a byte now and then is never idle.) */
#define HTTP_HEAD_DEADLINE_S 10
#define HTTP_BODY_DEADLINE_S 10
#define HTTP_BODY_MIN_RATE (64 * 1024) /* bytes a second */

struct http_server_options {
	const char *bind;
	int port;
	int threads;
	long max_body;
	long max_import_body;
	int max_connections;
	int max_connections_per_ip;
	int max_waiting; /* requests waiting at once (http_response.wait_ms) */
	int timeout_seconds;
	/* The tokens in use at start (the server takes over this reference;
	 * NULL: none, every request needing a scope is refused). */
	struct auth_set *tokens;
	/* NULL: reads are public. Else every request whose path starts with
	 * it ("/v1/"), or is it without its last slash, needs a token with
	 * the read scope, except a CORS preflight (OPTIONS). */
	const char *private_prefix;
	const char *const *cors_origins; /* borrowed; none: any origin */
	size_t cors_origin_count;
	size_t cache_bytes; /* response cache size; 0: no cache */
	/* The data generation: changes whenever stored data may have changed
	 * (required with a cache). */
	unsigned long (*generation)(void *app);
	/* Called on the worker thread as each request is dispatched, before its
	 * handler (and before generation), and again before each run of the
	 * handler after a wait; NULL: not called. */
	void (*request_start)(void *app, const struct http_request *req);
	/* Called on the worker thread when a request begins to wait
	 * (http_server_waiting has just counted it), under a lock of the
	 * server's: it must not call back into the server; NULL: not called. */
	void (*wait_begun)(void *app);
	/* Group commit. With both set, a ROUTE_WRITE request that comes while
	 * another is under way is queued for one writer thread, its connection
	 * suspended meanwhile, which runs the queued handlers one after
	 * another in groups: group_begin before the handlers of the requests
	 * queued by then, group_end after them, committing what they wrote
	 * (false when that failed). Their answers are sent only after the
	 * commit; those of a failed one become 503s. A write alone runs on its
	 * worker thread, as every write does when these are NULL. */
	void (*group_begin)(void *app);
	bool (*group_end)(void *app);
	const struct router *router; /* borrowed */
	void *app;                   /* handed to handlers as req->app */
};

struct http_server;

/* Binds, listens and starts the worker threads. Returns the server (free with
 * http_server_stop) or NULL with a one-line reason in err. */
struct http_server *http_server_start(const struct http_server_options *opt, char *err,
                                      size_t errlen);

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

/* The first worker's libmicrohttpd daemon (each worker has one). For tests
 * and fuzzing only: they hand connections to it with MHD_add_connection. */
struct MHD_Daemon *http_server_daemon(const struct http_server *s);

/* Runs again the handler of every request waiting (http_response.wait_ms),
 * so that each can look for what it waits for. Any thread may call it, at
 * any time (after a commit, say); it costs an atomic increment when no
 * request waits. A wake never goes unseen: one that comes after a handler
 * looked for news but before its request was suspended runs the handler
 * again at once. */
void http_server_wake(struct http_server *s);

/* The number of requests waiting (suspended, or between runs of a wait). */
int http_server_waiting(const struct http_server *s);

/* Puts the token set in use for every request whose head arrives from now
 * on (the server takes over the caller's reference to set). Requests under
 * way keep the set they began with. Thread-safe. */
void http_server_set_tokens(struct http_server *s, struct auth_set *set);

/* Stops accepting, ends every wait (its handler runs once more with
 * wait_left_ms 0 and answers), lets in-flight requests finish (bounded
 * wait), stops the threads and frees the server. NULL ok. */
void http_server_stop(struct http_server *s);

/* Writes the request metrics in Prometheus text format into a new string
 * (caller frees); route names come from the route table. */
char *http_server_metrics(const struct http_server *s);

#endif
