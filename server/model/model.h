/*
 * The pure rules of Readout's data: calendar dates, timestamps, country
 * codes, slugs, enumerations, references and validation problems. Nothing
 * here does I/O, so every rule is unit-tested directly.
 */
#ifndef READOUT_MODEL_H
#define READOUT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of API.md section 2, each a named constant. */
#define MODEL_SLUG_MAX 100
#define MODEL_NAME_MAX 200
#define MODEL_TITLE_MAX 500
#define MODEL_TEXT_MAX 200      /* title, organization, location, city, framework, publisher */
#define MODEL_SUMMARY_MAX 10000 /* meeting summary, principle description */
#define MODEL_READOUT_MAX 500000
#define MODEL_QUOTE_MAX 2000
#define MODEL_URL_MAX 2000
#define MODEL_ALIASES_MAX 20
#define MODEL_SOURCES_MAX 20
#define MODEL_READOUTS_MAX 10 /* other official texts of a meeting */
#define MODEL_LANGUAGE_MAX 35
#define MODEL_NESTED_MAX 200   /* participants, principles, related per meeting */
#define MODEL_DATE_LEN 10      /* YYYY-MM-DD */
#define MODEL_TIMESTAMP_LEN 24 /* 2026-11-27T03:37:34.123Z */

/* The length of an ETag, quotes included. */
#define MODEL_ETAG_LEN 18

/* The strong ETag of a representation ("\"9c8d1b0743cf0659\""): the
 * SipHash-2-4 of its bytes under a fixed, public key, in hex and quotes.
 * No secret, only a validator that changes whenever a byte does. */
void model_etag(const char *body, size_t len, char out[MODEL_ETAG_LEN + 1]);

/* Length of a string in Unicode code points (the string is valid UTF-8). */
size_t model_utf8_length(const char *s);

/* True when s is a real calendar date YYYY-MM-DD, year 0001-9999
 * (leap years per the Gregorian rules: 2024-02-29 yes, 2023-02-29 no,
 * 1900-02-29 no, 2000-02-29 yes). */
bool model_date_valid(const char *s);

/* Writes the current UTC time as RFC 3339 with milliseconds
 * ("2026-11-27T03:37:34.123Z") into out, which holds MODEL_TIMESTAMP_LEN + 1. */
void model_timestamp_now(char out[MODEL_TIMESTAMP_LEN + 1]);
/* The same, for the time seconds ago. */
void model_timestamp_ago(long seconds, char out[MODEL_TIMESTAMP_LEN + 1]);

/* True when s has exactly the shape model_timestamp_now writes
 * (YYYY-MM-DDTHH:MM:SS.mmmZ) with a real date and time of day. */
bool model_timestamp_valid(const char *s);

/* True when s holds no control characters other than tab, line feed and
 * carriage return (U+0000-U+001F, U+007F). Stored text never holds them, so
 * search snippets can mark matches with U+0001 and U+0002. */
bool model_text_valid(const char *s);

/* The text as compared for case- and accent-insensitive matching: ASCII
 * letters lower-cased, Latin letters with diacritics folded as in slugs
 * ("Müller" -> "muller", "Straße" -> "strasse"), combining marks dropped,
 * everything else kept. Returns a new string. */
char *model_fold(const char *s);

/* True when s is an assigned ISO 3166-1 alpha-2 code, upper case
 * ("US", "CN"; not "ZZ", "us", "USA"). */
bool model_country_valid(const char *s);

/* True when s matches [a-z0-9]+(-[a-z0-9]+)*, is at most MODEL_SLUG_MAX
 * characters and is not all digits (all-digit refs are ids). */
bool model_slug_valid(const char *s);

/* Derives a slug from free text (UTF-8): Latin letters with diacritics lose
 * them (é -> e, ß -> ss, ø -> o, æ -> ae), letters are lower-cased, every run
 * of other characters becomes one hyphen, leading/trailing hyphens dropped.
 * When prefix is not NULL (a meeting date) the result is "<prefix>-<text>".
 * The result is cut at MODEL_SLUG_MAX characters on a word (hyphen) boundary
 * (a single word longer than the limit is cut hard). When the text yields
 * nothing usable (empty, or all digits with no prefix), fallback is used in
 * its place ("participant", "principle", "meeting").
 * Returns a new string (caller frees); never NULL. Always model_slug_valid. */
char *model_slug_derive(const char *text, const char *prefix, const char *fallback);

/* The n-th candidate for a taken slug: base for n <= 1, else "<base>-<n>",
 * with base cut on a word boundary so the result stays within MODEL_SLUG_MAX.
 * Returns a new string (caller frees). */
char *model_slug_candidate(const char *base, int n);

/* A reference to an entity as a client writes it: an id or a slug. */
struct model_ref {
	int64_t id;       /* > 0 when the reference is an id, else 0 */
	const char *slug; /* borrowed; set when id == 0 */
};

/* Parses a path segment: all digits -> id (1..INT64_MAX; "0" fails),
 * otherwise it must be a valid slug. Borrows s. Returns 0, -1 when s is not
 * a reference, or 1 when it is an id past INT64_MAX: well-formed, but no
 * entity has it (out is then untouched). */
int model_ref_parse(const char *s, struct model_ref *out);

/* Enumerations: each has a NULL-terminated table of wire names and a parser
 * that returns the index or -1. */
enum model_kind {
	KIND_MEETING,
	KIND_TALKS,
	KIND_PHONE_CALL,
	KIND_VIDEO_CALL,
	KIND_SUMMIT,
	KIND_VISIT,
	KIND_OTHER
};
enum model_role { ROLE_HOST, ROLE_GUEST, ROLE_ATTENDEE };
enum model_stance { STANCE_PROPOSED, STANCE_REAFFIRMED, STANCE_CITED };
enum model_relation { RELATION_REFERENCES, RELATION_FOLLOWS_UP };
extern const char *const model_kind_names[];
extern const char *const model_role_names[];
extern const char *const model_stance_names[];
extern const char *const model_relation_names[];
/* Index of s in the NULL-terminated table names, or -1. */
int model_enum_parse(const char *const names[], const char *s);

/* True for an absolute http or https URL with a non-empty host, no spaces or
 * control characters, at most MODEL_URL_MAX bytes. */
bool model_url_valid(const char *s);

/* True for a well-formed BCP 47 language tag (RFC 5646 section 2.1 syntax,
 * letters in any case): a language of 2-3 letters with up to three 3-letter
 * extlangs, or of 4-8 letters; an optional 4-letter script; an optional
 * region of 2 letters or 3 digits; variants (5-8 letters and digits, or a
 * digit and 3 more); extensions (a singleton other than x, then subtags of
 * 2-8); private use ("x" then subtags of 1-8), also as the whole tag; or
 * one of the irregular grandfathered tags ("i-navajo", "en-GB-oed"). At most
 * MODEL_LANGUAGE_MAX characters. Form only: subtags are not looked up in
 * the registry ("en", "zh-Hans", "pt-BR", "es-419", "sr-Latn-RS"). */
bool model_language_valid(const char *s);

/* Validation problems: every problem found, each with a JSON pointer
 * (RFC 6901) into the request body and a sentence for a human. */
struct model_problem {
	char *pointer; /* owned */
	char *detail;  /* owned */
};
#define MODEL_PROBLEMS_LISTED_MAX 100 /* problems kept with their text; the rest are counted */
struct model_problems {
	struct model_problem *items; /* the first `listed` problems */
	size_t count;                /* every problem found */
	size_t listed, cap;
};
/* Appends one problem (copies both strings; the pointer is built with
 * printf-style formatting). */
void model_problems_add(struct model_problems *p, const char *detail, const char *pointer_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees the items; p itself is the caller's (usually on the stack). NULL ok. */
void model_problems_clear(struct model_problems *p);

/* Escapes one JSON pointer reference token ("~" -> "~0", "/" -> "~1").
 * Returns a new string. */
char *model_pointer_escape(const char *token);

#endif
