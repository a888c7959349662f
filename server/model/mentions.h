/*
 * Mentions: which entities a text names, by any of their names, and how
 * often. Matching ignores case and diacritics (model_fold) and treats every
 * run of white space as one space. A name holding a CJK character (a Han
 * ideograph, kana or hangul) matches anywhere, as Chinese, Japanese and
 * Korean write words without spaces; any other name matches only as whole
 * words: "Wang Yi" is not found in "Wang Yilin", nor "Xi" in "Xiamen".
 */
#ifndef READOUT_MODEL_MENTIONS_H
#define READOUT_MODEL_MENTIONS_H

#include <stdbool.h>
#include <stddef.h>

/* One entity a text may name: its name and aliases (borrowed strings). */
struct mention_entity {
	const char *const *names;
	size_t name_count;
};

/* One folded name of an entity. */
struct mention_pattern {
	char *text; /* folded; owned */
	size_t len;
	size_t entity;             /* its index in the entities given to the matcher */
	bool anywhere;             /* a CJK name: no word boundaries asked */
	bool word_start, word_end; /* its first or last character is a word character */
};

/* The names of a list of entities, folded once and then matched against
 * any number of texts. */
struct mention_matcher {
	struct mention_pattern *patterns;
	size_t pattern_count;
	size_t entity_count;
};

/* Folds the names of n entities into m. Names that fold to nothing are
 * left out. Release with model_mention_matcher_clear. */
void model_mention_matcher_init(struct mention_matcher *m, const struct mention_entity *entities,
                                size_t n);
void model_mention_matcher_clear(struct mention_matcher *m);

/* Counts into counts[i] (entity_count of them) how many times text (UTF-8)
 * names entity i. A stretch of text counts once per entity even when several
 * of its names match there ("Antony Blinken" and the alias "Blinken"):
 * matches are taken from the left, the longest first, and one that overlaps
 * a match taken before is not counted. The text is folded once; the cost is
 * O(length of text x number of names). */
void model_mentions_count(const struct mention_matcher *m, const char *text, size_t *counts);

/* The text as the matcher compares it: model_fold, then every run of white
 * space (ASCII and U+00A0, U+3000) as one space. Returns a new string. */
char *model_mention_fold(const char *text);

#endif
