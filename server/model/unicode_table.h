/*
 * What FTS5's unicode61 tokenizer (remove_diacritics 2) makes of each
 * character, as tables generated from SQLite itself by scripts/unicode-table
 * (unicode_table.c): whether it belongs in words, and what it folds into.
 * model/tokenize.c is their only reader.
 */
#ifndef READOUT_MODEL_UNICODE_TABLE_H
#define READOUT_MODEL_UNICODE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum unicode_class {
	UNICODE_SEPARATOR, /* between words (every character not in a run) */
	UNICODE_WORD,      /* a letter, digit or private-use character: in words */
	UNICODE_DIACRITIC  /* a combining mark that continues a word but starts none */
};

/* Characters first..last are of class cls; sorted, disjoint. */
struct unicode_class_run {
	uint32_t first, last;
	uint8_t cls;
};

/* Characters first, first + step, ..., last fold into themselves plus
 * delta, or into nothing when drop; sorted, disjoint. */
struct unicode_fold_run {
	uint32_t first, last;
	uint8_t step;
	int32_t delta;
	bool drop;
};

extern const struct unicode_class_run unicode_class_runs[];
extern const size_t unicode_class_run_count;
extern const struct unicode_fold_run unicode_fold_runs[];
extern const size_t unicode_fold_run_count;

#endif
