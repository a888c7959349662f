/*
 * Request metrics kept by the server: counts by route and status, a latency
 * histogram and open connections, all lock-free counters, rendered as
 * Prometheus text.
 */
#ifndef READOUT_HTTP_METRICS_H
#define READOUT_HTTP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "http/router.h"

#define METRICS_STATUS_SLOTS 23
#define METRICS_BUCKETS 12

struct metrics {
	size_t route_count;     /* rows: one per route, then one for unmatched paths */
	atomic_ulong *requests; /* [(route_count + 1) * METRICS_STATUS_SLOTS] */
	atomic_ulong buckets[METRICS_BUCKETS + 1]; /* last: +Inf */
	atomic_ulong duration_us_sum;
	atomic_long open_connections;
};

void metrics_init(struct metrics *m, size_t route_count);
void metrics_free(struct metrics *m);

/* Counts one request: route index (-1 for none), status, duration. */
void metrics_observe(struct metrics *m, int route, int status, unsigned long duration_us);

/* Appends the Prometheus text to a new string (caller frees). */
char *metrics_render(const struct metrics *m, const struct router *r);

#endif
