/*
 * Route matching. A pattern is a sequence of "/"-separated segments, each a
 * literal or "{}" (one capture). Matching walks the table in order; the first
 * route whose pattern and method match wins. When the path matches but the
 * method does not, the caller answers 405 with the methods that would have
 * matched.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

/* Matches path against pattern. On success stores up to HTTP_PARAMS_MAX
 * captures as (offset, length) pairs into caps and returns the number of
 * captures; returns -1 when it does not match. */
static int match_pattern(const char *pattern, const char *path, size_t caps[][2])
{
	const char *p = pattern, *s = path;
	int n = 0;
	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			size_t len = strcspn(s, "/");
			if (len == 0 || n == HTTP_PARAMS_MAX)
				return -1;
			caps[n][0] = (size_t)(s - path);
			caps[n][1] = len;
			n++;
			s += len;
			p += 2;
		} else if (*p == *s) {
			p++, s++;
		} else {
			return -1;
		}
	}
	return *p || *s ? -1 : n;
}

/* Adds method m to the Allow list unless it is there already. */
static void allow_add(char *allow, size_t allow_len, enum http_method m)
{
	const char *name = http_method_name(m);
	char *hit = strstr(allow, name);
	while (hit) {
		size_t n = strlen(name);
		if ((hit == allow || hit[-1] == ' ') && (hit[n] == ',' || hit[n] == '\0'))
			return;
		hit = strstr(hit + 1, name);
	}
	size_t used = strlen(allow);
	snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", name);
}

int router_path_known(const struct router *r, const char *path, char *allow, size_t allow_len)
{
	size_t caps[HTTP_PARAMS_MAX][2];
	int known = 0;
	if (allow_len)
		allow[0] = '\0';
	for (size_t i = 0; i < r->count; i++) {
		if (match_pattern(r->routes[i].pattern, path, caps) < 0)
			continue;
		known = 1;
		allow_add(allow, allow_len, r->routes[i].method);
		if (r->routes[i].method == HTTP_GET)
			allow_add(allow, allow_len, HTTP_HEAD);
	}
	return known;
}

enum router_result router_match(const struct router *r, struct http_request *req, int *index,
                                char *allow, size_t allow_len)
{
	size_t caps[HTTP_PARAMS_MAX][2];
	enum http_method want = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	for (size_t i = 0; i < r->count; i++) {
		if (r->routes[i].method != want)
			continue;
		int n = match_pattern(r->routes[i].pattern, req->path, caps);
		if (n < 0)
			continue;
		free(req->path_copy);
		req->path_copy = xstrdup(req->path);
		for (int k = 0; k < n; k++) {
			req->path_copy[caps[k][0] + caps[k][1]] = '\0';
			req->params[k] = req->path_copy + caps[k][0];
		}
		*index = (int)i;
		return ROUTER_FOUND;
	}
	return router_path_known(r, req->path, allow, allow_len) ? ROUTER_BAD_METHOD
	                                                         : ROUTER_NOT_FOUND;
}
