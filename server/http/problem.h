/*
 * Problem details (RFC 9457): every HTTP error leaves through here, as
 * application/problem+json with a urn:readout:problem:<kind> type.
 */
#ifndef READOUT_HTTP_PROBLEM_H
#define READOUT_HTTP_PROBLEM_H

#include <jansson.h>

#include "http/http.h"

/* Fills res with a problem: status, kind ("not-found", "validation", ...),
 * title and detail (detail may be NULL). */
void http_problem(struct http_response *res, int status, const char *kind, const char *title,
                  const char *detail);

/* A 503 "unavailable" problem with Retry-After: retry_s (seconds). */
void http_unavailable(struct http_response *res, const char *title, const char *detail,
                      int retry_s);

/* The same as http_problem, with the members of the object members added ("errors",
 * "next_since"); steals the reference (NULL: none). */
void http_problem_with(struct http_response *res, int status, const char *kind, const char *title,
                       const char *detail, json_t *members);

#endif
