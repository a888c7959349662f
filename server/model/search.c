/*
 * Search text translation. The input is split into terms (words and quoted
 * phrases); each term is written as an FTS5 string so its characters are
 * only ever tokenized, never parsed; OR chains are parenthesized and joined
 * to the rest with AND.
 */
#include "model/search.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/xalloc.h"

struct term {
	const char *text;
	size_t len;
	bool prefix;
	bool is_or; /* the bare word OR */
};

/* Blocks of symbols and punctuation, which the unicode61 tokenizer treats
 * as separators (it keeps letters, digits and private-use characters). */
static const struct {
	uint32_t first, last;
} separators[] = {
    {0x00A0, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7}, {0x2000, 0x206F},   {0x20A0, 0x20CF},
    {0x2100, 0x214F}, {0x2190, 0x2BFF}, {0x3000, 0x303F}, {0xFE30, 0xFE4F},   {0xFF00, 0xFF0F},
    {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0x1F000, 0x1FAFF},
};

/* Decodes the UTF-8 sequence at p (n bytes left) into *cp; returns its
 * length, or 1 with *cp 0 for a byte that starts no valid sequence. */
static size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (len == 0 || len > n || p[0] > 0xF4) {
		*cp = 0;
		return 1;
	}
	uint32_t v = len == 1 ? p[0] : p[0] & (0x7Fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0;
			return 1;
		}
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	*cp = v;
	return len;
}

/* True when the term holds something the unicode61 tokenizer keeps: an
 * ASCII letter or digit, or a non-ASCII character outside the blocks of
 * symbols and punctuation. */
static bool has_token(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += decode(p + i, n - i, &cp);
		if (cp < 0x80) {
			if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
			    (cp >= 'A' && cp <= 'Z'))
				return true;
			continue;
		}
		bool separator = false;
		for (size_t k = 0; k < sizeof separators / sizeof separators[0] && !separator; k++)
			separator = cp >= separators[k].first && cp <= separators[k].last;
		if (!separator)
			return true;
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Splits q into terms; returns how many (at most max). */
static size_t split(const char *q, struct term *terms, size_t max)
{
	size_t n = 0;
	const char *p = q;
	while (*p && n < max) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		struct term t = {0};
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (close) {
			t.text = p + 1;
			t.len = (size_t)(close - p - 1);
			p = close + 1;
			if (*p == '*') {
				t.prefix = true;
				p++;
			}
			/* Text glued to the closing quote starts a new term. */
		} else {
			const char *start = p;
			while (*p && !is_space(*p))
				p++;
			t.text = start;
			t.len = (size_t)(p - start);
			if (t.len > 1 && t.text[t.len - 1] == '*') {
				t.prefix = true;
				t.len--;
			}
			t.is_or = t.len == 2 && !t.prefix && memcmp(t.text, "OR", 2) == 0;
		}
		terms[n++] = t;
	}
	return n;
}

/* Writes term as an FTS5 string ("..." with quotes doubled), then * for a prefix. */
static void write_term(FILE *f, const struct term *t)
{
	fputc('"', f);
	for (size_t i = 0; i < t->len; i++) {
		if (t->text[i] == '"')
			fputc('"', f);
		fputc(t->text[i], f);
	}
	fputc('"', f);
	if (t->prefix)
		fputc('*', f);
}

enum search_result model_search_translate(const char *q, char **out)
{
	*out = NULL;
	if (model_utf8_length(q) > SEARCH_TEXT_MAX)
		return SEARCH_TOO_LONG;
	size_t max = strlen(q) / 2 + 2;
	struct term *terms = xcalloc(max, sizeof *terms);
	size_t n = split(q, terms, max);
	if (n == 0) {
		free(terms);
		return SEARCH_EMPTY;
	}
	/* Keep terms that can match; an OR is an operator only between two kept
	 * terms, else it is the plain word "or". */
	struct term *kept = xcalloc(n, sizeof *kept);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (terms[i].is_or || has_token(terms[i].text, terms[i].len))
			kept[k++] = terms[i];
	}
	char *expr = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&expr, &len);
	bool any = false;
	for (size_t i = 0; i < k;) {
		if (kept[i].is_or) { /* a leading or doubled OR: the word itself */
			kept[i].is_or = false;
		}
		/* A chain: term (OR term)* */
		size_t end = i + 1;
		while (end + 1 < k && kept[end].is_or && !kept[end + 1].is_or)
			end += 2;
		if (any)
			fputs(" AND ", f);
		any = true;
		if (end > i + 1)
			fputc('(', f);
		for (size_t j = i; j < end; j += 2) {
			if (j > i)
				fputs(" OR ", f);
			write_term(f, &kept[j]);
		}
		if (end > i + 1)
			fputc(')', f);
		i = end;
	}
	fclose(f);
	free(kept);
	free(terms);
	if (!any) {
		free(expr);
		expr = NULL;
	}
	*out = expr;
	return SEARCH_OK;
}
