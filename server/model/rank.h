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
	int64_t rows;   /* documents in the index, at least 1 */
	int64_t tokens; /* their total length in tokens */
	int phrases;    /* phrases whose document count is in hits: the query's
	                 * phrase count, or 0 when it has more than
	                 * RANK_PHRASES_MAX (every phrase then weighs alike) */
	/* Documents holding phrase i; a store may stop counting at
	 * rank_hits_enough(rows). */
	int64_t hits[RANK_PHRASES_MAX];
};

/* The inverse document frequency of phrase i of the query under s, as FTS5's
 * bm25 computes it (never below 1e-6); 1 for a phrase s holds no count of. */
double rank_idf(const struct rank_stats *s, int i);

/* The document count from which on rank_idf gives a phrase the same idf,
 * its least, in an index of `rows` documents: half of them, rounded up. A
 * count may stop there. */
int64_t rank_hits_enough(int64_t rows);

/* The average document length under s. */
double rank_avgdl(const struct rank_stats *s);

/* The bm25 score (lower is better, as FTS5's) of a document of doclen
 * tokens in which phrase i occurs with weighted frequency freq[i], for a
 * query of n phrases with inverse document frequencies idf[i]: minus the
 * sum of idf[i] * rank_impact(freq[i], doclen, avgdl). */
double rank_bm25(const double *idf, const double *freq, int n, double doclen, double avgdl);

/* What a phrase of weighted frequency freq in a document of doclen tokens
 * adds to its score, before its idf: 0 for freq 0, below RANK_IMPACT_MAX,
 * growing with freq and falling with doclen. */
double rank_impact(double freq, double doclen, double avgdl);
#define RANK_K1 1.2                     /* term frequency saturation */
#define RANK_B 0.75                     /* document length normalisation */
#define RANK_IMPACT_MAX (RANK_K1 + 1.0) /* what an impact stays below */

/* ---- tiers: the best documents of a word, found without ranking the rest ----
 *
 * A meeting's score is computed against a fixed reference length
 * (RANK_MEETING_LENGTH) instead of the collection's average, so that what
 * each word of a meeting adds to its score (its impact: rank_impact of the
 * word's weighted frequency) is known when the meeting is written. The
 * full-text index then holds, beside its words, a tier token for each word
 * of high impact: the word with its impact's tier (rank_tier). A search
 * ranks first the meetings holding its words in the highest tier, and stops
 * there when every meeting it did not rank must score below the page (a
 * phrase's impact is at most that of each of its words). */
#define RANK_MEETING_WEIGHTS 10.0, 4.0, 1.0, 1.0 /* title, summary, readout, readouts */
#define RANK_MEETING_COLUMNS 4
#define RANK_MEETING_LENGTH 600.0 /* tokens */
/* RANK_MEETING_WEIGHTS, column by column. */
extern const double rank_meeting_weights[RANK_MEETING_COLUMNS];
/* The tiers: the impacts from which a word has a tier token, highest first.
 * A word of impact x is in the first tier whose floor x reaches. The
 * stored tiers are written with these, the weights and the length: a change
 * to any needs a migration that rebuilds meetings_fts (as 0010 and 0011 do).
 * The top floors sit close under RANK_IMPACT_MAX because a store of short
 * meetings puts much of a common word's meetings above 1.9 (a word in a
 * title of 100 words is at about 2.1): a page of its best must still come
 * from a few of them. */
#define RANK_TIER_FLOORS                                                                          \
	2.15, 2.10, 2.05, 2.00, 1.95, 1.90, 1.85, 1.80, 1.75, 1.70, 1.65, 1.60, 1.50, 1.40, 1.30, \
	    1.25
#define RANK_TIERS 16         /* at most 26: a tier token holds its tier as one letter */
#define RANK_TIER_MARK '\xff' /* begins a tier token (never in valid UTF-8) */

/* The tier of an impact (0 the highest), or -1 for one below every floor. */
int rank_tier(double impact);

/* The lowest impact of tier t. */
double rank_tier_floor(int t);

/* Writes the tier token of `word` (a token of model/tokenize.h, n bytes) in
 * tier t: RANK_TIER_MARK, the letter of t (a for 0), the word. Returns its
 * length, or -1 when it does not fit in size bytes (with its NUL). */
int rank_tier_token(char *buf, size_t size, int t, const char *word, size_t n);

/* Prefix searches have tiers too. The words of a meeting that begin with
 * the same RANK_TIER_PREFIX characters count as one word, written '*' and
 * those characters (the prefix's tier word): the frequencies of its words
 * added up, as a prefix query's phrase adds up its hits. A query prefix of
 * that many characters or more matches only words among them, so the
 * prefix's tier bounds its impact. */
#define RANK_TIER_PREFIX 3
#define RANK_TIER_PREFIX_SIZE (1 + 4 * RANK_TIER_PREFIX + 1) /* '*', UTF-8, NUL */

/* Writes the tier word of the prefixes that begin with `token` (n bytes)
 * into buf: '*' and its first RANK_TIER_PREFIX characters (at most
 * RANK_TIER_PREFIX_SIZE bytes with the NUL). Returns its length, or -1 when
 * the token is shorter or buf (with its NUL) too small. */
int rank_tier_prefix(char *buf, size_t size, const char *token, size_t n);

/* The tier text of a meeting whose RANK_MEETING_COLUMNS texts (NULL for
 * none) are weighted RANK_MEETING_WEIGHTS: the tier token of each distinct
 * word and each prefix's tier word in a tier, one after another (each
 * begins with RANK_TIER_MARK). A new string, "" when none. */
char *rank_meeting_tiers(const char *const texts[RANK_MEETING_COLUMNS]);

/* Writes s as text ("rows,tokens[,hits...]", at most RANK_STATS_TEXT_MAX
 * characters) into buf of size bytes. Returns its length, or -1 when it does
 * not fit. */
int rank_stats_format(const struct rank_stats *s, char *buf, size_t size);

/* Parses the n characters at text, as written by rank_stats_format, into
 * out. Returns 0, or -1 when they are not such text. */
int rank_stats_parse(const char *text, size_t n, struct rank_stats *out /* OUT */);

#endif
