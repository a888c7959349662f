/*
 * Search text: what a user types into q, translated into an FTS5 query
 * expression in which nothing the user typed can act as FTS5 syntax.
 */
#ifndef READOUT_MODEL_SEARCH_H
#define READOUT_MODEL_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

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

/* A term whose last token (model/tokenize.h) is a CJK character alone in its
 * run is a prefix, so 和 finds the pairs it begins (和平, 和谈) as well as 和
 * alone. */

/* The PostgreSQL tsquery (as text, for CAST(... AS tsquery)) of an
 * expression model_search_translate wrote: each term tokenized as the
 * search vectors are, its tokens a phrase (<->), a prefix on its last token
 * (:*), an OR chain as |, all joined with &. A term with no token drops out
 * of its AND or OR, as FTS5 drops a string with no token; nothing at all is
 * "" (the empty tsquery, which matches nothing). A new string. */
char *model_search_tsquery(const char *expr);

/* The word by which each phrase (quoted term) of an expression
 * model_search_translate wrote is looked up among the tiers of
 * model/rank.h: the phrase's tokens, separated by spaces (its impact is
 * at most each one's: a store reads the tiers of one of them); for a
 * prefix term, its first token, or for a prefix of one token its prefix's
 * tier word (rank_tier_prefix; none for a prefix of fewer characters).
 * Stores each (a new string, folded) in
 * words[i], phrase i being the i-th term of expr, and returns their number;
 * -1 when a phrase has none or expr has more than max phrases (words then
 * holds nothing to free). */
int model_search_tier_words(const char *expr, char **words, int max);

/* The phrases (quoted terms) of an expression model_search_translate
 * wrote, in the order FTS5 numbers them: each a new string, '*' for a
 * prefix or '=' for a whole term, then the term's text unquoted. Returns
 * their number, or -1 when expr has more than max (nothing to free then). */
int model_search_phrases(const char *expr, char **phrases, int max);

/* expr narrowed to the documents holding, for each phrase i with read[i],
 * its word words[i] (model_search_tier_words) in a tier from `from` to `to`
 * of model/rank.h: (expr) AND ("<tier token>" OR ...), the tokens tier by
 * tier (those of tier `from` first, in the order of the words read); with
 * a NULL expr, only the tokens' OR. A new string, or NULL when no phrase
 * is read or a word is too long for a tier token (the search then reads no
 * tiers). */
char *model_search_tier_filter(const char *expr, char *const words[], const bool read[], int n,
                               int from, int to);

/* A snippet of text for an expression model_search_translate wrote: the
 * window of at most `words` tokens holding the most of the expression's
 * tokens, among those up to `words` tokens past the first place where each
 * of them has matched, with "…" where it cuts the text, each run of
 * matching tokens (equal to a token of a term, or beginning with a prefix
 * term's last) between U+0001 and U+0002, and the text's own U+0001 and
 * U+0002 left out. A new string. A long text is not read to its end, nor
 * from its beginning: the reading begins where the windows holding the
 * first match can (for CJK words alone, it looks for the first place one
 * appears as written, which a match with combining marks inside it could
 * come before). */
char *model_search_snippet(const char *text, const char *expr, size_t words);

/* model_search_snippet reading the text from its beginning: the snippet
 * the one of the text read in part must be (tests hold it to that). */
char *model_search_snippet_whole(const char *text, const char *expr, size_t words);

/* The snippet model_search_snippet cuts from a text that begins with
 * `start`, when start alone decides it (its reading stops before start's
 * last token: every lexeme matched in it, and `words` tokens after); NULL
 * when the rest of the text is needed. For an expression of ASCII words
 * (for CJK words, a match with combining marks before the first one as
 * written can make it cut another window than the whole text's). */
char *model_search_snippet_of_start(const char *start, const char *expr, size_t words);

/* The texts of a meeting's readouts, which a search reads: the string
 * value of the "text" member of each object of the JSON array json (n
 * bytes), in order, joined by sep; what json_each with json_extract (or
 * PostgreSQL's ->>) gives, read in one pass. A new string; NULL when no
 * object has a string "text" (*malformed false), or when json is not a
 * JSON array (*malformed true). */
char *model_readout_texts(const char *json, size_t n, const char *sep, bool *malformed);

#endif
