/*
 * Import and export, shared by the HTTP handlers and the command line.
 */
#ifndef READOUT_API_TRANSFER_H
#define READOUT_API_TRANSFER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "http/http.h"
#include "store/store.h"

/* Imports an import document (text of len bytes, not NUL-terminated) and
 * answers in res as POST /v1/import would: 200 with counts, 400, 422 with
 * every problem, or 503. */
void api_import_text(struct store *s, const char *text, size_t len, struct http_response *res);

/* A stream on an export's read snapshot: api_export_fill hands out what
 * its producer (next) encodes, piece by piece (an http_fill);
 * api_export_close ends it. The export document is one producer; a CSV
 * list (api/csv.c) is another, over the same snapshot, slots and time
 * limit. */
struct api_export {
	struct store_export *x;
	atomic_int *open_count; /* the app's count of open exports, or NULL */
	int64_t deadline_ms;    /* monotonic ms when the stream is cut; 0: never */
	/* Encodes the next piece into buf (api_export_put); sets done with
	 * the last piece, failed on a store failure. */
	void (*next)(struct api_export *e);
	void *producer; /* next's state, freed with producer_free (may be NULL) */
	void (*producer_free)(void *producer);
	int phase;  /* the export document's part */
	bool first; /* no item of the current list written yet */
	char *buf;  /* encoded text not yet handed out */
	size_t len, off;
	bool done, failed;
};

/* Opens an export of s producing the export document. */
enum store_status api_export_open(struct store *s, struct api_export **out);
long api_export_fill(void *ctx, char *buf, size_t max);
void api_export_close(void *ctx); /* NULL ok */

/* Hands text (owned, NULL for nothing) to the stream as its next piece. */
void api_export_put(struct api_export *e, char *text);

/* An export for a request: takes one of the app's export slots (503 with
 * Retry-After past --max-exports) and opens its snapshot, with the
 * --export-timeout deadline. NULL after filling res. */
struct api_export *api_export_begin(struct http_request *req, struct http_response *res);

/* Answers 200 with e streamed as content_type, an attachment named
 * filename; e is the response's from now on. */
void api_export_stream(struct api_export *e, struct http_response *res, const char *content_type,
                       const char *filename);

#endif
