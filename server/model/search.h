/*
 * Search text: what a user types into q, translated into an FTS5 query
 * expression in which nothing the user typed can act as FTS5 syntax.
 */
#ifndef READOUT_MODEL_SEARCH_H
#define READOUT_MODEL_SEARCH_H

#define SEARCH_TEXT_MAX 500 /* characters */

enum search_result {
	SEARCH_OK,      /* *out is an expression, or NULL when no word can match anything */
	SEARCH_EMPTY,   /* nothing but spaces: 400 */
	SEARCH_TOO_LONG /* over SEARCH_TEXT_MAX characters: 400 */
};

/* Translates q (UTF-8). Words are ANDed; "double quoted" text is a phrase;
 * a trailing * makes a word (or phrase) a prefix; OR between two terms is an
 * OR (binding tighter than the AND around it); every other character is
 * literal text. Each term becomes an FTS5 string ("...", quotes doubled), so
 * no input reaches FTS5 as syntax; terms with no letter or digit are
 * dropped. An unbalanced quote is read as a plain character. On SEARCH_OK
 * *out is a new string (caller frees) or NULL. */
enum search_result model_search_translate(const char *q, char **out);

#endif
