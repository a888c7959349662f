/*
 * The route table mechanism: method + path pattern -> handler. Patterns are
 * literal segments and "{}" captures ("/v1/meetings/{}/participants/{}").
 * The table itself lives in api/routes.c.
 */
#ifndef READOUT_HTTP_ROUTER_H
#define READOUT_HTTP_ROUTER_H

#include "http/http.h"

enum route_flags {
	/* The scope a route needs (http/auth.h); a route with neither is a
	 * read, which needs the read scope only on a private server (see
	 * http_server_options.private_prefix). */
	ROUTE_WRITE = 1,        /* an entity write: needs a token with write */
	ROUTE_ADMIN = 64,       /* needs a token with admin */
	ROUTE_JSON_BODY = 2,    /* takes an application/json body */
	ROUTE_MERGE_PATCH = 4,  /* also accepts application/merge-patch+json */
	ROUTE_LARGE_BODY = 8,   /* body limit is max_import_body */
	ROUTE_CACHE = 16,       /* a GET whose 200 answers may be cached (see http/cache.h) */
	ROUTE_VARY_ACCEPT = 32, /* the answer depends on Accept: a part of the cache key,
	                         * and Vary: Accept */
};

struct route {
	enum http_method method;
	const char *pattern;
	http_handler handler;
	int flags;
	const void *data; /* handed to the handler as req->route_data */
};

struct router {
	const struct route *routes;
	size_t count;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/* Finds the route for the request's method and path (req->raw_path, split
 * into segments before each is percent-decoded; req->path when there is no
 * raw path). On ROUTER_FOUND sets *index and fills req->params with the
 * decoded captures (from req->path_copy, which it allocates; the request
 * owns it). On ROUTER_BAD_METHOD writes the Allow list ("GET, HEAD, PUT")
 * into allow. HEAD matches GET routes. */
enum router_result router_match(const struct router *r, struct http_request *req, int *index,
                                char *allow, size_t allow_len);

/* True when the request's path matches some pattern of the table (any
 * method); writes the Allow list into allow. */
int router_path_known(const struct router *r, const struct http_request *req, char *allow,
                      size_t allow_len);

#endif
