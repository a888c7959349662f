/*
 * The words of a text as search indexes and queries see them, on both
 * backends (the FTS5 tokenizer "readout" of store/search.c, and the tsvector
 * and tsquery the PostgreSQL store writes). Outside Chinese, Japanese and
 * Korean text a word is what FTS5's unicode61 tokenizer with
 * remove_diacritics 2 finds: a run of letters, digits and private-use
 * characters (with the combining marks inside it), case-folded, diacritics
 * removed. A run of CJK characters (model_is_cjk) is cut into overlapping
 * pairs, as Lucene's CJK analyzer does: 和平共处 gives 和平, 平共 and 共处,
 * and a CJK character alone in its run is one token. Invalid UTF-8 bytes
 * separate words.
 */
#ifndef READOUT_MODEL_TOKENIZE_H
#define READOUT_MODEL_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum token_kind {
	TOKEN_WORD,      /* a word outside CJK runs */
	TOKEN_CJK_PAIR,  /* two CJK characters of a longer run */
	TOKEN_CJK_SINGLE /* a CJK character alone in its run */
};

struct token {
	const char *text; /* folded UTF-8, not NUL-terminated; valid until the callback returns */
	size_t len;       /* its bytes (at least 1) */
	size_t start;     /* the byte range of the source it came from */
	size_t end;
	enum token_kind kind;
};

/* Called for each token, in order of start (strictly increasing). A non-zero
 * return stops the walk, and model_tokenize returns it. */
typedef int (*token_fn)(void *ctx, const struct token *t);

/* Tokenizes the n bytes at text. Returns 0, or the first non-zero value fn
 * returned. Allocates nothing unless a token is longer than 256 bytes (then
 * one buffer for the call). */
int model_tokenize(const char *text, size_t n, token_fn fn, void *ctx);

/* The offset of the text's first character outside ASCII that is part of a
 * word (one that might fold into ASCII letters), or n when it has none. */
size_t model_first_nonascii_word(const char *text, size_t n);

/* Where in text[0, n) the first word of ASCII letters and digits begins
 * that folds into `word` (len bytes of ASCII, folded), or whose first len
 * bytes do for a prefix; n when none does. A word with characters outside
 * ASCII in it may fold into `word` too: one of those can come earlier. */
size_t model_ascii_token_find(const char *text, size_t n, const char *word, size_t len,
                              bool prefix);

/* Where to begin tokenizing text so as to see the `count` tokens before the
 * one holding byte `at`, and that one: the start of the first of them, or
 * 0 when fewer come before. Exact only when no character before `at` is
 * outside ASCII and part of a word (model_first_nonascii_word): every
 * token there is then a run of ASCII letters and digits. */
size_t model_tokens_back(const char *text, size_t at, size_t count);

/* True for the characters cut into pairs: Han ideographs (the unified
 * blocks with extension A and the supplementary planes' extensions, and the
 * compatibility ideographs), Hiragana, Katakana (with its phonetic
 * extensions and the halfwidth forms), Kana supplements, and Hangul
 * syllables and jamo (with the compatibility and halfwidth jamo). Only
 * those among them that are word characters make tokens. */
bool model_is_cjk(uint32_t cp);

/* Decodes the UTF-8 character at p (n > 0 bytes left) into *cp and returns
 * its length; a byte that starts no valid character (overlong, surrogate,
 * truncated, beyond U+10FFFF) is 1 byte with *cp UINT32_MAX. */
size_t model_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

#endif
