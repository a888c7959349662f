/*
 * Relevance ranking with frozen collection statistics. A score is bm25 as
 * FTS5 computes it, except that the collection's statistics (its number of
 * documents, their total length and each phrase's document count) are not
 * read at each query but given: a walk through a relevance-ordered list
 * freezes them at its first page and ranks every later page with the same
 * ones, so no row's score moves while other rows are added, changed or
 * removed, and the keyset stays valid.
 */
#ifndef READOUT_MODEL_RANK_H
#define READOUT_MODEL_RANK_H

#include <stddef.h>
#include <stdint.h>

/* Phrases whose document counts a walk carries; a query with more ranks
 * every phrase alike (see struct rank_stats). */
#define RANK_PHRASES_MAX 32
/* Longest text of rank_stats_format: two counts and the phrase counts, each
 * at most 19 digits and a comma. */
#define RANK_STATS_TEXT_MAX ((2 + RANK_PHRASES_MAX) * 20)

/* The statistics of one full-text index that scores are computed with. */
struct rank_stats {
	int64_t rows;                   /* documents in the index, at least 1 */
	int64_t tokens;                 /* their total length in tokens */
	int phrases;                    /* phrases whose document count is in hits: the query's
	                                 * phrase count, or 0 when it has more than
	                                 * RANK_PHRASES_MAX (every phrase then weighs alike) */
	int64_t hits[RANK_PHRASES_MAX]; /* documents holding phrase i */
};

/* The inverse document frequency of phrase i of the query under s, as FTS5's
 * bm25 computes it (never below 1e-6); 1 for a phrase s holds no count of. */
double rank_idf(const struct rank_stats *s, int i);

/* The average document length under s. */
double rank_avgdl(const struct rank_stats *s);

/* The bm25 score (lower is better, as FTS5's) of a document of doclen
 * tokens in which phrase i occurs with weighted frequency freq[i], for a
 * query of n phrases with inverse document frequencies idf[i]. */
double rank_bm25(const double *idf, const double *freq, int n, double doclen, double avgdl);

/* Writes s as text ("rows,tokens[,hits...]", at most RANK_STATS_TEXT_MAX
 * characters) into buf of size bytes. Returns its length, or -1 when it does
 * not fit. */
int rank_stats_format(const struct rank_stats *s, char *buf, size_t size);

/* Parses the n characters at text, as written by rank_stats_format, into
 * out. Returns 0, or -1 when they are not such text. */
int rank_stats_parse(const char *text, size_t n, struct rank_stats *out /* OUT */);

#endif
