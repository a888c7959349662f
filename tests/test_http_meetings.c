/* HTTP tests of the Meetings resource: nested writes, validation, merge
 * patch, conditional requests, the attendance and invocation subresources,
 * filtered lists and keyset pagination, all through the real server. */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static struct harness h;

static void setup(void)
{
	harness_start(&h, NULL);
}

static void teardown(void)
{
	harness_stop(&h);
}

/* ---- helpers ---- */

#define F path_fmt

static struct reply *wrh(const char *method, const char *path, const char *body, const char *extra)
{
	return write_quoted(&h, method, path, body, extra);
}

static struct reply *wr(const char *method, const char *path, const char *body)
{
	return write_quoted(&h, method, path, body, NULL);
}

static json_t *get_ok(const char *path)
{
	return get_json(&h, path);
}

/* obj has exactly the space-separated keys. */
static void assert_keys(json_t *obj, const char *keys)
{
	ck_assert_msg(json_is_object(obj), "not an object (keys %s)", keys);
	char copy[512];
	snprintf(copy, sizeof copy, "%s", keys);
	size_t n = 0;
	for (char *save, *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		ck_assert_msg(json_object_get(obj, k) != NULL, "member %s missing", k);
		n++;
	}
	char *dump = json_dumps(obj, JSON_COMPACT);
	size_t size = json_object_size(obj);
	if (size != n) {
		ck_assert_msg(0, "expected only %s in %s", keys, dump);
	}
	free(dump);
}

#define MEETING_KEYS                                                                      \
	"id slug title date kind location city country summary readout sources readouts " \
	"participants "                                                                   \
	"principles related created_at updated_at version"
#define SUMMARY_KEYS                                                                     \
	"id slug title date kind location city country summary participants principles " \
	"created_at updated_at version"
#define ATTENDANCE_KEYS "id slug name title country role"
#define INVOCATION_KEYS "id slug name framework stance invoked_by quote"
#define LINK_KEYS "id slug title date relation"

static bool is_null(json_t *doc, const char *dotted)
{
	return json_is_null(jget(doc, dotted));
}

/* RFC 3339 UTC with milliseconds: 2026-11-27T03:37:34.123Z */
static bool is_timestamp(const char *s)
{
	const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
	if (!s || strlen(s) != strlen(shape))
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

static bool is_strong_etag(const char *e)
{
	size_t n = e ? strlen(e) : 0;
	return n >= 3 && e[0] == '"' && e[n - 1] == '"';
}

static int64_t create_ok(const char *path, const char *body)
{
	struct reply *r = wr("POST", path, body);
	ck_assert_msg(r->status == 201, "POST %s %s: %ld %s", path, body, r->status, r->body);
	int64_t id = jint(r->json, "id");
	ck_assert_int_gt(id, 0);
	reply_free(r);
	return id;
}

static int64_t mk_meeting(const char *body)
{
	return create_ok("/v1/meetings", body);
}

/* The meeting's slug, copied into a rotating buffer. */
static const char *meeting_slug(int64_t id)
{
	json_t *m = get_ok(F("/v1/meetings/%lld", (long long)id));
	const char *slug = F("%s", jstr(m, "slug"));
	json_decref(m);
	return slug;
}

static long long field_int(const char *path, const char *field)
{
	json_t *doc = get_ok(path);
	long long v = jint(doc, field);
	json_decref(doc);
	return v;
}

/* A string field (or "null") of the document at path, in a rotating buffer. */
static const char *field_str(const char *path, const char *field)
{
	json_t *doc = get_ok(path);
	json_t *v = jget(doc, field);
	ck_assert_msg(v != NULL, "%s has no %s", path, field);
	const char *s = json_is_null(v) ? "null" : F("%s", json_string_value(v));
	json_decref(doc);
	return s;
}

/* The ETag of a GET of path, copied into a rotating buffer. */
static const char *etag_of(const char *path)
{
	struct reply *r = get(&h, path);
	ck_assert_int_eq(r->status, 200);
	const char *e = reply_header(r, "ETag");
	ck_assert_msg(is_strong_etag(e), "bad ETag %s", e ? e : "(none)");
	const char *copy = F("%s", e);
	reply_free(r);
	return copy;
}

static long long meetings_total(const char *query)
{
	struct reply *r =
	    get(&h, F("/v1/meetings?count=true&limit=1%s%s", *query ? "&" : "", query));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	long long n = jint(r->json, "total");
	const char *hdr = reply_header(r, "X-Total-Count");
	ck_assert_ptr_nonnull(hdr);
	ck_assert_str_eq(hdr, F("%lld", n));
	reply_free(r);
	return n;
}

/* Every item of a list, walking its pages (new reference). path has a query. */
static json_t *list_all(const char *path)
{
	json_t *all = json_array();
	char *cursor = NULL;
	for (int pages = 0; pages < 1000; pages++) {
		struct reply *r = get(&h, cursor ? F("%s&cursor=%s", path, cursor) : F("%s", path));
		ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
		json_array_extend(all, json_object_get(r->json, "data"));
		free(cursor);
		const char *next = jstr(r->json, "next_cursor");
		cursor = next ? strdup(next) : NULL;
		reply_free(r);
		if (!cursor)
			return all;
	}
	ck_abort_msg("list %s does not end", path);
	return NULL;
}

/* Everything a refused write could have touched: every meeting whole, the
 * summaries, and every participant and principle with its derived fields. */
static json_t *snapshot(void)
{
	json_t *snap = json_object();
	json_t *summaries = list_all("/v1/meetings?sort=date&limit=200");
	json_t *full = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(summaries, i, v)
	    json_array_append_new(full, get_ok(F("/v1/meetings/%lld", jint(v, "id"))));
	json_object_set_new(snap, "meetings", full);
	json_object_set_new(snap, "summaries", summaries);
	json_object_set_new(snap, "participants", list_all("/v1/participants?limit=200"));
	json_object_set_new(snap, "principles", list_all("/v1/principles?limit=200"));
	json_object_set_new(snap, "total", json_integer(meetings_total("")));
	return snap;
}

/* Asserts the store looks as in before (which it releases). */
static void assert_unchanged(json_t *before, const char *what)
{
	json_t *after = snapshot();
	if (!json_equal(before, after)) {
		char *a = json_dumps(before, JSON_COMPACT), *b = json_dumps(after, JSON_COMPACT);
		ck_abort_msg("%s changed the store:\nbefore %.3000s\nafter  %.3000s", what, a, b);
	}
	json_decref(after);
	json_decref(before);
}

/* A write that must be refused with 422 naming exactly the pointers, and
 * must leave the store unchanged. */
static void expect_invalid(const char *method, const char *path_arg, const char *body_arg,
                           const char *const *pointers)
{
	/* The arguments may live in F's buffers, which snapshot reuses. */
	char *path = strdup(path_arg), *body = strdup(body_arg);
	json_t *before = snapshot();
	struct reply *r = wr(method, path, body);
	if (r->status != 422)
		ck_abort_msg("%s %s %s: expected 422, got %ld %s", method, path, body, r->status,
		             r->body);
	assert_422(r, pointers);
	reply_free(r);
	char what[512];
	snprintf(what, sizeof what, "%s %s %.300s", method, path, body);
	free(path);
	free(body);
	assert_unchanged(before, what);
}

#define INVALID(method, path, body, ...) \
	expect_invalid(method, path, body, (const char *const[]){__VA_ARGS__, NULL})

/* A write that must be refused with status/type and change nothing. */
static void expect_refused(const char *method, const char *path_arg, const char *body_arg,
                           const char *extra_header, long status, const char *type)
{
	char *path = strdup(path_arg), *body = body_arg ? strdup(body_arg) : NULL;
	json_t *before = snapshot();
	struct reply *r = wrh(method, path, body, extra_header);
	assert_problem(r, status, type);
	reply_free(r);
	char what[512];
	snprintf(what, sizeof what, "%s %s %.300s", method, path, body ? body : "");
	free(path);
	free(body);
	assert_unchanged(before, what);
}

struct world {
	int64_t xi, blinken, wang, respect, coexist;
};

/* Three participants and two principles with known slugs. */
static void build_world(struct world *w)
{
	w->xi = create_ok("/v1/participants",
	                  "{'name':'Xi Jinping','title':'President','country':'CN'}");
	w->blinken = create_ok("/v1/participants", "{'name':'Antony Blinken','title':'Secretary "
	                                           "of State','country':'US'}");
	w->wang = create_ok("/v1/participants", "{'name':'Wang Yi'}");
	w->respect =
	    create_ok("/v1/principles", "{'name':'Mutual respect','framework':'Five Principles'}");
	w->coexist = create_ok("/v1/principles", "{'name':'Peaceful coexistence'}");
	ck_assert_str_eq(field_str(F("/v1/participants/%lld", (long long)w->xi), "slug"),
	                 "xi-jinping");
	ck_assert_str_eq(field_str(F("/v1/participants/%lld", (long long)w->blinken), "slug"),
	                 "antony-blinken");
	ck_assert_str_eq(field_str(F("/v1/participants/%lld", (long long)w->wang), "slug"),
	                 "wang-yi");
	ck_assert_str_eq(field_str(F("/v1/principles/%lld", (long long)w->respect), "slug"),
	                 "mutual-respect");
	ck_assert_str_eq(field_str(F("/v1/principles/%lld", (long long)w->coexist), "slug"),
	                 "peaceful-coexistence");
}

/* The ids of doc's "data" array (or of doc itself when an array). */
static size_t ids_of(json_t *doc, long long *out, size_t cap)
{
	json_t *data = json_is_array(doc) ? doc : json_object_get(doc, "data");
	size_t n = json_array_size(data);
	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++)
		out[i] = jint(json_array_get(data, i), "id");
	return n;
}

static void expect_ids(const char *query, const long long *ids, size_t n)
{
	json_t *doc = get_ok(F("/v1/meetings?limit=200%s%s", *query ? "&" : "", query));
	long long got[64];
	size_t m = ids_of(doc, got, 64);
	char want[512] = "", have[512] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want), " %lld", ids[i]);
	for (size_t i = 0; i < m; i++)
		snprintf(have + strlen(have), sizeof have - strlen(have), " %lld", got[i]);
	ck_assert_msg(m == n && (n == 0 || memcmp(got, ids, n * sizeof *ids) == 0),
	              "GET /v1/meetings?%s: expected [%s ], got [%s ]", query, want, have);
	ck_assert_ptr_nonnull(jget(doc, "next_cursor"));
	ck_assert(is_null(doc, "next_cursor"));
	json_decref(doc);
}

#define EXPECT_IDS(query, ...)                              \
	expect_ids(query, (const long long[]){__VA_ARGS__}, \
	           sizeof((const long long[]){__VA_ARGS__}) / sizeof(long long))

/* ---- create and read ---- */

START_TEST(create_with_nested_lists)
{
	struct world w;
	build_world(&w);
	int64_t m0 = mk_meeting("{'title':'Earlier talks','date':'2023-11-15'}");
	int64_t m00 = mk_meeting("{'title':'Even earlier call','date':'2023-06-01','kind':'phone_"
	                         "call'}");
	const char *body = F(
	    "{'title':'President Xi Jinping meets Antony Blinken','date':'2024-04-26',"
	    "'kind':'talks','location':'Great Hall of the People','city':'Beijing',"
	    "'country':'CN','summary':'They met.','readout':'Full text here.',"
	    "'sources':[{'url':'https://example.org/a','publisher':'Xinhua','language':'zh-Hans'},"
	    "{'url':'http://example.com/b'}],"
	    "'participants':[{'id':%lld,'role':'host'},{'slug':'antony-blinken'},"
	    "{'slug':'wang-yi','role':'guest'}],"
	    "'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping','quote':'Respect'},"
	    "{'id':%lld,'stance':'proposed','invoked_by':%lld}],"
	    "'related':[{'id':%lld,'relation':'references'},{'slug':'%s','relation':'follows_up'}]"
	    "}",
	    (long long)w.xi, (long long)w.coexist, (long long)w.blinken, (long long)m0,
	    meeting_slug(m00));
	struct reply *r = wr("POST", "/v1/meetings", body);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	long long id = jint(r->json, "id");
	ck_assert_int_gt(id, m00);
	ck_assert_str_eq(reply_header(r, "Location"), F("/v1/meetings/%lld", id));
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag") ? reply_header(r, "ETag") : "");
	ck_assert(is_strong_etag(etag));
	json_t *m = r->json;
	assert_keys(m, MEETING_KEYS);
	ck_assert_str_eq(jstr(m, "slug"), "2024-04-26-president-xi-jinping-meets-antony-blinken");
	ck_assert_str_eq(jstr(m, "title"), "President Xi Jinping meets Antony Blinken");
	ck_assert_str_eq(jstr(m, "date"), "2024-04-26");
	ck_assert_str_eq(jstr(m, "kind"), "talks");
	ck_assert_str_eq(jstr(m, "location"), "Great Hall of the People");
	ck_assert_str_eq(jstr(m, "city"), "Beijing");
	ck_assert_str_eq(jstr(m, "country"), "CN");
	ck_assert_str_eq(jstr(m, "summary"), "They met.");
	ck_assert_str_eq(jstr(m, "readout"), "Full text here.");
	ck_assert_int_eq(jint(m, "version"), 1);
	ck_assert(is_timestamp(jstr(m, "created_at")));
	ck_assert_str_eq(jstr(m, "created_at"), jstr(m, "updated_at"));

	ck_assert_int_eq(json_array_size(jget(m, "sources")), 2);
	assert_keys(jget(m, "sources.0"), "url publisher language");
	assert_keys(jget(m, "sources.1"), "url publisher language");
	ck_assert_str_eq(jstr(m, "sources.0.url"), "https://example.org/a");
	ck_assert_str_eq(jstr(m, "sources.0.publisher"), "Xinhua");
	ck_assert_str_eq(jstr(m, "sources.0.language"), "zh-Hans");
	ck_assert_str_eq(jstr(m, "sources.1.url"), "http://example.com/b");
	ck_assert(is_null(m, "sources.1.publisher"));
	ck_assert(is_null(m, "sources.1.language"));

	ck_assert_int_eq(json_array_size(jget(m, "participants")), 3);
	for (int i = 0; i < 3; i++)
		assert_keys(jget(m, F("participants.%d", i)), ATTENDANCE_KEYS);
	ck_assert_int_eq(jint(m, "participants.0.id"), w.xi);
	ck_assert_str_eq(jstr(m, "participants.0.slug"), "xi-jinping");
	ck_assert_str_eq(jstr(m, "participants.0.name"), "Xi Jinping");
	ck_assert_str_eq(jstr(m, "participants.0.title"), "President");
	ck_assert_str_eq(jstr(m, "participants.0.country"), "CN");
	ck_assert_str_eq(jstr(m, "participants.0.role"), "host");
	ck_assert_int_eq(jint(m, "participants.1.id"), w.blinken);
	ck_assert_str_eq(jstr(m, "participants.1.name"), "Antony Blinken");
	ck_assert_str_eq(jstr(m, "participants.1.role"), "attendee");
	ck_assert_int_eq(jint(m, "participants.2.id"), w.wang);
	ck_assert_str_eq(jstr(m, "participants.2.role"), "guest");
	ck_assert(is_null(m, "participants.2.title"));
	ck_assert(is_null(m, "participants.2.country"));

	ck_assert_int_eq(json_array_size(jget(m, "principles")), 2);
	assert_keys(jget(m, "principles.0"), INVOCATION_KEYS);
	assert_keys(jget(m, "principles.1"), INVOCATION_KEYS);
	ck_assert_int_eq(jint(m, "principles.0.id"), w.respect);
	ck_assert_str_eq(jstr(m, "principles.0.slug"), "mutual-respect");
	ck_assert_str_eq(jstr(m, "principles.0.name"), "Mutual respect");
	ck_assert_str_eq(jstr(m, "principles.0.framework"), "Five Principles");
	ck_assert_str_eq(jstr(m, "principles.0.stance"), "cited");
	ck_assert(json_is_integer(jget(m, "principles.0.invoked_by")));
	ck_assert_int_eq(jint(m, "principles.0.invoked_by"), w.xi);
	ck_assert_str_eq(jstr(m, "principles.0.quote"), "Respect");
	ck_assert_int_eq(jint(m, "principles.1.id"), w.coexist);
	ck_assert(is_null(m, "principles.1.framework"));
	ck_assert_str_eq(jstr(m, "principles.1.stance"), "proposed");
	ck_assert_int_eq(jint(m, "principles.1.invoked_by"), w.blinken);
	ck_assert(is_null(m, "principles.1.quote"));

	ck_assert_int_eq(json_array_size(jget(m, "related")), 2);
	assert_keys(jget(m, "related.0"), LINK_KEYS);
	assert_keys(jget(m, "related.1"), LINK_KEYS);
	ck_assert_int_eq(jint(m, "related.0.id"), m0);
	ck_assert_str_eq(jstr(m, "related.0.slug"), "2023-11-15-earlier-talks");
	ck_assert_str_eq(jstr(m, "related.0.title"), "Earlier talks");
	ck_assert_str_eq(jstr(m, "related.0.date"), "2023-11-15");
	ck_assert_str_eq(jstr(m, "related.0.relation"), "references");
	ck_assert_int_eq(jint(m, "related.1.id"), m00);
	ck_assert_str_eq(jstr(m, "related.1.relation"), "follows_up");

	/* A read answers the same document and ETag. */
	struct reply *g = get(&h, F("/v1/meetings/%lld", id));
	ck_assert_int_eq(g->status, 200);
	ck_assert(json_equal(g->json, r->json));
	ck_assert_str_eq(reply_header(g, "ETag"), etag);
	reply_free(g);
	reply_free(r);
}
END_TEST

START_TEST(create_minimal_has_every_field)
{
	struct reply *r = wr("POST", "/v1/meetings", "{'title':'Short call','date':'2024-01-02'}");
	ck_assert_int_eq(r->status, 201);
	json_t *m = r->json;
	assert_keys(m, MEETING_KEYS);
	ck_assert_str_eq(jstr(m, "kind"), "meeting");
	const char *nulls[] = {"location", "city", "country", "summary", "readout", NULL};
	for (int i = 0; nulls[i]; i++)
		ck_assert_msg(is_null(m, nulls[i]), "%s is not null", nulls[i]);
	const char *lists[] = {"sources", "participants", "principles", "related", NULL};
	for (int i = 0; lists[i]; i++)
		ck_assert_msg(json_is_array(jget(m, lists[i])) &&
		                  json_array_size(jget(m, lists[i])) == 0,
		              "%s is not []", lists[i]);
	ck_assert_int_eq(jint(m, "version"), 1);
	ck_assert(is_timestamp(jstr(m, "updated_at")));
	/* Read-only fields in a body are ignored. */
	struct reply *r2 = wr("POST", "/v1/meetings",
	                      "{'title':'Second','date':'2024-01-03','id':4242,'version':77,"
	                      "'created_at':'2000-01-01T00:00:00.000Z','updated_at':'x'}");
	ck_assert_msg(r2->status == 201, "%s", r2->body);
	ck_assert_int_ne(jint(r2->json, "id"), 4242);
	ck_assert_int_eq(jint(r2->json, "version"), 1);
	ck_assert_str_ne(jstr(r2->json, "created_at"), "2000-01-01T00:00:00.000Z");
	struct reply *r3 = get(&h, "/v1/meetings/4242");
	assert_problem(r3, 404, "not-found");
	reply_free(r3);
	reply_free(r2);
	reply_free(r);
}
END_TEST

/* The slug a title cut on a word boundary to max characters would have. */
static const char *cut_slug(const char *full, size_t max)
{
	size_t len = strlen(full);
	if (len <= max)
		return F("%s", full);
	size_t p = max;
	while (p > 0 && full[p] != '-')
		p--;
	return F("%.*s", (int)p, full);
}

START_TEST(derived_slugs)
{
	struct reply *r =
	    wr("POST", "/v1/meetings", "{'title':'Xi meets Blinken','date':'2024-04-26'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-04-26-xi-meets-blinken");
	reply_free(r);
	r = wr("POST", "/v1/meetings", "{'title':'Xi meets Blinken','date':'2024-04-26'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-04-26-xi-meets-blinken-2");
	reply_free(r);
	r = wr("POST", "/v1/meetings", "{'title':'Xi  meets: BLINKEN!','date':'2024-04-26'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-04-26-xi-meets-blinken-3");
	reply_free(r);
	r = wr("POST", "/v1/meetings",
	       "{'title':'Talks: US & China, round 2','date':'2024-05-01'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-05-01-talks-us-china-round-2");
	reply_free(r);

	/* A long title is cut at 100 characters on a word boundary. */
	const char *words[] = {"alpha",  "bravo",    "charlie", "delta",   "echo",   "foxtrot",
	                       "golf",   "hotel",    "india",   "juliett", "kilo",   "lima",
	                       "mike",   "november", "oscar",   "papa",    "quebec", "romeo",
	                       "sierra", "tango",    NULL};
	char title[512] = "", full[512] = "2024-04-26";
	for (int i = 0; words[i]; i++) {
		snprintf(title + strlen(title), sizeof title - strlen(title), "%s%s", i ? " " : "",
		         words[i]);
		snprintf(full + strlen(full), sizeof full - strlen(full), "-%s", words[i]);
	}
	ck_assert_uint_gt(strlen(full), 110);
	ck_assert(full[100] != '-'); /* the cut falls inside a word */
	const char *want = cut_slug(full, 100);
	r = wr("POST", "/v1/meetings", F("{'title':'%s','date':'2024-04-26'}", title));
	ck_assert_int_eq(r->status, 201);
	const char *slug = jstr(r->json, "slug");
	ck_assert_uint_le(strlen(slug), 100);
	ck_assert_uint_ge(strlen(slug), 90);
	ck_assert_str_eq(slug, want);
	reply_free(r);
	/* Taken: -2 appended, still at most 100 characters on a word boundary. */
	r = wr("POST", "/v1/meetings", F("{'title':'%s','date':'2024-04-26'}", title));
	ck_assert_int_eq(r->status, 201);
	slug = jstr(r->json, "slug");
	ck_assert_uint_le(strlen(slug), 100);
	ck_assert_str_eq(slug, F("%s-2", cut_slug(want, 98)));
	ck_assert_str_ne(slug, want);
	reply_free(r);

	/* An explicit slug is used; a taken one is 409; a bad one 422. */
	r = wr("POST", "/v1/meetings",
	       "{'title':'Summit','date':'2024-04-27','slug':'2024-04-27-summit'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-04-27-summit");
	reply_free(r);
	r = wr("POST", "/v1/meetings", "{'title':'Summit','date':'2024-04-27'}");
	ck_assert_str_eq(jstr(r->json, "slug"), "2024-04-27-summit-2");
	reply_free(r);
	expect_refused("POST", "/v1/meetings",
	               "{'title':'Other','date':'2024-04-28','slug':'2024-04-27-summit'}", NULL,
	               409, "conflict");
	INVALID("POST", "/v1/meetings", "{'title':'Other','date':'2024-04-28','slug':'Bad Slug'}",
	        "/slug");
}
END_TEST

/* Long titles of one date share the derived slug cut at 100 characters;
 * each numbered one cuts the stem again to make room for its suffix, and
 * the lowest free number is found whatever its width. */
START_TEST(derived_slugs_of_one_long_title)
{
	const char *title = "Talks on the implementation of the understandings reached at the "
	                    "summit in San Francisco between the two presidents";
	char *slugs[12];
	for (int i = 0; i < 12; i++) {
		struct reply *r =
		    wr("POST", "/v1/meetings", F("{'title':'%s','date':'2024-04-26'}", title));
		ck_assert_int_eq(r->status, 201);
		slugs[i] = strdup(jstr(r->json, "slug"));
		reply_free(r);
		ck_assert_uint_le(strlen(slugs[i]), 100);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(slugs[i], slugs[j]);
		if (i) {
			const char *dash = strrchr(slugs[i], '-');
			ck_assert_int_eq(strtol(dash + 1, NULL, 10), i + 1);
			ck_assert(strncmp(slugs[0], slugs[i], (size_t)(dash - slugs[i])) == 0);
		}
	}
	/* A gap among the two-digit ones is filled first. */
	struct reply *r = wr("DELETE", F("/v1/meetings/%s", slugs[10]), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("POST", "/v1/meetings", F("{'title':'%s','date':'2024-04-26'}", title));
	ck_assert_str_eq(jstr(r->json, "slug"), slugs[10]);
	reply_free(r);
	r = wr("POST", "/v1/meetings", F("{'title':'%s','date':'2024-04-26'}", title));
	ck_assert_int_eq(strtol(strrchr(jstr(r->json, "slug"), '-') + 1, NULL, 10), 13);
	reply_free(r);
	for (int i = 0; i < 12; i++)
		free(slugs[i]);
}
END_TEST

START_TEST(derived_counts_follow_meetings)
{
	struct world w;
	build_world(&w);
	const char *xi = "/v1/participants/xi-jinping", *bl = "/v1/participants/antony-blinken";
	const char *resp = "/v1/principles/mutual-respect";
	ck_assert_int_eq(field_int(xi, "meeting_count"), 0);
	ck_assert_str_eq(field_str(xi, "first_meeting_date"), "null");
	ck_assert_str_eq(field_str(xi, "last_meeting_date"), "null");
	ck_assert_int_eq(field_int(resp, "invocation_count"), 0);
	ck_assert_str_eq(field_str(resp, "first_invoked_date"), "null");

	int64_t m1 = mk_meeting("{'title':'One','date':'2024-03-01','participants':[{'slug':'xi-"
	                        "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	ck_assert_int_eq(field_int(xi, "meeting_count"), 1);
	ck_assert_str_eq(field_str(xi, "first_meeting_date"), "2024-03-01");
	ck_assert_str_eq(field_str(xi, "last_meeting_date"), "2024-03-01");
	ck_assert_int_eq(field_int(resp, "invocation_count"), 1);
	ck_assert_str_eq(field_str(resp, "first_invoked_date"), "2024-03-01");

	int64_t m2 = mk_meeting(F("{'title':'Two','date':'2023-01-05','participants':[{'id':%lld},"
	                          "{'id':%lld}]}",
	                          (long long)w.xi, (long long)w.blinken));
	mk_meeting("{'title':'Three','date':'2025-07-07','participants':[{'slug':'xi-jinping'}],"
	           "'principles':[{'slug':'mutual-respect','stance':'reaffirmed'}]}");
	ck_assert_int_eq(field_int(xi, "meeting_count"), 3);
	ck_assert_str_eq(field_str(xi, "first_meeting_date"), "2023-01-05");
	ck_assert_str_eq(field_str(xi, "last_meeting_date"), "2025-07-07");
	ck_assert_int_eq(field_int(bl, "meeting_count"), 1);
	ck_assert_str_eq(field_str(bl, "last_meeting_date"), "2023-01-05");
	ck_assert_int_eq(field_int(resp, "invocation_count"), 2);
	ck_assert_str_eq(field_str(resp, "first_invoked_date"), "2024-03-01");
	ck_assert_int_eq(field_int("/v1/participants/wang-yi", "meeting_count"), 0);

	/* Moving a meeting's date moves the derived dates. */
	struct reply *r =
	    wr("PATCH", F("/v1/meetings/%lld", (long long)m2), "{'date':'2022-12-31'}");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	ck_assert_str_eq(field_str(xi, "first_meeting_date"), "2022-12-31");
	ck_assert_str_eq(field_str(bl, "first_meeting_date"), "2022-12-31");
	r = wr("PATCH", F("/v1/meetings/%lld", (long long)m1), "{'date':'2021-01-01'}");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	ck_assert_str_eq(field_str(resp, "first_invoked_date"), "2021-01-01");
	ck_assert_str_eq(field_str(xi, "first_meeting_date"), "2021-01-01");
	ck_assert_int_eq(field_int(xi, "meeting_count"), 3);
}
END_TEST

START_TEST(read_by_id_and_slug)
{
	int64_t id = mk_meeting("{'title':'Read me','date':'2024-02-02'}");
	struct reply *a = get(&h, F("/v1/meetings/%lld", (long long)id));
	struct reply *b = get(&h, "/v1/meetings/2024-02-02-read-me");
	ck_assert_int_eq(a->status, 200);
	ck_assert_int_eq(b->status, 200);
	ck_assert(json_equal(a->json, b->json));
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(a, "ETag"));
	ck_assert(is_strong_etag(etag));
	ck_assert_str_eq(reply_header(b, "ETag"), etag);
	reply_free(a);
	reply_free(b);
	struct reply *hd = req(&h, "HEAD", "/v1/meetings/2024-02-02-read-me", NULL, NULL);
	ck_assert_int_eq(hd->status, 200);
	ck_assert_int_eq(hd->len, 0);
	ck_assert_str_eq(reply_header(hd, "ETag"), etag);
	reply_free(hd);

	char next[64];
	snprintf(next, sizeof next, "/v1/meetings/%lld", (long long)id + 1);
	/* An id past INT64_MAX is well-formed and names nothing, like any other. */
	const char *missing[] = {"/v1/meetings/999999", "/v1/meetings/no-such-meeting", next,
	                         "/v1/meetings/99999999999999999999999", NULL};
	for (int i = 0; missing[i]; i++) {
		struct reply *r = get(&h, missing[i]);
		assert_problem(r, 404, "not-found");
		reply_free(r);
	}
	const char *bad[] = {
	    "/v1/meetings/Bad_Ref", "/v1/meetings/0",  "/v1/meetings/-5",  "/v1/meetings/a--b",
	    "/v1/meetings/UPPER",   "/v1/meetings/x-", "/v1/meetings/000", NULL};
	for (int i = 0; bad[i]; i++) {
		struct reply *r = get(&h, bad[i]);
		if (r->status != 400)
			ck_abort_msg("GET %s: expected 400, got %ld", bad[i], r->status);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
}
END_TEST

/* ---- validation ---- */

START_TEST(invalid_dates)
{
	const char *bad[] = {"2024-02-30", "2023-02-29", "2024-1-1", "2024-13-01",
	                     "1900-02-29", "2024-04-31", "24-04-26", "2024-04-26T00:00:00Z",
	                     "",           NULL};
	for (int i = 0; bad[i]; i++)
		INVALID("POST", "/v1/meetings", F("{'title':'Dated','date':'%s'}", bad[i]),
		        "/date");
	INVALID("POST", "/v1/meetings", "{'title':'Dated','date':20240101}", "/date");
	INVALID("POST", "/v1/meetings", "{'title':'Dated'}", "/date");
	INVALID("POST", "/v1/meetings", "{'title':'Dated','date':null}", "/date");
	ck_assert_int_eq(meetings_total(""), 0);
	/* Real leap days are dates. */
	mk_meeting("{'title':'Leap','date':'2024-02-29'}");
	mk_meeting("{'title':'Leap','date':'2000-02-29'}");
	ck_assert_int_eq(meetings_total(""), 2);
	int64_t id = mk_meeting("{'title':'Put target','date':'2024-05-05'}");
	INVALID("PUT", F("/v1/meetings/%lld", (long long)id), "{'title':'Put','date':'2024-02-30'}",
	        "/date");
	INVALID("PATCH", F("/v1/meetings/%lld", (long long)id), "{'date':'2023-02-29'}", "/date");
}
END_TEST

START_TEST(invalid_scalars)
{
	char long_title[600], long_text[300];
	memset(long_title, 'a', 501);
	long_title[501] = '\0';
	memset(long_text, 'b', 201);
	long_text[201] = '\0';
	const char *base = "'title':'T','date':'2024-01-01'";
	INVALID("POST", "/v1/meetings", F("{%s,'kind':'party'}", base), "/kind");
	INVALID("POST", "/v1/meetings", F("{%s,'kind':3}", base), "/kind");
	INVALID("POST", "/v1/meetings", F("{%s,'kind':'Talks'}", base), "/kind");
	INVALID("POST", "/v1/meetings", F("{%s,'country':'ZZ'}", base), "/country");
	INVALID("POST", "/v1/meetings", F("{%s,'country':'cn'}", base), "/country");
	INVALID("POST", "/v1/meetings", F("{%s,'country':'CHN'}", base), "/country");
	INVALID("POST", "/v1/meetings", "{'date':'2024-01-01'}", "/title");
	INVALID("POST", "/v1/meetings", "{'title':'','date':'2024-01-01'}", "/title");
	INVALID("POST", "/v1/meetings", "{'title':42,'date':'2024-01-01'}", "/title");
	INVALID("POST", "/v1/meetings", F("{'title':'%s','date':'2024-01-01'}", long_title),
	        "/title");
	INVALID("POST", "/v1/meetings", F("{%s,'city':'%s'}", base, long_text), "/city");
	INVALID("POST", "/v1/meetings", F("{%s,'location':'%s'}", base, long_text), "/location");
	INVALID("POST", "/v1/meetings", F("{%s,'summary':7}", base), "/summary");
	ck_assert_int_eq(meetings_total(""), 0);
	/* The limits themselves are fine, counted in characters. */
	long_title[500] = '\0';
	mk_meeting(F("{'title':'%s','date':'2024-01-01'}", long_title));
	char wide[1200] = "";
	for (int i = 0; i < 500; i++)
		strcat(wide, "\xc3\xa9");
	mk_meeting(F("{'title':'%s','date':'2024-01-01','country':'FR'}", wide));
	strcat(wide, "\xc3\xa9");
	INVALID("POST", "/v1/meetings", F("{'title':'%s','date':'2024-01-01'}", wide), "/title");
	ck_assert_int_eq(meetings_total(""), 2);
	/* The readout may hold 500,000 characters, a quote 2,000. */
	size_t big = 500001;
	char *readout = malloc(big + 64);
	memcpy(readout, "{'title':'Long','date':'2024-01-01','readout':'", 47);
	memset(readout + 47, 'r', big);
	strcpy(readout + 47 + big, "'}");
	INVALID("POST", "/v1/meetings", readout, "/readout");
	strcpy(readout + 47 + big - 1, "'}");
	struct reply *r = wr("POST", "/v1/meetings", readout);
	ck_assert_msg(r->status == 201, "%ld %.200s", r->status, r->body);
	ck_assert_uint_eq(strlen(jstr(r->json, "readout")), big - 1);
	reply_free(r);
	free(readout);
	char quote[2100];
	memset(quote, 'q', 2001);
	quote[2001] = '\0';
	create_ok("/v1/principles", "{'name':'Mutual respect'}");
	INVALID("POST", "/v1/meetings",
	        F("{'title':'Q','date':'2024-01-01','principles':[{'slug':'mutual-respect','quote':"
	          "'%s'}]}",
	          quote),
	        "/principles/0/quote");
	quote[2000] = '\0';
	mk_meeting(F("{'title':'Q','date':'2024-01-01','principles':[{'slug':'mutual-respect',"
	             "'quote':'%s'}]}",
	             quote));
	ck_assert_int_eq(meetings_total(""), 4);
}
END_TEST

START_TEST(invalid_sources)
{
	const char *base = "'title':'T','date':'2024-01-01'";
	const char *bad_urls[] = {"ftp://example.org/file",
	                          "/news/1",
	                          "example.com/x",
	                          "https://",
	                          "http://exa mple.org/",
	                          "mailto:a@example.org",
	                          NULL};
	for (int i = 0; bad_urls[i]; i++)
		INVALID("POST", "/v1/meetings",
		        F("{%s,'sources':[{'url':'%s'}]}", base, bad_urls[i]), "/sources/0/url");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'sources':[{'url':'https://ok.example/'},{'publisher':'P'}]}", base),
	        "/sources/1/url");
	const char *bad_tags[] = {"e", "english language", "en--US", "en_US", "123", NULL};
	for (int i = 0; bad_tags[i]; i++)
		INVALID("POST", "/v1/meetings",
		        F("{%s,'sources':[{'url':'https://a.example/','language':'%s'}]}", base,
		          bad_tags[i]),
		        "/sources/0/language");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'sources':[{'url':'https://a.example/','title':'x'}]}", base),
	        "/sources/0/title");
	INVALID("POST", "/v1/meetings", F("{%s,'sources':'https://a.example/'}", base), "/sources");
	INVALID("POST", "/v1/meetings", F("{%s,'sources':['https://a.example/']}", base),
	        "/sources/0");
	char list[4096] = "";
	for (int i = 0; i < 21; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list),
		         "%s{'url':'https://s%d.example/r'}", i ? "," : "", i);
	INVALID("POST", "/v1/meetings", F("{%s,'sources':[%s]}", base, list), "/sources");
	ck_assert_int_eq(meetings_total(""), 0);
	/* Twenty sources are fine. */
	*strrchr(list, ',') = '\0';
	struct reply *r = wr("POST", "/v1/meetings", F("{%s,'sources':[%s]}", base, list));
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_int_eq(json_array_size(jget(r->json, "sources")), 20);
	ck_assert_str_eq(jstr(r->json, "sources.19.url"), "https://s19.example/r");
	reply_free(r);
	mk_meeting(
	    F("{%s,'sources':[{'url':'HTTPS://Example.org:8443/a?b=c#d','language':'en-GB'}]}",
	      base));
}
END_TEST

START_TEST(invalid_nested_references)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Anchor','date':'2024-01-01'}");
	const char *base = "'title':'T','date':'2024-01-02'";
	INVALID(
	    "POST", "/v1/meetings",
	    F("{%s,'participants':[{'id':%lld},{'slug':'nobody-at-all'}]}", base, (long long)w.xi),
	    "/participants/1/slug");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':[{'id':99999}]}", base),
	        "/participants/0/id");
	INVALID("POST", "/v1/meetings", F("{%s,'principles':[{'id':99999}]}", base),
	        "/principles/0/id");
	INVALID("POST", "/v1/meetings", F("{%s,'principles':[{'slug':'no-such-principle'}]}", base),
	        "/principles/0/slug");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'related':[{'slug':'no-such-meeting','relation':'references'}]}", base),
	        "/related/0/slug");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'related':[{'id':%lld,'relation':'references'}]}", base, (long long)m + 100),
	        "/related/0/id");
	/* Every reference to nothing is listed. */
	INVALID(
	    "POST", "/v1/meetings",
	    F("{%s,'participants':[{'slug':'xi-jinping'},{'slug':'ghost'}],"
	      "'principles':[{'id':99999}],'related':[{'slug':'gone','relation':'follows_up'}]}",
	      base),
	    "/participants/1/slug", "/principles/0/id", "/related/0/slug");
	/* References that are not references. */
	INVALID("POST", "/v1/meetings", F("{%s,'participants':[{'id':0}]}", base),
	        "/participants/0/id");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':[{'id':'7'}]}", base),
	        "/participants/0/id");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':[{'slug':'Not A Slug'}]}", base),
	        "/participants/0/slug");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':[{'role':'host'}]}", base),
	        "/participants/0/slug");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'participants':[{'slug':'xi-jinping','role':'chair'}]}", base),
	        "/participants/0/role");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect','stance':'endorsed'}]}", base),
	        "/principles/0/stance");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':{'slug':'xi-jinping'}}", base),
	        "/participants");
	INVALID("POST", "/v1/meetings", F("{%s,'participants':['xi-jinping']}", base),
	        "/participants/0");
	/* The same through PUT of an existing meeting. */
	INVALID("PUT", F("/v1/meetings/%lld", (long long)m),
	        F("{%s,'participants':[{'slug':'xi-jinping'},{'slug':'ghost'}]}", base),
	        "/participants/1/slug");
	ck_assert_int_eq(meetings_total(""), 1);
}
END_TEST

START_TEST(invoked_by_must_attend)
{
	struct world w;
	build_world(&w);
	const char *base = "'title':'T','date':'2024-01-02','participants':[{'slug':'xi-jinping'}]";
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect','invoked_by':'wang-yi'}]}", base),
	        "/principles/0/invoked_by");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect'},{'slug':'peaceful-coexistence',"
	          "'invoked_by':%lld}]}",
	          base, (long long)w.wang),
	        "/principles/1/invoked_by");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect','invoked_by':'ghost'}]}", base),
	        "/principles/0/invoked_by");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect','invoked_by':0}]}", base),
	        "/principles/0/invoked_by");
	INVALID("POST", "/v1/meetings",
	        "{'title':'T','date':'2024-01-02','principles':[{'slug':'mutual-respect',"
	        "'invoked_by':'xi-jinping'}]}",
	        "/principles/0/invoked_by");
	ck_assert_int_eq(meetings_total(""), 0);
	/* invoked_by names the speaker by slug or id; null is no speaker. */
	struct reply *r = wr("POST", "/v1/meetings",
	                     F("{%s,'principles':[{'slug':'mutual-respect','invoked_by':%lld},"
	                       "{'slug':'peaceful-coexistence','invoked_by':null}]}",
	                       base, (long long)w.xi));
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_int_eq(jint(r->json, "principles.0.invoked_by"), w.xi);
	ck_assert(is_null(r->json, "principles.1.invoked_by"));
	reply_free(r);
}
END_TEST

START_TEST(duplicates_in_nested_lists)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Anchor','date':'2024-01-01'}");
	const char *base = "'title':'T','date':'2024-01-02'";
	INVALID("POST", "/v1/meetings",
	        F("{%s,'participants':[{'id':%lld},{'slug':'xi-jinping','role':'host'}]}", base,
	          (long long)w.xi),
	        "/participants/1");
	INVALID(
	    "POST", "/v1/meetings",
	    F("{%s,'participants':[{'slug':'wang-yi'},{'slug':'xi-jinping'},{'slug':'wang-yi'}]}",
	      base),
	    "/participants/2");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect'},{'id':%lld,'stance':'proposed'}]}",
	          base, (long long)w.respect),
	        "/principles/1");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'related':[{'id':%lld,'relation':'references'},{'id':%lld,'relation':'"
	          "follows_up'}]}",
	          base, (long long)m, (long long)m),
	        "/related/1");
	ck_assert_int_eq(meetings_total(""), 1);
}
END_TEST

START_TEST(meeting_cannot_relate_to_itself)
{
	int64_t m = mk_meeting("{'title':'Self','date':'2024-01-01','summary':'S'}");
	int64_t other = mk_meeting("{'title':'Other','date':'2024-01-02'}");
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	INVALID("PUT", path,
	        F("{'title':'Self','date':'2024-01-01','related':[{'id':%lld,'relation':'"
	          "references'}]}",
	          (long long)m),
	        "/related/0");
	INVALID("PUT", path,
	        "{'title':'Self','date':'2024-01-01','related':[{'slug':'2024-01-01-self',"
	        "'relation':'follows_up'}]}",
	        "/related/0");
	INVALID("PATCH", path,
	        F("{'related':[{'id':%lld,'relation':'references'},{'id':%lld,'relation':'"
	          "references'}]}",
	          (long long)other, (long long)m),
	        "/related/1");
	ck_assert_int_eq(field_int(path, "version"), 1);
	ck_assert_str_eq(field_str(path, "summary"), "S");
}
END_TEST

START_TEST(relation_required)
{
	int64_t m = mk_meeting("{'title':'Anchor','date':'2024-01-01'}");
	const char *base = "'title':'T','date':'2024-01-02'";
	INVALID("POST", "/v1/meetings", F("{%s,'related':[{'id':%lld}]}", base, (long long)m),
	        "/related/0/relation");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'related':[{'id':%lld,'relation':'cites'}]}", base, (long long)m),
	        "/related/0/relation");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'related':[{'id':%lld,'relation':null}]}", base, (long long)m),
	        "/related/0/relation");
	ck_assert_int_eq(meetings_total(""), 1);
}
END_TEST

START_TEST(unknown_fields)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Anchor','date':'2024-01-01'}");
	const char *base = "'title':'T','date':'2024-01-02'";
	INVALID("POST", "/v1/meetings", F("{%s,'colour':'red'}", base), "/colour");
	INVALID("POST", "/v1/meetings", F("{%s,'participant':[]}", base), "/participant");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'participants':[{'slug':'xi-jinping','bogus':1}]}", base),
	        "/participants/0/bogus");
	INVALID("POST", "/v1/meetings",
	        F("{%s,'principles':[{'slug':'mutual-respect','weight':2}]}", base),
	        "/principles/0/weight");
	INVALID(
	    "POST", "/v1/meetings",
	    F("{%s,'related':[{'id':%lld,'relation':'references','why':'x'}]}", base, (long long)m),
	    "/related/0/why");
	INVALID("PATCH", F("/v1/meetings/%lld", (long long)m), "{'colour':'red'}", "/colour");
	ck_assert_int_eq(meetings_total(""), 1);
}
END_TEST

START_TEST(several_problems_listed)
{
	struct world w;
	build_world(&w);
	INVALID("POST", "/v1/meetings",
	        "{'title':'','date':'2024-02-30','kind':'party','country':'ZZ',"
	        "'sources':[{'url':'ftp://x.example/'}],"
	        "'participants':[{'slug':'xi-jinping','role':'chair'}],'colour':1}",
	        "/title", "/date", "/kind", "/country", "/sources/0/url", "/participants/0/role",
	        "/colour");
	struct reply *r = wr("POST", "/v1/meetings", "{'date':'2024-1-1','kind':'party'}");
	assert_problem(r, 422, "validation");
	ck_assert_str_eq(jstr(r->json, "detail"), "3 fields are invalid");
	reply_free(r);
}
END_TEST

/* A body with a malformed field and a reference to nothing: the contract
 * says errors lists every problem found. */
START_TEST(several_problems_include_references)
{
	struct world w;
	build_world(&w);
	INVALID("POST", "/v1/meetings",
	        "{'title':'T','date':'2024-02-30','participants':[{'slug':'ghost'}],"
	        "'principles':[{'id':99999}]}",
	        "/date", "/participants/0/slug", "/principles/0/id");
}
END_TEST

/* ---- replace and merge patch ---- */

/* A meeting with every nested list filled; returns its id. */
static int64_t full_meeting(const struct world *w, int64_t related)
{
	return mk_meeting(
	    F("{'title':'Full meeting','date':'2024-06-01','summary':'S','readout':'R',"
	      "'city':'Beijing','country':'CN','sources':[{'url':'https://a.example/1'}],"
	      "'participants':[{'slug':'xi-jinping','role':'host'},{'id':%lld}],"
	      "'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping','quote':'Q'},"
	      "{'slug':'peaceful-coexistence','stance':'reaffirmed'}],"
	      "'related':[{'id':%lld,'relation':'references'}]}",
	      (long long)w->blinken, (long long)related));
}

START_TEST(put_replaces_everything)
{
	struct world w;
	build_world(&w);
	int64_t other = mk_meeting("{'title':'Other','date':'2024-01-01'}");
	int64_t m = full_meeting(&w, other);
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 1);
	struct reply *r = wr("PUT", path,
	                     "{'title':'Renamed meeting','date':'2024-06-02','kind':'summit',"
	                     "'participants':[{'slug':'wang-yi','role':'guest'}]}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	json_t *doc = r->json;
	assert_keys(doc, MEETING_KEYS);
	ck_assert_int_eq(jint(doc, "version"), 2);
	ck_assert_str_eq(jstr(doc, "slug"), "2024-06-01-full-meeting"); /* kept */
	ck_assert_str_eq(jstr(doc, "title"), "Renamed meeting");
	ck_assert_str_eq(jstr(doc, "kind"), "summit");
	ck_assert(is_null(doc, "summary"));
	ck_assert(is_null(doc, "readout"));
	ck_assert(is_null(doc, "city"));
	ck_assert(is_null(doc, "country"));
	ck_assert_int_eq(json_array_size(jget(doc, "sources")), 0);
	ck_assert_int_eq(json_array_size(jget(doc, "participants")), 1);
	ck_assert_int_eq(jint(doc, "participants.0.id"), w.wang);
	ck_assert_str_eq(jstr(doc, "participants.0.role"), "guest");
	ck_assert_int_eq(json_array_size(jget(doc, "principles")), 0);
	ck_assert_int_eq(json_array_size(jget(doc, "related")), 0);
	ck_assert_str_ne(jstr(doc, "updated_at"), jstr(doc, "created_at"));
	json_t *again = get_ok(path);
	ck_assert(json_equal(again, doc));
	json_decref(again);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 0);
	ck_assert_int_eq(field_int("/v1/participants/xi-jinping", "meeting_count"), 0);
	ck_assert_int_eq(field_int("/v1/participants/wang-yi", "meeting_count"), 1);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 0);
	/* PUT with a slug changes it; by the new slug it is found. */
	r = wr("PUT", path, "{'title':'Renamed meeting','date':'2024-06-02','slug':'renamed'}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "slug"), "renamed");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/meetings/renamed", "id"), m);
	/* A slug another meeting has is 409. */
	expect_refused("PUT", path,
	               "{'title':'Renamed meeting','date':'2024-06-02','slug':'2024-01-01-other'}",
	               NULL, 409, "conflict");
	/* PUT of nothing is 404. */
	expect_refused("PUT", "/v1/meetings/99999", "{'title':'X','date':'2024-01-01'}", NULL, 404,
	               "not-found");
}
END_TEST

START_TEST(patch_merges)
{
	struct world w;
	build_world(&w);
	int64_t other = mk_meeting("{'title':'Other','date':'2024-01-01'}");
	int64_t m = full_meeting(&w, other);
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	json_t *before = get_ok(path);

	/* A scalar change keeps every nested list. */
	struct reply *r = wr("PATCH", path, "{'summary':'New summary'}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r->json, "summary"), "New summary");
	ck_assert_int_eq(jint(r->json, "version"), 2);
	const char *same[] = {"title",   "date",         "slug",       "readout", "city",
	                      "sources", "participants", "principles", "related", NULL};
	for (int i = 0; same[i]; i++)
		ck_assert_msg(json_equal(jget(r->json, same[i]), jget(before, same[i])),
		              "PATCH of summary changed %s", same[i]);
	reply_free(r);

	/* An array given replaces that array only. */
	r = wr("PATCH", path,
	       "{'participants':[{'slug':'wang-yi','role':'guest'},{'slug':'xi-jinping','role':'"
	       "host'}]}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(json_array_size(jget(r->json, "participants")), 2);
	ck_assert_int_eq(jint(r->json, "participants.0.id"), w.wang);
	ck_assert_str_eq(jstr(r->json, "participants.0.role"), "guest");
	ck_assert_int_eq(jint(r->json, "participants.1.id"), w.xi);
	ck_assert_str_eq(jstr(r->json, "participants.1.role"), "host");
	ck_assert(json_equal(jget(r->json, "principles"), jget(before, "principles")));
	ck_assert(json_equal(jget(r->json, "related"), jget(before, "related")));
	ck_assert_str_eq(jstr(r->json, "summary"), "New summary");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 0);
	ck_assert_int_eq(field_int("/v1/participants/wang-yi", "meeting_count"), 1);

	/* null clears an optional field and only that. */
	r = wr("PATCH", path, "{'summary':null}");
	ck_assert_int_eq(r->status, 200);
	ck_assert(is_null(r->json, "summary"));
	ck_assert_str_eq(jstr(r->json, "readout"), "R");
	ck_assert_int_eq(json_array_size(jget(r->json, "participants")), 2);
	reply_free(r);
	r = wr("PATCH", path, "{'related':null,'city':null}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "related")), 0);
	ck_assert(is_null(r->json, "city"));
	ck_assert_str_eq(jstr(r->json, "country"), "CN");
	reply_free(r);

	/* The merge-patch media type is accepted. */
	r = wrh("PATCH", path, "{'city':'Shanghai'}", "Content-Type: application/merge-patch+json");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r->json, "city"), "Shanghai");
	ck_assert_int_eq(jint(r->json, "version"), 6);
	reply_free(r);

	/* A patch that leaves the result invalid changes nothing. */
	INVALID("PATCH", path, "{'title':null}", "/title");
	INVALID("PATCH", path, "{'participants':[]}", "/principles/0/invoked_by");
	INVALID("PATCH", path,
	        "{'principles':[{'slug':'mutual-respect','invoked_by':'antony-blinken'}]}",
	        "/principles/0/invoked_by");
	expect_refused("PATCH", "/v1/meetings/99999", "{'summary':'x'}", NULL, 404, "not-found");
	json_decref(before);
}
END_TEST

/* doc without version and updated_at (new reference). */
static json_t *without_version(json_t *doc)
{
	json_t *copy = json_deep_copy(doc);
	json_object_del(copy, "version");
	json_object_del(copy, "updated_at");
	return copy;
}

START_TEST(patch_with_read_body_changes_nothing)
{
	struct world w;
	build_world(&w);
	int64_t other = mk_meeting("{'title':'Other','date':'2024-01-01'}");
	int64_t m = full_meeting(&w, other);
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	const char *methods[] = {"PATCH", "PUT", NULL};
	for (int i = 0; methods[i]; i++) {
		struct reply *g = get(&h, path);
		ck_assert_int_eq(g->status, 200);
		/* The body as read: read-only fields, nested items with id, slug
		 * and name, sources with null members. */
		struct reply *r =
		    req(&h, methods[i], path, g->body, (const char *const[]){"AUTH", NULL});
		ck_assert_msg(r->status == 200, "%s of the read body: %ld %s", methods[i],
		              r->status, r->body);
		json_t *a = without_version(g->json), *b = without_version(r->json);
		if (!json_equal(a, b))
			ck_abort_msg("%s of the read body changed it:\n%s\n%s", methods[i], g->body,
			             r->body);
		ck_assert_int_ge(jint(r->json, "version"), jint(g->json, "version"));
		json_decref(a);
		json_decref(b);
		reply_free(r);
		reply_free(g);
	}
	ck_assert_int_eq(field_int("/v1/participants/xi-jinping", "meeting_count"), 1);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 1);
}
END_TEST

START_TEST(nested_id_and_slug_must_agree)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Anchor','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}]}");
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	json_t *before = snapshot();
	const char *bodies[] = {
	    F("{'participants':[{'id':%lld,'slug':'antony-blinken'}]}", (long long)w.xi),
	    F("{'principles':[{'id':%lld,'slug':'mutual-respect'}]}", (long long)w.coexist), NULL};
	const char *lists[] = {"/participants/0/", "/principles/0/", NULL};
	for (int i = 0; bodies[i]; i++) {
		struct reply *r = wr("PATCH", path, bodies[i]);
		assert_problem(r, 422, "validation");
		const char *p = jstr(r->json, "errors.0.pointer");
		ck_assert_msg(p && strncmp(p, lists[i], strlen(lists[i]) - 1) == 0,
		              "pointer %s for %s", p ? p : "(none)", bodies[i]);
		ck_assert_int_eq(json_array_size(jget(r->json, "errors")), 1);
		reply_free(r);
	}
	struct reply *r = wr("POST", "/v1/meetings",
	                     F("{'title':'T','date':'2024-01-01','participants':[{'id':%lld,'slug':"
	                       "'wang-yi'}]}",
	                       (long long)w.xi));
	assert_problem(r, 422, "validation");
	reply_free(r);
	assert_unchanged(before, "id and slug naming different entities");
	/* Agreeing id and slug are fine. */
	r = wr("PATCH", path,
	       F("{'participants':[{'id':%lld,'slug':'antony-blinken'}]}", (long long)w.blinken));
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(jint(r->json, "participants.0.id"), w.blinken);
	reply_free(r);
}
END_TEST

/* ---- conditional requests ---- */

/* The path is split at its slashes before it is decoded: an encoded slash
 * stays inside its segment, and as no reference holds one, it is 404. */
START_TEST(encoded_slash_is_not_a_separator)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Paths','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	const char *reads[] = {"/v1/participants/xi-jinping%2Fmeetings",
	                       "/v1/participants/xi-jinping%2fmeetings",
	                       "/v1/principles/mutual-respect%2Ftimeline",
	                       F("/v1/meetings/%lld%%2F", (long long)m),
	                       "/v1%2Fmeetings",
	                       "/v1/meetings/..%2F..%2Fv1%2Fmeetings",
	                       NULL};
	for (int i = 0; reads[i]; i++) {
		struct reply *r = get(&h, reads[i]);
		if (r->status != 404)
			ck_abort_msg("GET %s: expected 404, got %ld %s", reads[i], r->status,
			             r->body);
		assert_problem(r, 404, "not-found");
		reply_free(r);
	}
	expect_refused("PUT", F("/v1/meetings/%lld%%2Fparticipants%%2Fwang-yi", (long long)m),
	               "{'role':'guest'}", NULL, 404, "not-found");
	expect_refused("DELETE", F("/v1/meetings/%lld%%2Fparticipants%%2Fxi-jinping", (long long)m),
	               NULL, NULL, 404, "not-found");
	expect_refused(
	    "PUT", F("/v1/meetings/%lld/principles/x%%2F..%%2Fpeaceful-coexistence", (long long)m),
	    "{}", NULL, 404, "not-found");
	expect_refused("DELETE",
	               F("/v1/meetings/%lld%%2Fprinciples%%2Fmutual-respect", (long long)m), NULL,
	               NULL, 404, "not-found");
	expect_refused("PATCH", F("/v1/meetings/%lld%%2F", (long long)m), "{'title':'X'}", NULL,
	               404, "not-found");
	struct reply *r = req(&h, "OPTIONS", "/v1/participants/xi-jinping%2Fmeetings", NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	reply_free(r);
	/* Dots, NULs and a "%2F" decoded once from a segment are that
	 * segment's text: not a reference (400), never a step up, the end of
	 * the path or a slash. */
	const char *bad[] = {"/v1/meetings/%2E%2E",
	                     "/v1/participants/%2e%2e/meetings",
	                     "/v1/meetings/%2E",
	                     "/v1/meetings/%00",
	                     "/v1/meetings/1%00",
	                     "/v1/meetings/1%252F",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		r = get(&h, bad[i]);
		if (r->status != 400)
			ck_abort_msg("GET %s: expected 400, got %ld %s", bad[i], r->status,
			             r->body);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	expect_refused("PUT", F("/v1/meetings/%lld/participants/%%2E%%2E", (long long)m),
	               "{'role':'guest'}", NULL, 400, "bad-request");
	/* Any other escape decodes to the same segment as the plain text. */
	ck_assert_int_lt(m, 10); /* one digit: %3N is its escape */
	const char *same[] = {
	    F("/v1/me%%65tings/%lld", (long long)m), F("/v1/meetings/%%3%llx", (long long)m),
	    "/v1/participants/xi%2Djinping", "/v1/participants/xi%2djinping/meetings", NULL};
	for (int i = 0; same[i]; i++) {
		r = get(&h, same[i]);
		ck_assert_msg(r->status == 200, "GET %s: %ld %s", same[i], r->status, r->body);
		reply_free(r);
	}
}
END_TEST

/* RFC 9110 section 13: If-None-Match compares weakly, If-Match strongly,
 * and If-Match fails where there is no current representation. */
START_TEST(conditional_request_details)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Cond2','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	char path[64], etag[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	snprintf(etag, sizeof etag, "%s", etag_of(path));
	const char *weak[] = {F("If-None-Match: W/%s", etag),
	                      F("If-None-Match: \"0000000000000000\", W/%s", etag),
	                      F("If-None-Match: W/\"0000000000000000\",\tW/%s\t", etag),
	                      F("If-None-Match: %s  ", etag), NULL};
	for (int i = 0; weak[i]; i++) {
		const char *methods[] = {"GET", "HEAD", NULL};
		for (int k = 0; methods[k]; k++) {
			struct reply *r =
			    req(&h, methods[k], path, NULL, (const char *const[]){weak[i], NULL});
			ck_assert_msg(r->status == 304, "%s %s: %ld", methods[k], weak[i],
			              r->status);
			ck_assert_int_eq(r->len, 0);
			reply_free(r);
		}
	}
	/* A weak tag never matches strongly. */
	expect_refused("PATCH", path, "{'summary':'weak'}", F("If-Match: W/%s", etag), 412,
	               "precondition-failed");
	struct reply *r = wrh("PATCH", path, "{'summary':'strong'}", F("If-Match:  %s \t", etag));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
	reply_free(r);

	/* On a write, a matching If-None-Match fails: the client asked to
	 * change any state but this one. */
	char inm[3][128];
	snprintf(inm[0], sizeof inm[0], "If-None-Match: %s", etag);
	snprintf(inm[1], sizeof inm[1], "If-None-Match: \"0000000000000000\", W/%s", etag);
	snprintf(inm[2], sizeof inm[2], "If-None-Match: *");
	for (int i = 0; i < 3; i++) {
		expect_refused("PATCH", path, "{'summary':'not'}", inm[i], 412,
		               "precondition-failed");
		expect_refused("PUT", path, "{'title':'X','date':'2024-01-01'}", inm[i], 412,
		               "precondition-failed");
		expect_refused("DELETE", path, NULL, inm[i], 412, "precondition-failed");
		expect_refused("PUT", F("%s/participants/wang-yi", path), "{'role':'guest'}",
		               inm[i], 412, "precondition-failed");
	}
	r = wrh("PATCH", path, "{'summary':'other'}", "If-None-Match: \"0000000000000000\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
	reply_free(r);

	/* Nothing there: 412 with If-Match (any tag, or *), 404 without. */
	const char *gone[] = {"/v1/meetings/99999", "/v1/meetings/no-such-meeting",
	                      "/v1/meetings/99999999999999999999999", NULL};
	const char *conds[] = {"If-Match: *", "If-Match: \"0123456789abcdef\"", NULL};
	for (int i = 0; gone[i]; i++) {
		for (int c = 0; conds[c]; c++) {
			expect_refused("PUT", gone[i], "{'title':'X','date':'2024-01-01'}",
			               conds[c], 412, "precondition-failed");
			expect_refused("PATCH", gone[i], "{'title':'X'}", conds[c], 412,
			               "precondition-failed");
			expect_refused("DELETE", gone[i], NULL, conds[c], 412,
			               "precondition-failed");
			expect_refused("PUT", F("%s/participants/wang-yi", gone[i]),
			               "{'role':'guest'}", conds[c], 412, "precondition-failed");
			expect_refused("DELETE", F("%s/participants/xi-jinping", gone[i]), NULL,
			               conds[c], 412, "precondition-failed");
			expect_refused("PUT", F("%s/principles/mutual-respect", gone[i]), "{}",
			               conds[c], 412, "precondition-failed");
			expect_refused("DELETE", F("%s/principles/mutual-respect", gone[i]), NULL,
			               conds[c], 412, "precondition-failed");
		}
		expect_refused("PATCH", gone[i], "{'title':'X'}", NULL, 404, "not-found");
		expect_refused("DELETE", gone[i], NULL, NULL, 404, "not-found");
	}
	/* An entity deleted since the client read it: its old ETag fails. */
	char im[96]; /* not F(): the snapshots of expect_refused use its buffers */
	snprintf(im, sizeof im, "If-Match: %s", etag);
	r = wrh("DELETE", path, NULL, im);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	expect_refused("DELETE", path, NULL, im, 412, "precondition-failed");
	expect_refused("PUT", path, "{'title':'X','date':'2024-01-01'}", im, 412,
	               "precondition-failed");
	expect_refused("PATCH", path, "{'title':'X'}", "If-Match: *", 412, "precondition-failed");
	expect_refused("PUT", F("%s/participants/wang-yi", path), "{'role':'guest'}", im, 412,
	               "precondition-failed");
	char others[2][64];
	snprintf(others[0], sizeof others[0], "/v1/participants/%lld", (long long)w.wang);
	snprintf(others[1], sizeof others[1], "/v1/principles/%lld", (long long)w.coexist);
	for (int i = 0; i < 2; i++) {
		char tag[64];
		snprintf(tag, sizeof tag, "If-Match: %s", etag_of(others[i]));
		r = wrh("DELETE", others[i], NULL, tag);
		ck_assert_msg(r->status == 204, "DELETE %s: %ld %s", others[i], r->status, r->body);
		reply_free(r);
		expect_refused("DELETE", others[i], NULL, tag, 412, "precondition-failed");
		expect_refused("PATCH", others[i], "{'name':'X'}", tag, 412, "precondition-failed");
		expect_refused("PUT", others[i], "{'name':'X'}", "If-Match: *", 412,
		               "precondition-failed");
	}
}
END_TEST

/* A numeric reference too large for any id is well-formed and names
 * nothing: 404, wherever a path takes a reference. */
START_TEST(huge_ids_name_nothing)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Huge','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	const char *huge = "99999999999999999999999";
	const char *reads[] = {"/v1/meetings/%s",
	                       "/v1/participants/%s",
	                       "/v1/principles/%s",
	                       "/v1/participants/%s/meetings",
	                       "/v1/principles/%s/timeline",
	                       NULL};
	for (int i = 0; reads[i]; i++) {
		char path[128];
		snprintf(path, sizeof path, reads[i], huge);
		struct reply *r = get(&h, path);
		if (r->status != 404)
			ck_abort_msg("GET %s: expected 404, got %ld %s", path, r->status, r->body);
		assert_problem(r, 404, "not-found");
		reply_free(r);
	}
	expect_refused("PUT", F("/v1/meetings/%s", huge), "{'title':'X','date':'2024-01-01'}", NULL,
	               404, "not-found");
	expect_refused("PATCH", F("/v1/participants/%s", huge), "{'name':'X'}", NULL, 404,
	               "not-found");
	expect_refused("DELETE", F("/v1/principles/%s", huge), NULL, NULL, 404, "not-found");
	expect_refused("PUT", F("/v1/meetings/%lld/participants/%s", (long long)m, huge),
	               "{'role':'guest'}", NULL, 404, "not-found");
	expect_refused("DELETE", F("/v1/meetings/%lld/principles/%s", (long long)m, huge), NULL,
	               NULL, 404, "not-found");
	/* As a filter it names nothing stored, as an unknown slug does: 400. */
	struct reply *r = get(&h, F("/v1/meetings?participant=%s", huge));
	assert_problem(r, 400, "bad-request");
	ck_assert_str_eq(jstr(r->json, "detail"), "participant or principle names nothing stored.");
	reply_free(r);
}
END_TEST

START_TEST(conditional_requests)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Cond','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	char e1[64];
	snprintf(e1, sizeof e1, "%s", etag_of(path));

	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", e1);
	struct reply *r = req(&h, "GET", path, NULL, (const char *const[]){inm, NULL});
	ck_assert_int_eq(r->status, 304);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	r = req(&h, "GET", path, NULL,
	        (const char *const[]){"If-None-Match: \"0123456789abcdef\"", NULL});
	ck_assert_int_eq(r->status, 200);
	reply_free(r);

	const char *wrong = "If-Match: \"0000000000000000\"";
	expect_refused("PUT", path, "{'title':'X','date':'2024-01-01'}", wrong, 412,
	               "precondition-failed");
	expect_refused("PATCH", path, "{'title':'X'}", wrong, 412, "precondition-failed");
	expect_refused("DELETE", path, NULL, wrong, 412, "precondition-failed");
	expect_refused("PUT", F("%s/participants/wang-yi", path), "{'role':'guest'}", wrong, 412,
	               "precondition-failed");
	expect_refused("DELETE", F("%s/participants/xi-jinping", path), NULL, wrong, 412,
	               "precondition-failed");
	expect_refused("PUT", F("%s/principles/peaceful-coexistence", path), "{}", wrong, 412,
	               "precondition-failed");
	expect_refused("DELETE", F("%s/principles/mutual-respect", path), NULL, wrong, 412,
	               "precondition-failed");

	char im[96];
	snprintf(im, sizeof im, "If-Match: %s", e1);
	r = wrh("PATCH", path, "{'summary':'one'}", im);
	ck_assert_msg(r->status == 200, "%s", r->body);
	char e2[64];
	snprintf(e2, sizeof e2, "%s", reply_header(r, "ETag"));
	ck_assert_str_ne(e2, e1);
	reply_free(r);
	ck_assert_str_eq(etag_of(path), e2);
	/* The old ETag is stale now. */
	expect_refused("PATCH", path, "{'summary':'two'}", im, 412, "precondition-failed");
	r = req(&h, "GET", path, NULL, (const char *const[]){inm, NULL});
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	/* A list of tags and * match. */
	snprintf(im, sizeof im, "If-Match: \"0000000000000000\", %s", e2);
	r = wrh("PUT", F("%s/participants/wang-yi", path), "{'role':'guest'}", im);
	ck_assert_msg(r->status == 200, "%s", r->body);
	reply_free(r);
	r = wrh("PATCH", path, "{'summary':'three'}", "If-Match: *");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "version"), 4);
	reply_free(r);
	/* No current representation: If-Match fails, "*" too. */
	expect_refused("PATCH", "/v1/meetings/99999", "{'summary':'x'}", "If-Match: *", 412,
	               "precondition-failed");
	snprintf(im, sizeof im, "If-Match: %s", etag_of(path));
	r = wrh("DELETE", path, NULL, im);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
}
END_TEST

START_TEST(etag_follows_participant_name)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Etag','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}]}");
	char path[64];
	snprintf(path, sizeof path, "/v1/meetings/%lld", (long long)m);
	char e1[64];
	snprintf(e1, sizeof e1, "%s", etag_of(path));
	ck_assert_str_eq(etag_of(path), e1); /* stable while nothing changes */
	struct reply *r = wr("PATCH", "/v1/participants/xi-jinping", "{'name':'Xi Jinping (PRC)'}");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	ck_assert_str_ne(etag_of(path), e1);
	ck_assert_str_eq(field_str(path, "participants.0.name"), "Xi Jinping (PRC)");
	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", e1);
	r = req(&h, "GET", path, NULL, (const char *const[]){inm, NULL});
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	/* A PATCH conditional on the old representation is refused. */
	snprintf(inm, sizeof inm, "If-Match: %s", e1);
	expect_refused("PATCH", path, "{'summary':'x'}", inm, 412, "precondition-failed");
}
END_TEST

/* ---- delete ---- */

START_TEST(delete_meeting_removes_its_links)
{
	struct world w;
	build_world(&w);
	int64_t c = mk_meeting("{'title':'Cee','date':'2023-01-01'}");
	int64_t a = mk_meeting(F(
	    "{'title':'Ay','date':'2024-01-01','participants':[{'slug':'xi-jinping'},{'slug':"
	    "'antony-blinken'}],'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping'}],"
	    "'related':[{'id':%lld,'relation':'follows_up'}]}",
	    (long long)c));
	int64_t b =
	    mk_meeting(F("{'title':'Bee','date':'2024-02-01','participants':[{'slug':'"
	                 "antony-blinken'}],'related':[{'id':%lld,'relation':'references'}]}",
	                 (long long)a));
	char bpath[64];
	snprintf(bpath, sizeof bpath, "/v1/meetings/%lld", (long long)b);
	ck_assert_int_eq(field_int(bpath, "related.0.id"), a);
	ck_assert_int_eq(field_int("/v1/participants/xi-jinping", "meeting_count"), 1);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 2);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 1);

	struct reply *r = wr("DELETE", F("/v1/meetings/%lld", (long long)a), NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	r = get(&h, F("/v1/meetings/%lld", (long long)a));
	assert_problem(r, 404, "not-found");
	reply_free(r);
	ck_assert_int_eq(meetings_total(""), 2);
	ck_assert_int_eq(field_int("/v1/participants/xi-jinping", "meeting_count"), 0);
	ck_assert_str_eq(field_str("/v1/participants/xi-jinping", "first_meeting_date"), "null");
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 1);
	ck_assert_str_eq(field_str("/v1/participants/antony-blinken", "first_meeting_date"),
	                 "2024-02-01");
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 0);
	ck_assert_str_eq(field_str("/v1/principles/mutual-respect", "first_invoked_date"), "null");
	json_t *bdoc = get_ok(bpath);
	ck_assert_int_eq(json_array_size(jget(bdoc, "related")), 0);
	json_decref(bdoc);
	ck_assert_str_eq(field_str(F("/v1/meetings/%lld", (long long)c), "title"), "Cee");
	expect_refused("DELETE", F("/v1/meetings/%lld", (long long)a), NULL, NULL, 404,
	               "not-found");
	/* By slug; the people and principles are free to go now. */
	r = wr("DELETE", "/v1/meetings/2023-01-01-cee", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", "/v1/participants/xi-jinping", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", "/v1/principles/mutual-respect", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	ck_assert_int_eq(meetings_total(""), 1);
	/* Ids are never reused. */
	ck_assert_int_gt(mk_meeting("{'title':'New','date':'2024-01-01'}"), b);
}
END_TEST

START_TEST(referenced_entities_cannot_be_deleted)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Ref','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'},{'slug':'wang-yi'}],'principles':[{'slug':'mutual-"
	                       "respect','invoked_by':'wang-yi'}]}");
	expect_refused("DELETE", "/v1/participants/xi-jinping", NULL, NULL, 409, "conflict");
	expect_refused("DELETE", F("/v1/participants/%lld", (long long)w.wang), NULL, NULL, 409,
	               "conflict");
	expect_refused("DELETE", "/v1/principles/mutual-respect", NULL, NULL, 409, "conflict");
	/* Unreferenced ones can. */
	struct reply *r = wr("DELETE", "/v1/participants/antony-blinken", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", "/v1/principles/peaceful-coexistence", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	/* Once the references are gone, so can these. */
	r = wr("DELETE", F("/v1/meetings/%lld/participants/xi-jinping", (long long)m), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", "/v1/participants/xi-jinping", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", F("/v1/meetings/%lld/principles/mutual-respect", (long long)m), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	r = wr("DELETE", "/v1/principles/mutual-respect", NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
}
END_TEST

/* ---- subresources ---- */

START_TEST(attendance_put)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Sub','date':'2024-03-03','participants':[{'slug':'xi-"
	                       "jinping','role':'host'}]}");
	char mp[64];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	struct reply *r = wr("PUT", F("%s/participants/antony-blinken", mp), "{'role':'guest'}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	assert_keys(r->json, MEETING_KEYS);
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_int_eq(json_array_size(jget(r->json, "participants")), 2);
	ck_assert_int_eq(jint(r->json, "participants.0.id"), w.xi);
	ck_assert_str_eq(jstr(r->json, "participants.0.role"), "host");
	ck_assert_int_eq(jint(r->json, "participants.1.id"), w.blinken);
	ck_assert_str_eq(jstr(r->json, "participants.1.role"), "guest");
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag") ? reply_header(r, "ETag") : "");
	ck_assert_str_eq(etag_of(mp), etag);
	json_t *stored = get_ok(mp);
	ck_assert(json_equal(stored, r->json));
	json_decref(stored);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 1);
	ck_assert_str_eq(field_str("/v1/participants/antony-blinken", "last_meeting_date"),
	                 "2024-03-03");

	/* Change the role, by meeting slug and participant id. */
	r = wr("PUT", F("/v1/meetings/2024-03-03-sub/participants/%lld", (long long)w.blinken),
	       "{'role':'host'}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(json_array_size(jget(r->json, "participants")), 2);
	ck_assert_str_eq(jstr(r->json, "participants.1.role"), "host");
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 1);
	/* Default role. */
	r = wr("PUT", F("%s/participants/wang-yi", mp), "{}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(jint(r->json, "participants.2.id"), w.wang);
	ck_assert_str_eq(jstr(r->json, "participants.2.role"), "attendee");
	ck_assert_int_eq(jint(r->json, "version"), 4);
	reply_free(r);

	expect_refused("PUT", F("%s/participants/nobody-here", mp), "{'role':'guest'}", NULL, 404,
	               "not-found");
	expect_refused("PUT", F("%s/participants/99999", mp), "{'role':'guest'}", NULL, 404,
	               "not-found");
	expect_refused("PUT", "/v1/meetings/99999/participants/xi-jinping", "{'role':'guest'}",
	               NULL, 404, "not-found");
	expect_refused("PUT", F("%s/participants/Bad_Ref", mp), "{'role':'guest'}", NULL, 400,
	               "bad-request");
	INVALID("PUT", F("%s/participants/xi-jinping", mp), "{'role':'chair'}", "/role");
	INVALID("PUT", F("%s/participants/xi-jinping", mp), "{'role':'guest','seat':3}", "/seat");
	ck_assert_int_eq(field_int(mp, "version"), 4);
}
END_TEST

START_TEST(attendance_delete)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting(
	    "{'title':'Del','date':'2024-03-03','participants':[{'slug':'xi-jinping'},{'slug':"
	    "'antony-blinken'}],'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping',"
	    "'quote':'Q'},{'slug':'peaceful-coexistence','invoked_by':'antony-blinken'}]}");
	/* Another meeting where Xi invoked the same principle keeps its speaker. */
	int64_t other =
	    mk_meeting("{'title':'Keep','date':'2024-03-04','participants':[{'slug':'xi-jinping'}],"
	               "'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping'}]}");
	char mp[64];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	struct reply *r = wr("DELETE", F("%s/participants/xi-jinping", mp), NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	json_t *doc = get_ok(mp);
	ck_assert_int_eq(json_array_size(jget(doc, "participants")), 1);
	ck_assert_int_eq(jint(doc, "participants.0.id"), w.blinken);
	ck_assert_int_eq(json_array_size(jget(doc, "principles")), 2);
	ck_assert(is_null(doc, "principles.0.invoked_by"));
	ck_assert_str_eq(jstr(doc, "principles.0.quote"), "Q");
	ck_assert_int_eq(jint(doc, "principles.1.invoked_by"), w.blinken);
	ck_assert_int_eq(jint(doc, "version"), 2);
	json_decref(doc);
	ck_assert_int_eq(
	    field_int(F("/v1/meetings/%lld", (long long)other), "principles.0.invoked_by"), w.xi);
	ck_assert_int_eq(field_int("/v1/participants/xi-jinping", "meeting_count"), 1);
	ck_assert_str_eq(field_str("/v1/participants/xi-jinping", "first_meeting_date"),
	                 "2024-03-04");

	expect_refused("DELETE", F("%s/participants/xi-jinping", mp), NULL, NULL, 404, "not-found");
	expect_refused("DELETE", F("%s/participants/wang-yi", mp), NULL, NULL, 404, "not-found");
	expect_refused("DELETE", F("%s/participants/nobody-here", mp), NULL, NULL, 404,
	               "not-found");
	expect_refused("DELETE", "/v1/meetings/99999/participants/antony-blinken", NULL, NULL, 404,
	               "not-found");
	/* By participant id. */
	r = wr("DELETE", F("%s/participants/%lld", mp, (long long)w.blinken), NULL);
	ck_assert_int_eq(r->status, 204);
	reply_free(r);
	ck_assert_str_eq(field_str(mp, "principles.1.invoked_by"), "null");
	ck_assert_int_eq(field_int("/v1/participants/antony-blinken", "meeting_count"), 0);
}
END_TEST

START_TEST(invocation_put_and_delete)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Inv','date':'2024-05-05','participants':[{'slug':'xi-"
	                       "jinping'},{'slug':'antony-blinken'}]}");
	char mp[64];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	struct reply *r = wr("PUT", F("%s/principles/mutual-respect", mp),
	                     "{'stance':'reaffirmed','invoked_by':'xi-jinping','quote':'Words'}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	assert_keys(r->json, MEETING_KEYS);
	ck_assert_int_eq(jint(r->json, "version"), 2);
	ck_assert_int_eq(json_array_size(jget(r->json, "principles")), 1);
	assert_keys(jget(r->json, "principles.0"), INVOCATION_KEYS);
	ck_assert_int_eq(jint(r->json, "principles.0.id"), w.respect);
	ck_assert_str_eq(jstr(r->json, "principles.0.stance"), "reaffirmed");
	ck_assert_int_eq(jint(r->json, "principles.0.invoked_by"), w.xi);
	ck_assert_str_eq(jstr(r->json, "principles.0.quote"), "Words");
	json_t *stored = get_ok(mp);
	ck_assert(json_equal(stored, r->json));
	json_decref(stored);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 1);
	ck_assert_str_eq(field_str("/v1/principles/mutual-respect", "first_invoked_date"),
	                 "2024-05-05");

	/* Change it: by principle id, speaker by id. */
	r = wr("PUT", F("%s/principles/%lld", mp, (long long)w.respect),
	       F("{'stance':'proposed','invoked_by':%lld}", (long long)w.blinken));
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(json_array_size(jget(r->json, "principles")), 1);
	ck_assert_str_eq(jstr(r->json, "principles.0.stance"), "proposed");
	ck_assert_int_eq(jint(r->json, "principles.0.invoked_by"), w.blinken);
	ck_assert(is_null(r->json, "principles.0.quote"));
	ck_assert_int_eq(jint(r->json, "version"), 3);
	reply_free(r);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 1);
	/* Defaults. */
	r = wr("PUT", F("%s/principles/peaceful-coexistence", mp), "{}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(json_array_size(jget(r->json, "principles")), 2);
	ck_assert_int_eq(jint(r->json, "principles.1.id"), w.coexist);
	ck_assert_str_eq(jstr(r->json, "principles.1.stance"), "cited");
	ck_assert(is_null(r->json, "principles.1.invoked_by"));
	ck_assert(is_null(r->json, "principles.1.quote"));
	reply_free(r);

	INVALID("PUT", F("%s/principles/mutual-respect", mp), "{'invoked_by':'wang-yi'}",
	        "/invoked_by");
	INVALID("PUT", F("%s/principles/mutual-respect", mp),
	        F("{'invoked_by':%lld}", (long long)w.wang), "/invoked_by");
	INVALID("PUT", F("%s/principles/mutual-respect", mp), "{'invoked_by':'ghost'}",
	        "/invoked_by");
	INVALID("PUT", F("%s/principles/mutual-respect", mp), "{'stance':'endorsed'}", "/stance");
	INVALID("PUT", F("%s/principles/mutual-respect", mp), "{'stance':'cited','tone':'warm'}",
	        "/tone");
	expect_refused("PUT", F("%s/principles/no-such-principle", mp), "{}", NULL, 404,
	               "not-found");
	expect_refused("PUT", "/v1/meetings/99999/principles/mutual-respect", "{}", NULL, 404,
	               "not-found");

	r = wr("DELETE", F("%s/principles/mutual-respect", mp), NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	reply_free(r);
	json_t *doc = get_ok(mp);
	ck_assert_int_eq(json_array_size(jget(doc, "principles")), 1);
	ck_assert_int_eq(jint(doc, "principles.0.id"), w.coexist);
	ck_assert_int_eq(jint(doc, "version"), 5);
	json_decref(doc);
	ck_assert_int_eq(field_int("/v1/principles/mutual-respect", "invocation_count"), 0);
	expect_refused("DELETE", F("%s/principles/mutual-respect", mp), NULL, NULL, 404,
	               "not-found");
	expect_refused("DELETE", F("%s/principles/nothing-like-it", mp), NULL, NULL, 404,
	               "not-found");
}
END_TEST

/* ---- authentication and media types ---- */

START_TEST(writes_need_a_token)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Auth','date':'2024-01-01','participants':[{'slug':'xi-"
	                       "jinping'}],'principles':[{'slug':'mutual-respect'}]}");
	char mp[64], sub[4][96];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	snprintf(sub[0], sizeof sub[0], "%s/participants/wang-yi", mp);
	snprintf(sub[1], sizeof sub[1], "%s/participants/xi-jinping", mp);
	snprintf(sub[2], sizeof sub[2], "%s/principles/peaceful-coexistence", mp);
	snprintf(sub[3], sizeof sub[3], "%s/principles/mutual-respect", mp);
	struct {
		const char *method, *path, *body;
	} writes[] = {
	    {"POST", "/v1/meetings", "{\"title\":\"X\",\"date\":\"2024-01-01\"}"},
	    {"PUT", mp, "{\"title\":\"X\",\"date\":\"2024-01-01\"}"},
	    {"PATCH", mp, "{\"title\":\"X\"}"},
	    {"DELETE", mp, NULL},
	    {"PUT", sub[0], "{\"role\":\"guest\"}"},
	    {"DELETE", sub[1], NULL},
	    {"PUT", sub[2], "{}"},
	    {"DELETE", sub[3], NULL},
	};
	const char *auth[] = {NULL,
	                      "Authorization: Bearer wrong-token",
	                      "Authorization: Bearer " TEST_TOKEN "x",
	                      "Authorization: Bearer test-token-012345678",
	                      "Authorization: Bearer",
	                      "Authorization: Basic dGVzdC10b2tlbi0wMTIzNDU2Nzg5",
	                      "Authorization: " TEST_TOKEN,
	                      NULL};
	json_t *before = snapshot();
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		for (int k = 0; k == 0 || auth[k]; k++) {
			const char *const hdr[] = {auth[k], NULL};
			struct reply *r =
			    req(&h, writes[i].method, writes[i].path, writes[i].body, hdr);
			if (r->status != 401)
				ck_abort_msg("%s %s with %s: %ld", writes[i].method, writes[i].path,
				             auth[k] ? auth[k] : "no token", r->status);
			assert_problem(r, 401, "unauthorized");
			const char *www = reply_header(r, "WWW-Authenticate");
			ck_assert_msg(www && strncmp(www, "Bearer", 6) == 0, "WWW-Authenticate %s",
			              www ? www : "(none)");
			reply_free(r);
		}
	}
	assert_unchanged(before, "writes without a valid token");
	/* Whitespace around the field value is not part of the token. */
	const char *spaced[] = {"Authorization: Bearer " TEST_TOKEN "  ",
	                        "Authorization: Bearer " TEST_TOKEN "\t",
	                        "Authorization: Bearer " TEST_TOKEN " \t ",
	                        "Authorization: Bearer   " TEST_TOKEN, NULL};
	for (int k = 0; spaced[k]; k++) {
		const char *const hdr[] = {spaced[k], NULL};
		struct reply *r = req(&h, "POST", "/v1/meetings",
		                      "{\"title\":\"Spaced\",\"date\":\"2024-01-01\"}", hdr);
		ck_assert_msg(r->status == 201, "'%s': %ld %s", spaced[k], r->status, r->body);
		reply_free(r);
	}
	/* But the token is still compared whole. */
	const char *const cut[] = {"Authorization: Bearer " TEST_TOKEN " x", NULL};
	struct reply *r =
	    req(&h, "POST", "/v1/meetings", "{\"title\":\"X\",\"date\":\"2024-01-01\"}", cut);
	assert_problem(r, 401, "unauthorized");
	reply_free(r);
}
END_TEST

START_TEST(bodies_must_be_json)
{
	struct world w;
	build_world(&w);
	int64_t m = mk_meeting("{'title':'Media','date':'2024-01-01'}");
	char mp[64];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	const char *types[] = {"Content-Type: text/plain",
	                       "Content-Type: application/x-www-form-urlencoded", NULL};
	for (int t = 0; types[t]; t++) {
		expect_refused("POST", "/v1/meetings", "{'title':'X','date':'2024-01-01'}",
		               types[t], 415, "unsupported-media-type");
		expect_refused("PUT", mp, "{'title':'X','date':'2024-01-01'}", types[t], 415,
		               "unsupported-media-type");
		expect_refused("PATCH", mp, "{'title':'X'}", types[t], 415,
		               "unsupported-media-type");
		expect_refused("PUT", F("%s/participants/wang-yi", mp), "{'role':'guest'}",
		               types[t], 415, "unsupported-media-type");
		expect_refused("PUT", F("%s/principles/mutual-respect", mp), "{}", types[t], 415,
		               "unsupported-media-type");
	}
	/* merge-patch+json is for PATCH only. */
	expect_refused("POST", "/v1/meetings", "{'title':'X','date':'2024-01-01'}",
	               "Content-Type: application/merge-patch+json", 415, "unsupported-media-type");
	/* Parameters on the media type are fine. */
	struct reply *r = wrh("POST", "/v1/meetings", "{'title':'Charset','date':'2024-01-01'}",
	                      "Content-Type: application/json; charset=utf-8");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	reply_free(r);
	/* Whitespace around the value, or before its parameters, is not part
	 * of the media type. */
	const char *spaced[] = {"Content-Type: application/json \t",
	                        "Content-Type: application/json\t; charset=utf-8", NULL};
	for (int i = 0; spaced[i]; i++) {
		r = wrh("POST", "/v1/meetings", "{'title':'Spaced type','date':'2024-01-01'}",
		        spaced[i]);
		ck_assert_msg(r->status == 201, "%s: %ld %s", spaced[i], r->status, r->body);
		reply_free(r);
	}
	/* Malformed JSON is 400; well-formed JSON that is not an object, a
	 * scalar as much as an array, is 422 at the whole body. */
	expect_refused("POST", "/v1/meetings", "{'title':", NULL, 400, "malformed");
	expect_refused("POST", "/v1/meetings", "5 6", NULL, 400, "malformed");
	const char *not_objects[] = {"['title']", "[]",   "5",       "-1.5e3", "'x'",
	                             "null",      "true", " false ", NULL};
	for (int i = 0; not_objects[i]; i++) {
		INVALID("POST", "/v1/meetings", not_objects[i], "");
		INVALID("PUT", mp, not_objects[i], "");
		INVALID("PATCH", mp, not_objects[i], "");
		INVALID("PUT", F("%s/participants/wang-yi", mp), not_objects[i], "");
		INVALID("PUT", F("%s/principles/mutual-respect", mp), not_objects[i], "");
		INVALID("POST", "/v1/participants", not_objects[i], "");
		INVALID("POST", "/v1/import", not_objects[i], "");
	}
	/* A number too large for any field is well-formed JSON: 422 at it. */
	INVALID("POST", "/v1/meetings", "99999999999999999999", "");
	INVALID("POST", "/v1/meetings",
	        "{'title':'X','date':'2024-01-01','participants':[{'slug':'wang-yi'},{'id':"
	        "99999999999999999999}]}",
	        "/participants/1/id");
	INVALID("PATCH", mp, "{'related':[{'id':-99999999999999999999,'relation':'references'}]}",
	        "/related/0/id");
	INVALID("PUT", F("%s/principles/mutual-respect", mp),
	        "{'invoked_by':1e999,'stance':'cited'}", "/invoked_by");
	INVALID("POST", "/v1/participants", "{'a~/b':{'c':[1,[2,99999999999999999999]]}}",
	        "/a~0~1b/c/1/1");
	/* But a body malformed after such a number is still 400. */
	expect_refused("POST", "/v1/meetings", "{'title':99999999999999999999,'date':}", NULL, 400,
	               "malformed");
}
END_TEST

/* ---- lists ---- */

struct six {
	int64_t a, b, c, d, e, f;
};

static void six_meetings(const struct world *w, struct six *s)
{
	(void)w;
	s->a = mk_meeting("{'title':'A','date':'2024-01-10','country':'CN','readout':'RA',"
	                  "'sources':[{'url':'https://a.example/'}],'participants':[{'slug':'xi-"
	                  "jinping','role':'host'},{'slug':'antony-blinken'}],'principles':[{'"
	                  "slug':'mutual-respect','invoked_by':'xi-jinping'}]}");
	s->b = mk_meeting("{'title':'B','date':'2024-02-20','kind':'talks','country':'US',"
	                  "'participants':[{'slug':'antony-blinken'}],'principles':[{'slug':"
	                  "'peaceful-coexistence'}]}");
	s->c =
	    mk_meeting("{'title':'C','date':'2024-02-20','kind':'talks','country':'CN',"
	               "'participants':[{'slug':'xi-jinping'},{'slug':'wang-yi','role':'guest'}],"
	               "'principles':[{'slug':'mutual-respect'},{'slug':'peaceful-coexistence',"
	               "'stance':'proposed'}]}");
	s->d = mk_meeting(F("{'title':'D','date':'2024-03-05','kind':'summit','country':'CN',"
	                    "'participants':[{'slug':'xi-jinping'},{'slug':'antony-blinken'},{'"
	                    "slug':'wang-yi'}],'related':[{'id':%lld,'relation':'follows_up'}]}",
	                    (long long)s->c));
	s->e = mk_meeting("{'title':'E','date':'2023-12-31','kind':'phone_call'}");
	s->f = mk_meeting("{'title':'F','date':'2024-03-06','kind':'talks','country':'FR',"
	                  "'participants':[{'slug':'wang-yi'}]}");
}

START_TEST(list_filters)
{
	struct world w;
	build_world(&w);
	struct six s;
	six_meetings(&w, &s);
	EXPECT_IDS("", s.f, s.d, s.c, s.b, s.a, s.e);
	EXPECT_IDS("sort=-date", s.f, s.d, s.c, s.b, s.a, s.e);
	EXPECT_IDS("sort=date", s.e, s.a, s.b, s.c, s.d, s.f);
	EXPECT_IDS("from=2024-02-20", s.f, s.d, s.c, s.b);
	EXPECT_IDS("to=2024-02-20", s.c, s.b, s.a, s.e);
	EXPECT_IDS("from=2024-02-20&to=2024-02-20", s.c, s.b);
	EXPECT_IDS("from=2024-02-21&to=2024-03-05", s.d);
	EXPECT_IDS("from=2024-01-10&to=2024-01-10&sort=date", s.a);
	expect_ids("from=2024-03-07", NULL, 0);
	expect_ids("from=2024-03-01&to=2024-02-01", NULL, 0);
	EXPECT_IDS("kind=talks", s.f, s.c, s.b);
	EXPECT_IDS("kind=phone_call", s.e);
	expect_ids("kind=visit", NULL, 0);
	EXPECT_IDS("country=CN", s.d, s.c, s.a);
	EXPECT_IDS("country=US", s.b);
	EXPECT_IDS("participant=xi-jinping", s.d, s.c, s.a);
	EXPECT_IDS(F("participant=%lld", (long long)w.xi), s.d, s.c, s.a);
	EXPECT_IDS("participant=xi-jinping&participant=antony-blinken", s.d, s.a);
	EXPECT_IDS(F("participant=xi-jinping&participant=%lld", (long long)w.wang), s.d, s.c);
	EXPECT_IDS(
	    F("participant=wang-yi&participant=%lld&participant=xi-jinping", (long long)w.blinken),
	    s.d);
	EXPECT_IDS("participant=xi-jinping&participant=xi-jinping", s.d, s.c, s.a);
	EXPECT_IDS("principle=mutual-respect", s.c, s.a);
	EXPECT_IDS(F("principle=%lld&sort=date", (long long)w.coexist), s.b, s.c);
	EXPECT_IDS("kind=talks&country=CN&participant=wang-yi&principle=peaceful-coexistence&"
	           "from=2024-01-01&to=2024-12-31",
	           s.c);
	EXPECT_IDS("country=CN&participant=antony-blinken&sort=date", s.a, s.d);
	EXPECT_IDS("kind=talks&from=2024-02-21", s.f);
	expect_ids("kind=summit&principle=mutual-respect", NULL, 0);
	expect_ids("participant=antony-blinken&participant=wang-yi&kind=talks", NULL, 0);
	/* A participant with no meetings is a valid filter. */
	int64_t lone = create_ok("/v1/participants", "{'name':'Lone Person'}");
	expect_ids(F("participant=%lld", (long long)lone), NULL, 0);
}
END_TEST

START_TEST(list_bad_parameters)
{
	struct world w;
	build_world(&w);
	struct six s;
	six_meetings(&w, &s);
	const char *bad[] = {"participant=nobody-here",
	                     "participant=99999",
	                     "participant=xi-jinping&participant=nobody-here",
	                     "participant=Bad_Ref",
	                     "participant=0",
	                     "principle=no-such-principle",
	                     "principle=99999",
	                     "principle=Bad_Ref",
	                     "from=2024-02-30",
	                     "from=2024-1-1",
	                     "to=yesterday",
	                     "to=",
	                     "kind=party",
	                     "kind=Talks",
	                     "country=ZZ",
	                     "country=cn",
	                     "sort=title",
	                     "sort=%2Bdate",
	                     "limit=0",
	                     "limit=201",
	                     "limit=ten",
	                     "count=maybe",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		struct reply *r = get(&h, F("/v1/meetings?%s", bad[i]));
		if (r->status != 400)
			ck_abort_msg("GET /v1/meetings?%s: expected 400, got %ld %s", bad[i],
			             r->status, r->body);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	json_t *ok = get_ok("/v1/meetings?limit=200&count=false");
	ck_assert_int_eq(json_array_size(jget(ok, "data")), 6);
	ck_assert_ptr_null(jget(ok, "total"));
	json_decref(ok);
}
END_TEST

START_TEST(list_items_are_summaries)
{
	struct world w;
	build_world(&w);
	struct six s;
	six_meetings(&w, &s);
	json_t *list = get_ok("/v1/meetings");
	json_t *data = jget(list, "data");
	ck_assert_int_eq(json_array_size(data), 6);
	size_t i;
	json_t *item;
	json_array_foreach(data, i, item)
	{
		assert_keys(item, SUMMARY_KEYS);
		json_t *full = get_ok(F("/v1/meetings/%lld", jint(item, "id")));
		const char *shared[] = {"id",         "slug",         "title",      "date",
		                        "kind",       "location",     "city",       "country",
		                        "summary",    "participants", "principles", "created_at",
		                        "updated_at", "version",      NULL};
		for (int k = 0; shared[k]; k++)
			ck_assert_msg(json_equal(jget(item, shared[k]), jget(full, shared[k])),
			              "list item %lld differs in %s", jint(item, "id"), shared[k]);
		json_decref(full);
	}
	/* Meeting A's nested lists as on read. */
	json_t *a = json_array_get(data, 4);
	ck_assert_int_eq(jint(a, "id"), s.a);
	ck_assert_int_eq(json_array_size(jget(a, "participants")), 2);
	assert_keys(jget(a, "participants.0"), ATTENDANCE_KEYS);
	ck_assert_str_eq(jstr(a, "participants.0.role"), "host");
	assert_keys(jget(a, "principles.0"), INVOCATION_KEYS);
	ck_assert_int_eq(jint(a, "principles.0.invoked_by"), w.xi);
	ck_assert_ptr_null(jget(list, "total"));
	json_decref(list);
	struct reply *r = get(&h, "/v1/meetings");
	ck_assert_ptr_null(reply_header(r, "X-Total-Count"));
	ck_assert_ptr_null(reply_header(r, "Link"));
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	reply_free(r);
}
END_TEST

START_TEST(list_count)
{
	struct world w;
	build_world(&w);
	struct six s;
	six_meetings(&w, &s);
	struct reply *r = get(&h, "/v1/meetings?kind=talks&count=true&limit=2");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r->json, "total"), 3);
	ck_assert_str_eq(reply_header(r, "X-Total-Count"), "3");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 2);
	const char *cursor = jstr(r->json, "next_cursor");
	ck_assert_ptr_nonnull(cursor);
	const char *link = reply_header(r, "Link");
	ck_assert_ptr_nonnull(link);
	ck_assert_ptr_nonnull(strstr(link, "rel=\"next\""));
	ck_assert_ptr_nonnull(strstr(link, cursor));
	ck_assert_ptr_nonnull(strstr(link, "kind=talks"));
	struct reply *p2 =
	    get(&h, F("/v1/meetings?kind=talks&count=true&limit=2&cursor=%s", cursor));
	ck_assert_int_eq(p2->status, 200);
	ck_assert_int_eq(jint(p2->json, "total"), 3);
	ck_assert_int_eq(json_array_size(jget(p2->json, "data")), 1);
	ck_assert_int_eq(jint(p2->json, "data.0.id"), s.b);
	ck_assert(is_null(p2->json, "next_cursor"));
	ck_assert_ptr_null(reply_header(p2, "Link"));
	reply_free(p2);
	reply_free(r);
	ck_assert_int_eq(meetings_total(""), 6);
	ck_assert_int_eq(meetings_total("participant=xi-jinping"), 3);
	ck_assert_int_eq(meetings_total("participant=xi-jinping&participant=antony-blinken"), 2);
	ck_assert_int_eq(meetings_total("principle=peaceful-coexistence"), 2);
	ck_assert_int_eq(meetings_total("from=2024-02-20&to=2024-03-05"), 3);
	ck_assert_int_eq(meetings_total("country=FR"), 1);
	ck_assert_int_eq(meetings_total("kind=visit"), 0);
}
END_TEST

START_TEST(participant_meetings)
{
	struct world w;
	build_world(&w);
	int64_t m1 = mk_meeting("{'title':'M1','date':'2024-05-01','participants':[{'slug':'xi-"
	                        "jinping','role':'host'}]}");
	int64_t m2 =
	    mk_meeting("{'title':'M2','date':'2023-03-03','participants':[{'slug':'"
	               "antony-blinken','role':'host'},{'slug':'xi-jinping','role':'guest'}"
	               "]}");
	int64_t m3 = mk_meeting("{'title':'M3','date':'2024-01-01','readout':'R','participants':[{"
	                        "'slug':'xi-jinping'}]}");
	int64_t m4 = mk_meeting("{'title':'M4','date':'2022-07-07','participants':[{'slug':'xi-"
	                        "jinping','role':'host'}]}");
	int64_t m5 = mk_meeting("{'title':'M5','date':'2024-01-01','participants':[{'slug':'wang-"
	                        "yi'},{'slug':'xi-jinping','role':'guest'}]}");
	mk_meeting("{'title':'M6','date':'2024-01-01','participants':[{'slug':'wang-yi'}]}");
	const long long want[] = {m4, m2, m3, m5, m1};
	const char *roles[] = {"host", "guest", "attendee", "guest", "host"};

	json_t *all = get_ok("/v1/participants/xi-jinping/meetings");
	json_t *by_id = get_ok(F("/v1/participants/%lld/meetings", (long long)w.xi));
	ck_assert(json_equal(all, by_id));
	json_decref(by_id);
	ck_assert_int_eq(json_array_size(jget(all, "data")), 5);
	for (int i = 0; i < 5; i++) {
		json_t *item = jget(all, F("data.%d", i));
		ck_assert_int_eq(jint(item, "id"), want[i]);
		ck_assert_str_eq(jstr(item, "role"), roles[i]);
		assert_keys(item, SUMMARY_KEYS " role");
	}
	ck_assert(is_null(all, "next_cursor"));
	json_decref(all);
	/* Blinken's only meeting as host. */
	json_t *bl = get_ok("/v1/participants/antony-blinken/meetings");
	ck_assert_int_eq(json_array_size(jget(bl, "data")), 1);
	ck_assert_str_eq(jstr(bl, "data.0.role"), "host");
	json_decref(bl);

	/* Paginated, with count. */
	long long got[8];
	size_t n = 0;
	char *cursor = NULL;
	int pages = 0;
	do {
		struct reply *r = get(
		    &h, cursor
		            ? F("/v1/participants/xi-jinping/meetings?limit=2&count=true&cursor=%s",
		                cursor)
		            : "/v1/participants/xi-jinping/meetings?limit=2&count=true");
		ck_assert_msg(r->status == 200, "%s", r->body);
		ck_assert_int_eq(jint(r->json, "total"), 5);
		size_t k = ids_of(r->json, got + n, 8 - n);
		ck_assert_uint_eq(k, pages < 2 ? 2 : 1);
		for (size_t j = 0; j < k; j++)
			ck_assert_str_eq(jstr(r->json, F("data.%zu.role", j)), roles[n + j]);
		n += k;
		free(cursor);
		cursor = jstr(r->json, "next_cursor") ? strdup(jstr(r->json, "next_cursor")) : NULL;
		reply_free(r);
		pages++;
	} while (cursor && pages < 10);
	ck_assert_int_eq(pages, 3);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(got, want, sizeof want) == 0);

	/* A cursor of this list is no good for another participant's. */
	struct reply *r = get(&h, "/v1/participants/xi-jinping/meetings?limit=2");
	char c1[1100];
	snprintf(c1, sizeof c1, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);
	r = get(&h, F("/v1/participants/wang-yi/meetings?limit=2&cursor=%s", c1));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, F("/v1/meetings?limit=2&sort=date&cursor=%s", c1));
	assert_problem(r, 400, "bad-request");
	reply_free(r);

	r = get(&h, "/v1/participants/nobody-here/meetings");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, "/v1/participants/99999/meetings");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, "/v1/participants/Bad_Ref/meetings");
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	json_t *none = get_ok(F("/v1/participants/%lld/meetings",
	                        (long long)create_ok("/v1/participants", "{'name':'Nobody Yet'}")));
	ck_assert_int_eq(json_array_size(jget(none, "data")), 0);
	json_decref(none);
}
END_TEST

/* ---- keyset pagination ---- */

struct row {
	long long id;
	char date[11];
	int kind;
	bool xi;
};

static const char *const kinds[] = {"meeting", "talks", "summit", "phone_call"};

static void date_add(char out[11], int days)
{
	struct tm tm = {.tm_year = 120, .tm_mon = 0, .tm_mday = 1 + days, .tm_hour = 12};
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Walks every page of /v1/meetings?query with limit=7 into ids (at most cap);
 * between pages calls between(page number) when given. Checks page sizes,
 * Link headers and the end. Returns the row count. */
static size_t walk(const char *query, long long *ids, size_t cap, void (*between)(int page))
{
	size_t n = 0;
	char *cursor = NULL;
	for (int page = 0;; page++) {
		ck_assert_int_lt(page, 2000);
		struct reply *r =
		    get(&h, cursor ? F("/v1/meetings?%s&limit=7&cursor=%s", query, cursor)
		                   : F("/v1/meetings?%s&limit=7", query));
		ck_assert_msg(r->status == 200, "page %d of %s: %ld %s", page, query, r->status,
		              r->body);
		size_t k = ids_of(r->json, ids + n, cap - n);
		n += k;
		free(cursor);
		const char *next = jstr(r->json, "next_cursor");
		cursor = next ? strdup(next) : NULL;
		const char *link = reply_header(r, "Link");
		if (cursor) {
			ck_assert_uint_eq(k, 7);
			ck_assert_msg(link && strstr(link, cursor) && strstr(link, "rel=\"next\""),
			              "Link %s", link ? link : "(none)");
		} else {
			ck_assert_ptr_null(link);
		}
		reply_free(r);
		if (!cursor)
			return n;
		if (between)
			between(page);
	}
}

static void assert_same_ids(const char *what, const long long *got, size_t n, const long long *want,
                            size_t m)
{
	ck_assert_msg(n == m, "%s: %zu rows, expected %zu", what, n, m);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "%s: row %zu is %lld, expected %lld", what, i,
		              got[i], want[i]);
}

#define BIG 1000
static struct row rows[BIG];
static long long inserted_early[400], inserted_late[400];
static size_t n_early, n_late;

/* Between pages of a walk: every third page, a meeting dated before every
 * pre-existing one and one dated after. */
static void insert_meanwhile(int page)
{
	if (page % 3)
		return;
	char early[11], late[11];
	date_add(early, -400 - page);
	date_add(late, 400 + page);
	inserted_early[n_early++] =
	    mk_meeting(F("{'title':'Early %d','date':'%s','kind':'talks'}", page, early));
	inserted_late[n_late++] =
	    mk_meeting(F("{'title':'Late %d','date':'%s','kind':'talks'}", page, late));
}

static size_t count_of(const long long *ids, size_t n, long long id)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ids[i] == id;
	return c;
}

START_TEST(keyset_pagination)
{
	struct world w;
	build_world(&w);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < BIG; i++) {
		struct row *r = &rows[i];
		date_add(r->date, (i * 37) % 300);
		r->kind = i % 4;
		r->xi = i % 3 == 0;
		r->id = mk_meeting(F("{'title':'Bulk %d','date':'%s','kind':'%s'%s}", i, r->date,
		                     kinds[r->kind],
		                     r->xi ? ",'participants':[{'slug':'xi-jinping'}]" : ""));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "created %d meetings in %.1f s\n", BIG, secs);
	ck_assert_int_eq(meetings_total(""), BIG);
	/* The default page is 50 rows, the largest 200. */
	json_t *page = get_ok("/v1/meetings");
	ck_assert_int_eq(json_array_size(jget(page, "data")), 50);
	ck_assert_ptr_nonnull(jstr(page, "next_cursor"));
	json_decref(page);
	page = get_ok("/v1/meetings?limit=200");
	ck_assert_int_eq(json_array_size(jget(page, "data")), 200);
	json_decref(page);
	qsort(rows, BIG, sizeof rows[0], row_cmp);
	static long long asc[BIG], desc[BIG], got[BIG + 1000];
	for (int i = 0; i < BIG; i++) {
		asc[i] = rows[i].id;
		desc[BIG - 1 - i] = rows[i].id;
	}

	size_t n = walk("sort=date", got, sizeof got / sizeof got[0], NULL);
	assert_same_ids("sort=date", got, n, asc, BIG);
	n = walk("sort=-date", got, sizeof got / sizeof got[0], NULL);
	assert_same_ids("sort=-date", got, n, desc, BIG);
	n = walk("count=false", got, sizeof got / sizeof got[0], NULL); /* default sort */
	assert_same_ids("default sort", got, n, desc, BIG);

	static long long want[BIG];
	size_t m = 0;
	for (int i = 0; i < BIG; i++)
		if (rows[i].kind == 1)
			want[m++] = rows[i].id;
	n = walk("kind=talks&sort=date", got, sizeof got / sizeof got[0], NULL);
	assert_same_ids("kind=talks", got, n, want, m);
	m = 0;
	for (int i = BIG - 1; i >= 0; i--)
		if (rows[i].xi)
			want[m++] = rows[i].id;
	n = walk("participant=xi-jinping", got, sizeof got / sizeof got[0], NULL);
	assert_same_ids("participant=xi-jinping", got, n, want, m);
	m = 0;
	for (int i = 0; i < BIG; i++)
		if (rows[i].xi && rows[i].kind == 2 && strcmp(rows[i].date, "2020-03-01") >= 0 &&
		    strcmp(rows[i].date, "2020-08-31") <= 0)
			want[m++] = rows[i].id;
	ck_assert_uint_gt(m, 14);
	n = walk("participant=xi-jinping&kind=summit&from=2020-03-01&to=2020-08-31&sort=date", got,
	         sizeof got / sizeof got[0], NULL);
	assert_same_ids("combined filter", got, n, want, m);

	/* Rows added during a walk, before and after its position: every
	 * pre-existing row still comes exactly once, in order; the ones added
	 * ahead of the position come too, the ones behind it never. */
	for (int order = 0; order < 2; order++) {
		n_early = n_late = 0;
		n = walk(order ? "sort=-date" : "sort=date", got, sizeof got / sizeof got[0],
		         insert_meanwhile);
		ck_assert_uint_gt(n_early, 10);
		static long long old[BIG];
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(count_of(got, n, got[i]) == 1, "row %lld seen twice", got[i]);
			bool added = count_of(inserted_early, n_early, got[i]) ||
			             count_of(inserted_late, n_late, got[i]);
			if (!added) {
				ck_assert_uint_lt(k, BIG);
				old[k++] = got[i];
			}
		}
		assert_same_ids(order ? "-date walk with inserts" : "date walk with inserts", old,
		                k, order ? desc : asc, BIG);
		/* Ascending, the late rows lie ahead; descending, the early ones. */
		const long long *ahead = order ? inserted_early : inserted_late;
		const long long *behind = order ? inserted_late : inserted_early;
		for (size_t i = 0; i < n_late; i++) {
			ck_assert_msg(count_of(got, n, ahead[i]) == 1,
			              "row %lld added ahead missing", ahead[i]);
			ck_assert_msg(count_of(got, n, behind[i]) == 0,
			              "row %lld added behind the position was seen", behind[i]);
		}
		for (size_t i = 0; i < n_early; i++) {
			struct reply *r =
			    wr("DELETE", F("/v1/meetings/%lld", inserted_early[i]), NULL);
			ck_assert_int_eq(r->status, 204);
			reply_free(r);
			r = wr("DELETE", F("/v1/meetings/%lld", inserted_late[i]), NULL);
			ck_assert_int_eq(r->status, 204);
			reply_free(r);
		}
	}
}
END_TEST

/* ---- a participant's meetings by date ---- */

#define ATTENDED 60
static struct attended {
	long long id;
	char date[11];
	bool xi, blinken, wang;
} attended[ATTENDED];

static int attended_cmp(const void *a, const void *b)
{
	const struct attended *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Walks query over the meetings of attended that the participants xi,
 * blinken and wang (those set) all attended inside [from, to] and checks
 * that every one comes exactly once, in the order of sort, and that the
 * total counts them. */
static void expect_attended(bool xi, bool blinken, bool wang, const char *from, const char *to,
                            bool asc)
{
	qsort(attended, ATTENDED, sizeof attended[0], attended_cmp);
	long long want[ATTENDED], got[ATTENDED + 7];
	size_t m = 0;
	for (int k = 0; k < ATTENDED; k++) {
		const struct attended *a = &attended[asc ? k : ATTENDED - 1 - k];
		if ((!xi || a->xi) && (!blinken || a->blinken) && (!wang || a->wang) &&
		    strcmp(a->date, from) >= 0 && strcmp(a->date, to) <= 0)
			want[m++] = a->id;
	}
	const char *query = F("%s%s%sfrom=%s&to=%s&sort=%s", xi ? "participant=xi-jinping&" : "",
	                      blinken ? "participant=antony-blinken&" : "",
	                      wang ? "participant=wang-yi&" : "", from, to, asc ? "date" : "-date");
	char what[200];
	snprintf(what, sizeof what, "%s", query);
	size_t n = walk(what, got, sizeof got / sizeof got[0], NULL);
	assert_same_ids(what, got, n, want, m);
	ck_assert_int_eq(meetings_total(what), (long long)m);
}

static void expect_all_attended(void)
{
	for (int asc = 0; asc < 2; asc++) {
		expect_attended(true, false, false, "2000-01-01", "2100-12-31", asc);
		expect_attended(true, false, false, "2020-01-11", "2020-02-03", asc);
		expect_attended(false, true, false, "2020-01-05", "2020-02-25", asc);
		expect_attended(true, true, false, "2000-01-01", "2100-12-31", asc);
		expect_attended(false, true, true, "2020-01-01", "2020-01-30", asc);
		expect_attended(true, true, true, "2000-01-01", "2100-12-31", asc);
	}
	/* Each attendance's copy of its meeting's date, written by whoever. */
	ck_assert_int_eq(harness_sql_int(&h, "SELECT count(*) FROM attendances a JOIN meetings m "
	                                     "ON m.id = a.meeting_id "
	                                     "WHERE a.date IS NULL OR a.date <> m.date"),
	                 0);
}

static struct attended *attended_by_id(long long id)
{
	for (int k = 0; k < ATTENDED; k++)
		if (attended[k].id == id)
			return &attended[k];
	ck_abort_msg("meeting %lld is not among attended", id);
	return NULL;
}

START_TEST(participant_list_by_date)
{
	struct world w;
	build_world(&w);
	for (int i = 0; i < ATTENDED; i++) {
		struct attended *a = &attended[i];
		date_add(a->date, (i * 13) % 40); /* ties: 60 meetings on 40 days */
		a->xi = i % 2 == 0 || i % 3 == 0;
		a->blinken = i % 3 == 0 || i % 5 == 0;
		a->wang = i % 4 == 0;
		char people[100] = "";
		if (a->xi)
			strcat(people, ",{'slug':'xi-jinping'}");
		if (a->blinken)
			strcat(people, ",{'slug':'antony-blinken'}");
		if (a->wang)
			strcat(people, ",{'slug':'wang-yi'}");
		a->id = mk_meeting(F("{'title':'Attended %d','date':'%s','participants':[%s]}", i,
		                     a->date, people + (*people == ',')));
	}
	expect_all_attended();
	ck_assert_int_eq(meetings_total("participant=xi-jinping&kind=talks"), 0);

	/* A meeting whose date changes moves in its participants' lists, as
	 * one with a new participant comes into the new one's list at its
	 * date: through the API... */
	qsort(attended, ATTENDED, sizeof attended[0], attended_cmp);
	struct attended *first = &attended[0], *last = &attended[ATTENDED - 1];
	ck_assert(first->xi);
	date_add(first->date, 45);
	struct reply *r =
	    wr("PATCH", F("/v1/meetings/%lld", first->id), F("{'date':'%s'}", first->date));
	ck_assert_msg(r->status == 200, "%s", r->body);
	reply_free(r);
	date_add(last->date, -3);
	r = wr("PATCH", F("/v1/meetings/%lld", last->id), F("{'date':'%s'}", last->date));
	ck_assert_msg(r->status == 200, "%s", r->body);
	reply_free(r);
	struct attended *a = attended_by_id(attended[ATTENDED / 2].id);
	if (!a->wang) {
		r = wr("PUT", F("/v1/meetings/%lld/participants/wang-yi", a->id), "{}");
		ck_assert_msg(r->status == 200, "%s", r->body);
		reply_free(r);
		a->wang = true;
	}
	expect_all_attended();

	/* ... and by another writer. */
	a = attended_by_id(attended[5].id);
	date_add(a->date, 50);
	harness_sql(&h, F("UPDATE meetings SET date = '%s' WHERE id = %lld", a->date, a->id));
	a = attended_by_id(attended[7].id);
	if (!a->blinken) {
		harness_sql(
		    &h, F("INSERT INTO attendances (meeting_id, participant_id, role, position) "
		          "VALUES (%lld, %lld, 'attendee', 10)",
		          a->id, (long long)w.blinken));
		a->blinken = true;
	}
	expect_all_attended();
}
END_TEST

START_TEST(cursors_are_checked)
{
	for (int i = 0; i < 12; i++)
		mk_meeting(F("{'title':'Cur %d','date':'2024-01-%02d','kind':'%s'}", i, 1 + i % 5,
		             i % 2 ? "talks" : "summit"));
	struct reply *r = get(&h, "/v1/meetings?limit=3&sort=date");
	char cursor[1100];
	snprintf(cursor, sizeof cursor, "%s", jstr(r->json, "next_cursor"));
	long long last = jint(r->json, "data.2.id");
	reply_free(r);
	/* The genuine cursor works. */
	r = get(&h, F("/v1/meetings?limit=3&sort=date&cursor=%s", cursor));
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 3);
	ck_assert_int_ne(jint(r->json, "data.0.id"), last);
	reply_free(r);

	size_t len = strlen(cursor);
	ck_assert_uint_gt(len, 8);
	static char forged[10][1200];
	int nf = 0;
	for (size_t pos = 0; pos < len && nf < 5; pos += len / 4) {
		snprintf(forged[nf], sizeof forged[nf], "%s", cursor);
		forged[nf][pos] = forged[nf][pos] == 'A' ? 'B' : 'A';
		nf++;
	}
	snprintf(forged[nf++], sizeof forged[0], "%.*s", (int)(len - 1), cursor);
	snprintf(forged[nf++], sizeof forged[0], "%sA", cursor);
	snprintf(forged[nf++], sizeof forged[0], "garbage");
	snprintf(forged[nf++], sizeof forged[0], "%s", "");
	for (int i = 0; i < nf; i++) {
		r = get(&h, F("/v1/meetings?limit=3&sort=date&cursor=%s", forged[i]));
		if (r->status != 400)
			ck_abort_msg("forged cursor %s: %ld", forged[i], r->status);
		assert_problem(r, 400, "bad-request");
		reply_free(r);
	}
	/* A cursor belongs to its list, sort and filters. */
	const char *others[] = {"limit=3&sort=-date", "limit=3", "limit=3&sort=date&kind=talks",
	                        "limit=3&sort=date&from=2024-01-01", NULL};
	for (int i = 0; others[i]; i++) {
		r = get(&h, F("/v1/meetings?%s&cursor=%s", others[i], cursor));
		if (r->status != 400)
			ck_abort_msg("cursor of sort=date on %s: %ld", others[i], r->status);
		reply_free(r);
	}
	r = get(&h, "/v1/meetings?limit=3&kind=talks");
	snprintf(cursor, sizeof cursor, "%s", jstr(r->json, "next_cursor"));
	reply_free(r);
	r = get(&h, F("/v1/meetings?limit=3&kind=summit&cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	r = get(&h, F("/v1/participants?limit=3&cursor=%s", cursor));
	assert_problem(r, 400, "bad-request");
	reply_free(r);
	/* The limit may change between pages. */
	r = get(&h, F("/v1/meetings?limit=5&kind=talks&cursor=%s", cursor));
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 3);
	reply_free(r);
}
END_TEST

START_TEST(link_headers_walk_the_list)
{
	for (int i = 0; i < 11; i++)
		mk_meeting(F("{'title':'Link %d','date':'2024-02-%02d','kind':'%s'}", i, 1 + i % 4,
		             i % 3 ? "talks" : "visit"));
	json_t *all = get_ok("/v1/meetings?kind=talks&sort=date&limit=200");
	long long want[16], got[16];
	size_t m = ids_of(all, want, 16), n = 0;
	json_decref(all);
	ck_assert_uint_eq(m, 7);
	char path[2048];
	snprintf(path, sizeof path, "/v1/meetings?kind=talks&sort=date&limit=2");
	for (int pages = 1;; pages++) {
		ck_assert_int_le(pages, 4);
		struct reply *r = get(&h, path);
		ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
		n += ids_of(r->json, got + n, 16 - n);
		const char *link = reply_header(r, "Link");
		if (!link) {
			ck_assert(is_null(r->json, "next_cursor"));
			reply_free(r);
			break;
		}
		/* <http://host:port/v1/meetings?...>; rel="next" */
		const char *start = strstr(link, "/v1/meetings?"), *end = strchr(link, '>');
		ck_assert_msg(link[0] == '<' && start && end && end > start, "Link %s", link);
		ck_assert_ptr_nonnull(strstr(end, "rel=\"next\""));
		snprintf(path, sizeof path, "%.*s", (int)(end - start), start);
		reply_free(r);
	}
	assert_same_ids("walk by Link", got, n, want, m);
}
END_TEST

START_TEST(methods_not_allowed)
{
	int64_t m = mk_meeting("{'title':'Verbs','date':'2024-01-01'}");
	char mp[64], sub[96];
	snprintf(mp, sizeof mp, "/v1/meetings/%lld", (long long)m);
	snprintf(sub, sizeof sub, "%s/participants/someone", mp);
	struct {
		const char *method, *path, *allow;
	} cases[] = {
	    {"PUT", "/v1/meetings", "GET, HEAD, POST"},
	    {"DELETE", "/v1/meetings", "GET, HEAD, POST"},
	    {"POST", mp, "GET, HEAD, PUT, PATCH, DELETE"},
	    {"GET", sub, "PUT, DELETE"},
	    {"PATCH", sub, "PUT, DELETE"},
	    {"POST", "/v1/participants/someone/meetings", "GET, HEAD"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct reply *r = req(&h, cases[i].method, cases[i].path, NULL,
		                      (const char *const[]){"AUTH", NULL});
		assert_problem(r, 405, "method-not-allowed");
		const char *allow = reply_header(r, "Allow");
		ck_assert_msg(allow && strcmp(allow, cases[i].allow) == 0, "%s %s: Allow %s",
		              cases[i].method, cases[i].path, allow ? allow : "(none)");
		reply_free(r);
	}
	ck_assert_int_eq(field_int(mp, "version"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_meetings");
	TCase *tc = tcase_create("meetings");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, create_with_nested_lists);
	tcase_add_test(tc, create_minimal_has_every_field);
	tcase_add_test(tc, derived_slugs);
	tcase_add_test(tc, derived_slugs_of_one_long_title);
	tcase_add_test(tc, derived_counts_follow_meetings);
	tcase_add_test(tc, read_by_id_and_slug);
	tcase_add_test(tc, invalid_dates);
	tcase_add_test(tc, invalid_scalars);
	tcase_add_test(tc, invalid_sources);
	tcase_add_test(tc, invalid_nested_references);
	tcase_add_test(tc, invoked_by_must_attend);
	tcase_add_test(tc, duplicates_in_nested_lists);
	tcase_add_test(tc, meeting_cannot_relate_to_itself);
	tcase_add_test(tc, relation_required);
	tcase_add_test(tc, unknown_fields);
	tcase_add_test(tc, several_problems_listed);
	tcase_add_test(tc, several_problems_include_references);
	tcase_add_test(tc, put_replaces_everything);
	tcase_add_test(tc, patch_merges);
	tcase_add_test(tc, patch_with_read_body_changes_nothing);
	tcase_add_test(tc, nested_id_and_slug_must_agree);
	tcase_add_test(tc, encoded_slash_is_not_a_separator);
	tcase_add_test(tc, conditional_requests);
	tcase_add_test(tc, conditional_request_details);
	tcase_add_test(tc, huge_ids_name_nothing);
	tcase_add_test(tc, etag_follows_participant_name);
	tcase_add_test(tc, delete_meeting_removes_its_links);
	tcase_add_test(tc, referenced_entities_cannot_be_deleted);
	tcase_add_test(tc, attendance_put);
	tcase_add_test(tc, attendance_delete);
	tcase_add_test(tc, invocation_put_and_delete);
	tcase_add_test(tc, writes_need_a_token);
	tcase_add_test(tc, bodies_must_be_json);
	tcase_add_test(tc, list_filters);
	tcase_add_test(tc, list_bad_parameters);
	tcase_add_test(tc, list_items_are_summaries);
	tcase_add_test(tc, list_count);
	tcase_add_test(tc, participant_meetings);
	tcase_add_test(tc, keyset_pagination);
	tcase_add_test(tc, participant_list_by_date);
	tcase_add_test(tc, cursors_are_checked);
	tcase_add_test(tc, link_headers_walk_the_list);
	tcase_add_test(tc, methods_not_allowed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
