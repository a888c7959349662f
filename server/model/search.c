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
#include "model/rank.h"
#include "model/tokenize.h"
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

static int last_kind(void *ctx, const struct token *t)
{
	*(enum token_kind *)ctx = t->kind;
	return 0;
}

/* True when the last token of the term is a CJK character alone: it is
 * searched as a prefix, so that it finds the pairs it begins. */
static bool ends_in_cjk_single(const struct term *t)
{
	enum token_kind kind = TOKEN_WORD;
	model_tokenize(t->text, t->len, last_kind, &kind);
	return kind == TOKEN_CJK_SINGLE;
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
		if (terms[i].is_or || has_token(terms[i].text, terms[i].len)) {
			if (!terms[i].is_or && ends_in_cjk_single(&terms[i]))
				terms[i].prefix = true;
			kept[k++] = terms[i];
		}
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

/* ---- reading an expression back ---- */

/* Calls fn for each element of an expression as model_search_translate
 * writes it: each term (its text unquoted, in a new string, and whether it
 * is a prefix), and each '(' and ')'. The words AND and OR between them
 * carry no meaning the structure does not: AND joins everything outside
 * parentheses, OR everything inside. */
enum element { ELEMENT_TERM, ELEMENT_OPEN, ELEMENT_CLOSE };
typedef void (*element_fn)(void *ctx, enum element e, const char *text, size_t len, bool prefix);

static void walk_expression(const char *expr, element_fn fn, void *ctx)
{
	size_t n = strlen(expr);
	char *text = xmalloc(n + 1);
	for (size_t i = 0; i < n;) {
		if (expr[i] == '"') {
			size_t len = 0;
			for (i++; i < n; i++) {
				if (expr[i] == '"') {
					if (i + 1 < n && expr[i + 1] == '"')
						i++;
					else
						break;
				}
				text[len++] = expr[i];
			}
			i++; /* the closing quote */
			bool prefix = i < n && expr[i] == '*';
			if (prefix)
				i++;
			text[len] = '\0';
			fn(ctx, ELEMENT_TERM, text, len, prefix);
		} else if (expr[i] == '(') {
			fn(ctx, ELEMENT_OPEN, NULL, 0, false);
			i++;
		} else if (expr[i] == ')') {
			fn(ctx, ELEMENT_CLOSE, NULL, 0, false);
			i++;
		} else {
			i++; /* spaces, AND, OR */
		}
	}
	free(text);
}

/* ---- one string for each term ---- */

/* Makes a term's string (a new one), or NULL when the term has none. */
typedef char *(*term_fn)(const char *text, size_t len, bool prefix);

struct term_strings {
	term_fn make;
	char **items;
	int n, max;
	bool failed;
};

static void term_element(void *ctx, enum element e, const char *text, size_t len, bool prefix)
{
	struct term_strings *t = ctx;
	if (e != ELEMENT_TERM || t->failed)
		return;
	char *item = t->n < t->max ? t->make(text, len, prefix) : NULL;
	if (item)
		t->items[t->n++] = item;
	else
		t->failed = true;
}

/* Stores make's string of each term of expr in items[i] and returns their
 * number; -1, keeping none, when a term has none or expr has more than max. */
static int term_strings(const char *expr, term_fn make, char **items, int max)
{
	struct term_strings t = {.make = make, .items = items, .max = max};
	walk_expression(expr, term_element, &t);
	if (!t.failed)
		return t.n;
	for (int i = 0; i < t.n; i++)
		free(items[i]);
	return -1;
}

static char *phrase_of(const char *text, size_t len, bool prefix)
{
	char *item = xmalloc(len + 2);
	item[0] = prefix ? '*' : '=';
	memcpy(item + 1, text, len);
	item[len + 1] = '\0';
	return item;
}

int model_search_phrases(const char *expr, char **phrases, int max)
{
	return term_strings(expr, phrase_of, phrases, max);
}

/* A term's tokens, separated by spaces (no token holds one). */
struct term_tokens {
	FILE *out;
	size_t tokens;
};

static int term_token(void *ctx, const struct token *t)
{
	struct term_tokens *f = ctx;
	if (f->tokens++)
		fputc(' ', f->out);
	fwrite(t->text, 1, t->len, f->out);
	return 0;
}

/* A term's tier word: its tokens, separated by spaces (a phrase's impact
 * is at most each one's, and the store reads the tiers of one of them);
 * for a prefix, its first token, or for a prefix of one token the prefix's
 * tier word (rank_tier_prefix), or none when it is too short to have one. */
static char *tier_word_of(const char *text, size_t len, bool prefix)
{
	char *words = NULL;
	size_t size = 0;
	struct term_tokens f = {open_memstream(&words, &size), 0};
	model_tokenize(text, len, term_token, &f);
	fclose(f.out);
	if (prefix && f.tokens == 1) {
		char word[RANK_TIER_PREFIX_SIZE];
		int n = rank_tier_prefix(word, sizeof word, words, size);
		free(words);
		return n > 0 ? xstrdup(word) : NULL;
	}
	if (f.tokens == 0) {
		free(words);
		return NULL;
	}
	if (prefix) /* the last token is a prefix: the first bounds the phrase */
		words[strcspn(words, " ")] = '\0';
	return words;
}

int model_search_tier_words(const char *expr, char **words, int max)
{
	return term_strings(expr, tier_word_of, words, max);
}

char *model_search_tier_filter(const char *expr, char *const words[], const bool read[], int n,
                               int from, int to)
{
	char *out = NULL, token[512];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (expr)
		fprintf(f, "(%s) AND (", expr);
	const char *sep = "";
	bool fits = true;
	for (int k = from; k <= to && fits; k++)
		for (int i = 0; i < n && fits; i++) {
			if (!read[i])
				continue;
			fits =
			    rank_tier_token(token, sizeof token, k, words[i], strlen(words[i])) > 0;
			if (fits)
				fprintf(f, "%s\"%s\"", sep, token);
			sep = " OR ";
		}
	if (expr)
		fputc(')', f);
	fclose(f);
	if (!fits || !*sep) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- tsquery ---- */

#define LEXEME_MAX 2047 /* PostgreSQL's longest word */

struct tsquery_writer {
	FILE *out;
	bool any;      /* a part is written at the top level */
	bool in_chain; /* inside an OR chain */
	FILE *chain;   /* the chain's parts, then ")" */
	char *chain_text;
	size_t chain_len;
	int chain_parts;
	FILE *phrase; /* the current term's lexemes */
	int lexemes;
};

static void write_lexeme(FILE *f, const char *s, size_t n)
{
	fputc('\'', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			fputc(s[i], f);
		fputc(s[i], f);
	}
	fputc('\'', f);
}

static int tsquery_token(void *ctx, const struct token *t)
{
	struct tsquery_writer *w = ctx;
	if (t->len > LEXEME_MAX)
		return 0;
	if (w->lexemes++)
		fputs(" <-> ", w->phrase);
	write_lexeme(w->phrase, t->text, t->len);
	return 0;
}

static void tsquery_element(void *ctx, enum element e, const char *text, size_t len, bool prefix)
{
	struct tsquery_writer *w = ctx;
	if (e == ELEMENT_OPEN) {
		w->in_chain = true;
		w->chain_parts = 0;
		w->chain = open_memstream(&w->chain_text, &w->chain_len);
		return;
	}
	if (e == ELEMENT_CLOSE) {
		if (!w->in_chain)
			return;
		w->in_chain = false;
		fclose(w->chain);
		if (w->chain_parts) {
			fprintf(w->out, "%s(%s)", w->any ? " & " : "", w->chain_text);
			w->any = true;
		}
		free(w->chain_text);
		w->chain_text = NULL;
		return;
	}
	char *phrase = NULL;
	size_t phrase_len = 0;
	w->phrase = open_memstream(&phrase, &phrase_len);
	w->lexemes = 0;
	model_tokenize(text, len, tsquery_token, w);
	if (prefix && w->lexemes)
		fputs(":*", w->phrase);
	fclose(w->phrase);
	if (w->lexemes) {
		const char *open = w->lexemes > 1 ? "(" : "", *close = w->lexemes > 1 ? ")" : "";
		if (w->in_chain)
			fprintf(w->chain, "%s%s%s%s", w->chain_parts++ ? " | " : "", open, phrase,
			        close);
		else
			fprintf(w->out, "%s%s%s%s", w->any ? " & " : "", open, phrase, close);
		if (!w->in_chain)
			w->any = true;
	}
	free(phrase);
}

char *model_search_tsquery(const char *expr)
{
	char *out = NULL;
	size_t len = 0;
	struct tsquery_writer w = {.out = open_memstream(&out, &len)};
	walk_expression(expr, tsquery_element, &w);
	if (w.in_chain) { /* unbalanced: not one of ours, but closed all the same */
		fclose(w.chain);
		free(w.chain_text);
	}
	fclose(w.out);
	return out;
}

/* ---- snippets ---- */

struct lexeme {
	char *text;
	size_t len;
	bool prefix;
	bool cjk;   /* a CJK pair or character */
	bool ascii; /* of ASCII letters and digits alone */
};

struct lexemes {
	struct lexeme *items;
	size_t n, cap;
};

static int collect_lexeme(void *ctx, const struct token *t)
{
	struct lexemes *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->items = xrealloc(l->items, l->cap * sizeof *l->items);
	}
	char *copy = xmalloc(t->len);
	memcpy(copy, t->text, t->len);
	bool ascii = true;
	for (size_t k = 0; k < t->len; k++)
		ascii = ascii && (unsigned char)t->text[k] < 0x80;
	l->items[l->n++] = (struct lexeme){copy, t->len, false, t->kind != TOKEN_WORD, ascii};
	return 0;
}

static void collect_element(void *ctx, enum element e, const char *text, size_t len, bool prefix)
{
	struct lexemes *l = ctx;
	if (e != ELEMENT_TERM)
		return;
	size_t first = l->n;
	model_tokenize(text, len, collect_lexeme, l);
	if (prefix && l->n > first)
		l->items[l->n - 1].prefix = true;
}

struct text_token {
	size_t start, end;
	int match; /* 1 + the index of the lexeme it matches, or 0 */
};

struct text_tokens {
	const struct lexemes *lexemes;
	struct text_token *items;
	size_t n, cap;
	bool *found;    /* of each lexeme: one of the text's tokens matches it */
	size_t missing; /* lexemes not found yet */
	size_t words;   /* the window's tokens */
	/* guessed: `base` is a guess, and the reading stops at a first match
	 * with fewer than `words` tokens before it, setting short_before. */
	bool guessed, short_before;
	size_t after; /* tokens still to read once none is missing */
	size_t base;  /* where in the text the tokens read begin */
	/* The second bytes of the lexemes, all of two bytes or more when
	 * `second_of_all`: a token whose second byte none has matches none. */
	bool second[256];
	bool second_of_all;
};

static int collect_text_token(void *ctx, const struct token *t)
{
	struct text_tokens *tt = ctx;
	if (tt->n == tt->cap) {
		tt->cap = tt->cap ? 2 * tt->cap : 64;
		tt->items = xrealloc(tt->items, tt->cap * sizeof *tt->items);
	}
	int match = 0;
	bool none = tt->second_of_all && (t->len < 2 || !tt->second[(unsigned char)t->text[1]]);
	for (size_t i = 0; i < tt->lexemes->n && !match && !none; i++) {
		const struct lexeme *x = &tt->lexemes->items[i];
		if ((x->prefix ? t->len >= x->len : t->len == x->len) &&
		    t->text[x->len - 1] == x->text[x->len - 1] &&
		    memcmp(t->text, x->text, x->len) == 0)
			match = (int)i + 1;
	}
	tt->items[tt->n++] = (struct text_token){tt->base + t->start, tt->base + t->end, match};
	if (tt->missing == 0)
		return --tt->after == 0; /* enough to centre the window on them */
	if (match && !tt->found[match - 1]) {
		if (tt->missing == tt->lexemes->n && tt->guessed && tt->n <= tt->words) {
			tt->short_before = true;
			return 1;
		}
		tt->found[match - 1] = true;
		tt->missing--;
	}
	return 0;
}

/* Reads the tokens of the n bytes of text from base (all again), up to
 * the window's tokens past the first place where each lexeme has matched
 * (a long text need not be read to its end); true when that stopped the
 * reading. */
static bool read_tokens(struct text_tokens *tt, const char *text, size_t n, size_t base,
                        bool guessed)
{
	tt->n = 0;
	tt->base = base;
	tt->missing = tt->lexemes->n;
	tt->guessed = guessed && base > 0;
	tt->short_before = false;
	tt->after = tt->words;
	memset(tt->found, 0, (tt->lexemes->n + 1) * sizeof(bool));
	return model_tokenize(text + base, n - base, collect_text_token, tt) != 0;
}

/* Copies text[from, to) to out, but for U+0001 and U+0002 (the marks);
 * returns the end of what it wrote. */
static char *copy_plain(char *out, const char *text, size_t from, size_t to)
{
	for (; from < to; from++)
		if (text[from] != '\1' && text[from] != '\2')
			*out++ = text[from];
	return out;
}

/* Where the len (at least 2) bytes of x first appear in the n bytes of
 * text; n when they do not. memchr finds their second byte: in CJK text
 * one of the 64 continuation bytes, which no ASCII text holds. */
static size_t find_written(const char *text, size_t n, const char *x, size_t len)
{
	if (n < len)
		return n;
	const char *last = text + n - len + 1; /* the last place of the second byte */
	for (const char *p = text + 1; p <= last; p++) {
		p = memchr(p, (unsigned char)x[1], (size_t)(last - p) + 1);
		if (!p)
			break;
		if (memcmp(p - 1, x, len) == 0)
			return (size_t)(p - 1 - text);
	}
	return n;
}

/* Where the first of the lexemes, all of CJK text (which no case or
 * accent changes), appears as written in the n bytes of text; n when none
 * does. No token matches before it (what comes before it, an English
 * readout before the Chinese one, holds none of them). */
static size_t cjk_first(const char *text, size_t n, const struct lexemes *l)
{
	size_t first = n;
	for (size_t i = 0; i < l->n; i++) {
		const struct lexeme *x = &l->items[i];
		/* before: where one beginning before first ends at the latest */
		size_t before = first + x->len - 1 < n ? first + x->len - 1 : n;
		size_t at = find_written(text, before, x->text, x->len);
		if (at < before)
			first = at;
	}
	return first;
}

/* Where a snippet of the n bytes of text begins to read them, `back`
 * bytes before `first` (a place no match comes before), at the start of
 * a character; 0 when that is the text's beginning. */
static size_t start_back(const char *text, size_t first, size_t back)
{
	if (first <= back)
		return 0;
	size_t at = first - back;
	while (at < first && ((unsigned char)text[at] & 0xC0) == 0x80)
		at++; /* a UTF-8 continuation byte */
	return at;
}

/* Where a snippet of the n bytes of text begins to read them, for lexemes
 * not all of CJK text: a place that leaves before the first match at least
 * the `words` - 1 tokens of a window holding it. Only an ASCII lexeme's
 * letters, or a character outside ASCII in a word (which might fold into
 * any lexeme), can begin a match; before the first of those, tokens are
 * counted back exactly (model_tokens_back). */
static size_t snippet_start(const char *text, size_t n, const struct lexemes *l, size_t words)
{
	size_t end = n;
	for (size_t i = 0; i < l->n; i++) {
		const struct lexeme *x = &l->items[i];
		if (x->ascii)
			end = model_ascii_token_find(text, end, x->text, x->len, x->prefix);
	}
	return model_tokens_back(text, model_first_nonascii_word(text, end), words);
}

static void lexemes_clear(struct lexemes *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].text);
	free(l->items);
}

/* How snippet() reads its text. */
enum snippet_reading {
	READ_SKIPPING, /* from a little before the first match */
	READ_START,    /* the start of a longer text, skipping as above */
	READ_WHOLE     /* from its beginning */
};

/* model_search_snippet; READ_START: more text follows, and the snippet is
 * NULL unless text alone gives it (its reading stopped before its last
 * token). */
static char *snippet(const char *text, const char *expr, size_t words, enum snippet_reading how)
{
	struct lexemes l = {0};
	walk_expression(expr, collect_element, &l);
	if (words == 0)
		words = 1;
	size_t n = strlen(text);
	struct text_tokens tt = {.lexemes = &l,
	                         .found = xmalloc((l.n + 1) * sizeof(bool)),
	                         .words = words,
	                         .second_of_all = true};
	bool cjk = l.n > 0;
	for (size_t i = 0; i < l.n; i++) {
		tt.second_of_all = tt.second_of_all && l.items[i].len >= 2;
		if (l.items[i].len >= 2)
			tt.second[(unsigned char)l.items[i].text[1]] = true;
		cjk = cjk && l.items[i].cjk;
	}
	/* cut: the text was read in part */
	bool cut;
	if (how == READ_WHOLE || l.n == 0) {
		cut = read_tokens(&tt, text, n, 0, false);
	} else if (cjk) {
		/* From a little before the first place a lexeme appears, then
		 * from further back until `words` tokens come before the first
		 * match: a window holding it may begin `words` - 1 tokens
		 * before it, and the first token read may be the end of one. */
		size_t written = cjk_first(text, n, &l), back = 4 * words;
		do {
			cut = read_tokens(&tt, text, n, start_back(text, written, back), true);
			back *= 4;
		} while (tt.short_before);
	} else {
		cut = read_tokens(&tt, text, n, snippet_start(text, n, &l, words), false);
	}
	/* No match at all: the snippet is the text's beginning. */
	if (tt.base > 0 && tt.missing == l.n)
		cut = read_tokens(&tt, text, n, 0, false);
	free(tt.found);
	/* With more text after it, a reading stopped at the text's last token
	 * might not have stopped there, and "…" follows a window ending there. */
	if (how == READ_START && !(cut && tt.items[tt.n - 1].end < n)) {
		lexemes_clear(&l);
		free(tt.items);
		return NULL;
	}
	/* Among those tokens, the window of `words` holding the most distinct
	 * matched lexemes, then the most matches, then with its matches
	 * nearest its middle; the first such. */
	size_t first = 0, last = tt.n; /* tokens [first, last) */
	if (tt.n > words) {
		/* The matched tokens, and the counts of each lexeme among those
		 * of the window [s, s + words) as it slides: [lo_m, hi_m) of at. */
		size_t *at = xmalloc(tt.n * sizeof *at), matched = 0;
		for (size_t k = 0; k < tt.n; k++)
			if (tt.items[k].match)
				at[matched++] = k;
		size_t *count = xcalloc(l.n + 1, sizeof *count);
		size_t distinct = 0, lo_m = 0, hi_m = 0;
		/* Without a match, the first window. */
		size_t best_distinct = 0, best_hits = 0, best_skew = SIZE_MAX;
		for (size_t s = 0; s + words <= tt.n; s++) {
			for (; hi_m < matched && at[hi_m] < s + words; hi_m++)
				if (count[tt.items[at[hi_m]].match]++ == 0)
					distinct++;
			for (; lo_m < hi_m && at[lo_m] < s; lo_m++)
				if (--count[tt.items[at[lo_m]].match] == 0)
					distinct--;
			if (lo_m == hi_m) {
				/* No match: the best window holds one, when there is
				 * one; on to the first holding the next. */
				if (hi_m == matched)
					break;
				s = at[hi_m] - words;
				continue;
			}
			size_t hits = hi_m - lo_m, lo = at[lo_m] - s,
			       hi = s + words - 1 - at[hi_m - 1];
			size_t skew = lo > hi ? lo - hi : hi - lo;
			if (distinct > best_distinct ||
			    (distinct == best_distinct &&
			     (hits > best_hits || (hits == best_hits && skew < best_skew)))) {
				best_distinct = distinct;
				best_hits = hits;
				best_skew = skew;
				first = s;
			}
		}
		free(count);
		free(at);
		last = first + words;
	}
	size_t from = tt.n == 0 ? tt.base : first == 0 && tt.base == 0 ? 0 : tt.items[first].start;
	size_t to = last >= tt.n && !cut ? n : tt.items[last - 1].end;
	/* The window's text, a mark on each side of each of at most `words`
	 * matches, an ellipsis on each side and the NUL. */
	char *out = xmalloc(to - from + 2 * words + 7), *o = out;
	if (from > 0)
		o = stpcpy(o, "…");
	size_t at = from;
	for (size_t k = first; k < last && k < tt.n; k++) {
		if (!tt.items[k].match)
			continue;
		/* A mark over this token and every matched one overlapping or
		 * touching it (CJK pairs overlap). */
		size_t start = tt.items[k].start, end = tt.items[k].end;
		while (k + 1 < last && k + 1 < tt.n && tt.items[k + 1].match &&
		       tt.items[k + 1].start <= end) {
			k++;
			if (tt.items[k].end > end)
				end = tt.items[k].end;
		}
		o = copy_plain(o, text, at, start);
		*o++ = '\1';
		o = copy_plain(o, text, start, end);
		*o++ = '\2';
		at = end;
	}
	o = copy_plain(o, text, at, to);
	strcpy(o, to < n ? "…" : "");
	lexemes_clear(&l);
	free(tt.items);
	return out;
}

char *model_search_snippet(const char *text, const char *expr, size_t words)
{
	return snippet(text, expr, words, READ_SKIPPING);
}

char *model_search_snippet_whole(const char *text, const char *expr, size_t words)
{
	return snippet(text, expr, words, READ_WHOLE);
}

char *model_search_snippet_of_start(const char *start, const char *expr, size_t words)
{
	return snippet(start, expr, words, READ_START);
}

/* ---- the texts of readouts, out of their JSON ---- */

struct json_scan {
	const char *p, *end;
	char *out; /* the texts read so far, or NULL */
	size_t len, cap;
};

static void scan_put(struct json_scan *s, const char *text, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = 2 * (s->len + n + 1);
		s->out = xrealloc(s->out, s->cap);
	}
	memcpy(s->out + s->len, text, n);
	s->len += n;
}

static void scan_space(struct json_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool scan_char(struct json_scan *s, char c)
{
	scan_space(s);
	if (s->p == s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

/* The value of four hex digits at s->p, or -1. */
static long scan_hex4(struct json_scan *s)
{
	if (s->end - s->p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *s->p++;
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The bytes at p (n of them) before the first that ends a run of a JSON
 * string's plain characters: a quote, a backslash or a control character;
 * eight at a time while none of them does. */
static size_t plain_run(const char *p, size_t n)
{
#define EIGHT(b) (0x0101010101010101u * (b))
#define ANY_ZERO(x) (((x)-EIGHT(0x01)) & ~(x)&EIGHT(0x80))
	size_t i = 0;
	for (uint64_t v; n - i >= 8; i += 8) {
		memcpy(&v, p + i, 8);
		if (ANY_ZERO(v ^ EIGHT('"')) | ANY_ZERO(v ^ EIGHT('\\')) |
		    ((v - EIGHT(0x20)) & ~v & EIGHT(0x80)))
			break;
	}
#undef ANY_ZERO
#undef EIGHT
	while (i < n && p[i] != '"' && p[i] != '\\' && (unsigned char)p[i] >= 0x20)
		i++;
	return i;
}

/* Reads the string at s->p, its value appended to the texts when keep;
 * false when it is malformed. */
static bool scan_string(struct json_scan *s, bool keep)
{
	if (!scan_char(s, '"'))
		return false;
	for (;;) {
		const char *run = s->p;
		s->p += plain_run(s->p, (size_t)(s->end - s->p));
		if (keep)
			scan_put(s, run, (size_t)(s->p - run));
		if (s->p == s->end || (unsigned char)*s->p < 0x20)
			return false;
		if (*s->p++ == '"')
			return true;
		if (s->p == s->end)
			return false;
		char c = *s->p++, one = c == 'b'   ? '\b'
		                        : c == 'f' ? '\f'
		                        : c == 'n' ? '\n'
		                        : c == 'r' ? '\r'
		                        : c == 't' ? '\t'
		                                   : c;
		if (c != 'u') {
			if (c == '\0' || !strchr("\"\\/bfnrt", c))
				return false;
			if (keep)
				scan_put(s, &one, 1);
			continue;
		}
		long cp = scan_hex4(s);
		if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
		    s->p[1] == 'u') { /* a surrogate pair */
			const char *back = s->p;
			s->p += 2;
			long low = scan_hex4(s);
			if (low >= 0xDC00 && low < 0xE000)
				cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
			else
				s->p = back;
		}
		if (cp < 0)
			return false;
		char utf8[4];
		size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
		for (size_t i = k - 1; i > 0; i--, cp >>= 6)
			utf8[i] = (char)(0x80 | (cp & 0x3F));
		utf8[0] = (char)(lead[k] | cp);
		if (keep)
			scan_put(s, utf8, k);
	}
}

/* Passes over the value at s->p (depth: the arrays and objects it is in);
 * false when it is malformed. */
static bool scan_skip(struct json_scan *s, int depth)
{
	scan_space(s);
	if (s->p == s->end)
		return false;
	char open = *s->p;
	if (open == '"')
		return scan_string(s, false);
	if (open != '[' && open != '{') { /* a number, true, false or null */
		const char *start = s->p;
		while (s->p < s->end && *s->p && strchr("+-.0123456789Eaeflnrstu", *s->p))
			s->p++;
		return s->p > start;
	}
	if (depth == 64)
		return false;
	s->p++;
	char close = open == '[' ? ']' : '}';
	if (scan_char(s, close))
		return true;
	do {
		if (open == '{' && !(scan_string(s, false) && scan_char(s, ':')))
			return false;
		if (!scan_skip(s, depth + 1))
			return false;
	} while (scan_char(s, ','));
	return scan_char(s, close);
}

char *model_readout_texts(const char *json, size_t n, const char *sep, bool *malformed)
{
	struct json_scan s = {json, json + n, NULL, 0, 0};
	size_t texts = 0, sep_len = strlen(sep);
	bool ok = scan_char(&s, '[');
	if (ok && !scan_char(&s, ']')) {
		do {
			scan_space(&s);
			if (s.p == s.end || *s.p != '{') {
				ok = scan_skip(&s, 1);
				continue;
			}
			s.p++;
			if (scan_char(&s, '}'))
				continue;
			bool taken = false; /* the first member of a name is the one read */
			do {
				scan_space(&s);
				bool text =
				    s.end - s.p > 6 && memcmp(s.p, "\"text\"", 6) == 0 && !taken;
				ok = scan_string(&s, false) && scan_char(&s, ':');
				scan_space(&s);
				taken = taken || text;
				if (ok && text && s.p < s.end && *s.p == '"') {
					if (texts++)
						scan_put(&s, sep, sep_len);
					ok = scan_string(&s, true);
				} else if (ok) {
					ok = scan_skip(&s, 2);
				}
			} while (ok && scan_char(&s, ','));
			ok = ok && scan_char(&s, '}');
		} while (ok && scan_char(&s, ','));
		ok = ok && scan_char(&s, ']');
	}
	scan_space(&s);
	*malformed = !ok || s.p != s.end;
	if (*malformed || texts == 0) {
		free(s.out);
		return NULL;
	}
	scan_put(&s, "", 0); /* the room of the NUL */
	s.out[s.len] = '\0';
	return s.out;
}
