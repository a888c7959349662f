/*
 * The service's own endpoints: index, liveness, readiness, metrics and the
 * OpenAPI document.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/handlers.h"
#include "http/problem.h"
#include "http/server.h"
#include "model/xalloc.h"

void api_meta_index(struct http_request *req, struct http_response *res)
{
	(void)req;
	api_json(
	    res, 200,
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "name",
	              "readout", "version", READOUT_VERSION, "description",
	              "Records of diplomatic meetings: who met, what they said, which principles "
	              "they invoked.",
	              "links", "self", "/", "meetings", "/v1/meetings", "participants",
	              "/v1/participants", "principles", "/v1/principles", "search", "/v1/search",
	              "export", "/v1/export", "openapi", "/openapi.json", "health", "/healthz",
	              "metrics", "/metrics"));
}

void api_meta_healthz(struct http_request *req, struct http_response *res)
{
	(void)req;
	api_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

void api_meta_readyz(struct http_request *req, struct http_response *res)
{
	enum store_status st = store_ready(APP(req)->store);
	if (st != STORE_OK) {
		const struct api_store_subject s = {.what = "database", .readiness = true};
		api_store_failure(res, st, &s);
		return;
	}
	struct store *s = APP(req)->store;
	/* "schema" is the name of API.md section 9; "schema_version" the one
	 * version 1 answered, kept for its clients. */
	api_json(res, 200,
	         json_pack("{s:s, s:s, s:i, s:i}", "status", "ok", "store", store_backend(s),
	                   "schema", store_schema(s), "schema_version", store_schema(s)));
}

void api_meta_metrics(struct http_request *req, struct http_response *res)
{
	struct app *app = APP(req);
	char *http = app->server ? http_server_metrics(app->server) : xstrdup("");
	char *body = xasprintf("%s# HELP readout_db_errors_total Database errors (busy, full, "
	                       "read-only, failed statements).\n"
	                       "# TYPE readout_db_errors_total counter\n"
	                       "readout_db_errors_total %lu\n",
	                       http, store_error_count(app->store));
	free(http);
	http_set_body(res, 200, "text/plain; version=0.0.4; charset=utf-8", body, strlen(body));
}

void api_meta_openapi(struct http_request *req, struct http_response *res)
{
	(void)req;
	char *body = xmalloc(doc_openapi_len + 1);
	memcpy(body, doc_openapi, doc_openapi_len + 1);
	api_body_etag(res, 200, body, doc_openapi_len, NULL);
}
