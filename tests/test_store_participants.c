/* Store tests of participants on a real database file: the write and read
 * functions, slug rules, version checks, keyset lists, and the derived
 * meeting fields kept by triggers (driven with plain SQL through a second
 * connection). */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[256];
static char path[512];
static struct store *s;

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/readout-store-participants-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/p.db", dir);
	char err[256];
	s = NULL;
	ck_assert_msg(store_open(path, &s, err, sizeof err) == 0, "open: %s", err);
	ck_assert_ptr_nonnull(s);
}

static void teardown(void)
{
	store_close(s);
	s = NULL;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *dup_or_null(const char *v)
{
	return v ? strdup(v) : NULL;
}

/* A participant record to write (owned strings). */
static struct participant make(const char *name, const char *slug, const char *aliases,
                               const char *country)
{
	struct participant p = {0};
	p.name = dup_or_null(name);
	p.meta.slug = dup_or_null(slug);
	p.aliases_json = dup_or_null(aliases);
	p.country = dup_or_null(country);
	return p;
}

/* Creates a participant, asserting STORE_OK; returns its id. */
static int64_t create(const char *name, const char *slug, const char *country)
{
	struct participant p = make(name, slug, NULL, country);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	int64_t id = p.meta.id;
	ck_assert_int_gt(id, 0);
	participant_clear(&p);
	return id;
}

static enum store_status get_id(int64_t id, struct participant *out)
{
	struct model_ref ref = {id, NULL};
	memset(out, 0, sizeof *out);
	return store_participant_get(s, &ref, out);
}

static enum store_status get_slug(const char *slug, struct participant *out)
{
	struct model_ref ref = {0, slug};
	memset(out, 0, sizeof *out);
	return store_participant_get(s, &ref, out);
}

static int64_t count_all(void)
{
	struct participant_filter f = {0};
	struct participant *items = NULL;
	size_t n = 0;
	char *next = NULL;
	int64_t total = -1;
	ck_assert_int_eq(store_participant_list(s, &f, NULL, 1, &items, &n, &next, &total),
	                 STORE_OK);
	free(next);
	for (size_t i = 0; i < n; i++)
		participant_clear(&items[i]);
	free(items);
	return total;
}

/* A second, plain SQLite connection to the same file. */
static sqlite3 *raw_open(void)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

/* Inserts a meeting on date and returns its id. */
static int64_t raw_meeting(sqlite3 *db, const char *slug, const char *date)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "INSERT INTO meetings (slug, title, date, created_at, updated_at) VALUES "
	         "('%s', 'Meeting %s', '%s', '2024-01-01T00:00:00.000Z', "
	         "'2024-01-01T00:00:00.000Z')",
	         slug, slug, date);
	raw_exec(db, sql);
	return sqlite3_last_insert_rowid(db);
}

static void raw_attend(sqlite3 *db, int64_t meeting, int64_t participant)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "INSERT INTO attendances (meeting_id, participant_id, role, position) VALUES "
	         "(%lld, %lld, 'guest', 0)",
	         (long long)meeting, (long long)participant);
	raw_exec(db, sql);
}

/* ---- create and get ---- */

START_TEST(create_and_get)
{
	struct participant p = make("Antony Blinken", NULL, "[\"Anthony Blinken\"]", "US");
	p.title = strdup("Secretary of State");
	p.organization = strdup("U.S. Department of State");
	/* Derived fields and meta in the input are not written. */
	p.meeting_count = 9;
	p.meta.version = 7;
	p.meta.id = 12345;
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_int_gt(p.meta.id, 0);
	ck_assert_int_ne(p.meta.id, 12345);
	ck_assert_str_eq(p.meta.slug, "antony-blinken");
	ck_assert_str_eq(p.name, "Antony Blinken");
	ck_assert_str_eq(p.aliases_json, "[\"Anthony Blinken\"]");
	ck_assert_str_eq(p.title, "Secretary of State");
	ck_assert_str_eq(p.organization, "U.S. Department of State");
	ck_assert_str_eq(p.country, "US");
	ck_assert_int_eq(p.meeting_count, 0);
	ck_assert_ptr_null(p.first_meeting_date);
	ck_assert_ptr_null(p.last_meeting_date);
	ck_assert_int_eq(p.meta.version, 1);
	ck_assert_int_eq(strlen(p.meta.created_at), 24);
	ck_assert_str_eq(p.meta.created_at, p.meta.updated_at);

	struct participant a, b;
	ck_assert_int_eq(get_id(p.meta.id, &a), STORE_OK);
	ck_assert_int_eq(get_slug("antony-blinken", &b), STORE_OK);
	ck_assert_int_eq(a.meta.id, p.meta.id);
	ck_assert_int_eq(b.meta.id, p.meta.id);
	ck_assert_str_eq(a.name, b.name);
	ck_assert_str_eq(a.meta.created_at, p.meta.created_at);
	ck_assert_str_eq(b.aliases_json, p.aliases_json);
	ck_assert_str_eq(b.country, "US");
	participant_clear(&a);
	participant_clear(&b);

	/* An id and a slug together must name the same row. */
	struct model_ref both = {p.meta.id, "antony-blinken"};
	struct participant c = {0};
	ck_assert_int_eq(store_participant_get(s, &both, &c), STORE_OK);
	ck_assert_int_eq(c.meta.id, p.meta.id);
	participant_clear(&c);
	int64_t other = create("Someone Else", NULL, NULL);
	struct model_ref mixed = {other, "antony-blinken"};
	ck_assert_int_eq(store_participant_get(s, &mixed, &c), STORE_NOT_FOUND);
	participant_clear(&c);
	participant_clear(&p);
}
END_TEST

START_TEST(unset_fields_stay_null)
{
	struct participant p = make("Wang Yi", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_str_eq(p.aliases_json, "[]");
	ck_assert_ptr_null(p.title);
	ck_assert_ptr_null(p.organization);
	ck_assert_ptr_null(p.country);
	participant_clear(&p);
}
END_TEST

START_TEST(get_missing)
{
	struct participant p;
	ck_assert_int_eq(get_id(1, &p), STORE_NOT_FOUND);
	ck_assert_int_eq(get_slug("nobody", &p), STORE_NOT_FOUND);
	int64_t id = create("Somebody", NULL, NULL);
	ck_assert_int_eq(get_id(id + 1, &p), STORE_NOT_FOUND);
	ck_assert_int_eq(get_slug("somebody-2", &p), STORE_NOT_FOUND);
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	participant_clear(&p);
}
END_TEST

/* ---- slugs ---- */

START_TEST(derived_slugs_dedupe)
{
	const char *names[] = {"Jos\xc3\xa9 M\xc3\xbcller", "Jose Muller", "JOSE MULLER!",
	                       "jos\xc3\xa9-m\xc3\xbcller"};
	const char *want[] = {"jose-muller", "jose-muller-2", "jose-muller-3", "jose-muller-4"};
	for (int i = 0; i < 4; i++) {
		struct participant p = make(names[i], NULL, NULL, NULL);
		ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
		ck_assert_str_eq(p.meta.slug, want[i]);
		participant_clear(&p);
	}
	/* A freed derived slug is the first candidate again. */
	struct participant p;
	ck_assert_int_eq(get_slug("jose-muller-2", &p), STORE_OK);
	ck_assert_int_eq(store_participant_delete(s, p.meta.id, 0), STORE_OK);
	participant_clear(&p);
	p = make("Jose Muller", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "jose-muller-2");
	participant_clear(&p);
	/* A derived slug skips explicit ones too. */
	create("Other", "xi-jinping", NULL);
	p = make("Xi Jinping", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "xi-jinping-2");
	participant_clear(&p);
}
END_TEST

/* The lowest free suffix is found among many taken ones (in one query):
 * a gap is filled, suffixes that are not derived candidates ("-02",
 * "-2x") are not counted, and past the last the next number is taken. */
START_TEST(derived_slug_fills_the_first_gap)
{
	for (int i = 1; i <= 30; i++) {
		struct participant p = make("Many Names", NULL, NULL, NULL);
		ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
		participant_clear(&p);
	}
	create("Other", "many-names-02", NULL);
	create("Other", "many-names-2x", NULL);
	create("Other", "many-names-40", NULL);
	struct participant p;
	ck_assert_int_eq(get_slug("many-names-17", &p), STORE_OK);
	ck_assert_int_eq(store_participant_delete(s, p.meta.id, 0), STORE_OK);
	participant_clear(&p);
	p = make("Many names", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "many-names-17");
	participant_clear(&p);
	p = make("MANY NAMES", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "many-names-31");
	/* Replacing a record keeps its own slug free for itself. */
	int64_t id = p.meta.id;
	participant_clear(&p);
	p = make("Many Names", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id, 0, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "many-names-31");
	participant_clear(&p);
}
END_TEST

START_TEST(explicit_slug_conflict)
{
	int64_t a = create("First", "taken", NULL);
	int64_t before = count_all();
	struct participant p = make("Second", "taken", NULL, NULL);
	ck_assert_int_eq(store_participant_create(s, &p), STORE_CONFLICT);
	/* On failure the caller's record is left as it was. */
	ck_assert_str_eq(p.name, "Second");
	ck_assert_str_eq(p.meta.slug, "taken");
	participant_clear(&p);
	ck_assert_int_eq(count_all(), before);

	/* Replace: taking another's slug conflicts, keeping one's own does not. */
	int64_t b = create("Third", "third", NULL);
	p = make("Third", "taken", NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, b, 0, &p), STORE_CONFLICT);
	participant_clear(&p);
	struct participant cur;
	ck_assert_int_eq(get_id(b, &cur), STORE_OK);
	ck_assert_str_eq(cur.meta.slug, "third");
	ck_assert_int_eq(cur.meta.version, 1);
	participant_clear(&cur);
	p = make("Third Renamed", "third", NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, b, 0, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "third");
	participant_clear(&p);
	ck_assert_int_eq(get_id(a, &cur), STORE_OK);
	ck_assert_str_eq(cur.name, "First");
	participant_clear(&cur);
}
END_TEST

/* ---- replace ---- */

START_TEST(replace_and_versions)
{
	struct participant p = make("Old Name", "old", "[\"A\"]", "FR");
	p.title = strdup("Title");
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	int64_t id = p.meta.id;
	char created[32];
	snprintf(created, sizeof created, "%s", p.meta.created_at);
	participant_clear(&p);
	usleep(20000);

	p = make("New Name", "old", NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id, 1, &p), STORE_OK);
	ck_assert_int_eq(p.meta.id, id);
	ck_assert_int_eq(p.meta.version, 2);
	ck_assert_str_eq(p.name, "New Name");
	ck_assert_str_eq(p.aliases_json, "[]");
	ck_assert_ptr_null(p.title);
	ck_assert_ptr_null(p.country);
	ck_assert_str_eq(p.meta.created_at, created);
	ck_assert_str_ne(p.meta.updated_at, created);
	ck_assert_int_gt(strcmp(p.meta.updated_at, created), 0);
	participant_clear(&p);

	/* A stale expected version changes nothing. */
	p = make("Stale Write", "old", NULL, "DE");
	ck_assert_int_eq(store_participant_replace(s, id, 1, &p), STORE_STALE);
	participant_clear(&p);
	p = make("Future Write", "old", NULL, "DE");
	ck_assert_int_eq(store_participant_replace(s, id, 3, &p), STORE_STALE);
	participant_clear(&p);
	struct participant cur;
	ck_assert_int_eq(get_id(id, &cur), STORE_OK);
	ck_assert_str_eq(cur.name, "New Name");
	ck_assert_int_eq(cur.meta.version, 2);
	ck_assert_ptr_null(cur.country);
	participant_clear(&cur);

	/* Version 0 skips the check. */
	p = make("Unchecked", "old", NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id, 0, &p), STORE_OK);
	ck_assert_int_eq(p.meta.version, 3);
	participant_clear(&p);

	/* A NULL slug on replace is derived from the name; the row's own slug
	 * does not count as taken. */
	p = make("Unchecked", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id, 3, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "unchecked");
	ck_assert_int_eq(p.meta.version, 4);
	participant_clear(&p);
	p = make("Unchecked", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id, 4, &p), STORE_OK);
	ck_assert_str_eq(p.meta.slug, "unchecked");
	participant_clear(&p);

	/* Missing rows: NOT_FOUND, with or without a version. */
	p = make("Ghost", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id + 100, 0, &p), STORE_NOT_FOUND);
	participant_clear(&p);
	p = make("Ghost", NULL, NULL, NULL);
	ck_assert_int_eq(store_participant_replace(s, id + 100, 1, &p), STORE_NOT_FOUND);
	participant_clear(&p);
	ck_assert_int_eq(count_all(), 1);
}
END_TEST

/* ---- delete ---- */

START_TEST(delete_rows)
{
	int64_t a = create("Alpha", NULL, NULL);
	int64_t b = create("Bravo", NULL, NULL);
	ck_assert_int_eq(store_participant_delete(s, a, 2), STORE_STALE);
	struct participant p;
	ck_assert_int_eq(get_id(a, &p), STORE_OK);
	participant_clear(&p);
	ck_assert_int_eq(store_participant_delete(s, a, 1), STORE_OK);
	ck_assert_int_eq(get_id(a, &p), STORE_NOT_FOUND);
	ck_assert_int_eq(store_participant_delete(s, a, 0), STORE_NOT_FOUND);
	ck_assert_int_eq(store_participant_delete(s, a, 1), STORE_NOT_FOUND);
	ck_assert_int_eq(store_participant_delete(s, b, 0), STORE_OK);
	ck_assert_int_eq(count_all(), 0);
	/* Ids are never reused, even of the highest row. */
	int64_t c = create("Charlie", NULL, NULL);
	ck_assert_int_gt(c, b);
}
END_TEST

START_TEST(attendance_blocks_delete_and_derives_dates)
{
	int64_t id = create("Xi Jinping", NULL, "CN");
	int64_t other = create("Antony Blinken", NULL, "US");
	sqlite3 *db = raw_open();
	int64_t m1 = raw_meeting(db, "m-2024", "2024-04-26");
	int64_t m2 = raw_meeting(db, "m-2023", "2023-11-15");
	int64_t m3 = raw_meeting(db, "m-2025", "2025-01-02");

	raw_attend(db, m1, id);
	struct participant p;
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 1);
	ck_assert_str_eq(p.first_meeting_date, "2024-04-26");
	ck_assert_str_eq(p.last_meeting_date, "2024-04-26");
	participant_clear(&p);

	raw_attend(db, m2, id);
	raw_attend(db, m3, id);
	raw_attend(db, m1, other);
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 3);
	ck_assert_str_eq(p.first_meeting_date, "2023-11-15");
	ck_assert_str_eq(p.last_meeting_date, "2025-01-02");
	participant_clear(&p);
	ck_assert_int_eq(get_id(other, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 1);
	participant_clear(&p);

	/* A replace keeps the derived fields (it never writes them). */
	p = make("Xi Jinping", NULL, NULL, "CN");
	p.meeting_count = 0;
	ck_assert_int_eq(store_participant_replace(s, id, 0, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 3);
	ck_assert_str_eq(p.first_meeting_date, "2023-11-15");
	participant_clear(&p);

	/* Referenced: delete is a conflict, with or without a version, and
	 * the row stays. */
	ck_assert_int_eq(store_participant_delete(s, id, 0), STORE_REFERENCED);
	ck_assert_int_eq(store_participant_delete(s, id, 2), STORE_REFERENCED);
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 3);
	participant_clear(&p);

	/* Moving a meeting's date moves the derived dates. */
	raw_exec(db, "UPDATE meetings SET date = '2022-05-05' WHERE slug = 'm-2025'");
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_str_eq(p.first_meeting_date, "2022-05-05");
	ck_assert_str_eq(p.last_meeting_date, "2024-04-26");
	participant_clear(&p);

	/* Removing attendances recomputes, then clears. */
	char sql[256];
	snprintf(sql, sizeof sql,
	         "DELETE FROM attendances WHERE meeting_id = %lld AND participant_id = %lld",
	         (long long)m1, (long long)id);
	raw_exec(db, sql);
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 2);
	ck_assert_str_eq(p.first_meeting_date, "2022-05-05");
	ck_assert_str_eq(p.last_meeting_date, "2023-11-15");
	participant_clear(&p);
	ck_assert_int_eq(store_participant_delete(s, id, 0), STORE_REFERENCED);
	snprintf(sql, sizeof sql, "DELETE FROM attendances WHERE participant_id = %lld",
	         (long long)id);
	raw_exec(db, sql);
	ck_assert_int_eq(get_id(id, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 0);
	ck_assert_ptr_null(p.first_meeting_date);
	ck_assert_ptr_null(p.last_meeting_date);
	int64_t version = p.meta.version;
	participant_clear(&p);
	/* The other participant is untouched. */
	ck_assert_int_eq(get_id(other, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 1);
	ck_assert_str_eq(p.first_meeting_date, "2024-04-26");
	participant_clear(&p);

	/* Deleting a meeting cascades to its attendances and the counts. */
	snprintf(sql, sizeof sql, "DELETE FROM meetings WHERE id = %lld", (long long)m1);
	raw_exec(db, sql);
	ck_assert_int_eq(get_id(other, &p), STORE_OK);
	ck_assert_int_eq(p.meeting_count, 0);
	ck_assert_ptr_null(p.last_meeting_date);
	participant_clear(&p);

	ck_assert_int_eq(store_participant_delete(s, id, version), STORE_OK);
	ck_assert_int_eq(get_id(id, &p), STORE_NOT_FOUND);
	ck_assert_int_eq(store_participant_delete(s, other, 0), STORE_OK);
	sqlite3_close(db);
}
END_TEST

/* ---- lists ---- */

/* Lists every page of f with page size limit into ids; returns the count. */
static size_t list_all(const struct participant_filter *f, int limit, int64_t *ids, size_t cap)
{
	struct cursor_pos after;
	bool has_after = false;
	size_t got = 0;
	for (int pages = 0;; pages++) {
		ck_assert_msg(pages < 500, "the walk does not end");
		struct participant *items = NULL;
		size_t n = 0;
		char *next = NULL;
		ck_assert_int_eq(store_participant_list(s, f, has_after ? &after : NULL, limit,
		                                        &items, &n, &next, NULL),
		                 STORE_OK);
		bool more = next != NULL;
		ck_assert_int_le(n, (size_t)limit);
		if (more)
			ck_assert_int_eq(n, (size_t)limit);
		for (size_t i = 0; i < n; i++) {
			ck_assert_int_lt(got, cap);
			ids[got++] = items[i].meta.id;
		}
		if (more) {
			snprintf(after.key, sizeof after.key, "%s", next);
			after.id = items[n - 1].meta.id;
			has_after = true;
		}
		free(next);
		for (size_t i = 0; i < n; i++)
			participant_clear(&items[i]);
		free(items);
		if (!more)
			break;
	}
	return got;
}

static void ids_text(const int64_t *ids, size_t n, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%lld", i ? "," : "",
		         (long long)ids[i]);
}

START_TEST(list_filters_and_orders)
{
	struct participant p = make("Antony Blinken", NULL, "[\"Anthony Blinken\"]", "US");
	ck_assert_int_eq(store_participant_create(s, &p), STORE_OK);
	int64_t blinken = p.meta.id;
	participant_clear(&p);
	int64_t xi = create("Xi Jinping", NULL, "CN");
	int64_t wang = create("wang yi", NULL, "CN");
	int64_t pct = create("Mr 100% Percent_Sign", NULL, NULL);
	int64_t ids[64];
	char got[256], want[256];

	struct participant_filter f = {0};
	size_t n = list_all(&f, 50, ids, 64);
	ids_text(ids, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld", (long long)blinken, (long long)pct,
	         (long long)wang, (long long)xi);
	ck_assert_str_eq(got, want);
	f.sort = PARTICIPANT_SORT_NAME_DESC;
	n = list_all(&f, 2, ids, 64);
	ids_text(ids, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld", (long long)xi, (long long)wang,
	         (long long)pct, (long long)blinken);
	ck_assert_str_eq(got, want);
	f.sort = PARTICIPANT_SORT_COUNT;
	n = list_all(&f, 3, ids, 64);
	ids_text(ids, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld", (long long)blinken, (long long)xi,
	         (long long)wang, (long long)pct);
	ck_assert_str_eq(got, want);
	f.sort = PARTICIPANT_SORT_COUNT_DESC;
	n = list_all(&f, 1, ids, 64);
	ids_text(ids, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld,%lld,%lld", (long long)pct, (long long)wang,
	         (long long)xi, (long long)blinken);
	ck_assert_str_eq(got, want);

	/* q: name or alias, case-insensitive substring; LIKE wildcards are text. */
	struct {
		const char *q, *country;
		int64_t want;
	} cases[] = {
	    {"anthony blinken", NULL, blinken},
	    {"ANTONY", NULL, blinken},
	    {"JINP", NULL, xi},
	    {"Wang Y", "CN", wang},
	    {"%", NULL, pct},
	    {"_", NULL, pct},
	    {"0% p", NULL, pct},
	    {"i_j", NULL, 0},
	    {"a%i", NULL, 0},
	    {"\\", NULL, 0},
	    {"blinken", "CN", 0},
	    {NULL, "US", blinken},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct participant_filter g = {cases[i].q, cases[i].country, PARTICIPANT_SORT_NAME};
		struct participant *items = NULL;
		size_t m = 0;
		char *next = NULL;
		int64_t total = -1;
		ck_assert_int_eq(store_participant_list(s, &g, NULL, 10, &items, &m, &next, &total),
		                 STORE_OK);
		ck_assert_ptr_null(next);
		ck_assert_msg(m == (cases[i].want ? 1u : 0u), "q=%s country=%s: %zu rows",
		              cases[i].q ? cases[i].q : "-",
		              cases[i].country ? cases[i].country : "-", m);
		ck_assert_int_eq(total, (int64_t)m);
		if (m)
			ck_assert_int_eq(items[0].meta.id, cases[i].want);
		for (size_t k = 0; k < m; k++)
			participant_clear(&items[k]);
		free(items);
	}
	struct participant_filter cn = {NULL, "CN", PARTICIPANT_SORT_NAME};
	n = list_all(&cn, 1, ids, 64);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(ids[0], wang);
	ck_assert_int_eq(ids[1], xi);
}
END_TEST

START_TEST(list_keyset_with_ties)
{
	/* 60 rows on 5 names in mixed case: ties broken by id. */
	static const char *const names[] = {"Kim", "lee", "KIM", "Lee", "bo"};
	int64_t all[60];
	for (int i = 0; i < 60; i++)
		all[i] = create(names[i % 5], NULL, NULL);
	int64_t ids[128];
	struct participant_filter f = {0};
	for (int limit = 1; limit <= 13; limit += 4) {
		f.sort = PARTICIPANT_SORT_NAME;
		size_t n = list_all(&f, limit, ids, 128);
		ck_assert_int_eq(n, 60);
		/* bo (12), then KIM/Kim by id (24), then lee/Lee by id (24). */
		size_t k = 0;
		for (int g = 0; g < 3; g++) {
			for (int i = 0; i < 60; i++) {
				int which = i % 5;
				int group = which == 4 ? 0 : which == 0 || which == 2 ? 1 : 2;
				if (group == g)
					ck_assert_msg(ids[k++] == all[i],
					              "limit %d: position %zu is %lld, want %lld",
					              limit, k - 1, (long long)ids[k - 1],
					              (long long)all[i]);
			}
		}
		f.sort = PARTICIPANT_SORT_NAME_DESC;
		int64_t desc[128];
		ck_assert_int_eq(list_all(&f, limit, desc, 128), 60);
		for (size_t i = 0; i < 60; i++)
			ck_assert_int_eq(desc[i], ids[59 - i]);
		f.sort = PARTICIPANT_SORT_COUNT;
		ck_assert_int_eq(list_all(&f, limit, desc, 128), 60);
		for (size_t i = 0; i < 60; i++)
			ck_assert_int_eq(desc[i], all[i]);
	}
	ck_assert_int_eq(count_all(), 60);
}
END_TEST

START_TEST(list_total_and_more)
{
	for (int i = 0; i < 5; i++)
		create("Person", NULL, i < 3 ? "JP" : NULL);
	struct participant_filter f = {NULL, "JP", PARTICIPANT_SORT_NAME};
	struct participant *items = NULL;
	size_t n = 0;
	char *next = NULL;
	int64_t total = 0;
	ck_assert_int_eq(store_participant_list(s, &f, NULL, 2, &items, &n, &next, &total),
	                 STORE_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_nonnull(next);
	free(next);
	ck_assert_int_eq(total, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(items[i].country, "JP");
		participant_clear(&items[i]);
	}
	free(items);
	ck_assert_int_eq(store_participant_list(s, &f, NULL, 3, &items, &n, &next, &total),
	                 STORE_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_ptr_null(next);
	for (size_t i = 0; i < n; i++)
		participant_clear(&items[i]);
	free(items);
	ck_assert_int_eq(count_all(), 5);
}
END_TEST

START_TEST(sort_keys)
{
	struct participant p = {0};
	p.name = strdup("Name Here");
	p.meeting_count = 42;
	char *k = store_participant_sort_key(&p, PARTICIPANT_SORT_NAME);
	ck_assert_str_eq(k, "Name Here");
	free(k);
	k = store_participant_sort_key(&p, PARTICIPANT_SORT_NAME_DESC);
	ck_assert_str_eq(k, "Name Here");
	free(k);
	k = store_participant_sort_key(&p, PARTICIPANT_SORT_COUNT);
	ck_assert_str_eq(k, "42");
	free(k);
	k = store_participant_sort_key(&p, PARTICIPANT_SORT_COUNT_DESC);
	ck_assert_str_eq(k, "42");
	free(k);
	participant_clear(&p);
}
END_TEST

START_TEST(survives_reopen)
{
	int64_t id = create("Persistent Person", "persistent", "DE");
	store_close(s);
	char err[256];
	s = NULL;
	ck_assert_msg(store_open(path, &s, err, sizeof err) == 0, "reopen: %s", err);
	struct participant p;
	ck_assert_int_eq(get_slug("persistent", &p), STORE_OK);
	ck_assert_int_eq(p.meta.id, id);
	ck_assert_str_eq(p.country, "DE");
	participant_clear(&p);
	int64_t next = create("Next Person", NULL, NULL);
	ck_assert_int_gt(next, id);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("store_participants");
	TCase *tc = tcase_create("participants");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_and_get);
	tcase_add_test(tc, unset_fields_stay_null);
	tcase_add_test(tc, get_missing);
	tcase_add_test(tc, derived_slugs_dedupe);
	tcase_add_test(tc, derived_slug_fills_the_first_gap);
	tcase_add_test(tc, explicit_slug_conflict);
	tcase_add_test(tc, replace_and_versions);
	tcase_add_test(tc, delete_rows);
	tcase_add_test(tc, attendance_blocks_delete_and_derives_dates);
	tcase_add_test(tc, list_filters_and_orders);
	tcase_add_test(tc, list_keyset_with_ties);
	tcase_add_test(tc, list_total_and_more);
	tcase_add_test(tc, sort_keys);
	tcase_add_test(tc, survives_reopen);
	suite_add_tcase(suite, tc);
	SRunner *sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
