/*
 * libFuzzer harness for what a query string and a path segment are parsed
 * with: pagination cursors, {ref} segments, and the rules of model/model.h
 * (dates, timestamps, countries, slugs, URLs, language tags, folding). The
 * first byte picks the function (modulo QUERY_TARGETS); the rest is its
 * input. Strings are handed over as exactly-sized NUL-terminated copies, so
 * a read past the end is an AddressSanitizer report. The percent-decoding
 * of the query itself is reached through fuzz_request (it is static in
 * http/server.c).
 *
 * Each rule is checked against what model.h promises, mostly with a small
 * independent implementation; any disagreement aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/cursor.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum target {
	T_CURSOR_DECODE,
	T_CURSOR_ROUND_TRIP,
	T_REF,
	T_DATE,
	T_TIMESTAMP,
	T_COUNTRY,
	T_SLUG,
	T_SLUG_DERIVE,
	T_URL,
	T_LANGUAGE,
	T_FOLD,
	QUERY_TARGETS
};

static const char *input_text;

static void fail(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_query: %s\n  input: [%s]\n  value: [%s]\n", what,
	        input_text ? input_text : "", value ? value : "(null)");
	abort();
}

/* A new NUL-terminated copy of n bytes (cut at the first NUL they hold). */
static char *copy(const uint8_t *p, size_t n)
{
	size_t len = strnlen((const char *)p, n);
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || digit(c);
}

/* [a-z0-9]+(-[a-z0-9]+)*, at most MODEL_SLUG_MAX, not all digits. */
static bool slug_reference(const char *s)
{
	size_t n = strlen(s);
	bool digits_only = true;
	if (n == 0 || n > MODEL_SLUG_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (i == 0 || i == n - 1 || s[i - 1] == '-')
				return false;
		} else if (!lower_or_digit(s[i])) {
			return false;
		}
		digits_only &= digit(s[i]);
	}
	return !digits_only;
}

static bool date_reference(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !digit(s[i]))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* True when s is valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF). */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n = c < 0x80                 ? 1
		           : c >= 0xC2 && c <= 0xDF ? 2
		           : c >= 0xE0 && c <= 0xEF ? 3
		           : c >= 0xF0 && c <= 0xF4 ? 4
		                                    : 0;
		if (!n)
			return false;
		uint32_t v = n == 1 ? c : c & (0xFF >> (n + 1));
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			v = (v << 6) | (p[i] & 0x3F);
		}
		if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		    (v >= 0xD800 && v <= 0xDFFF))
			return false;
		p += n;
	}
	return true;
}

/* Input: 16 key bytes, a scope up to a NUL, then the cursor text. */
static void fuzz_cursor_decode(const uint8_t *data, size_t size)
{
	uint8_t key[CURSOR_KEY_LEN] = {0};
	size_t k = size < CURSOR_KEY_LEN ? size : CURSOR_KEY_LEN;
	memcpy(key, data, k);
	data += k;
	size -= k;
	const uint8_t *nul = memchr(data, 0, size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	char *scope = copy(data, slen);
	size_t skip = nul ? slen + 1 : slen;
	char *text = copy(data + skip, size - skip);
	struct cursor_pos pos;
	memset(&pos, 0xAA, sizeof pos);
	if (cursor_decode(key, scope, text, &pos) == 0) {
		/* Only a forged MAC gets here; what it gives must still be sane. */
		if (pos.id <= 0 || !memchr(pos.key, 0, sizeof pos.key))
			fail("a decoded cursor has id <= 0 or an unterminated key", text);
	}
	if (cursor_decode(key, scope, NULL, &pos) == 0)
		fail("a NULL cursor decoded", NULL);
	free(scope);
	free(text);
}

/* Input: 16 key bytes, 8 id bytes, 2 bytes naming a character to alter,
 * 1 byte to xor into it, a scope up to a NUL, then the sort key. Encoding
 * and decoding give the position back; any alteration, or another scope,
 * is refused. */
static void fuzz_cursor_round_trip(const uint8_t *data, size_t size)
{
	uint8_t head[CURSOR_KEY_LEN + 8 + 3] = {0};
	size_t h = size < sizeof head ? size : sizeof head;
	memcpy(head, data, h);
	data += h;
	size -= h;
	const uint8_t *key = head;
	int64_t id = 0;
	for (int i = 0; i < 8; i++)
		id = (int64_t)(((uint64_t)id << 8) | head[CURSOR_KEY_LEN + i]);
	if (id <= 0)
		id = id == INT64_MIN ? 1 : id == 0 ? 1 : -id;
	size_t at = (size_t)head[CURSOR_KEY_LEN + 8] << 8 | head[CURSOR_KEY_LEN + 9];
	uint8_t flip = head[CURSOR_KEY_LEN + 10];
	const uint8_t *nul = memchr(data, 0, size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	char *scope = copy(data, slen);
	size_t skip = nul ? slen + 1 : slen;
	char *sort = copy(data + skip, size - skip);

	struct cursor_pos pos = {.id = id};
	snprintf(pos.key, sizeof pos.key, "%s", sort);
	char *text = cursor_encode(key, scope, &pos);
	if (!text || strlen(text) > CURSOR_TEXT_MAX)
		fail("cursor_encode gave no text or one too long to decode", text);
	struct cursor_pos back;
	memset(&back, 0x55, sizeof back);
	if (cursor_decode(key, scope, text, &back) != 0)
		fail("a cursor this key issued for this scope did not decode", text);
	if (back.id != pos.id || strcmp(back.key, pos.key) != 0)
		fail("a cursor decoded to another position", text);
	size_t tlen = strlen(text);
	char *other = malloc(slen + 2);
	if (!other)
		abort();
	memcpy(other, scope, slen);
	other[slen] = 'x';
	other[slen + 1] = '\0';
	if (cursor_decode(key, other, text, &back) == 0)
		fail("a cursor decoded for another scope", text);
	free(other);
	if (tlen && flip) {
		char *altered = strdup(text);
		if (!altered)
			abort();
		altered[at % tlen] = (char)(altered[at % tlen] ^ flip);
		if (cursor_decode(key, scope, altered, &back) == 0)
			fail("an altered cursor decoded", altered);
		free(altered);
	}
	free(text);
	free(scope);
	free(sort);
}

static void fuzz_ref(const char *s)
{
	struct model_ref ref = {.id = -7, .slug = "untouched"};
	int rc = model_ref_parse(s, &ref);
	size_t n = strlen(s);
	bool digits = n > 0;
	for (size_t i = 0; i < n; i++)
		digits &= digit(s[i]);
	if (rc > 0) {
		/* Past INT64_MAX: digits only, more than 18 after any zeros. */
		if (!digits || n - strspn(s, "0") < 19 || ref.id != -7)
			fail("model_ref_parse called a reference too large for an id", s);
		return;
	}
	if (rc != 0) {
		if (slug_reference(s))
			fail("model_ref_parse refused a slug", s);
		if (digits && n < 19 && strspn(s, "0") != n)
			fail("model_ref_parse refused a small positive id", s);
		return;
	}
	if (digits) {
		char back[32];
		snprintf(back, sizeof back, "%lld", (long long)ref.id);
		if (ref.id <= 0 || ref.slug || strcmp(back, s + strspn(s, "0")) != 0)
			fail("model_ref_parse gave the wrong id", s);
	} else if (ref.id != 0 || ref.slug != s || !slug_reference(s)) {
		fail("model_ref_parse accepted what is neither an id nor a slug", s);
	}
}

static void fuzz_slug_derive(const uint8_t *data, size_t size)
{
	/* text NUL prefix NUL fallback; the prefix is a date when it is one. */
	const uint8_t *end = data + size;
	char *parts[3] = {NULL, NULL, NULL};
	for (int i = 0; i < 3; i++) {
		const uint8_t *nul = memchr(data, 0, (size_t)(end - data));
		size_t n = nul ? (size_t)(nul - data) : (size_t)(end - data);
		parts[i] = copy(data, n);
		data += nul ? n + 1 : n;
	}
	const char *prefix = model_date_valid(parts[1]) ? parts[1] : NULL;
	const char *fallback = parts[2][0] ? parts[2] : NULL;
	char *slug = model_slug_derive(parts[0], prefix, fallback);
	if (!slug || !model_slug_valid(slug) || !slug_reference(slug))
		fail("model_slug_derive gave an invalid slug", slug);
	if (prefix && (strncmp(slug, prefix, MODEL_DATE_LEN) != 0 || slug[MODEL_DATE_LEN] != '-'))
		fail("model_slug_derive lost the date prefix", slug);
	for (int n = 1; n <= 3; n++) {
		int k = n == 3 ? 1000000 : n;
		char *c = model_slug_candidate(slug, k);
		if (!c || !slug_reference(c))
			fail("model_slug_candidate gave an invalid slug", c);
		char suffix[16];
		snprintf(suffix, sizeof suffix, "-%d", k);
		size_t cl = strlen(c), sl = strlen(suffix);
		if (k > 1 && (cl < sl || strcmp(c + cl - sl, suffix) != 0))
			fail("model_slug_candidate lost its number", c);
		if (k == 1 && strcmp(c, slug) != 0)
			fail("model_slug_candidate 1 is not the base", c);
		free(c);
	}
	free(slug);
	for (int i = 0; i < 3; i++)
		free(parts[i]);
}

static void fuzz_url(const char *s)
{
	if (!model_url_valid(s))
		return;
	size_t n = strlen(s);
	if (n > MODEL_URL_MAX ||
	    (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8)))
		fail("model_url_valid accepted a non-http(s) or over-long URL", s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7F || strchr("\"<>\\`", s[i]))
			fail("model_url_valid accepted a space, control or quote", s);
	const char *host = s + (s[4] == ':' ? 7 : 8);
	if (strchr("/?#", *host))
		fail("model_url_valid accepted an empty host", s);
}

static void fuzz_language(const char *s)
{
	if (!model_language_valid(s))
		return;
	size_t n = strlen(s);
	if (n == 0 || n > MODEL_LANGUAGE_MAX)
		fail("model_language_valid accepted a tag of bad length", s);
	size_t run = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '-') {
			if (run < 1 || run > 8)
				fail("model_language_valid accepted a subtag of bad length", s);
			run = 0;
		} else if (!lower_or_digit(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z')) {
			fail("model_language_valid accepted a character that is not alphanumeric",
			     s);
		} else {
			run++;
		}
	}
}

static void fuzz_fold(const char *s)
{
	char *f = model_fold(s);
	if (!f || strlen(f) > 2 * strlen(s))
		fail("model_fold grew the text more than twice", f);
	for (const char *p = f; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			fail("model_fold left an upper-case ASCII letter", f);
	if (utf8_valid(s)) {
		if (!utf8_valid(f))
			fail("model_fold made valid UTF-8 invalid", f);
		char *again = model_fold(f);
		if (strcmp(again, f) != 0)
			fail("model_fold is not idempotent", again);
		free(again);
		if (model_text_valid(s) && model_utf8_length(f) > 2 * model_utf8_length(s))
			fail("model_fold more than doubled the characters", f);
	}
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum target t = (enum target)(data[0] % QUERY_TARGETS);
	data++;
	size--;
	if (t == T_CURSOR_DECODE) {
		fuzz_cursor_decode(data, size);
		return 0;
	}
	if (t == T_CURSOR_ROUND_TRIP) {
		fuzz_cursor_round_trip(data, size);
		return 0;
	}
	if (t == T_SLUG_DERIVE) {
		fuzz_slug_derive(data, size);
		return 0;
	}
	char *s = copy(data, size);
	input_text = s;
	switch (t) {
	case T_REF:
		fuzz_ref(s);
		break;
	case T_DATE:
		if (model_date_valid(s) != date_reference(s))
			fail("model_date_valid disagrees with the calendar", s);
		break;
	case T_TIMESTAMP:
		if (model_timestamp_valid(s) &&
		    (strlen(s) != MODEL_TIMESTAMP_LEN || s[10] != 'T' || s[23] != 'Z' ||
		     !date_reference((char[11]){s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
		                                s[8], s[9], 0})))
			fail("model_timestamp_valid accepted a bad timestamp", s);
		break;
	case T_COUNTRY:
		if (model_country_valid(s) &&
		    (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' ||
		     strcmp(s, "ZZ") == 0 || strcmp(s, "UK") == 0 || strcmp(s, "XK") == 0 ||
		     strcmp(s, "EU") == 0 || strcmp(s, "AA") == 0))
			fail("model_country_valid accepted a code that is not assigned", s);
		break;
	case T_SLUG:
		if (model_slug_valid(s) != slug_reference(s))
			fail("model_slug_valid disagrees with [a-z0-9]+(-[a-z0-9]+)*", s);
		break;
	case T_URL:
		fuzz_url(s);
		break;
	case T_LANGUAGE:
		fuzz_language(s);
		break;
	case T_FOLD:
		fuzz_fold(s);
		break;
	default:
		break;
	}
	input_text = NULL;
	free(s);
	return 0;
}
