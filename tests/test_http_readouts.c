/* HTTP tests of API.md section 12: meetings' readouts in other languages
 * (validation with a pointer for every problem, write and read rules,
 * versions, export and import, search), principles' aliases (validation,
 * q, search) and GET /v1/meetings/{ref}/mentions, through the real server
 * on either backend. */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct reply *wr_on(struct harness *hs, const char *method, const char *path,
                           const char *body)
{
	return write_quoted(hs, method, path, body, NULL);
}

static struct reply *wr(const char *method, const char *path, const char *body)
{
	return write_quoted(&h, method, path, body, NULL);
}

/* A write that must answer status; returns the parsed body (new reference). */
static json_t *wr_ok(const char *method, const char *path, const char *body, long status)
{
	struct reply *r = wr(method, path, body);
	ck_assert_msg(r->status == status && r->json, "%s %s: %ld %s", method, path, r->status,
	              r->body);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

static json_t *get_ok_on(struct harness *hs, const char *path)
{
	return get_json(hs, path);
}

static json_t *get_ok(const char *path)
{
	return get_json(&h, path);
}

/* A write that must be refused with exactly the pointers. */
#define REFUSED(method, path, body, ...)                   \
	do {                                               \
		struct reply *r_ = wr(method, path, body); \
		ASSERT_422(r_, __VA_ARGS__);               \
		reply_free(r_);                            \
	} while (0)

/* The records most tests use: three people, three principles with aliases. */
static void build_world(void)
{
	json_decref(
	    wr_ok("POST", "/v1/participants", "{'name':'Xi Jinping','aliases':['习近平']}", 201));
	json_decref(wr_ok(
	    "POST", "/v1/participants",
	    "{'name':'Antony Blinken','aliases':['Anthony Blinken','Blinken','布林肯']}", 201));
	json_decref(
	    wr_ok("POST", "/v1/participants", "{'name':'Wang Yi','aliases':['王毅']}", 201));
	json_decref(wr_ok("POST", "/v1/participants", "{'name':'Joe Biden'}", 201));
	json_decref(wr_ok("POST", "/v1/principles",
	                  "{'name':'Mutual respect','aliases':['相互尊重']}", 201));
	json_decref(wr_ok("POST", "/v1/principles",
	                  "{'name':'Peaceful coexistence','aliases':['和平共处','Coexistence in "
	                  "peace']}",
	                  201));
	json_decref(wr_ok("POST", "/v1/principles",
	                  "{'name':'One-China policy','aliases':['一个中国政策']}", 201));
}

#define READOUT_ZH                                                                    \
	"{'language':'zh-Hans','publisher':'Ministry of Foreign Affairs of the PRC'," \
	"'url':'https://www.fmprc.gov.cn/zyxw/','published':'2024-04-26',"            \
	"'text':'习近平会见布林肯。双方同意坚持相互尊重、和平共处。王毅参加会见。'}"
#define READOUT_EN                                                                                \
	"{'language':'en-US','publisher':'U.S. Department of State','url':null,'published':null," \
	"'text':'Secretary Blinken met President Xi Jinping and Foreign Minister Wang Yi; "       \
	"he raised the quokkawhistle matter. Blinken reaffirmed the one-China policy.'}"

/* ---- readouts: write and read ---- */

START_TEST(readouts_create_read_replace_patch)
{
	build_world();
	/* Absent on create: []. */
	json_t *m = wr_ok("POST", "/v1/meetings", "{'title':'Plain','date':'2024-01-01'}", 201);
	ck_assert(json_is_array(jget(m, "readouts")));
	ck_assert_int_eq(json_array_size(jget(m, "readouts")), 0);
	json_decref(m);

	m = wr_ok("POST", "/v1/meetings",
	          "{'title':'Xi meets Blinken','date':'2024-04-26','readout':'Xi Jinping met "
	          "Antony Blinken.','readouts':[" READOUT_ZH "," READOUT_EN "]}",
	          201);
	long long id = jint(m, "id");
	json_t *r = jget(m, "readouts");
	ck_assert_int_eq(json_array_size(r), 2);
	ck_assert_str_eq(jstr(r, "0.language"), "zh-Hans");
	ck_assert_str_eq(jstr(r, "0.publisher"), "Ministry of Foreign Affairs of the PRC");
	ck_assert_str_eq(jstr(r, "0.url"), "https://www.fmprc.gov.cn/zyxw/");
	ck_assert_str_eq(jstr(r, "0.published"), "2024-04-26");
	ck_assert_str_eq(jstr(r, "0.text"),
	                 "习近平会见布林肯。双方同意坚持相互尊重、和平共处。王毅参加会见。");
	ck_assert(json_is_null(jget(r, "1.url")));
	ck_assert(json_is_null(jget(r, "1.published")));
	/* Every item has every field, in the documented order. */
	const char *order[] = {"language", "publisher", "url", "published", "text"};
	for (size_t i = 0; i < 2; i++) {
		json_t *item = json_array_get(r, i);
		ck_assert_int_eq(json_object_size(item), 5);
		void *it = json_object_iter(item);
		for (int k = 0; k < 5; k++, it = json_object_iter_next(item, it))
			ck_assert_str_eq(json_object_iter_key(it), order[k]);
	}
	/* A missing url and published read back as null. */
	json_t *minimal = wr_ok("POST", "/v1/meetings",
	                        "{'title':'Minimal','date':'2024-01-02','readouts':[{'language':"
	                        "'fr','publisher':'Quai d\\u0027Orsay','text':'Texte.'}]}",
	                        201);
	ck_assert(json_is_null(jget(minimal, "readouts.0.url")));
	ck_assert(json_is_null(jget(minimal, "readouts.0.published")));
	ck_assert_str_eq(jstr(minimal, "readouts.0.publisher"), "Quai d'Orsay");
	json_decref(minimal);

	/* GET answers the same; the list's summaries have no readouts. */
	json_t *got = get_ok(F("/v1/meetings/%lld", id));
	ck_assert(json_equal(jget(got, "readouts"), r));
	json_decref(got);
	json_t *list = get_ok("/v1/meetings?limit=200");
	for (size_t i = 0; i < json_array_size(jget(list, "data")); i++) {
		json_t *item = json_array_get(jget(list, "data"), i);
		ck_assert_ptr_null(json_object_get(item, "readouts"));
		ck_assert_ptr_null(json_object_get(item, "readout"));
		ck_assert_ptr_null(json_object_get(item, "sources"));
	}
	json_decref(list);

	/* PATCH of another field keeps them; PATCH of readouts replaces the array. */
	json_t *p = wr_ok("PATCH", F("/v1/meetings/%lld", id), "{'summary':'Met.'}", 200);
	ck_assert(json_equal(jget(p, "readouts"), r));
	json_decref(p);
	p = wr_ok("PATCH", F("/v1/meetings/%lld", id), "{'readouts':[" READOUT_EN "]}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "readouts")), 1);
	ck_assert_str_eq(jstr(p, "readouts.0.language"), "en-US");
	ck_assert_str_eq(jstr(p, "summary"), "Met.");
	json_decref(p);
	p = wr_ok("PATCH", F("/v1/meetings/%lld", id), "{'readouts':null}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "readouts")), 0);
	json_decref(p);
	p = wr_ok("PATCH", F("/v1/meetings/%lld", id), "{'readouts':[" READOUT_ZH "]}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "readouts")), 1);
	json_decref(p);
	/* PUT without readouts empties them, as a replacement does. */
	p = wr_ok("PUT", F("/v1/meetings/%lld", id),
	          "{'title':'Xi meets Blinken','date':'2024-04-26'}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "readouts")), 0);
	json_decref(p);
	p = wr_ok("PUT", F("/v1/meetings/%lld", id),
	          "{'title':'Xi meets Blinken','date':'2024-04-26','readouts':[" READOUT_EN "]}",
	          200);
	ck_assert_int_eq(json_array_size(jget(p, "readouts")), 1);
	/* The body of a GET written back changes nothing. */
	json_t *again = get_ok(F("/v1/meetings/%lld", id));
	char *body = json_dumps(again, JSON_COMPACT);
	struct reply *same =
	    req(&h, "PUT", F("/v1/meetings/%lld", id), body, (const char *const[]){"AUTH", NULL});
	ck_assert_msg(same->status == 200, "%s", same->body);
	ck_assert(json_equal(jget(same->json, "readouts"), jget(p, "readouts")));
	reply_free(same);
	free(body);
	json_decref(again);
	json_decref(p);
	json_decref(m);
}
END_TEST

START_TEST(readouts_in_versions)
{
	json_t *m =
	    wr_ok("POST", "/v1/meetings",
	          "{'title':'Versioned','date':'2024-04-26','readouts':[" READOUT_ZH "]}", 201);
	long long id = jint(m, "id");
	json_decref(
	    wr_ok("PATCH", F("/v1/meetings/%lld", id), "{'readouts':[" READOUT_EN "]}", 200));
	json_t *v1 = get_ok(F("/v1/meetings/%lld/versions/1", id));
	ck_assert_str_eq(jstr(v1, "readouts.0.language"), "zh-Hans");
	ck_assert(json_equal(v1, m));
	json_t *v2 = get_ok(F("/v1/meetings/%lld/versions/2", id));
	ck_assert_str_eq(jstr(v2, "readouts.0.language"), "en-US");
	json_decref(v1);
	json_decref(v2);
	json_decref(m);
}
END_TEST

/* ---- readouts: validation ---- */

START_TEST(readouts_every_problem_listed)
{
	char long_publisher[202];
	memset(long_publisher, 'p', 201);
	long_publisher[201] = '\0';
	REFUSED(
	    "POST", "/v1/meetings",
	    F("{'title':'T','date':'2024-01-01','readouts':["
	      "'just text',"
	      "{'lang':'en','publisher':'','text':'x'},"
	      "{'language':'en_US','publisher':'P','url':'ftp://example.org/x',"
	      "'published':'2024-02-30','text':''},"
	      "{'language':'en','publisher':'%s','text':5},"
	      "{},"
	      "{'language':7,'publisher':['P'],'url':'https://ok.example/','published':20240101,"
	      "'text':'ok'},"
	      "[]]}",
	      long_publisher),
	    "/readouts/0", "/readouts/1/lang", "/readouts/1/language", "/readouts/1/publisher",
	    "/readouts/2/language", "/readouts/2/url", "/readouts/2/published", "/readouts/2/text",
	    "/readouts/3/publisher", "/readouts/3/text", "/readouts/4/language",
	    "/readouts/4/publisher", "/readouts/4/text", "/readouts/5/language",
	    "/readouts/5/publisher", "/readouts/5/published", "/readouts/6");
	/* With problems elsewhere in the body, all of them together. */
	REFUSED("POST", "/v1/meetings",
	        "{'title':'','date':'2024-13-01','readouts':[{'language':'e','publisher':'P',"
	        "'text':'t'}],'sources':[{'url':'nope'}]}",
	        "/title", "/date", "/readouts/0/language", "/sources/0/url");
	/* Not an array. */
	REFUSED("POST", "/v1/meetings", "{'title':'T','date':'2024-01-01','readouts':{}}",
	        "/readouts");
	REFUSED("POST", "/v1/meetings", "{'title':'T','date':'2024-01-01','readouts':'text'}",
	        "/readouts");
	/* Language tags by form. */
	const char *bad[] = {"e",         "en_US",    "english language",
	                     "en--US",    "123",      "en-x",
	                     "i-unknown", "en-US-US", "zh-Hans-CN-abcdefgh-abcdefgh-abcdefg",
	                     NULL};
	for (int i = 0; bad[i]; i++)
		REFUSED("POST", "/v1/meetings",
		        F("{'title':'T','date':'2024-01-01','readouts':[{'language':'%s',"
		          "'publisher':'P','text':'t'}]}",
		          bad[i]),
		        "/readouts/0/language");
	const char *good[] = {"en",         "zh-Hans",       "ZH-hant-TW", "es-419",   "sr-Latn-RS",
	                      "de-CH-1901", "en-US-x-twain", "x-private",  "i-navajo", "zh-yue-HK",
	                      NULL};
	for (int i = 0; good[i]; i++) {
		json_t *m = wr_ok("POST", "/v1/meetings",
		                  F("{'title':'Tag %d','date':'2024-01-01','readouts':[{'language':"
		                    "'%s','publisher':'P','text':'t'}]}",
		                    i, good[i]),
		                  201);
		ck_assert_str_eq(jstr(m, "readouts.0.language"), good[i]);
		json_decref(m);
	}
	/* PATCH and PUT validate as create does. */
	json_t *m = wr_ok("POST", "/v1/meetings", "{'title':'Target','date':'2024-01-01'}", 201);
	REFUSED("PATCH", F("/v1/meetings/%lld", jint(m, "id")),
	        "{'readouts':[{'language':'en','publisher':'P'}]}", "/readouts/0/text");
	REFUSED(
	    "PUT", F("/v1/meetings/%lld", jint(m, "id")),
	    "{'title':'Target','date':'2024-01-01','readouts':[{'language':'en','publisher':'P',"
	    "'text':'t','extra':1}]}",
	    "/readouts/0/extra");
	json_decref(m);
}
END_TEST

/* A readouts array of n items, each its own publisher. */
static const char *readouts_of(int n)
{
	static char buf[8192];
	size_t used = 0;
	used += (size_t)snprintf(buf + used, sizeof buf - used,
	                         "{'title':'Many %d','date':'2024-01-01','readouts':[", n);
	for (int i = 0; i < n; i++)
		used +=
		    (size_t)snprintf(buf + used, sizeof buf - used,
		                     "%s{'language':'en','publisher':'Publisher %d','text':'T %d'}",
		                     i ? "," : "", i, i);
	snprintf(buf + used, sizeof buf - used, "]}");
	return buf;
}

START_TEST(readouts_limits)
{
	json_t *m = wr_ok("POST", "/v1/meetings", readouts_of(10), 201);
	ck_assert_int_eq(json_array_size(jget(m, "readouts")), 10);
	json_decref(m);
	REFUSED("POST", "/v1/meetings", readouts_of(11), "/readouts");
	/* Eleven with a bad item: both problems. */
	char *eleven = strdup(readouts_of(11));
	char *at = strstr(eleven, "'language':'en','publisher':'Publisher 4'");
	memcpy(at, "'language':'e_'", strlen("'language':'e_'"));
	REFUSED("POST", "/v1/meetings", eleven, "/readouts", "/readouts/4/language");
	free(eleven);
	/* Text: 1 to 500,000 characters; publisher 1 to 200. */
	size_t n = 500000;
	char *text = malloc(n + 200);
	int head =
	    snprintf(text, 200,
	             "{\"title\":\"Long\",\"date\":\"2024-01-01\",\"readouts\":[{\"language\":"
	             "\"en\",\"publisher\":\"P\",\"text\":\"");
	memset(text + head, 'a', n);
	snprintf(text + head + n, 200 - 1, "\"}]}");
	struct reply *r =
	    req(&h, "POST", "/v1/meetings", text, (const char *const[]){"AUTH", NULL});
	ck_assert_msg(r->status == 201, "%ld", r->status);
	ck_assert_uint_eq(strlen(jstr(r->json, "readouts.0.text")), n);
	reply_free(r);
	memset(text + head, 'b', n);
	text[head + n] = 'b';
	snprintf(text + head + n + 1, 200 - 2, "\"}]}");
	r = req(&h, "POST", "/v1/meetings", text, (const char *const[]){"AUTH", NULL});
	ASSERT_422(r, "/readouts/0/text");
	reply_free(r);
	free(text);
	char pub[201];
	memset(pub, 'q', 200);
	pub[200] = '\0';
	json_decref(wr_ok("POST", "/v1/meetings",
	                  F("{'title':'Pub','date':'2024-01-01','readouts':[{'language':'en',"
	                    "'publisher':'%s','text':'t'}]}",
	                    pub),
	                  201));
}
END_TEST

START_TEST(readouts_language_and_publisher_unique)
{
	/* The same tag in another case is the same language. */
	REFUSED("POST", "/v1/meetings",
	        "{'title':'Dup','date':'2024-01-01','readouts':["
	        "{'language':'zh-Hans','publisher':'Xinhua','text':'a'},"
	        "{'language':'en','publisher':'Xinhua','text':'b'},"
	        "{'language':'ZH-hans','publisher':'Xinhua','text':'c'},"
	        "{'language':'en','publisher':'Xinhua','text':'d'}]}",
	        "/readouts/2", "/readouts/3");
	/* Another publisher or another language is another readout. */
	json_t *m = wr_ok("POST", "/v1/meetings",
	                  "{'title':'Distinct','date':'2024-01-01','readouts':["
	                  "{'language':'zh-Hans','publisher':'Xinhua','text':'a'},"
	                  "{'language':'zh-Hant','publisher':'Xinhua','text':'b'},"
	                  "{'language':'zh-Hans','publisher':'MFA','text':'c'}]}",
	                  201);
	ck_assert_int_eq(json_array_size(jget(m, "readouts")), 3);
	/* PATCH checks it too. */
	REFUSED("PATCH", F("/v1/meetings/%lld", jint(m, "id")),
	        "{'readouts':[{'language':'en','publisher':'X','text':'a'},"
	        "{'language':'EN','publisher':'X','text':'b'}]}",
	        "/readouts/1");
	json_decref(m);
}
END_TEST

/* ---- principles' aliases ---- */

START_TEST(principle_aliases)
{
	json_t *p = wr_ok(
	    "POST", "/v1/principles",
	    "{'name':'Peaceful coexistence','aliases':['和平共处','Coexistence in peace']}", 201);
	long long id = jint(p, "id");
	ck_assert_int_eq(json_array_size(jget(p, "aliases")), 2);
	ck_assert_str_eq(jstr(p, "aliases.0"), "和平共处");
	json_decref(p);
	/* Absent: []. */
	p = wr_ok("POST", "/v1/principles", "{'name':'Mutual respect'}", 201);
	ck_assert(json_is_array(jget(p, "aliases")));
	ck_assert_int_eq(json_array_size(jget(p, "aliases")), 0);
	json_decref(p);
	/* PATCH of another field keeps them; of aliases, replaces them. */
	p = wr_ok("PATCH", F("/v1/principles/%lld", id), "{'framework':'Five Principles'}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "aliases")), 2);
	json_decref(p);
	p = wr_ok("PATCH", F("/v1/principles/%lld", id), "{'aliases':['和平共处五项原则']}", 200);
	ck_assert_int_eq(json_array_size(jget(p, "aliases")), 1);
	ck_assert_str_eq(jstr(p, "aliases.0"), "和平共处五项原则");
	json_decref(p);
	p = get_ok(F("/v1/principles/%lld", id));
	ck_assert_str_eq(jstr(p, "aliases.0"), "和平共处五项原则");
	json_decref(p);
	/* Lists carry them. */
	json_t *list = get_ok("/v1/principles");
	ck_assert(json_is_array(jget(list, "data.0.aliases")));
	json_decref(list);

	/* Validation as participants' aliases: at most 20, 1-200 chars, distinct. */
	char buf[4096];
	size_t used = (size_t)snprintf(buf, sizeof buf, "{'name':'Many','aliases':[");
	for (int i = 0; i < 21; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s'Alias %d'",
		                         i ? "," : "", i);
	snprintf(buf + used, sizeof buf - used, "]}");
	REFUSED("POST", "/v1/principles", buf, "/aliases");
	strcpy(strstr(buf, ",'Alias 20'"), "]}");
	json_decref(wr_ok("POST", "/v1/principles", buf, 201));
	REFUSED("POST", "/v1/principles", "{'name':'X','aliases':['a','',7,'a']}", "/aliases/1",
	        "/aliases/2", "/aliases/3");
	REFUSED("POST", "/v1/principles", "{'name':'X','aliases':'a'}", "/aliases");
	REFUSED("PATCH", F("/v1/principles/%lld", id), "{'aliases':[null]}", "/aliases/0");
}
END_TEST

START_TEST(principles_q_matches_aliases)
{
	build_world();
	const struct {
		const char *q, *slug;
	} cases[] = {
	    {"%E5%92%8C%E5%B9%B3%E5%85%B1%E5%A4%84", "peaceful-coexistence"}, /* 和平共处 */
	    {"%E5%85%B1%E5%A4%84", "peaceful-coexistence"},                   /* 共处 */
	    {"COEXISTENCE%20IN", "peaceful-coexistence"},
	    {"in%20peace", "peaceful-coexistence"},
	    {"%E7%9B%B8%E4%BA%92", "mutual-respect"}, /* 相互 */
	    {"one-china", "one-china-policy"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *l = get_ok(F("/v1/principles?q=%s&count=true", cases[i].q));
		ck_assert_msg(jint(l, "total") == 1, "q=%s: %s", cases[i].q,
		              json_dumps(l, JSON_COMPACT));
		ck_assert_str_eq(jstr(l, "data.0.slug"), cases[i].slug);
		json_decref(l);
	}
	json_t *l = get_ok("/v1/principles?q=nothing-like-it&count=true");
	ck_assert_int_eq(jint(l, "total"), 0);
	json_decref(l);
	/* With the framework filter and a name sort, paged. */
	l = get_ok("/v1/principles?q=%E5%92%8C%E5%B9%B3&sort=first_invoked_date");
	ck_assert_int_eq(json_array_size(jget(l, "data")), 1);
	json_decref(l);
}
END_TEST

/* ---- search ---- */

/* The slugs of the hits of /v1/search?q (and type), as one space-joined string. */
static const char *search_slugs(const char *q)
{
	static char out[1024];
	json_t *r = get_ok(F("/v1/search?%s", q));
	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(jget(r, "data")); i++) {
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "",
		         jstr(json_array_get(jget(r, "data"), i), "slug"));
	}
	json_decref(r);
	return out;
}

START_TEST(search_finds_aliases_and_readouts)
{
	build_world();
	/* A principle by an alias word only its aliases hold. */
	ck_assert_str_eq(search_slugs("q=coexistence%20in%20peace&type=principle"),
	                 "peaceful-coexistence");
	json_t *r = get_ok("/v1/search?q=%22coexistence%20in%20peace%22&type=principle");
	ck_assert_msg(strstr(jstr(r, "data.0.snippet"), "<mark>") != NULL, "%s",
	              jstr(r, "data.0.snippet"));
	json_decref(r);
	/* A new alias is searchable at once; a removed one no longer. */
	json_decref(wr_ok("PATCH", "/v1/principles/mutual-respect",
	                  "{'aliases':['Reciprocal esteem']}", 200));
	ck_assert_str_eq(search_slugs("q=esteem"), "mutual-respect");
	json_decref(wr_ok("PATCH", "/v1/principles/mutual-respect", "{'aliases':[]}", 200));
	ck_assert_str_eq(search_slugs("q=esteem"), "");

	/* A meeting by a word only one of its readouts holds. */
	json_t *m = wr_ok("POST", "/v1/meetings",
	                  "{'title':'Xi meets Blinken','date':'2024-04-26','readout':'They met.',"
	                  "'readouts':[" READOUT_ZH "," READOUT_EN "]}",
	                  201);
	ck_assert_str_eq(search_slugs("q=quokkawhistle"), jstr(m, "slug"));
	ck_assert_str_eq(search_slugs("q=quokkawhistle&type=meeting"), jstr(m, "slug"));
	/* CJK: a run of the Chinese readout, and a principle by its Chinese
	 * alias (two characters or more match anywhere in a run). */
	ck_assert_str_eq(search_slugs("q=%E5%92%8C%E5%B9%B3%E5%85%B1%E5%A4%84&type=meeting"),
	                 jstr(m, "slug")); /* 和平共处 */
	ck_assert_str_eq(search_slugs("q=%E5%92%8C%E5%B9%B3%E5%85%B1%E5%A4%84&type=principle"),
	                 "peaceful-coexistence");
	ck_assert_str_eq(search_slugs("q=%E5%B9%B3%E5%85%B1&type=principle"),
	                 "peaceful-coexistence"); /* 平共, inside the alias */
	r = get_ok("/v1/search?q=%E5%92%8C%E5%B9%B3%E5%85%B1%E5%A4%84&type=meeting");
	ck_assert_msg(strstr(jstr(r, "data.0.snippet"), "<mark>") != NULL, "%s",
	              jstr(r, "data.0.snippet"));
	json_decref(r);
	r = get_ok("/v1/search?q=quokkawhistle");
	ck_assert_msg(strstr(jstr(r, "data.0.snippet"), "<mark>quokkawhistle</mark>") != NULL, "%s",
	              jstr(r, "data.0.snippet"));
	json_decref(r);
	json_t *l = get_ok("/v1/meetings?q=quokkawhistle&count=true");
	ck_assert_int_eq(jint(l, "total"), 1);
	json_decref(l);
	/* Replaced readouts leave the index in step. */
	json_decref(wr_ok("PATCH", F("/v1/meetings/%lld", jint(m, "id")),
	                  "{'readouts':[{'language':'en','publisher':'P','text':'A marmotflute "
	                  "instead.'}]}",
	                  200));
	ck_assert_str_eq(search_slugs("q=quokkawhistle"), "");
	ck_assert_str_eq(search_slugs("q=marmotflute"), jstr(m, "slug"));
	/* The readout and title are still found. */
	ck_assert_str_eq(search_slugs("q=blinken&type=meeting"), jstr(m, "slug"));
	/* A deleted meeting is gone from the index. */
	struct reply *d = wr("DELETE", F("/v1/meetings/%lld", jint(m, "id")), NULL);
	ck_assert_int_eq(d->status, 204);
	reply_free(d);
	ck_assert_str_eq(search_slugs("q=marmotflute"), "");
	json_decref(m);
}
END_TEST

/* ---- export and import ---- */

/* The document without ids and timestamps (new reference). */
static json_t *without_ids(json_t *doc)
{
	static const char *const drop[] = {"id", "created_at", "updated_at", NULL};
	json_t *copy = json_deep_copy(doc);
	const char *lists[] = {"participants", "principles", "meetings"};
	for (int l = 0; l < 3; l++) {
		size_t i;
		json_t *item;
		json_array_foreach(json_object_get(copy, lists[l]), i, item)
		{
			for (int k = 0; drop[k]; k++)
				json_object_del(item, drop[k]);
		}
	}
	return copy;
}

START_TEST(export_import_carries_readouts_and_aliases)
{
	build_world();
	json_decref(wr_ok("POST", "/v1/meetings",
	                  "{'title':'Xi meets Blinken','date':'2024-04-26','readout':'Met.',"
	                  "'participants':[{'slug':'xi-jinping'}],"
	                  "'readouts':[" READOUT_ZH "," READOUT_EN "]}",
	                  201));
	json_t *exported = get_ok("/v1/export");
	json_t *meeting = json_array_get(jget(exported, "meetings"), 0);
	ck_assert_int_eq(json_array_size(jget(meeting, "readouts")), 2);
	ck_assert_str_eq(jstr(meeting, "readouts.1.publisher"), "U.S. Department of State");
	json_t *principle = json_array_get(jget(exported, "principles"), 1);
	ck_assert_str_eq(jstr(principle, "aliases.0"), "和平共处");

	/* Into an empty store and out again: the same document. */
	struct harness other;
	harness_start(&other, NULL);
	char *doc = json_dumps(exported, JSON_COMPACT);
	struct reply *r =
	    req(&other, "POST", "/v1/import", doc, (const char *const[]){"AUTH", NULL});
	ck_assert_msg(r->status == 200, "%s", r->body);
	reply_free(r);
	free(doc);
	json_t *again = get_ok_on(&other, "/v1/export");
	json_t *a = without_ids(exported), *b = without_ids(again);
	char *sa = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *sb = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_str_eq(sa, sb);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	json_decref(again);
	/* The import validates readouts and aliases as writes do. */
	r = wr_on(
	    &other, "POST", "/v1/import",
	    "{'format':'readout/1','principles':[{'slug':'p','name':'P','aliases':['a','a']}],"
	    "'meetings':[{'slug':'m','title':'M','date':'2024-01-01','readouts':[{'language':"
	    "'en','publisher':'P'}]}]}");
	ASSERT_422(r, "/principles/0/aliases/1", "/meetings/0/readouts/0/text");
	reply_free(r);
	harness_stop(&other);
	json_decref(exported);
}
END_TEST

/* ---- mentions ---- */

/* The item of list (participants or principles of one text) with slug, or NULL. */
static json_t *named(json_t *list, const char *slug)
{
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		if (strcmp(jstr(item, "slug"), slug) == 0)
			return item;
	}
	return NULL;
}

START_TEST(mentions_of_each_text)
{
	build_world();
	json_t *m = wr_ok(
	    "POST", "/v1/meetings",
	    "{'title':'Xi meets Blinken','date':'2024-04-26',"
	    "'readout':'President Xi Jinping met Antony Blinken. Xi Jinping said mutual RESPECT "
	    "matters; Blinken (Anthony Blinken in the headline) agreed. Wang Yilin was not there.',"
	    "'sources':[{'url':'https://www.fmprc.gov.cn/eng/','publisher':'MFA','language':'en'}],"
	    "'participants':[{'slug':'xi-jinping','role':'host'},{'slug':'antony-blinken','role':"
	    "'guest'},{'slug':'wang-yi'}],"
	    "'principles':[{'slug':'mutual-respect','invoked_by':'xi-jinping'}],"
	    "'readouts':[{'language':'zh-Hans','publisher':'Xinhua','text':'双方同意坚持相互尊重、"
	    "和平共处'}," READOUT_EN "]}",
	    201);
	long long id = jint(m, "id");
	json_t *doc = get_ok(F("/v1/meetings/%lld/mentions", id));
	json_t *data = jget(doc, "data");
	ck_assert_int_eq(json_array_size(data), 3);

	/* The readout: its language and publisher are its first source's. */
	json_t *t = json_array_get(data, 0);
	ck_assert_str_eq(jstr(t, "text"), "readout");
	ck_assert_str_eq(jstr(t, "language"), "en");
	ck_assert_str_eq(jstr(t, "publisher"), "MFA");
	json_t *xi = named(jget(t, "participants"), "xi-jinping");
	ck_assert_ptr_nonnull(xi);
	ck_assert_int_eq(jint(xi, "count"), 2);
	ck_assert_str_eq(jstr(xi, "name"), "Xi Jinping");
	ck_assert_int_gt(jint(xi, "id"), 0);
	/* "Antony Blinken", "Blinken", "Anthony Blinken": three places, once each. */
	ck_assert_int_eq(jint(named(jget(t, "participants"), "antony-blinken"), "count"), 3);
	/* "Wang Yilin" is not Wang Yi. */
	ck_assert_ptr_null(named(jget(t, "participants"), "wang-yi"));
	ck_assert_int_eq(json_array_size(jget(t, "participants")), 2);
	/* Most named first. */
	ck_assert_str_eq(jstr(t, "participants.0.slug"), "antony-blinken");
	ck_assert_int_eq(jint(named(jget(t, "principles"), "mutual-respect"), "count"), 1);
	ck_assert_int_eq(json_array_size(jget(t, "principles")), 1);
	json_t *keys = json_array_get(jget(t, "participants"), 0);
	ck_assert_int_eq(json_object_size(keys), 4);

	/* The Chinese readout names two principles by their Chinese aliases;
	 * peaceful coexistence was not invoked at the meeting and is found. */
	t = json_array_get(data, 1);
	ck_assert(json_is_integer(jget(t, "text")));
	ck_assert_int_eq(jint(t, "text"), 0);
	ck_assert_str_eq(jstr(t, "language"), "zh-Hans");
	ck_assert_str_eq(jstr(t, "publisher"), "Xinhua");
	ck_assert_int_eq(json_array_size(jget(t, "principles")), 2);
	ck_assert_int_eq(jint(named(jget(t, "principles"), "mutual-respect"), "count"), 1);
	ck_assert_int_eq(jint(named(jget(t, "principles"), "peaceful-coexistence"), "count"), 1);
	ck_assert_int_eq(json_array_size(jget(t, "participants")), 0);

	/* The English one: people by name and alias, a principle by name. */
	t = json_array_get(data, 2);
	ck_assert_int_eq(jint(t, "text"), 1);
	ck_assert_str_eq(jstr(t, "language"), "en-US");
	ck_assert_int_eq(jint(named(jget(t, "participants"), "antony-blinken"), "count"), 2);
	ck_assert_int_eq(jint(named(jget(t, "participants"), "xi-jinping"), "count"), 1);
	ck_assert_int_eq(jint(named(jget(t, "participants"), "wang-yi"), "count"), 1);
	ck_assert_int_eq(jint(named(jget(t, "principles"), "one-china-policy"), "count"), 1);
	/* Joe Biden did not attend: he is not looked for. */
	ck_assert_ptr_null(named(jget(t, "participants"), "joe-biden"));
	json_decref(doc);

	/* By slug too, with an ETag that revalidates. */
	struct reply *r = get(&h, F("/v1/meetings/%s/mentions", jstr(m, "slug")));
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(reply_header(r, "ETag"));
	char etag[64];
	snprintf(etag, sizeof etag, "If-None-Match: %s", reply_header(r, "ETag"));
	reply_free(r);
	r = req(&h, "GET", F("/v1/meetings/%lld/mentions", id), NULL,
	        (const char *const[]){etag, NULL});
	ck_assert_int_eq(r->status, 304);
	reply_free(r);

	/* A new alias counts at once. */
	json_decref(wr_ok("PATCH", "/v1/participants/joe-biden", "{'aliases':['Biden']}", 200));
	json_decref(wr_ok("PUT", F("/v1/meetings/%lld/participants/joe-biden", id),
	                  "{'role':'attendee'}", 200));
	json_decref(wr_ok("PATCH", F("/v1/meetings/%lld", id),
	                  "{'readout':'Biden and Joe Biden; no more.','sources':[]}", 200));
	doc = get_ok(F("/v1/meetings/%lld/mentions", id));
	t = json_array_get(jget(doc, "data"), 0);
	ck_assert(json_is_null(jget(t, "language")));
	ck_assert(json_is_null(jget(t, "publisher")));
	ck_assert_int_eq(jint(named(jget(t, "participants"), "joe-biden"), "count"), 2);
	json_decref(doc);
	json_decref(m);
}
END_TEST

START_TEST(mentions_edges)
{
	/* No readout, no readouts: no texts. */
	json_t *m = wr_ok("POST", "/v1/meetings", "{'title':'Empty','date':'2024-01-01'}", 201);
	json_t *doc = get_ok(F("/v1/meetings/%lld/mentions", jint(m, "id")));
	ck_assert(json_is_array(jget(doc, "data")));
	ck_assert_int_eq(json_array_size(jget(doc, "data")), 0);
	json_decref(doc);
	json_decref(m);
	/* Readouts only: indexes from 0. */
	m = wr_ok("POST", "/v1/meetings",
	          "{'title':'Only others','date':'2024-01-01','readouts':[" READOUT_EN "]}", 201);
	doc = get_ok(F("/v1/meetings/%lld/mentions", jint(m, "id")));
	ck_assert_int_eq(json_array_size(jget(doc, "data")), 1);
	ck_assert_int_eq(jint(doc, "data.0.text"), 0);
	ck_assert_int_eq(json_array_size(jget(doc, "data.0.participants")), 0);
	json_decref(doc);
	json_decref(m);
	/* Unknown meetings and bad refs. */
	struct reply *r = get(&h, "/v1/meetings/999999/mentions");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, "/v1/meetings/no-such-meeting/mentions");
	assert_problem(r, 404, "not-found");
	reply_free(r);
	r = get(&h, "/v1/meetings/Bad%20Ref/mentions");
	assert_problem(r, 400, NULL);
	reply_free(r);
	r = wr("POST", "/v1/meetings/1/mentions", "{}");
	ck_assert_int_eq(r->status, 405);
	reply_free(r);
}
END_TEST

/* On the bundled sample: the Chinese aliases find principles in a Chinese
 * readout written by a client. */
START_TEST(mentions_on_the_sample)
{
	struct harness s;
	harness_start(&s, (const char *const[]){"--sample-data", NULL});
	const char *slug =
	    "2024-04-26-president-xi-jinping-meets-u-s-secretary-of-state-antony-blinken";
	json_t *doc = get_ok_on(&s, F("/v1/meetings/%s/mentions", slug));
	json_t *t = json_array_get(jget(doc, "data"), 0);
	ck_assert_str_eq(jstr(t, "text"), "readout");
	ck_assert_int_ge(jint(named(jget(t, "participants"), "xi-jinping"), "count"), 1);
	ck_assert_int_ge(jint(named(jget(t, "participants"), "antony-blinken"), "count"), 1);
	json_decref(doc);
	struct reply *r = wr_on(&s, "PATCH", F("/v1/meetings/%s", slug),
	                        "{'readouts':[{'language':'zh-Hans','publisher':'新华社','text':'"
	                        "双方同意坚持相互尊重、和平共处'}]}");
	ck_assert_msg(r->status == 200, "%s", r->body);
	reply_free(r);
	doc = get_ok_on(&s, F("/v1/meetings/%s/mentions", slug));
	t = json_array_get(jget(doc, "data"), 1);
	ck_assert_int_eq(jint(t, "text"), 0);
	ck_assert_int_eq(json_array_size(jget(t, "principles")), 2);
	ck_assert_int_eq(jint(named(jget(t, "principles"), "mutual-respect"), "count"), 1);
	ck_assert_int_eq(jint(named(jget(t, "principles"), "peaceful-coexistence"), "count"), 1);
	json_decref(doc);
	harness_stop(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_readouts");
	TCase *tc = tcase_create("readouts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, readouts_create_read_replace_patch);
	tcase_add_test(tc, readouts_in_versions);
	tcase_add_test(tc, readouts_every_problem_listed);
	tcase_add_test(tc, readouts_limits);
	tcase_add_test(tc, readouts_language_and_publisher_unique);
	tcase_add_test(tc, principle_aliases);
	tcase_add_test(tc, principles_q_matches_aliases);
	tcase_add_test(tc, search_finds_aliases_and_readouts);
	tcase_add_test(tc, export_import_carries_readouts_and_aliases);
	tcase_add_test(tc, mentions_of_each_text);
	tcase_add_test(tc, mentions_edges);
	tcase_add_test(tc, mentions_on_the_sample);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
