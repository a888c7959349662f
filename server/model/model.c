/*
 * The pure rules of Readout's data (see model.h): calendar dates and
 * timestamps, ISO 3166-1 country codes, slugs and their derivation from free
 * text, id-or-slug references, enumerations, URL and language-tag checks, and
 * the list of validation problems a request body collects. Only
 * model_timestamp_now touches the outside world (it reads the clock).
 */
#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model/xalloc.h"

#include <sodium.h>

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alpha(unsigned char c)
{
	return is_lower(c) || is_upper(c);
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* True when the n bytes at s are all ASCII digits (and n > 0). */
static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

size_t model_utf8_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

/* Dates and timestamps */

static bool is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits at s into *out; false if any is not a digit.
 * Stops at the first non-digit, so it never reads past a NUL. */
static bool read_digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* True when the first MODEL_DATE_LEN bytes of s are a real date YYYY-MM-DD
 * (what follows them is the caller's business). */
static bool date_prefix_valid(const char *s)
{
	int y, m, d;
	if (!read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &m) || s[7] != '-' ||
	    !read_digits(s + 8, 2, &d))
		return false;
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

bool model_date_valid(const char *s)
{
	return s && strnlen(s, MODEL_DATE_LEN + 1) == MODEL_DATE_LEN && date_prefix_valid(s);
}

void model_timestamp_now(char out[MODEL_TIMESTAMP_LEN + 1])
{
	model_timestamp_ago(0, out);
}

void model_timestamp_ago(long seconds, char out[MODEL_TIMESTAMP_LEN + 1])
{
	struct timespec ts;
	struct tm tm;
	bool now = clock_gettime(CLOCK_REALTIME, &ts) == 0;
	ts.tv_sec -= seconds;
	if (!now || !gmtime_r(&ts.tv_sec, &tm)) {
		memcpy(out, "1970-01-01T00:00:00.000Z", MODEL_TIMESTAMP_LEN + 1);
		return;
	}
	size_t n = strftime(out, MODEL_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n != MODEL_TIMESTAMP_LEN - 5) {
		/* Only a year outside 0000-9999 gets here. */
		memcpy(out, "9999-12-31T23:59:59.999Z", MODEL_TIMESTAMP_LEN + 1);
		return;
	}
	unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = 'Z';
	out[n + 5] = '\0';
}

bool model_timestamp_valid(const char *s)
{
	int hh, mm, ss, ms;
	if (!s || strnlen(s, MODEL_TIMESTAMP_LEN + 1) != MODEL_TIMESTAMP_LEN)
		return false;
	if (!date_prefix_valid(s) || s[10] != 'T' || !read_digits(s + 11, 2, &hh) || s[13] != ':' ||
	    !read_digits(s + 14, 2, &mm) || s[16] != ':' || !read_digits(s + 17, 2, &ss) ||
	    s[19] != '.' || !read_digits(s + 20, 3, &ms) || s[23] != 'Z')
		return false;
	return hh <= 23 && mm <= 59 && ss <= 59;
}

/* Countries */

/* The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for bsearch.
 * User-assigned codes (AA, QM-QZ, XA-XZ including XK, ZZ) and reserved ones
 * (UK, EU, ...) are deliberately absent. */
static const char country_codes[][3] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static int country_compare(const void *a, const void *b)
{
	return memcmp(a, b, 2);
}

bool model_country_valid(const char *s)
{
	if (!s || strnlen(s, 3) != 2 || !is_upper((unsigned char)s[0]) ||
	    !is_upper((unsigned char)s[1]))
		return false;
	return bsearch(s, country_codes, sizeof country_codes / sizeof country_codes[0],
	               sizeof country_codes[0], country_compare) != NULL;
}

/* Slugs */

bool model_slug_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strnlen(s, MODEL_SLUG_MAX + 1);
	if (n == 0 || n > MODEL_SLUG_MAX || s[0] == '-' || s[n - 1] == '-' || all_digits(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '-') {
			if (s[i + 1] == '-')
				return false;
		} else if (!is_lower(c) && !is_digit(c)) {
			return false;
		}
	}
	return true;
}

/* Decodes one UTF-8 sequence at p (which is not at its NUL) into *cp and
 * returns its length. A malformed sequence yields U+FFFD and a length that
 * stops before any NUL, so the caller never steps past the end. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return i;
		}
		v = (v << 6) | (p[i] & 0x3F);
	}
	*cp = (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : v;
	return n;
}

/* Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A)
 * and the ASCII letters they fold to. Code points in neither table nor
 * ASCII are separators. */
static const struct {
	uint16_t first, last;
	const char *ascii;
} latin_folds[] = {
    {0x00C0, 0x00C5, "a"},  {0x00C6, 0x00C6, "ae"}, {0x00C7, 0x00C7, "c"},  {0x00C8, 0x00CB, "e"},
    {0x00CC, 0x00CF, "i"},  {0x00D0, 0x00D0, "d"},  {0x00D1, 0x00D1, "n"},  {0x00D2, 0x00D6, "o"},
    {0x00D8, 0x00D8, "o"},  {0x00D9, 0x00DC, "u"},  {0x00DD, 0x00DD, "y"},  {0x00DE, 0x00DE, "th"},
    {0x00DF, 0x00DF, "ss"}, {0x00E0, 0x00E5, "a"},  {0x00E6, 0x00E6, "ae"}, {0x00E7, 0x00E7, "c"},
    {0x00E8, 0x00EB, "e"},  {0x00EC, 0x00EF, "i"},  {0x00F0, 0x00F0, "d"},  {0x00F1, 0x00F1, "n"},
    {0x00F2, 0x00F6, "o"},  {0x00F8, 0x00F8, "o"},  {0x00F9, 0x00FC, "u"},  {0x00FD, 0x00FD, "y"},
    {0x00FE, 0x00FE, "th"}, {0x00FF, 0x00FF, "y"},  {0x0100, 0x0105, "a"},  {0x0106, 0x010D, "c"},
    {0x010E, 0x0111, "d"},  {0x0112, 0x011B, "e"},  {0x011C, 0x0123, "g"},  {0x0124, 0x0127, "h"},
    {0x0128, 0x0131, "i"},  {0x0132, 0x0133, "ij"}, {0x0134, 0x0135, "j"},  {0x0136, 0x0138, "k"},
    {0x0139, 0x0142, "l"},  {0x0143, 0x014B, "n"},  {0x014C, 0x0151, "o"},  {0x0152, 0x0153, "oe"},
    {0x0154, 0x0159, "r"},  {0x015A, 0x0161, "s"},  {0x0162, 0x0167, "t"},  {0x0168, 0x0173, "u"},
    {0x0174, 0x0175, "w"},  {0x0176, 0x0178, "y"},  {0x0179, 0x017E, "z"},  {0x017F, 0x017F, "s"},
    {0x1E9E, 0x1E9E, "ss"},
};

/* Writes the slug letters for cp into buf and returns how many (1 or 2);
 * returns 0 for a combining mark (dropped, so "e" + U+0301 stays "e") and -1
 * for a separator. */
static int fold_code_point(uint32_t cp, char buf[2])
{
	if (cp < 0x80) {
		if (is_upper((unsigned char)cp)) {
			buf[0] = (char)(cp - 'A' + 'a');
			return 1;
		}
		if (is_lower((unsigned char)cp) || is_digit((unsigned char)cp)) {
			buf[0] = (char)cp;
			return 1;
		}
		return -1;
	}
	if (cp >= 0x0300 && cp <= 0x036F)
		return 0;
	if (cp > 0x017F && cp != 0x1E9E) /* past the table: CJK text folds fast */
		return -1;
	for (size_t i = 0; i < sizeof latin_folds / sizeof latin_folds[0]; i++) {
		if (cp >= latin_folds[i].first && cp <= latin_folds[i].last) {
			size_t n = strlen(latin_folds[i].ascii);
			memcpy(buf, latin_folds[i].ascii, n);
			return (int)n;
		}
	}
	return -1;
}

/* Appends the slug form of text to out at len and returns the new length.
 * The appended part matches [a-z0-9]+(-[a-z0-9]+)* or is empty; it is never
 * longer than 2 * strlen(text) bytes (out must have that room). */
static size_t slug_fold(const char *text, char *out, size_t len)
{
	size_t start = len;
	bool gap = false;
	const unsigned char *p = (const unsigned char *)text;
	while (*p) {
		uint32_t cp;
		char buf[2];
		p += utf8_next(p, &cp);
		int n = fold_code_point(cp, buf);
		if (n < 0) {
			gap = true;
			continue;
		}
		if (n == 0)
			continue;
		if (gap && len > start)
			out[len++] = '-';
		gap = false;
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
	}
	return len;
}

/* The length to keep of the len-byte slug-shaped s so that it fits in max:
 * the last hyphen at or before max and after floor, or a hard cut at max
 * when there is none. The kept part never ends in a hyphen. */
static size_t slug_cut(const char *s, size_t len, size_t floor, size_t max)
{
	if (len <= max)
		return len;
	for (size_t p = max; p > floor; p--)
		if (s[p] == '-')
			return p;
	size_t n = max;
	while (n > 0 && s[n - 1] == '-')
		n--;
	return n;
}

/* One attempt at model_slug_derive; the result may be invalid (all digits)
 * when a hard cut leaves only digits. Returns a new string. */
static char *slug_build(const char *text, const char *prefix, const char *fallback)
{
	size_t room = 2 * (strlen(text) + strlen(prefix) + strlen(fallback)) + 8;
	char *out = xmalloc(room);
	size_t head = slug_fold(prefix, out, 0);
	size_t body = head;
	if (head > 0)
		out[body++] = '-';
	size_t len = slug_fold(text, out, body);
	if (len == body || (head == 0 && all_digits(out, len))) {
		len = slug_fold(fallback, out, body);
		if (len == body || (head == 0 && all_digits(out, len))) {
			memcpy(out + body, "item", 4);
			len = body + 4;
		}
	}
	len = slug_cut(out, len, head, MODEL_SLUG_MAX);
	out[len] = '\0';
	return out;
}

char *model_slug_derive(const char *text, const char *prefix, const char *fallback)
{
	const char *fb = fallback ? fallback : "item";
	char *s = slug_build(text ? text : "", prefix ? prefix : "", fb);
	if (model_slug_valid(s))
		return s;
	free(s);
	s = slug_build(fb, prefix ? prefix : "", "item");
	if (model_slug_valid(s))
		return s;
	free(s);
	return xstrdup("item");
}

char *model_slug_candidate(const char *base, int n)
{
	if (n <= 1)
		return xstrdup(base);
	char suffix[16];
	int slen = snprintf(suffix, sizeof suffix, "-%d", n);
	size_t keep = slug_cut(base, strlen(base), 0, MODEL_SLUG_MAX - (size_t)slen);
	return xasprintf("%.*s%s", (int)keep, base, suffix);
}

/* References */

int model_ref_parse(const char *s, struct model_ref *out)
{
	if (!s || !*s)
		return -1;
	size_t n = strlen(s);
	if (all_digits(s, n)) {
		int64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			int d = s[i] - '0';
			if (v > (INT64_MAX - d) / 10)
				return 1; /* well-formed, past every id */
			v = v * 10 + d;
		}
		if (v == 0)
			return -1;
		out->id = v;
		out->slug = NULL;
		return 0;
	}
	if (!model_slug_valid(s))
		return -1;
	out->id = 0;
	out->slug = s;
	return 0;
}

/* Enumerations */

const char *const model_kind_names[] = {"meeting", "talks", "phone_call", "video_call",
                                        "summit",  "visit", "other",      NULL};
const char *const model_role_names[] = {"host", "guest", "attendee", NULL};
const char *const model_stance_names[] = {"proposed", "reaffirmed", "cited", NULL};
const char *const model_relation_names[] = {"references", "follows_up", NULL};

int model_enum_parse(const char *const names[], const char *s)
{
	if (!names || !s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* URLs and language tags */

/* True when s starts with the lower-case ASCII word, ignoring case. */
static bool starts_with_ci(const char *s, const char *word)
{
	for (; *word; s++, word++) {
		unsigned char c = (unsigned char)*s;
		if (is_upper(c))
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)*word)
			return false;
	}
	return true;
}

/* True for a byte that may appear in a registered host name: unreserved,
 * percent, sub-delims, or part of a UTF-8 sequence (internationalised). */
static bool host_char(unsigned char c)
{
	return is_alnum(c) || c >= 0x80 || (c != '\0' && strchr("-._~%!$&'()*+,;=", c));
}

/* True for an empty port or 1-5 digits up to 65535 (n bytes at s). */
static bool port_valid(const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (n > 5 || !all_digits(s, n))
		return false;
	int v = 0;
	read_digits(s, n, &v);
	return v <= 65535;
}

/* True when the n-byte authority a (userinfo@host:port) has a valid,
 * non-empty host. */
static bool authority_valid(const char *a, size_t n)
{
	const char *host = a;
	for (size_t i = n; i > 0; i--) {
		if (a[i - 1] == '@') {
			host = a + i;
			break;
		}
	}
	size_t hn = n - (size_t)(host - a);
	if (hn == 0)
		return false;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', hn);
		if (!close || close == host + 1)
			return false;
		for (const char *c = host + 1; c < close; c++)
			if (!is_digit((unsigned char)*c) && !strchr("abcdefABCDEF:.", *c))
				return false;
		size_t rest = hn - (size_t)(close + 1 - host);
		if (rest == 0)
			return true;
		return close[1] == ':' && port_valid(close + 2, rest - 1);
	}
	size_t name = hn;
	const char *colon = memchr(host, ':', hn);
	if (colon) {
		name = (size_t)(colon - host);
		if (!port_valid(colon + 1, hn - name - 1))
			return false;
	}
	if (name == 0)
		return false;
	for (size_t i = 0; i < name; i++)
		if (!host_char((unsigned char)host[i]))
			return false;
	return true;
}

bool model_url_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strnlen(s, MODEL_URL_MAX + 1);
	if (n == 0 || n > MODEL_URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Spaces, C0 controls, DEL, the characters a URL never holds raw
		 * (quotes, angle brackets, backslash, backtick), and C1 controls
		 * (U+0080-U+009F, UTF-8 C2 80 - C2 9F). */
		if (c <= 0x20 || c == 0x7F || strchr("\"<>\\`", c))
			return false;
		if (c == 0xC2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F)
			return false;
	}
	size_t start;
	if (starts_with_ci(s, "http://"))
		start = 7;
	else if (starts_with_ci(s, "https://"))
		start = 8;
	else
		return false;
	size_t alen = strcspn(s + start, "/?#");
	return authority_valid(s + start, alen);
}

/* The irregular grandfathered tags of RFC 5646 (section 2.2.8), which do
 * not follow the langtag syntax; the regular ones ("zh-min-nan",
 * "art-lojban") do, and are accepted by it. */
static const char *const grandfathered_tags[] = {
    "en-GB-oed", "i-ami", "i-bnn",     "i-default", "i-enochian", "i-hak",
    "i-klingon", "i-lux", "i-mingo",   "i-navajo",  "i-pwn",      "i-tao",
    "i-tay",     "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",  NULL};

/* True when the n bytes at s are all ASCII letters (digits: all digits). */
static bool subtag_is(const char *s, size_t n, bool (*class)(unsigned char))
{
	for (size_t i = 0; i < n; i++)
		if (!class((unsigned char)s[i]))
			return false;
	return true;
}

static bool class_alpha(unsigned char c)
{
	return is_alpha(c);
}

static bool class_digit(unsigned char c)
{
	return is_digit(c);
}

bool model_language_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strnlen(s, MODEL_LANGUAGE_MAX + 1);
	if (n == 0 || n > MODEL_LANGUAGE_MAX)
		return false;
	for (int i = 0; grandfathered_tags[i]; i++)
		if (strcasecmp(s, grandfathered_tags[i]) == 0)
			return true;
	/* The subtags: 1-8 ASCII letters and digits, between single hyphens. */
	const char *sub[MODEL_LANGUAGE_MAX];
	size_t len[MODEL_LANGUAGE_MAX], count = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t start = i;
		while (i < n && is_alnum((unsigned char)s[i]))
			i++;
		if (i - start < 1 || i - start > 8 || (i < n && s[i] != '-'))
			return false;
		sub[count] = s + start;
		len[count++] = i - start;
	}
	size_t k = 0;
	/* privateuse = "x" 1*("-" 1*8alphanum), alone or at the end */
#define PRIVATE_USE_AT(k) (len[k] == 1 && (sub[k][0] | 0x20) == 'x')
	if (!PRIVATE_USE_AT(0)) {
		/* language = 2*3ALPHA ["-" extlang] / 4*8ALPHA;
		 * extlang = 3ALPHA *2("-" 3ALPHA) */
		if (len[0] < 2 || !subtag_is(sub[0], len[0], class_alpha))
			return false;
		k = 1;
		for (size_t ext = 0; len[0] <= 3 && ext < 3 && k < count && len[k] == 3 &&
		                     subtag_is(sub[k], 3, class_alpha);
		     ext++)
			k++;
		/* script = 4ALPHA */
		if (k < count && len[k] == 4 && subtag_is(sub[k], 4, class_alpha))
			k++;
		/* region = 2ALPHA / 3DIGIT */
		if (k < count && ((len[k] == 2 && subtag_is(sub[k], 2, class_alpha)) ||
		                  (len[k] == 3 && subtag_is(sub[k], 3, class_digit))))
			k++;
		/* variant = 5*8alphanum / (DIGIT 3alphanum) */
		while (k < count &&
		       (len[k] >= 5 || (len[k] == 4 && is_digit((unsigned char)sub[k][0]))))
			k++;
		/* extension = singleton 1*("-" 2*8alphanum) */
		while (k < count && len[k] == 1 && !PRIVATE_USE_AT(k)) {
			size_t first = ++k;
			while (k < count && len[k] >= 2)
				k++;
			if (k == first)
				return false;
		}
		if (k == count)
			return true;
		if (!PRIVATE_USE_AT(k))
			return false;
	}
	/* k is at the "x" of a private use part: one or more subtags follow. */
	return count - k >= 2;
#undef PRIVATE_USE_AT
}

/* Validation problems */

void model_problems_add(struct model_problems *p, const char *detail, const char *pointer_fmt, ...)
{
	p->count++;
	if (p->listed == MODEL_PROBLEMS_LISTED_MAX)
		return; /* counted, not kept: a body with a million problems stays a small answer */
	if (p->listed == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		p->items = xrealloc(p->items, p->cap * sizeof p->items[0]);
	}
	va_list ap;
	va_start(ap, pointer_fmt);
	p->items[p->listed].pointer = xvasprintf(pointer_fmt, ap);
	va_end(ap);
	p->items[p->listed].detail = xstrdup(detail ? detail : "");
	p->listed++;
}

void model_problems_clear(struct model_problems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->listed; i++) {
		free(p->items[i].pointer);
		free(p->items[i].detail);
	}
	free(p->items);
	p->items = NULL;
	p->count = p->listed = p->cap = 0;
}

char *model_pointer_escape(const char *token)
{
	size_t n = 0;
	for (const char *c = token; *c; c++)
		n += (*c == '~' || *c == '/') ? 2 : 1;
	char *out = xmalloc(n + 1);
	char *o = out;
	for (const char *c = token; *c; c++) {
		if (*c == '~') {
			*o++ = '~';
			*o++ = '0';
		} else if (*c == '/') {
			*o++ = '~';
			*o++ = '1';
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	return out;
}

char *model_fold(const char *s)
{
	size_t len = strlen(s);
	char *out = xmalloc(2 * len + 1);
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		char buf[2];
		size_t step = utf8_next(p, &cp);
		int k = fold_code_point(cp, buf);
		if (k > 0) {
			memcpy(out + n, buf, (size_t)k);
			n += (size_t)k;
		} else if (k < 0) {
			memcpy(out + n, p, step);
			n += step;
		}
		p += step;
	}
	out[n] = '\0';
	return out;
}

bool model_text_valid(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return false;
	return true;
}

void model_etag(const char *body, size_t len, char out[MODEL_ETAG_LEN + 1])
{
	static const unsigned char key[crypto_shorthash_KEYBYTES] = {0};
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)body, len, key);
	out[0] = '"';
	sodium_bin2hex(out + 1, 2 * sizeof h + 1, h, sizeof h);
	out[MODEL_ETAG_LEN - 1] = '"';
	out[MODEL_ETAG_LEN] = '\0';
}
