/*
 * GET /v1/meetings.atom: an Atom 1.0 feed (RFC 4287) of the newest 50
 * meetings (date, then id, newest first) that the meeting list's filters
 * match. Ids are tag: URIs (RFC 4151) of the host and the meeting's id and
 * creation date, so an entry keeps its id through a change of title or
 * slug; links use the host the request named, as the lists' Link headers
 * do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "model/xalloc.h"

#define FEED_ENTRIES 50
#define FEED_PATH "/v1/meetings.atom"
#define FEED_EPOCH "1970-01-01T00:00:00.000Z" /* updated of a feed with no entry */
#define FEED_TAG_DATE "2024"                  /* the feed id's tag date */

/* The host of base ("http://Host:port/...") without its port, for tag:
 * URIs (an IP-literal's brackets and colons become hyphens), into out. */
static void tag_host(const char *base, char *out, size_t n)
{
	const char *h = strncmp(base, "http://", 7) == 0 ? base + 7 : "";
	size_t len = strcspn(h, "/");
	size_t o = 0;
	if (h[0] == '[') {
		for (size_t i = 1; i < len && h[i] != ']' && o + 1 < n; i++)
			out[o++] = h[i] == ':' ? '-' : h[i];
	} else {
		for (size_t i = 0; i < len && h[i] != ':' && o + 1 < n; i++)
			out[o++] = h[i];
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, n, "localhost");
}

static const char *const feed_filters[] = {"participant", "principle", "from", "to",
                                           "kind",        "country",   "q",    NULL};

struct query_out {
	FILE *f;
	bool first;
	const char *only; /* this parameter alone, or NULL for the filters */
	bool all;         /* every parameter (only and the filters aside) */
	char lead;        /* before the first: '?' */
};

static bool is_filter(const char *key)
{
	for (int i = 0; feed_filters[i]; i++)
		if (strcmp(key, feed_filters[i]) == 0)
			return true;
	return false;
}

static int query_param(void *ctx, const char *key, const char *value)
{
	struct query_out *q = ctx;
	if (!q->all && (q->only ? strcmp(key, q->only) != 0 : !is_filter(key)))
		return 0;
	fputc(q->first ? q->lead : '&', q->f);
	q->first = false;
	api_url_encode(q->f, key);
	fputc('=', q->f);
	api_url_encode(q->f, value);
	return 0;
}

/* The filters of req as a query ("?participant=x&from=..."): each filter
 * in a fixed order, repeated ones in the order given, so the same feed
 * always has the same text; "" without filters. */
static void filters_query(FILE *f, struct http_request *req, char lead)
{
	struct query_out q = {f, true, NULL, false, lead};
	for (int i = 0; feed_filters[i]; i++) {
		q.only = feed_filters[i];
		http_query_each(req, query_param, &q);
	}
}

static void link_el(FILE *f, const char *rel, const char *type, const char *href_a,
                    const char *href_b)
{
	fprintf(f, "<link rel=\"%s\" type=\"%s\" href=\"", rel, type);
	api_markup(f, href_a, false);
	api_markup(f, href_b, false);
	fputs("\"/>\n", f);
}

static void entry(FILE *f, const struct meeting *m, const char *origin, const char *host)
{
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)m->meta.id);
	fputs("<entry>\n<id>tag:", f);
	api_markup(f, host, false);
	/* The day it was created: the date of the tag's naming authority. */
	fprintf(f, ",%.10s:readout/meetings/%s</id>\n<title type=\"text\">", m->meta.created_at,
	        id);
	api_markup(f, m->title, false);
	fprintf(f, "</title>\n<updated>%s</updated>\n<published>%s</published>\n",
	        m->meta.updated_at, m->meta.created_at);
	char *href = xasprintf("/explore/?meeting=%s", id);
	link_el(f, "alternate", "text/html", origin, href);
	free(href);
	href = xasprintf("/v1/meetings/%s", id);
	link_el(f, "related", "application/json", origin, href);
	free(href);
	fprintf(f, "<category term=\"%s\"/>\n", model_kind_names[m->kind]);
	if (m->summary) {
		fputs("<summary type=\"text\">", f);
		api_markup(f, m->summary, false);
		fputs("</summary>\n", f);
	}
	fputs("</entry>\n", f);
}

/* The feed document of items (new string). */
static char *feed_document(struct http_request *req, const struct meeting *items, size_t n)
{
	char *base = http_base_url(req);
	/* The origin: the base URL without this path ("" without a Host: the
	 * links are then relative). */
	size_t blen = strlen(base), plen = strlen(FEED_PATH);
	char *origin = xstrdup(base);
	if (blen >= plen && strcmp(base + blen - plen, FEED_PATH) == 0)
		origin[blen - plen] = '\0';
	char host[HTTP_HOST_MAX + 1];
	tag_host(base, host, sizeof host);
	const char *updated = FEED_EPOCH;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(items[i].meta.updated_at, updated) > 0)
			updated = items[i].meta.updated_at;

	char *filters = NULL, *text = NULL;
	size_t filters_len = 0, len = 0;
	FILE *q = open_memstream(&filters, &filters_len);
	filters_query(q, req, '?');
	fclose(q);

	FILE *f = open_memstream(&text, &len);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>tag:",
	      f);
	api_markup(f, host, false);
	fputs("," FEED_TAG_DATE ":readout" FEED_PATH, f);
	api_markup(f, filters, false);
	fputs("</id>\n<title type=\"text\">Readout: meetings", f);
	if (*filters) {
		fputs(" (", f);
		api_markup(f, filters + 1, false);
		fputc(')', f);
	}
	fprintf(f, "</title>\n<updated>%s</updated>\n", updated);
	char *self = NULL;
	size_t self_len = 0;
	FILE *sf = open_memstream(&self, &self_len);
	struct query_out all = {sf, true, NULL, true, '?'};
	http_query_each(req, query_param, &all);
	fclose(sf);
	link_el(f, "self", "application/atom+xml", base, self);
	free(self);
	char *explore = xasprintf("%s/explore/?view=meetings%s%s", origin, *filters ? "&" : "",
	                          *filters ? filters + 1 : "");
	link_el(f, "alternate", "text/html", explore, "");
	free(explore);
	fputs("<author><name>Readout</name></author>\n"
	      "<generator version=\"" READOUT_VERSION "\">Readout</generator>\n",
	      f);
	for (size_t i = 0; i < n; i++)
		entry(f, &items[i], origin, host);
	fputs("</feed>\n", f);
	fclose(f);
	free(filters);
	free(origin);
	free(base);
	return text;
}

HANDLER(api_meetings_atom)
{
	struct meeting_filter f;
	char *match = NULL;
	if (api_meeting_filter(req, &f, &match, res))
		return;
	/* Newest first whatever the list's sort: a feed's order. */
	f.sort = MEETING_SORT_DATE_DESC;
	struct meeting *items = NULL;
	size_t n = 0;
	char *next_key = NULL;
	enum store_status st = STORE_OK;
	if (!(http_query(req, "q") && !match))
		st = store_meeting_list(APP(req)->store, &f, NULL, FEED_ENTRIES, &items, &n,
		                        &next_key, NULL);
	if (st == STORE_OK) {
		char *doc = feed_document(req, items, n);
		char etag[MODEL_ETAG_LEN + 1];
		size_t len = strlen(doc);
		model_etag(doc, len, etag);
		http_set_body(res, 200, "application/atom+xml", doc, len);
		http_add_header(res, "ETag", etag);
	} else {
		const struct api_store_subject about = {.what = "meeting",
		                                        .filters = "participant or principle"};
		api_store_failure(res, st, &about);
	}
	for (size_t i = 0; i < n; i++)
		meeting_clear(&items[i]);
	free(items);
	free(next_key);
	free(match);
}
