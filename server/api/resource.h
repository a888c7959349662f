/*
 * What participants, principles and meetings share: read one by ref with an
 * ETag, create, replace (PUT), merge-patch (PATCH), delete, each with the
 * same checks (If-Match, validation, store status -> HTTP), and keyset list
 * responses. A resource describes itself with a table of functions; every
 * entity struct starts with its struct entity_meta.
 */
#ifndef READOUT_API_RESOURCE_H
#define READOUT_API_RESOURCE_H

#include <stdio.h>

#include "api/api.h"

struct resource {
	enum store_kind kind;
	const char *name;       /* "participant": for problem details */
	const char *collection; /* "/v1/participants": for Location */
	size_t size;            /* sizeof the entity struct */
	enum store_status (*get)(struct store *s, const struct model_ref *ref, void *out);
	/* The full representation (new reference). */
	json_t *(*encode)(const void *entity);
	/* The writable fields as a client would PUT them (new reference). */
	json_t *(*writable)(const void *entity);
	/* Decodes and validates a whole body into a zeroed entity; every
	 * problem goes to p. */
	void (*decode)(json_t *body, void *out, struct model_problems *p);
	/* Store writes; nested references that name nothing go to p with
	 * STORE_INVALID_REF. */
	enum store_status (*create)(struct store *s, void *entity, struct model_problems *p);
	enum store_status (*replace)(struct store *s, int64_t id, int64_t version, void *entity,
	                             struct model_problems *p);
	enum store_status (*remove)(struct store *s, int64_t id, int64_t version);
	/* Optional: adds a problem for each nested reference that names
	 * nothing, without writing, so a body with other problems lists those
	 * too (id: the entity replaced, 0 on create). */
	enum store_status (*check_refs)(struct store *s, int64_t id, void *entity,
	                                struct model_problems *p);
	void (*clear)(void *entity);
};

/* The handlers of the single-entity verbs; each route names its resource
 * in its data (struct route.data).
 * GET /.../{ref}: 200 with the representation and its ETag. */
void api_resource_get(struct http_request *req, struct http_response *res);
/* POST /...: 201, Location, ETag. */
void api_resource_create(struct http_request *req, struct http_response *res);
/* PUT /.../{ref}: 200; a body without slug keeps the current one. */
void api_resource_replace(struct http_request *req, struct http_response *res);
/* PATCH /.../{ref}: RFC 7396 merge patch onto the writable fields. */
void api_resource_patch(struct http_request *req, struct http_response *res);
/* DELETE /.../{ref}: 204. */
void api_resource_delete(struct http_request *req, struct http_response *res);

/* Reads the entity named by path segment `segment` into out (zeroed, of
 * r->size bytes). Returns 0, or -1 after filling res (400 or 404 or 503). */
int api_resource_load(const struct resource *r, struct http_request *req, const char *segment,
                      void *out, struct http_response *res);

/* Whether the current representation of cur satisfies the request's
 * If-Match and If-None-Match (as a write: a match is a failure); answers
 * 412 when it does not. */
bool api_resource_precondition(const struct resource *r, struct http_request *req, const void *cur,
                               struct http_response *res);

/* The resources (api/participants.c, principles.c, meetings.c). */
extern const struct resource api_participants;
extern const struct resource api_meetings;
extern const struct resource api_principles;

/* Encoders shared between resources. A meeting summary (full false) has no
 * readout, sources or related. New references. */
json_t *api_participant_json(const struct participant *p);
json_t *api_meeting_json(const struct meeting *m, bool full);
json_t *api_principle_json(const struct principle *p);

/* The representation of a record of kind, as a GET answers it (a
 * store_render for the versions of writes). */
char *api_render(enum store_kind kind, const void *record, bool summary, size_t *len);

/* Answers the entity in e with status and its ETag. */
void api_resource_respond(const struct resource *r, const void *e, int status,
                          struct http_response *res);

/* The pagination state a list request carries. */
struct api_page {
	int limit;
	bool count;
	struct cursor_pos after;
	bool has_after;
	char scope[17]; /* a digest of the list, its sort and its filters */
};

/* Reads limit, count and cursor of req for a list whose scope names the
 * list, its sort and its filters. Returns 0 or -1 after filling res. */
int api_page_begin(struct http_request *req, const char *scope, struct api_page *page,
                   struct http_response *res);

/* Begins text, the text of a list page, for its items' JSON joined by
 * commas: {"data":[ */
void api_page_open(struct xbuf *text);

/* Answers a list page: {"data": [items], "next_cursor": ...}, text begun
 * by api_page_open holding the items (taken), with a Link header to the
 * next page and, when page->count, "total" and X-Total-Count. last is the
 * position of the page's last row (NULL when no more rows follow). */
void api_page_respond(struct http_request *req, const struct api_page *page, struct xbuf *text,
                      const struct cursor_pos *last, int64_t total, struct http_response *res);

/* How the items of a list become its page. */
struct api_list_items {
	size_t size;                                          /* of an item */
	json_t *(*encode)(const void *item, const void *ctx); /* new reference */
	/* Or, instead, writes the item's JSON straight to o. */
	void (*write)(struct xbuf *o, const void *item, const void *ctx);
	const void *ctx;                    /* for encode or write */
	int64_t (*id_of)(const void *item); /* the id a cursor after it holds */
	void (*clear)(void *item);
};

/* The one list responder: answers what a store list call returned, its
 * failure (about s) or the page of its n items (encoded), the cursor after
 * the last when next_key is not NULL, and total. text is NULL, or the
 * page's text begun by api_page_open in which the store wrote the items
 * (stored summaries: k's encode and write unused). Frees items, next_key
 * and text (steals them, whatever st). */
void api_list_respond(struct http_request *req, const struct api_page *page, enum store_status st,
                      const struct api_store_subject *s, const struct api_list_items *k,
                      void *items, size_t n, char *next_key, int64_t total, struct xbuf *text,
                      struct http_response *res);

/* Answers an empty page (for a search text that can match nothing),
 * checking limit, count and cursor as any page would. */
void api_page_empty(struct http_request *req, const char *scope, struct http_response *res);

/* Fills pos with key and id (the key cut to fit). */
void api_cursor_pos(struct cursor_pos *pos, const char *key, int64_t id);

/* Reads the filters and sort of a meeting list (from, to, kind, country,
 * participant, principle, q, sort) from the query into f, borrowing its
 * strings from req; *match gets the search expression of q (a new string;
 * NULL without q, or when q can match nothing). Returns 0, or -1 after
 * answering 400. */
int api_meeting_filter(struct http_request *req, struct meeting_filter *f, char **match,
                       struct http_response *res);

/* Appends s to f percent-encoded (RFC 3986 unreserved characters kept). */
void api_url_encode(FILE *f, const char *s);

/* ---- api/csv.c: lists as CSV ---- */

enum api_format { API_FORMAT_JSON, API_FORMAT_CSV };

/* The representation a list request asks for: format=csv or format=json
 * decides; without format, CSV only when Accept prefers text/csv to
 * application/json (a tie, as with no Accept or with any/any, is JSON). Any
 * other format is 400: returns -1 after answering. */
int api_list_format(const struct http_request *req, struct http_response *res);

/* Answer every row of a list that f (borrowed; copied for the stream)
 * matches, in its order, as a CSV stream on an export snapshot (see
 * api_export_begin); empty: the search text can match nothing, only the
 * header row goes out. cursor is refused (400): CSV has no pages. */
void api_csv_meetings(struct http_request *req, struct http_response *res,
                      const struct meeting_filter *f, bool empty);
void api_csv_participants(struct http_request *req, struct http_response *res,
                          const struct participant_filter *f);
void api_csv_principles(struct http_request *req, struct http_response *res,
                        const struct principle_filter *f);

/* Helpers for encoders: a JSON string or null (new reference). */
json_t *api_str(const char *s);

/* Copies a JSON string member into a new C string, or NULL. */
char *api_dup(json_t *obj, const char *key);

/* Checks a country member (null/absent ok); on success *out is a new copy. */
void api_country(json_t *obj, const char *key, const char *base, char **out,
                 struct model_problems *p);

/* The slug member: absent or null leaves *out NULL; else it must be valid. */
void api_slug(json_t *obj, const char *base, char **out, struct model_problems *p);

/* The aliases member of a participant or principle: absent or null is [];
 * else an array of at most MODEL_ALIASES_MAX distinct strings of 1 to
 * MODEL_NAME_MAX characters, each problem at its pointer. Returns their
 * compact JSON text (new string), or NULL after problems. */
char *api_aliases(json_t *body, struct model_problems *p);

/* Applies an RFC 7396 merge patch to target (borrowed) and returns the result
 * (new reference). */
json_t *api_merge_patch(json_t *target, json_t *patch);

#endif
