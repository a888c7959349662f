/*
 * Allocation wrappers. Every allocation in Readout goes through these, so an
 * out-of-memory condition ends the process with one clear message instead of
 * travelling up through error paths that are never exercised.
 */
#include "model/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports the failed request and aborts; never returns. */
static void out_of_memory(size_t n)
{
	fprintf(stderr, "readout: out of memory (allocating %zu bytes)\n", n);
	abort();
}

/* Returns n bytes (at least one, so malloc(0) never yields NULL). */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

/* Returns count * size zeroed bytes; an overflowing product aborts. */
void *xcalloc(size_t count, size_t size)
{
	if (count == 0 || size == 0)
		return xmalloc(1);
	if (count > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	void *p = calloc(count, size);
	if (!p)
		out_of_memory(count * size);
	return p;
}

/* Resizes p (NULL allowed) to n bytes; the old pointer is no longer valid. */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

/* Copies s; NULL in, NULL out. */
char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *d = xmalloc(n + 1);
	memcpy(d, s, n + 1);
	return d;
}

/* Copies at most n bytes of s, always NUL-terminated; NULL in, NULL out. */
char *xstrndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, n);
	char *d = xmalloc(len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	if (!fmt) /* never: but it tells the compiler's format checks so */
		abort();
	va_list probe;
	va_copy(probe, ap);
	/* The analyzer wrongly thinks a copied va_list parameter is
	 * uninitialized (LLVM bug 41311). */
	int n = vsnprintf(NULL, 0, fmt, probe); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(probe);
	if (n < 0) {
		fprintf(stderr, "readout: bad format string \"%s\"\n", fmt);
		abort();
	}
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void xbuf_reserve(struct xbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = (b->len + more + 1) * 2;
	b->buf = xrealloc(b->buf, b->cap);
}

void xbuf_add(struct xbuf *b, const char *s, size_t n)
{
	if (!n)
		return;
	xbuf_reserve(b, n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}
