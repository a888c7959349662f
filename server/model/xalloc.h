/*
 * Allocation wrappers: allocation failure aborts the process with a message,
 * so callers never carry untested NULL branches.
 */
#ifndef READOUT_MODEL_XALLOC_H
#define READOUT_MODEL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Each returns new memory owned by the caller (free with free()). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vprintf into a new string; ap is consumed. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A text that grows as it is written: len bytes in buf (malloc'd, cap
 * bytes, the writer's to free), with room for a terminator past them once
 * anything is written. Start it as {0}. */
struct xbuf {
	char *buf;
	size_t len, cap;
};
/* Room for more bytes past len (and one for a terminator). */
void xbuf_reserve(struct xbuf *b, size_t more);
/* Appends the n bytes of s. */
void xbuf_add(struct xbuf *b, const char *s, size_t n);

#endif
