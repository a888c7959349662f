/*
 * libFuzzer harness for model_search_translate: arbitrary bytes (as a
 * NUL-terminated copy, so the text ends at the first NUL) are translated,
 * and any expression is run against an in-memory FTS5 table like the
 * store's. Aborts when FTS5 reports an error for an expression (the
 * translation promised that nothing the user typed acts as FTS5 syntax),
 * when the result contradicts its contract, or when the expression is not
 * a NUL-terminated string. The words the store looks the phrases up by
 * among the tiers (model_search_tier_words) must be one per phrase (a
 * phrase's tokens separated by single spaces, of which the store reads
 * one), and the expression with a tier filter of them must run too. A snippet of the
 * input's own text cut from a start of it must be the whole text's. The
 * input read as the JSON of readouts (model_readout_texts) must not be
 * read past its end.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rank.h"
#include "model/search.h"
#include "model/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *count_stmt;  /* SELECT count(*) ... MATCH ? */
static sqlite3_stmt *ranked_stmt; /* what the store runs: bm25, snippet */

static void fail(const char *what, const char *q, const char *expr)
{
	fprintf(stderr, "fuzz_search: %s\n  input: [%s]\n  expression: [%s]\n  sqlite: %s\n", what,
	        q, expr ? expr : "(null)", db ? sqlite3_errmsg(db) : "-");
	abort();
}

static void setup(void)
{
	static const char *const sql =
	    "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2');"
	    "INSERT INTO t (x) VALUES ('José Müller met the Franco-German delegation'),"
	    "('mutual respect, peaceful coexistence and win-win cooperation'),"
	    "('北京 会谈 举行 😀'),"
	    "('a b c d OR or and NOT near NEAR'),"
	    "('The one-China policy; col: x \"quoted\" text * ^ + -');";
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail("setup", "", NULL);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &count_stmt,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT rowid, bm25(t), snippet(t, -1, char(1), char(2), '...', "
	                       "24) FROM t WHERE t MATCH ? ORDER BY bm25(t)",
	                       -1, &ranked_stmt, NULL) != SQLITE_OK)
		fail("prepare", "", NULL);
}

/* Steps st with expr bound to the end; aborts on any error. */
static void run(sqlite3_stmt *st, const char *q, const char *expr)
{
	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC) != SQLITE_OK)
		fail("bind", q, expr);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		fail("step", q, expr);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* The words of expr's phrases among the tiers, and expr with a filter of
 * their tier tokens as the store writes it. */
static void tiers(const char *q, const char *expr)
{
	char *words[8];
	int n = model_search_tier_words(expr, words, 8);
	if (n < -1 || n == 0 || n > 8)
		fail("tier words: not a count of phrases", q, expr);
	if (n < 0)
		return;
	bool read[8];
	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		if (!w[0] || w[0] == ' ' || w[strlen(w) - 1] == ' ' || strstr(w, "  "))
			fail("tier words: an empty word or token", q, expr);
		words[i][strcspn(w, " ")] = '\0'; /* the store reads one token's tiers */
		read[i] = true;
	}
	char *filtered = model_search_tier_filter(expr, words, read, n, 0, RANK_TIERS - 1);
	char *tokens = model_search_tier_filter(NULL, words, read, n, 1, RANK_TIERS - 1);
	for (int i = 0; i < n; i++)
		free(words[i]);
	if (filtered) /* NULL: a word too long for a tier token, no tiers read */
		run(count_stmt, q, filtered);
	if (tokens) /* what the tiers are counted with */
		run(count_stmt, q, tokens);
	free(filtered);
	free(tokens);
}

/* A snippet of q's own text cut from a start of it that decides it
 * (model_search_snippet_of_start) is the whole text's, for an expression
 * of ASCII words; each start ends before a space. */
static void snippet_starts(const char *q, const char *expr)
{
	for (const char *e = expr; *e; e++)
		if ((unsigned char)*e >= 0x80)
			return;
	char *whole = model_search_snippet(q, expr, 4);
	size_t n = strlen(q);
	char *start = malloc(n + 1);
	for (size_t k = 0; start && k < n; k++) {
		if (q[k] != ' ')
			continue;
		memcpy(start, q, k);
		start[k] = '\0';
		char *got = model_search_snippet_of_start(start, expr, 4);
		if (got && strcmp(got, whole) != 0)
			fail("a snippet cut from a start differs from the whole text's", q, expr);
		free(got);
	}
	free(start);
	free(whole);
}

/* Whether q is valid UTF-8 of ASCII, CJK ideographs and CJK punctuation
 * alone: text a snippet reads in part exactly (outside it, a combining
 * mark or a word outside ASCII may fold into a match not found as
 * written, model/search.h). */
static bool ascii_and_chinese(const char *q)
{
	size_t n = strlen(q);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += model_utf8_decode((const unsigned char *)q + i, n - i, &cp);
		if (cp >= 0x80 && !(cp >= 0x4E00 && cp <= 0x9FFF) &&
		    !(cp >= 0x3000 && cp <= 0x303F) && !(cp >= 0xFF01 && cp <= 0xFF0F))
			return false;
	}
	return true;
}

/* A snippet of such a q's own text, read from shortly before its first
 * match, is the one a reading of the whole text gives, in windows of 4
 * and of 24 tokens (the API's). */
static void snippet_skips(const char *q, const char *expr)
{
	if (!ascii_and_chinese(q))
		return;
	for (size_t words = 4; words <= 24; words += 20) {
		char *got = model_search_snippet(q, expr, words);
		char *whole = model_search_snippet_whole(q, expr, words);
		if (strcmp(got, whole) != 0)
			fail("a snippet read in part differs from the whole text's", q, expr);
		free(got);
		free(whole);
	}
}

static int all_space(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\n\r\f\v", *s))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		setup();
	/* The bytes as the JSON of readouts, read to their size alone. */
	bool malformed;
	char *texts = model_readout_texts((const char *)data, size, " … ", &malformed);
	if (texts && (malformed || strlen(texts) > size * 6))
		fail("readout_texts: a text from malformed JSON, or longer than it could be", "",
		     texts);
	free(texts);
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	char *expr = NULL;
	enum search_result r = model_search_translate(q, &expr);
	switch (r) {
	case SEARCH_OK:
		if (all_space(q))
			fail("blank text accepted", q, expr);
		break;
	case SEARCH_EMPTY:
		if (!all_space(q) || expr)
			fail("SEARCH_EMPTY for text that is not blank", q, expr);
		break;
	case SEARCH_TOO_LONG:
		if (strlen(q) <= SEARCH_TEXT_MAX || expr)
			fail("SEARCH_TOO_LONG for short text", q, expr);
		break;
	default:
		fail("not a search_result", q, expr);
	}
	if (expr) {
		run(count_stmt, q, expr);
		run(ranked_stmt, q, expr);
		tiers(q, expr);
		snippet_starts(q, expr);
		snippet_skips(q, expr);
	}
	free(expr);
	free(q);
	return 0;
}
