/*
 * Unit tests for model/: every rule of model.h and cursor.h, with its edges.
 * Table-driven where the rule is a predicate, so each case names its input
 * when it fails.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/cursor.h"
#include "model/model.h"
#include "model/xalloc.h"

struct bool_case {
	const char *in;
	bool want;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Returns a new string of n copies of c. */
static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* xalloc */

START_TEST(test_xalloc)
{
	char *s = xstrdup("readout");
	ck_assert_str_eq(s, "readout");
	free(s);
	ck_assert_ptr_null(xstrdup(NULL));
	s = xstrndup("readout", 4);
	ck_assert_str_eq(s, "read");
	free(s);
	s = xstrndup("ab", 10);
	ck_assert_str_eq(s, "ab");
	free(s);
	ck_assert_ptr_null(xstrndup(NULL, 3));
	s = xasprintf("/participants/%d/%s", 12, "slug");
	ck_assert_str_eq(s, "/participants/12/slug");
	free(s);
	int *z = xcalloc(16, sizeof *z);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(z[i], 0);
	z = xrealloc(z, 1024 * sizeof *z);
	z[1023] = 7;
	ck_assert_int_eq(z[0], 0);
	free(z);
	free(xmalloc(0));
}
END_TEST

START_TEST(test_utf8_length)
{
	ck_assert_uint_eq(model_utf8_length(""), 0);
	ck_assert_uint_eq(model_utf8_length("abc"), 3);
	ck_assert_uint_eq(model_utf8_length("Jos\xc3\xa9"), 4);
	ck_assert_uint_eq(model_utf8_length("\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3"), 3);
	ck_assert_uint_eq(model_utf8_length("\xf0\x9f\x98\x80!"), 2);
}
END_TEST

/* Dates and timestamps */

START_TEST(test_date_valid)
{
	static const struct bool_case cases[] = {
	    {"2024-04-26", true},
	    {"2024-02-29", true},
	    {"2023-02-29", false},
	    {"1900-02-29", false},
	    {"2000-02-29", true},
	    {"2100-02-29", false},
	    {"2024-02-30", false},
	    {"2024-13-01", false},
	    {"2024-00-10", false},
	    {"2024-01-00", false},
	    {"2024-01-31", true},
	    {"2024-01-32", false},
	    {"2024-04-30", true},
	    {"2024-04-31", false},
	    {"2024-06-31", false},
	    {"2024-09-31", false},
	    {"2024-11-31", false},
	    {"2024-12-31", true},
	    {"0000-01-01", false},
	    {"0001-01-01", true},
	    {"9999-12-31", true},
	    {"2024-1-01", false},
	    {"2024-01-1", false},
	    {"24-01-01", false},
	    {"2024-01-01x", false},
	    {"2024-01-01 ", false},
	    {" 2024-01-01", false},
	    {"2024/01/01", false},
	    {"2024-01-01T00:00", false},
	    {"+024-01-01", false},
	    {"2024-0a-01", false},
	    {"", false},
	    {"2024", false},
	    {"20240101", false},
	    {"2024-01-0\xc3\xa9", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_date_valid(cases[i].in) == cases[i].want, "date \"%s\"",
		              cases[i].in);
	ck_assert(!model_date_valid(NULL));
}
END_TEST

START_TEST(test_timestamp_now)
{
	char a[MODEL_TIMESTAMP_LEN + 1], b[MODEL_TIMESTAMP_LEN + 1];
	time_t before = time(NULL);
	model_timestamp_now(a);
	model_timestamp_now(b);
	ck_assert_uint_eq(strlen(a), MODEL_TIMESTAMP_LEN);
	ck_assert_msg(model_timestamp_valid(a), "timestamp \"%s\"", a);
	ck_assert_msg(model_timestamp_valid(b), "timestamp \"%s\"", b);
	ck_assert_int_eq(a[10], 'T');
	ck_assert_int_eq(a[19], '.');
	ck_assert_int_eq(a[23], 'Z');
	ck_assert_int_le(strcmp(a, b), 0);

	/* The date part is today's UTC date (or tomorrow's at midnight). */
	struct tm tm;
	gmtime_r(&before, &tm);
	char day[16];
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	time_t after = time(NULL);
	gmtime_r(&after, &tm);
	char day_after[16];
	strftime(day_after, sizeof day_after, "%Y-%m-%d", &tm);
	ck_assert_msg(strncmp(a, day, 10) == 0 || strncmp(a, day_after, 10) == 0, "%s vs %s", a,
	              day);
}
END_TEST

START_TEST(test_timestamp_valid)
{
	static const struct bool_case cases[] = {
	    {"2026-11-27T03:37:34.123Z", true},       {"2024-02-29T23:59:59.999Z", true},
	    {"0001-01-01T00:00:00.000Z", true},       {"2023-02-29T00:00:00.000Z", false},
	    {"2026-11-27T24:00:00.000Z", false},      {"2026-11-27T03:60:00.000Z", false},
	    {"2026-11-27T03:37:60.000Z", false},      {"2026-11-27T03:37:34Z", false},
	    {"2026-11-27T03:37:34.12Z", false},       {"2026-11-27T03:37:34.1234Z", false},
	    {"2026-11-27T03:37:34.123z", false},      {"2026-11-27 03:37:34.123Z", false},
	    {"2026-11-27T03:37:34.123+00:00", false}, {"2026-11-27T03:37:34.123", false},
	    {"2026-11-27T03:37:34.123Zx", false},     {"2026-11-27t03:37:34.123Z", false},
	    {"2026-11-27T3:37:34.1234Z", false},      {"", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_timestamp_valid(cases[i].in) == cases[i].want,
		              "timestamp \"%s\"", cases[i].in);
	ck_assert(!model_timestamp_valid(NULL));
}
END_TEST

/* Countries */

START_TEST(test_country_valid)
{
	static const struct bool_case cases[] = {
	    {"US", true},  {"CN", true},  {"DE", true},   {"GB", true},  {"FR", true},
	    {"RU", true},  {"TW", true},  {"PS", true},   {"SS", true},  {"AQ", true},
	    {"AD", true},  {"ZW", true},  {"BQ", true},   {"CW", true},  {"SX", true},
	    {"AX", true},  {"VA", true},  {"EH", true},   {"ZZ", false}, {"XK", false},
	    {"UK", false}, {"EU", false}, {"AA", false},  {"QZ", false}, {"XX", false},
	    {"AN", false}, {"CS", false}, {"YU", false},  {"SU", false}, {"us", false},
	    {"Us", false}, {"uS", false}, {"USA", false}, {"", false},   {"U", false},
	    {"U1", false}, {"1U", false}, {"U ", false},  {" U", false}, {"U\xc3\xa9", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_country_valid(cases[i].in) == cases[i].want, "country \"%s\"",
		              cases[i].in);
	ck_assert(!model_country_valid(NULL));
}
END_TEST

/* Exactly 249 of the 676 two-letter codes are assigned, and the binary
 * search finds each of them (so the table is sorted). */
START_TEST(test_country_count)
{
	int found = 0;
	char code[3] = {0};
	for (int a = 'A'; a <= 'Z'; a++) {
		for (int b = 'A'; b <= 'Z'; b++) {
			code[0] = (char)a;
			code[1] = (char)b;
			found += model_country_valid(code);
		}
	}
	ck_assert_int_eq(found, 249);
}
END_TEST

/* Slugs */

START_TEST(test_slug_valid)
{
	static const struct bool_case cases[] = {
	    {"mutual-respect", true},
	    {"a", true},
	    {"1a", true},
	    {"a1", true},
	    {"12-34", true},
	    {"a-b-c", true},
	    {"x9-y8", true},
	    {"A", false},
	    {"123", false},
	    {"0", false},
	    {"a--b", false},
	    {"-a", false},
	    {"a-", false},
	    {"-", false},
	    {"", false},
	    {"a_b", false},
	    {"a b", false},
	    {"a.b", false},
	    {"Mutual-respect", false},
	    {"jos\xc3\xa9", false},
	    {"a/b", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_slug_valid(cases[i].in) == cases[i].want, "slug \"%s\"",
		              cases[i].in);
	ck_assert(!model_slug_valid(NULL));

	char *s = repeat('a', MODEL_SLUG_MAX);
	ck_assert(model_slug_valid(s));
	free(s);
	s = repeat('a', MODEL_SLUG_MAX + 1);
	ck_assert(!model_slug_valid(s));
	free(s);
	s = repeat('1', MODEL_SLUG_MAX);
	ck_assert(!model_slug_valid(s));
	free(s);
}
END_TEST

static void check_derive(const char *text, const char *prefix, const char *fallback,
                         const char *want)
{
	char *s = model_slug_derive(text, prefix, fallback);
	ck_assert_msg(strcmp(s, want) == 0, "derive(\"%s\", %s) = \"%s\", want \"%s\"",
	              text ? text : "(null)", prefix ? prefix : "(null)", s, want);
	ck_assert(model_slug_valid(s));
	free(s);
}

START_TEST(test_slug_derive)
{
	check_derive("Antony Blinken", NULL, "participant", "antony-blinken");
	check_derive("Jos\xc3\xa9 M\xc3\xbcller", NULL, "participant", "jose-muller");
	check_derive("Stra\xc3\x9f"
	             "e",
	             NULL, "participant", "strasse");
	check_derive("\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3", NULL, "participant", "participant");
	check_derive("1984", NULL, "participant", "participant");
	check_derive("1984", "2024-04-26", "meeting", "2024-04-26-1984");
	check_derive("", NULL, "principle", "principle");
	check_derive(NULL, NULL, "principle", "principle");
	check_derive("", "2024-04-26", "meeting", "2024-04-26-meeting");
	check_derive("!!!", "2024-04-26", "meeting", "2024-04-26-meeting");
	check_derive("Peaceful coexistence", NULL, "principle", "peaceful-coexistence");
	check_derive("  --Hello,   World!!  ", NULL, "x", "hello-world");
	check_derive("U.S. Secretary of State", NULL, "x", "u-s-secretary-of-state");
	check_derive("Xi \xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3 Jinping", NULL, "x", "xi-jinping");
	check_derive("Talks, 2024", NULL, "x", "talks-2024");
	check_derive("G20 Summit", NULL, "x", "g20-summit");
	/* Latin-1 and Latin Extended-A, upper and lower case. */
	check_derive("\xc3\x86r\xc3\xb8 \xc5\x92uvre \xc5\x81\xc3\xb3"
	             "d\xc5\xba",
	             NULL, "x", "aero-oeuvre-lodz");
	check_derive("\xc3\x9e\xc3\xb3r \xc3\x98resund \xc3\xa6gir", NULL, "x",
	             "thor-oresund-aegir");
	check_derive("\xc4\x9e\xc3\xbc\xc3\xa7l\xc3\xbc \xc4\xb2ssel \xc3\x87\xc3\x87", NULL, "x",
	             "guclu-ijssel-cc");
	check_derive("\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc3\x91\xc3\x9d", NULL, "x",
	             "aeiouny");
	check_derive("\xc5\xa0\xc5\xbe\xc4\x8d\xc4\x87\xc4\x91 \xc5\x9e\xc4\xb1\xc4\x9f", NULL, "x",
	             "szccd-sig");
	check_derive("\xc3\xbf\xc5\xb8 \xc5\xbf", NULL, "x", "yy-s");
	/* Characters that are not letters separate words: x, division sign. */
	check_derive("2\xc3\x97"
	             "3\xc3\xb7"
	             "a",
	             NULL, "x", "2-3-a");
	/* A decomposed accent (e + U+0301) is dropped, not a separator. */
	check_derive("Jose\xcc\x81", NULL, "x", "jose");
	/* Malformed UTF-8 separates words and never runs past the end. */
	check_derive("ab\xff\xfe"
	             "cd",
	             NULL, "x", "ab-cd");
	check_derive("ab\xc3", NULL, "x", "ab");
	check_derive("ab\xe4\xb9", NULL, "x", "ab");
	check_derive("\xc0\xaf"
	             "a",
	             NULL, "x", "a");
	check_derive("\xed\xa0\x80z", NULL, "x", "z");
	/* A fallback that is itself unusable still yields a valid slug. */
	check_derive("", NULL, "", "item");
	check_derive("", NULL, NULL, "item");
	check_derive("", NULL, "42", "item");
}
END_TEST

START_TEST(test_slug_derive_cut)
{
	/* The example from API.md: the cut falls exactly before a hyphen. */
	check_derive(
	    "President Xi Jinping meets U.S. Secretary of State Antony Blinken at the Great "
	    "Hall of the People in Beijing on Friday afternoon",
	    "2024-04-26", "meeting",
	    "2024-04-26-president-xi-jinping-meets-u-s-secretary-of-state-antony-blinken-"
	    "at-the-great-hall-of-the");

	/* Character 100 is the hyphen: keep all 100. */
	char text[512];
	char *a100 = repeat('a', 100), *a99 = repeat('a', 99), *a150 = repeat('a', 150);
	snprintf(text, sizeof text, "%s b", a100);
	check_derive(text, NULL, "x", a100);
	/* Character 99 is the hyphen: keep 99. */
	snprintf(text, sizeof text, "%s bb", a99);
	check_derive(text, NULL, "x", a99);
	/* A word straddling the limit is dropped whole. */
	snprintf(text, sizeof text, "%.95s bcdefghij", a150);
	check_derive(text, NULL, "x", a99 + 4);
	snprintf(text, sizeof text, "%.80s %.30s", a150, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	char want_prefixed[128];
	snprintf(want_prefixed, sizeof want_prefixed, "2024-04-26-%.80s", a150);
	check_derive(text, "2024-04-26", "meeting", want_prefixed);
	/* One word longer than the limit is cut hard. */
	check_derive(a150, NULL, "x", a100);
	/* With a prefix, the word after it is cut hard rather than dropped. */
	char want[128];
	snprintf(want, sizeof want, "2024-04-26-%.89s", a150);
	check_derive(a150, "2024-04-26", "meeting", want);
	/* A hard cut that would leave only digits falls back. */
	char *d150 = repeat('1', 150);
	snprintf(text, sizeof text, "%sabc", d150);
	check_derive(text, NULL, "participant", "participant");
	/* Multi-letter folds near the limit. */
	char *ss = xmalloc(2 * 60 + 1);
	for (size_t i = 0; i < 60; i++)
		memcpy(ss + 2 * i, "\xc3\x9f", 2);
	ss[120] = '\0';
	char *s100 = repeat('s', 100);
	check_derive(ss, NULL, "x", s100);
	free(ss);
	free(s100);
	free(d150);
	free(a100);
	free(a99);
	free(a150);

	/* Many words: cut on a boundary, never ending in '-'. */
	char words[2048];
	size_t used = 0;
	for (int i = 0; i < 200; i++)
		used += (size_t)snprintf(words + used, sizeof words - used, "%s",
		                         i % 3 ? "ab " : "cde ");
	for (int p = 0; p < 2; p++) {
		char *s = model_slug_derive(words, p ? "2024-01-01" : NULL, "x");
		ck_assert(model_slug_valid(s));
		size_t n = strlen(s);
		ck_assert_uint_le(n, MODEL_SLUG_MAX);
		ck_assert_uint_ge(n, MODEL_SLUG_MAX - 3);
		ck_assert_int_ne(s[n - 1], '-');
		free(s);
	}
}
END_TEST

/* Whatever bytes come in, the result is a valid slug. */
START_TEST(test_slug_derive_any_input)
{
	static const char *const pieces[] = {
	    "a",    "Z",        "9",        " ",        "-",
	    "--",   "\xc3\xa9", "\xc3\x9f", "\xc5\x92", "\xe4\xb9\xa0",
	    "\xff", "\xc3",     "\xe4\xb9", "\xcc\x81", "\xf0\x9f\x98\x80",
	    "0",    "_",        "\xc2\x85",
	};
	uint32_t rng = 12345;
	for (int round = 0; round < 3000; round++) {
		char text[400];
		size_t len = 0;
		rng = rng * 1103515245u + 12345u;
		int count = (int)(rng >> 16) % 120;
		for (int i = 0; i < count; i++) {
			rng = rng * 1103515245u + 12345u;
			const char *p = pieces[(rng >> 16) % COUNT(pieces)];
			size_t pl = strlen(p);
			if (len + pl >= sizeof text)
				break;
			memcpy(text + len, p, pl);
			len += pl;
		}
		text[len] = '\0';
		char *s = model_slug_derive(text, round % 2 ? "2024-04-26" : NULL, "participant");
		ck_assert_msg(model_slug_valid(s), "derive(\"%s\") = \"%s\"", text, s);
		free(s);
	}
}
END_TEST

static void check_candidate(const char *base, int n, const char *want)
{
	char *s = model_slug_candidate(base, n);
	ck_assert_msg(strcmp(s, want) == 0, "candidate(%d) = \"%s\", want \"%s\"", n, s, want);
	ck_assert(model_slug_valid(s));
	free(s);
}

START_TEST(test_slug_candidate)
{
	check_candidate("mutual-respect", 1, "mutual-respect");
	check_candidate("mutual-respect", 0, "mutual-respect");
	check_candidate("mutual-respect", -5, "mutual-respect");
	check_candidate("mutual-respect", 2, "mutual-respect-2");
	check_candidate("mutual-respect", 10, "mutual-respect-10");
	check_candidate("2024-04-26-talks", 3, "2024-04-26-talks-3");

	/* A 100-character base of two words loses its last word. */
	char base[MODEL_SLUG_MAX + 1];
	memset(base, 'a', 40);
	base[40] = '-';
	memset(base + 41, 'b', 59);
	base[100] = '\0';
	ck_assert(model_slug_valid(base));
	char want[MODEL_SLUG_MAX + 16];
	snprintf(want, sizeof want, "%.40s-2", base);
	check_candidate(base, 2, want);

	/* A single word is cut hard so the suffix fits. */
	char *word = repeat('a', MODEL_SLUG_MAX);
	snprintf(want, sizeof want, "%.97s-12", word);
	check_candidate(word, 12, want);
	ck_assert_uint_eq(strlen(want), MODEL_SLUG_MAX);
	free(word);

	/* A base whose last word ends exactly at the room left keeps it. */
	char *w98 = repeat('c', 98);
	snprintf(base, sizeof base, "%s-d", w98);
	snprintf(want, sizeof want, "%s-2", w98);
	check_candidate(base, 2, want);
	free(w98);

	for (int n = 2; n < 2000; n += 37) {
		char *s =
		    model_slug_candidate("2024-04-26-president-xi-jinping-meets-u-s-secretary-of-"
		                         "state-antony-blinken-at-the-great-hall-of-the",
		                         n);
		ck_assert(model_slug_valid(s));
		ck_assert_uint_le(strlen(s), MODEL_SLUG_MAX);
		free(s);
	}
}
END_TEST

/* References */

START_TEST(test_ref_parse)
{
	struct model_ref r;
	ck_assert_int_eq(model_ref_parse("7", &r), 0);
	ck_assert_int_eq(r.id, 7);
	ck_assert_ptr_null(r.slug);
	ck_assert_int_eq(model_ref_parse("007", &r), 0);
	ck_assert_int_eq(r.id, 7);
	ck_assert_int_eq(model_ref_parse("9223372036854775807", &r), 0);
	ck_assert(r.id == INT64_MAX);
	ck_assert_int_eq(model_ref_parse("00000000000000000000000042", &r), 0);
	ck_assert_int_eq(r.id, 42);

	const char *slug = "mutual-respect";
	ck_assert_int_eq(model_ref_parse(slug, &r), 0);
	ck_assert_int_eq(r.id, 0);
	ck_assert_ptr_eq(r.slug, slug);
	ck_assert_int_eq(model_ref_parse("1a", &r), 0);
	ck_assert_str_eq(r.slug, "1a");

	static const char *const bad[] = {
	    "0", "000", "Bad Slug", "", "-1", "+1", " 7", "7 ", "a--b", "1.5", "Mutual-Respect",
	};
	for (size_t i = 0; i < COUNT(bad); i++)
		ck_assert_msg(model_ref_parse(bad[i], &r) == -1, "ref \"%s\"", bad[i]);
	ck_assert_int_eq(model_ref_parse(NULL, &r), -1);
	/* An id past INT64_MAX is well-formed but names nothing. */
	ck_assert_int_eq(model_ref_parse("9223372036854775808", &r), 1);
	ck_assert_int_eq(model_ref_parse("99999999999999999999", &r), 1);
	ck_assert_int_eq(model_ref_parse("00099999999999999999999", &r), 1);
}
END_TEST

/* Enumerations */

START_TEST(test_enums)
{
	ck_assert_int_eq(model_enum_parse(model_kind_names, "meeting"), KIND_MEETING);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "talks"), KIND_TALKS);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "phone_call"), KIND_PHONE_CALL);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "video_call"), KIND_VIDEO_CALL);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "summit"), KIND_SUMMIT);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "visit"), KIND_VISIT);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "other"), KIND_OTHER);
	ck_assert_ptr_null(model_kind_names[KIND_OTHER + 1]);
	ck_assert_int_eq(model_enum_parse(model_role_names, "host"), ROLE_HOST);
	ck_assert_int_eq(model_enum_parse(model_role_names, "guest"), ROLE_GUEST);
	ck_assert_int_eq(model_enum_parse(model_role_names, "attendee"), ROLE_ATTENDEE);
	ck_assert_ptr_null(model_role_names[ROLE_ATTENDEE + 1]);
	ck_assert_int_eq(model_enum_parse(model_stance_names, "proposed"), STANCE_PROPOSED);
	ck_assert_int_eq(model_enum_parse(model_stance_names, "reaffirmed"), STANCE_REAFFIRMED);
	ck_assert_int_eq(model_enum_parse(model_stance_names, "cited"), STANCE_CITED);
	ck_assert_ptr_null(model_stance_names[STANCE_CITED + 1]);
	ck_assert_int_eq(model_enum_parse(model_relation_names, "references"), RELATION_REFERENCES);
	ck_assert_int_eq(model_enum_parse(model_relation_names, "follows_up"), RELATION_FOLLOWS_UP);
	ck_assert_ptr_null(model_relation_names[RELATION_FOLLOWS_UP + 1]);

	ck_assert_int_eq(model_enum_parse(model_kind_names, "Meeting"), -1);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "phone-call"), -1);
	ck_assert_int_eq(model_enum_parse(model_kind_names, "meeting "), -1);
	ck_assert_int_eq(model_enum_parse(model_kind_names, ""), -1);
	ck_assert_int_eq(model_enum_parse(model_kind_names, NULL), -1);
	ck_assert_int_eq(model_enum_parse(model_role_names, "meeting"), -1);
	ck_assert_int_eq(model_enum_parse(model_relation_names, "follows"), -1);
}
END_TEST

/* URLs and language tags */

START_TEST(test_url_valid)
{
	static const struct bool_case cases[] = {
	    {"http://x", true},
	    {"https://example.com", true},
	    {"https://www.fmprc.gov.cn/eng/zxxx_662805/202404/t20240426_11289000.html", true},
	    {"https://example.com/path?q=1&r=a,b#frag", true},
	    {"HTTPS://Example.COM/", true},
	    {"https://example.com:8443/", true},
	    {"https://example.com:/", true},
	    {"http://[::1]:8080/", true},
	    {"http://[2001:db8::7]", true},
	    {"http://127.0.0.1/", true},
	    {"https://user@example.com/", true},
	    {"https://zh.wikipedia.org/wiki/\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3", true},
	    {"https://example.com?x", true},
	    {"https://example.com#x", true},
	    {"ftp://x", false},
	    {"https://", false},
	    {"http://", false},
	    {"javascript:alert(1)", false},
	    {"mailto:someone@example.com", false},
	    {"//example.com", false},
	    {"example.com", false},
	    {"http:/x", false},
	    {"http//x", false},
	    {"httpx://x", false},
	    {"https:///path", false},
	    {"https://?q", false},
	    {"https://#f", false},
	    {"http://:80/", false},
	    {"https://user@/", false},
	    {"http://host:99999/", false},
	    {"http://host:123456/", false},
	    {"http://host:8a/", false},
	    {"https://[]/", false},
	    {"https://[zz::1]/", false},
	    {"https://[::1/", false},
	    {"https://[::1]x/", false},
	    {"https://exa mple.com", false},
	    {"https://example.com/a b", false},
	    {" https://example.com", false},
	    {"https://example.com/\t", false},
	    {"https://example.com/\x7f", false},
	    {"https://example.com/\xc2\x85", false},
	    {"https://example.com/\"", false},
	    {"https://example.com/<script>", false},
	    {"https://evil.com\\@good.com/", false},
	    {"https://exa^mple.com/", false},
	    {"", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_url_valid(cases[i].in) == cases[i].want, "url \"%s\"",
		              cases[i].in);
	ck_assert(!model_url_valid(NULL));

	char *url = xmalloc(MODEL_URL_MAX + 2);
	memcpy(url, "https://example.com/", 20);
	memset(url + 20, 'a', MODEL_URL_MAX - 20);
	url[MODEL_URL_MAX] = '\0';
	ck_assert(model_url_valid(url));
	url[MODEL_URL_MAX] = 'a';
	url[MODEL_URL_MAX + 1] = '\0';
	ck_assert(!model_url_valid(url));
	free(url);
}
END_TEST

START_TEST(test_language_valid)
{
	static const struct bool_case cases[] = {
	    {"en", true},
	    {"zh-Hans", true},
	    {"es-419", true},
	    {"pt-BR", true},
	    {"EN", true},
	    {"fil", true},
	    {"sr-Latn-RS", true},
	    {"de-CH-1901", true},
	    {"zh-Hant-TW", true},
	    {"en-US-x-twain", true},
	    {"x-klingon", true},
	    {"i-navajo", true},
	    {"", false},
	    {"e", false},
	    {"x", false},
	    {"i", false},
	    {"english-language-tag-too-long-x", false},
	    {"en_US", false},
	    {"en-", false},
	    {"-en", false},
	    {"en--US", false},
	    {"en-x", false},
	    {"en US", false},
	    {"123", false},
	    {"e1", false},
	    {"1e", false},
	    {"abcdefghi", false},
	    {"en-abcdefghi", false},
	    {"en-US ", false},
	    {"\xc3\xa9n", false},
	    {"zh-Hans-CN-abcdefgh-abcdefgh-abcdef", true},
	    {"zh-Hans-CN-abcdefgh-abcdefgh-abcdefg", false},
	    /* RFC 5646 syntax: extlang, script, region, variants, extensions */
	    {"zh-yue", true},
	    {"zh-yue-HK", true},
	    {"zh-min-nan", true},
	    {"ar-aao-abc-def", true},
	    {"ar-aao-abc-def-ghi", false}, /* at most 3 extlangs */
	    {"tlh-Latn", true},
	    {"abcd", true},
	    {"abcde-US", true},
	    {"abcde-abc", false}, /* extlang after a 5-letter language */
	    {"en-Latn-US-basiceng", true},
	    {"sl-rozaj-biske", true},
	    {"de-1996", true},
	    {"de-199", true}, /* a 3-digit region */
	    {"en-12", false},
	    {"en-US-1a2", false},
	    {"en-a-bbb-x-a-ccc", true},
	    {"en-a-bbb-b-cc", true},
	    {"en-a", false},
	    {"en-a-b", false},
	    {"en-a-x-y", false},
	    {"en-Latn-Latn", false},
	    {"en-US-US", false},
	    {"x-a", true},
	    {"X-WHATEVER", true},
	    {"en-x-a-b-c", true},
	    {"1de", false},
	    {"de-Lat1", false},
	    {"de-Latn1", true}, /* a variant of 5 */
	    /* grandfathered: the irregular tags are accepted, others of that shape not */
	    {"i-klingon", true},
	    {"I-DEFAULT", true},
	    {"en-GB-oed", true},
	    {"sgn-BE-FR", true},
	    {"i-unknown", false},
	    {"en-GB-xyz", false},
	    /* no byte but the hyphen stands for a hyphen ('\r' | 0x20 is '-') */
	    {"i\rklingon", false},
	    {"en\rGB\roed", false},
	    {"I\rDEFAULT", false},
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(model_language_valid(cases[i].in) == cases[i].want, "language \"%s\"",
		              cases[i].in);
	ck_assert(!model_language_valid(NULL));
	ck_assert_uint_eq(strlen("zh-Hans-CN-abcdefgh-abcdefgh-abcdef"), MODEL_LANGUAGE_MAX);
}
END_TEST

/* Problems and pointers */

START_TEST(test_problems)
{
	struct model_problems p = {0};
	char detail[64];
	for (int i = 0; i < 100; i++) {
		snprintf(detail, sizeof detail, "problem %d", i);
		model_problems_add(&p, detail, "/participants/%d/slug", i);
		ck_assert_uint_eq(p.count, (size_t)i + 1);
		ck_assert_uint_ge(p.cap, p.count);
	}
	/* The strings were copied, not borrowed. */
	snprintf(detail, sizeof detail, "changed");
	for (int i = 0; i < 100; i++) {
		char want[64];
		snprintf(want, sizeof want, "/participants/%d/slug", i);
		ck_assert_str_eq(p.items[i].pointer, want);
		snprintf(want, sizeof want, "problem %d", i);
		ck_assert_str_eq(p.items[i].detail, want);
	}
	/* Past MODEL_PROBLEMS_LISTED_MAX problems are counted, not kept. */
	for (int i = 0; i < 50; i++)
		model_problems_add(&p, "more", "/extra/%d", i);
	ck_assert_uint_eq(p.count, 150);
	ck_assert_uint_eq(p.listed, MODEL_PROBLEMS_LISTED_MAX);
	ck_assert_str_eq(p.items[MODEL_PROBLEMS_LISTED_MAX - 1].pointer, "/participants/99/slug");
	model_problems_clear(&p);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_uint_eq(p.listed, 0);
	ck_assert_ptr_null(p.items);
	model_problems_clear(&p);
	model_problems_clear(NULL);

	/* Reusable after clearing; a pointer with no format arguments. */
	model_problems_add(&p, "is required", "/title");
	model_problems_add(&p, "must be a real date YYYY-MM-DD", "%s", "/date");
	ck_assert_uint_eq(p.count, 2);
	ck_assert_str_eq(p.items[0].pointer, "/title");
	ck_assert_str_eq(p.items[0].detail, "is required");
	ck_assert_str_eq(p.items[1].pointer, "/date");
	model_problems_clear(&p);
}
END_TEST

START_TEST(test_pointer_escape)
{
	static const char *const cases[][2] = {
	    {"plain", "plain"}, {"a/b", "a~1b"}, {"m~n", "m~0n"}, {"~/", "~0~1"},
	    {"~1", "~01"},      {"//", "~1~1"},  {"", ""},        {"\xc3\xa9", "\xc3\xa9"},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		char *s = model_pointer_escape(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		free(s);
	}
}
END_TEST

/* SipHash and cursors */

START_TEST(test_siphash_vectors)
{
	/* From the SipHash reference implementation: key 00..0f, message
	 * 00..(n-1); the 64-bit output shown as a number. */
	static const struct {
		size_t len;
		uint64_t want;
	} cases[] = {
	    {0, UINT64_C(0x726fdb47dd0e0e31)}, {1, UINT64_C(0x74f839c593dc67fd)},
	    {2, UINT64_C(0x0d6c8009d9a94f5a)}, {7, UINT64_C(0xab0200f58b01d137)},
	    {8, UINT64_C(0x93f5f5799a932462)}, {15, UINT64_C(0xa129ca6149be45e5)},
	};
	uint8_t key[CURSOR_KEY_LEN], msg[64];
	for (int i = 0; i < CURSOR_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < COUNT(cases); i++)
		ck_assert_msg(cursor_siphash(key, msg, cases[i].len) == cases[i].want, "length %zu",
		              cases[i].len);
}
END_TEST

static const uint8_t test_key[CURSOR_KEY_LEN] = {0x4b, 0x19, 0xee, 0x02, 0x7a, 0x31, 0xc5, 0x88,
                                                 0x90, 0x0d, 0x6f, 0xa3, 0x27, 0xb4, 0x5e, 0xd1};
static const char *const test_scope = "meetings|sort=-date|country=CN";

static struct cursor_pos make_pos(const char *key, int64_t id)
{
	struct cursor_pos pos;
	memset(&pos, 0, sizeof pos);
	snprintf(pos.key, sizeof pos.key, "%s", key);
	pos.id = id;
	return pos;
}

static bool is_b64url(const char *s)
{
	for (; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *s))
			return false;
	return true;
}

START_TEST(test_cursor_round_trip)
{
	char *k512 = repeat('k', CURSOR_KEY_MAX);
	const char *keys[] = {"",           "2024-04-26", "Beijing", "Xi Jinping\xe4\xb9\xa0",
	                      "with|pipes", "a",          k512};
	const int64_t ids[] = {1, 2, 42, 255, 256, 1000000007, INT64_MAX};
	for (size_t k = 0; k < COUNT(keys); k++) {
		for (size_t i = 0; i < COUNT(ids); i++) {
			struct cursor_pos pos = make_pos(keys[k], ids[i]), out;
			char *text = cursor_encode(test_key, test_scope, &pos);
			ck_assert(is_b64url(text));
			ck_assert_uint_le(strlen(text), CURSOR_TEXT_MAX);
			memset(&out, 0x55, sizeof out);
			ck_assert_msg(cursor_decode(test_key, test_scope, text, &out) == 0, "%s",
			              text);
			ck_assert_str_eq(out.key, keys[k]);
			ck_assert(out.id == ids[i]);
			/* Deterministic: the same position gives the same text. */
			char *again = cursor_encode(test_key, test_scope, &pos);
			ck_assert_str_eq(text, again);
			free(again);
			free(text);
		}
	}
	free(k512);

	/* Different positions give different texts. */
	struct cursor_pos a = make_pos("2024-04-26", 7), b = make_pos("2024-04-26", 8);
	char *ta = cursor_encode(test_key, test_scope, &a);
	char *tb = cursor_encode(test_key, test_scope, &b);
	ck_assert_str_ne(ta, tb);
	free(ta);
	free(tb);
}
END_TEST

/* Every single-character change to a valid cursor is rejected or decodes to
 * exactly the original position. */
START_TEST(test_cursor_tamper)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *keys[] = {"", "2024-04-26", "Peaceful coexistence"};
	for (size_t k = 0; k < COUNT(keys); k++) {
		struct cursor_pos pos = make_pos(keys[k], 12345), out;
		char *text = cursor_encode(test_key, test_scope, &pos);
		size_t n = strlen(text);
		int accepted = 0;
		for (size_t i = 0; i < n; i++) {
			char orig = text[i];
			for (int bit = 0; bit < 8; bit++) {
				text[i] = (char)(orig ^ (1 << bit));
				if (text[i] == '\0')
					continue;
				if (cursor_decode(test_key, test_scope, text, &out) == 0) {
					ck_assert_str_eq(out.key, pos.key);
					ck_assert(out.id == pos.id);
					accepted++;
				}
			}
			for (const char *c = alphabet; *c; c++) {
				if (*c == orig)
					continue;
				text[i] = *c;
				if (cursor_decode(test_key, test_scope, text, &out) == 0) {
					ck_assert_str_eq(out.key, pos.key);
					ck_assert(out.id == pos.id);
					accepted++;
				}
			}
			text[i] = orig;
		}
		/* Only the canonical spelling decodes at all. */
		ck_assert_int_eq(accepted, 0);
		ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), 0);

		/* Every truncation and every extension is rejected. */
		char *copy = xmalloc(n + 2);
		for (size_t len = 0; len < n; len++) {
			memcpy(copy, text, len);
			copy[len] = '\0';
			ck_assert_msg(cursor_decode(test_key, test_scope, copy, &out) == -1,
			              "prefix %zu", len);
		}
		for (const char *c = alphabet; *c; c++) {
			memcpy(copy, text, n);
			copy[n] = *c;
			copy[n + 1] = '\0';
			ck_assert(cursor_decode(test_key, test_scope, copy, &out) == -1);
		}
		free(copy);
		free(text);
	}
}
END_TEST

START_TEST(test_cursor_wrong_scope_or_key)
{
	struct cursor_pos pos = make_pos("2024-04-26", 9), out;
	char *text = cursor_encode(test_key, "meetings|sort=-date", &pos);
	ck_assert_int_eq(cursor_decode(test_key, "meetings|sort=-date", text, &out), 0);
	ck_assert_int_eq(cursor_decode(test_key, "meetings|sort=date", text, &out), -1);
	ck_assert_int_eq(cursor_decode(test_key, "participants|sort=name", text, &out), -1);
	ck_assert_int_eq(cursor_decode(test_key, "meetings|sort=-date|kind=summit", text, &out),
	                 -1);
	ck_assert_int_eq(cursor_decode(test_key, "", text, &out), -1);
	for (int i = 0; i < CURSOR_KEY_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t other[CURSOR_KEY_LEN];
			memcpy(other, test_key, sizeof other);
			other[i] ^= (uint8_t)(1 << bit);
			ck_assert(cursor_decode(other, "meetings|sort=-date", text, &out) == -1);
		}
	}
	free(text);
}
END_TEST

START_TEST(test_cursor_garbage)
{
	struct cursor_pos out;
	static const char *const garbage[] = {
	    "",
	    "A",
	    "AA",
	    "AAAA",
	    "!!!!",
	    "====",
	    "abc=",
	    "AQAAAAAAAAAB==",
	    "a+b/",
	    "\xff\xfe",
	    "AQAAAAAAAAABAAAAAAAAAAA",
	    "AQAAAAAAAAAwMjQtMDQtMjYAAAAAAAAAAA",
	    "not a cursor",
	    "eyJpZCI6MX0",
	};
	for (size_t i = 0; i < COUNT(garbage); i++)
		ck_assert_msg(cursor_decode(test_key, test_scope, garbage[i], &out) == -1, "\"%s\"",
		              garbage[i]);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, NULL, &out), -1);

	/* Over-long texts, of valid characters, are rejected before decoding. */
	char *text = repeat('A', CURSOR_TEXT_MAX + 1);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
	text = repeat('A', CURSOR_TEXT_MAX);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
	text = repeat('A', 100000);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
}
END_TEST

/* Each character of an issued cursor with its high bit set is refused (a
 * decoder that reads 0xC1 as 'A' would give a cursor a second spelling). */
START_TEST(test_cursor_high_bit)
{
	struct cursor_pos pos = make_pos("2024-04-26", 7), out;
	char *text = cursor_encode(test_key, test_scope, &pos);
	for (size_t i = 0; text[i]; i++) {
		char *altered = xstrdup(text);
		altered[i] = (char)((unsigned char)altered[i] | 0x80);
		ck_assert_msg(cursor_decode(test_key, test_scope, altered, &out) == -1,
		              "position %zu", i);
		free(altered);
	}
	free(text);
}
END_TEST

/* Builds cursor text the way cursor.c lays it out (version 1, big-endian id,
 * key bytes, little-endian SipHash over scope, NUL, payload), so the decoder's
 * own checks can be reached with a valid MAC. Returns a new string. */
static char *forge(uint8_t version, uint64_t id, const uint8_t *key, size_t klen)
{
	size_t plen = 9 + klen, slen = strlen(test_scope);
	uint8_t *raw = xmalloc(plen + 8);
	raw[0] = version;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)(id >> (56 - 8 * i));
	memcpy(raw + 9, key, klen);
	uint8_t *mac_in = xmalloc(slen + 1 + plen);
	memcpy(mac_in, test_scope, slen + 1);
	memcpy(mac_in + slen + 1, raw, plen);
	uint64_t mac = cursor_siphash(test_key, mac_in, slen + 1 + plen);
	for (int i = 0; i < 8; i++)
		raw[plen + i] = (uint8_t)(mac >> (8 * i));
	free(mac_in);

	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = plen + 8;
	char *text = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= raw[i + 2];
		text[o++] = alphabet[(v >> 18) & 63];
		text[o++] = alphabet[(v >> 12) & 63];
		if (i + 1 < n)
			text[o++] = alphabet[(v >> 6) & 63];
		if (i + 2 < n)
			text[o++] = alphabet[v & 63];
	}
	text[o] = '\0';
	free(raw);
	return text;
}

START_TEST(test_cursor_forged_limits)
{
	struct cursor_pos out;
	uint8_t key[CURSOR_KEY_MAX + 1];
	memset(key, 'k', sizeof key);

	/* The forger matches the real layout: this one is accepted. */
	char *text = forge(1, 77, key, CURSOR_KEY_MAX);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), 0);
	ck_assert_int_eq(out.id, 77);
	ck_assert_uint_eq(strlen(out.key), CURSOR_KEY_MAX);
	struct cursor_pos pos = make_pos("2024-04-26", 5);
	char *real = cursor_encode(test_key, test_scope, &pos);
	char *fake = forge(1, 5, (const uint8_t *)"2024-04-26", 10);
	ck_assert_str_eq(real, fake);
	free(real);
	free(fake);
	free(text);

	/* A key longer than CURSOR_KEY_MAX, even correctly signed. */
	text = forge(1, 77, key, CURSOR_KEY_MAX + 1);
	ck_assert_uint_le(strlen(text), CURSOR_TEXT_MAX);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);

	/* Ids that are not positive. */
	text = forge(1, 0, key, 3);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
	text = forge(1, UINT64_MAX, key, 3);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
	text = forge(1, (uint64_t)INT64_MAX + 1, key, 3);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);

	/* A NUL inside the key, and an unknown version. */
	text = forge(1, 3, (const uint8_t *)"ab\0cd", 5);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
	text = forge(2, 3, (const uint8_t *)"abc", 3);
	ck_assert_int_eq(cursor_decode(test_key, test_scope, text, &out), -1);
	free(text);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_xalloc);
	tcase_add_test(tc, test_utf8_length);
	tcase_add_test(tc, test_date_valid);
	tcase_add_test(tc, test_timestamp_now);
	tcase_add_test(tc, test_timestamp_valid);
	tcase_add_test(tc, test_country_valid);
	tcase_add_test(tc, test_country_count);
	tcase_add_test(tc, test_slug_valid);
	tcase_add_test(tc, test_slug_derive);
	tcase_add_test(tc, test_slug_derive_cut);
	tcase_add_test(tc, test_slug_derive_any_input);
	tcase_add_test(tc, test_slug_candidate);
	tcase_add_test(tc, test_ref_parse);
	tcase_add_test(tc, test_enums);
	tcase_add_test(tc, test_url_valid);
	tcase_add_test(tc, test_language_valid);
	tcase_add_test(tc, test_problems);
	tcase_add_test(tc, test_pointer_escape);
	suite_add_tcase(s, tc);

	TCase *tcc = tcase_create("cursor");
	tcase_set_timeout(tcc, 30);
	tcase_add_test(tcc, test_siphash_vectors);
	tcase_add_test(tcc, test_cursor_round_trip);
	tcase_add_test(tcc, test_cursor_tamper);
	tcase_add_test(tcc, test_cursor_wrong_scope_or_key);
	tcase_add_test(tcc, test_cursor_garbage);
	tcase_add_test(tcc, test_cursor_high_bit);
	tcase_add_test(tcc, test_cursor_forged_limits);
	suite_add_tcase(s, tcc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(model_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
