/*
 * The request log's buffer (logbuf.h). A flush is one write(2) under the
 * lock: the lines stay whole and in order. A write is given up on a full
 * disk or a closed pipe (what it could not write is dropped): a log must
 * not hold up the answers.
 */
#include "http/logbuf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Writes n bytes of text to stderr, as much as it takes. */
static void write_all(const char *text, size_t n)
{
	for (size_t at = 0; at < n;) {
		ssize_t w = write(STDERR_FILENO, text + at, n - at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		at += (size_t)w;
	}
}

/* Writes out the buffer (under its lock). */
static void flush_locked(struct logbuf *b)
{
	write_all(b->buf, b->len);
	b->len = 0;
}

void logbuf_init(struct logbuf *b)
{
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
}

void logbuf_destroy(struct logbuf *b)
{
	logbuf_flush(b);
	pthread_mutex_destroy(&b->lock);
}

void logbuf_put(struct logbuf *b, const char *line, size_t len, bool urgent)
{
	pthread_mutex_lock(&b->lock);
	if (b->len + len > sizeof b->buf)
		flush_locked(b);
	if (len > sizeof b->buf) {
		write_all(line, len);
	} else {
		memcpy(b->buf + b->len, line, len);
		b->len += len;
		if (urgent)
			flush_locked(b);
	}
	pthread_mutex_unlock(&b->lock);
}

void logbuf_flush(struct logbuf *b)
{
	pthread_mutex_lock(&b->lock);
	if (b->len > 0)
		flush_locked(b);
	pthread_mutex_unlock(&b->lock);
}
