/*
 * Prometheus metrics for requests. Counters are relaxed atomics: exact
 * totals, no ordering needed between them.
 */
#include "http/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

static const int status_codes[METRICS_STATUS_SLOTS] = {200, 201, 204, 304, 400, 401, 403, 404,
                                                       405, 406, 408, 409, 412, 413, 414, 415,
                                                       417, 422, 431, 500, 501, 503, 0};
static const double bucket_seconds[METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};

static int status_slot(int status)
{
	for (int i = 0; i < METRICS_STATUS_SLOTS - 1; i++)
		if (status_codes[i] == status)
			return i;
	return METRICS_STATUS_SLOTS - 1;
}

void metrics_init(struct metrics *m, size_t route_count)
{
	memset(m, 0, sizeof *m);
	m->route_count = route_count;
	m->requests = xcalloc((route_count + 1) * METRICS_STATUS_SLOTS, sizeof *m->requests);
}

void metrics_free(struct metrics *m)
{
	if (m)
		free(m->requests);
}

void metrics_observe(struct metrics *m, int route, int status, unsigned long duration_us)
{
	size_t row = route < 0 ? m->route_count : (size_t)route;
	atomic_fetch_add_explicit(
	    &m->requests[row * METRICS_STATUS_SLOTS + (size_t)status_slot(status)], 1,
	    memory_order_relaxed);
	int b = 0;
	while (b < METRICS_BUCKETS && duration_us > bucket_seconds[b] * 1e6)
		b++;
	atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->duration_us_sum, duration_us, memory_order_relaxed);
}

char *metrics_render(const struct metrics *m, const struct router *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		abort();
	fputs("# HELP readout_http_requests_total HTTP requests answered, by route and status.\n"
	      "# TYPE readout_http_requests_total counter\n",
	      f);
	for (size_t row = 0; row <= m->route_count; row++) {
		for (int slot = 0; slot < METRICS_STATUS_SLOTS; slot++) {
			unsigned long n = atomic_load_explicit(
			    &m->requests[row * METRICS_STATUS_SLOTS + (size_t)slot],
			    memory_order_relaxed);
			if (!n)
				continue;
			const char *method = "";
			const char *route = "unmatched";
			if (row < m->route_count) {
				method = http_method_name(r->routes[row].method);
				route = r->routes[row].pattern;
			}
			char status[8];
			if (status_codes[slot])
				snprintf(status, sizeof status, "%d", status_codes[slot]);
			else
				snprintf(status, sizeof status, "other");
			fprintf(f,
			        "readout_http_requests_total{method=\"%s\",route=\"%s\",status=\"%"
			        "s\"} %lu\n",
			        method, route, status, n);
		}
	}
	fputs("# HELP readout_http_request_duration_seconds Time from request to response.\n"
	      "# TYPE readout_http_request_duration_seconds histogram\n",
	      f);
	unsigned long cumulative = 0;
	for (int b = 0; b <= METRICS_BUCKETS; b++) {
		cumulative += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
		if (b < METRICS_BUCKETS)
			fprintf(f, "readout_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
			        bucket_seconds[b], cumulative);
		else
			fprintf(f,
			        "readout_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
			        cumulative);
	}
	fprintf(f, "readout_http_request_duration_seconds_sum %.6f\n",
	        (double)atomic_load_explicit(&m->duration_us_sum, memory_order_relaxed) / 1e6);
	fprintf(f, "readout_http_request_duration_seconds_count %lu\n", cumulative);
	fprintf(f,
	        "# HELP readout_http_open_connections Connections open now.\n"
	        "# TYPE readout_http_open_connections gauge\n"
	        "readout_http_open_connections %ld\n",
	        atomic_load_explicit(&m->open_connections, memory_order_relaxed));
	fclose(f);
	return out;
}
