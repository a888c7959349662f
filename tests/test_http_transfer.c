/* HTTP tests of GET /v1/export and POST /v1/import (API.md section 5): the
 * real server on port 0, spoken to with libcurl. Round trips compare whole
 * export documents byte for byte once the ids are taken out; refusals compare
 * the whole export before and after. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* ---- helpers ---- */

static struct reply *import_doc(struct harness *s, const char *doc)
{
	return write_json(s, "POST", "/v1/import", doc);
}

/* GET /v1/export: asserts 200, JSON type and a parseable body; returns the text. */
static char *export_text(struct harness *s)
{
	struct reply *r = get(s, "/v1/export");
	ck_assert_msg(r->status == 200, "export: %ld %.400s", r->status, r->body);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	ck_assert_msg(r->json != NULL, "export is not JSON: %.400s", r->body);
	char *text = strdup(r->body);
	reply_free(r);
	return text;
}

/* The text with every "id":N member of an object removed. A raw '"' cannot
 * occur inside a JSON string, so '{"id":' is always an object's first member. */
static char *strip_ids(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (strncmp(s, "{\"id\":", 6) == 0) {
			const char *p = s + 6;
			while (*p >= '0' && *p <= '9')
				p++;
			if (p > s + 6 && *p == ',') {
				*o++ = '{';
				s = p + 1;
				continue;
			}
		}
		*o++ = *s++;
	}
	*o = '\0';
	ck_assert_msg(strstr(out, "\"id\":") == NULL, "an id was left in the export");
	return out;
}

/* Fails with the context of the first difference when a and b differ. */
static void assert_same_text(const char *a, const char *b, const char *what)
{
	size_t i = 0;
	while (a[i] && a[i] == b[i])
		i++;
	size_t from = i > 80 ? i - 80 : 0;
	ck_assert_msg(a[i] == b[i], "%s differ at byte %zu:\n  A: %.200s\n  B: %.200s", what, i,
	              a + from, b + from);
}

/* The "total" of GET /v1/<kind>?count=true. */
static long long total_of(struct harness *s, const char *kind)
{
	struct reply *r = get(s, path_fmt("/v1/%s?count=true&limit=1", kind));
	ck_assert_msg(r->status == 200, "count %s: %ld", kind, r->status);
	long long n = jint(r->json, "total");
	reply_free(r);
	return n;
}

struct totals {
	long long participants, principles, meetings;
};

static struct totals totals_of(struct harness *s)
{
	struct totals t = {total_of(s, "participants"), total_of(s, "principles"),
	                   total_of(s, "meetings")};
	return t;
}

static void assert_counts(const struct reply *r, const char *kind, long long created,
                          long long updated)
{
	char key[64];
	snprintf(key, sizeof key, "%s.created", kind);
	ck_assert_msg(jint(r->json, key) == created, "%s: want %lld, got %lld (%s)", key, created,
	              jint(r->json, key), r->body);
	snprintf(key, sizeof key, "%s.updated", kind);
	ck_assert_msg(jint(r->json, key) == updated, "%s: want %lld, got %lld (%s)", key, updated,
	              jint(r->json, key), r->body);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	size_t got = fread(text, 1, (size_t)n, f);
	fclose(f);
	text[got] = '\0';
	return text;
}

/* data/sample.json of the source tree (READOUT_SOURCE_DIR is set by meson). */
static char *sample_document(void)
{
	const char *dir = getenv("READOUT_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/data/sample.json", dir ? dir : "..");
	char *text = read_whole(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	return text;
}

static const char *const sample_args[] = {"--sample-data", NULL};

/* Creates and deletes one entity of each kind, so that the ids the store
 * hands out next differ from a fresh store's (ids are never reused). */
static void burn_ids(struct harness *s)
{
	const char *bodies[][2] = {
	    {"/v1/meetings", "{\"slug\":\"burn-m\",\"title\":\"Burn\",\"date\":\"2020-01-01\"}"},
	    {"/v1/participants", "{\"slug\":\"burn-p\",\"name\":\"Burn\"}"},
	    {"/v1/principles", "{\"slug\":\"burn-q\",\"name\":\"Burn\"}"},
	};
	const char *paths[] = {"/v1/meetings/burn-m", "/v1/participants/burn-p",
	                       "/v1/principles/burn-q"};
	for (int i = 0; i < 3; i++) {
		struct reply *r = write_json(s, "POST", bodies[i][0], bodies[i][1]);
		ck_assert_msg(r->status == 201, "%s: %ld %s", bodies[i][0], r->status, r->body);
		reply_free(r);
	}
	for (int i = 0; i < 3; i++) {
		struct reply *r =
		    req(s, "DELETE", paths[i], NULL, (const char *const[]){"AUTH", NULL});
		ck_assert_msg(r->status == 204, "DELETE %s: %ld %s", paths[i], r->status, r->body);
		reply_free(r);
	}
}

/* ---- export ---- */

START_TEST(export_empty_store)
{
	struct harness h;
	harness_start(&h, NULL);
	struct reply *r = get(&h, "/v1/export");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	ck_assert_ptr_nonnull(r->json);
	ck_assert(json_is_object(r->json));
	ck_assert_int_eq(json_object_size(r->json), 4);
	ck_assert_str_eq(jstr(r->json, "format"), "readout/1");
	const char *lists[] = {"participants", "principles", "meetings"};
	for (int i = 0; i < 3; i++) {
		json_t *a = jget(r->json, lists[i]);
		ck_assert_msg(json_is_array(a), "%s is not an array", lists[i]);
		ck_assert_int_eq(json_array_size(a), 0);
	}
	json_t *want = json_pack("{s:s, s:[], s:[], s:[]}", "format", "readout/1", "participants",
	                         "principles", "meetings");
	ck_assert(json_equal(want, r->json));
	json_decref(want);
	reply_free(r);
	harness_stop(&h);
}
END_TEST

START_TEST(export_of_sample_is_complete)
{
	struct harness h;
	harness_start(&h, sample_args);
	char *text = export_text(&h);
	json_t *doc = json_loads(text, 0, NULL);
	ck_assert_int_eq(json_array_size(jget(doc, "participants")), 4);
	ck_assert_int_eq(json_array_size(jget(doc, "principles")), 13);
	ck_assert_int_eq(json_array_size(jget(doc, "meetings")), 3);
	/* Every field of every entity, nested references by slug. */
	const char *pfields[] = {"id",
	                         "slug",
	                         "name",
	                         "aliases",
	                         "title",
	                         "organization",
	                         "country",
	                         "meeting_count",
	                         "first_meeting_date",
	                         "last_meeting_date",
	                         "created_at",
	                         "updated_at",
	                         "version",
	                         NULL};
	for (int i = 0; pfields[i]; i++)
		ck_assert_msg(jget(doc, path_fmt("participants.0.%s", pfields[i])) != NULL,
		              "participant lacks %s", pfields[i]);
	const char *mfields[] = {
	    "id",         "slug",    "title",      "date",       "kind",    "location",
	    "city",       "country", "summary",    "readout",    "sources", "participants",
	    "principles", "related", "created_at", "updated_at", "version", NULL};
	for (int i = 0; mfields[i]; i++)
		ck_assert_msg(jget(doc, path_fmt("meetings.2.%s", mfields[i])) != NULL,
		              "meeting lacks %s", mfields[i]);
	ck_assert_str_eq(jstr(doc, "meetings.2.participants.0.slug"), "xi-jinping");
	ck_assert_ptr_null(jget(doc, "meetings.2.participants.0.id"));
	ck_assert_str_eq(jstr(doc, "meetings.2.principles.0.invoked_by"), "xi-jinping");
	ck_assert_ptr_nonnull(jstr(doc, "meetings.2.related.0.slug"));
	ck_assert_ptr_null(jget(doc, "meetings.2.related.0.id"));
	json_decref(doc);
	free(text);
	harness_stop(&h);
}
END_TEST

/* ---- round trips ---- */

START_TEST(round_trip_sample)
{
	struct harness a, b;
	harness_start(&a, sample_args);
	harness_start(&b, NULL);
	burn_ids(&b);
	char *ea = export_text(&a);
	struct reply *r = import_doc(&b, ea);
	ck_assert_msg(r->status == 200, "import: %ld %.600s", r->status, r->body);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/json");
	assert_counts(r, "participants", 4, 0);
	assert_counts(r, "principles", 13, 0);
	assert_counts(r, "meetings", 3, 0);
	reply_free(r);
	char *eb = export_text(&b);
	ck_assert_msg(strcmp(ea, eb) != 0, "the ids of B should differ from those of A");
	char *sa = strip_ids(ea), *sb = strip_ids(eb);
	assert_same_text(sa, sb, "exports of A and B");
	ck_assert_uint_eq(strlen(sa), strlen(sb));
	free(sa);
	free(sb);
	free(ea);
	free(eb);
	harness_stop(&b);
	harness_stop(&a);
}
END_TEST

#define GEN_PARTICIPANTS 150
#define GEN_PRINCIPLES 60
#define GEN_MEETINGS 1000

static const char *const gen_kinds[] = {"meeting", "talks", "phone_call", "video_call",
                                        "summit",  "visit", "other"};
static const char *const gen_countries[] = {"CN", "US", "FR", "DE", "JP",
                                            "BR", "IN", "ZA", "GB", "EG"};
static const char *const gen_roles[] = {"host", "guest", "attendee"};
static const char *const gen_stances[] = {"proposed", "reaffirmed", "cited"};

static json_t *fmt_string(const char *fmt, int a, int b)
{
	char buf[1024];
	snprintf(buf, sizeof buf, fmt, a, b);
	return json_string(buf);
}

/* A document in the export's own shape (without read-only fields): every
 * kind of field, unicode and escapes, links forward and back. */
static json_t *gen_document(void)
{
	json_t *ps = json_array(), *prs = json_array(), *ms = json_array();
	for (int i = 0; i < GEN_PARTICIPANTS; i++) {
		json_t *aliases = json_array();
		if (i % 3 >= 1)
			json_array_append_new(aliases, fmt_string("Alias %d «α» 名", i, 0));
		if (i % 3 == 2)
			json_array_append_new(aliases, fmt_string("Alias %d ٢ عربي", i, 0));
		json_array_append_new(
		    ps,
		    json_pack(
		        "{s:o, s:o, s:o, s:o, s:o, s:o}", "slug",
		        fmt_string("gen-person-%03d", i, 0), "name",
		        fmt_string("Person %d 李明 Ünïcødé 🙂 e\xcc\x81", i, 0), "aliases",
		        aliases, "title",
		        i % 4 == 0 ? json_null()
		                   : fmt_string("Minister for \"Quoted\" Affairs \\ %d", i, 0),
		        "organization",
		        i % 5 == 0 ? json_null() : fmt_string("Organisation %d — 外交部", i, 0),
		        "country", i % 7 == 0 ? json_null() : json_string(gen_countries[i % 10])));
	}
	for (int i = 0; i < GEN_PRINCIPLES; i++)
		json_array_append_new(
		    prs,
		    json_pack("{s:o, s:o, s:o, s:o, s:o}", "slug",
		              fmt_string("gen-principle-%02d", i, 0), "name",
		              fmt_string("Principle %d — 和平共处 ⚖️", i, 0), "aliases",
		              i % 2 ? json_pack("[s, o]", "原则 ⚖️",
		                                fmt_string("Doctrine %d", i, 0))
		                    : json_array(),
		              "framework",
		              i % 3 == 0 ? json_null() : fmt_string("Framework %d", i % 4, 0),
		              "description",
		              i % 5 == 0 ? json_null()
		                         : fmt_string("Line one of %d\n\tline two «ελληνικά» "
		                                      "\"q\" \\ / 𝄞 end %d",
		                                      i, i)));
	for (int i = 0; i < GEN_MEETINGS; i++) {
		const char *kind = gen_kinds[i % 7];
		bool remote = strcmp(kind, "phone_call") == 0 || strcmp(kind, "video_call") == 0;
		char date[16];
		snprintf(date, sizeof date, "%04d-%02d-%02d", 2000 + i % 25, 1 + i % 12,
		         1 + i % 28);
		json_t *sources = json_array();
		for (int j = 0; j < i % 3; j++)
			json_array_append_new(
			    sources,
			    json_pack("{s:o, s:o, s:s}", "url",
			              fmt_string("https://example.org/records/%d/%d?q=%%E4%%BC%%9A",
			                         i, j),
			              "publisher",
			              j == 0 ? fmt_string("Ministry ✓ %d", i, 0) : json_null(),
			              "language", j == 0 ? "zh-Hans" : "en"));
		/* Readouts: none, one, or two in other languages, with and without
		 * url and date. */
		json_t *readouts = json_array();
		for (int j = 0; j < i % 3; j++)
			json_array_append_new(
			    readouts,
			    json_pack(
			        "{s:s, s:o, s:o, s:o, s:o}", "language", j ? "en-US" : "zh-Hans",
			        "publisher", fmt_string("Publisher ✓ %d «%d»", i, j), "url",
			        j ? json_null()
			          : fmt_string("https://example.org/readouts/%d/%d", i, j),
			        "published", j ? json_null() : fmt_string("2024-0%d-1%d", 1 + j, j),
			        "text",
			        fmt_string(
			            "双方同意坚持相互尊重 %d\n\t«texte» \"q\" 🕊 %d",
			            i, j)));
		int k = 1 + i % 4;
		json_t *parts = json_array();
		for (int j = 0; j < k; j++)
			json_array_append_new(
			    parts, json_pack("{s:o, s:s}", "slug",
			                     fmt_string("gen-person-%03d",
			                                (i * 7 + j * 13) % GEN_PARTICIPANTS, 0),
			                     "role", gen_roles[(i + j) % 3]));
		json_t *invs = json_array();
		for (int j = 0; j < i % 4; j++) {
			int who = (i * 7 + (j % k) * 13) % GEN_PARTICIPANTS;
			json_array_append_new(
			    invs,
			    json_pack("{s:o, s:s, s:o, s:o}", "slug",
			              fmt_string("gen-principle-%02d",
			                         (i * 11 + j * 17) % GEN_PRINCIPLES, 0),
			              "stance", gen_stances[(i + j) % 3], "invoked_by",
			              (i + j) % 4 == 0 ? json_null()
			                               : fmt_string("gen-person-%03d", who, 0),
			              "quote",
			              j % 2 == 0
			                  ? fmt_string("Quote %d/%d: «…» \"said\" 🕊", i, j)
			                  : json_null()));
		}
		json_t *related = json_array();
		if (i % 5 != 4)
			json_array_append_new(
			    related, json_pack("{s:o, s:s}", "slug",
			                       fmt_string("gen-meeting-%04d",
			                                  (i + 1 + i % 7) % GEN_MEETINGS, 0),
			                       "relation", "references"));
		if (i % 3 == 0 && i >= 10)
			json_array_append_new(related,
			                      json_pack("{s:o, s:s}", "slug",
			                                fmt_string("gen-meeting-%04d", i - 10, 0),
			                                "relation", "follows_up"));
		json_t *readout = json_null();
		if (i % 10 == 0) {
			char *text = malloc(4096);
			size_t used = 0;
			for (int p = 0; p < 8; p++)
				used += (size_t)snprintf(text + used, 4096 - used,
				                         "Paragraph %d of readout %d: 双方同意 "
				                         "«coopération» — \"verbatim\".\n\n",
				                         p, i);
			readout = json_string(text);
			free(text);
		} else if (i % 10 == 1) {
			readout = json_string("");
		}
		json_array_append_new(
		    ms,
		    json_pack(
		        "{s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		        "slug", fmt_string("gen-meeting-%04d", i, 0), "title",
		        fmt_string("Meeting %d: 会谈 «Gespräch» 🤝 \"quoted\" %d", i, i),
		        "date", date, "kind", kind, "location",
		        remote ? json_null() : fmt_string("Hall %d — Zhōngnánhǎi", i % 9, 0),
		        "city", remote ? json_null() : fmt_string("City %d", i % 13, 0), "country",
		        remote ? json_null() : json_string(gen_countries[i % 10]), "summary",
		        i % 2 ? fmt_string("Summary %d: tab\there, newline\nthere ✓ %d", i, i)
		              : json_null(),
		        "readout", readout, "sources", sources, "readouts", readouts,
		        "participants", parts, "principles", invs, "related", related));
	}
	return json_pack("{s:s, s:o, s:o, s:o}", "format", "readout/1", "participants", ps,
	                 "principles", prs, "meetings", ms);
}

/* Asserts that every entity of the generated document reads back from the
 * export with the same writable content. */
static void assert_export_holds(json_t *gen, json_t *exported)
{
	static const char *const ro[] = {"id",
	                                 "created_at",
	                                 "updated_at",
	                                 "version",
	                                 "meeting_count",
	                                 "first_meeting_date",
	                                 "last_meeting_date",
	                                 "invocation_count",
	                                 "first_invoked_date",
	                                 NULL};
	const char *lists[] = {"participants", "principles", "meetings"};
	for (int l = 0; l < 3; l++) {
		json_t *want = json_object_get(gen, lists[l]),
		       *got = json_object_get(exported, lists[l]);
		ck_assert_uint_eq(json_array_size(got), json_array_size(want));
		for (size_t i = 0; i < json_array_size(want); i++) {
			json_t *item = json_deep_copy(json_array_get(got, i));
			for (int k = 0; ro[k]; k++)
				json_object_del(item, ro[k]);
			if (!json_equal(item, json_array_get(want, i))) {
				char *a = json_dumps(json_array_get(want, i), JSON_COMPACT);
				char *b = json_dumps(item, JSON_COMPACT);
				ck_abort_msg("%s/%zu differs:\n want %.900s\n got  %.900s",
				             lists[l], i, a, b);
			}
			json_decref(item);
		}
	}
}

START_TEST(round_trip_generated)
{
	time_t t0 = time(NULL);
	json_t *gen = gen_document();
	char *doc = json_dumps(gen, JSON_COMPACT);
	ck_assert_ptr_nonnull(doc);
	struct harness a, b;
	harness_start(&a, NULL);
	struct reply *r = import_doc(&a, doc);
	ck_assert_msg(r->status == 200, "import: %ld %.900s", r->status, r->body);
	assert_counts(r, "participants", GEN_PARTICIPANTS, 0);
	assert_counts(r, "principles", GEN_PRINCIPLES, 0);
	assert_counts(r, "meetings", GEN_MEETINGS, 0);
	reply_free(r);
	ck_assert_int_eq(total_of(&a, "meetings"), GEN_MEETINGS);
	ck_assert_int_eq(total_of(&a, "participants"), GEN_PARTICIPANTS);
	ck_assert_int_eq(total_of(&a, "principles"), GEN_PRINCIPLES);

	char *ea = export_text(&a);
	json_t *ja = json_loads(ea, 0, NULL);
	assert_export_holds(gen, ja);
	/* A link to a later meeting of the document was stored. */
	ck_assert_str_eq(jstr(ja, "meetings.0.related.0.slug"), "gen-meeting-0001");

	harness_start(&b, NULL);
	burn_ids(&b);
	r = import_doc(&b, ea);
	ck_assert_msg(r->status == 200, "import into B: %ld %.900s", r->status, r->body);
	assert_counts(r, "participants", GEN_PARTICIPANTS, 0);
	assert_counts(r, "principles", GEN_PRINCIPLES, 0);
	assert_counts(r, "meetings", GEN_MEETINGS, 0);
	reply_free(r);
	char *eb = export_text(&b);
	ck_assert_msg(strcmp(ea, eb) != 0, "the ids of B should differ from those of A");
	char *sa = strip_ids(ea), *sb = strip_ids(eb);
	assert_same_text(sa, sb, "exports of A and B");
	ck_assert_uint_eq(strlen(sa), strlen(sb));
	free(sa);
	free(sb);
	free(ea);
	free(eb);
	json_decref(ja);
	free(doc);
	json_decref(gen);
	harness_stop(&b);
	harness_stop(&a);
	ck_assert_msg(time(NULL) - t0 < 60, "the round trip took %ld s", (long)(time(NULL) - t0));
}
END_TEST

/* ---- streaming: a snapshot, and a client that goes away ---- */

struct stream {
	char *data;
	size_t len;
	size_t abort_after; /* 0: read everything */
	void (*on_first)(void *ctx);
	void *ctx;
};

static size_t stream_collect(char *ptr, size_t size, size_t n, void *userdata)
{
	struct stream *b = userdata;
	size_t add = size * n;
	if (b->len == 0 && b->on_first)
		b->on_first(b->ctx);
	b->data = realloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return b->abort_after && b->len >= b->abort_after ? 0 : add;
}

/* A small receive buffer, so that a slow reader holds the server back
 * instead of the kernel taking the whole document at once. */
static int small_rcvbuf(void *ctx, curl_socket_t fd, curlsocktype purpose)
{
	(void)ctx, (void)purpose;
	int small = 16384;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	return CURL_SOCKOPT_OK;
}

/* GET path at max_speed bytes a second (0: no limit; with a limit, through
 * a small receive buffer). No Check assertions: safe off the main thread. */
static CURLcode stream_get(int port, const char *path, long max_speed, struct stream *out)
{
	CURL *c = curl_easy_init();
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (max_speed) {
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)max_speed);
		curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, small_rcvbuf);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	return rc;
}

static long delete_status(int port, const char *path)
{
	CURL *c = curl_easy_init();
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	struct curl_slist *list = curl_slist_append(NULL, "Authorization: Bearer " TEST_TOKEN);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	return status;
}

struct deleter {
	int port;
	pthread_t thread;
	bool started;
	atomic_int deleted, failed;
};

/* Deletes the generated meetings from the last one down. */
static void *deleter_run(void *arg)
{
	struct deleter *d = arg;
	for (int i = GEN_MEETINGS - 1; i >= 0; i--) {
		char path[64];
		snprintf(path, sizeof path, "/v1/meetings/gen-meeting-%04d", i);
		if (delete_status(d->port, path) == 204)
			atomic_fetch_add(&d->deleted, 1);
		else
			atomic_fetch_add(&d->failed, 1);
	}
	return NULL;
}

static void deleter_start(void *ctx)
{
	struct deleter *d = ctx;
	if (!d->started && pthread_create(&d->thread, NULL, deleter_run, d) == 0)
		d->started = true;
}

/* The slugs of the list key of doc, as a JSON object used as a set. */
static json_t *slug_set(json_t *doc, const char *key)
{
	json_t *set = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, key), i, e)
	    json_object_set_new(set, jstr(e, "slug"), json_true());
	return set;
}

/* Every nested reference of the document names an entity of the document. */
static void assert_self_contained(json_t *doc)
{
	json_t *people = slug_set(doc, "participants"), *ideas = slug_set(doc, "principles"),
	       *meets = slug_set(doc, "meetings");
	size_t i, k;
	json_t *m, *x;
	json_array_foreach(json_object_get(doc, "meetings"), i, m)
	{
		json_array_foreach(json_object_get(m, "participants"), k, x)
		    ck_assert_ptr_nonnull(json_object_get(people, jstr(x, "slug")));
		json_array_foreach(json_object_get(m, "principles"), k, x)
		{
			ck_assert_ptr_nonnull(json_object_get(ideas, jstr(x, "slug")));
			if (jstr(x, "invoked_by"))
				ck_assert_ptr_nonnull(
				    json_object_get(people, jstr(x, "invoked_by")));
		}
		json_array_foreach(json_object_get(m, "related"), k, x) ck_assert_msg(
		    json_object_get(meets, jstr(x, "slug")) != NULL,
		    "%s relates to %s, which the export lacks", jstr(m, "slug"), jstr(x, "slug"));
	}
	json_decref(people);
	json_decref(ideas);
	json_decref(meets);
}

/* An export is one snapshot: meetings deleted while it streams are still in
 * it, and its links all resolve. */
START_TEST(export_is_a_snapshot)
{
	json_t *gen = gen_document();
	char *doc = json_dumps(gen, JSON_COMPACT);
	struct harness h;
	harness_start(&h, NULL);
	struct reply *r = import_doc(&h, doc);
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	struct deleter d = {.port = h.port};
	struct stream out = {.on_first = deleter_start, .ctx = &d};
	/* Slow enough (about 2 s) for the deletions to overlap the stream. */
	CURLcode rc = stream_get(h.port, "/v1/export", 600 * 1024, &out);
	int deleted_during = atomic_load(&d.deleted);
	ck_assert_msg(d.started, "the deleter did not start");
	pthread_join(d.thread, NULL);
	ck_assert_msg(rc == CURLE_OK, "export: %s", curl_easy_strerror(rc));
	ck_assert_int_eq(atomic_load(&d.failed), 0);
	ck_assert_int_eq(atomic_load(&d.deleted), GEN_MEETINGS);
	ck_assert_msg(deleted_during > 0, "no deletion overlapped the export");
	json_t *snap = json_loadb(out.data, out.len, 0, NULL);
	ck_assert_msg(snap != NULL, "the streamed export is not JSON");
	ck_assert_int_eq(json_array_size(json_object_get(snap, "meetings")), GEN_MEETINGS);
	assert_self_contained(snap);
	assert_export_holds(gen, snap);
	ck_assert_int_eq(total_of(&h, "meetings"), 0);
	json_decref(snap);
	free(out.data);
	free(doc);
	json_decref(gen);
	harness_stop(&h);
}
END_TEST

/* A client that stops reading halfway leaves the server serving and
 * writable (the export's read transaction is closed). */
START_TEST(export_client_goes_away)
{
	json_t *gen = gen_document();
	char *doc = json_dumps(gen, JSON_COMPACT);
	struct harness h;
	harness_start(&h, NULL);
	struct reply *r = import_doc(&h, doc);
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	for (int i = 0; i < 20; i++) {
		struct stream out = {.abort_after = 1};
		CURLcode rc = stream_get(h.port, "/v1/export", 0, &out);
		ck_assert_int_eq(rc, CURLE_WRITE_ERROR);
		free(out.data);
	}
	r = write_json(&h, "POST", "/v1/participants", "{\"name\":\"After\"}");
	ck_assert_int_eq(r->status, 201);
	reply_free(r);
	r = write_json(&h, "PATCH", "/v1/meetings/gen-meeting-0000", "{\"summary\":\"changed\"}");
	ck_assert_msg(r->status == 200, "PATCH: %ld %s", r->status, r->body);
	reply_free(r);
	char *text = export_text(&h);
	json_t *full = json_loads(text, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(full, "meetings")), GEN_MEETINGS);
	ck_assert_int_eq(json_array_size(json_object_get(full, "participants")),
	                 GEN_PARTICIPANTS + 1);
	ck_assert_str_eq(jstr(full, "meetings.0.summary"), "changed");
	json_decref(full);
	free(text);
	free(doc);
	json_decref(gen);
	harness_stop(&h);
}
END_TEST

/* ---- exports held open by clients that do not read ---- */

#define BIG_READOUT (400 * 1024)
#define WAL_SIZE_LIMIT (8 * 1024 * 1024) /* STORE_WAL_SIZE_LIMIT of server/store/internal.h */

/* A meeting body (new string) with a readout of BIG_READOUT bytes. */
static char *big_meeting_json(int n, bool with_slug)
{
	static const char words[] = "quay ferry lantern treaty ";
	char *readout = malloc(BIG_READOUT + 1);
	for (size_t i = 0; i < BIG_READOUT; i++)
		readout[i] = words[i % (sizeof words - 1)];
	readout[BIG_READOUT] = '\0';
	char slug[32], title[32];
	snprintf(slug, sizeof slug, "big-%d", n);
	snprintf(title, sizeof title, "Big talks %d", n);
	json_t *m =
	    json_pack("{s:s, s:s, s:s}", "title", title, "date", "2024-05-01", "readout", readout);
	if (with_slug)
		json_object_set_new(m, "slug", json_string(slug));
	free(readout);
	char *text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return text;
}

/* Descriptors open in this process (the server runs in it). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own */
}

/* Open descriptors once they are at most limit, waiting up to 5 s for the
 * server to close the sockets of connections that just ended; else the
 * count at the end. */
static int fds_settled(int limit)
{
	int n = open_fds();
	for (int i = 0; i < 100 && n > limit; i++) {
		usleep(50 * 1000);
		n = open_fds();
	}
	return n;
}

/* Sends GET /v1/export on a socket of its own with a small receive buffer,
 * reads the status line and then nothing more. Returns the socket. */
static int stalled_export(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	int small = 4096;
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	const char *get = "GET /v1/export HTTP/1.1\r\nHost: localhost\r\n\r\n";
	ck_assert_int_eq(write(fd, get, strlen(get)), (ssize_t)strlen(get));
	char status[13] = {0};
	size_t got = 0;
	while (got < 12) {
		ssize_t n = read(fd, status + got, 12 - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_str_eq(status, "HTTP/1.1 200");
	return fd;
}

/* HEAD /v1/export until it answers 200 (an export slot is free again). */
static void wait_export_slot(struct harness *h)
{
	for (int i = 0; i < 200; i++) {
		struct reply *r = req(h, "HEAD", "/v1/export", NULL, NULL);
		long status = r->status;
		reply_free(r);
		if (status == 200)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("no export slot came free after its clients closed");
}

static off_t wal_size(const struct harness *h)
{
	char wal[320];
	snprintf(wal, sizeof wal, "%s-wal", h->db);
	struct stat sb;
	return stat(wal, &sb) == 0 ? sb.st_size : 0;
}

/* Exports are bounded: past --max-exports one more is 503 with
 * Retry-After; the snapshot of the open ones lets the WAL grow, but once
 * they close it is cut back to its size limit at the next restart; and
 * their descriptors and memory go when their clients go (a second round
 * holds no more than the first). */
START_TEST(exports_are_bounded_and_released)
{
	enum { EXPORTS = 2, MEETINGS = 30 };
	struct harness h;
	/* One worker, so the warm-up below opens the only per-thread
	 * connection (3 descriptors) before the count starts. */
	harness_start(&h, (const char *const[]){"--max-exports", "2", "--threads", "1", NULL});
	for (int i = 0; i < MEETINGS; i++) {
		char *body = big_meeting_json(i, false);
		struct reply *r = write_json(&h, "POST", "/v1/meetings", body);
		ck_assert_msg(r->status == 201, "%ld %.200s", r->status, r->body);
		reply_free(r);
		free(body);
	}
	/* Warm: the worker has its connection, one export has run. */
	struct reply *r = get(&h, "/v1/export");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "meetings")), MEETINGS);
	reply_free(r);
	int fds_before = open_fds();
	sqlite3_int64 mem_before = sqlite3_memory_used();
	int fds_after[2] = {0, 0};
	for (int round = 0; round < 2; round++) {
		int held[EXPORTS];
		for (int i = 0; i < EXPORTS; i++)
			held[i] = stalled_export(h.port);
		r = get(&h, "/v1/export");
		assert_problem(r, 503, "unavailable");
		ck_assert_ptr_nonnull(reply_header(r, "Retry-After"));
		ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "--max-exports"));
		reply_free(r);
		if (round == 0) {
			/* Writes go on while the snapshots are held: the WAL grows. */
			for (int i = 0; i < 25; i++) {
				char *body = big_meeting_json(MEETINGS + i, false);
				r = write_json(&h, "POST", "/v1/meetings", body);
				ck_assert_int_eq(r->status, 201);
				reply_free(r);
				free(body);
			}
			/* PostgreSQL keeps no WAL beside a database file. */
			ck_assert_msg(harness_postgres() || wal_size(&h) > WAL_SIZE_LIMIT,
			              "WAL only %lld bytes", (long long)wal_size(&h));
		}
		for (int i = 0; i < EXPORTS; i++)
			close(held[i]);
		wait_export_slot(&h);
		fds_after[round] = fds_settled(fds_before + 1);
	}
	/* Small writes after the snapshots are gone: a checkpoint, then a
	 * restart of the WAL, which cuts it back to the limit. */
	for (int i = 0; i < 3; i++) {
		r = write_json(&h, "POST", "/v1/participants", path_fmt("{\"name\": \"P %d\"}", i));
		ck_assert_int_eq(r->status, 201);
		reply_free(r);
	}
	ck_assert_msg(harness_postgres() || wal_size(&h) <= WAL_SIZE_LIMIT, "WAL still %lld bytes",
	              (long long)wal_size(&h));
	/* SQLite may keep one closed connection's descriptor while the others
	 * hold locks on the file, to reuse it: at most one more. */
	for (int round = 0; round < 2; round++)
		ck_assert_msg(fds_after[round] <= fds_before + 1,
		              "descriptors: %d before, %d and %d after two rounds", fds_before,
		              fds_after[0], fds_after[1]);
	sqlite3_int64 mem_after = sqlite3_memory_used();
	ck_assert_msg(mem_after < mem_before + 2 * 1024 * 1024,
	              "SQLite memory %lld before, %lld after", (long long)mem_before,
	              (long long)mem_after);
	harness_stop(&h);
}
END_TEST

/* Past --export-timeout the stream is cut, and its slot is free again. */
START_TEST(export_cut_after_its_timeout)
{
	struct harness h;
	harness_start(&h,
	              (const char *const[]){"--max-exports", "1", "--export-timeout", "1", NULL});
	for (int i = 0; i < 20; i++) {
		char *body = big_meeting_json(i, false);
		struct reply *r = write_json(&h, "POST", "/v1/meetings", body);
		ck_assert_int_eq(r->status, 201);
		reply_free(r);
		free(body);
	}
	/* 8 MB at 400 KB/s: still reading when the second is up. */
	struct stream out = {0};
	CURLcode rc = stream_get(h.port, "/v1/export", 400 * 1024, &out);
	ck_assert_msg(rc != CURLE_OK, "a slow export ran to its end: %s", curl_easy_strerror(rc));
	ck_assert_msg(out.len < 20 * BIG_READOUT, "%zu bytes", out.len);
	free(out.data);
	wait_export_slot(&h);
	harness_stop(&h);
}
END_TEST

/* Removes the members of every entity that a replace may change. */
static void drop_changing(json_t *doc)
{
	const char *lists[] = {"participants", "principles", "meetings"};
	for (int l = 0; l < 3; l++) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(doc, lists[l]), i, e)
		{
			json_object_del(e, "id");
			json_object_del(e, "updated_at");
			json_object_del(e, "version");
		}
	}
}

/* Each entity of after has the version and updated_at of before or later. */
static void assert_not_older(json_t *before, json_t *after)
{
	const char *lists[] = {"participants", "principles", "meetings"};
	for (int l = 0; l < 3; l++) {
		json_t *a = json_object_get(before, lists[l]),
		       *b = json_object_get(after, lists[l]);
		ck_assert_uint_eq(json_array_size(a), json_array_size(b));
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
			ck_assert_int_ge(jint(y, "version"), jint(x, "version"));
			ck_assert_int_ge(strcmp(jstr(y, "updated_at"), jstr(x, "updated_at")), 0);
			ck_assert_str_eq(jstr(y, "created_at"), jstr(x, "created_at"));
			ck_assert_int_eq(jint(y, "id"), jint(x, "id"));
		}
	}
}

static void assert_same_apart_from_versions(const char *before, const char *after)
{
	json_t *a = json_loads(before, 0, NULL), *b = json_loads(after, 0, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	assert_not_older(a, b);
	drop_changing(a);
	drop_changing(b);
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
		assert_same_text(x, y, "exports before and after the second import");
		free(x);
		free(y);
		ck_abort_msg("exports differ");
	}
	json_decref(a);
	json_decref(b);
}

START_TEST(import_twice_is_idempotent)
{
	struct harness h;
	harness_start(&h, NULL);
	char *sample = sample_document();
	struct reply *r = import_doc(&h, sample);
	ck_assert_msg(r->status == 200, "first import: %ld %.600s", r->status, r->body);
	assert_counts(r, "participants", 4, 0);
	assert_counts(r, "principles", 13, 0);
	assert_counts(r, "meetings", 3, 0);
	reply_free(r);
	char *e1 = export_text(&h);

	r = import_doc(&h, sample);
	ck_assert_msg(r->status == 200, "second import: %ld %.600s", r->status, r->body);
	assert_counts(r, "participants", 0, 4);
	assert_counts(r, "principles", 0, 13);
	assert_counts(r, "meetings", 0, 3);
	reply_free(r);
	char *e2 = export_text(&h);
	assert_same_apart_from_versions(e1, e2);
	struct totals t = totals_of(&h);
	ck_assert_int_eq(t.participants, 4);
	ck_assert_int_eq(t.principles, 13);
	ck_assert_int_eq(t.meetings, 3);

	/* The export itself, with its ids, timestamps and versions, imported back. */
	r = import_doc(&h, e2);
	ck_assert_msg(r->status == 200, "export imported back: %ld %.600s", r->status, r->body);
	assert_counts(r, "participants", 0, 4);
	assert_counts(r, "principles", 0, 13);
	assert_counts(r, "meetings", 0, 3);
	reply_free(r);
	char *e3 = export_text(&h);
	assert_same_apart_from_versions(e2, e3);
	/* Nested lists were replaced, not appended to. */
	json_t *j3 = json_loads(e3, 0, NULL);
	ck_assert_int_eq(json_array_size(jget(j3, "meetings.2.participants")), 3);
	ck_assert_int_eq(json_array_size(jget(j3, "meetings.2.principles")), 13);
	ck_assert_int_eq(json_array_size(jget(j3, "meetings.2.related")), 2);
	ck_assert_int_eq(jint(j3, "participants.0.meeting_count"), 3);
	json_decref(j3);
	free(e1);
	free(e2);
	free(e3);
	free(sample);
	harness_stop(&h);
}
END_TEST

START_TEST(references_within_document)
{
	struct harness h;
	harness_start(&h, NULL);
	const char *doc =
	    "{\"format\":\"readout/1\","
	    "\"participants\":[{\"slug\":\"fw-host\",\"name\":\"Forward Host\"},"
	    "{\"slug\":\"fw-guest\",\"name\":\"Forward Guest\"}],"
	    "\"principles\":[{\"slug\":\"fw-principle\",\"name\":\"Forward principle\"}],"
	    "\"meetings\":["
	    "{\"slug\":\"fw-early\",\"title\":\"Early\",\"date\":\"2024-01-01\","
	    "\"participants\":[{\"slug\":\"fw-host\",\"role\":\"host\"},{\"slug\":\"fw-guest\","
	    "\"role\":\"guest\"}],"
	    "\"principles\":[{\"slug\":\"fw-principle\",\"stance\":\"proposed\","
	    "\"invoked_by\":\"fw-guest\",\"quote\":\"q\"}],"
	    "\"related\":[{\"slug\":\"fw-late\",\"relation\":\"references\"}]},"
	    "{\"slug\":\"fw-late\",\"title\":\"Late\",\"date\":\"2024-02-01\","
	    "\"participants\":[{\"slug\":\"fw-host\"}],"
	    "\"related\":[{\"slug\":\"fw-early\",\"relation\":\"follows_up\"}]}]}";
	struct reply *r = import_doc(&h, doc);
	ck_assert_msg(r->status == 200, "import: %ld %.600s", r->status, r->body);
	assert_counts(r, "participants", 2, 0);
	assert_counts(r, "principles", 1, 0);
	assert_counts(r, "meetings", 2, 0);
	reply_free(r);

	r = get(&h, "/v1/participants/fw-guest");
	ck_assert_int_eq(r->status, 200);
	long long guest = jint(r->json, "id");
	ck_assert_int_eq(jint(r->json, "meeting_count"), 1);
	reply_free(r);
	r = get(&h, "/v1/participants/fw-host");
	ck_assert_int_eq(jint(r->json, "meeting_count"), 2);
	ck_assert_str_eq(jstr(r->json, "first_meeting_date"), "2024-01-01");
	ck_assert_str_eq(jstr(r->json, "last_meeting_date"), "2024-02-01");
	reply_free(r);

	r = get(&h, "/v1/meetings/fw-early");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(jget(r->json, "participants")), 2);
	ck_assert_str_eq(jstr(r->json, "participants.0.slug"), "fw-host");
	ck_assert_str_eq(jstr(r->json, "participants.0.role"), "host");
	ck_assert_str_eq(jstr(r->json, "participants.1.role"), "guest");
	ck_assert_str_eq(jstr(r->json, "principles.0.slug"), "fw-principle");
	ck_assert_str_eq(jstr(r->json, "principles.0.stance"), "proposed");
	ck_assert_int_eq(jint(r->json, "principles.0.invoked_by"), guest);
	ck_assert_int_eq(json_array_size(jget(r->json, "related")), 1);
	ck_assert_str_eq(jstr(r->json, "related.0.slug"), "fw-late");
	ck_assert_str_eq(jstr(r->json, "related.0.relation"), "references");
	ck_assert_str_eq(jstr(r->json, "related.0.title"), "Late");
	ck_assert_str_eq(jstr(r->json, "related.0.date"), "2024-02-01");
	reply_free(r);

	r = get(&h, "/v1/meetings/fw-late");
	ck_assert_str_eq(jstr(r->json, "participants.0.role"), "attendee");
	ck_assert_str_eq(jstr(r->json, "related.0.slug"), "fw-early");
	ck_assert_str_eq(jstr(r->json, "related.0.relation"), "follows_up");
	reply_free(r);

	r = get(&h, "/v1/principles/fw-principle/timeline");
	ck_assert_int_eq(json_array_size(jget(r->json, "data")), 1);
	ck_assert_str_eq(jstr(r->json, "data.0.meeting.slug"), "fw-early");
	ck_assert_str_eq(jstr(r->json, "data.0.invoked_by.slug"), "fw-guest");
	reply_free(r);
	harness_stop(&h);
}
END_TEST

/* Any of the three lists may be missing; a missing list changes nothing. */
START_TEST(partial_documents)
{
	struct harness h;
	harness_start(&h, sample_args);
	char *before = export_text(&h);
	struct reply *r = import_doc(&h, "{\"format\":\"readout/1\"}");
	ck_assert_msg(r->status == 200, "format only: %ld %s", r->status, r->body);
	assert_counts(r, "participants", 0, 0);
	assert_counts(r, "principles", 0, 0);
	assert_counts(r, "meetings", 0, 0);
	reply_free(r);
	char *after = export_text(&h);
	assert_same_text(before, after, "exports before and after an empty import");
	/* Only meetings, naming entities already in the store. */
	r = import_doc(&h, "{\"format\":\"readout/1\",\"meetings\":[{\"slug\":\"only-m\","
	                   "\"title\":\"Only\",\"date\":\"2025-05-05\",\"participants\":[{"
	                   "\"slug\":\"wang-yi\",\"role\":\"host\"}],\"principles\":[{\"slug\":"
	                   "\"mutual-respect\",\"invoked_by\":\"wang-yi\"}]}]}");
	ck_assert_msg(r->status == 200, "meetings only: %ld %s", r->status, r->body);
	assert_counts(r, "participants", 0, 0);
	assert_counts(r, "principles", 0, 0);
	assert_counts(r, "meetings", 1, 0);
	reply_free(r);
	r = get(&h, "/v1/participants/wang-yi");
	ck_assert_int_eq(jint(r->json, "meeting_count"), 2);
	ck_assert_str_eq(jstr(r->json, "last_meeting_date"), "2025-05-05");
	reply_free(r);
	r = get(&h, "/v1/meetings/only-m");
	ck_assert_str_eq(jstr(r->json, "principles.0.stance"), "cited");
	ck_assert_str_eq(jstr(r->json, "kind"), "meeting");
	reply_free(r);
	ck_assert_int_eq(total_of(&h, "participants"), 4);
	free(before);
	free(after);
	harness_stop(&h);
}
END_TEST

/* ---- refusals: nothing written ---- */

static struct harness rh;
static char *before_export;
static struct totals before_totals;

static void refusals_setup(void)
{
	harness_start(&rh, sample_args);
	before_export = export_text(&rh);
	before_totals = totals_of(&rh);
	ck_assert_int_eq(before_totals.participants, 4);
	ck_assert_int_eq(before_totals.principles, 13);
	ck_assert_int_eq(before_totals.meetings, 3);
}

static void refusals_teardown(void)
{
	free(before_export);
	before_export = NULL;
	harness_stop(&rh);
}

static void assert_unchanged(void)
{
	char *now = export_text(&rh);
	assert_same_text(before_export, now, "exports before and after");
	free(now);
	struct totals t = totals_of(&rh);
	ck_assert_int_eq(t.participants, before_totals.participants);
	ck_assert_int_eq(t.principles, before_totals.principles);
	ck_assert_int_eq(t.meetings, before_totals.meetings);
}

/* Imports doc, expects 422 with exactly one problem, at pointer, and no change. */
static void assert_refused(const char *doc, const char *pointer)
{
	struct reply *r = import_doc(&rh, doc);
	assert_problem(r, 422, "validation");
	ck_assert_msg(has_pointer(r, pointer), "no problem at %s: %s", pointer, r->body);
	ck_assert_msg(json_array_size(jget(r->json, "errors")) == 1, "want one problem: %s",
	              r->body);
	reply_free(r);
	assert_unchanged();
}

/* Valid changes that a partial write would leave behind: a new participant,
 * a changed one, a new principle. */
#define VALID_HEAD                                                                 \
	"{\"format\":\"readout/1\",\"participants\":["                             \
	"{\"slug\":\"new-person\",\"name\":\"New Person\"},"                       \
	"{\"slug\":\"xi-jinping\",\"name\":\"Renamed\",\"country\":\"FR\"}],"      \
	"\"principles\":[{\"slug\":\"new-principle\",\"name\":\"New principle\"}," \
	"{\"slug\":\"mutual-respect\",\"name\":\"Changed\"}],"

START_TEST(refuses_bad_reference_deep)
{
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"participants\":[{\"slug\":\"new-person\",\"role\":\"host\"}]},"
	               "{\"slug\":\"2024-04-02-president-xi-jinping-and-president-joe-biden-speak-"
	               "by-phone\",\"title\":\"Replaced\",\"date\":\"2024-04-02\","
	               "\"participants\":[{\"slug\":\"xi-jinping\"}]},"
	               "{\"slug\":\"new-m-2\",\"title\":\"New 2\",\"date\":\"2025-01-03\","
	               "\"participants\":[{\"slug\":\"nobody-at-all\"}]}]}",
	               "/meetings/2/participants/0/slug");
	/* The same with the reference to a principle and to a meeting. */
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"principles\":[{\"slug\":\"new-principle\"},{\"slug\":\"no-such-"
	               "principle\"}]}]}",
	               "/meetings/0/principles/1/slug");
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"related\":[{\"slug\":\"no-such-meeting\",\"relation\":"
	               "\"references\"}]}]}",
	               "/meetings/0/related/0/slug");
	/* invoked_by must name a participant of that meeting. */
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"participants\":[{\"slug\":\"new-person\"}],"
	               "\"principles\":[{\"slug\":\"new-principle\",\"invoked_by\":"
	               "\"wang-yi\"}]}]}",
	               "/meetings/0/principles/0/invoked_by");
}
END_TEST

START_TEST(refuses_duplicate_slug)
{
	assert_refused("{\"format\":\"readout/1\",\"participants\":["
	               "{\"slug\":\"dup-person\",\"name\":\"One\"},"
	               "{\"slug\":\"dup-person\",\"name\":\"Two\"}]}",
	               "/participants/1/slug");
	assert_refused(VALID_HEAD "\"meetings\":["
	                          "{\"slug\":\"dup-m\",\"title\":\"A\",\"date\":\"2025-01-01\"},"
	                          "{\"slug\":\"other-m\",\"title\":\"B\",\"date\":\"2025-01-02\"},"
	                          "{\"slug\":\"dup-m\",\"title\":\"C\",\"date\":\"2025-01-03\"}]}",
	               "/meetings/2/slug");
}
END_TEST

START_TEST(refuses_wrong_type_deep)
{
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"sources\":[{\"url\":42}]}]}",
	               "/meetings/0/sources/0/url");
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\"},"
	               "{\"slug\":\"new-m-1\",\"title\":\"New 1\",\"date\":\"2025-01-01\","
	               "\"participants\":[{\"slug\":\"new-person\",\"role\":7}]}]}",
	               "/meetings/1/participants/0/role");
	assert_refused(
	    "{\"format\":\"readout/1\",\"participants\":[{\"slug\":\"new-person\",\"name\":\"N\"},"
	    "{\"slug\":\"p2\",\"name\":\"P\",\"aliases\":[\"ok\",false]}]}",
	    "/participants/1/aliases/1");
	assert_refused("{\"format\":\"readout/1\",\"participants\":{}}", "/participants");
}
END_TEST

START_TEST(refuses_unknown_field)
{
	assert_refused(VALID_HEAD "\"meetings\":[],\"extra\":true}", "/extra");
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"colour\":\"red\"}]}",
	               "/meetings/0/colour");
	assert_refused(VALID_HEAD
	               "\"meetings\":["
	               "{\"slug\":\"new-m-0\",\"title\":\"New 0\",\"date\":\"2025-01-01\","
	               "\"sources\":[{\"url\":\"https://example.org/\",\"mirror\":1}]}]}",
	               "/meetings/0/sources/0/mirror");
	assert_refused("{\"format\":\"readout/1\",\"participants\":["
	               "{\"slug\":\"new-person\",\"name\":\"N\"},"
	               "{\"slug\":\"p2\",\"name\":\"P\",\"nickname\":\"x\"}]}",
	               "/participants/1/nickname");
}
END_TEST

START_TEST(refuses_missing_slug)
{
	assert_refused("{\"format\":\"readout/1\",\"participants\":["
	               "{\"slug\":\"new-person\",\"name\":\"N\"},{\"name\":\"No Slug\"}]}",
	               "/participants/1/slug");
	assert_refused(VALID_HEAD "\"meetings\":[{\"title\":\"No slug\",\"date\":\"2025-01-01\"}]}",
	               "/meetings/0/slug");
	assert_refused("{\"format\":\"readout/1\",\"principles\":[{\"name\":\"No slug\"}]}",
	               "/principles/0/slug");
}
END_TEST

START_TEST(refuses_bad_format)
{
	assert_refused("{\"format\":\"readout/2\",\"participants\":["
	               "{\"slug\":\"new-person\",\"name\":\"N\"}]}",
	               "/format");
	assert_refused("{\"format\":1,\"participants\":[{\"slug\":\"new-person\",\"name\":\"N\"}]}",
	               "/format");
}
END_TEST

/* errors lists every problem found, across lists and across meetings. */
START_TEST(refuses_listing_every_problem)
{
	const char *docs[][3] = {
	    {"{\"format\":\"readout/1\",\"participants\":[{\"slug\":\"a\",\"name\":\"A\","
	     "\"country\":\"ZZ\"}],\"meetings\":[{\"slug\":\"m\",\"title\":\"M\",\"date\":"
	     "\"2024-02-30\"}]}",
	     "/participants/0/country", "/meetings/0/date"},
	    {VALID_HEAD "\"meetings\":[{\"slug\":\"m0\",\"title\":\"M\",\"date\":\"2025-01-01\","
	                "\"participants\":[{\"slug\":\"ghost-one\"}]},{\"slug\":\"m1\",\"title\":"
	                "\"M\",\"date\":\"2025-01-01\"},{\"slug\":\"m2\",\"title\":\"M\","
	                "\"date\":\"2025-01-01\",\"related\":[{\"slug\":\"ghost-meeting\","
	                "\"relation\":\"references\"}]}]}",
	     "/meetings/0/participants/0/slug", "/meetings/2/related/0/slug"},
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct reply *r = import_doc(&rh, docs[i][0]);
		assert_problem(r, 422, "validation");
		ck_assert_msg(has_pointer(r, docs[i][1]), "no problem at %s: %s", docs[i][1],
		              r->body);
		ck_assert_msg(has_pointer(r, docs[i][2]), "no problem at %s: %s", docs[i][2],
		              r->body);
		ck_assert_msg(json_array_size(jget(r->json, "errors")) == 2,
		              "want two problems: %s", r->body);
		reply_free(r);
		assert_unchanged();
	}
}
END_TEST

START_TEST(refuses_malformed_json)
{
	const char *bodies[] = {
	    VALID_HEAD "\"meetings\":[",
	    "{\"format\":\"readout/1\",\"participants\":[{\"slug\":\"a\",\"name\":\"A\",}]}",
	    "{\"format\":\"readout/1\",\"format\":\"readout/1\"}", NULL};
	for (int i = 0; bodies[i]; i++) {
		struct reply *r = import_doc(&rh, bodies[i]);
		assert_problem(r, 400, "malformed");
		reply_free(r);
		assert_unchanged();
	}
}
END_TEST

START_TEST(refuses_without_token)
{
	const char *doc = VALID_HEAD "\"meetings\":[]}";
	struct reply *r = req(&rh, "POST", "/v1/import", doc, NULL);
	assert_problem(r, 401, "unauthorized");
	ck_assert_ptr_nonnull(reply_header(r, "WWW-Authenticate"));
	ck_assert_int_eq(strncmp(reply_header(r, "WWW-Authenticate"), "Bearer", 6), 0);
	reply_free(r);
	assert_unchanged();
	const char *const wrong[] = {"Authorization: Bearer not-the-test-token", NULL};
	r = req(&rh, "POST", "/v1/import", doc, wrong);
	assert_problem(r, 401, "unauthorized");
	reply_free(r);
	assert_unchanged();
	/* The control: the same document with the token is accepted. */
	r = import_doc(&rh, doc);
	ck_assert_msg(r->status == 200, "with token: %ld %s", r->status, r->body);
	reply_free(r);
	ck_assert_int_eq(total_of(&rh, "participants"), 5);
}
END_TEST

START_TEST(refuses_wrong_content_type)
{
	const char *doc = VALID_HEAD "\"meetings\":[]}";
	const char *types[] = {"Content-Type: text/plain", "Content-Type: application/xml",
	                       "Content-Type: application/merge-patch+json", NULL};
	for (int i = 0; types[i]; i++) {
		const char *const hdr[] = {"AUTH", types[i], NULL};
		struct reply *r = req(&rh, "POST", "/v1/import", doc, hdr);
		assert_problem(r, 415, "unsupported-media-type");
		reply_free(r);
		assert_unchanged();
	}
	const char *const ok[] = {"AUTH", "Content-Type: application/json; charset=utf-8", NULL};
	struct reply *r = req(&rh, "POST", "/v1/import", doc, ok);
	ck_assert_msg(r->status == 200, "with charset: %ld %s", r->status, r->body);
	reply_free(r);
}
END_TEST

/* ---- body limits ---- */

/* A valid import document of about size bytes: one new principle whose
 * description fills it. */
static char *document_of_size(size_t size, const char *slug)
{
	char *doc = malloc(size + 256);
	int n = snprintf(doc, 256,
	                 "{\"format\":\"readout/1\",\"principles\":[{\"slug\":\"%s\","
	                 "\"name\":\"Sized\",\"description\":\"",
	                 slug);
	size_t fill = size > (size_t)n + 8 ? size - (size_t)n - 8 : 1;
	memset(doc + n, 'd', fill);
	strcpy(doc + n + fill, "\"}]}");
	return doc;
}

START_TEST(import_body_limit)
{
	const char *const args[] = {"--sample-data", "--max-import-body", "2048", NULL};
	struct harness h;
	harness_start(&h, args);
	char *before = export_text(&h);
	char *big = document_of_size(3000, "too-big");
	ck_assert_uint_gt(strlen(big), 2048);
	struct reply *r = import_doc(&h, big);
	assert_problem(r, 413, "payload-too-large");
	reply_free(r);
	char *after = export_text(&h);
	assert_same_text(before, after, "exports before and after the 413");
	ck_assert_int_eq(total_of(&h, "principles"), 13);
	/* The control: a document under the limit is taken. */
	char *small = document_of_size(1500, "small-enough");
	ck_assert_uint_lt(strlen(small), 2048);
	r = import_doc(&h, small);
	ck_assert_msg(r->status == 200, "small import: %ld %s", r->status, r->body);
	assert_counts(r, "principles", 1, 0);
	reply_free(r);
	ck_assert_int_eq(total_of(&h, "principles"), 14);
	free(small);
	free(big);
	free(before);
	free(after);
	harness_stop(&h);
}
END_TEST

START_TEST(import_limit_separate_from_max_body)
{
	const char *const args[] = {"--max-body", "2048", "--max-import-body", "1000000", NULL};
	struct harness h;
	harness_start(&h, args);
	char summary[5001];
	memset(summary, 's', 5000);
	summary[5000] = '\0';
	char *meeting = malloc(6000);
	snprintf(meeting, 6000,
	         "{\"slug\":\"big-meeting\",\"title\":\"Big\",\"date\":\"2025-01-01\",\"summary\":"
	         "\"%s\"}",
	         summary);
	ck_assert_uint_gt(strlen(meeting), 5000);
	struct reply *r = write_json(&h, "POST", "/v1/meetings", meeting);
	assert_problem(r, 413, "payload-too-large");
	reply_free(r);
	ck_assert_int_eq(total_of(&h, "meetings"), 0);

	char *doc = malloc(6200);
	snprintf(doc, 6200, "{\"format\":\"readout/1\",\"meetings\":[%s]}", meeting);
	ck_assert_uint_gt(strlen(doc), 5000);
	r = import_doc(&h, doc);
	ck_assert_msg(r->status == 200, "import: %ld %.400s", r->status, r->body);
	assert_counts(r, "meetings", 1, 0);
	reply_free(r);
	r = get(&h, "/v1/meetings/big-meeting");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r->json, "summary"), summary);
	reply_free(r);
	/* And a small ordinary write still passes. */
	r = write_json(&h, "POST", "/v1/meetings", "{\"title\":\"Small\",\"date\":\"2025-01-02\"}");
	ck_assert_int_eq(r->status, 201);
	reply_free(r);
	free(doc);
	free(meeting);
	harness_stop(&h);
}
END_TEST

/* An import restores created_at, updated_at and version of each kind of
 * record when all three are given, and ignores them otherwise. */
START_TEST(import_restores_timestamps_and_versions)
{
	struct harness h;
	harness_start(&h, NULL);
	const char *meta = "\"created_at\": \"2020-01-02T03:04:05.678Z\", "
	                   "\"updated_at\": \"2021-02-03T04:05:06.789Z\", \"version\": 7";
	char *doc = NULL;
	ck_assert_int_gt(
	    asprintf(&doc,
	             "{\"participants\": [{\"slug\": \"ada\", \"name\": \"Ada\", %s}, "
	             "{\"slug\": \"bob\", \"name\": \"Bob\", \"version\": 9}], "
	             "\"principles\": [{\"slug\": \"peace\", \"name\": \"Peace\", %s}], "
	             "\"meetings\": [{\"slug\": \"m\", \"title\": \"M\", \"date\": "
	             "\"2020-01-01\", %s}]}",
	             meta, meta, meta),
	    0);
	struct reply *r = write_json(&h, "POST", "/v1/import", doc);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	reply_free(r);
	free(doc);
	const char *paths[] = {"/v1/participants/ada", "/v1/principles/peace", "/v1/meetings/m"};
	for (int i = 0; i < 3; i++) {
		r = get(&h, paths[i]);
		ck_assert_int_eq(r->status, 200);
		ck_assert_str_eq(jstr(r->json, "created_at"), "2020-01-02T03:04:05.678Z");
		ck_assert_str_eq(jstr(r->json, "updated_at"), "2021-02-03T04:05:06.789Z");
		ck_assert_int_eq(jint(r->json, "version"), 7);
		reply_free(r);
	}
	r = get(&h, "/v1/participants/bob"); /* only version: ignored */
	ck_assert_int_eq(jint(r->json, "version"), 1);
	ck_assert_str_eq(jstr(r->json, "created_at"), jstr(r->json, "updated_at"));
	reply_free(r);
	harness_stop(&h);
}
END_TEST

/* Every integer an import or a write takes is an integer from 1 to 2^53 - 1:
 * an out-of-range version, once stored, could not be counted up as an
 * integer and left the record refusing every conditional write (412). */
static const char *const bad_integers[] = {
    "9223372036854775807", "1e300", "-1", "0", "9007199254740993", "1.5", "2.0", "\"3\"", NULL};

START_TEST(refuses_out_of_range_integers)
{
	for (int i = 0; bad_integers[i]; i++) {
		char *doc = NULL;
		ck_assert_int_gt(
		    asprintf(&doc,
		             "{\"participants\": [{\"slug\": \"ada\", \"name\": \"Ada\", "
		             "\"created_at\": \"2020-01-02T03:04:05.678Z\", \"updated_at\": "
		             "\"2021-02-03T04:05:06.789Z\", \"version\": %s}]}",
		             bad_integers[i]),
		    0);
		assert_refused(doc, "/participants/0/version");
		free(doc);
		ck_assert_int_gt(asprintf(&doc,
		                          "{\"meetings\": [{\"slug\": \"m\", \"title\": \"M\", "
		                          "\"date\": \"2020-01-01\", \"participants\": [{\"id\": "
		                          "%s, \"role\": \"host\"}]}]}",
		                          bad_integers[i]),
		                 0);
		assert_refused(doc, "/meetings/0/participants/0/id");
		free(doc);
		/* The same in a write. */
		ck_assert_int_gt(asprintf(&doc,
		                          "{\"title\": \"M\", \"date\": \"2020-01-01\", "
		                          "\"participants\": [{\"id\": %s}]}",
		                          bad_integers[i]),
		                 0);
		struct reply *r = write_json(&rh, "POST", "/v1/meetings", doc);
		assert_problem(r, 422, "validation");
		ck_assert_msg(has_pointer(r, "/participants/0/id"), "%s: %s", bad_integers[i],
		              r->body);
		reply_free(r);
		free(doc);
	}
	assert_unchanged();
}
END_TEST

/* The largest version accepted is stored as an integer, and the record
 * takes a conditional write. */
START_TEST(largest_version_stays_writable)
{
	struct reply *r = import_doc(
	    &rh, "{\"participants\": [{\"slug\": \"ada\", \"name\": \"Ada\", \"created_at\": "
	         "\"2020-01-02T03:04:05.678Z\", \"updated_at\": \"2021-02-03T04:05:06.789Z\", "
	         "\"version\": 9007199254740991}]}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	reply_free(r);
	r = get(&rh, "/v1/participants/ada");
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_integer(jget(r->json, "version")));
	ck_assert_int_eq(jint(r->json, "version"), 9007199254740991LL);
	char match[128];
	snprintf(match, sizeof match, "If-Match: %s", reply_header(r, "ETag"));
	reply_free(r);
	r = req(&rh, "PATCH", "/v1/participants/ada", "{\"name\": \"Ada B\"}",
	        (const char *const[]){"AUTH", match, NULL});
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert(json_is_integer(jget(r->json, "version")));
	ck_assert_int_eq(jint(r->json, "version"), 9007199254740992LL);
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_transfer");
	TCase *tc = tcase_create("transfer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, export_empty_store);
	tcase_add_test(tc, import_restores_timestamps_and_versions);
	tcase_add_test(tc, export_of_sample_is_complete);
	tcase_add_test(tc, round_trip_sample);
	tcase_add_test(tc, round_trip_generated);
	tcase_add_test(tc, export_is_a_snapshot);
	tcase_add_test(tc, export_client_goes_away);
	tcase_add_test(tc, exports_are_bounded_and_released);
	tcase_add_test(tc, export_cut_after_its_timeout);
	tcase_add_test(tc, import_twice_is_idempotent);
	tcase_add_test(tc, references_within_document);
	tcase_add_test(tc, partial_documents);
	tcase_add_test(tc, import_body_limit);
	tcase_add_test(tc, import_limit_separate_from_max_body);
	suite_add_tcase(s, tc);
	TCase *rc = tcase_create("refusals");
	tcase_set_timeout(rc, 120);
	tcase_add_checked_fixture(rc, refusals_setup, refusals_teardown);
	tcase_add_test(rc, refuses_bad_reference_deep);
	tcase_add_test(rc, refuses_duplicate_slug);
	tcase_add_test(rc, refuses_wrong_type_deep);
	tcase_add_test(rc, refuses_unknown_field);
	tcase_add_test(rc, refuses_missing_slug);
	tcase_add_test(rc, refuses_bad_format);
	tcase_add_test(rc, refuses_listing_every_problem);
	tcase_add_test(rc, refuses_malformed_json);
	tcase_add_test(rc, refuses_without_token);
	tcase_add_test(rc, refuses_wrong_content_type);
	tcase_add_test(rc, refuses_out_of_range_integers);
	tcase_add_test(rc, largest_version_stays_writable);
	suite_add_tcase(s, rc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
