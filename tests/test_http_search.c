/* HTTP tests of full-text search (API.md section 4): GET /v1/search and q on
 * GET /v1/meetings, on the sample records plus records each test makes. The
 * search rules, nasty inputs that must never give a 500, the hit shape and
 * ranking, HTML-safe snippets, filters, pagination and cursors, and the index
 * staying in step with every write (and with every refused write). */
#include <check.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct harness h;
static const char *const sample_args[] = {"--sample-data", NULL};

static void setup(void)
{
	harness_start(&h, sample_args);
}

static void teardown(void)
{
	harness_stop(&h);
}

/* ---- helpers ---- */

#define F path_fmt
#define TEXT_MAX HARNESS_TEXT_MAX

/* s percent-encoded (every byte but RFC 3986 unreserved ones), in a
 * rotating buffer. */
static const char *enc(const char *s)
{
	static char bufs[4][TEXT_MAX];
	static int next;
	char *buf = bufs[next++ % 4];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		ck_assert_msg(n + 4 < TEXT_MAX, "query too long to encode");
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, TEXT_MAX - n, "%%%02X", *p);
	}
	buf[n] = '\0';
	return buf;
}

/* s repeated n times (new string). */
static char *repeat(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *out = malloc(len * n + 1);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

/* An authorized write of body (stolen; may be NULL) with an optional extra
 * header line. */
static struct reply *send_json(const char *method, const char *path, json_t *body,
                               const char *extra)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	const char *const hdr[] = {"AUTH", extra, NULL};
	struct reply *r = req(&h, method, path, text, hdr);
	free(text);
	return r;
}

static void expect_status(const char *method, const char *path, json_t *body, long status)
{
	struct reply *r = send_json(method, path, body, NULL);
	ck_assert_msg(r->status == status, "%s %s: want %ld, got %ld %s", method, path, status,
	              r->status, r->body);
	reply_free(r);
}

/* POSTs body (stolen) to path; asserts 201 and returns the new id. */
static int64_t create(const char *path, json_t *body)
{
	struct reply *r = send_json("POST", path, body, NULL);
	ck_assert_msg(r->status == 201, "POST %s: %ld %s", path, r->status, r->body);
	int64_t id = jint(r->json, "id");
	ck_assert_int_gt(id, 0);
	reply_free(r);
	return id;
}

static int64_t meeting(const char *title, const char *date, const char *readout)
{
	return create("/v1/meetings", json_pack("{s:s, s:s, s:s?}", "title", title, "date", date,
	                                        "readout", readout));
}

/* A meeting of a kind, attended by the participants in slugs (a
 * comma-separated list, may be ""). */
static int64_t meeting_with(const char *title, const char *date, const char *kind,
                            const char *slugs, const char *readout)
{
	json_t *people = json_array();
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", slugs);
	for (char *save, *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save))
		json_array_append_new(people, json_pack("{s:s}", "slug", s));
	return create("/v1/meetings",
	              json_pack("{s:s, s:s, s:s, s:o, s:s}", "title", title, "date", date, "kind",
	                        kind, "participants", people, "readout", readout));
}

struct grow {
	char *data;
	size_t len;
};

static size_t grow_append(char *ptr, size_t size, size_t n, void *userdata)
{
	struct grow *g = userdata;
	size_t add = size * n;
	char *p = realloc(g->data, g->len + add + 1);
	ck_assert_ptr_nonnull(p);
	g->data = p;
	memcpy(g->data + g->len, ptr, add);
	g->len += add;
	g->data[g->len] = '\0';
	return add;
}

/* GET path, however long (the harness's req() holds URLs of up to 4 KiB:
 * a q of 501 CJK characters, percent-encoded, is longer). Returns a new
 * reply (reply_free). */
static struct reply *get_any(const char *path)
{
	if (strlen(path) < 3000)
		return get(&h, path);
	CURL *c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	size_t n = strlen(path) + 64;
	char *url = malloc(n);
	ck_assert_ptr_nonnull(url);
	snprintf(url, n, "http://127.0.0.1:%d%s", h.port, path);
	struct grow body = {calloc(1, 1), 0}, head = {calloc(1, 1), 0};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow_append);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "GET %.300s: %s", path, curl_easy_strerror(rc));
	struct reply *r = calloc(1, sizeof *r);
	ck_assert_ptr_nonnull(r);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = body.data;
	r->len = body.len;
	r->headers = head.data;
	r->json = body.len ? json_loadb(body.data, body.len, 0, NULL) : NULL;
	curl_easy_cleanup(c);
	free(url);
	return r;
}

/* GET path; asserts 200 with a JSON body and returns it (new reference). */
static json_t *get_ok(const char *path)
{
	struct reply *r = get_any(path);
	ck_assert_msg(r->status == 200 && r->json, "GET %.300s: %ld %.300s", path, r->status,
	              r->body);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

static void assert_bad_request(const char *path)
{
	struct reply *r = get_any(path);
	ck_assert_msg(r->status == 400, "GET %.300s: want 400, got %ld %.300s", path, r->status,
	              r->body);
	const char *ct = reply_header(r, "Content-Type");
	ck_assert_msg(ct && strcmp(ct, "application/problem+json") == 0, "%.300s: content type %s",
	              path, ct ? ct : "(none)");
	ck_assert_int_eq(jint(r->json, "status"), 400);
	reply_free(r);
}

/* Every item of a list, walking its pages of limit items (new reference).
 * path already has a query. Checks the page size, that next_cursor and the
 * Link header come together, and that no item comes twice. */
static json_t *walk(const char *path, int limit)
{
	json_t *all = json_array();
	char *cursor = NULL;
	static char url[TEXT_MAX];
	for (int pages = 0; pages < 500; pages++) {
		if (cursor)
			snprintf(url, sizeof url, "%s&limit=%d&cursor=%s", path, limit, cursor);
		else
			snprintf(url, sizeof url, "%s&limit=%d", path, limit);
		struct reply *r = get_any(url);
		ck_assert_msg(r->status == 200 && r->json, "GET %.300s: %ld %.300s", url, r->status,
		              r->body);
		json_t *data = json_object_get(r->json, "data");
		ck_assert_msg(json_is_array(data), "%s: no data array", url);
		ck_assert_msg(json_array_size(data) <= (size_t)limit, "%.300s: %zu items on a page",
		              url, json_array_size(data));
		json_array_extend(all, data);
		free(cursor);
		const char *next = jstr(r->json, "next_cursor");
		ck_assert_msg(next || json_is_null(jget(r->json, "next_cursor")),
		              "%.300s: next_cursor missing", url);
		const char *link = reply_header(r, "Link");
		ck_assert_msg((next != NULL) == (link != NULL),
		              "%.300s: next_cursor %s but Link %s", url, next ? next : "null",
		              link ? link : "(none)");
		if (next)
			ck_assert_msg(json_array_size(data) == (size_t)limit,
			              "%.300s: short page with a next cursor", url);
		cursor = next ? strdup(next) : NULL;
		reply_free(r);
		if (!cursor)
			break;
	}
	ck_assert_msg(cursor == NULL, "list %.300s does not end", path);
	/* No (type, id) twice. */
	for (size_t i = 0; i < json_array_size(all); i++)
		for (size_t j = i + 1; j < json_array_size(all); j++) {
			json_t *a = json_array_get(all, i), *b = json_array_get(all, j);
			bool same_type =
			    json_equal(json_object_get(a, "type"), json_object_get(b, "type"));
			ck_assert_msg(!(same_type && jint(a, "id") == jint(b, "id")),
			              "%.300s: item %lld twice", path, jint(a, "id"));
		}
	return all;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of items as "1,2,3" (in order, or sorted), in a rotating buffer.
 * typed: items with a type are written "type:id". */
static const char *ids_of(json_t *items, bool sorted, bool typed)
{
	size_t n = json_array_size(items);
	char **parts = calloc(n + 1, sizeof *parts);
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(items, i);
		const char *type = typed ? jstr(it, "type") : NULL;
		char buf[64];
		/* Zero padding makes the string sort numeric; dropped below. */
		snprintf(buf, sizeof buf, "%s%s%020lld", type ? type : "", type ? ":" : "",
		         jint(it, "id"));
		parts[i] = strdup(buf);
	}
	if (sorted)
		qsort(parts, n, sizeof *parts, cmp_str);
	char out[TEXT_MAX];
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char *colon = strchr(parts[i], ':');
		char *digits = colon ? colon + 1 : parts[i];
		char *p = digits;
		while (*p == '0' && p[1])
			p++;
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s%s", i ? "," : "",
		                        (int)(digits - parts[i]), parts[i], p);
		free(parts[i]);
	}
	free(parts);
	return F("%s", out);
}

static const char *ids(json_t *items, bool sorted)
{
	return ids_of(items, sorted, true);
}

/* "a,b,c" of the given ids, sorted; terminated by 0. */
static const char *set_of(long long first, ...)
{
	long long v[64];
	size_t n = 0;
	va_list ap;
	va_start(ap, first);
	for (long long x = first; x && n < 64; x = va_arg(ap, long long))
		v[n++] = x;
	va_end(ap);
	qsort(v, n, sizeof v[0], cmp_ll);
	char out[1024];
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld", i ? "," : "", v[i]);
	return F("%s", out);
}

#define SET(...) set_of(__VA_ARGS__, 0LL)

/* The ids of meetings /v1/meetings answers for query (already encoded),
 * walking pages of 50; sorted, or in the order given. */
static const char *meeting_ids(const char *query, bool sorted)
{
	json_t *all = walk(F("/v1/meetings?%s", query), 50);
	const char *s = ids(all, sorted);
	json_decref(all);
	return s;
}

/* The hits of /v1/search for q (plain text) and extra (encoded, may be ""),
 * all pages (new reference). */
static json_t *hits(const char *q, const char *extra)
{
	return walk(F("/v1/search?q=%s%s", enc(q), extra), 50);
}

/* The ids of the meeting hits of /v1/search for q, sorted. */
static const char *search_meeting_ids(const char *q)
{
	json_t *all = hits(q, "&type=meeting");
	const char *s = ids_of(all, true, false);
	json_decref(all);
	return s;
}

/* The ids of the meetings /v1/meetings?q= finds for q, sorted. */
static const char *q_meeting_ids(const char *q)
{
	return meeting_ids(F("q=%s", enc(q)), true);
}

/* How many hits of type and id the search for q has. */
static int hit_count(const char *q, const char *type, int64_t id)
{
	json_t *all = hits(q, "");
	int n = 0;
	size_t i;
	json_t *it;
	json_array_foreach(all, i, it)
	{
		if (strcmp(jstr(it, "type"), type) == 0 && jint(it, "id") == id)
			n++;
	}
	json_decref(all);
	return n;
}

/* The hit of type and id in hits, or NULL (borrowed). */
static json_t *find_hit(json_t *all, const char *type, int64_t id)
{
	size_t i;
	json_t *it;
	json_array_foreach(all, i, it)
	{
		if (strcmp(jstr(it, "type"), type) == 0 && jint(it, "id") == id)
			return it;
	}
	return NULL;
}

/* Asserts that meeting id is found once by q on both endpoints (found) or
 * by neither (!found). */
static void assert_meeting_found(const char *q, int64_t id, bool found)
{
	ck_assert_msg(hit_count(q, "meeting", id) == (found ? 1 : 0),
	              "/v1/search?q=%s: meeting %lld %s", q, (long long)id,
	              found ? "not found once" : "still found");
	json_t *all = walk(F("/v1/meetings?q=%s", enc(q)), 50);
	int n = 0;
	size_t i;
	json_t *it;
	json_array_foreach(all, i, it) n += jint(it, "id") == id;
	json_decref(all);
	ck_assert_msg(n == (found ? 1 : 0), "/v1/meetings?q=%s: meeting %lld seen %d times", q,
	              (long long)id, n);
}

/* ---- the search rules ---- */

START_TEST(words_are_anded)
{
	int64_t a = meeting("Talks one", "2021-01-01", "zephyrine and quillfeather");
	int64_t b = meeting("Talks two", "2021-01-02", "zephyrine alone");
	int64_t c = meeting("Talks three", "2021-01-03", "quillfeather alone");
	ck_assert_str_eq(search_meeting_ids("zephyrine quillfeather"), SET(a));
	ck_assert_str_eq(q_meeting_ids("zephyrine quillfeather"), SET(a));
	ck_assert_str_eq(search_meeting_ids("zephyrine"), SET(a, b));
	ck_assert_str_eq(q_meeting_ids("quillfeather"), SET(a, c));
	/* A word found nowhere empties the result. */
	ck_assert_str_eq(search_meeting_ids("zephyrine nowherezzz"), "");
	ck_assert_str_eq(q_meeting_ids("zephyrine nowherezzz"), "");
	/* Only meetings hold these words: no other kind of hit. */
	json_t *all = hits("zephyrine quillfeather", "");
	ck_assert_str_eq(ids(all, true), F("meeting:%lld", (long long)a));
	json_decref(all);
}
END_TEST

START_TEST(phrases)
{
	int64_t a = meeting("Talks one", "2021-01-01", "the crimsonite lanternfish swam");
	int64_t b = meeting("Talks two", "2021-01-02", "lanternfish then crimsonite");
	ck_assert_str_eq(search_meeting_ids("\"crimsonite lanternfish\""), SET(a));
	ck_assert_str_eq(q_meeting_ids("\"crimsonite lanternfish\""), SET(a));
	ck_assert_str_eq(search_meeting_ids("crimsonite lanternfish"), SET(a, b));
	ck_assert_str_eq(search_meeting_ids("\"lanternfish crimsonite\""), "");
	/* Case and diacritics do not matter inside a phrase either. */
	ck_assert_str_eq(q_meeting_ids("\"CRIMSONITÉ Lanternfish\""), SET(a));
	/* A phrase ANDed with a word. */
	ck_assert_str_eq(search_meeting_ids("\"crimsonite lanternfish\" swam"), SET(a));
	ck_assert_str_eq(search_meeting_ids("\"crimsonite lanternfish\" then"), "");
	/* An unbalanced quote is a plain character: the words still match. */
	ck_assert_str_eq(search_meeting_ids("\"crimsonite lanternfish"), SET(a, b));
}
END_TEST

START_TEST(prefixes)
{
	int64_t a = meeting("Talks one", "2021-01-01", "the zorbulon accord");
	int64_t b = meeting("Talks two", "2021-01-02", "a zorbulator device");
	int64_t c = meeting("Talks three", "2021-01-03", "zorb only");
	ck_assert_str_eq(search_meeting_ids("zorbul*"), SET(a, b));
	ck_assert_str_eq(q_meeting_ids("zorbul*"), SET(a, b));
	ck_assert_str_eq(search_meeting_ids("zorb*"), SET(a, b, c));
	/* Without the star a word matches whole words only. */
	ck_assert_str_eq(search_meeting_ids("zorbul"), "");
	ck_assert_str_eq(q_meeting_ids("zorb"), SET(c));
	/* A prefix phrase, and a prefix ignoring case and diacritics. */
	ck_assert_str_eq(search_meeting_ids("\"zorbulon acc\"*"), SET(a));
	ck_assert_str_eq(search_meeting_ids("ZÖRBULA*"), SET(b));
	/* A lone star is no prefix of everything. */
	ck_assert_str_eq(search_meeting_ids("zorbulon *"), SET(a));
}
END_TEST

START_TEST(or_between_words)
{
	int64_t a = meeting("Talks one", "2021-01-01", "zephyrine and quillfeather");
	int64_t b = meeting("Talks two", "2021-01-02", "zephyrine alone");
	int64_t c = meeting("Talks three", "2021-01-03", "quillfeather alone");
	int64_t d = meeting("Talks four", "2021-01-04", "nothing relevant");
	(void)d;
	ck_assert_str_eq(search_meeting_ids("zephyrine OR quillfeather"), SET(a, b, c));
	ck_assert_str_eq(q_meeting_ids("zephyrine OR quillfeather"), SET(a, b, c));
	/* OR binds tighter than the AND around it. */
	ck_assert_str_eq(search_meeting_ids("zephyrine OR quillfeather alone"), SET(b, c));
	ck_assert_str_eq(q_meeting_ids("alone zephyrine OR quillfeather"), SET(b, c));
	ck_assert_str_eq(search_meeting_ids("nowherezzz OR zephyrine OR quillfeather"),
	                 SET(a, b, c));
	ck_assert_str_eq(search_meeting_ids("\"zephyrine alone\" OR \"quillfeather alone\""),
	                 SET(b, c));
	ck_assert_str_eq(search_meeting_ids("zephyr* OR quill*"), SET(a, b, c));
	/* OR at either end is the word "or", found nowhere here. */
	ck_assert_str_eq(search_meeting_ids("OR zephyrine"), "");
	ck_assert_str_eq(search_meeting_ids("zephyrine OR"), "");
}
END_TEST

START_TEST(case_and_diacritics_ignored)
{
	int64_t p = create("/v1/participants", json_pack("{s:s}", "name", "José Müller"));
	int64_t m = meeting("José Müller visits Woodside", "2022-02-02", NULL);
	const char *queries[] = {"jose muller", "MULLER", "JOSÉ MÜLLER",
	                         "müller",      "Jose*",  "\"jose muller\""};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		json_t *all = hits(queries[i], "");
		ck_assert_msg(find_hit(all, "participant", p), "%s: participant not found",
		              queries[i]);
		ck_assert_msg(find_hit(all, "meeting", m), "%s: meeting not found", queries[i]);
		json_decref(all);
		ck_assert_str_eq(q_meeting_ids(queries[i]), SET(m));
	}
	/* The match is marked in the original spelling. */
	json_t *all = hits("muller", "&type=participant");
	json_t *hit = find_hit(all, "participant", p);
	ck_assert_ptr_nonnull(hit);
	ck_assert_msg(strstr(jstr(hit, "snippet"), "<mark>Müller</mark>"), "snippet %s",
	              jstr(hit, "snippet"));
	json_decref(all);
	/* Aliases are searched: the sample's "Anthony Blinken". */
	all = hits("ANTHONY", "&type=participant");
	ck_assert_int_eq(json_array_size(all), 1);
	ck_assert_str_eq(jstr(all, "0.slug"), "antony-blinken");
	json_decref(all);
}
END_TEST

/* Inputs of every awkward kind. The printable ones are all valid search
 * text (nothing in them is syntax the user could get wrong), so each is a
 * 200 on both endpoints. */
static const char *const nasty[] = {
    "Franco-German",
    "col:x",
    "title:peace",
    "NEAR(",
    "NEAR(a b)",
    ")(",
    "(",
    ")",
    "AND",
    "a AND b",
    "*",
    "**",
    "\"unbalanced",
    "say \"hi",
    "\"double quoted phrase\"",
    "prefix*",
    "\"phrase\"*",
    "\"\"*",
    "a OR b",
    "a OR b OR c d",
    "OR",
    "OR a",
    "a OR",
    "a OR OR b",
    "OR OR OR",
    "a or b",
    "a\"b",
    "x\"y\"z",
    "\"\"",
    "\"",
    "\"\"\"",
    "😀",
    "😀 peace",
    "北京",
    "会谈*",
    "---",
    "***",
    "“”",
    "«»",
    "a\\b",
    "\\",
    "\\\"",
    "'; DROP TABLE x; --",
    "\"; DROP TABLE meetings; --",
    "1' OR '1'='1",
    "NOT",
    "NOT a",
    "a NOT b",
    "^",
    "^a",
    "+",
    "+a",
    "-a",
    "a - b",
    "a:b:c",
    "{a}",
    "[a]",
    "a,b",
    "a;b",
    "%",
    "%25",
    "&",
    "=",
    "?",
    "#",
    "a#b",
    "peace*peace",
    "\xc2\xa0",
    "a\xc2\xa0"
    "b",
    "\xcc\x81",
    "e\xcc\x81",
    "\xef\xbf\xbd",
    "\xef\xbb\xbf"
    "peace",
    "\xe2\x80\x8b",
    "zero\xe2\x80\x8bwidth",
    "\xf0\x90\x80\x80",
    "\xf4\x8f\xbf\xbf",
    "NEAR(\"a\" \"b\", 2)",
    "{title}: peace",
    "- peace",
    "peace -",
    "*peace",
    "pea*ce",
    "\"peace\"\"",
    "rank:",
    "bm25(",
    "meetings_fts MATCH 'x'",
};

/* Raw (already percent-encoded) q values: invalid UTF-8, NULs, control
 * characters, plus signs. 200 or 400, never anything else. */
static const char *const nasty_raw[] = {
    "%FF",    "a%FFb", "%C3", "a%C3",  "%ED%A0%80", "%C0%AF",    "%F4%90%80%80", "%F8%88%80%80%80",
    "%00",    "a%00b", "%01", "a%01b", "%1B%5B31m", "%7F",       "a%09b",        "%0A",
    "%0D%0A", "+",     "a+b", "%2B",   "a%2Bb",     "%E2%80%AE", "%22%00%22",    "%",
    "%%",     "%G0",   "%2",
};

static void check_never_500(const char *encoded, bool must_be_200)
{
	const char *paths[] = {F("/v1/search?q=%s", encoded), F("/v1/meetings?q=%s", encoded),
	                       F("/v1/meetings?q=%s&sort=date&count=true", encoded),
	                       F("/v1/search?q=%s&type=participant,principle", encoded)};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		/* Named on stderr first: if the server crashes, the test dies with it. */
		fprintf(stderr, "http_search: GET %.300s\n", paths[i]);
		struct reply *r = get_any(paths[i]);
		ck_assert_msg(r->status == 200 || r->status == 400, "GET %.300s: %ld %.300s",
		              paths[i], r->status, r->body);
		if (must_be_200)
			ck_assert_msg(r->status == 200, "GET %.300s: %ld %.300s", paths[i],
			              r->status, r->body);
		ck_assert_msg(r->json != NULL, "GET %.300s: body is not JSON", paths[i]);
		if (r->status == 200)
			ck_assert_msg(json_is_array(jget(r->json, "data")), "GET %.300s: no data",
			              paths[i]);
		else
			ck_assert_int_eq(jint(r->json, "status"), 400);
		reply_free(r);
	}
}

START_TEST(nasty_inputs_never_500)
{
	meeting("Talks with \"quotes\" and col:x NEAR(a b) OR \\ tokens", "2021-01-01",
	        "peace a b c d OR or AND NOT near 北京 会谈 José zero width");
	for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++)
		check_never_500(enc(nasty[i]), true);
	for (size_t i = 0; i < sizeof nasty_raw / sizeof nasty_raw[0]; i++)
		check_never_500(nasty_raw[i], false);
	/* And the server is still well. */
	struct reply *r = get_any("/readyz");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
}
END_TEST

/* Syntax-like input is searched as plain words: what it holds is found. */
START_TEST(syntax_is_searched_as_words)
{
	int64_t a = meeting("Franco-German consultations", "2021-01-01",
	                    "col:x and NEAR(tulipwood) AND the one-China policy");
	ck_assert_str_eq(search_meeting_ids("Franco-German"), SET(a));
	ck_assert_str_eq(search_meeting_ids("col:x"), SET(a));
	ck_assert_str_eq(search_meeting_ids("NEAR(tulipwood)"), SET(a));
	ck_assert_str_eq(search_meeting_ids("tulipwood AND"), SET(a));
	ck_assert_str_eq(q_meeting_ids("NEAR(tulipwood"), SET(a));
	ck_assert_str_eq(q_meeting_ids("title:franco"), "");    /* not a column filter */
	ck_assert_str_eq(q_meeting_ids("(tulipwood)"), SET(a)); /* not a group */
	/* Terms with no letter or digit are dropped, whatever they are. */
	ck_assert_str_eq(q_meeting_ids("tulipwood ---"), SET(a));
	ck_assert_str_eq(q_meeting_ids("tulipwood “”"), SET(a));
	ck_assert_str_eq(q_meeting_ids("tulipwood 😀"), SET(a));
}
END_TEST

START_TEST(empty_missing_and_long_q)
{
	assert_bad_request("/v1/search");
	assert_bad_request("/v1/search?q");
	assert_bad_request("/v1/search?q=");
	assert_bad_request("/v1/search?q=%20%20%20");
	assert_bad_request("/v1/search?type=meeting");
	assert_bad_request("/v1/meetings?q=");
	assert_bad_request("/v1/meetings?q=%20");
	assert_bad_request("/v1/meetings?q=+++");
	/* 500 characters pass, 501 do not: characters, not bytes. */
	const char *units[] = {"a", "é", "北", "\xf0\xa0\x80\x80" /* U+20000 */};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char *ok = repeat(units[i], 500), *over = repeat(units[i], 501);
		const char *e_ok = enc(ok), *e_over = enc(over);
		json_t *doc = get_ok(F("/v1/search?q=%s", e_ok));
		json_decref(doc);
		doc = get_ok(F("/v1/meetings?q=%s", e_ok));
		json_decref(doc);
		assert_bad_request(F("/v1/search?q=%s", e_over));
		assert_bad_request(F("/v1/meetings?q=%s", e_over));
		free(ok);
		free(over);
	}
	/* Spaces count too: 499 spaces around one word is 500. */
	char *spaces = repeat(" ", 499);
	json_t *doc = get_ok(F("/v1/search?q=%sx", enc(spaces)));
	json_decref(doc);
	assert_bad_request(F("/v1/search?q=%sxy", enc(spaces)));
	free(spaces);
	/* Without q, /v1/meetings is a plain list. */
	doc = get_ok("/v1/meetings");
	ck_assert_int_eq(json_array_size(jget(doc, "data")), 3);
	json_decref(doc);
}
END_TEST

/* ---- /v1/search: types, hit shape, order, snippets ---- */

START_TEST(type_filter)
{
	int64_t m = meeting("Obsidianwing summit", "2022-05-05", NULL);
	int64_t p = create("/v1/participants", json_pack("{s:s}", "name", "Obsidianwing Envoy"));
	int64_t r = create("/v1/principles", json_pack("{s:s}", "name", "Obsidianwing doctrine"));
	char M[64], P[64], R[64];
	snprintf(M, sizeof M, "meeting:%lld", (long long)m);
	snprintf(P, sizeof P, "participant:%lld", (long long)p);
	snprintf(R, sizeof R, "principle:%lld", (long long)r);
	json_t *all = hits("obsidianwing", "");
	ck_assert_str_eq(ids(all, true), F("%s,%s,%s", M, P, R));
	json_decref(all);
	struct {
		const char *query;
		const char *want;
	} cases[] = {
	    {"&type=meeting", M},
	    {"&type=participant", P},
	    {"&type=principle", R},
	    {"&type=participant&type=principle", F("%s,%s", P, R)},
	    {"&type=meeting,principle", F("%s,%s", M, R)},
	    {"&type=principle,meeting&type=participant", F("%s,%s,%s", M, P, R)},
	    {"&type=meeting&type=meeting", M},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		all = hits("obsidianwing", cases[i].query);
		ck_assert_msg(strcmp(ids(all, true), cases[i].want) == 0, "%s: %s, want %s",
		              cases[i].query, ids(all, true), cases[i].want);
		json_decref(all);
	}
	const char *bad[] = {"bogus",    "meetings", "Meeting", "meeting,bogus",
	                     "meeting,", ",meeting", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_bad_request(F("/v1/search?q=obsidianwing&type=%s", enc(bad[i])));
	assert_bad_request("/v1/search?q=obsidianwing&type=meeting&type=bogus");
}
END_TEST

static bool is_date(const char *s)
{
	if (!s || strlen(s) != 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

START_TEST(hit_shape_and_order)
{
	create("/v1/participants", json_pack("{s:s}", "name", "President Obsidian"));
	json_t *all = walk(F("/v1/search?q=%s", enc("president OR cooperation OR blinken")), 2);
	ck_assert_int_ge(json_array_size(all), 6);
	double last = 1e300;
	bool seen[3] = {false, false, false};
	size_t i;
	json_t *it;
	json_array_foreach(all, i, it)
	{
		ck_assert_int_eq(json_object_size(it), 7);
		const char *type = jstr(it, "type");
		ck_assert_ptr_nonnull(type);
		const char *collection = strcmp(type, "meeting") == 0       ? "meetings"
		                         : strcmp(type, "participant") == 0 ? "participants"
		                         : strcmp(type, "principle") == 0   ? "principles"
		                                                            : NULL;
		ck_assert_msg(collection, "type %s", type);
		seen[collection[1] == 'e' ? 0 : collection[1] == 'a' ? 1 : 2] = true;
		ck_assert(json_is_integer(jget(it, "id")));
		ck_assert(json_is_string(jget(it, "slug")));
		ck_assert(json_is_string(jget(it, "title")));
		ck_assert(json_is_string(jget(it, "snippet")));
		ck_assert_msg(json_is_real(jget(it, "score")) || json_is_integer(jget(it, "score")),
		              "score of %s %lld", type, jint(it, "id"));
		if (strcmp(type, "meeting") == 0)
			ck_assert_msg(is_date(jstr(it, "date")), "date of meeting %lld",
			              jint(it, "id"));
		else
			ck_assert_msg(json_is_null(jget(it, "date")), "date of %s %lld", type,
			              jint(it, "id"));
		/* Best first: scores never rise, across pages too. */
		double score = json_number_value(jget(it, "score"));
		ck_assert_msg(score <= last, "hit %zu scores %.17g after %.17g", i, score, last);
		last = score;
		/* slug and title are the entity's. */
		json_t *entity = get_ok(F("/v1/%s/%lld", collection, jint(it, "id")));
		ck_assert_str_eq(jstr(it, "slug"), jstr(entity, "slug"));
		ck_assert_str_eq(jstr(it, "title"),
		                 jstr(entity, strcmp(type, "meeting") == 0 ? "title" : "name"));
		if (strcmp(type, "meeting") == 0)
			ck_assert_str_eq(jstr(it, "date"), jstr(entity, "date"));
		json_decref(entity);
		/* Something in the snippet is marked. */
		ck_assert_msg(strstr(jstr(it, "snippet"), "<mark>"), "snippet %s",
		              jstr(it, "snippet"));
	}
	ck_assert_msg(seen[0] && seen[1] && seen[2], "not every type among the hits");
	/* The same hits, in the same order, on one page. */
	json_t *one = walk(F("/v1/search?q=%s", enc("president OR cooperation OR blinken")), 200);
	ck_assert_str_eq(ids(one, false), ids(all, false));
	json_decref(one);
	json_decref(all);
	/* The body is {data, next_cursor}. */
	json_t *doc = get_ok("/v1/search?q=blinken");
	ck_assert_int_eq(json_object_size(doc), 2);
	ck_assert(json_is_array(jget(doc, "data")));
	ck_assert(json_is_null(jget(doc, "next_cursor")));
	json_decref(doc);
}
END_TEST

/* Every '<' starts <mark> or </mark> and every '&' an entity. */
static void assert_safe_html(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '<')
			ck_assert_msg(strncmp(p, "<mark>", 6) == 0 || strncmp(p, "</mark>", 7) == 0,
			              "raw < in snippet %s", s);
		if (*p == '>')
			ck_assert_msg(p >= s + 5 &&
			                  (strncmp(p - 5, "<mark>", 6) == 0 ||
			                   (p >= s + 6 && strncmp(p - 6, "</mark>", 7) == 0)),
			              "raw > in snippet %s", s);
		if (*p == '&')
			ck_assert_msg(strncmp(p, "&lt;", 4) == 0 || strncmp(p, "&gt;", 4) == 0 ||
			                  strncmp(p, "&amp;", 5) == 0 ||
			                  strncmp(p, "&quot;", 6) == 0 || strncmp(p, "&#", 2) == 0,
			              "raw & in snippet %s", s);
		ck_assert_msg(*p != '"', "raw quote in snippet %s", s);
	}
	/* Marks are balanced and not nested. */
	int depth = 0;
	for (const char *p = s; (p = strchr(p, '<')); p++) {
		depth += p[1] == '/' ? -1 : 1;
		ck_assert_msg(depth == 0 || depth == 1, "unbalanced marks in %s", s);
	}
	ck_assert_msg(depth == 0, "unclosed mark in %s", s);
}

static const char *snippet_of(const char *q, const char *type, int64_t id)
{
	json_t *all = hits(q, "");
	json_t *hit = find_hit(all, type, id);
	ck_assert_msg(hit != NULL, "%s: %s %lld not found", q, type, (long long)id);
	const char *s = F("%s", jstr(hit, "snippet"));
	json_decref(all);
	return s;
}

START_TEST(snippet_is_safe_html)
{
	int64_t m = meeting("Snippet check", "2022-01-01",
	                    "<script>alert(\"x\")</script> & peace zanzibarx");
	const char *s = snippet_of("zanzibarx", "meeting", m);
	ck_assert_msg(strstr(s, "&lt;script&gt;"), "snippet %s", s);
	ck_assert_msg(strstr(s, "&lt;/script&gt;"), "snippet %s", s);
	ck_assert_msg(strstr(s, "&amp; peace"), "snippet %s", s);
	ck_assert_msg(strstr(s, "<mark>zanzibarx</mark>"), "snippet %s", s);
	ck_assert_msg(!strstr(s, "<script"), "snippet %s", s);
	assert_safe_html(s);
	/* Two words, two marks; the rest of the text escaped. */
	s = snippet_of("alert zanzibarx", "meeting", m);
	ck_assert_msg(strstr(s, "<mark>alert</mark>(&quot;x&quot;)") ||
	                  strstr(s, "<mark>alert</mark>(&#34;x&#34;)"),
	              "snippet %s", s);
	assert_safe_html(s);
	/* Stored text that looks like a mark is text, not a mark. */
	int64_t f =
	    meeting("Fake marks", "2022-01-02", "a<mark>forged</mark>b &lt;already&gt; quokkaline");
	s = snippet_of("quokkaline", "meeting", f);
	ck_assert_msg(strstr(s, "&lt;mark&gt;forged&lt;/mark&gt;"), "snippet %s", s);
	ck_assert_msg(strstr(s, "&amp;lt;already&amp;gt;"), "snippet %s", s);
	assert_safe_html(s);
	/* A match in the title: the hit's title is the plain title. */
	int64_t t = meeting("Talks <b>quartzline</b> & co", "2022-01-03", NULL);
	json_t *all = hits("quartzline", "");
	json_t *hit = find_hit(all, "meeting", t);
	ck_assert_ptr_nonnull(hit);
	ck_assert_str_eq(jstr(hit, "title"), "Talks <b>quartzline</b> & co");
	ck_assert_msg(strstr(jstr(hit, "snippet"), "&lt;b&gt;<mark>quartzline</mark>&lt;/b&gt;"),
	              "snippet %s", jstr(hit, "snippet"));
	assert_safe_html(jstr(hit, "snippet"));
	json_decref(all);
	/* Participants and principles too. */
	int64_t p =
	    create("/v1/participants", json_pack("{s:s, s:[s]}", "name", "O'Brien <Ops> Halvard",
	                                         "aliases", "\"Hal\" & <Co>"));
	s = snippet_of("halvard", "participant", p);
	ck_assert_msg(strstr(s, "&lt;Ops&gt;"), "snippet %s", s);
	ck_assert_msg(strstr(s, "&#39;") || strstr(s, "&#x27;") || strstr(s, "&apos;") ||
	                  strchr(s, '\''),
	              "snippet %s", s);
	assert_safe_html(s);
	s = snippet_of("hal", "participant", p);
	assert_safe_html(s);
	int64_t r = create("/v1/principles", json_pack("{s:s, s:s}", "name", "Veldt principle",
	                                               "description", "<i>never</i> & \"always\""));
	s = snippet_of("never", "principle", r);
	ck_assert_msg(strstr(s, "&lt;i&gt;<mark>never</mark>&lt;/i&gt; &amp; "), "snippet %s", s);
	assert_safe_html(s);
}
END_TEST

START_TEST(title_weighted_above_readout)
{
	/* The word only once in each. Unweighted, b's one-word readout would
	 * win (bm25 favours short text); the title weight must outdo that. */
	int64_t a =
	    meeting("Glimmerstone accord signed in the capital after long talks", "2022-01-01",
	            "The delegations met for several hours and agreed on a text.");
	int64_t b = meeting("Routine consultations", "2022-01-02", "glimmerstone");
	json_t *all = hits("glimmerstone", "&type=meeting");
	ck_assert_str_eq(ids(all, false),
	                 F("meeting:%lld,meeting:%lld", (long long)a, (long long)b));
	ck_assert(json_number_value(jget(all, "0.score")) >
	          json_number_value(jget(all, "1.score")));
	json_decref(all);
	ck_assert_str_eq(meeting_ids("q=glimmerstone", false),
	                 F("%lld,%lld", (long long)a, (long long)b));
	/* The same for a participant's name over an alias... */
	int64_t p = create("/v1/participants", json_pack("{s:s, s:[s]}", "name", "Ingrid Fenwold",
	                                                 "aliases", "Marrowgate"));
	int64_t p2 = create("/v1/participants", json_pack("{s:s, s:[s]}", "name",
	                                                  "Marrowgate Teller of the Southern Reach",
	                                                  "aliases", "Ingrid"));
	all = hits("marrowgate", "&type=participant");
	ck_assert_str_eq(ids(all, false),
	                 F("participant:%lld,participant:%lld", (long long)p2, (long long)p));
	json_decref(all);
	/* ... and a principle's name over its description. */
	int64_t r1 = create("/v1/principles", json_pack("{s:s, s:s}", "name", "Plain principle",
	                                                "description", "saltmarsh"));
	int64_t r2 = create("/v1/principles",
	                    json_pack("{s:s, s:s}", "name", "Saltmarsh doctrine of shared waters",
	                              "description", "Rivers are shared."));
	all = hits("saltmarsh", "&type=principle");
	ck_assert_str_eq(ids(all, false),
	                 F("principle:%lld,principle:%lld", (long long)r2, (long long)r1));
	json_decref(all);
}
END_TEST

/* ---- q on /v1/meetings ---- */

struct tess {
	int64_t m1, m2, m3, m4, m5, n1;
};

/* Meetings holding "tessellate" (m2 three times, so it ranks first), on
 * several dates and kinds with several participants, and one that does not. */
static struct tess tessellate_meetings(void)
{
	struct tess t;
	t.m1 = meeting_with("Tessera talks A", "2021-01-10", "talks", "xi-jinping",
	                    "they spoke of tessellate patterns");
	t.m2 = meeting_with("Tessera talks B", "2021-06-15", "meeting", "joe-biden",
	                    "tessellate tessellate tessellate");
	t.m3 = meeting_with("Tessera talks C", "2022-03-01", "talks", "xi-jinping,joe-biden",
	                    "they spoke of tessellate patterns");
	t.m4 = meeting_with("Tessera talks D", "2023-09-09", "phone_call", "",
	                    "they spoke of tessellate patterns");
	t.m5 = meeting_with("Tessera talks E", "2020-02-02", "summit", "xi-jinping",
	                    "they spoke of tessellate patterns");
	t.n1 = meeting_with("Tessera talks F", "2021-05-05", "talks", "xi-jinping",
	                    "they spoke of other patterns");
	return t;
}

START_TEST(meetings_q_with_filters)
{
	struct tess t = tessellate_meetings();
	struct {
		const char *query;
		const char *want;
	} cases[] = {
	    {"q=tessellate", SET(t.m1, t.m2, t.m3, t.m4, t.m5)},
	    {"q=patterns", SET(t.m1, t.m3, t.m4, t.m5, t.n1)},
	    {"q=tessellate&from=2021-01-01&to=2022-12-31", SET(t.m1, t.m2, t.m3)},
	    {"q=tessellate&to=2021-01-10", SET(t.m1, t.m5)},
	    {"q=tessellate&from=2021-01-10&to=2021-01-10", SET(t.m1)},
	    {"q=tessellate&from=2024-01-01", ""},
	    {"q=tessellate&participant=xi-jinping", SET(t.m1, t.m3, t.m5)},
	    {"q=tessellate&participant=xi-jinping&participant=joe-biden", SET(t.m3)},
	    {"q=tessellate&kind=talks", SET(t.m1, t.m3)},
	    {"q=tessellate&kind=summit", SET(t.m5)},
	    {"q=tessellate&from=2021-01-01&kind=talks&participant=xi-jinping", SET(t.m1, t.m3)},
	    {"q=tessellate&kind=talks&sort=date", SET(t.m1, t.m3)},
	    {"q=tessellate&participant=joe-biden&sort=-date", SET(t.m2, t.m3)},
	    {"q=tessellate%20OR%20other&kind=talks", SET(t.m1, t.m3, t.n1)},
	    {"q=tessellate&country=US", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = meeting_ids(cases[i].query, true);
		ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s: %s, want %s", cases[i].query,
		              got, cases[i].want);
		/* count=true counts the same rows, whatever the page size. */
		json_t *doc = get_ok(F("/v1/meetings?%s&count=true&limit=1", cases[i].query));
		long long n = *cases[i].want ? 1 : 0;
		for (const char *p = cases[i].want; *p; p++)
			n += *p == ',';
		ck_assert_msg(jint(doc, "total") == n, "%s: total %lld, want %lld", cases[i].query,
		              jint(doc, "total"), n);
		json_decref(doc);
	}
	struct reply *r = get_any("/v1/meetings?q=tessellate&count=true&limit=2");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "5");
	ck_assert_int_eq(jint(r->json, "total"), 5);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 2);
	reply_free(r);
	/* Bad filters are still 400 with q. */
	assert_bad_request("/v1/meetings?q=tessellate&kind=bogus");
	assert_bad_request("/v1/meetings?q=tessellate&sort=score");
	assert_bad_request("/v1/meetings?q=tessellate&from=2024-02-30");
}
END_TEST

START_TEST(meetings_q_order)
{
	struct tess t = tessellate_meetings();
	/* No sort: best match first, the order of /v1/search's meeting hits. */
	json_t *ranked = hits("tessellate", "&type=meeting");
	const char *by_search = ids_of(ranked, false, false);
	json_decref(ranked);
	const char *by_list = meeting_ids("q=tessellate", false);
	const char *best = F("%lld,", (long long)t.m2);
	ck_assert_msg(strncmp(by_list, best, strlen(best)) == 0, "best match is not first: %s",
	              by_list);
	ck_assert_str_eq(by_list, by_search);
	/* sort=date: oldest first; sort=-date: newest first. */
	ck_assert_str_eq(meeting_ids("q=tessellate&sort=date", false),
	                 F("%lld,%lld,%lld,%lld,%lld", (long long)t.m5, (long long)t.m1,
	                   (long long)t.m2, (long long)t.m3, (long long)t.m4));
	ck_assert_str_eq(meeting_ids("q=tessellate&sort=-date", false),
	                 F("%lld,%lld,%lld,%lld,%lld", (long long)t.m4, (long long)t.m3,
	                   (long long)t.m2, (long long)t.m1, (long long)t.m5));
	ck_assert_str_eq(meeting_ids("q=tessellate&sort=date&participant=xi-jinping", false),
	                 F("%lld,%lld,%lld", (long long)t.m5, (long long)t.m1, (long long)t.m3));
}
END_TEST

/* Walks path with page sizes 1, 2 and 3 and checks each gives the order of
 * one big page. */
static void assert_pages_agree(const char *path, size_t want_items)
{
	json_t *one = walk(path, 200);
	ck_assert_msg(json_array_size(one) == want_items, "%s: %zu items, want %zu", path,
	              json_array_size(one), want_items);
	char *all = strdup(ids(one, false));
	json_decref(one);
	for (int limit = 1; limit <= 3; limit++) {
		json_t *paged = walk(path, limit);
		const char *got = ids(paged, false);
		ck_assert_msg(strcmp(got, all) == 0, "%s limit %d: %s, want %s", path, limit, got,
		              all);
		json_decref(paged);
	}
	free(all);
}

START_TEST(pagination_walks_every_hit_once)
{
	tessellate_meetings();
	assert_pages_agree("/v1/meetings?q=tessellate", 5);
	assert_pages_agree("/v1/meetings?q=tessellate&sort=date", 5);
	assert_pages_agree("/v1/meetings?q=tessellate&sort=-date&count=true", 5);
	assert_pages_agree("/v1/search?q=tessellate", 5);
	/* Equal scores: identical texts rank equal, so only the id orders them. */
	for (int i = 0; i < 7; i++)
		meeting(F("Ribbonquartz talks %c", 'A' + i), "2022-07-07", "ribbonquartz text");
	assert_pages_agree("/v1/meetings?q=ribbonquartz", 7);
	assert_pages_agree("/v1/search?q=ribbonquartz", 7);
	assert_pages_agree("/v1/search?q=ribbonquartz%20OR%20tessellate", 12);
	assert_pages_agree("/v1/meetings?q=ribbonquartz%20OR%20tessellate&sort=date", 12);
	/* Across kinds, on the sample records: all 3 meetings, 8 principles. */
	assert_pages_agree("/v1/search?q=jointly%20OR%20president%20OR%20peace*&type=meeting", 3);
	json_t *mixed = walk("/v1/search?q=jointly%20OR%20president%20OR%20peace*", 200);
	size_t n = json_array_size(mixed);
	json_decref(mixed);
	ck_assert_int_gt(n, 8);
	assert_pages_agree("/v1/search?q=jointly%20OR%20president%20OR%20peace*", n);
	/* count=true on every page. */
	json_t *doc = get_ok("/v1/meetings?q=ribbonquartz&count=true&limit=2");
	ck_assert_int_eq(jint(doc, "total"), 7);
	const char *next = F("%s", jstr(doc, "next_cursor"));
	json_decref(doc);
	doc = get_ok(F("/v1/meetings?q=ribbonquartz&count=true&limit=2&cursor=%s", next));
	ck_assert_int_eq(jint(doc, "total"), 7);
	json_decref(doc);
}
END_TEST

/* The first page's next_cursor of path (limit 1), in a rotating buffer. */
static const char *first_cursor(const char *path)
{
	json_t *doc = get_ok(F("%s&limit=1", path));
	const char *c = jstr(doc, "next_cursor");
	ck_assert_msg(c != NULL, "%s: no next cursor", path);
	const char *copy = F("%s", c);
	json_decref(doc);
	return copy;
}

START_TEST(cursor_bound_to_its_search)
{
	tessellate_meetings();
	create("/v1/participants", json_pack("{s:s}", "name", "Tessellate Person"));
	const char *c = first_cursor("/v1/search?q=tessellate");
	/* The same search takes it... */
	json_t *doc = get_ok(F("/v1/search?q=tessellate&limit=1&cursor=%s", c));
	json_decref(doc);
	/* ... another q, another type set, or another list does not. */
	assert_bad_request(F("/v1/search?q=patterns&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/search?q=tessellate*&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/search?q=TESSELLATE&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/search?q=tessellate%%20&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/search?q=tessellate&type=meeting&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/meetings?q=tessellate&limit=1&cursor=%s", c));
	assert_bad_request(F("/v1/meetings?limit=1&cursor=%s", c));
	/* A meetings cursor for one q is refused for another q or another sort. */
	const char *mc = first_cursor("/v1/meetings?q=tessellate");
	doc = get_ok(F("/v1/meetings?q=tessellate&limit=1&cursor=%s", mc));
	json_decref(doc);
	assert_bad_request(F("/v1/meetings?q=patterns&limit=1&cursor=%s", mc));
	assert_bad_request(F("/v1/meetings?q=tessellate&sort=date&limit=1&cursor=%s", mc));
	assert_bad_request(F("/v1/meetings?limit=1&cursor=%s", mc));
	assert_bad_request(F("/v1/search?q=tessellate&limit=1&cursor=%s", mc));
	/* An altered cursor. */
	char *bent = strdup(c);
	bent[strlen(bent) / 2] = bent[strlen(bent) / 2] == 'A' ? 'B' : 'A';
	assert_bad_request(F("/v1/search?q=tessellate&limit=1&cursor=%s", bent));
	free(bent);
}
END_TEST

/* A cursor is bound to the whole q even when the filters before it are
 * long: here 10 participant filters of 100-character slugs and a q of 400
 * dashes (dropped as punctuation) then one word. */
START_TEST(cursor_bound_to_long_q)
{
	char slug[101];
	memset(slug, 'p', 100);
	slug[100] = '\0';
	create("/v1/participants", json_pack("{s:s, s:s}", "name", "Long Slug", "slug", slug));
	meeting_with("Tessera talks A", "2021-01-10", "talks", slug, "tessellate");
	meeting_with("Tessera talks B", "2021-01-11", "talks", slug, "tessellate");
	char filters[2048] = "";
	for (int i = 0; i < 10; i++)
		strcat(strcat(filters, "&participant="), slug);
	char *dashes = repeat("\xe2\x80\x94", 400); /* em dashes */
	const char *q1 = F("tessellate %s", dashes);
	const char *q2 = F("tessellate %s nowherezzz", dashes);
	free(dashes);
	const char *path1 = F("/v1/meetings?q=%s%s", enc(q1), filters);
	json_t *doc = get_ok(F("%s&count=true", path1));
	ck_assert_int_eq(jint(doc, "total"), 2);
	json_decref(doc);
	const char *c = first_cursor(path1);
	/* The same list takes it; q with one more word does not. */
	doc = get_ok(F("%s&limit=1&cursor=%s", path1, c));
	json_decref(doc);
	struct reply *r = get_any(F("/v1/meetings?q=%s%s&limit=1&cursor=%s", enc(q2), filters, c));
	ck_assert_msg(r->status == 400,
	              "a cursor issued for q = \"tessellate\" + 400 dashes was accepted for the "
	              "same q + \" nowherezzz\" (with 10 participant filters): %ld %.200s",
	              r->status, r->body);
	reply_free(r);
}
END_TEST

/* q that is not valid UTF-8 may be refused (400); if it is answered, its
 * cursors are still bound to it. */
START_TEST(cursor_bound_to_invalid_utf8_q)
{
	tessellate_meetings();
	const char *lists[] = {"/v1/search?q=tessellate%20%FF", "/v1/meetings?q=tessellate%20%FF"};
	const char *others[] = {"/v1/search?q=patterns%20%FF", "/v1/meetings?q=patterns%20%FF",
	                        "/v1/meetings?q=tessellate%20%FF&sort=date",
	                        "/v1/search?q=tessellate%20%FE"};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		struct reply *r = get_any(F("%s&limit=1", lists[i]));
		ck_assert_msg(r->status == 200 || r->status == 400, "%s: %ld", lists[i], r->status);
		const char *c = r->status == 200 ? jstr(r->json, "next_cursor") : NULL;
		char cursor[512];
		snprintf(cursor, sizeof cursor, "%s", c ? c : "");
		if (r->status == 200)
			ck_assert_msg(c != NULL, "%s: 5 hits but no next cursor", lists[i]);
		reply_free(r);
		if (!*cursor)
			continue;
		for (size_t j = 0; j < sizeof others / sizeof others[0]; j++) {
			r = get_any(F("%s&limit=1&cursor=%s", others[j], cursor));
			ck_assert_msg(r->status == 400, "cursor of %s accepted by %s: %ld %.200s",
			              lists[i], others[j], r->status, r->body);
			reply_free(r);
		}
	}
}
END_TEST

/* q combined with the most participant filters the list takes (16). */
START_TEST(meetings_q_with_many_participants)
{
	json_t *people = json_array();
	char filters[1024] = "";
	for (int i = 0; i < 16; i++) {
		const char *slug = F("envoy-%c", 'a' + i);
		create("/v1/participants",
		       json_pack("{s:s, s:s}", "name", F("Envoy %c", 'A' + i), "slug", slug));
		json_array_append_new(people, json_pack("{s:s}", "slug", slug));
	}
	int64_t m =
	    create("/v1/meetings", json_pack("{s:s, s:s, s:o, s:s}", "title", "Grand conclave",
	                                     "date", "2023-03-03", "participants", people,
	                                     "readout", "the envoys met in the cloisterhall"));
	meeting("Other conclave", "2023-03-04", "cloisterhall without envoys");
	for (int i = 0; i < 16; i++) {
		strcat(filters, F("&participant=envoy-%c", 'a' + i));
		const char *query = F("q=cloisterhall%s", filters);
		ck_assert_msg(strcmp(meeting_ids(query, true), SET(m)) == 0,
		              "%d participant filters with q: %s, want %lld", i + 1,
		              meeting_ids(query, true), (long long)m);
		ck_assert_msg(strcmp(meeting_ids(F("%s&sort=date", query), true), SET(m)) == 0,
		              "%d participant filters with q, sort=date: %s", i + 1,
		              meeting_ids(F("%s&sort=date", query), true));
	}
}
END_TEST

/* ---- the index follows every write ---- */

START_TEST(index_after_put)
{
	int64_t m = meeting("Vortex talks", "2022-01-01", "oldvortexword here");
	assert_meeting_found("oldvortexword", m, true);
	expect_status("PUT", F("/v1/meetings/%lld", (long long)m),
	              json_pack("{s:s, s:s, s:s, s:s}", "title", "Renamed talks", "date",
	                        "2022-01-01", "readout", "newvortexword here", "summary",
	                        "summaryvortexword"),
	              200);
	assert_meeting_found("oldvortexword", m, false);
	assert_meeting_found("vortex", m, false); /* the old title */
	assert_meeting_found("newvortexword", m, true);
	assert_meeting_found("summaryvortexword", m, true);
	assert_meeting_found("renamed here", m, true);
	/* PUT without readout clears it from the index too. */
	expect_status("PUT", F("/v1/meetings/%lld", (long long)m),
	              json_pack("{s:s, s:s}", "title", "Renamed talks", "date", "2022-01-01"), 200);
	assert_meeting_found("newvortexword", m, false);
	assert_meeting_found("summaryvortexword", m, false);
	assert_meeting_found("renamed", m, true);
}
END_TEST

START_TEST(index_after_patch)
{
	int64_t m = meeting("Amberquill talks", "2022-01-01", "readout text");
	expect_status("PATCH", F("/v1/meetings/%lld", (long long)m),
	              json_pack("{s:s}", "title", "Bronzequill talks"), 200);
	assert_meeting_found("amberquill", m, false);
	assert_meeting_found("bronzequill", m, true);
	/* A patch of a field outside the index keeps the entry, once. */
	expect_status("PATCH", F("/v1/meetings/%lld", (long long)m),
	              json_pack("{s:s}", "location", "Geneva"), 200);
	assert_meeting_found("bronzequill", m, true);
	assert_meeting_found("readout", m, true);
	/* A patch of the readout, then null clears it. */
	expect_status("PATCH", F("/v1/meetings/%lld", (long long)m),
	              json_pack("{s:s}", "readout", "copperquill notes"), 200);
	assert_meeting_found("readout", m, false);
	assert_meeting_found("copperquill", m, true);
	expect_status("PATCH", F("/v1/meetings/%lld", (long long)m), json_pack("{s:n}", "readout"),
	              200);
	assert_meeting_found("copperquill", m, false);
	assert_meeting_found("bronzequill", m, true);
	/* Changing attendance (a subresource write) keeps the entry. */
	expect_status("PUT", F("/v1/meetings/%lld/participants/wang-yi", (long long)m),
	              json_pack("{s:s}", "role", "guest"), 200);
	assert_meeting_found("bronzequill", m, true);
}
END_TEST

START_TEST(index_after_delete)
{
	int64_t m = meeting("Driftglass talks", "2022-01-01", "driftglass readout");
	int64_t keep = meeting("Driftglass kept", "2022-01-02", NULL);
	assert_meeting_found("driftglass", m, true);
	expect_status("DELETE", F("/v1/meetings/%lld", (long long)m), NULL, 204);
	assert_meeting_found("driftglass", m, false);
	assert_meeting_found("driftglass", keep, true);
	ck_assert_str_eq(q_meeting_ids("driftglass"), SET(keep));
	/* A new meeting never inherits the old entry. */
	int64_t again = meeting("Unrelated talks", "2022-01-03", NULL);
	assert_meeting_found("driftglass", again, false);
	/* Participants and principles leave the index when deleted. */
	int64_t p = create("/v1/participants", json_pack("{s:s}", "name", "Driftglass Envoy"));
	int64_t r = create("/v1/principles", json_pack("{s:s}", "name", "Driftglass doctrine"));
	ck_assert_int_eq(hit_count("driftglass", "participant", p), 1);
	ck_assert_int_eq(hit_count("driftglass", "principle", r), 1);
	expect_status("DELETE", F("/v1/participants/%lld", (long long)p), NULL, 204);
	expect_status("DELETE", F("/v1/principles/%lld", (long long)r), NULL, 204);
	ck_assert_int_eq(hit_count("driftglass", "participant", p), 0);
	ck_assert_int_eq(hit_count("driftglass", "principle", r), 0);
}
END_TEST

START_TEST(index_after_participant_change)
{
	int64_t p =
	    create("/v1/participants", json_pack("{s:s, s:[s, s]}", "name", "Corvina Aldaine",
	                                         "aliases", "Corvy Zedmark", "C. Aldaine"));
	ck_assert_int_eq(hit_count("zedmark", "participant", p), 1);
	expect_status("PATCH", F("/v1/participants/%lld", (long long)p),
	              json_pack("{s:[s]}", "aliases", "Kestrelvane"), 200);
	ck_assert_int_eq(hit_count("zedmark", "participant", p), 0);
	ck_assert_int_eq(hit_count("kestrelvane", "participant", p), 1);
	ck_assert_int_eq(hit_count("corvina", "participant", p), 1);
	/* A new name through PUT. */
	expect_status(
	    "PUT", F("/v1/participants/%lld", (long long)p),
	    json_pack("{s:s, s:[s]}", "name", "Marisol Tennant", "aliases", "Kestrelvane"), 200);
	ck_assert_int_eq(hit_count("corvina", "participant", p), 0);
	ck_assert_int_eq(hit_count("tennant", "participant", p), 1);
	ck_assert_int_eq(hit_count("kestrelvane", "participant", p), 1);
	/* No aliases at all. */
	expect_status("PATCH", F("/v1/participants/%lld", (long long)p),
	              json_pack("{s:[]}", "aliases"), 200);
	ck_assert_int_eq(hit_count("kestrelvane", "participant", p), 0);
	ck_assert_int_eq(hit_count("marisol", "participant", p), 1);
	/* A sample participant's alias. */
	expect_status("PATCH", "/v1/participants/antony-blinken",
	              json_pack("{s:[s]}", "aliases", "Tony Blinkenstein"), 200);
	json_t *all = hits("anthony", "&type=participant");
	ck_assert_int_eq(json_array_size(all), 0);
	json_decref(all);
	all = hits("blinkenstein", "&type=participant");
	ck_assert_int_eq(json_array_size(all), 1);
	ck_assert_str_eq(jstr(all, "0.slug"), "antony-blinken");
	json_decref(all);
}
END_TEST

START_TEST(index_after_principle_change)
{
	int64_t r = create("/v1/principles",
	                   json_pack("{s:s, s:s, s:s}", "name", "Thornwick doctrine", "framework",
	                             "Larchmont pillars", "description", "about marbleglass"));
	ck_assert_int_eq(hit_count("marbleglass", "principle", r), 1);
	ck_assert_int_eq(hit_count("larchmont", "principle", r), 1);
	expect_status("PATCH", F("/v1/principles/%lld", (long long)r),
	              json_pack("{s:s}", "description", "about silverreed"), 200);
	ck_assert_int_eq(hit_count("marbleglass", "principle", r), 0);
	ck_assert_int_eq(hit_count("silverreed", "principle", r), 1);
	ck_assert_int_eq(hit_count("thornwick", "principle", r), 1);
	expect_status("PATCH", F("/v1/principles/%lld", (long long)r),
	              json_pack("{s:n, s:s}", "framework", "name", "Ashgrove doctrine"), 200);
	ck_assert_int_eq(hit_count("larchmont", "principle", r), 0);
	ck_assert_int_eq(hit_count("thornwick", "principle", r), 0);
	ck_assert_int_eq(hit_count("ashgrove", "principle", r), 1);
	ck_assert_int_eq(hit_count("silverreed", "principle", r), 1);
	/* A sample principle's description. */
	expect_status("PATCH", "/v1/principles/value-peace",
	              json_pack("{s:s}", "description", "Peace above all, said the quillmoor."),
	              200);
	json_t *all = hits("quillmoor", "");
	ck_assert_int_eq(json_array_size(all), 1);
	ck_assert_str_eq(jstr(all, "0.slug"), "value-peace");
	json_decref(all);
	all = hits("\"first priority\"", "&type=principle");
	ck_assert_int_eq(json_array_size(all), 0);
	json_decref(all);
}
END_TEST

START_TEST(index_after_import)
{
	int64_t m =
	    create("/v1/meetings",
	           json_pack("{s:s, s:s, s:s, s:s}", "slug", "import-target", "title",
	                     "Oldimport talks", "date", "2022-01-01", "readout", "oldimportword"));
	int64_t p = create("/v1/participants",
	                   json_pack("{s:s, s:s, s:[s]}", "slug", "import-person", "name",
	                             "Oldimport Person", "aliases", "Oldimportalias"));
	int64_t r = create("/v1/principles",
	                   json_pack("{s:s, s:s, s:s}", "slug", "import-rule", "name",
	                             "Oldimport rule", "description", "oldimportdescription"));
	json_t *doc = json_pack(
	    "{s:s, s:[{s:s, s:s, s:[s]}], s:[{s:s, s:s, s:s}], s:[{s:s, s:s, s:s, s:s}, {s:s, "
	    "s:s, s:s, s:s}]}",
	    "format", "readout/1", "participants", "slug", "import-person", "name",
	    "Newimport Person", "aliases", "Newimportalias", "principles", "slug", "import-rule",
	    "name", "Newimport rule", "description", "newimportdescription", "meetings", "slug",
	    "import-target", "title", "Newimport talks", "date", "2022-01-01", "readout",
	    "newimportword", "slug", "import-fresh", "title", "Freshimport talks", "date",
	    "2022-01-02", "readout", "newimportword too");
	expect_status("POST", "/v1/import", doc, 200);
	assert_meeting_found("oldimportword", m, false);
	assert_meeting_found("oldimport", m, false);
	assert_meeting_found("newimportword", m, true);
	assert_meeting_found("newimport", m, true);
	ck_assert_int_eq(hit_count("oldimport", "participant", p), 0);
	ck_assert_int_eq(hit_count("oldimportalias", "participant", p), 0);
	ck_assert_int_eq(hit_count("newimportalias", "participant", p), 1);
	ck_assert_int_eq(hit_count("oldimportdescription", "principle", r), 0);
	ck_assert_int_eq(hit_count("newimportdescription", "principle", r), 1);
	json_t *fresh = get_ok("/v1/meetings/import-fresh");
	int64_t f = jint(fresh, "id");
	json_decref(fresh);
	assert_meeting_found("freshimport", f, true);
	ck_assert_str_eq(search_meeting_ids("newimportword"), SET(m, f));
	/* Importing the same document again changes nothing in the index. */
	doc = get_ok("/v1/export");
	expect_status("POST", "/v1/import", doc, 200);
	assert_meeting_found("newimportword", m, true);
	ck_assert_int_eq(hit_count("newimportalias", "participant", p), 1);
	ck_assert_int_eq(hit_count("newimportdescription", "principle", r), 1);
	ck_assert_str_eq(search_meeting_ids("newimportword"), SET(m, f));
}
END_TEST

/* Everything the index answers for the words of this test: the refused
 * writes below must leave it exactly so. */
static const char *index_state(void)
{
	const char *words[] = {"steadfastword", "intruderword", "steadfastalias", "steadfastrule",
	                       "president"};
	char out[TEXT_MAX];
	size_t len = 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		json_t *all = hits(words[i], "");
		len += (size_t)snprintf(out + len, sizeof out - len, "%s=[%s] ", words[i],
		                        ids(all, false));
		json_decref(all);
		len += (size_t)snprintf(out + len, sizeof out - len, "list=[%s] ",
		                        meeting_ids(F("q=%s", words[i]), false));
	}
	return F("%s", out);
}

START_TEST(refused_writes_leave_index)
{
	int64_t m = meeting("Steadfast talks", "2022-01-01", "steadfastword");
	int64_t p = create("/v1/participants", json_pack("{s:s, s:[s]}", "name", "Steadfast Person",
	                                                 "aliases", "Steadfastalias"));
	int64_t r = create("/v1/principles",
	                   json_pack("{s:s, s:s}", "name", "Steadfastrule", "description", "keep"));
	char *before = strdup(index_state());
	ck_assert_msg(strstr(before, F("steadfastword=[meeting:%lld]", (long long)m)), "%s",
	              before);
	char mp[64], mslug[128];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	json_t *stored = get_ok(mp);
	snprintf(mslug, sizeof mslug, "%s", jstr(stored, "slug"));
	json_decref(stored);
	/* PUT refused late: the nested reference names nobody (the text was
	 * written before the reference was checked). */
	expect_status("PUT", mp,
	              json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "title", "Intruderword talks", "date",
	                        "2022-01-01", "readout", "intruderword", "participants", "slug",
	                        "nobody-at-all"),
	              422);
	ck_assert_str_eq(index_state(), before);
	/* PATCH refused: a date that is not real. */
	expect_status("PATCH", mp,
	              json_pack("{s:s, s:s}", "readout", "intruderword", "date", "2024-02-30"),
	              422);
	ck_assert_str_eq(index_state(), before);
	/* PATCH refused late: invoked_by someone not in the meeting. */
	expect_status("PATCH", mp,
	              json_pack("{s:s, s:[{s:s, s:s}]}", "readout", "intruderword", "principles",
	                        "slug", "value-peace", "invoked_by", "joe-biden"),
	              422);
	ck_assert_str_eq(index_state(), before);
	/* POST refused late: a new meeting never reaches the index. */
	expect_status("POST", "/v1/meetings",
	              json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "title", "Intruderword", "date",
	                        "2022-01-05", "readout", "intruderword", "principles", "slug",
	                        "no-such-principle"),
	              422);
	ck_assert_str_eq(index_state(), before);
	/* A participant or principle change refused. */
	expect_status("PATCH", F("/v1/participants/%lld", (long long)p),
	              json_pack("{s:[s], s:s}", "aliases", "intruderword", "country", "ZZ"), 422);
	expect_status("PATCH", F("/v1/principles/%lld", (long long)r),
	              json_pack("{s:s, s:s}", "description", "intruderword", "name", ""), 422);
	ck_assert_str_eq(index_state(), before);
	/* An import refused at its last meeting, after the others were written. */
	json_t *doc =
	    json_pack("{s:s, s:[{s:s, s:s, s:[s]}], s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, "
	              "s:[{s:s}]}]}",
	              "format", "readout/1", "participants", "slug", "steadfast-person", "name",
	              "Intruderword Person", "aliases", "Intruderword", "meetings", "slug", mslug,
	              "title", "Intruderword", "date", "2022-01-01", "readout", "intruderword",
	              "slug", "intruder-new", "title", "Intruderword new", "date", "2022-01-02",
	              "readout", "intruderword", "participants", "slug", "nobody-at-all");
	expect_status("POST", "/v1/import", doc, 422);
	ck_assert_str_eq(index_state(), before);
	/* If-Match that does not match. */
	struct reply *rr = send_json("PUT", mp,
	                             json_pack("{s:s, s:s, s:s}", "title", "Intruderword", "date",
	                                       "2022-01-01", "readout", "intruderword"),
	                             "If-Match: \"0000000000000000\"");
	ck_assert_int_eq(rr->status, 412);
	reply_free(rr);
	rr = send_json("DELETE", mp, NULL, "If-Match: \"0000000000000000\"");
	ck_assert_int_eq(rr->status, 412);
	reply_free(rr);
	/* A refused delete of a participant who attended. */
	expect_status("DELETE", "/v1/participants/xi-jinping", NULL, 409);
	ck_assert_str_eq(index_state(), before);
	/* And the next accepted write still works on the same row. */
	expect_status("PATCH", mp, json_pack("{s:s}", "readout", "afterword"), 200);
	assert_meeting_found("afterword", m, true);
	assert_meeting_found("steadfastword", m, false);
	free(before);
}
END_TEST

/* count=true on /v1/search counts every hit, whatever the page size. */
START_TEST(search_count_counts_every_hit)
{
	int seen = 0;
	char path[2048] = "/v1/search?q=jointly&limit=2";
	for (int pages = 0; pages < 50; pages++) {
		struct reply *r = get(&h, path);
		ck_assert_int_eq(r->status, 200);
		seen += (int)json_array_size(jget(r->json, "data"));
		const char *next = jstr(r->json, "next_cursor");
		if (!next) {
			reply_free(r);
			break;
		}
		snprintf(path, sizeof path, "/v1/search?q=jointly&limit=2&cursor=%s", next);
		reply_free(r);
	}
	ck_assert_int_gt(seen, 2);
	struct reply *r = get(&h, "/v1/search?q=jointly&limit=1&count=true");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "total"), seen);
	char want[16];
	snprintf(want, sizeof want, "%d", seen);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), want);
	reply_free(r);
	r = get(&h, "/v1/search?q=jointly&type=principle&count=true");
	ck_assert_int_eq(jint(r->json, "total"), (long long)json_array_size(jget(r->json, "data")));
	reply_free(r);
}
END_TEST

/* ---- the tiers: a page found among the best meetings of its words ---- */

/* A search's meetings come in the order of ranking every meeting it
 * matches (the meetings list ranks them all, with the same score). */
static void assert_ranked_as_every_meeting(const char *q)
{
	json_t *found = hits(q, "&type=meeting");
	const char *a = ids_of(found, false, false), *b = meeting_ids(F("q=%s", enc(q)), false);
	ck_assert_msg(json_array_size(found) > 500 && strcmp(a, b) == 0,
	              "q=%s: search %.400s\nevery meeting ranked %.400s", q, a, b);
	json_decref(found);
}

/* The search for q over every kind, read in tiers: each hit comes once
 * (the participants, which have no tiers, are read again with each
 * tier's meetings), its meetings in the order of ranking every meeting,
 * and `people` participants among them. */
static void assert_every_kind_once(const char *q, int people)
{
	json_t *found = hits(q, "");
	size_t n = json_array_size(found);
	long long *keys = calloc(n + 1, sizeof *keys);
	json_t *meetings = json_array();
	int participants = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(found, i);
		bool meeting = strcmp(jstr(it, "type"), "meeting") == 0;
		keys[i] = jint(it, "id") * 4 + (meeting ? 0 : 1);
		if (meeting)
			json_array_append(meetings, it);
		else
			participants++;
	}
	qsort(keys, n, sizeof *keys, cmp_ll);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(keys[i] != keys[i - 1], "q=%s: hit %lld twice", q, keys[i] / 4);
	ck_assert_int_eq(participants, people);
	const char *a = ids_of(meetings, false, false), *b = meeting_ids(F("q=%s", enc(q)), false);
	ck_assert_msg(json_array_size(meetings) > 500 && strcmp(a, b) == 0,
	              "q=%s: search %.400s\nevery meeting ranked %.400s", q, a, b);
	json_decref(meetings);
	json_decref(found);
	free(keys);
}

/* Readout text of n words from a small vocabulary: "quorvex" and, when
 * zandil, "zandil" and "zandor" each about one word in 2 * `every`
 * (seeded, so every run writes the same). */
static const char *quorvex_text(unsigned *seed, int n, int every, bool zandil)
{
	static char buf[TEXT_MAX];
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && len + 16 < sizeof buf; i++) {
		*seed = *seed * 1103515245u + 12345u;
		unsigned r = (*seed >> 16) % (unsigned)(2 * every);
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "",
		                        r == 0             ? "quorvex"
		                        : r == 1 && zandil ? "zandil"
		                        : r == 2 && zandil ? "zandor"
		                                           : "filler");
	}
	return buf;
}

#define TIER_MEETINGS 1200

/* Meeting i of tiers_rank_as_every_meeting holds "zandil" when even and
 * below 1100: in over 512 meetings but under half, so that its idf is not
 * the floor's, while "quorvex", in every meeting, has the floor's. */
static bool has_zandil(int i)
{
	return i % 2 == 0 && i < 1100;
}

/* Over 512 meetings hold each word, so a search for them reads the tiers
 * first (for both words, only those of "zandil": "quorvex" weighs next to
 * nothing); its pages must still be those of ranking every meeting, before
 * and after meetings are rewritten (their tiers with them) and removed. */
START_TEST(tiers_rank_as_every_meeting)
{
	unsigned seed = 7;
	int64_t ids[TIER_MEETINGS];
	/* A word of 260 characters and 520 bytes: longer than a tier token
	 * may be, so its searches rank every meeting. */
	char lambdas[521] = "";
	for (int i = 0; i < 260; i++)
		strcat(lambdas, "λ");
	for (int i = 0; i < TIER_MEETINGS; i++) {
		const char *title = i % 9 == 0 ? F("Quorvex talks %d", i) : F("Talks %d", i);
		char readout[TEXT_MAX];
		snprintf(
		    readout, sizeof readout, "quorvex %s %s %s %s", has_zandil(i) ? "zandil" : "",
		    (i * 37) % 700 >= 370 ? "tenuil" : "", lambdas,
		    quorvex_text(&seed, 10 + (i * 37) % 700, 2 + (i % 13) * 15, has_zandil(i)));
		ids[i] = create("/v1/meetings",
		                json_pack("{s:s, s:s, s:s, s:s}", "title", title, "date",
		                          "2023-05-05", "summary",
		                          has_zandil(i) && i % 5 == 0 ? "on zandil" : "a summary",
		                          "readout", readout));
	}
	/* Prefixes read the tiers of their first three characters, whose
	 * words' frequencies add up ("zandil" and "zandor"); one of four
	 * characters (zand*) reads its meetings from FTS5's prefix index, the
	 * others merge their words' lists (zan*, quorv*). A phrase reads
	 * those of the token whose tiers reach a page the deepest. "tenuil",
	 * once in each long readout (562 of them), reaches no tier: beside
	 * another word, every match is ranked at once. A phrase its
	 * connection has not counted is ranked by the walk that counts it
	 * ("quorvex zandil", in 550 meetings), unless it is in half of them
	 * ("filler filler"). */
	static const char *const queries[] = {"quorvex",
	                                      "zandil",
	                                      "quorvex zandil",
	                                      "zandil OR quorvex",
	                                      "\"quorvex zandil\"",
	                                      "\"filler filler\"",
	                                      "zand*",
	                                      "zan*",
	                                      "quorv* zand*",
	                                      "tenuil OR zandil"};
	for (size_t k = 0; k < sizeof queries / sizeof queries[0]; k++)
		assert_ranked_as_every_meeting(queries[k]);
	assert_ranked_as_every_meeting(lambdas);
	for (int i = 0; i < 3; i++)
		create("/v1/participants", json_pack("{s:s}", "name", F("Quorvex Zandil %d", i)));
	assert_every_kind_once("zandil", 3);
	assert_every_kind_once("quorvex zandil", 3);
	assert_every_kind_once("\"quorvex zandil\"", 3);
	for (int i = 0; i < TIER_MEETINGS; i += 11)
		expect_status(
		    "PATCH", F("/v1/meetings/%lld", (long long)ids[i]),
		    json_pack("{s:s}", "readout",
		              F("quorvex %s", quorvex_text(&seed, 8 + i % 50, 1, has_zandil(i)))),
		    200);
	for (int i = 5; i < TIER_MEETINGS; i += 40)
		expect_status("DELETE", F("/v1/meetings/%lld", (long long)ids[i]), NULL, 204);
	for (size_t k = 0; k < sizeof queries / sizeof queries[0]; k++)
		assert_ranked_as_every_meeting(queries[k]);
}
END_TEST

/* ---- walks while rows are added ---- */

/* A readout of n words, every step-th one "zephyrine" (step 0: none). */
static const char *words(int n, int step)
{
	static char bufs[4][TEXT_MAX];
	static int next;
	char *buf = bufs[next++ % 4];
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, TEXT_MAX - len, "%s%s", i ? " " : "",
		                        step && i % step == 0 ? "zephyrine" : "filler");
	return buf;
}

/* The rows a walk starts with: 30 meetings without "zephyrine" (so its
 * document frequency is low and bm25 follows it closely), and 14 meetings
 * and 3 participants holding it in titles, summaries and readouts of many
 * lengths. Returns the ids of the fillers in fillers[30]. */
static void zephyrine_rows(int64_t fillers[30])
{
	for (int i = 0; i < 30; i++)
		fillers[i] = meeting(F("Filler talks %d", i), "2022-01-01", words(4, 0));
	for (int i = 0; i < 14; i++) {
		const char *title = i % 4 == 0 ? F("Zephyrine talks %d", i) : F("Talks %d", i);
		create("/v1/meetings",
		       json_pack("{s:s, s:s, s:s, s:s}", "title", title, "date", "2022-02-02",
		                 "summary", i % 3 == 0 ? "a zephyrine summary" : "a summary",
		                 "readout", words(3 + 7 * i, 1 + i % 5)));
	}
	for (int i = 0; i < 3; i++)
		create("/v1/participants",
		       json_pack("{s:s}", "name", F("Zephyrine Person %c", 'A' + i)));
}

/* Changes the collection between two pages of a walk, in three ways that
 * each move bm25 scores: long meetings without the term (more rows, longer
 * average, rarer term), short ones with it (a commoner term), and fillers
 * and participants rewritten to hold it (updates of rows outside the walk). */
static void disturb(int page, const int64_t fillers[30])
{
	switch (page % 3) {
	case 0:
		for (int i = 0; i < 12; i++)
			meeting(F("Long filler %d.%d", page, i), "2022-03-03", words(120, 0));
		break;
	case 1:
		/* Fewer than the walk reads between two such changes: the ones
		 * that score below its cursor come in the walk, which must end. */
		for (int i = 0; i < 3; i++)
			meeting(F("Zephyrine news %d.%d", page, i), "2022-04-04", words(2, 1));
		create("/v1/participants",
		       json_pack("{s:s}", "name", F("Zephyrine Newcomer %d", page)));
		break;
	default:
		for (int i = 0; i < 3; i++) {
			int64_t id = fillers[(page * 3 + i) % 30];
			expect_status("PATCH", F("/v1/meetings/%lld", (long long)id),
			              json_pack("{s:s}", "readout", words(60, 2)), 200);
		}
		break;
	}
}

/* Walks path (relevance order) in pages of 2, changing the collection
 * between pages, and checks it against before, the whole list at the
 * start: each row of it comes exactly once and in its order; no row comes
 * twice; and, where items carry a score, scores never rise and rows of the
 * start keep theirs. */
static void assert_stable_walk(const char *path, json_t *before, const int64_t fillers[30])
{
	size_t n = json_array_size(before);
	int *seen = calloc(n, sizeof *seen);
	json_t *all = json_array();
	char *cursor = NULL;
	long last_index = -1; /* in before, of the last row of the start seen */
	bool first = true;
	double last_score = 0;
	int page;
	for (page = 0; page < 200; page++) {
		json_t *doc = get_ok(cursor ? F("%s&limit=2&cursor=%s", path, cursor)
		                            : F("%s&limit=2", path));
		json_t *data = jget(doc, "data");
		for (size_t i = 0; i < json_array_size(data); i++) {
			json_t *it = json_array_get(data, i);
			const char *type = jstr(it, "type");
			for (size_t k = 0; k < json_array_size(all); k++) {
				json_t *o = json_array_get(all, k);
				const char *ot = jstr(o, "type");
				ck_assert_msg(jint(o, "id") != jint(it, "id") ||
				                  !(type ? ot && strcmp(type, ot) == 0 : !ot),
				              "%s: %s %lld came twice (page %d)", path,
				              type ? type : "meeting", jint(it, "id"), page);
			}
			json_array_append(all, it);
			json_t *score = json_object_get(it, "score");
			if (score) {
				double sc = json_number_value(score);
				ck_assert_msg(first || sc <= last_score,
				              "%s: score %.17g after %.17g (page %d)", path, sc,
				              last_score, page);
				last_score = sc;
			}
			first = false;
			for (size_t k = 0; k < n; k++) {
				json_t *b = json_array_get(before, k);
				const char *bt = jstr(b, "type");
				if (jint(b, "id") != jint(it, "id") ||
				    !(type ? bt && strcmp(type, bt) == 0 : !bt))
					continue;
				ck_assert_msg(seen[k] == 0 && (long)k > last_index,
				              "%s: row %lld repeated or out of its order (page %d)",
				              path, jint(it, "id"), page);
				if (score)
					ck_assert_msg(
					    json_number_value(score) ==
					        json_number_value(json_object_get(b, "score")),
					    "%s: the score of row %lld moved during the walk", path,
					    jint(it, "id"));
				seen[k]++;
				last_index = (long)k;
			}
		}
		const char *next = jstr(doc, "next_cursor");
		free(cursor);
		cursor = next ? strdup(next) : NULL;
		json_decref(doc);
		if (!cursor)
			break;
		disturb(page, fillers);
	}
	ck_assert_msg(cursor == NULL, "%s: the walk does not end", path);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(seen[k] == 1, "%s: row %lld of the start seen %d times", path,
		              jint(json_array_get(before, k), "id"), seen[k]);
	ck_assert_int_gt(page, 5);
	json_decref(all);
	free(seen);
}

START_TEST(search_walk_stable_while_adding)
{
	int64_t fillers[30];
	zephyrine_rows(fillers);
	json_t *before = walk("/v1/search?q=zephyrine", 200);
	ck_assert_int_eq(json_array_size(before), 17);
	assert_stable_walk("/v1/search?q=zephyrine", before, fillers);
	json_decref(before);
}
END_TEST

START_TEST(meetings_q_walk_stable_while_adding)
{
	int64_t fillers[30];
	zephyrine_rows(fillers);
	json_t *before = walk("/v1/meetings?q=zephyrine", 200);
	ck_assert_int_eq(json_array_size(before), 14);
	assert_stable_walk("/v1/meetings?q=zephyrine", before, fillers);
	json_decref(before);
}
END_TEST

/* A query of more phrases than a cursor carries counts for (32) still
 * walks every hit once, in the order of one big page. */
START_TEST(walk_with_many_phrases)
{
	int64_t fillers[30];
	zephyrine_rows(fillers);
	char q[1024] = "zephyrine OR filler";
	for (int i = 0; i < 40; i++)
		snprintf(q + strlen(q), sizeof q - strlen(q), " OR nw%d", i);
	json_t *all = walk(F("/v1/search?q=%s", enc(q)), 200);
	size_t n = json_array_size(all);
	json_decref(all);
	ck_assert_int_eq(n, 17 + 30);
	assert_pages_agree(F("/v1/search?q=%s", enc(q)), n);
	assert_pages_agree(F("/v1/meetings?q=%s", enc(q)), n - 3);
}
END_TEST

/* ---- Chinese, Japanese and Korean (API.md section 12) ---- */

/* A meeting, a principle and a participant holding CJK text. */
struct cjk_records {
	int64_t meeting, principle, other, japanese, korean, participant;
};

static struct cjk_records cjk_records(void)
{
	struct cjk_records r;
	r.meeting = meeting("Xi meets a delegation", "2023-05-01",
	                    "习近平强调，中方坚持和平共处五项原则，愿同各方加强合作。");
	r.principle =
	    create("/v1/principles", json_pack("{s:s, s:s}", "name", "Panchsheel (CJK test)",
	                                       "description", "坚持和平共处五项原则"));
	r.other = meeting("Unrelated talks", "2023-05-02", "和平发展，合作共赢。");
	r.japanese = meeting("日本との首脳会談", "2023-05-03",
	                     "両首脳はサプライチェーンの強靭化について協議した。");
	r.korean =
	    meeting("한중 외교장관 회담", "2023-05-04", "양측은 한반도 평화와 안정을 논의했다.");
	r.participant =
	    create("/v1/participants",
	           json_pack("{s:s, s:[s]}", "name", "Wang Yi (CJK test)", "aliases", "王毅"));
	return r;
}

START_TEST(cjk_runs_match_by_pairs)
{
	struct cjk_records r = cjk_records();
	/* Any run of two or more characters inside a longer run. */
	assert_meeting_found("和平共处", r.meeting, true);
	assert_meeting_found("五项原则", r.meeting, true);
	assert_meeting_found("和平", r.meeting, true);
	assert_meeting_found("和平", r.other, true);
	assert_meeting_found("和平共处", r.other, false);
	/* The pairs must be contiguous: 和平 and 共处 apart are no 和平共处. */
	int64_t apart = meeting("Apart", "2023-05-05", "和平发展与共处之道");
	assert_meeting_found("和平共处", apart, false);
	assert_meeting_found("和平 共处", apart, true);
	/* A principle by its description, and a participant by an alias. */
	json_t *all = hits("和平共处", "");
	ck_assert_ptr_nonnull(find_hit(all, "principle", r.principle));
	ck_assert_ptr_nonnull(find_hit(all, "meeting", r.meeting));
	json_decref(all);
	ck_assert_int_eq(hit_count("王毅", "participant", r.participant), 1);
	/* A phrase of CJK text, and a prefix. */
	assert_meeting_found("\"和平共处五项\"", r.meeting, true);
	assert_meeting_found("和平共*", r.meeting, true);
	/* Japanese katakana and kanji, Korean hangul. */
	assert_meeting_found("サプライチェーン", r.japanese, true);
	assert_meeting_found("チェーン", r.japanese, true);
	assert_meeting_found("首脳会談", r.japanese, true);
	assert_meeting_found("평화와", r.korean, true);
	assert_meeting_found("외교장관", r.korean, true);
	assert_meeting_found("장관", r.korean, true);
	assert_meeting_found("외교부", r.korean, false);
}
END_TEST

START_TEST(cjk_mixed_queries)
{
	struct cjk_records r = cjk_records();
	/* Latin and CJK words ANDed, in any order, glued or apart. */
	assert_meeting_found("delegation 和平共处", r.meeting, true);
	assert_meeting_found("和平共处 Delegation", r.meeting, true);
	assert_meeting_found("delegation 和平发展", r.meeting, false);
	assert_meeting_found("delegation OR 发展", r.meeting, true);
	assert_meeting_found("delegation OR 发展", r.other, true);
	/* On the meeting list, with its filters. */
	ck_assert_str_eq(meeting_ids(F("q=%s&from=2023-05-01&to=2023-05-01", enc("和平")), true),
	                 SET(r.meeting));
}
END_TEST

START_TEST(cjk_one_character)
{
	struct cjk_records r = cjk_records();
	/* Not an error: it finds the texts where it begins a pair or stands
	 * alone. */
	struct reply *rep = get_any(F("/v1/search?q=%s", enc("和")));
	ck_assert_int_eq(rep->status, 200);
	reply_free(rep);
	rep = get_any(F("/v1/meetings?q=%s", enc("和")));
	ck_assert_int_eq(rep->status, 200);
	reply_free(rep);
	assert_meeting_found("和", r.meeting, true);
	assert_meeting_found("和", r.other, true);
	int64_t alone = meeting("Alone", "2023-05-06", "一 和 二");
	assert_meeting_found("和", alone, true);
	/* 则 only ends its run (原则): not found by it. */
	assert_meeting_found("则", r.meeting, false);
	/* Korean and kana too. */
	assert_meeting_found("평", r.korean, true);
	assert_meeting_found("サ", r.japanese, true);
}
END_TEST

START_TEST(cjk_snippets_mark_matches)
{
	struct cjk_records r = cjk_records();
	const char *s = snippet_of("和平共处", "meeting", r.meeting);
	ck_assert_msg(strstr(s, "<mark>和平共处</mark>"), "snippet %s", s);
	assert_safe_html(s);
	s = snippet_of("和平共处", "principle", r.principle);
	ck_assert_msg(strstr(s, "<mark>和平共处</mark>"), "snippet %s", s);
	s = snippet_of("delegation 五项原则", "meeting", r.meeting);
	ck_assert_msg(strstr(s, "<mark>五项原则</mark>"), "snippet %s", s);
	ck_assert_msg(strstr(s, "<mark>delegation</mark>"), "snippet %s", s);
	assert_safe_html(s);
	s = snippet_of("サプライチェーン", "meeting", r.japanese);
	ck_assert_msg(strstr(s, "<mark>サプライチェーン</mark>"), "snippet %s", s);
	s = snippet_of("평화와", "meeting", r.korean);
	ck_assert_msg(strstr(s, "<mark>평화와</mark>"), "snippet %s", s);
	/* Two words whose pairs overlap still make well-formed marks. */
	s = snippet_of("和平 平共", "meeting", r.meeting);
	ck_assert_msg(strstr(s, "和平共") && strstr(s, "<mark>"), "snippet %s", s);
	assert_safe_html(s);
	s = snippet_of("和", "meeting", r.meeting);
	ck_assert_msg(strstr(s, "<mark>"), "snippet %s", s);
	assert_safe_html(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_search");
	TCase *rules = tcase_create("rules");
	tcase_add_checked_fixture(rules, setup, teardown);
	tcase_add_test(rules, words_are_anded);
	tcase_add_test(rules, phrases);
	tcase_add_test(rules, prefixes);
	tcase_add_test(rules, or_between_words);
	tcase_add_test(rules, case_and_diacritics_ignored);
	tcase_add_test(rules, nasty_inputs_never_500);
	tcase_add_test(rules, syntax_is_searched_as_words);
	tcase_add_test(rules, empty_missing_and_long_q);
	suite_add_tcase(s, rules);

	TCase *search = tcase_create("search");
	tcase_add_checked_fixture(search, setup, teardown);
	tcase_add_test(search, type_filter);
	tcase_add_test(search, hit_shape_and_order);
	tcase_add_test(search, snippet_is_safe_html);
	tcase_add_test(search, title_weighted_above_readout);
	tcase_add_test(search, search_count_counts_every_hit);
	suite_add_tcase(s, search);

	TCase *cjk = tcase_create("cjk");
	tcase_add_checked_fixture(cjk, setup, teardown);
	tcase_add_test(cjk, cjk_runs_match_by_pairs);
	tcase_add_test(cjk, cjk_mixed_queries);
	tcase_add_test(cjk, cjk_one_character);
	tcase_add_test(cjk, cjk_snippets_mark_matches);
	suite_add_tcase(s, cjk);

	TCase *list = tcase_create("meetings_q");
	tcase_add_checked_fixture(list, setup, teardown);
	tcase_add_test(list, meetings_q_with_filters);
	tcase_add_test(list, meetings_q_order);
	tcase_add_test(list, pagination_walks_every_hit_once);
	tcase_add_test(list, cursor_bound_to_its_search);
	tcase_add_test(list, cursor_bound_to_long_q);
	tcase_add_test(list, cursor_bound_to_invalid_utf8_q);
	tcase_add_test(list, meetings_q_with_many_participants);
	suite_add_tcase(s, list);

	TCase *index = tcase_create("index");
	tcase_add_checked_fixture(index, setup, teardown);
	tcase_add_test(index, index_after_put);
	tcase_add_test(index, index_after_patch);
	tcase_add_test(index, index_after_delete);
	tcase_add_test(index, index_after_participant_change);
	tcase_add_test(index, index_after_principle_change);
	tcase_add_test(index, index_after_import);
	tcase_add_test(index, refused_writes_leave_index);
	suite_add_tcase(s, index);

	TCase *stable = tcase_create("stable_walk");
	tcase_add_checked_fixture(stable, setup, teardown);
	tcase_add_test(stable, search_walk_stable_while_adding);
	tcase_add_test(stable, meetings_q_walk_stable_while_adding);
	tcase_add_test(stable, walk_with_many_phrases);
	suite_add_tcase(s, stable);

	TCase *tiers = tcase_create("tiers");
	tcase_add_checked_fixture(tiers, setup, teardown);
	tcase_set_timeout(tiers, 600);
	tcase_add_test(tiers, tiers_rank_as_every_meeting);
	suite_add_tcase(s, tiers);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
