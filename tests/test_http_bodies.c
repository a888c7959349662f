/* HTTP tests of the stored meeting bodies (migrations 0008): a read by id
 * answers the bytes the meeting's last write answered, and never a body
 * that something it embeds (a participant, a principle, a related meeting,
 * its nested rows) has since outdated, whatever the order of writes; a
 * stale body is rendered on read and filled again in the background. On
 * either backend, with the response cache off so that every read reaches
 * the store. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "model/model.h"

#define F path_fmt

static struct harness h;

static void setup(void)
{
	harness_start(&h, (const char *const[]){"--cache-size", "0", NULL});
}

static void teardown(void)
{
	harness_stop(&h);
}

/* A write that must not fail on the server's side; returns its status. */
static long wr(const char *method, const char *path, const char *body)
{
	struct reply *r = write_quoted(&h, method, path, body, NULL);
	long status = r->status;
	ck_assert_msg(status > 0 && status < 500, "%s %s: %ld %s", method, path, status, r->body);
	reply_free(r);
	return status;
}

/* Creates a record; returns its id. */
static long long create(const char *collection, const char *body)
{
	struct reply *r = write_quoted(&h, "POST", collection, body, NULL);
	ck_assert_msg(r->status == 201 && r->json, "POST %s: %ld %s", collection, r->status,
	              r->body);
	long long id = jint(r->json, "id");
	reply_free(r);
	return id;
}

/* The member of the array list whose key equals value (a string). */
static json_t *find_by(json_t *list, const char *key, const char *value)
{
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		const char *v = json_string_value(json_object_get(item, key));
		if (v && strcmp(v, value) == 0)
			return item;
	}
	ck_abort_msg("nothing with %s %s in the export", key, value);
	return NULL;
}

/* Copies the members of from named in keys (NULL-terminated) into to. */
static void copy_members(json_t *to, json_t *from, const char *const *keys)
{
	for (; *keys; keys++)
		json_object_set(to, *keys, json_object_get(from, *keys));
}

/* The meeting as a read by id must give it, built from the export (new
 * reference): the export renders from the records at the time of asking
 * and names nested records by slug, so the embedded names, titles, dates
 * and ids come from its participants, principles and meetings. */
static json_t *expected_meeting(json_t *doc, json_t *exported)
{
	json_t *people = json_object_get(doc, "participants");
	json_t *principles = json_object_get(doc, "principles");
	json_t *meetings = json_object_get(doc, "meetings");
	json_t *m = json_deep_copy(exported);
	size_t i;
	json_t *item;
	json_t *list = json_array();
	json_array_foreach(json_object_get(exported, "participants"), i, item)
	{
		json_t *p = find_by(people, "slug", jstr(item, "slug"));
		json_t *e = json_pack("{s:O}", "role", json_object_get(item, "role"));
		copy_members(e, p,
		             (const char *const[]){"id", "slug", "name", "title", "country", NULL});
		json_array_append_new(list, e);
	}
	json_object_set_new(m, "participants", list);
	list = json_array();
	json_array_foreach(json_object_get(exported, "principles"), i, item)
	{
		json_t *q = find_by(principles, "slug", jstr(item, "slug"));
		json_t *e = json_object();
		copy_members(e, q, (const char *const[]){"id", "slug", "name", "framework", NULL});
		copy_members(e, item, (const char *const[]){"stance", "quote", NULL});
		const char *by = jstr(item, "invoked_by");
		json_object_set(e, "invoked_by",
		                by ? json_object_get(find_by(people, "slug", by), "id")
		                   : json_null());
		json_array_append_new(list, e);
	}
	json_object_set_new(m, "principles", list);
	list = json_array();
	json_array_foreach(json_object_get(exported, "related"), i, item)
	{
		json_t *o = find_by(meetings, "slug", jstr(item, "slug"));
		json_t *e = json_pack("{s:O}", "relation", json_object_get(item, "relation"));
		copy_members(e, o, (const char *const[]){"id", "slug", "title", "date", NULL});
		json_array_append_new(list, e);
	}
	json_object_set_new(m, "related", list);
	return m;
}

/* Every meeting read by id equals the meeting as the export renders it
 * from its records now; returns how many meetings there are. */
static size_t assert_reads_match_a_fresh_render(const char *after)
{
	json_t *doc = get_json(&h, "/v1/export");
	json_t *meetings = json_object_get(doc, "meetings");
	ck_assert_ptr_nonnull(meetings);
	size_t i;
	json_t *m;
	json_array_foreach(meetings, i, m)
	{
		long long id = jint(m, "id");
		struct reply *r = get(&h, F("/v1/meetings/%lld", id));
		ck_assert_int_eq(r->status, 200);
		/* Whether stored with the body or computed, the ETag is its bytes'. */
		char etag[MODEL_ETAG_LEN + 1];
		model_etag(r->body, r->len, etag);
		ck_assert_msg(strcmp(reply_header(r, "ETag"), etag) == 0,
		              "after %s, meeting %lld has ETag %s, its bytes %s", after, id,
		              reply_header(r, "ETag"), etag);
		json_t *want = expected_meeting(doc, m);
		if (!json_equal(r->json, want)) {
			char *a = json_dumps(r->json, JSON_SORT_KEYS),
			     *b = json_dumps(want, JSON_SORT_KEYS);
			ck_abort_msg("after %s, meeting %lld reads\n%s\nbut is\n%s", after, id, a,
			             b);
		}
		json_decref(want);
		reply_free(r);
	}
	/* The same meetings as list items (by date: the stored summaries, in
	 * meeting_list's order, whose keys follow every date). */
	json_t *list = get_json(&h, "/v1/meetings?limit=200&sort=date");
	ck_assert_uint_eq(json_array_size(jget(list, "data")), json_array_size(meetings));
	const char *last_date = "";
	long long last_id = 0;
	json_array_foreach(jget(list, "data"), i, m)
	{
		int order = strcmp(jstr(m, "date"), last_date);
		ck_assert_msg(order > 0 || (order == 0 && jint(m, "id") > last_id),
		              "after %s, meeting %lld of %s is listed after %lld of %s", after,
		              jint(m, "id"), jstr(m, "date"), last_id, last_date);
		last_date = jstr(m, "date");
		last_id = jint(m, "id");
		char id[32];
		snprintf(id, sizeof id, "%lld", jint(m, "id"));
		json_t *exported = NULL;
		size_t k;
		json_t *e;
		json_array_foreach(meetings, k, e) if (jint(e, "id") == jint(m, "id")) exported = e;
		ck_assert_ptr_nonnull(exported);
		json_t *want = expected_meeting(doc, exported);
		for (const char *const *key =
		         (const char *const[]){"readout", "sources", "readouts", "related", NULL};
		     *key; key++)
			json_object_del(want, *key);
		if (!json_equal(m, want)) {
			char *a = json_dumps(m, JSON_SORT_KEYS),
			     *b = json_dumps(want, JSON_SORT_KEYS);
			ck_abort_msg("after %s, meeting %s is listed as\n%s\nbut is\n%s", after, id,
			             a, b);
		}
		json_decref(want);
	}
	/* Newest first between two dates: those of the list by date within
	 * them, in the opposite order. */
	json_t *bounded = get_json(&h, "/v1/meetings?limit=200&from=2023-04-01&to=2024-01-03");
	size_t within = json_array_size(jget(bounded, "data"));
	json_array_foreach(jget(list, "data"), i, m)
	{
		if (strcmp(jstr(m, "date"), "2023-04-01") < 0 ||
		    strcmp(jstr(m, "date"), "2024-01-03") > 0)
			continue;
		ck_assert_msg(within > 0, "after %s, meeting %lld of %s is not between the dates",
		              after, jint(m, "id"), jstr(m, "date"));
		ck_assert_msg(json_equal(json_array_get(jget(bounded, "data"), --within), m),
		              "after %s, the list between two dates differs at meeting %lld", after,
		              jint(m, "id"));
	}
	ck_assert_uint_eq(within, 0);
	json_decref(bounded);
	json_decref(list);
	size_t n = json_array_size(meetings);
	json_decref(doc);
	return n;
}

/* Waits up to 10 s for the server to fill every stale stored body. */
static void wait_filled(void)
{
	long long stale = -1;
	for (int tries = 0; tries < 100 && stale != 0; tries++) {
		stale = harness_sql_int(&h, "SELECT count(*) FROM meeting_json WHERE body IS NULL");
		if (stale)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(stale, 0);
}

static unsigned long long rng = 0x5eedb0d1e5ull;

static unsigned pick(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rng >> 33) % n;
}

#define PEOPLE 5
#define PRINCIPLES 4

/* Random writes of every kind that changes what a meeting embeds, each
 * followed by a full comparison. A missed invalidation leaves a stored
 * body that no later write mends (the filler renders only NULL ones), so
 * it shows at the comparison after the write that missed it. */
START_TEST(stored_bodies_follow_every_change)
{
	long long people[PEOPLE], principles[PRINCIPLES], meetings[64];
	size_t meeting_count = 0;
	static const char *const countries[] = {"FR", "CN", "BR"};
	for (int i = 0; i < PEOPLE; i++)
		people[i] = create("/v1/participants",
		                   F("{'name':'Person %d','title':'Envoy','country':'FR'}", i));
	for (int i = 0; i < PRINCIPLES; i++)
		principles[i] =
		    create("/v1/principles", F("{'name':'Principle %d','framework':'Charter'}", i));
	for (int i = 0; i < 6; i++) {
		long long id = create(
		    "/v1/meetings",
		    F("{'title':'Meeting "
		      "%d','date':'2024-01-%02d','participants':[{'id':%lld,'role':"
		      "'host'},{'id':%lld}],'principles':[{'id':%lld,'stance':'cited','invoked_by':"
		      "%lld}]"
		      "%s}",
		      i, i + 1, people[i % PEOPLE], people[(i + 1) % PEOPLE],
		      principles[i % PRINCIPLES], people[i % PEOPLE],
		      i ? F(",'related':[{'id':%lld,'relation':'references'}]", meetings[i - 1])
		        : ""));
		meetings[meeting_count++] = id;
	}
	assert_reads_match_a_fresh_render("the set-up");

	char what[160];
	for (int step = 0; step < 90; step++) {
		long long p = people[pick(PEOPLE)], q = principles[pick(PRINCIPLES)];
		long long m = meetings[pick((unsigned)meeting_count)];
		long long o = meetings[pick((unsigned)meeting_count)];
		unsigned op = pick(10);
		snprintf(what, sizeof what, "step %d (op %u)", step, op);
		switch (op) {
		case 0: /* what a meeting shows of a participant */
			wr("PATCH", F("/v1/participants/%lld", p),
			   pick(2) ? F("{'name':'Person %lld step %d'}", p, step)
			           : F("{'title':'Title %d','country':'%s'}", step,
			               countries[pick(3)]));
			break;
		case 1: /* a participant's slug, and nothing a meeting shows */
			wr("PATCH", F("/v1/participants/%lld", p),
			   pick(2) ? F("{'slug':'person-%lld-%d'}", p, step)
			           : F("{'organization':'Org %d'}", step));
			break;
		case 2: /* what a meeting shows of a principle */
			wr("PATCH", F("/v1/principles/%lld", q),
			   pick(2) ? F("{'name':'Principle %lld step %d'}", q, step)
			           : F("{'framework':'Framework %d','description':'Text %d'}", step,
			               step));
			break;
		case 3: /* what related meetings show of this one */
			wr("PATCH", F("/v1/meetings/%lld", m),
			   pick(2) ? F("{'title':'Meeting %lld step %d'}", m, step)
			           : F("{'date':'2023-%02d-01','summary':'Step %d'}", 1 + pick(12),
			               step));
			break;
		case 4:
			wr("PUT", F("/v1/meetings/%lld/participants/%lld", m, p),
			   pick(2) ? "{'role':'guest'}" : "{'role':'attendee'}");
			break;
		case 5: /* also clears invoked_by where p invoked */
			wr("DELETE", F("/v1/meetings/%lld/participants/%lld", m, p), NULL);
			break;
		case 6:
			wr("PUT", F("/v1/meetings/%lld/principles/%lld", m, q),
			   pick(2) ? "{'stance':'proposed'}"
			           : "{'stance':'reaffirmed','quote':'Said.'}");
			break;
		case 7:
			wr("DELETE", F("/v1/meetings/%lld/principles/%lld", m, q), NULL);
			break;
		case 8: /* links: a new meeting pointing at two, or new links of one */
			if (pick(2) && meeting_count < 64) {
				long long id = create(
				    "/v1/meetings",
				    F("{'title':'Follow-up "
				      "%d','date':'2025-02-01','participants':[{'id':%lld}],"
				      "'related':[{'id':%lld,'relation':'follows_up'}%s]}",
				      step, p, m,
				      o != m ? F(",{'id':%lld,'relation':'references'}", o) : ""));
				meetings[meeting_count++] = id;
			} else if (o != m)
				wr("PATCH", F("/v1/meetings/%lld", m),
				   F("{'related':[{'id':%lld,'relation':'references'}]}", o));
			break;
		case 9: /* a deletion removes the links others had to it */
			if (meeting_count > 4) {
				unsigned k = pick((unsigned)meeting_count);
				wr("DELETE", F("/v1/meetings/%lld", meetings[k]), NULL);
				meetings[k] = meetings[--meeting_count];
			}
			break;
		}
		ck_assert_uint_eq(assert_reads_match_a_fresh_render(what), meeting_count);
	}
	/* The comparisons so far went through stored bodies, not only renders. */
	ck_assert_int_gt(
	    harness_sql_int(&h, "SELECT count(*) FROM meeting_json WHERE body IS NOT NULL"), 0);
	/* Writes from elsewhere (psql, another program) to any table a body
	 * draws on. */
	static const char *const elsewhere[] = {
	    "UPDATE attendances SET role = 'guest' WHERE role = 'host'",
	    "DELETE FROM invocations WHERE stance = 'cited'",
	    "UPDATE invocations SET quote = 'Quoted elsewhere.'",
	    "DELETE FROM meeting_links WHERE relation = 'follows_up'",
	    "UPDATE meeting_links SET relation = 'follows_up'",
	    "UPDATE meetings SET summary = 'Summarised elsewhere.'",
	    "UPDATE meetings SET date = '2023-06-15' WHERE id % 2 = 0",
	    "UPDATE participants SET country = 'JP'",
	    "UPDATE principles SET framework = NULL",
	};
	for (size_t i = 0; i < sizeof elsewhere / sizeof *elsewhere; i++) {
		wait_filled(); /* so that a missed one shows */
		harness_sql(&h, elsewhere[i]);
		assert_reads_match_a_fresh_render(elsewhere[i]);
	}
}
END_TEST

/* A read by id answers the bytes and the ETag of the write's answer and of
 * the version it recorded. */
START_TEST(a_read_answers_the_bytes_of_the_write)
{
	long long p = create("/v1/participants", "{'name':'Wang Yi'}");
	struct reply *w = write_quoted(
	    &h, "POST", "/v1/meetings",
	    F("{'title':'Talks','date':'2024-05-01','participants':[{'id':%lld,'role':'host'}],"
	      "'readouts':[{'language':'zh-Hans','publisher':'外交部','text':'双方同意。'}]}",
	      p),
	    NULL);
	ck_assert_int_eq(w->status, 201);
	long long id = jint(w->json, "id");
	/* The write stored its body itself, not left it for the background
	 * filler (which looks once a second): nothing the write did after
	 * storing it, such as the search index's upkeep, cleared it. */
	ck_assert_int_eq(harness_sql_int(&h, F("SELECT count(*) FROM meeting_json WHERE "
	                                       "meeting_id = %lld AND body IS NOT NULL",
	                                       id)),
	                 1);
	struct reply *r = get(&h, F("/v1/meetings/%lld", id));
	struct reply *v = get(&h, F("/v1/meetings/%lld/versions/1", id));
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body, w->body);
	ck_assert_str_eq(v->body, w->body);
	ck_assert_str_eq(reply_header(r, "ETag"), reply_header(w, "ETag"));
	reply_free(w);
	reply_free(r);
	reply_free(v);
}
END_TEST

/* A read sends the ETag stored with the body, not a hash of each read; a
 * body stored without one (before schema 12) is answered with its bytes'
 * ETag, until its next write stores one. */
START_TEST(a_read_sends_the_stored_etag)
{
	long long id = create("/v1/meetings", "{'title':'Talks','date':'2024-05-01'}");
	struct reply *before = get(&h, F("/v1/meetings/%lld", id));
	ck_assert_int_eq(harness_sql_int(&h, F("SELECT count(*) FROM meeting_json WHERE "
	                                       "meeting_id = %lld AND etag = '%s'",
	                                       id, reply_header(before, "ETag"))),
	                 1);
	harness_sql(&h, F("UPDATE meeting_json SET etag = NULL WHERE meeting_id = %lld", id));
	struct reply *none = get(&h, F("/v1/meetings/%lld", id));
	ck_assert_str_eq(none->body, before->body);
	ck_assert_str_eq(reply_header(none, "ETag"), reply_header(before, "ETag"));
	/* A stored ETag is sent as stored: here one no body hashes to. */
	harness_sql(&h, F("UPDATE meeting_json SET etag = '\"0000000000000000\"' "
	                  "WHERE meeting_id = %lld",
	                  id));
	struct reply *stored = get(&h, F("/v1/meetings/%lld", id));
	ck_assert_str_eq(stored->body, before->body);
	ck_assert_str_eq(reply_header(stored, "ETag"), "\"0000000000000000\"");
	/* The next write stores the ETag of what it answered. */
	struct reply *w =
	    write_quoted(&h, "PATCH", F("/v1/meetings/%lld", id), "{'summary':'Agreed.'}", NULL);
	ck_assert_int_eq(w->status, 200);
	struct reply *after = get(&h, F("/v1/meetings/%lld", id));
	ck_assert_str_eq(after->body, w->body);
	ck_assert_str_eq(reply_header(after, "ETag"), reply_header(w, "ETag"));
	ck_assert_str_ne(reply_header(after, "ETag"), reply_header(before, "ETag"));
	reply_free(before);
	reply_free(none);
	reply_free(stored);
	reply_free(w);
	reply_free(after);
}
END_TEST

/* Bodies made stale (here all at once, as by another process) are read
 * rendered meanwhile, with the same bytes, and rendered into the store again
 * by the server within a few seconds. */
START_TEST(stale_bodies_are_read_rendered_and_filled_again)
{
	long long p = create("/v1/participants", "{'name':'Anna Berg','country':'SE'}");
	enum { N = 120 }; /* more than one batch of the filler */
	long long ids[N];
	for (int i = 0; i < N; i++)
		ids[i] = create(
		    "/v1/meetings",
		    F("{'title':'Round %d','date':'2024-03-01','participants':[{'id':%lld}]}", i,
		      p));
	struct reply *before = get(&h, F("/v1/meetings/%lld", ids[N / 2]));
	harness_sql(&h, "UPDATE meeting_json SET body = NULL");
	struct reply *during = get(&h, F("/v1/meetings/%lld", ids[N / 2]));
	ck_assert_str_eq(during->body, before->body);
	ck_assert_str_eq(reply_header(during, "ETag"), reply_header(before, "ETag"));
	/* Reads and list pages while the filler works: stale rows rendered. */
	assert_reads_match_a_fresh_render("making every stored body stale");
	wait_filled();
	ck_assert_int_eq(harness_sql_int(&h, "SELECT count(*) FROM meeting_json"), N);
	struct reply *after = get(&h, F("/v1/meetings/%lld", ids[N / 2]));
	ck_assert_str_eq(after->body, before->body);
	reply_free(before);
	reply_free(during);
	reply_free(after);
	assert_reads_match_a_fresh_render("the filler");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http_bodies");
	TCase *tc = tcase_create("bodies");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, stored_bodies_follow_every_change);
	tcase_add_test(tc, a_read_answers_the_bytes_of_the_write);
	tcase_add_test(tc, a_read_sends_the_stored_etag);
	tcase_add_test(tc, stale_bodies_are_read_rendered_and_filled_again);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
