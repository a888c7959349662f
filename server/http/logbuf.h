/*
 * The request log's buffer: whole lines gathered and written to stderr
 * together, a write(2) for many requests instead of one each. A line is
 * out within LOGBUF_FLUSH_MS (the server's watcher flushes the buffer),
 * at once when it is urgent (an error); nothing is held past a flush.
 */
#ifndef READOUT_HTTP_LOGBUF_H
#define READOUT_HTTP_LOGBUF_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* A write of at most PIPE_BUF bytes to a pipe is never interleaved with
 * another process's or thread's, so a flush cannot cut a line in two for
 * whatever else writes to the same stderr. */
#define LOGBUF_SIZE PIPE_BUF
#define LOGBUF_FLUSH_MS 100 /* the longest a line waits */

struct logbuf {
	pthread_mutex_t lock;
	char buf[LOGBUF_SIZE];
	size_t len;
};

void logbuf_init(struct logbuf *b);
void logbuf_destroy(struct logbuf *b); /* flushes first */

/* Adds one line of len bytes (ending in '\n'); writes the buffer out when
 * the line does not fit, and afterwards when urgent. A line longer than
 * the buffer is written on its own. */
void logbuf_put(struct logbuf *b, const char *line, size_t len, bool urgent);

/* Writes out what the buffer holds; the server calls it every
 * LOGBUF_FLUSH_MS. */
void logbuf_flush(struct logbuf *b);

#endif
