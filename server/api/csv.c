/*
 * The three lists as CSV (RFC 4180): format=csv or Accept: text/csv on
 * GET /v1/meetings, /v1/participants and /v1/principles. Every row the
 * filters match goes out, in the list's order, with no pages: the stream
 * walks the list's keyset pages on an export's read snapshot (one page in
 * memory at a time), under the same slots and time limit as
 * GET /v1/export (api/transfer.c).
 *
 * A cell holding a comma, a double quote, CR or LF is quoted (quotes
 * doubled); a record ends in CRLF. A cell that a spreadsheet would read as
 * a formula, one starting with '=', '+', '-' or '@', or with a tab or a CR
 * (OWASP's list: some spreadsheets skip those before a formula), gets a
 * leading apostrophe. Lists of references are their slugs joined by ';';
 * aliases, free text, are joined by ';' with '\' and ';' in them escaped
 * by a '\'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "api/transfer.h"
#include "http/problem.h"
#include "model/xalloc.h"

#define CSV_PAGE 200 /* rows a stream reads at a time */
#define CSV_CONTENT_TYPE "text/csv; charset=utf-8; header=present"

int api_list_format(const struct http_request *req, struct http_response *res)
{
	const char *format = http_query(req, "format");
	if (format) {
		if (strcmp(format, "csv") == 0)
			return API_FORMAT_CSV;
		if (strcmp(format, "json") == 0)
			return API_FORMAT_JSON;
		api_bad_request(res, "format must be json or csv.");
		return -1;
	}
	int csv = http_accept_quality(req, "text/csv");
	return csv > http_accept_quality(req, "application/json") ? API_FORMAT_CSV
	                                                          : API_FORMAT_JSON;
}

/* ---- cells ---- */

/* Writes one cell (NULL: empty), after a comma unless it is the first. */
static void cell(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (!s)
		return;
	bool guard = s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = s[strcspn(s, ",\"\r\n")] != '\0';
	if (quote)
		fputc('"', f);
	if (guard)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

static void cell_int(FILE *f, int64_t v)
{
	fprintf(f, ",%lld", (long long)v);
}

/* Builds a ';'-joined list into a memstream. */
struct joined {
	char *text;
	size_t len;
	FILE *f;
	bool any;
};

static void joined_open(struct joined *j)
{
	j->text = NULL;
	j->len = 0;
	j->any = false;
	j->f = open_memstream(&j->text, &j->len);
}

/* Adds an item; escape: '\' and ';' in it are escaped with '\'. */
static void joined_add(struct joined *j, const char *s, bool escape)
{
	if (j->any)
		fputc(';', j->f);
	j->any = true;
	for (; s && *s; s++) {
		if (escape && (*s == ';' || *s == '\\'))
			fputc('\\', j->f);
		fputc(*s, j->f);
	}
}

/* Writes the list as a cell and frees it. */
static void joined_cell(FILE *f, struct joined *j)
{
	fclose(j->f);
	cell(f, j->text, false);
	free(j->text);
}

static void meta_cells(FILE *f, const struct entity_meta *m)
{
	cell(f, m->created_at, false);
	cell(f, m->updated_at, false);
	cell_int(f, m->version);
}

/* ---- the three kinds ---- */

/* The filter a stream keeps, with its own copies of every string. */
union csv_filter {
	struct meeting_filter meetings;
	struct participant_filter participants;
	struct principle_filter principles;
};

struct csv_kind {
	const char *file;   /* the attachment's name */
	const char *header; /* the header record */
	size_t size;        /* of an item */
	enum store_status (*page)(struct store_export *x, const union csv_filter *f,
	                          const struct cursor_pos *after, void **items, size_t *n,
	                          char **next_key);
	void (*row)(FILE *f, const void *item);
	int64_t (*id_of)(const void *item);
	void (*clear)(void *item);
	struct api_store_subject about; /* for a failure of the first page */
};

static enum store_status meetings_page(struct store_export *x, const union csv_filter *f,
                                       const struct cursor_pos *after, void **items, size_t *n,
                                       char **next_key)
{
	struct meeting *out = NULL;
	enum store_status st =
	    store_export_meetings(x, &f->meetings, after, CSV_PAGE, &out, n, next_key);
	*items = out;
	return st;
}

static void meeting_row(FILE *f, const void *item)
{
	const struct meeting *m = item;
	fprintf(f, "%lld", (long long)m->meta.id);
	cell(f, m->meta.slug, false);
	cell(f, m->title, false);
	cell(f, m->date, false);
	cell(f, model_kind_names[m->kind], false);
	cell(f, m->location, false);
	cell(f, m->city, false);
	cell(f, m->country, false);
	cell(f, m->summary, false);
	struct joined j;
	joined_open(&j);
	for (size_t i = 0; i < m->participant_count; i++)
		joined_add(&j, m->participants[i].slug, false);
	joined_cell(f, &j);
	joined_open(&j);
	for (size_t i = 0; i < m->participant_count; i++)
		joined_add(&j, model_role_names[m->participants[i].role], false);
	joined_cell(f, &j);
	joined_open(&j);
	for (size_t i = 0; i < m->principle_count; i++)
		joined_add(&j, m->principles[i].slug, false);
	joined_cell(f, &j);
	joined_open(&j);
	for (size_t i = 0; i < m->principle_count; i++)
		joined_add(&j, model_stance_names[m->principles[i].stance], false);
	joined_cell(f, &j);
	meta_cells(f, &m->meta);
}

static int64_t meeting_id(const void *item)
{
	return ((const struct meeting *)item)->meta.id;
}

static void meeting_clear_item(void *item)
{
	meeting_clear(item);
}

static const struct csv_kind meetings_csv = {
    "meetings.csv",
    "id,slug,title,date,kind,location,city,country,summary,participants,participant_roles,"
    "principles,principle_stances,created_at,updated_at,version\r\n",
    sizeof(struct meeting),
    meetings_page,
    meeting_row,
    meeting_id,
    meeting_clear_item,
    {.what = "meeting", .filters = "participant or principle"},
};

static enum store_status participants_page(struct store_export *x, const union csv_filter *f,
                                           const struct cursor_pos *after, void **items, size_t *n,
                                           char **next_key)
{
	struct participant *out = NULL;
	enum store_status st =
	    store_export_participants(x, &f->participants, after, CSV_PAGE, &out, n, next_key);
	*items = out;
	return st;
}

static void participant_row(FILE *f, const void *item)
{
	const struct participant *p = item;
	fprintf(f, "%lld", (long long)p->meta.id);
	cell(f, p->meta.slug, false);
	cell(f, p->name, false);
	struct joined j;
	joined_open(&j);
	json_t *aliases = json_loads(p->aliases_json ? p->aliases_json : "[]", 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(aliases, i, v)
	{
		joined_add(&j, json_string_value(v), true);
	}
	json_decref(aliases);
	joined_cell(f, &j);
	cell(f, p->title, false);
	cell(f, p->organization, false);
	cell(f, p->country, false);
	cell_int(f, p->meeting_count);
	cell(f, p->first_meeting_date, false);
	cell(f, p->last_meeting_date, false);
	meta_cells(f, &p->meta);
}

static int64_t participant_id(const void *item)
{
	return ((const struct participant *)item)->meta.id;
}

static void participant_clear_item(void *item)
{
	participant_clear(item);
}

static const struct csv_kind participants_csv = {
    "participants.csv",
    "id,slug,name,aliases,title,organization,country,meeting_count,first_meeting_date,"
    "last_meeting_date,created_at,updated_at,version\r\n",
    sizeof(struct participant),
    participants_page,
    participant_row,
    participant_id,
    participant_clear_item,
    {.what = "participant"},
};

static enum store_status principles_page(struct store_export *x, const union csv_filter *f,
                                         const struct cursor_pos *after, void **items, size_t *n,
                                         char **next_key)
{
	struct principle *out = NULL;
	enum store_status st =
	    store_export_principles(x, &f->principles, after, CSV_PAGE, &out, n, next_key);
	*items = out;
	return st;
}

static void principle_row(FILE *f, const void *item)
{
	const struct principle *p = item;
	fprintf(f, "%lld", (long long)p->meta.id);
	cell(f, p->meta.slug, false);
	cell(f, p->name, false);
	cell(f, p->framework, false);
	cell(f, p->description, false);
	cell_int(f, p->invocation_count);
	cell(f, p->first_invoked_date, false);
	meta_cells(f, &p->meta);
}

static int64_t principle_id(const void *item)
{
	return ((const struct principle *)item)->meta.id;
}

static void principle_clear_item(void *item)
{
	principle_clear(item);
}

static const struct csv_kind principles_csv = {
    "principles.csv",
    "id,slug,name,framework,description,invocation_count,first_invoked_date,created_at,"
    "updated_at,version\r\n",
    sizeof(struct principle),
    principles_page,
    principle_row,
    principle_id,
    principle_clear_item,
    {.what = "principle"},
};

/* ---- the stream ---- */

#define CSV_OWNED_MAX (8 + MEETING_FILTER_PARTICIPANTS_MAX)

struct csv_stream {
	const struct csv_kind *kind;
	union csv_filter filter;
	char *owned[CSV_OWNED_MAX]; /* the filter's strings */
	size_t owned_count;
	bool empty;       /* nothing can match: the header alone */
	bool header_sent; /* the header record is out */
	char *items;      /* the page being written */
	size_t n, i;
	char *next_key; /* the key after the page's last row; NULL: no more pages */
};

/* A copy of s that the stream owns (NULL for NULL). */
static const char *keep(struct csv_stream *c, const char *s)
{
	if (!s)
		return NULL;
	char *copy = xstrdup(s);
	c->owned[c->owned_count++] = copy;
	return copy;
}

static void page_free(struct csv_stream *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->kind->clear(c->items + i * c->kind->size);
	free(c->items);
	c->items = NULL;
	c->n = c->i = 0;
}

static void csv_stream_free(void *ctx)
{
	struct csv_stream *c = ctx;
	if (!c)
		return;
	page_free(c);
	free(c->next_key);
	for (size_t i = 0; i < c->owned_count; i++)
		free(c->owned[i]);
	free(c);
}

/* Reads the page after the current one (the first when there is none). */
static enum store_status page_next(struct store_export *x, struct csv_stream *c)
{
	struct cursor_pos after = {0};
	bool has_after = c->items != NULL;
	if (has_after)
		api_cursor_pos(&after, c->next_key,
		               c->kind->id_of(c->items + (c->n - 1) * c->kind->size));
	page_free(c);
	free(c->next_key);
	c->next_key = NULL;
	void *items = NULL;
	enum store_status st =
	    c->kind->page(x, &c->filter, has_after ? &after : NULL, &items, &c->n, &c->next_key);
	c->items = st == STORE_OK ? items : NULL;
	if (st != STORE_OK)
		c->n = 0;
	return st;
}

/* The producer of api_export: the header, then a record at a time. */
static void csv_next(struct api_export *e)
{
	struct csv_stream *c = e->producer;
	if (!c->header_sent) {
		c->header_sent = true;
		api_export_put(e, xstrdup(c->kind->header));
		return;
	}
	while (!c->empty && c->i == c->n && c->next_key) {
		if (page_next(e->x, c) != STORE_OK) {
			e->failed = true;
			api_export_put(e, NULL);
			return;
		}
	}
	if (c->empty || c->i == c->n) {
		e->done = true;
		api_export_put(e, NULL);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	c->kind->row(f, c->items + c->i++ * c->kind->size);
	fputs("\r\n", f);
	fclose(f);
	api_export_put(e, text);
}

/* Answers the CSV of c (owned) on an export snapshot. */
static void csv_respond(struct http_request *req, struct http_response *res, struct csv_stream *c)
{
	if (http_query(req, "cursor")) {
		api_bad_request(res, "CSV has no pages: every matching row comes in one answer, "
		                     "so cursor is not taken with format=csv.");
		csv_stream_free(c);
		return;
	}
	struct api_export *e = api_export_begin(req, res);
	if (!e) {
		csv_stream_free(c);
		return;
	}
	/* The first page is read now, so that a filter naming nothing is a
	 * 400 rather than a stream cut short. */
	enum store_status st = c->empty ? STORE_OK : page_next(e->x, c);
	if (st != STORE_OK) {
		api_store_failure(res, st, &c->kind->about);
		api_export_close(e);
		csv_stream_free(c);
		return;
	}
	e->next = csv_next;
	e->producer = c;
	e->producer_free = csv_stream_free;
	api_export_stream(e, res, CSV_CONTENT_TYPE, c->kind->file);
}

void api_csv_meetings(struct http_request *req, struct http_response *res,
                      const struct meeting_filter *f, bool empty)
{
	struct csv_stream *c = xcalloc(1, sizeof *c);
	c->kind = &meetings_csv;
	c->empty = empty;
	struct meeting_filter *m = &c->filter.meetings;
	*m = *f;
	m->from = keep(c, f->from);
	m->to = keep(c, f->to);
	m->country = keep(c, f->country);
	m->match = keep(c, f->match);
	m->principle.slug = keep(c, f->principle.slug);
	for (size_t i = 0; i < f->participant_count; i++)
		m->participants[i].slug = keep(c, f->participants[i].slug);
	csv_respond(req, res, c);
}

void api_csv_participants(struct http_request *req, struct http_response *res,
                          const struct participant_filter *f)
{
	struct csv_stream *c = xcalloc(1, sizeof *c);
	c->kind = &participants_csv;
	struct participant_filter *p = &c->filter.participants;
	*p = *f;
	p->q = keep(c, f->q);
	p->country = keep(c, f->country);
	csv_respond(req, res, c);
}

void api_csv_principles(struct http_request *req, struct http_response *res,
                        const struct principle_filter *f)
{
	struct csv_stream *c = xcalloc(1, sizeof *c);
	c->kind = &principles_csv;
	struct principle_filter *p = &c->filter.principles;
	*p = *f;
	p->q = keep(c, f->q);
	p->framework = keep(c, f->framework);
	csv_respond(req, res, c);
}
