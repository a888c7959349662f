/*
 * The search tokenizer: one pass over the text that finds each token's byte
 * range, then folds the range into a buffer with the tables generated from
 * SQLite's unicode61 tokenizer (model/unicode_table.c).
 */
#include "model/tokenize.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/unicode_table.h"
#include "model/xalloc.h"

#define INVALID UINT32_MAX

static const struct {
	uint32_t first, last;
} cjk_ranges[] = {
    {0x1100, 0x11FF},   /* Hangul Jamo */
    {0x3040, 0x309F},   /* Hiragana */
    {0x30A0, 0x30FF},   /* Katakana */
    {0x3130, 0x318F},   /* Hangul Compatibility Jamo */
    {0x31F0, 0x31FF},   /* Katakana Phonetic Extensions */
    {0x3400, 0x4DBF},   /* CJK Unified Ideographs Extension A */
    {0x4E00, 0x9FFF},   /* CJK Unified Ideographs */
    {0xA960, 0xA97F},   /* Hangul Jamo Extended-A */
    {0xAC00, 0xD7AF},   /* Hangul Syllables */
    {0xD7B0, 0xD7FF},   /* Hangul Jamo Extended-B */
    {0xF900, 0xFAFF},   /* CJK Compatibility Ideographs */
    {0xFF66, 0xFFDC},   /* Halfwidth Katakana and Hangul */
    {0x1B000, 0x1B16F}, /* Kana Supplement, Kana Extended-A, Small Kana Extension */
    {0x20000, 0x3FFFF}, /* the Supplementary and Tertiary Ideographic Planes */
};

static bool cjk_search(uint32_t cp)
{
	if (cp < cjk_ranges[0].first)
		return false;
	for (size_t i = 0; i < sizeof cjk_ranges / sizeof cjk_ranges[0]; i++)
		if (cp >= cjk_ranges[i].first && cp <= cjk_ranges[i].last)
			return true;
	return false;
}

/* model_utf8_decode, inlined where the tokenizer reads each character. */
static inline size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0];
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if ((b & 0xF0) == 0xE0 && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
		/* Three bytes, as every CJK character of the BMP is: at once. */
		uint32_t v = (b & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
		bool valid = v >= 0x800 && (v < 0xD800 || v > 0xDFFF);
		*cp = valid ? v : INVALID;
		return valid ? 3 : 1;
	}
	size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
	if (len == 0 || len > n || b > 0xF4) {
		*cp = INVALID;
		return 1;
	}
	uint32_t v = b & (0x7Fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = INVALID;
			return 1;
		}
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = INVALID;
		return 1;
	}
	*cp = v;
	return len;
}

size_t model_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	return utf8_decode(p, n, cp);
}

/* An ASCII letter or digit: the word characters below U+0080 (every other
 * ASCII character separates words), told without decoding. */
static const bool ascii_words[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool ascii_word(unsigned char b)
{
	return ascii_words[b];
}

/* An ASCII character folded: by case alone. */
static char ascii_fold(unsigned char b)
{
	return (char)((unsigned char)(b - 'A') < 26 ? b + 32 : b);
}

static enum unicode_class class_search(uint32_t cp)
{
	if (cp < 0x80)
		return ascii_word((unsigned char)cp) ? UNICODE_WORD : UNICODE_SEPARATOR;
	if (cp == INVALID)
		return UNICODE_SEPARATOR;
	size_t lo = 0, hi = unicode_class_run_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < unicode_class_runs[mid].first)
			hi = mid;
		else if (cp > unicode_class_runs[mid].last)
			lo = mid + 1;
		else
			return (enum unicode_class)unicode_class_runs[mid].cls;
	}
	return UNICODE_SEPARATOR;
}

/* The character cp folds into, searched in the runs; 0 when it folds into
 * nothing. */
static uint32_t fold_search(uint32_t cp)
{
	if (cp < 0x80)
		return (unsigned char)ascii_fold((unsigned char)cp);
	size_t lo = 0, hi = unicode_fold_run_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct unicode_fold_run *r = &unicode_fold_runs[mid];
		if (cp < r->first)
			hi = mid;
		else if (cp > r->last)
			lo = mid + 1;
		else if ((cp - r->first) % r->step != 0)
			return cp;
		else
			return r->drop ? 0 : (uint32_t)((int32_t)cp + r->delta);
	}
	return cp;
}

/* What the tokenizer asks of each character of the Basic Multilingual
 * Plane, in one table built at first use (bmp_ready) from the searches
 * above, which still answer for the other planes: a binary search of the
 * runs for each character's class and fold, and a scan of the CJK ranges,
 * were most of the cost of reading CJK text. */
enum { BMP_CLASS = 3, BMP_CJK = 4, BMP_FOLDS = 8 /* into another character, or nothing */ };
static uint8_t bmp[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_build(void)
{
	for (uint32_t cp = 0; cp < 0x10000; cp++)
		bmp[cp] = (uint8_t)(class_search(cp) | (cjk_search(cp) ? BMP_CJK : 0) |
		                    (fold_search(cp) != cp ? BMP_FOLDS : 0));
}

static void bmp_ready(void)
{
	pthread_once(&bmp_once, bmp_build);
}

/* These three read the table: bmp_ready first. */
static enum unicode_class class_of(uint32_t cp)
{
	return cp < 0x10000 ? (enum unicode_class)(bmp[cp] & BMP_CLASS) : class_search(cp);
}

static bool is_cjk(uint32_t cp)
{
	return cp < 0x10000 ? (bmp[cp] & BMP_CJK) != 0 : cjk_search(cp);
}

/* The character cp folds into; 0 when it folds into nothing. */
static uint32_t fold(uint32_t cp)
{
	return cp < 0x10000 && !(bmp[cp] & BMP_FOLDS) ? cp : fold_search(cp);
}

bool model_is_cjk(uint32_t cp)
{
	bmp_ready();
	return is_cjk(cp);
}

static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t model_first_nonascii_word(const char *text, size_t n)
{
	bmp_ready();
	const unsigned char *t = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		if (t[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(t + i, n - i, &cp);
		if (class_of(cp) != UNICODE_SEPARATOR)
			return i;
		i += len;
	}
	return n;
}

size_t model_ascii_token_find(const char *text, size_t n, const char *word, size_t len, bool prefix)
{
	const unsigned char *t = (const unsigned char *)text;
	for (size_t i = 0; i + len <= n; i++) {
		if ((char)(t[i] | 0x20) != word[0] || (i > 0 && ascii_word(t[i - 1])))
			continue; /* not its first letter, or not where a word begins */
		size_t k = 1;
		while (k < len && (char)(t[i + k] | 0x20) == word[k])
			k++;
		if (k == len && (prefix || i + len == n || !ascii_word(t[i + len])))
			return i;
	}
	return n;
}

size_t model_tokens_back(const char *text, size_t at, size_t count)
{
	const unsigned char *t = (const unsigned char *)text;
	while (at > 0 && ascii_word(t[at - 1])) /* to the start of its token */
		at--;
	for (size_t seen = 0; at > 0 && seen < count; seen++) {
		while (at > 0 && !ascii_word(t[at - 1]))
			at--;
		while (at > 0 && ascii_word(t[at - 1]))
			at--;
	}
	return at;
}

struct walk {
	const unsigned char *text;
	token_fn fn;
	void *ctx;
	char small[256];
	char *buf;
	size_t cap;
};

/* The walk's buffer, holding at least need bytes. */
static char *reserve(struct walk *w, size_t need)
{
	if (need > w->cap) {
		if (w->buf != w->small)
			free(w->buf);
		w->cap = need;
		w->buf = xmalloc(need);
	}
	return w->buf;
}

/* Folds the source range [start, end) (whole characters) and hands it to the
 * callback; a range that folds into nothing makes no token. */
static int emit(struct walk *w, size_t start, size_t end, enum token_kind kind)
{
	/* Each character folds into at most 4 bytes, and takes at least 1. */
	char *buf = reserve(w, 4 * (end - start));
	size_t len = 0;
	for (size_t i = start; i < end;) {
		unsigned char b = w->text[i];
		if (b < 0x80) {
			buf[len++] = ascii_fold(b);
			i++;
			continue;
		}
		uint32_t cp;
		i += utf8_decode(w->text + i, end - i, &cp);
		uint32_t f = cp == INVALID ? 0 : fold(cp);
		if (f)
			len += encode(f, buf + len);
	}
	if (len == 0)
		return 0;
	struct token t = {buf, len, start, end, kind};
	return w->fn(w->ctx, &t);
}

/* emit for a word of ASCII letters and digits alone, folded by case. */
static int emit_ascii(struct walk *w, size_t start, size_t end)
{
	size_t len = end - start;
	char *buf = reserve(w, len);
	for (size_t k = 0; k < len; k++)
		buf[k] = ascii_fold(w->text[start + k]);
	struct token t = {buf, len, start, end, TOKEN_WORD};
	return w->fn(w->ctx, &t);
}

int model_tokenize(const char *text, size_t n, token_fn fn, void *ctx)
{
	bmp_ready();
	struct walk w = {.text = (const unsigned char *)text, .fn = fn, .ctx = ctx};
	w.buf = w.small;
	w.cap = sizeof w.small;
	int rc = 0;
	size_t i = 0;
	while (rc == 0 && i < n) {
		if (w.text[i] < 0x80) {
			if (!ascii_word(w.text[i])) {
				i++;
				continue;
			}
			/* A word of ASCII letters and digits, as most are: read
			 * without decoding, unless a character outside ASCII
			 * goes on with it (then it is read below, as any word). */
			size_t start = i;
			while (i < n && ascii_word(w.text[i]))
				i++;
			if (i == n || w.text[i] < 0x80) {
				rc = emit_ascii(&w, start, i);
				continue;
			}
			i = start;
		}
		uint32_t cp;
		size_t len = utf8_decode(w.text + i, n - i, &cp);
		if (class_of(cp) != UNICODE_WORD) {
			i += len;
			continue;
		}
		size_t start = i;
		if (!is_cjk(cp)) {
			/* A word: word characters and diacritics, up to a
			 * separator or a CJK character. */
			i += len;
			while (i < n) {
				if (w.text[i] < 0x80) {
					if (!ascii_word(w.text[i]))
						break;
					i++;
					continue;
				}
				len = utf8_decode(w.text + i, n - i, &cp);
				enum unicode_class c = class_of(cp);
				if (c == UNICODE_SEPARATOR || (c == UNICODE_WORD && is_cjk(cp)))
					break;
				i += len;
			}
			rc = emit(&w, start, i, TOKEN_WORD);
			continue;
		}
		/* A CJK run: each character with the diacritics after it; each
		 * one after the first closes a pair. No CJK character folds into
		 * another (tests/test_model_tokenize.c checks each), so a pair
		 * without diacritics is its source bytes. */
		size_t prev = start, chars = 0, first_end = 0;
		bool prev_same = false;
		while (rc == 0) {
			size_t char_start = i;
			bool same = true;
			i += len;
			while (i < n) {
				len = utf8_decode(w.text + i, n - i, &cp);
				if (class_of(cp) != UNICODE_DIACRITIC)
					break;
				i += len;
				same = false;
			}
			if (chars++ == 0) {
				first_end = i;
			} else if (prev_same && same) {
				struct token t = {(const char *)w.text + prev, i - prev, prev, i,
				                  TOKEN_CJK_PAIR};
				rc = w.fn(w.ctx, &t);
			} else {
				rc = emit(&w, prev, i, TOKEN_CJK_PAIR);
			}
			prev = char_start;
			prev_same = same;
			if (i >= n)
				break;
			/* cp and len are the character at i: the loop above
			 * stopped there. */
			if (!(is_cjk(cp) && class_of(cp) == UNICODE_WORD))
				break;
		}
		if (rc == 0 && chars == 1)
			rc = emit(&w, start, first_end, TOKEN_CJK_SINGLE);
	}
	if (w.buf != w.small)
		free(w.buf);
	return rc;
}
