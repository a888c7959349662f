/*
 * bm25 with frozen collection statistics (see rank.h). The formula and its
 * constants are FTS5's (ext/fts5/fts5_aux.c), so a walk's first page ranks
 * exactly as bm25() would at that moment.
 */
#include "model/rank.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenize.h"
#include "model/xalloc.h"

double rank_idf(const struct rank_stats *s, int i)
{
	if (i < 0 || i >= s->phrases)
		return 1.0;
	/* As FTS5: log((N - n + 0.5) / (n + 0.5)), kept positive, so a phrase
	 * in more than half the documents still counts a little. */
	double idf = log(((double)(s->rows - s->hits[i]) + 0.5) / ((double)s->hits[i] + 0.5));
	return idf <= 0.0 ? 1e-6 : idf;
}

int64_t rank_hits_enough(int64_t rows)
{
	return (rows + 1) / 2; /* from there on N - n + 0.5 <= n + 0.5: the idf's log <= 0 */
}

double rank_avgdl(const struct rank_stats *s)
{
	return (double)s->tokens / (double)(s->rows > 0 ? s->rows : 1);
}

double rank_impact(double freq, double doclen, double avgdl)
{
	return freq * RANK_IMPACT_MAX / (freq + RANK_K1 * (1 - RANK_B + RANK_B * doclen / avgdl));
}

double rank_bm25(const double *idf, const double *freq, int n, double doclen, double avgdl)
{
	double score = 0.0;
	for (int i = 0; i < n; i++)
		score += idf[i] * rank_impact(freq[i], doclen, avgdl);
	return -1.0 * score;
}

/* ---- tiers ---- */

static const double tier_floors[RANK_TIERS] = {RANK_TIER_FLOORS};

int rank_tier(double impact)
{
	for (int t = 0; t < RANK_TIERS; t++)
		if (impact >= tier_floors[t])
			return t;
	return -1;
}

double rank_tier_floor(int t)
{
	return tier_floors[t];
}

#define TIER_FORMAT "%c%c%.*s" /* the mark, the tier's letter, the word */
#define TIER_LETTER(t) ('a' + (t))

int rank_tier_token(char *buf, size_t size, int t, const char *word, size_t n)
{
	int len = snprintf(buf, size, TIER_FORMAT, RANK_TIER_MARK, TIER_LETTER(t), (int)n, word);
	return len < 0 || (size_t)len >= size ? -1 : len;
}

/* The distinct words of a meeting with their weighted frequencies: an open
 * addressing table over the words' bytes, kept in one buffer. */
struct word_slot {
	uint32_t hash, len;
	size_t at; /* in words.bytes */
	double freq;
};

struct words {
	struct word_slot *slots; /* cap of them, len 0 when free */
	size_t cap, used;
	char *bytes;
	size_t size, room;
	double weight; /* of the column being read */
	size_t tokens; /* the meeting's length */
};

static uint32_t word_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct word_slot *word_find(struct words *w, const char *s, size_t n, uint32_t h)
{
	size_t i = h & (w->cap - 1);
	while (w->slots[i].len && !(w->slots[i].hash == h && w->slots[i].len == n &&
	                            memcmp(w->bytes + w->slots[i].at, s, n) == 0))
		i = (i + 1) & (w->cap - 1);
	return &w->slots[i];
}

int rank_tier_prefix(char *buf, size_t size, const char *token, size_t n)
{
	size_t len = 0;
	int chars = 0;
	for (; len < n; len++) {
		bool lead = ((unsigned char)token[len] & 0xc0) != 0x80;
		if (lead && chars == RANK_TIER_PREFIX)
			break;
		chars += lead;
	}
	if (chars < RANK_TIER_PREFIX || len + 2 > size)
		return -1;
	buf[0] = '*';
	memcpy(buf + 1, token, len);
	buf[len + 1] = '\0';
	return (int)len + 1;
}

/* Adds the column's weight to the frequency of the word at s (n bytes). */
static void count(struct words *w, const char *s, size_t n)
{
	if (2 * (w->used + 1) > w->cap) { /* grow, keeping the load under a half */
		struct words old = *w;
		w->cap = old.cap ? 2 * old.cap : 256;
		w->slots = xcalloc(w->cap, sizeof *w->slots);
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].len)
				*word_find(w, old.bytes + old.slots[i].at, old.slots[i].len,
				           old.slots[i].hash) = old.slots[i];
		free(old.slots);
	}
	uint32_t h = word_hash(s, n);
	struct word_slot *slot = word_find(w, s, n, h);
	if (!slot->len) {
		if (w->size + n > w->room) {
			w->room = 2 * (w->size + n);
			w->bytes = xrealloc(w->bytes, w->room);
		}
		memcpy(w->bytes + w->size, s, n);
		*slot = (struct word_slot){h, (uint32_t)n, w->size, 0};
		w->size += n;
		w->used++;
	}
	slot->freq += w->weight;
}

/* Counts a token: its word, and its prefix's tier word when it has one. */
static int count_word(void *ctx, const struct token *t)
{
	struct words *w = ctx;
	w->tokens++;
	count(w, t->text, t->len);
	char prefix[RANK_TIER_PREFIX_SIZE];
	int n = rank_tier_prefix(prefix, sizeof prefix, t->text, t->len);
	if (n > 0)
		count(w, prefix, (size_t)n);
	return 0;
}

const double rank_meeting_weights[RANK_MEETING_COLUMNS] = {RANK_MEETING_WEIGHTS};

char *rank_meeting_tiers(const char *const texts[RANK_MEETING_COLUMNS])
{
	struct words w = {0};
	for (int c = 0; c < RANK_MEETING_COLUMNS; c++) {
		w.weight = rank_meeting_weights[c];
		if (texts[c])
			model_tokenize(texts[c], strlen(texts[c]), count_word, &w);
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	for (size_t i = 0; i < w.cap; i++) {
		const struct word_slot *s = &w.slots[i];
		int t = s->len
		            ? rank_tier(rank_impact(s->freq, (double)w.tokens, RANK_MEETING_LENGTH))
		            : -1;
		if (t >= 0)
			fprintf(f, TIER_FORMAT, RANK_TIER_MARK, TIER_LETTER(t), (int)s->len,
			        w.bytes + s->at);
	}
	fclose(f);
	free(w.slots);
	free(w.bytes);
	return out;
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
