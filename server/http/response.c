/*
 * Building a response: status, body, headers, ETag. No libmicrohttpd here,
 * so what fills responses (cache.c, problem.c, the handlers) does not call
 * back into server.c, which turns a finished response into bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "model/xalloc.h"

static const char *const method_names[] = {"GET",   "HEAD",   "POST",    "PUT",
                                           "PATCH", "DELETE", "OPTIONS", "OTHER"};

const char *http_method_name(enum http_method m)
{
	return method_names[m];
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

/* The quality of one Accept q parameter value ("0.5", "1", "0.125") in
 * thousandths; -1 when it is not one. */
static int accept_q(const char *v, size_t n)
{
	if (n == 0 || n > 5 || (v[0] != '0' && v[0] != '1'))
		return -1;
	int q = (v[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (v[1] != '.')
		return -1;
	int scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		q += (v[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

int http_accept_quality(const struct http_request *req, const char *type)
{
	const char *accept = http_header(req, "Accept");
	if (!accept)
		return 1000;
	const char *slash = strchr(type, '/');
	size_t major = slash ? (size_t)(slash - type) : strlen(type);
	int best_specificity = 0, best_q = 0;
	const char *p = accept;
	while (*p) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		size_t range_len = strcspn(p, " \t;,");
		const char *range = p;
		p += range_len;
		int q = 1000;
		/* Parameters up to the next range; only q counts. */
		while (*p && *p != ',') {
			p += strspn(p, " \t;");
			size_t param_len = strcspn(p, ";,");
			if (param_len >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				size_t v = param_len - 2;
				while (v && (p[2 + v - 1] == ' ' || p[2 + v - 1] == '\t'))
					v--;
				q = accept_q(p + 2, v);
			}
			p += param_len;
		}
		int specificity = 0;
		if (range_len == 3 && memcmp(range, "*/*", 3) == 0)
			specificity = 1;
		else if (range_len == major + 2 && strncasecmp(range, type, major) == 0 &&
		         range[major] == '/' && range[major + 1] == '*')
			specificity = 2;
		else if (range_len == strlen(type) && strncasecmp(range, type, range_len) == 0)
			specificity = 3;
		if (q >= 0 && specificity > best_specificity) {
			best_specificity = specificity;
			best_q = q;
		}
	}
	return best_q;
}
