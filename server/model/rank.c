/*
 * bm25 with frozen collection statistics (see rank.h). The formula and its
 * constants are FTS5's (ext/fts5/fts5_aux.c), so a walk's first page ranks
 * exactly as bm25() would at that moment.
 */
#include "model/rank.h"

#include <math.h>
#include <stdio.h>

#define RANK_K1 1.2 /* term frequency saturation */
#define RANK_B 0.75 /* document length normalisation */

double rank_idf(const struct rank_stats *s, int i)
{
	if (i < 0 || i >= s->phrases)
		return 1.0;
	/* As FTS5: log((N - n + 0.5) / (n + 0.5)), kept positive, so a phrase
	 * in more than half the documents still counts a little. */
	double idf = log(((double)(s->rows - s->hits[i]) + 0.5) / ((double)s->hits[i] + 0.5));
	return idf <= 0.0 ? 1e-6 : idf;
}

double rank_avgdl(const struct rank_stats *s)
{
	return (double)s->tokens / (double)(s->rows > 0 ? s->rows : 1);
}

double rank_bm25(const double *idf, const double *freq, int n, double doclen, double avgdl)
{
	double score = 0.0;
	for (int i = 0; i < n; i++)
		score += idf[i] * ((freq[i] * (RANK_K1 + 1.0)) /
		                   (freq[i] + RANK_K1 * (1 - RANK_B + RANK_B * doclen / avgdl)));
	return -1.0 * score;
}

int rank_stats_format(const struct rank_stats *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%lld,%lld", (long long)s->rows, (long long)s->tokens);
	if (n < 0 || (size_t)n >= size)
		return -1;
	size_t len = (size_t)n;
	for (int i = 0; i < s->phrases; i++) {
		n = snprintf(buf + len, size - len, ",%lld", (long long)s->hits[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += (size_t)n;
	}
	return (int)len;
}

/* Reads a count (decimal digits, at most INT64_MAX) from *p (before end),
 * advancing *p. Returns 0 or -1. */
static int read_count(const char **p, const char *end, int64_t *out)
{
	int64_t v = 0;
	const char *start = *p;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		int d = **p - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p == start)
		return -1;
	*out = v;
	return 0;
}

int rank_stats_parse(const char *text, size_t n, struct rank_stats *out)
{
	const char *p = text, *end = text + n;
	struct rank_stats s = {0};
	if (read_count(&p, end, &s.rows) || s.rows < 1 || p == end || *p++ != ',' ||
	    read_count(&p, end, &s.tokens))
		return -1;
	while (p < end) {
		if (s.phrases == RANK_PHRASES_MAX || *p++ != ',' ||
		    read_count(&p, end, &s.hits[s.phrases]))
			return -1;
		s.phrases++;
	}
	*out = s;
	return 0;
}
