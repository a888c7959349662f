/*
 * The web explorer (API.md section 13): the files of web/, embedded at build
 * time, served under /explore/. Every file carries the same
 * Content-Security-Policy (nothing but this origin), a strong ETag, and the
 * caching its name allows: the index is revalidated on every load (no-cache),
 * an asset named by its content hash is kept for a year (immutable).
 */
#include <stdlib.h>
#include <string.h>

#include "api/explore.h"
#include "api/handlers.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define EXPLORE_CSP "default-src 'self'"
#define EXPLORE_CACHE_IMMUTABLE "public, max-age=31536000, immutable"

static void explore_serve(const struct explore_file *f, struct http_response *res)
{
	char *body = xmalloc(f->len + 1);
	memcpy(body, f->data, f->len + 1);
	http_set_body(res, 200, f->content_type, body, f->len);
	http_add_header(res, "ETag", f->etag);
	http_add_header(res, "Content-Security-Policy", EXPLORE_CSP);
	if (f->immutable)
		http_add_header(res, "Cache-Control", EXPLORE_CACHE_IMMUTABLE);
}

void api_explore_redirect(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_set_body(res, 308, NULL, NULL, 0);
	http_add_header(res, "Location", "/explore/");
}

void api_explore_index(struct http_request *req, struct http_response *res)
{
	(void)req;
	explore_serve(&explore_files[0], res);
}

void api_explore_asset(struct http_request *req, struct http_response *res)
{
	const char *name = req->params[0];
	for (size_t i = 0; i < explore_file_count; i++) {
		if (explore_files[i].immutable && strcmp(explore_files[i].name, name) == 0) {
			explore_serve(&explore_files[i], res);
			return;
		}
	}
	http_problem(res, 404, "not-found", "Not found", "The explorer has no such file.");
}
