/*
 * Problem details: the one place an HTTP error body is made.
 */
#include "http/problem.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/xalloc.h"

void http_problem_with(struct http_response *res, int status, const char *kind, const char *title,
                       const char *detail, json_t *members)
{
	char type[96];
	snprintf(type, sizeof type, "urn:readout:problem:%s", kind);
	json_t *doc = json_pack("{s:s, s:s, s:i}", "type", type, "title", title, "status", status);
	if (!doc)
		abort();
	if (detail)
		json_object_set_new(doc, "detail", json_string(detail));
	if (members)
		json_object_update(doc, members);
	json_decref(members);
	size_t len = json_dumpb(doc, NULL, 0, JSON_COMPACT);
	char *body = xmalloc(len + 1);
	json_dumpb(doc, body, len, JSON_COMPACT);
	body[len] = '\0';
	json_decref(doc);
	http_set_body(res, status, "application/problem+json", body, len);
}

void http_problem(struct http_response *res, int status, const char *kind, const char *title,
                  const char *detail)
{
	http_problem_with(res, status, kind, title, detail, NULL);
}

void http_unavailable(struct http_response *res, const char *title, const char *detail, int retry_s)
{
	http_problem(res, 503, "unavailable", title, detail);
	char value[16];
	snprintf(value, sizeof value, "%d", retry_s);
	http_add_header(res, "Retry-After", value);
}
