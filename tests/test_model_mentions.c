/*
 * Unit tests for model/mentions.h: which entities a text names and how
 * often, with word boundaries for Latin names, substrings for CJK names,
 * case and diacritics ignored, and overlapping names of one entity counted
 * once. Ends with the cost on a long text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/mentions.h"
#include "model/xalloc.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The count of each of n entities (names NULL-terminated lists) in text. */
static void count_in(const char *text, const char *const *const names[], size_t n, size_t *out)
{
	struct mention_entity *e = xcalloc(n, sizeof *e);
	for (size_t i = 0; i < n; i++) {
		e[i].names = names[i];
		while (names[i][e[i].name_count])
			e[i].name_count++;
	}
	struct mention_matcher m;
	model_mention_matcher_init(&m, e, n);
	model_mentions_count(&m, text, out);
	model_mention_matcher_clear(&m);
	free(e);
}

/* How often text names the one entity of names. */
static size_t count_one(const char *text, const char *const names[])
{
	const char *const *const list[] = {names};
	size_t n;
	count_in(text, list, 1, &n);
	return n;
}

START_TEST(test_latin_word_boundaries)
{
	static const char *const wang_yi[] = {"Wang Yi", NULL};
	ck_assert_uint_eq(count_one("Wang Yi participated in the meeting.", wang_yi), 1);
	ck_assert_uint_eq(count_one("Wang Yilin spoke.", wang_yi), 0);
	ck_assert_uint_eq(count_one("SWang Yi spoke.", wang_yi), 0);
	ck_assert_uint_eq(count_one("(Wang Yi), Wang Yi; Wang Yi's", wang_yi), 3);
	ck_assert_uint_eq(count_one("Wang Yi", wang_yi), 1);
	ck_assert_uint_eq(count_one("Wang\n  Yi met Wang\u00a0Yi", wang_yi), 2);
	ck_assert_uint_eq(count_one("Wang Yi2", wang_yi), 0);
	ck_assert_uint_eq(count_one("Wang Yi\u2019s visit", wang_yi), 1);
	ck_assert_uint_eq(count_one("王毅Wang Yi会见", wang_yi), 1);
	ck_assert_uint_eq(count_one("", wang_yi), 0);
	static const char *const xi[] = {"Xi", NULL};
	ck_assert_uint_eq(count_one("Xiamen and Xi'an, not Xi? Xi!", xi),
	                  3); /* Xi'an: "Xi" then ' */
	ck_assert_uint_eq(count_one("Maxi Xiamen", xi), 0);
	/* A name ending in punctuation needs no boundary after it. */
	static const char *const biden[] = {"Joseph R. Biden Jr.", NULL};
	ck_assert_uint_eq(count_one("President Joseph R. Biden Jr.said", biden), 1);
}
END_TEST

START_TEST(test_case_and_diacritics)
{
	static const char *const sefcovic[] = {"Maroš Šefčovič", NULL};
	ck_assert_uint_eq(
	    count_one("MAROS SEFCOVIC and maroš šefčovič and Maros Sefcovic", sefcovic), 3);
	static const char *const plain[] = {"Muller", NULL};
	ck_assert_uint_eq(count_one("Herr Müller und MÜLLER", plain), 2);
	/* A combining accent is dropped as a precomposed one is. */
	static const char *const jose[] = {"José", NULL};
	ck_assert_uint_eq(count_one("Jose\xcc\x81 and JOSE and Josèphine", jose), 2);
}
END_TEST

START_TEST(test_cjk_substrings)
{
	static const char *const respect[] = {"Mutual respect", "相互尊重", NULL};
	static const char *const coexist[] = {"Peaceful coexistence", "和平共处", NULL};
	static const char *const winwin[] = {"Win-win cooperation", "合作共赢", NULL};
	const char *const *const list[] = {respect, coexist, winwin};
	size_t n[3];
	count_in("双方同意坚持相互尊重、和平共处", list, 3, n);
	ck_assert_uint_eq(n[0], 1);
	ck_assert_uint_eq(n[1], 1);
	ck_assert_uint_eq(n[2], 0);
	/* Inside longer runs, with no spaces: still found. */
	count_in("坚持和平共处五项原则，和平共处和合作共赢。Mutual respect, peaceful coexistence",
	         list, 3, n);
	ck_assert_uint_eq(n[0], 1);
	ck_assert_uint_eq(n[1], 3);
	ck_assert_uint_eq(n[2], 1);
	/* Kana and hangul names are substrings too. */
	static const char *const kishida[] = {"岸田", NULL};
	ck_assert_uint_eq(count_one("岸田総理は", kishida), 1);
	static const char *const moon[] = {"문재인", NULL};
	ck_assert_uint_eq(count_one("문재인은 말했다. 문재인대통령", moon), 2);
}
END_TEST

START_TEST(test_overlapping_names)
{
	/* Name and alias at one place count once; elsewhere each counts. */
	static const char *const blinken[] = {"Antony Blinken", "Blinken", "Anthony Blinken", NULL};
	ck_assert_uint_eq(
	    count_one("Antony Blinken met. Blinken said. Anthony Blinken left.", blinken), 3);
	/* The same name twice (a repeated alias) counts once per place. */
	static const char *const twice[] = {"One-China policy", "one-china POLICY", NULL};
	ck_assert_uint_eq(count_one("the one-China policy and One-China policy", twice), 2);
	/* Overlapping CJK names of one entity: one position, one count. */
	static const char *const five[] = {"和平共处五项原则", "和平共处", NULL};
	ck_assert_uint_eq(count_one("坚持和平共处五项原则和和平共处", five), 2);
	/* Two entities may both claim one place: each counts it. */
	static const char *const a[] = {"Xi Jinping", NULL};
	static const char *const b[] = {"Jinping", NULL};
	const char *const *const list[] = {a, b};
	size_t n[2];
	count_in("President Xi Jinping", list, 2, n);
	ck_assert_uint_eq(n[0], 1);
	ck_assert_uint_eq(n[1], 1);
	/* Self-overlap of a repetitive CJK name is counted without overlap. */
	static const char *const aa[] = {"哈哈", NULL};
	ck_assert_uint_eq(count_one("哈哈哈", aa), 1);
	ck_assert_uint_eq(count_one("哈哈哈哈", aa), 2);
}
END_TEST

START_TEST(test_empty_and_odd_names)
{
	static const char *const blank[] = {"", "   ", NULL};
	ck_assert_uint_eq(count_one("anything at all", blank), 0);
	static const char *const padded[] = {"  Wang Yi ", NULL};
	ck_assert_uint_eq(count_one("Wang Yi.", padded), 1);
	/* No entities at all. */
	struct mention_matcher m;
	model_mention_matcher_init(&m, NULL, 0);
	model_mentions_count(&m, "text", NULL);
	model_mention_matcher_clear(&m);
	/* Invalid UTF-8 in the text is no crash. */
	static const char *const xi[] = {"Xi", NULL};
	ck_assert_uint_eq(count_one("\xff Xi \xe4\xb8", xi), 1);
}
END_TEST

START_TEST(test_fold)
{
	char *f = model_mention_fold("  Ünited\t\n Nations\u3000会议 ");
	ck_assert_str_eq(f, " united nations 会议 ");
	free(f);
}
END_TEST

/* The cost: a 100 KB readout against 50 entities of 2 names each. */
START_TEST(test_cost)
{
	enum { ENTITIES = 50, TEXT = 100 * 1024 };
	char *text = xmalloc(TEXT + 1);
	const char *chunk =
	    "The two sides agreed to uphold mutual respect and peaceful "
	    "coexistence; 双方同意坚持相互尊重、和平共处。Wang Yi met Antony Blinken. ";
	size_t len = strlen(chunk), used = 0;
	while (used + len <= TEXT) {
		memcpy(text + used, chunk, len);
		used += len;
	}
	text[used] = '\0';
	char names[ENTITIES][2][64];
	const char *lists[ENTITIES][3];
	struct mention_entity e[ENTITIES];
	for (int i = 0; i < ENTITIES; i++) {
		snprintf(names[i][0], sizeof names[i][0], "Principle number %d of peace", i);
		snprintf(names[i][1], sizeof names[i][1], "原则%d", i);
		lists[i][0] = names[i][0];
		lists[i][1] = names[i][1];
		lists[i][2] = NULL;
		e[i] = (struct mention_entity){lists[i], 2};
	}
	lists[0][0] = "mutual respect";
	lists[1][1] = "和平共处";
	lists[2][0] = "Wang Yi";
	struct mention_matcher m;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	model_mention_matcher_init(&m, e, ENTITIES);
	size_t counts[ENTITIES];
	enum { RUNS = 20 };
	for (int r = 0; r < RUNS; r++)
		model_mentions_count(&m, text, counts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
	    RUNS;
	size_t reps = used / len;
	ck_assert_uint_eq(counts[0], reps);
	ck_assert_uint_eq(counts[1], reps);
	ck_assert_uint_eq(counts[2], reps);
	ck_assert_uint_eq(counts[3], 0);
	fprintf(stderr, "mentions: %zu bytes x %d names: %.3f ms a call\n", used, 2 * ENTITIES, ms);
	ck_assert(ms < 200); /* generous: sanitizers and valgrind run this too */
	model_mention_matcher_clear(&m);
	free(text);
}
END_TEST

static Suite *mentions_suite(void)
{
	Suite *s = suite_create("model_mentions");
	TCase *tc = tcase_create("mentions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_latin_word_boundaries);
	tcase_add_test(tc, test_case_and_diacritics);
	tcase_add_test(tc, test_cjk_substrings);
	tcase_add_test(tc, test_overlapping_names);
	tcase_add_test(tc, test_empty_and_odd_names);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_cost);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mentions_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
