/*
 * libFuzzer harness for model/tokenize.h, the search tokenizer, and what is
 * built on it (model/search.h's tsquery and snippets). Arbitrary bytes,
 * embedded NULs and invalid UTF-8 included, are tokenized. Aborts when a
 * token's byte range leaves the input, is empty, or does not start after the
 * one before (ends never go back either); when a token's text is empty or
 * not valid UTF-8; when a CJK pair does not span two characters; or when a
 * snippet of the text for the input as a query has unbalanced marks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/search.h"
#include "model/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const uint8_t *data;
	size_t size;
	size_t tokens;
	size_t last_start, last_end;
};

static void fail(const char *what, const struct check *c, const struct token *t)
{
	fprintf(stderr, "fuzz_tokenize: %s (token %zu: %zu-%zu, %zu bytes)\n", what, c->tokens,
	        t ? t->start : 0, t ? t->end : 0, t ? t->len : 0);
	abort();
}

/* True when the n bytes at s are valid UTF-8 (no overlong form, surrogate
 * or code point beyond U+10FFFF). */
static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = model_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (cp == UINT32_MAX)
			return 0;
		i += len;
	}
	return 1;
}

static size_t characters(const uint8_t *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		uint32_t cp;
		i += model_utf8_decode(s + i, n - i, &cp);
	}
	return count;
}

static int check_token(void *ctx, const struct token *t)
{
	struct check *c = ctx;
	if (t->start >= t->end || t->end > c->size)
		fail("range outside the input or empty", c, t);
	if (c->tokens > 0 && (t->start <= c->last_start || t->end < c->last_end))
		fail("range not after the one before", c, t);
	if (t->len == 0 || !t->text)
		fail("empty text", c, t);
	if (!valid_utf8(t->text, t->len))
		fail("text not valid UTF-8", c, t);
	if (t->kind == TOKEN_CJK_PAIR && characters(c->data + t->start, t->end - t->start) < 2)
		fail("a pair of fewer than two characters", c, t);
	c->tokens++;
	c->last_start = t->start;
	c->last_end = t->end;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check c = {data, size, 0, 0, 0};
	/* The bytes as they are, in a buffer of their own size (ASan sees any
	 * read past the end). */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	model_tokenize((const char *)copy, size, check_token, &c);
	free(copy);

	/* The input as search text and as the text searched. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *expr = NULL;
	if (model_search_translate(text, &expr) == SEARCH_OK && expr) {
		free(model_search_tsquery(expr));
		char *snippet = model_search_snippet(text, expr, 24);
		int depth = 0;
		for (const char *p = snippet; *p; p++) {
			depth += *p == '\1' ? 1 : *p == '\2' ? -1 : 0;
			if (depth < 0 || depth > 1)
				fail("unbalanced snippet marks", &c, NULL);
		}
		if (depth != 0)
			fail("unclosed snippet mark", &c, NULL);
		free(snippet);
	}
	free(expr);
	free(text);
	return 0;
}
