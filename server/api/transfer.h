/*
 * Import and export, shared by the HTTP handlers and the command line.
 */
#ifndef READOUT_API_TRANSFER_H
#define READOUT_API_TRANSFER_H

#include "http/http.h"
#include "store/store.h"

/* Imports an import document (text of len bytes, not NUL-terminated) and
 * answers in res as POST /v1/import would: 200 with counts, 400, 422 with
 * every problem, or 503. */
void api_import_text(struct store *s, const char *text, size_t len, struct http_response *res);

/* An export in progress: api_export_fill hands out the document in pieces
 * (an http_fill); api_export_close ends it. */
struct api_export;
enum store_status api_export_open(struct store *s, struct api_export **out);
long api_export_fill(void *ctx, char *buf, size_t max);
void api_export_close(void *ctx); /* NULL ok */

#endif
