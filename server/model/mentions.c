/*
 * Mentions of entities in a text: folded names found in the folded text,
 * with word boundaries for names that are not CJK, and overlapping matches
 * of one entity counted once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/mentions.h"
#include "model/model.h"
#include "model/xalloc.h"

/* The code point at p (n bytes left; n > 0) and its length; a byte that
 * starts no valid sequence is U+FFFD, one byte long. */
static size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t need = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
	if (need == 0 || need > n) {
		*cp = 0xFFFD;
		return 1;
	}
	uint32_t v = need == 1 ? p[0] : p[0] & (0x7F >> need);
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (p[i] & 0x3F);
	}
	*cp = v;
	return need;
}

/* The code point that ends right before byte i of s (i > 0). */
static uint32_t decode_before(const char *s, size_t i)
{
	size_t start = i - 1;
	while (start > 0 && i - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
		start--;
	uint32_t cp;
	size_t n = decode((const unsigned char *)s + start, i - start, &cp);
	return start + n == i ? cp : 0xFFFD;
}

/* Han ideographs, kana, hangul, bopomofo and their compatibility forms. */
static bool is_cjk(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x2E80 && cp <= 0x2FDF) ||
	       (cp >= 0x3040 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA960 && cp <= 0xA97F) ||
	       (cp >= 0xAC00 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFF66 && cp <= 0xFFDC) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

/* True for a character that continues a word of an alphabetic script:
 * ASCII letters and digits, the letters and marks of Latin, Greek,
 * Cyrillic and the other alphabets, fullwidth letters and digits. Spaces,
 * punctuation, symbols and CJK characters end a word. */
static bool is_word(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
		return false;
	if (cp >= 0x2000 && cp <= 0x2BFF) /* punctuation, symbols, arrows */
		return false;
	if (cp >= 0x3000 && cp <= 0x303F) /* CJK punctuation */
		return false;
	if (cp >= 0xFF00 && cp <= 0xFFEF) /* fullwidth letters and digits only */
		return (cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
		       (cp >= 0xFF41 && cp <= 0xFF5A);
	if (cp == 0xFFFD || is_cjk(cp))
		return false;
	return true;
}

char *model_mention_fold(const char *text)
{
	char *f = model_fold(text);
	size_t n = 0;
	bool space = false;
	for (const char *p = f; *p;) {
		unsigned char c = (unsigned char)*p;
		size_t skip =
		    c == ' ' || c == '\t' || c == '\n' || c == '\r'                           ? 1
		    : c == 0xC2 && (unsigned char)p[1] == 0xA0                                ? 2
		    : c == 0xE3 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x80 ? 3
		                                                                              : 0;
		if (skip) {
			space = true;
			p += skip;
			continue;
		}
		if (space)
			f[n++] = ' ';
		space = false;
		f[n++] = *p++;
	}
	if (space)
		f[n++] = ' ';
	f[n] = '\0';
	return f;
}

void model_mention_matcher_init(struct mention_matcher *m, const struct mention_entity *entities,
                                size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += entities[i].name_count;
	m->patterns = xcalloc(total ? total : 1, sizeof *m->patterns);
	m->pattern_count = 0;
	m->entity_count = n;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < entities[i].name_count; k++) {
			if (!entities[i].names[k])
				continue;
			char *f = model_mention_fold(entities[i].names[k]);
			/* Names are trimmed: a space at their edge is no part of them. */
			char *start = f + (*f == ' ');
			size_t len = strlen(start);
			if (len && start[len - 1] == ' ')
				len--;
			if (len == 0) {
				free(f);
				continue;
			}
			struct mention_pattern *p = &m->patterns[m->pattern_count++];
			p->text = xmalloc(len + 1);
			memcpy(p->text, start, len);
			p->text[len] = '\0';
			free(f);
			p->len = len;
			p->entity = i;
			p->anywhere = false;
			for (size_t b = 0; b < len;) {
				uint32_t cp;
				b += decode((const unsigned char *)p->text + b, len - b, &cp);
				p->anywhere = p->anywhere || is_cjk(cp);
			}
			uint32_t first;
			decode((const unsigned char *)p->text, len, &first);
			p->word_start = is_word(first);
			p->word_end = is_word(decode_before(p->text, len));
		}
	}
}

void model_mention_matcher_clear(struct mention_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->pattern_count; i++)
		free(m->patterns[i].text);
	free(m->patterns);
	m->patterns = NULL;
	m->pattern_count = m->entity_count = 0;
}

/* One place a name matched: bytes [start, end) of the folded text. */
struct span {
	size_t start, end;
};

static int span_order(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end; /* the longest first */
}

/* True when the match at [start, start + p->len) of text (n bytes) is
 * bounded as p asks. */
static bool bounded(const struct mention_pattern *p, const char *text, size_t n, size_t start)
{
	if (p->anywhere)
		return true;
	if (p->word_start && start > 0 && is_word(decode_before(text, start)))
		return false;
	size_t end = start + p->len;
	if (p->word_end && end < n) {
		uint32_t cp;
		decode((const unsigned char *)text + end, n - end, &cp);
		if (is_word(cp))
			return false;
	}
	return true;
}

void model_mentions_count(const struct mention_matcher *m, const char *text, size_t *counts)
{
	if (m->entity_count == 0)
		return;
	memset(counts, 0, m->entity_count * sizeof *counts);
	char *folded = model_mention_fold(text ? text : "");
	size_t n = strlen(folded);
	struct span *spans = NULL;
	size_t used = 0, cap = 0;
	/* Patterns come grouped by entity: the spans of one entity at a time. */
	for (size_t i = 0; i < m->pattern_count;) {
		size_t entity = m->patterns[i].entity;
		used = 0;
		for (; i < m->pattern_count && m->patterns[i].entity == entity; i++) {
			const struct mention_pattern *p = &m->patterns[i];
			const char *at = folded;
			while ((at = memmem(at, n - (size_t)(at - folded), p->text, p->len))) {
				size_t start = (size_t)(at - folded);
				if (bounded(p, folded, n, start)) {
					if (used == cap) {
						cap = cap ? 2 * cap : 16;
						spans = xrealloc(spans, cap * sizeof *spans);
					}
					spans[used++] = (struct span){start, start + p->len};
				}
				at++;
			}
		}
		if (used > 1)
			qsort(spans, used, sizeof *spans, span_order);
		size_t count = 0, taken_end = 0;
		for (size_t k = 0; k < used; k++) {
			if (count && spans[k].start < taken_end)
				continue;
			count++;
			taken_end = spans[k].end;
		}
		counts[entity] += count;
	}
	free(spans);
	free(folded);
}
