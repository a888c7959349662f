/*
 * The response cache: a chained hash table under one mutex, with the
 * entries also on a list in insertion order for eviction. Bodies are copied
 * in and out, so an entry can be dropped while a copy is being sent.
 */
#include "http/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/xalloc.h"

#define CACHE_BUCKETS 4096
#define CACHE_HEADERS_MAX 4 /* ETag, Link, X-Total-Count, ... */
#define CACHE_ENTRY_SHARE 8 /* no entry may take more than 1/8 of the cache */

struct entry {
	char *key;
	size_t key_len;
	uint64_t hash;
	unsigned long gen;
	char *body;
	size_t body_len;
	const char *content_type;
	struct http_header headers[CACHE_HEADERS_MAX];
	size_t header_count;
	struct entry *chain;         /* next in the bucket */
	struct entry *older, *newer; /* insertion order */
};

struct http_cache {
	pthread_mutex_t lock;
	struct entry *buckets[CACHE_BUCKETS];
	struct entry *oldest, *newest;
	size_t bytes, max_bytes;
	atomic_ulong hits, misses;
};

static uint64_t hash_key(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return h;
}

static size_t entry_bytes(const struct entry *e)
{
	return sizeof *e + e->key_len + e->body_len;
}

struct http_cache *http_cache_new(size_t max_bytes)
{
	if (max_bytes == 0)
		return NULL;
	struct http_cache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	c->max_bytes = max_bytes;
	return c;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e->body);
	for (size_t i = 0; i < e->header_count; i++) {
		free(e->headers[i].name);
		free(e->headers[i].value);
	}
	free(e);
}

/* Unlinks e from its bucket and the age list and frees it. Lock held. */
static void drop(struct http_cache *c, struct entry *e)
{
	struct entry **p = &c->buckets[e->hash % CACHE_BUCKETS];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->bytes -= entry_bytes(e);
	entry_free(e);
}

void http_cache_free(struct http_cache *c)
{
	if (!c)
		return;
	while (c->oldest)
		drop(c, c->oldest);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct entry *find(struct http_cache *c, const char *key, size_t len, uint64_t h)
{
	for (struct entry *e = c->buckets[h % CACHE_BUCKETS]; e; e = e->chain)
		if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

bool http_cache_get(struct http_cache *c, const char *key, size_t key_len, unsigned long gen,
                    struct http_response *res)
{
	if (!c)
		return false;
	uint64_t h = hash_key(key, key_len);
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, key, key_len, h);
	if (e && e->gen != gen) {
		drop(c, e);
		e = NULL;
	}
	if (e) {
		char *body = xmalloc(e->body_len + 1);
		memcpy(body, e->body, e->body_len + 1);
		http_set_body(res, 200, e->content_type, body, e->body_len);
		for (size_t i = 0; i < e->header_count; i++)
			http_add_header(res, e->headers[i].name, e->headers[i].value);
	}
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add_explicit(e ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return e != NULL;
}

void http_cache_put(struct http_cache *c, const char *key, size_t key_len, unsigned long gen,
                    const struct http_response *res)
{
	if (!c || res->status != 200 || res->fill || !res->body ||
	    res->header_count > CACHE_HEADERS_MAX ||
	    res->body_len + key_len > c->max_bytes / CACHE_ENTRY_SHARE)
		return;
	struct entry *e = xcalloc(1, sizeof *e);
	e->key = xstrndup(key, key_len);
	e->key_len = key_len;
	e->hash = hash_key(key, key_len);
	e->gen = gen;
	e->body = xmalloc(res->body_len + 1);
	memcpy(e->body, res->body, res->body_len);
	e->body[res->body_len] = '\0';
	e->body_len = res->body_len;
	e->content_type = res->content_type;
	for (size_t i = 0; i < res->header_count; i++) {
		e->headers[i].name = xstrdup(res->headers[i].name);
		e->headers[i].value = xstrdup(res->headers[i].value);
	}
	e->header_count = res->header_count;
	pthread_mutex_lock(&c->lock);
	struct entry *old = find(c, key, key_len, e->hash);
	if (old)
		drop(c, old);
	while (c->oldest && c->bytes + entry_bytes(e) > c->max_bytes)
		drop(c, c->oldest);
	e->chain = c->buckets[e->hash % CACHE_BUCKETS];
	c->buckets[e->hash % CACHE_BUCKETS] = e;
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += entry_bytes(e);
	pthread_mutex_unlock(&c->lock);
}

void http_cache_stats(const struct http_cache *c, unsigned long *hits, unsigned long *misses,
                      size_t *bytes)
{
	struct http_cache *m =
	    (struct http_cache *)c; /* counters and lock change; the cache does not */
	*hits = *misses = *bytes = 0;
	if (!m)
		return;
	*hits = atomic_load(&m->hits);
	*misses = atomic_load(&m->misses);
	pthread_mutex_lock(&m->lock);
	*bytes = m->bytes;
	pthread_mutex_unlock(&m->lock);
}
