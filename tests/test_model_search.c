/*
 * Unit tests for model/search.h: the translation of search text into an FTS5
 * expression. A table of nasty inputs, each with the exact expression (or
 * result) it must give, every expected expression run against a real FTS5
 * table, a few matching checks, and a property test over 10,000 random byte
 * strings whose translations must never make FTS5 report an error. Then
 * model/rank.h: the frozen statistics' text and the bm25 rules.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rank.h"
#include "model/search.h"
#include "model/tokenize.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Repeated text, as string literals, for the length boundary rows. */
#define X10(s) s s s s s s s s s s
#define X100(s) X10(s) X10(s) X10(s) X10(s) X10(s) X10(s) X10(s) X10(s) X10(s) X10(s)
#define X500(s) X100(s) X100(s) X100(s) X100(s) X100(s)

struct translate_case {
	const char *in;
	const char *want; /* the exact FTS5 expression, or NULL */
	enum search_result result;
};

/* Expressions are written with \" for the FTS5 string quotes. */
static const struct translate_case cases[] = {
    /* Plain words, ANDed. */
    {"peace", "\"peace\"", SEARCH_OK},
    {"mutual respect", "\"mutual\" AND \"respect\"", SEARCH_OK},
    {"  padded\t words \n", "\"padded\" AND \"words\"", SEARCH_OK},
    {"José Müller", "\"José\" AND \"Müller\"", SEARCH_OK},
    {"1984", "\"1984\"", SEARCH_OK},
    /* Characters FTS5 would read as syntax stay inside the string. */
    {"Franco-German", "\"Franco-German\"", SEARCH_OK},
    {"col:x", "\"col:x\"", SEARCH_OK},
    {"title:peace", "\"title:peace\"", SEARCH_OK},
    {"x:y:z", "\"x:y:z\"", SEARCH_OK},
    {"a:", "\"a:\"", SEARCH_OK},
    {"NEAR(", "\"NEAR(\"", SEARCH_OK},
    {"NEAR(a b)", "\"NEAR(a\" AND \"b)\"", SEARCH_OK},
    {"NEAR(a b, 5)", "\"NEAR(a\" AND \"b,\" AND \"5)\"", SEARCH_OK},
    {")(", NULL, SEARCH_OK},
    {"(a)", "\"(a)\"", SEARCH_OK},
    {"{a}", "\"{a}\"", SEARCH_OK},
    {"AND", "\"AND\"", SEARCH_OK},
    {"a AND b", "\"a\" AND \"AND\" AND \"b\"", SEARCH_OK},
    {"NOT a", "\"NOT\" AND \"a\"", SEARCH_OK},
    {"a NOT b", "\"a\" AND \"NOT\" AND \"b\"", SEARCH_OK},
    {"^a", "\"^a\"", SEARCH_OK},
    {"+a", "\"+a\"", SEARCH_OK},
    {"-a", "\"-a\"", SEARCH_OK},
    {"a*b", "\"a*b\"", SEARCH_OK},
    /* Prefixes. */
    {"*", NULL, SEARCH_OK},
    {"prefix*", "\"prefix\"*", SEARCH_OK},
    {"a* b**", "\"a\"* AND \"b*\"*", SEARCH_OK},
    {"会谈 北京*", "\"会谈\" AND \"北京\"*", SEARCH_OK},
    /* Quotes: phrases, prefix phrases, unbalanced and inner quotes. */
    {"\"double quoted phrase\"", "\"double quoted phrase\"", SEARCH_OK},
    {"\"phrase\"*", "\"phrase\"*", SEARCH_OK},
    {"\"two words\"*", "\"two words\"*", SEARCH_OK},
    {"\"a OR b\"", "\"a OR b\"", SEARCH_OK},
    {"\"unbalanced", "\"\"\"unbalanced\"", SEARCH_OK},
    {"say \"hi", "\"say\" AND \"\"\"hi\"", SEARCH_OK},
    {"a\"b", "\"a\"\"b\"", SEARCH_OK},
    {"x\"y\"z", "\"x\"\"y\"\"z\"", SEARCH_OK},
    {"\"a\"b", "\"a\" AND \"b\"", SEARCH_OK},
    {"\"a\"\"b\"", "\"a\" AND \"b\"", SEARCH_OK},
    {"\"\"", NULL, SEARCH_OK},
    {"\"", NULL, SEARCH_OK},
    {"\"\"\"", NULL, SEARCH_OK},
    /* OR. */
    {"a OR b", "(\"a\" OR \"b\")", SEARCH_OK},
    {"a OR b OR c d", "(\"a\" OR \"b\" OR \"c\") AND \"d\"", SEARCH_OK},
    {"d a OR b", "\"d\" AND (\"a\" OR \"b\")", SEARCH_OK},
    {"\"a b\" OR c*", "(\"a b\" OR \"c\"*)", SEARCH_OK},
    {"\"a\" OR \"b\"", "(\"a\" OR \"b\")", SEARCH_OK},
    {"OR a", "\"OR\" AND \"a\"", SEARCH_OK},
    {"a OR", "\"a\" AND \"OR\"", SEARCH_OK},
    {"a OR ---", "\"a\" AND \"OR\"", SEARCH_OK},
    {"OR", "\"OR\"", SEARCH_OK},
    {"OR OR", "\"OR\" AND \"OR\"", SEARCH_OK},
    {"a OR OR b", "\"a\" AND (\"OR\" OR \"b\")", SEARCH_OK},
    {"a or b", "\"a\" AND \"or\" AND \"b\"", SEARCH_OK},
    {"a Or b", "\"a\" AND \"Or\" AND \"b\"", SEARCH_OK},
    {"a OR* b", "\"a\" AND \"OR\"* AND \"b\"", SEARCH_OK},
    /* Empty, blank, too long (characters, not bytes). */
    {"", NULL, SEARCH_EMPTY},
    {"   ", NULL, SEARCH_EMPTY},
    {" \t\n\r\f\v ", NULL, SEARCH_EMPTY},
    {X500("a"), "\"" X500("a") "\"", SEARCH_OK},
    {X500("a") "a", NULL, SEARCH_TOO_LONG},
    {X500("é"), "\"" X500("é") "\"", SEARCH_OK},
    {X500("é") "é", NULL, SEARCH_TOO_LONG},
    {X500("北"), "\"" X500("北") "\"", SEARCH_OK},
    {X500("北") "北", NULL, SEARCH_TOO_LONG},
    {X100("ab ") X100("cd "), NULL, SEARCH_TOO_LONG},
    /* Scripts and symbols. */
    {"北京", "\"北京\"", SEARCH_OK},
    {"a\302\240b", "\"a\302\240b\"", SEARCH_OK}, /* a no-break space joins */
    {"😀", NULL, SEARCH_OK},                      /* no letter or digit: dropped */
    {"peace 😀", "\"peace\"", SEARCH_OK},         /* ... so it cannot empty the result */
    {"€", NULL, SEARCH_OK},                      /* a currency sign is no letter either */
    /* Punctuation only. */
    {"---", NULL, SEARCH_OK},
    {"***", NULL, SEARCH_OK},
    {"-", NULL, SEARCH_OK},
    {"“”", NULL, SEARCH_OK},
    {"«»", NULL, SEARCH_OK},
    {"\xef\xbc\x81", NULL, SEARCH_OK}, /* fullwidth ! */
    {"peace ---", "\"peace\"", SEARCH_OK},
    {"'; DROP TABLE x; --", "\"DROP\" AND \"TABLE\" AND \"x;\"", SEARCH_OK},
    {"\"; DROP TABLE x; --", "\"DROP\" AND \"TABLE\" AND \"x;\"", SEARCH_OK},
    /* Control characters and backslashes are literal text. */
    {"\x01", NULL, SEARCH_OK},
    {"\x7f", NULL, SEARCH_OK},
    {"a\001b", "\"a\001b\"", SEARCH_OK},
    {"\x1b[31mred", "\"\x1b[31mred\"", SEARCH_OK},
    {"a\\b", "\"a\\b\"", SEARCH_OK},
    {"\\", NULL, SEARCH_OK},
    {"\\\"", NULL, SEARCH_OK},
    {"a\\\"", "\"a\\\"\"\"", SEARCH_OK},
};

/* An in-memory FTS5 table like the store's, with a few rows. */
static sqlite3 *open_fts(void)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	const char *sql =
	    "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2');"
	    "INSERT INTO t (x) VALUES ('José Müller met the Franco-German delegation'),"
	    "('mutual respect, peaceful coexistence and win-win cooperation'),"
	    "('北京 会谈 举行'),"
	    "('a b c d OR or and NOT near'),"
	    "('The one-China policy; col: x \"quoted\" text'),"
	    "('prefix phrase double quoted phrase');";
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "setup: %s", err ? err : "?");
	return db;
}

/* Runs SELECT count(*) ... MATCH expr. Returns the count, or -1 after
 * copying SQLite's message into err. */
static long long match_count(sqlite3 *db, const char *expr, char *err, size_t err_size)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	if (n < 0)
		snprintf(err, err_size, "rc %d: %s", rc, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/* The input, printable, for failure messages (static buffer). */
static const char *shown(const char *s)
{
	static char buf[1024];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 8 < sizeof buf; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
	return buf;
}

static const char *result_name(enum search_result r)
{
	switch (r) {
	case SEARCH_OK:
		return "SEARCH_OK";
	case SEARCH_EMPTY:
		return "SEARCH_EMPTY";
	case SEARCH_TOO_LONG:
		return "SEARCH_TOO_LONG";
	}
	return "(not a result)";
}

/* What an out-parameter holds before the call, to catch one left unset. */
static char unset[] = "unset";

/* One row of the table: the exact result and expression, and the expected
 * expression is one FTS5 accepts. */
START_TEST(test_translate_table)
{
	const struct translate_case *c = &cases[_i];
	char *out = unset;
	enum search_result r = model_search_translate(c->in, &out);
	ck_assert_msg(out != unset, "row %d [%s]: *out left unset", _i, shown(c->in));
	ck_assert_msg(r == c->result, "row %d [%s]: result %s, want %s", _i, shown(c->in),
	              result_name(r), result_name(c->result));
	if (c->want) {
		ck_assert_msg(out != NULL, "row %d [%s]: no expression, want %s", _i, shown(c->in),
		              c->want);
		ck_assert_msg(strcmp(out, c->want) == 0, "row %d [%s]: got %s, want %s", _i,
		              shown(c->in), out, c->want);
	} else {
		ck_assert_msg(out == NULL, "row %d [%s]: got %s, want no expression", _i,
		              shown(c->in), out);
	}
	free(out);
	if (c->want) {
		sqlite3 *db = open_fts();
		char err[256];
		long long n = match_count(db, c->want, err, sizeof err);
		ck_assert_msg(n >= 0, "row %d: FTS5 refuses %s: %s", _i, c->want, err);
		sqlite3_close(db);
	}
}
END_TEST

/* A second call gives the same answer: no state survives between calls. */
START_TEST(test_translate_repeatable)
{
	for (size_t i = 0; i < COUNT(cases); i++) {
		char *a = NULL, *b = NULL;
		enum search_result ra = model_search_translate(cases[i].in, &a);
		enum search_result rb = model_search_translate(cases[i].in, &b);
		ck_assert_int_eq(ra, rb);
		ck_assert_msg((a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0),
		              "[%s]: %s then %s", shown(cases[i].in), a ? a : "NULL",
		              b ? b : "NULL");
		free(a);
		free(b);
	}
}
END_TEST

/* What the expressions find: the search rules of API.md section 4 at the
 * FTS5 level. */
struct match_case {
	const char *in;
	long long want; /* rows of open_fts's table */
};

static const struct match_case matches[] = {
    {"jose muller", 1},
    {"MULLER", 1},
    {"JOSÉ", 1},
    {"muller respect", 0},    /* words are ANDed */
    {"muller OR respect", 2}, /* OR */
    {"franco german", 1},     /* Franco-German is two tokens */
    {"\"german franco\"", 0}, /* phrase order matters */
    {"\"franco german\"", 1},
    {"\"double quoted\"", 1},
    {"\"quoted double\"", 0},
    {"coex*", 1},              /* prefix */
    {"coex", 0},               /* no prefix: whole tokens only */
    {"\"peaceful coex\"*", 1}, /* a prefix phrase */
    {"OR", 1},                 /* the bare word */
    {"near", 1},
    {"col:x", 1}, /* the tokens col and x */
    {"北京", 1},
    {"one-China", 1},
    {"a OR OR zzz", 1}, /* a AND (or OR zzz) */
};

START_TEST(test_translate_matches)
{
	sqlite3 *db = open_fts();
	for (size_t i = 0; i < COUNT(matches); i++) {
		char *expr = NULL;
		ck_assert_int_eq(model_search_translate(matches[i].in, &expr), SEARCH_OK);
		ck_assert_msg(expr != NULL, "[%s]: no expression", matches[i].in);
		char err[256];
		long long n = match_count(db, expr, err, sizeof err);
		ck_assert_msg(n == matches[i].want, "[%s] as %s: %lld rows, want %lld (%s)",
		              matches[i].in, expr, n, matches[i].want, n < 0 ? err : "ok");
		free(expr);
	}
	sqlite3_close(db);
}
END_TEST

/* ---- property test ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* Appends the UTF-8 encoding of cp (not a surrogate, <= 0x10FFFF). */
static size_t put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A code point from a block chosen at random: ASCII, Latin-1, combining
 * marks, general punctuation, CJK, private use, emoji, the rest. */
static uint32_t random_code_point(void)
{
	static const uint32_t blocks[][2] = {
	    {0x20, 0x7E},       {0x01, 0x1F},       {0xA0, 0xFF},       {0x300, 0x36F},
	    {0x2000, 0x206F},   {0x3000, 0x303F},   {0x4E00, 0x9FFF},   {0xE000, 0xF8FF},
	    {0xFF00, 0xFFEF},   {0x1F300, 0x1FAFF}, {0x20000, 0x2A6DF}, {0x80, 0xD7FF},
	    {0xE000, 0x10FFFF},
	};
	size_t b = rng_below(COUNT(blocks));
	return blocks[b][0] + (uint32_t)rng_below(blocks[b][1] - blocks[b][0] + 1);
}

/* Pieces of search syntax, FTS5 syntax and awkward bytes. */
static const char *const pieces[] = {
    "\"",
    "\"",
    "*",
    "OR",
    "OR",
    "or",
    "AND",
    "NOT",
    "NEAR",
    "NEAR(",
    "(",
    ")",
    ":",
    "^",
    "+",
    "-",
    ",",
    " ",
    " ",
    " ",
    "\t",
    "peace",
    "a",
    "b",
    "é",
    "Müller",
    "北京",
    "😀",
    "\\",
    "'",
    "{",
    "}",
    "col:",
    "x*",
    "\"a b\"",
    "\xff",
    "\xc3",
    "\xe4\xb8",
    "\xf0\x9f",
    "\x80",
    "\xed\xa0\x80",
    "\xc0\xaf",
    "\x01",
    "\x7f",
    "“",
    "”",
    "\xc2\xa0",
    "\xcc\x81",
    "\xef\xbf\xbd",
};

/* Fills buf (NUL-terminated, no inner NUL) with a random input of one of
 * three shapes; *valid_utf8 tells whether it is valid UTF-8 by construction.
 * Returns the number of characters when valid_utf8. */
static size_t random_input(char *buf, size_t cap, int shape, bool *valid_utf8)
{
	/* Mostly short, sometimes around and over the 500-character limit. */
	size_t want = rng_below(8) == 0 ? 400 + rng_below(200) : rng_below(40);
	size_t n = 0, chars = 0;
	*valid_utf8 = shape == 1;
	while (chars < want && n + 16 < cap) {
		if (shape == 0) { /* arbitrary bytes but NUL */
			buf[n++] = (char)(1 + rng_below(255));
		} else if (shape == 1) { /* valid UTF-8 */
			n += put_utf8((unsigned char *)buf + n, random_code_point());
		} else { /* syntax soup */
			const char *p = pieces[rng_below(COUNT(pieces))];
			size_t len = strlen(p);
			memcpy(buf + n, p, len);
			n += len;
		}
		chars++;
	}
	buf[n] = '\0';
	return chars;
}

static bool all_space(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\n\r\f\v", *s))
			return false;
	return true;
}

#define PROPERTY_RUNS 10000

START_TEST(test_translate_property)
{
	const char *seed_env = getenv("SEARCH_PROPERTY_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5EA2C4ULL;
	rng_state = seed ? seed : 1;
	sqlite3 *db = open_fts();
	static char buf[4096];
	int ok = 0, nulls = 0, empty = 0, too_long = 0;
	for (int i = 0; i < PROPERTY_RUNS; i++) {
		bool valid;
		size_t chars = random_input(buf, sizeof buf, i % 3, &valid);
		char *expr = unset;
		enum search_result r = model_search_translate(buf, &expr);
		ck_assert_msg(expr != unset, "seed %#llx run %d: *out left unset",
		              (unsigned long long)seed, i);
		ck_assert_msg(r == SEARCH_OK || r == SEARCH_EMPTY || r == SEARCH_TOO_LONG,
		              "seed %#llx run %d [%s]: result %d", (unsigned long long)seed, i,
		              shown(buf), (int)r);
		if (r != SEARCH_OK)
			ck_assert_msg(expr == NULL, "seed %#llx run %d: expression with result %s",
			              (unsigned long long)seed, i, result_name(r));
		if (valid)
			ck_assert_msg((r == SEARCH_TOO_LONG) == (chars > SEARCH_TEXT_MAX),
			              "seed %#llx run %d: %zu characters gave %s",
			              (unsigned long long)seed, i, chars, result_name(r));
		if (r == SEARCH_EMPTY)
			ck_assert_msg(all_space(buf), "seed %#llx run %d [%s]: empty but not blank",
			              (unsigned long long)seed, i, shown(buf));
		if (r == SEARCH_OK && all_space(buf))
			ck_abort_msg("seed %#llx run %d: blank text accepted",
			             (unsigned long long)seed, i);
		if (r == SEARCH_OK && expr) {
			char err[256];
			long long n = match_count(db, expr, err, sizeof err);
			ck_assert_msg(n >= 0, "seed %#llx run %d [%s] as [%s]: %s",
			              (unsigned long long)seed, i, shown(buf), shown(expr), err);
			ok++;
		} else if (r == SEARCH_OK) {
			nulls++;
		} else if (r == SEARCH_EMPTY) {
			empty++;
		} else {
			too_long++;
		}
		if (r == SEARCH_OK)
			free(expr);
	}
	sqlite3_close(db);
	/* The generator reached every outcome, so the checks above ran. */
	ck_assert_int_gt(ok, PROPERTY_RUNS / 2);
	ck_assert_int_gt(nulls, 0);
	ck_assert_int_gt(empty, 0);
	ck_assert_int_gt(too_long, 0);
}
END_TEST

/* ---- model/rank.h ---- */

START_TEST(test_rank_stats_round_trip)
{
	struct rank_stats s = {.rows = 1000000, .tokens = 987654321, .phrases = 3};
	s.hits[0] = 0;
	s.hits[1] = 12;
	s.hits[2] = 999999;
	char buf[RANK_STATS_TEXT_MAX + 1];
	int n = rank_stats_format(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "1000000,987654321,0,12,999999");
	ck_assert_int_eq(n, (int)strlen(buf));
	struct rank_stats back;
	ck_assert_int_eq(rank_stats_parse(buf, (size_t)n, &back), 0);
	ck_assert_int_eq(back.rows, s.rows);
	ck_assert_int_eq(back.tokens, s.tokens);
	ck_assert_int_eq(back.phrases, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(back.hits[i], s.hits[i]);
	/* Only the first n characters count. */
	ck_assert_int_eq(rank_stats_parse("5,40:junk", 4, &back), 0);
	ck_assert_int_eq(back.rows, 5);
	ck_assert_int_eq(back.phrases, 0);
	/* The most phrases, with the longest counts, fit the maximum text. */
	struct rank_stats big = {
	    .rows = INT64_MAX, .tokens = INT64_MAX, .phrases = RANK_PHRASES_MAX};
	for (int i = 0; i < RANK_PHRASES_MAX; i++)
		big.hits[i] = INT64_MAX;
	n = rank_stats_format(&big, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(rank_stats_parse(buf, (size_t)n, &back), 0);
	ck_assert_int_eq(back.hits[RANK_PHRASES_MAX - 1], INT64_MAX);
	ck_assert_int_eq(rank_stats_format(&big, buf, 10), -1);
}
END_TEST

START_TEST(test_rank_stats_parse_refuses)
{
	static const char *const bad[] = {
	    "",      "5",     "5,",    ",5",      "0,10",
	    "-1,10", "5,-1",  "5,10,", "5,10,,1", "5,10,x",
	    "5,1e3", " 5,10", "5,10 ", "5;10",    "9223372036854775808,1", /* INT64_MAX + 1 */
	};
	struct rank_stats out;
	for (size_t i = 0; i < COUNT(bad); i++)
		ck_assert_msg(rank_stats_parse(bad[i], strlen(bad[i]), &out) == -1, "accepted [%s]",
		              bad[i]);
	char many[RANK_STATS_TEXT_MAX * 2] = "5,10";
	for (int i = 0; i <= RANK_PHRASES_MAX; i++)
		strcat(many, ",1");
	ck_assert_int_eq(rank_stats_parse(many, strlen(many), &out), -1);
}
END_TEST

START_TEST(test_rank_rules)
{
	struct rank_stats s = {.rows = 100, .tokens = 1000, .phrases = 2};
	s.hits[0] = 10;
	s.hits[1] = 90;
	/* FTS5's idf, never below 1e-6; 1 for a phrase without a count. */
	ck_assert_double_eq_tol(rank_idf(&s, 0), 2.1539745935424026, 1e-12);
	ck_assert_double_eq(rank_idf(&s, 1), 1e-6);
	ck_assert_double_eq(rank_idf(&s, 2), 1.0);
	ck_assert_double_eq(rank_avgdl(&s), 10.0);
	/* More hits or a shorter document scores better (lower). */
	double idf[1] = {rank_idf(&s, 0)};
	double one[1] = {1}, three[1] = {3};
	ck_assert(rank_bm25(idf, three, 1, 10, 10) < rank_bm25(idf, one, 1, 10, 10));
	ck_assert(rank_bm25(idf, one, 1, 5, 10) < rank_bm25(idf, one, 1, 50, 10));
	ck_assert_double_eq(rank_bm25(idf, (double[]){0}, 1, 10, 10), -0.0);
	/* From half the rows on (rounded up), every count has the least idf,
	 * and none below: the SQLite store stops counting there. */
	for (int64_t rows = 1; rows <= 1001; rows++) {
		struct rank_stats t = {.rows = rows, .tokens = rows, .phrases = 1};
		for (t.hits[0] = 0; t.hits[0] <= rows; t.hits[0]++)
			ck_assert_msg((rank_idf(&t, 0) == 1e-6) == (t.hits[0] >= (rows + 1) / 2),
			              "rows %lld, hits %lld: idf %g", (long long)rows,
			              (long long)t.hits[0], rank_idf(&t, 0));
	}
}
END_TEST

/* Whether a tier text holds word's tier token of tier t, whole. */
static bool holds_tier_token(const char *tiers, int t, const char *word)
{
	char token[64];
	ck_assert_int_gt(rank_tier_token(token, sizeof token, t, word, strlen(word)), 0);
	size_t n = strlen(token);
	for (const char *p = tiers; (p = strstr(p, token)); p++)
		if (p[n] == '\0' || p[n] == RANK_TIER_MARK)
			return true;
	return false;
}

/* A meeting's tier tokens: each word, and each prefix of three characters
 * its words begin with, whose impact reaches a tier's floor, in the first
 * such tier, once; the others have none. */
START_TEST(test_rank_tiers)
{
	ck_assert_int_eq(rank_tier(RANK_IMPACT_MAX), 0);
	ck_assert_int_eq(rank_tier(rank_tier_floor(0)), 0);
	ck_assert_int_eq(rank_tier(nextafter(rank_tier_floor(0), 0)), 1);
	ck_assert_int_eq(rank_tier(rank_tier_floor(RANK_TIERS - 1)), RANK_TIERS - 1);
	ck_assert_int_eq(rank_tier(nextafter(rank_tier_floor(RANK_TIERS - 1), 0)), -1);
	ck_assert_int_eq(rank_tier(0), -1);
	char token[16];
	ck_assert_int_eq(rank_tier_token(token, sizeof token, 2, "peace", 5), 7);
	ck_assert_mem_eq(token,
	                 "\xff"
	                 "cpeace",
	                 8);
	ck_assert_int_eq(rank_tier_token(token, 6, 2, "peace", 5), -1);
	/* A prefix's tier word: '*' and its first three characters. */
	char word[16];
	ck_assert_int_eq(rank_tier_prefix(word, sizeof word, "peace", 5), 4);
	ck_assert_str_eq(word, "*pea");
	ck_assert_int_eq(rank_tier_prefix(word, sizeof word, "pea", 3), 4);
	ck_assert_int_eq(rank_tier_prefix(word, sizeof word, "pe", 2), -1);
	ck_assert_int_eq(rank_tier_prefix(word, sizeof word, "ünïcode", 9), 6);
	ck_assert_str_eq(word, "*ünï");
	ck_assert_int_eq(rank_tier_prefix(word, sizeof word, "和平共处", 12), 10);
	ck_assert_str_eq(word, "*和平共");
	ck_assert_int_eq(rank_tier_prefix(word, 4, "peace", 5), -1);
	/* "Quartz" in the title of a short meeting: far above every floor;
	 * "onyx" once in a long readout: below them; "garnet" and "garnets",
	 * once each there: below them alone, in a tier as one prefix. */
	char readout[4096] = "onyx garnet garnets";
	for (int i = 0; i < 400; i++)
		strcat(readout, " filler");
	const char *texts[RANK_MEETING_COLUMNS] = {"Quartz talks", "Ünïcode", readout, NULL};
	char *tiers = rank_meeting_tiers(texts);
	double dl = 2 + 1 + 403;
	double quartz = rank_impact(10.0, dl, RANK_MEETING_LENGTH);
	ck_assert_int_ge(rank_tier(quartz), 0);
	ck_assert_int_eq(rank_tier(rank_impact(1.0, dl, RANK_MEETING_LENGTH)), -1);
	static const char *const title[] = {"quartz", "talks", "*qua", "*tal"};
	for (size_t i = 0; i < sizeof title / sizeof title[0]; i++)
		ck_assert_msg(holds_tier_token(tiers, rank_tier(quartz), title[i]), "%s", title[i]);
	ck_assert_ptr_null(strstr(tiers, "ony"));
	ck_assert_ptr_null(strstr(tiers, "garnet"));
	int two = rank_tier(rank_impact(2.0, dl, RANK_MEETING_LENGTH));
	ck_assert_int_ge(two, 0);
	ck_assert(holds_tier_token(tiers, two, "*gar"));
	/* "filler": 400 times in the readout, weight 1: the top tier. */
	ck_assert_int_eq(rank_tier(rank_impact(400.0, dl, RANK_MEETING_LENGTH)), 0);
	ck_assert(holds_tier_token(tiers, 0, "filler"));
	ck_assert(holds_tier_token(tiers, 0, "*fil"));
	/* Words are folded; the summary weighs 4. */
	int four = rank_tier(rank_impact(4.0, dl, RANK_MEETING_LENGTH));
	ck_assert(holds_tier_token(tiers, four, "unicode"));
	ck_assert(holds_tier_token(tiers, four, "*uni"));
	/* Nothing else: four words and five prefixes. */
	ck_assert_int_eq((int)strlen(tiers), 8 + 7 + 8 + 9 + 5 * 6);
	free(tiers);
	const char *none[RANK_MEETING_COLUMNS] = {NULL, NULL, NULL, NULL};
	tiers = rank_meeting_tiers(none);
	ck_assert_str_eq(tiers, "");
	free(tiers);
}
END_TEST

/* The word each phrase is looked up by among the tiers. */
START_TEST(test_tier_words)
{
	char *words[4];
	/* A phrase of several tokens: each (its impact is at most each one's). */
	ck_assert_int_eq(model_search_tier_words("\"Peace talks\" AND \"Xi\"", words, 4), 2);
	ck_assert_str_eq(words[0], "peace talks");
	ck_assert_str_eq(words[1], "xi");
	free(words[0]);
	free(words[1]);
	/* A prefix of several: its first token (the last is a prefix). */
	ck_assert_int_eq(model_search_tier_words("(\"a\" OR \"b c\"*)", words, 4), 2);
	ck_assert_str_eq(words[0], "a");
	ck_assert_str_eq(words[1], "b");
	free(words[0]);
	free(words[1]);
	/* A prefix of one word: its first three characters' tier word
	 * (rank_tier_prefix), folded; none for a shorter one. */
	ck_assert_int_eq(model_search_tier_words("\"a\" AND \"Pëace\"*", words, 4), 2);
	ck_assert_str_eq(words[1], "*pea");
	free(words[0]);
	free(words[1]);
	ck_assert_int_eq(model_search_tier_words("\"和平共处\"*", words, 4), 1);
	ck_assert_str_eq(words[0], "和平"); /* pairs: a phrase of three tokens */
	free(words[0]);
	/* Too short a prefix, or more phrases than there is room for: none. */
	ck_assert_int_eq(model_search_tier_words("\"a\" AND \"pe\"*", words, 4), -1);
	ck_assert_int_eq(model_search_tier_words("\"和\"*", words, 4), -1);
	ck_assert_int_eq(model_search_tier_words("\"a\" AND \"b\" AND \"c\"", words, 2), -1);
	ck_assert_int_eq(model_search_tier_words("\"和平\"", words, 4), 1);
	ck_assert_str_eq(words[0], "和平");
	free(words[0]);
	ck_assert_int_eq(model_search_tier_words("\"和平共处\"", words, 4), 1);
	ck_assert_str_eq(words[0], "和平 平共 共处");
	free(words[0]);
}
END_TEST

/* The tier tokens of the words read, tier by tier, after the expression
 * or alone; none when no word is read or one is too long for a token. */
START_TEST(test_tier_filter)
{
	char *words[] = {"peace", "xi", "talks"};
	bool read[] = {true, false, true};
	char *f = model_search_tier_filter("\"peace\" AND \"xi\"", words, read, 3, 0, 1);
	ck_assert_str_eq(f, "(\"peace\" AND \"xi\") AND (\"\xff"
	                    "apeace\" OR \"\xff"
	                    "atalks\" OR \"\xff"
	                    "bpeace\" OR \"\xff"
	                    "btalks\")");
	free(f);
	f = model_search_tier_filter(NULL, words, read, 3, 2, 2);
	ck_assert_str_eq(f, "\"\xff"
	                    "cpeace\" OR \"\xff"
	                    "ctalks\"");
	free(f);
	bool none[] = {false, false, false};
	ck_assert_ptr_null(model_search_tier_filter(NULL, words, none, 3, 0, 1));
	char long_word[600];
	memset(long_word, 'a', sizeof long_word - 1);
	long_word[sizeof long_word - 1] = '\0';
	char *too_long[] = {long_word};
	ck_assert_ptr_null(model_search_tier_filter("\"x\"", too_long, read, 1, 0, 0));
}
END_TEST

/* ---- CJK text, the tsquery and snippets ---- */

static const struct translate_case cjk_cases[] = {
    /* A CJK character alone at the end of a term is a prefix... */
    {"和", "\"和\"*", SEARCH_OK},
    {"和 平", "\"和\"* AND \"平\"*", SEARCH_OK},
    {"Xi和", "\"Xi和\"*", SEARCH_OK},
    {"\"peace 和\"", "\"peace 和\"*", SEARCH_OK},
    {"和*", "\"和\"*", SEARCH_OK},
    {"和 OR peace", "(\"和\"* OR \"peace\")", SEARCH_OK},
    {"ア", "\"ア\"*", SEARCH_OK},
    {"한", "\"한\"*", SEARCH_OK},
    /* ... but not a run of two or more, nor one inside a term. */
    {"和平", "\"和平\"", SEARCH_OK},
    {"和平共处", "\"和平共处\"", SEARCH_OK},
    {"和x", "\"和x\"", SEARCH_OK},
    {"和平 Xi", "\"和平\" AND \"Xi\"", SEARCH_OK},
};

START_TEST(test_translate_cjk)
{
	for (size_t i = 0; i < COUNT(cjk_cases); i++) {
		char *out = NULL;
		ck_assert_int_eq(model_search_translate(cjk_cases[i].in, &out), SEARCH_OK);
		ck_assert_msg(out && strcmp(out, cjk_cases[i].want) == 0, "[%s]: got %s, want %s",
		              cjk_cases[i].in, out ? out : "NULL", cjk_cases[i].want);
		free(out);
	}
}
END_TEST

/* The FTS5 tokenizer of the store, over model/tokenize.h, for a table here. */
struct fts_ctx {
	void *ctx;
	int (*token)(void *, int, const char *, int, int, int);
};

static int fts_token(void *ctx, const struct token *t)
{
	struct fts_ctx *f = ctx;
	return f->token(f->ctx, 0, t->text, (int)t->len, (int)t->start, (int)t->end);
}

static int tok_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)ctx, (void)args, (void)nargs;
	static char instance;
	*out = (Fts5Tokenizer *)&instance;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
                        int (*token)(void *, int, const char *, int, int, int))
{
	(void)t, (void)flags;
	struct fts_ctx f = {ctx, token};
	return model_tokenize(text, (size_t)len, fts_token, &f);
}

static sqlite3 *open_cjk_fts(void)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
	ck_assert_int_eq(api->xCreateTokenizer(api, "readout", NULL, &tok, NULL), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(db,
	                 "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'readout');"
	                 "INSERT INTO t VALUES ('坚持和平共处五项原则'), ('和平发展与共处'), "
	                 "('Xi和平'), ('共和国'), ('一 和 二'), ('サプライチェーン'), "
	                 "('한반도 평화와 안정'), ('José Müller, Franco-German');",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	return db;
}

static const struct match_case cjk_matches[] = {
    {"和平共处", 1},  /* contiguous: the phrase of its pairs */
    {"和平 共处", 2}, /* apart: two words */
    {"和平", 3},
    {"和", 5}, /* begins a pair or stands alone: 和平 (x3), 和国, 和 */
    {"国", 0}, /* ends its run only */
    {"共", 3}, /* 共处 (x2), 共和 */
    {"xi 和平", 1},
    {"Xi和", 1}, /* glued: the phrase xi, 和... */
    {"五项原则 坚持", 1},
    {"チェーン", 1},
    {"평화와", 1},
    {"평화", 1},
    {"jose muller", 1}, /* Latin as before */
    {"franco german", 1},
    {"\"german franco\"", 0},
    {"mull*", 1},
};

START_TEST(test_cjk_matches)
{
	sqlite3 *db = open_cjk_fts();
	for (size_t i = 0; i < COUNT(cjk_matches); i++) {
		char *expr = NULL;
		ck_assert_int_eq(model_search_translate(cjk_matches[i].in, &expr), SEARCH_OK);
		char err[256];
		long long n = match_count(db, expr, err, sizeof err);
		ck_assert_msg(n == cjk_matches[i].want, "[%s] as %s: %lld rows, want %lld (%s)",
		              cjk_matches[i].in, expr, n, cjk_matches[i].want, n < 0 ? err : "ok");
		free(expr);
	}
	sqlite3_close(db);
}
END_TEST

static const struct {
	const char *expr, *want;
} tsqueries[] = {
    {"\"peace\"", "'peace'"},
    {"\"mutual\" AND \"respect\"", "'mutual' & 'respect'"},
    {"(\"a\" OR \"b\" OR \"c\") AND \"d\"", "('a' | 'b' | 'c') & 'd'"},
    {"\"d\" AND (\"a\" OR \"b\")", "'d' & ('a' | 'b')"},
    {"\"和平共处\"", "('和平' <-> '平共' <-> '共处')"},
    {"\"和\"*", "'和':*"},
    {"\"two words\"*", "('two' <-> 'words':*)"},
    {"\"Šefčovič\" AND \"JOSÉ\"", "'sefcovic' & 'jose'"},
    {"\"Franco-German\"", "('franco' <-> 'german')"},
    {"\"Xi和平\"", "('xi' <-> '和平')"},
    {"\"a\"\"b\"", "('a' <-> 'b')"}, /* a"b: the quote separates */
    {"\"---\" AND \"x\"", "'x'"},    /* a term with no token drops out */
    {"(\"---\" OR \"b\")", "('b')"},
    {"(\"---\" OR \"...\")", ""},
    {"\"---\"", ""},
};

START_TEST(test_tsquery)
{
	for (size_t i = 0; i < COUNT(tsqueries); i++) {
		char *got = model_search_tsquery(tsqueries[i].expr);
		ck_assert_msg(strcmp(got, tsqueries[i].want) == 0, "[%s]: got [%s], want [%s]",
		              tsqueries[i].expr, got, tsqueries[i].want);
		free(got);
	}
}
END_TEST

static const struct {
	const char *text, *expr, *want;
} snippets[] = {
    {"坚持和平共处五项原则", "\"和平共处\"", "坚持\1和平共处\2五项原则"},
    {"坚持和平共处五项原则", "\"和平\" AND \"平共\"", "坚持\1和平共\2处五项原则"},
    {"坚持和平共处五项原则", "\"和\"*", "坚持\1和平\2共处五项原则"},
    {"Talks <b>quartzline</b> & co", "\"quartzline\"", "Talks <b>\1quartzline\2</b> & co"},
    {"O'Brien Halvard", "\"hal\"*", "O'Brien \1Halvard\2"},
    {"Maroš Šefčovič met", "\"sefcovic\"", "Maroš \1Šefčovič\2 met"},
    {"a\1b\2c peace", "\"peace\"", "abc \1peace\2"},
    {"Xi和平 talks", "(\"xi\" OR \"talks\")", "\1Xi\2和平 \1talks\2"},
    {"one two three four five six", "\"five\"", "…four \1five\2 six"},
    {"one two three four five six", "\"one\"", "\1one\2 two three…"},
    {"nothing here", "\"else\"", "nothing here"},
    /* No word to look for: the text's beginning, wherever it has words
     * outside ASCII. */
    {"one two three four five café", "\"---\"", "one two three…"},
};

START_TEST(test_snippets)
{
	for (size_t i = 0; i < COUNT(snippets); i++) {
		/* In windows of 3 words (the rows with "…"), or whole. */
		char *got = model_search_snippet(snippets[i].text, snippets[i].expr, 3);
		char *whole = model_search_snippet(snippets[i].text, snippets[i].expr, 24);
		const char *want = snippets[i].want;
		bool windowed = strstr(want, "…") != NULL;
		ck_assert_msg(strcmp(windowed ? got : whole, want) == 0,
		              "[%s] %s: got [%s], want [%s]", snippets[i].text, snippets[i].expr,
		              windowed ? got : whole, want);
		free(got);
		free(whole);
	}
}
END_TEST

/* A Chinese match far into a text, after English: the snippet is read
 * from a little before it, and is the one a reading of the whole gives. */
START_TEST(test_snippet_after_long_text)
{
	char text[4096] = "";
	for (int i = 0; i < 300; i++)
		strcat(text, "word ");
	strcat(text, "会谈 举行 坚持和平共处五项原则 end");
	char *got = model_search_snippet(text, "\"和平共处\"", 3);
	ck_assert_str_eq(got, "…\1和平共处\2…");
	free(got);
	got = model_search_snippet(text, "\"和平共处\"", 24);
	const char *tail = "word 会谈 举行 坚持\1和平共处\2五项原则 end";
	ck_assert_msg(strncmp(got, "…word ", strlen("…word ")) == 0 && strlen(got) > strlen(tail) &&
	                  strcmp(got + strlen(got) - strlen(tail), tail) == 0,
	              "got [%s]", got);
	free(got);
	/* A word outside CJK text among them: the whole text is read. */
	got = model_search_snippet(text, "\"和平共处\" AND \"end\"", 3);
	ck_assert_str_eq(got, "…\1和平共处\2…");
	free(got);
}
END_TEST

/* The expressions the snippet properties below cut texts for. */
static const char *const snippet_exprs[] = {"\"port\"",
                                            "\"port\"*",
                                            "\"cafe\"",
                                            "\"trade\" AND \"peace\"",
                                            "\"talks\" OR \"port\"",
                                            "\"naive\"",
                                            "\"x1\"",
                                            "\"absent\"",
                                            "\"和平共处\"",
                                            "\"合作\" AND \"peace\"",
                                            "\"peace port\""};

/* Writes into text (size bytes) `start`, then 1 to `most` words of
 * words[] (n of them), each after `sep`; in two rounds of three, three
 * words in four are filler (one of the two, at random), so that matches
 * come late. */
static void random_words(char *text, size_t size, unsigned *seed, int round, const char *start,
                         const char *sep, const char *const words[], size_t n,
                         const char *const filler[2], int most)
{
	size_t len = (size_t)snprintf(text, size, "%s", start);
	int count = 1 + (int)((*seed = *seed * 1103515245 + 12345) >> 16) % most;
	for (int i = 0; i < count; i++) {
		*seed = *seed * 1103515245 + 12345;
		const char *w = words[(*seed >> 16) % n];
		if ((*seed >> 8) % 4 != 0 && round % 3 != 0)
			w = filler[(*seed >> 4) % 2];
		len += (size_t)snprintf(text + len, size - len, "%s%s", sep, w);
	}
}

/* Snippets of random texts (random_words: `start`, then words[] each
 * after `sep`, mostly filler) for the expressions exprs[], in windows of
 * 1 to 30 tokens: each read in part must be the one a reading of the
 * whole text gives (model_search_snippet_whole). */
static void snippets_read_in_part(const char *const words[], size_t n_words,
                                  const char *const exprs[], size_t n_exprs, const char *start,
                                  const char *sep, const char *const filler[2], int most,
                                  unsigned seed, int rounds)
{
	char text[8192];
	for (int round = 0; round < rounds; round++) {
		random_words(text, sizeof text, &seed, round, start, sep, words, n_words, filler,
		             most);
		seed = seed * 1103515245 + 12345;
		const char *expr = exprs[(seed >> 16) % n_exprs];
		size_t window = 1 + (seed >> 8) % 30;
		char *got = model_search_snippet(text, expr, window);
		char *whole = model_search_snippet_whole(text, expr, window);
		ck_assert_msg(strcmp(got, whole) == 0,
		              "round %d, %s in windows of %zu:\n[%s]\ngot [%s]\nwant [%s]", round,
		              expr, window, text, got, whole);
		free(got);
		free(whole);
	}
}

/* A snippet is read from shortly before the first place its words can
 * match (model_tokens_back): words in several cases, inside longer
 * words, with accents and with separators outside ASCII, around the
 * matches (a word outside ASCII before the first match makes it read
 * the whole text). */
START_TEST(test_snippet_skip_property)
{
	static const char *const words[] = {
	    "peace", "Port",  "support",  "PORTS", "trade",   "talks",     "Café",     "cafe",
	    "naïve", "—",     "…",        "x1",    "of",      "a",         "trader",   "Peace,",
	    "port.", "cafés", "“quoted”", "2024",  "de-port", "transport", "teatalks", "the"};
	static const char *const filler[] = {"the", "the"};
	snippets_read_in_part(words, COUNT(words), snippet_exprs, COUNT(snippet_exprs), "e", " ",
	                      filler, 300, 12345, 2000);
}
END_TEST

/* A snippet of CJK words is read from a little before the first place
 * one appears, and from further back until enough tokens come before the
 * first match: Chinese text with punctuation and English words among it,
 * matches as a whole word, inside longer runs and as single characters,
 * late and early. */
START_TEST(test_snippet_cjk_property)
{
	static const char *const words[] = {"和平共处", "五项原则", "合作", "会谈", "，",   "。",
	                                    " peace ",  "the",      "、",   "和",   "中国", "坚持",
	                                    "双方",     "平",       "处",   "\n",   "“",    "”",
	                                    "举行",     "共处",     "—",    "x1",   " ",    "关系"};
	static const char *const exprs[] = {
	    "\"和平共处\"",         "\"合作\"", "\"和平\" AND \"合作\"", "\"和\"", "\"共处 五项\"",
	    "\"会谈\" OR \"关系\"", "\"原则\"", "\"中国\" AND \"处\""};
	static const char *const filler[] = {"，", "举行"};
	snippets_read_in_part(words, COUNT(words), exprs, COUNT(exprs), "会", "", filler, 400, 777,
	                      3000);
}
END_TEST

/* A snippet cut from the start of a text, when the start decides it, is
 * the one the whole text gives: texts of English, accented and Chinese
 * words with separators outside ASCII, cut at every space. */
START_TEST(test_snippet_of_start_property)
{
	static const char *const words[] = {
	    "peace", "Port", "support", "trade",    "talks", "Café", "naïve", "…",    "the", "the",
	    "the",   "the",  "the",     "和平共处", "合作",  "x1",   "ports", "平共", "the", "of"};
	unsigned seed = 4242;
	char text[4096], start[4096];
	int decided = 0, cuts = 0;
	for (int round = 0; round < 600; round++) {
		size_t len = 0;
		int n = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 120;
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i ? " " : "",
			                        words[(seed >> 16) % COUNT(words)]);
		}
		seed = seed * 1103515245 + 12345;
		const char *expr = snippet_exprs[(seed >> 16) % COUNT(snippet_exprs)];
		size_t window = 1 + (seed >> 8) % 12;
		char *whole = model_search_snippet(text, expr, window);
		for (size_t k = 0; k <= len; k++) {
			if (k < len && text[k] != ' ')
				continue;
			memcpy(start, text, k);
			start[k] = '\0';
			char *got = model_search_snippet_of_start(start, expr, window);
			cuts++;
			if (got) {
				decided++;
				ck_assert_msg(strcmp(got, whole) == 0,
				              "%s in windows of %zu, from [%s] of\n[%s]:\ngot "
				              "[%s]\nwant [%s]",
				              expr, window, start, text, got, whole);
			}
			free(got);
		}
		free(whole);
	}
	/* Most starts decide nothing, but many do. */
	ck_assert_int_gt(decided, cuts / 10);
	ck_assert_int_lt(decided, cuts);
}
END_TEST

static Suite *model_search_suite(void)
{
	Suite *s = suite_create("model_search");
	TCase *tc = tcase_create("translate");
	tcase_add_loop_test(tc, test_translate_table, 0, (int)COUNT(cases));
	tcase_add_test(tc, test_translate_repeatable);
	tcase_add_test(tc, test_translate_matches);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("property");
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, test_translate_property);
	suite_add_tcase(s, tp);
	TCase *tc2 = tcase_create("cjk");
	tcase_add_test(tc2, test_translate_cjk);
	tcase_add_test(tc2, test_cjk_matches);
	tcase_add_test(tc2, test_tsquery);
	tcase_add_test(tc2, test_snippets);
	tcase_add_test(tc2, test_snippet_after_long_text);
	tcase_add_test(tc2, test_snippet_skip_property);
	tcase_add_test(tc2, test_snippet_cjk_property);
	tcase_add_test(tc2, test_snippet_of_start_property);
	suite_add_tcase(s, tc2);
	TCase *tr = tcase_create("rank");
	tcase_add_test(tr, test_rank_stats_round_trip);
	tcase_add_test(tr, test_rank_stats_parse_refuses);
	tcase_add_test(tr, test_rank_rules);
	tcase_add_test(tr, test_rank_tiers);
	tcase_add_test(tr, test_tier_words);
	tcase_add_test(tr, test_tier_filter);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(model_search_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
