/*
 * Route matching. A pattern is a sequence of "/"-separated segments, each a
 * literal or "{}" (one capture). The request's path is matched as sent: it
 * is split at its slashes first and only then is each segment
 * percent-decoded, so "%2F" stays inside its segment ("x%2Fmeetings" is
 * one segment, never two). A decoded '/' matches no literal and no
 * capture (a reference never holds one), so such a path is 404. Matching
 * walks the table in order; the first route whose pattern and method match
 * wins. When the path matches but the method does not, the caller answers
 * 405 with the methods that would have matched.
 */
#include "http/router.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

#define ROUTER_SEGMENTS_MAX 8 /* more than any pattern has */

/* A request path split into percent-decoded segments. */
struct segments {
	char *buf; /* owned: the segments, each NUL-terminated */
	const char *at[ROUTER_SEGMENTS_MAX];
	size_t count; /* ROUTER_SEGMENTS_MAX + 1: too many to match anything */
};

static int hex_value(unsigned char c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Splits the path as sent (it starts with '/') at its slashes and decodes
 * each segment; a control character, sent raw or escaped, becomes 0x7F as
 * in the decoded path the server checks. Anything else matches nothing. */
static void segments_split(const struct http_request *req, struct segments *sg)
{
	const char *raw = req->raw_path ? req->raw_path : req->path;
	memset(sg, 0, sizeof *sg);
	if (!raw || raw[0] != '/')
		return;
	sg->buf = xstrdup(raw + 1);
	char *out = sg->buf;
	sg->at[sg->count++] = out;
	for (const char *p = raw + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/') {
			*out++ = '\0';
			if (sg->count == ROUTER_SEGMENTS_MAX) {
				sg->count++;
				break;
			}
			sg->at[sg->count++] = out;
			continue;
		}
		if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			c = (unsigned char)(hex_value((unsigned char)p[1]) * 16 +
			                    hex_value((unsigned char)p[2]));
			p += 2;
		}
		*out++ = (char)(c < 0x20 || c == 0x7f ? 0x7f : c);
	}
	*out = '\0';
}

/* Matches the segments against pattern. On success stores up to
 * HTTP_PARAMS_MAX captures (indexes of segments) into caps and returns the
 * number of captures; returns -1 when it does not match. */
static int match_pattern(const char *pattern, const struct segments *sg, size_t caps[])
{
	const char *p = pattern + 1;
	size_t i = 0;
	int n = 0;
	for (;; i++) {
		size_t len = strcspn(p, "/");
		if (i >= sg->count || sg->count > ROUTER_SEGMENTS_MAX)
			return -1;
		const char *seg = sg->at[i];
		if (len == 2 && p[0] == '{' && p[1] == '}') {
			if (seg[0] == '\0' || strchr(seg, '/') || n == HTTP_PARAMS_MAX)
				return -1;
			caps[n++] = i;
		} else if (strlen(seg) != len || memcmp(seg, p, len) != 0) {
			return -1;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return i + 1 == sg->count ? n : -1;
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

static int path_known(const struct router *r, const struct segments *sg, char *allow,
                      size_t allow_len)
{
	size_t caps[HTTP_PARAMS_MAX];
	int known = 0;
	if (allow_len)
		allow[0] = '\0';
	for (size_t i = 0; i < r->count; i++) {
		if (match_pattern(r->routes[i].pattern, sg, caps) < 0)
			continue;
		known = 1;
		allow_add(allow, allow_len, r->routes[i].method);
		if (r->routes[i].method == HTTP_GET)
			allow_add(allow, allow_len, HTTP_HEAD);
	}
	return known;
}

int router_path_known(const struct router *r, const struct http_request *req, char *allow,
                      size_t allow_len)
{
	struct segments sg;
	segments_split(req, &sg);
	int known = path_known(r, &sg, allow, allow_len);
	free(sg.buf);
	return known;
}

enum router_result router_match(const struct router *r, struct http_request *req, int *index,
                                char *allow, size_t allow_len)
{
	size_t caps[HTTP_PARAMS_MAX];
	struct segments sg;
	segments_split(req, &sg);
	enum http_method want = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	for (size_t i = 0; i < r->count; i++) {
		if (r->routes[i].method != want)
			continue;
		int n = match_pattern(r->routes[i].pattern, &sg, caps);
		if (n < 0)
			continue;
		free(req->path_copy);
		req->path_copy = sg.buf; /* the captures point into it */
		for (int k = 0; k < n; k++)
			req->params[k] = sg.at[caps[k]];
		*index = (int)i;
		return ROUTER_FOUND;
	}
	enum router_result rc =
	    path_known(r, &sg, allow, allow_len) ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
	free(sg.buf);
	return rc;
}
