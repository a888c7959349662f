/*
 * Building a response: status, body, headers, ETag. No libmicrohttpd here,
 * so what fills responses (cache.c, problem.c, the handlers) does not call
 * back into server.c, which turns a finished response into bytes.
 */
#include <sodium.h>
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
