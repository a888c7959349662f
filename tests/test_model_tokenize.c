/*
 * Unit and property tests for model/tokenize.h, the search tokenizer both
 * backends index and query with. SQLite's own unicode61 tokenizer
 * (remove_diacritics 2), reached through the FTS5 API, is the reference:
 * every code point alone and inside a word folds and splits as unicode61
 * has it, Latin text tokenizes exactly as unicode61 does, and on random
 * text mixing ASCII, accented Latin, combining marks, other scripts,
 * punctuation, digits, CJK and emoji the tokens are those of a naive
 * reference: unicode61's words, each cut where CJK characters begin and
 * end, the CJK parts made into overlapping pairs written out one by one.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenize.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TOKENS_MAX 256

struct tok {
	char text[256];
	size_t len, start, end;
	enum token_kind kind;
};

struct toks {
	struct tok items[TOKENS_MAX];
	size_t n;
};

static int collect(void *ctx, const struct token *t)
{
	struct toks *out = ctx;
	ck_assert_uint_lt(out->n, TOKENS_MAX);
	ck_assert_uint_lt(t->len, sizeof out->items[0].text);
	struct tok *k = &out->items[out->n++];
	memcpy(k->text, t->text, t->len);
	k->text[t->len] = '\0';
	k->len = t->len;
	k->start = t->start;
	k->end = t->end;
	k->kind = t->kind;
	return 0;
}

/* The tokens are collected in out (emptied first), which is returned. */
static struct toks *model_tokens_in(struct toks *out, const char *s, size_t n)
{
	out->n = 0;
	ck_assert_int_eq(model_tokenize(s, n, collect, out), 0);
	return out;
}

static struct toks got_buf, want_buf, word_buf, part_buf;
#define model_tokens(s, n) model_tokens_in(&got_buf, s, n)
#define u61_tokens(s, n) u61_tokens_in(&want_buf, s, n)

/* ---- unicode61, through the FTS5 API ---- */

static sqlite3 *db;
static fts5_tokenizer u61;
static Fts5Tokenizer *u61_instance;

static void u61_open(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	ck_assert_ptr_nonnull(api);
	void *ud = NULL;
	ck_assert_int_eq(api->xFindTokenizer(api, "unicode61", &ud, &u61), SQLITE_OK);
	const char *args[] = {"remove_diacritics", "2"};
	ck_assert_int_eq(u61.xCreate(ud, args, 2, &u61_instance), SQLITE_OK);
}

static void u61_close(void)
{
	u61.xDelete(u61_instance);
	sqlite3_close(db);
}

static int u61_collect(void *ctx, int flags, const char *text, int len, int start, int end)
{
	(void)flags;
	struct token t = {text, (size_t)len, (size_t)start, (size_t)end, TOKEN_WORD};
	return collect(ctx, &t);
}

static struct toks *u61_tokens_in(struct toks *out, const char *s, size_t n)
{
	out->n = 0;
	ck_assert_int_eq(
	    u61.xTokenize(u61_instance, out, FTS5_TOKENIZE_DOCUMENT, s, (int)n, u61_collect),
	    SQLITE_OK);
	return out;
}

/* ---- the naive reference ---- */

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

/* True when unicode61 makes a word of the character at s (len bytes) alone. */
static bool u61_word_char(const char *s, size_t len)
{
	return u61_tokens_in(&part_buf, s, len)->n == 1;
}

/* Appends to out the one token unicode61 makes of text[start, end). */
static void add_whole(struct toks *out, const char *text, size_t start, size_t end,
                      enum token_kind kind)
{
	struct toks *t = u61_tokens_in(&part_buf, text + start, end - start);
	ck_assert_uint_eq(t->n, 1);
	struct tok k = t->items[0];
	k.start = start;
	k.end = end;
	k.kind = kind;
	ck_assert_uint_lt(out->n, TOKENS_MAX);
	out->items[out->n++] = k;
}

/* unicode61's words, each cut into CJK and other parts (a combining mark
 * goes with the character before it), the CJK parts paired. */
static struct toks *reference_tokens(const char *text, size_t n)
{
	struct toks *words = u61_tokens_in(&word_buf, text, n);
	struct toks *out = &want_buf;
	out->n = 0;
	for (size_t w = 0; w < words->n; w++) {
		/* The word's characters, each with the marks after it. */
		size_t starts[512], ends[512];
		bool cjk[512];
		size_t chars = 0;
		for (size_t i = words->items[w].start; i < words->items[w].end;) {
			uint32_t cp;
			size_t len = model_utf8_decode((const unsigned char *)text + i, n - i, &cp);
			bool word = u61_word_char(text + i, len);
			if (word || chars == 0) {
				ck_assert_uint_lt(chars, 512);
				starts[chars] = i;
				cjk[chars] = word && model_is_cjk(cp);
				chars++;
			}
			ends[chars - 1] = i + len;
			i += len;
		}
		for (size_t i = 0; i < chars;) {
			size_t j = i;
			while (j < chars && cjk[j] == cjk[i])
				j++;
			if (!cjk[i])
				add_whole(out, text, starts[i], ends[j - 1], TOKEN_WORD);
			else if (j - i == 1)
				add_whole(out, text, starts[i], ends[i], TOKEN_CJK_SINGLE);
			else
				for (size_t k = i; k + 1 < j; k++)
					add_whole(out, text, starts[k], ends[k + 1],
					          TOKEN_CJK_PAIR);
			i = j;
		}
	}
	return out;
}

static void assert_same(const struct toks *got, const struct toks *want, const char *text,
                        bool kinds)
{
	for (size_t i = 0; i < got->n && i < want->n; i++) {
		const struct tok *g = &got->items[i], *w = &want->items[i];
		ck_assert_msg(
		    g->len == w->len && memcmp(g->text, w->text, g->len) == 0 &&
		        g->start == w->start && g->end == w->end && (!kinds || g->kind == w->kind),
		    "token %zu of [%s]: got [%s] %zu-%zu kind %d, want [%s] %zu-%zu kind %d", i,
		    text, g->text, g->start, g->end, g->kind, w->text, w->start, w->end, w->kind);
	}
	ck_assert_msg(got->n == want->n, "[%s]: %zu tokens, want %zu", text, got->n, want->n);
}

/* ---- unit tests ---- */

struct expect {
	const char *text;
	const char *tokens; /* "text@start-end" separated by spaces; kinds: + pair, = single */
};

static const struct expect expectations[] = {
    {"和平共处", "+和平@0-6 +平共@3-9 +共处@6-12"},
    {"和", "=和@0-3"},
    {"和 平", "=和@0-3 =平@4-7"},
    {"坚持和平共处五项原则",
     "+坚持@0-6 +持和@3-9 +和平@6-12 +平共@9-15 +共处@12-18 +处五@15-21 +五项@18-24 "
     "+项原@21-27 +原则@24-30"},
    {"Xi和平共处", "xi@0-2 +和平@2-8 +平共@5-11 +共处@8-14"},
    {"Xi 和平，Biden", "xi@0-2 +和平@3-9 biden@12-17"},
    {"Šefčovič", "sefcovic@0-11"},
    {"Café MÜLLER", "cafe@0-5 muller@6-13"},
    {"e\xcc\x81te", "ete@0-5"}, /* a combining acute inside a word */
    {"\xcc\x81"
     "a",
     "a@2-3"},                     /* ... starts none */
    {"和\xcc\x81平", "+和平@0-8"}, /* ... and goes with a CJK character */
    {"サプライチェーン", "+サプ@0-6 +プラ@3-9 +ライ@6-12 +イチ@9-15 +チェ@12-18 +ェー@15-21 "
                         "+ーン@18-24"},
    {"ｶﾀｶﾅ", "+ｶﾀ@0-6 +ﾀｶ@3-9 +ｶﾅ@6-12"}, /* halfwidth katakana */
    {"평화와 안정", "+평화@0-6 +화와@3-9 +안정@10-16"},
    {"ひらがな・カタカナ", "+ひら@0-6 +らが@3-9 +がな@6-12 +カタ@15-21 +タカ@18-24 +カナ@21-27"},
    {"豈更", "+豈更@0-6"}, /* compatibility ideographs */
    {"㐀㐁", "+㐀㐁@0-6"}, /* extension A */
    {"a\xff"
     "b\xc3",
     "a@0-1 b@2-3"},  /* invalid bytes separate */
    {"\xe5\x92", ""}, /* a truncated character */
    {"😀 peace, 1984!", "peace@5-10 1984@12-16"},
    {"", ""},
};

static void format_tokens(const struct toks *t, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct tok *k = &t->items[i];
		used += (size_t)snprintf(out + used, size - used, "%s%s%s@%zu-%zu", i ? " " : "",
		                         k->kind == TOKEN_CJK_PAIR     ? "+"
		                         : k->kind == TOKEN_CJK_SINGLE ? "="
		                                                       : "",
		                         k->text, k->start, k->end);
	}
}

START_TEST(test_expectations)
{
	for (size_t i = 0; i < COUNT(expectations); i++) {
		const struct expect *e = &expectations[i];
		struct toks *t = model_tokens(e->text, strlen(e->text));
		char got[1024];
		format_tokens(t, got, sizeof got);
		ck_assert_msg(strcmp(got, e->tokens) == 0, "[%s]: got [%s], want [%s]", e->text,
		              got, e->tokens);
	}
}
END_TEST

static int stop_at_second(void *ctx, const struct token *t)
{
	(void)t;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

START_TEST(test_callback_stops)
{
	int calls = 0;
	ck_assert_int_eq(model_tokenize("one two three", 13, stop_at_second, &calls), 42);
	ck_assert_int_eq(calls, 2);
	calls = 0;
	ck_assert_int_eq(model_tokenize("和平共处", 12, stop_at_second, &calls), 42);
	ck_assert_int_eq(calls, 2);
}
END_TEST

static int long_token(void *ctx, const struct token *t)
{
	ck_assert_uint_eq(t->len, 1500);
	ck_assert_uint_eq(t->start, 0);
	ck_assert_uint_eq(t->end, 3000);
	for (size_t i = 0; i < t->len; i++)
		ck_assert_int_eq(t->text[i], 'e');
	++*(int *)ctx;
	return 0;
}

START_TEST(test_long_token)
{
	/* Longer than the tokenizer's own buffer: one token, whole, folded. */
	char text[3001];
	for (int i = 0; i < 1500; i++)
		memcpy(text + 2 * i, "\xc3\x89", 2); /* É */
	text[3000] = '\0';
	int calls = 0;
	ck_assert_int_eq(model_tokenize(text, 3000, long_token, &calls), 0);
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(test_is_cjk)
{
	static const uint32_t yes[] = {0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0xF900, 0x3042,  0x30AB,
	                               0xFF76, 0xAC00, 0xD7A3, 0x1100, 0x3131, 0x20000, 0x2F800};
	static const uint32_t no[] = {'a', 0xE9, 0x3000, 0x3001, 0x2FFF, 0xFF01, 0xFF21, 0x1F600};
	for (size_t i = 0; i < COUNT(yes); i++)
		ck_assert_msg(model_is_cjk(yes[i]), "U+%04X", yes[i]);
	for (size_t i = 0; i < COUNT(no); i++)
		ck_assert_msg(!model_is_cjk(no[i]), "U+%04X", no[i]);
}
END_TEST

/* ---- against unicode61 ---- */

/* Every code point, alone and between two letters, folds and splits as
 * unicode61 has it (the generated tables are current). */
START_TEST(test_every_code_point)
{
	u61_open();
	for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		char text[8];
		text[0] = 'a';
		size_t len = encode(cp, text + 1);
		text[1 + len] = 'b';
		/* Alone: the same token or none, whatever the script. */
		struct toks *got = model_tokens(text + 1, len), *want = u61_tokens(text + 1, len);
		ck_assert_msg(got->n == want->n &&
		                  (got->n == 0 || (got->items[0].len == want->items[0].len &&
		                                   memcmp(got->items[0].text, want->items[0].text,
		                                          got->items[0].len) == 0)),
		              "U+%04X alone", cp);
		/* Between letters, outside CJK: the same tokens. */
		if (!model_is_cjk(cp)) {
			got = model_tokens(text, len + 2);
			want = u61_tokens(text, len + 2);
			char name[16];
			snprintf(name, sizeof name, "a U+%04X b", cp);
			assert_same(got, want, name, false);
		}
	}
	u61_close();
}
END_TEST

/* No CJK word character folds into another: the tokenizer hands a pair
 * without diacritics over as its source bytes. */
START_TEST(test_cjk_folds_into_itself)
{
	for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
		if (!model_is_cjk(cp) || (cp >= 0xD800 && cp <= 0xDFFF))
			continue;
		char text[4];
		size_t len = encode(cp, text);
		struct toks *got = model_tokens(text, len);
		ck_assert_msg(got->n == 0 || (got->items[0].len == len &&
		                              memcmp(got->items[0].text, text, len) == 0),
		              "U+%04X folds into another character", cp);
	}
}
END_TEST

/* Characters the random texts are made of, by kind. */
static const uint32_t pool_ascii[] = {'a',  'b',  'e', 'z', 'A', 'Q', 'Z',  '0', '7', '9',
                                      ' ',  ' ',  ' ', '-', '.', ',', '\'', '"', '*', '_',
                                      '\t', '\n', '<', '&', '(', ')', ':',  '/', '@', '#'};
static const uint32_t pool_latin[] = {0xE9,   0xC9,   0xFC,   0xDC,  0xDF,   0xF8,   0xE6,
                                      0x160,  0x161,  0x10D,  0x107, 0x142,  0x141,  0x1E9E,
                                      0x1EF3, 0x2C6F, 0xFB01, 0x1F1, 0x130,  0x131,  0xAA,
                                      0xBA,   0xB5,   0xB2,   0xBD,  0xFF21, 0xFF41, 0xFF10};
static const uint32_t pool_marks[] = {0x300, 0x301, 0x308, 0x30C, 0x327, 0x332,  0x345,
                                      0x36F, 0x483, 0x591, 0x64B, 0x93C, 0x3099, 0x309A};
static const uint32_t pool_scripts[] = {
    0x3B1, 0x391,  0x3AC,  0x3C9,   0x430,  0x410,  0x439,  0x451,  0x5D0,  0x627, 0x915,
    0xE01, 0x10D0, 0x13A0, 0x1D400, 0x2160, 0x2460, 0xE000, 0xF8FF, 0x2070, 0x660, 0x6F0};
static const uint32_t pool_cjk[] = {0x548C,  0x5E73, 0x5171, 0x5904, 0x4E94, 0x9879, 0x539F,
                                    0x5219,  0x4E00, 0x9FA5, 0x3400, 0xF900, 0xFA0E, 0x20000,
                                    0x2A6D6, 0x3042, 0x3093, 0x30A2, 0x30F3, 0x30FC, 0x30FB,
                                    0x31F0,  0xFF66, 0xFF9D, 0xFF9E, 0xAC00, 0xD55C, 0xD7A3,
                                    0x1100,  0x11A8, 0x3131, 0xFFA1, 0x3005, 0x3007, 0x309D};
static const uint32_t pool_symbols[] = {
    0x1F600, 0x1F44D, 0x1F1FA, 0x2764, 0xFE0F, 0x200D, 0x20AC, 0xA9,   0xAB,   0xBB, 0x2014, 0x2026,
    0x201C,  0x3000,  0x3001,  0x3002, 0xFF0C, 0xFF01, 0xA0,   0x200B, 0xFEFF, 0x7F, 0x1,    0x85};

struct pool {
	const uint32_t *cps;
	size_t n;
};

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A random text of up to 40 characters from the pools in use. */
static size_t random_text(char *out, const struct pool *pools, size_t npools)
{
	size_t len = 0, chars = 1 + rnd(40);
	for (size_t i = 0; i < chars; i++) {
		const struct pool *p = &pools[rnd((uint32_t)npools)];
		len += encode(p->cps[rnd((uint32_t)p->n)], out + len);
	}
	out[len] = '\0';
	return len;
}

#define POOL(a)             \
	{                   \
		a, COUNT(a) \
	}

/* Text without CJK: exactly unicode61's tokens. */
START_TEST(test_latin_is_unicode61)
{
	u61_open();
	const struct pool pools[] = {POOL(pool_ascii), POOL(pool_ascii),   POOL(pool_latin),
	                             POOL(pool_marks), POOL(pool_scripts), POOL(pool_symbols)};
	char text[256];
	for (int i = 0; i < 20000; i++) {
		size_t n = random_text(text, pools, COUNT(pools));
		struct toks *got = model_tokens(text, n), *want = u61_tokens(text, n);
		assert_same(got, want, text, false);
	}
	u61_close();
}
END_TEST

/* model_utf8_decode of every three bytes led by E0 to EF, and of those
 * cut short, against RFC 3629 read plainly: a valid character is its
 * code point and length, anything else one invalid byte. */
START_TEST(test_decode_three_bytes)
{
	for (unsigned lead = 0xE0; lead <= 0xEF; lead++) {
		for (unsigned b1 = 0; b1 < 256; b1++) {
			for (unsigned b2 = 0; b2 < 256; b2++) {
				const unsigned char p[3] = {(unsigned char)lead, (unsigned char)b1,
				                            (unsigned char)b2};
				uint32_t v =
				    (lead & 0x0Fu) << 12 | (b1 & 0x3Fu) << 6 | (b2 & 0x3Fu);
				bool whole = (b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 &&
				             v >= 0x800 && !(v >= 0xD800 && v <= 0xDFFF);
				/* Cut short (once for each b1): invalid. */
				for (size_t n = b2 == 0x80 ? 1 : 3; n <= 3; n++) {
					bool valid = whole && n == 3;
					uint32_t cp;
					ck_assert_uint_eq(model_utf8_decode(p, n, &cp),
					                  valid ? 3 : 1);
					ck_assert_uint_eq(cp, valid ? v : UINT32_MAX);
				}
			}
		}
	}
}
END_TEST

/* Any text: the naive reference's tokens, kinds included. */
START_TEST(test_mixed_is_reference)
{
	u61_open();
	const struct pool pools[] = {POOL(pool_ascii),   POOL(pool_latin),  POOL(pool_marks),
	                             POOL(pool_scripts), POOL(pool_cjk),    POOL(pool_cjk),
	                             POOL(pool_cjk),     POOL(pool_symbols)};
	char text[256];
	for (int i = 0; i < 20000; i++) {
		size_t n = random_text(text, pools, COUNT(pools));
		struct toks *got = model_tokens(text, n), *want = reference_tokens(text, n);
		assert_same(got, want, text, true);
	}
	u61_close();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model_tokenize");
	TCase *unit = tcase_create("unit");
	tcase_add_test(unit, test_expectations);
	tcase_add_test(unit, test_callback_stops);
	tcase_add_test(unit, test_long_token);
	tcase_add_test(unit, test_is_cjk);
	tcase_add_test(unit, test_decode_three_bytes);
	suite_add_tcase(s, unit);
	TCase *property = tcase_create("unicode61");
	tcase_set_timeout(property, 120);
	tcase_add_test(property, test_every_code_point);
	tcase_add_test(property, test_cjk_folds_into_itself);
	tcase_add_test(property, test_latin_is_unicode61);
	tcase_add_test(property, test_mixed_is_reference);
	suite_add_tcase(s, property);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
