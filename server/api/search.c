/*
 * GET /v1/search: ranked hits across meetings, participants and principles,
 * each with a snippet that is safe to insert as HTML.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "model/search.h"
#include "model/xalloc.h"

int api_search_text(const char *q, char **match, struct http_response *res)
{
	switch (model_search_translate(q, match)) {
	case SEARCH_OK:
		return 0;
	case SEARCH_EMPTY:
		api_bad_request(res, "q must hold some search text.");
		return -1;
	case SEARCH_TOO_LONG:
		api_bad_request(res, "q must be at most 500 characters.");
		return -1;
	}
	return -1;
}

/* One hit as API.md gives it. */
static void hit_write(struct xbuf *o, const void *item, const void *ctx)
{
	(void)ctx;
	const struct search_hit *h = item;
	xbuf_add(o, "{\"type\":", 8);
	api_out_string(o, store_kinds[h->kind].singular);
	xbuf_add(o, ",\"id\":", 6);
	api_out_int(o, h->id);
	xbuf_add(o, ",\"slug\":", 8);
	api_out_string(o, h->slug);
	xbuf_add(o, ",\"title\":", 9);
	api_out_string(o, h->title);
	xbuf_add(o, ",\"date\":", 8);
	api_out_string(o, h->date[0] ? h->date : NULL);
	xbuf_add(o, ",\"snippet\":", 11);
	char *snippet = api_markup_text(h->snippet, true);
	api_out_string(o, snippet);
	free(snippet);
	xbuf_add(o, ",\"score\":", 9);
	api_out_real(o, -h->score);
	xbuf_add(o, "}", 1);
}

static int64_t hit_id(const void *item)
{
	return ((const struct search_hit *)item)->id;
}

static void hit_clear(void *item)
{
	search_hit_clear(item);
}

static const struct api_list_items hit_items = {
    .size = sizeof(struct search_hit), .write = hit_write, .id_of = hit_id, .clear = hit_clear};

HANDLER(api_search)
{
	const char *q = http_query(req, "q");
	if (!q) {
		api_bad_request(res, "q (the search text) is required.");
		return;
	}
	unsigned kinds;
	if (api_query_kinds(req, &kinds, res))
		return;
	char *match = NULL;
	if (api_search_text(q, &match, res))
		return;
	json_t *scope_doc = json_pack("[s, i, s]", "search", (int)kinds, q);
	size_t len;
	char *scope = api_dump(scope_doc, &len);
	json_decref(scope_doc);
	struct api_page page;
	if (!match) {
		api_page_empty(req, scope, res);
		goto done;
	}
	if (api_page_begin(req, scope, &page, res))
		goto done;
	struct search_hit *hits = NULL;
	size_t n = 0;
	char *next_key = NULL;
	int64_t total = 0;
	enum store_status st =
	    store_search(APP(req)->store, match, kinds, page.has_after ? &page.after : NULL,
	                 page.limit, &hits, &n, &next_key, page.count ? &total : NULL);
	const struct api_store_subject about = {.what = "search"};
	api_list_respond(req, &page, st, &about, &hit_items, hits, n, next_key, total, NULL, res);
done:
	free(scope);
	free(match);
}
