/*
 * A bounded cache of GET responses. An entry is the status-200 body and
 * headers a handler produced for one request target, tagged with the data
 * generation it was made at; a lookup at any other generation misses (and
 * drops the entry), so a write anywhere makes every older entry unusable.
 * When the cache is full the oldest entries go first.
 */
#ifndef READOUT_HTTP_CACHE_H
#define READOUT_HTTP_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

struct http_cache;

/* A cache of at most max_bytes of bodies; max_bytes 0 disables it (NULL). */
struct http_cache *http_cache_new(size_t max_bytes);
void http_cache_free(struct http_cache *c); /* NULL ok */

/* Fills res from the entry for key made at generation gen; false on a miss. */
bool http_cache_get(struct http_cache *c, const char *key, size_t key_len, unsigned long gen,
                    struct http_response *res);

/* Stores a copy of res (a buffered 200) for key at generation gen. */
void http_cache_put(struct http_cache *c, const char *key, size_t key_len, unsigned long gen,
                    const struct http_response *res);

/* Counters for /metrics. */
void http_cache_stats(const struct http_cache *c, unsigned long *hits, unsigned long *misses,
                      size_t *bytes);

#endif
