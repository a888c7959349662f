/* The bundled sample records (readoutd --sample-data) against every fact of
 * ../shared/data/SAMPLE.md, read back through the HTTP API. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- the facts of SAMPLE.md ---- */

/* Meetings are numbered as in SAMPLE.md: 1 is 2024-04-26, 2 is 2023-11-15,
 * 3 is 2024-04-02. */
#define MEETINGS 3
#define PARTICIPANTS 4
#define PRINCIPLES 13

struct want_attendance {
	const char *slug, *name, *role;
};

struct want_link {
	int meeting;
	const char *relation;
};

struct want_meeting {
	const char *date, *kind;
	const char *title;          /* exact, or NULL */
	const char *title_words[4]; /* each must occur in the title */
	const char *location_word;  /* must occur in location; NULL: location null */
	const char *city, *country; /* NULL: null */
	struct want_attendance parts[3];
	int part_count;
	struct want_link related[2];
	int related_count;
};

static const struct want_meeting meetings[MEETINGS + 1] = {
    [1] = {"2024-04-26",
           "meeting",
           "President Xi Jinping meets U.S. Secretary of State Antony Blinken",
           {"Xi Jinping", "Antony Blinken", NULL},
           "Great Hall of the People",
           "Beijing",
           "CN",
           {{"xi-jinping", "Xi Jinping", "host"},
            {"antony-blinken", "Antony Blinken", "guest"},
            {"wang-yi", "Wang Yi", "attendee"}},
           3,
           {{2, "references"}, {3, "references"}},
           2},
    [2] = {"2023-11-15",
           "summit",
           NULL,
           {"Xi Jinping", "Joe Biden", "Filoli", NULL},
           "Filoli Estate",
           "Woodside",
           "US",
           {{"joe-biden", "Joe Biden", "host"}, {"xi-jinping", "Xi Jinping", "guest"}},
           2,
           {{0, NULL}},
           0},
    [3] = {"2024-04-02",
           "phone_call",
           NULL,
           {"Xi Jinping", "Joe Biden", "phone", NULL},
           NULL,
           NULL,
           NULL,
           {{"xi-jinping", "Xi Jinping", "attendee"}, {"joe-biden", "Joe Biden", "attendee"}},
           2,
           {{2, "follows_up"}},
           1},
};

struct want_participant {
	const char *slug, *name;
	const char *aliases[2];
	int alias_count;
	const char *title, *country;
	int meeting_count;
	const char *first, *last;
	struct { /* oldest first */
		int meeting;
		const char *role;
	} attended[3];
};

static const struct want_participant participants[PARTICIPANTS] = {
    {"xi-jinping",
     "Xi Jinping",
     {NULL},
     0,
     "President of the People's Republic of China",
     "CN",
     3,
     "2023-11-15",
     "2024-04-26",
     {{2, "guest"}, {3, "attendee"}, {1, "host"}}},
    {"antony-blinken",
     "Antony Blinken",
     {"Anthony Blinken"},
     1,
     "U.S. Secretary of State",
     "US",
     1,
     "2024-04-26",
     "2024-04-26",
     {{1, "guest"}}},
    {"wang-yi",
     "Wang Yi",
     {NULL},
     0,
     "Minister of Foreign Affairs of the People's Republic of China",
     "CN",
     1,
     "2024-04-26",
     "2024-04-26",
     {{1, "attendee"}}},
    {"joe-biden",
     "Joe Biden",
     {"Joseph R. Biden Jr."},
     1,
     "President of the United States",
     "US",
     2,
     "2023-11-15",
     "2024-04-02",
     {{2, "host"}, {3, "attendee"}}},
};

struct want_invocation {
	int meeting;
	const char *stance, *by; /* by: participant slug */
};

struct want_principle {
	const char *name, *framework;  /* framework NULL: null */
	const char *quote_word;        /* occurs in the quote at meeting 1 (case-insensitive) */
	struct want_invocation inv[2]; /* oldest first */
	int count;
};

#define PILLAR(name)                                                                    \
	{                                                                               \
		name, "Five pillars", "five pillars",                                   \
		    {{2, "proposed", "xi-jinping"}, {1, "reaffirmed", "xi-jinping"}}, 2 \
	}
#define XI_CALL(name, word)                                                                      \
	{                                                                                        \
		name, NULL, word, {{3, "proposed", "xi-jinping"}, {1, "cited", "xi-jinping"}}, 2 \
	}

static const struct want_principle principles[PRINCIPLES] = {
    {"Mutual respect",
     "Three fundamental principles",
     "mutual respect",
     {{1, "proposed", "xi-jinping"}},
     1},
    {"Peaceful coexistence",
     "Three fundamental principles",
     "peaceful coexistence",
     {{1, "proposed", "xi-jinping"}},
     1},
    {"Win-win cooperation",
     "Three fundamental principles",
     "win-win cooperation",
     {{1, "proposed", "xi-jinping"}},
     1},
    PILLAR("Jointly developing a right perception"),
    PILLAR("Jointly managing disagreements effectively"),
    PILLAR("Jointly advancing mutually beneficial cooperation"),
    PILLAR("Jointly shouldering responsibilities as major countries"),
    PILLAR("Jointly promoting people-to-people exchanges"),
    XI_CALL("Value peace", "value peace"),
    XI_CALL("Prioritize stability", "prioritize stability"),
    XI_CALL("Maintain credibility", "credibility"),
    {"One-China policy", NULL, "one-China policy", {{1, "reaffirmed", "antony-blinken"}}, 1},
    {"A community with a shared future for mankind",
     NULL,
     "community with a shared future for mankind",
     {{1, "cited", "xi-jinping"}},
     1},
};

/* ---- helpers ---- */

static char *read_whole(const char *path, size_t *len)
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
	*len = got;
	return text;
}

/* The official readout: ../shared/data/readout-2024-04-26-xi-blinken.txt
 * beside the source tree. Where that file is absent (a checkout without the
 * shared directory), the readout of data/sample.json stands in for it; the
 * comparison then only checks that the API returns the bundled text intact. */
static char *official_readout(size_t *len)
{
	const char *dir = getenv("READOUT_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/../shared/data/readout-2024-04-26-xi-blinken.txt",
	         dir ? dir : "..");
	char *text = read_whole(path, len);
	if (text)
		return text;
	fprintf(stderr, "test_sample: %s is absent; comparing with data/sample.json instead\n",
	        path);
	snprintf(path, sizeof path, "%s/data/sample.json", dir ? dir : "..");
	json_t *doc = json_load_file(path, 0, NULL);
	ck_assert_msg(doc != NULL, "neither the readout file nor %s can be read", path);
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "meetings"), i, m)
	{
		if (strcmp(jstr(m, "date"), "2024-04-26") == 0) {
			text = strdup(jstr(m, "readout"));
			*len = strlen(text);
		}
	}
	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	return text;
}

static json_t *fetch(const char *path)
{
	struct reply *r = get(&h, path);
	ck_assert_msg(r->status == 200, "GET %s: %ld %.300s", path, r->status, r->body);
	ck_assert_ptr_nonnull(r->json);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

static long long total_of(const char *kind)
{
	json_t *doc = fetch(path_fmt("/v1/%s?count=true&limit=1", kind));
	long long n = jint(doc, "total");
	json_decref(doc);
	return n;
}

/* Meeting ids by SAMPLE.md number, found by date. */
static long long meeting_ids[MEETINGS + 1];

static void find_meetings(void)
{
	json_t *list = fetch("/v1/meetings?sort=date&count=true");
	ck_assert_int_eq(jint(list, "total"), MEETINGS);
	ck_assert_int_eq(json_array_size(jget(list, "data")), MEETINGS);
	/* Oldest first: 2, 3, 1. */
	const int order[MEETINGS] = {2, 3, 1};
	for (int i = 0; i < MEETINGS; i++) {
		json_t *m = json_array_get(jget(list, "data"), (size_t)i);
		ck_assert_str_eq(jstr(m, "date"), meetings[order[i]].date);
		meeting_ids[order[i]] = jint(m, "id");
		ck_assert_int_gt(meeting_ids[order[i]], 0);
	}
	json_decref(list);
}

static long long participant_id(const char *slug)
{
	json_t *p = fetch(path_fmt("/v1/participants/%s", slug));
	long long id = jint(p, "id");
	json_decref(p);
	return id;
}

static const char *participant_name(const char *slug)
{
	for (int i = 0; i < PARTICIPANTS; i++)
		if (strcmp(participants[i].slug, slug) == 0)
			return participants[i].name;
	ck_abort_msg("no participant %s in the table", slug);
	return NULL;
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void assert_null_or(json_t *v, const char *want, const char *what)
{
	if (!want)
		ck_assert_msg(json_is_null(v), "%s: want null", what);
	else
		ck_assert_msg(json_is_string(v) && strcmp(json_string_value(v), want) == 0,
		              "%s: want %s, got %s", what, want,
		              json_is_string(v) ? json_string_value(v) : "(not a string)");
}

/* The principle object of the list with name (the list has them all). */
static json_t *principle_named(json_t *list, const char *name)
{
	json_t *found = NULL, *p;
	size_t i;
	json_array_foreach(jget(list, "data"), i, p)
	{
		if (strcmp(jstr(p, "name"), name) == 0) {
			ck_assert_msg(found == NULL, "two principles named %s", name);
			found = p;
		}
	}
	ck_assert_msg(found != NULL, "no principle named %s", name);
	return found;
}

/* Checks one invocation as a meeting or a timeline gives it. */
static void assert_quote(json_t *quote, int meeting, const struct want_principle *w,
                         const char *readout)
{
	if (meeting != 1) {
		ck_assert_msg(json_is_null(quote), "%s at meeting %d: quote should be null",
		              w->name, meeting);
		return;
	}
	const char *q = json_string_value(quote);
	ck_assert_msg(q && *q, "%s at meeting 1: no quote", w->name);
	ck_assert_msg(strstr(readout, q) != NULL, "%s: the quote is not in the readout: %s",
	              w->name, q);
	ck_assert_msg(contains_nocase(q, w->quote_word), "%s: the quote does not say '%s': %s",
	              w->name, w->quote_word, q);
}

/* ---- tests ---- */

START_TEST(counts)
{
	ck_assert_int_eq(total_of("meetings"), MEETINGS);
	ck_assert_int_eq(total_of("participants"), PARTICIPANTS);
	ck_assert_int_eq(total_of("principles"), PRINCIPLES);
}
END_TEST

START_TEST(meeting_facts)
{
	find_meetings();
	for (int n = 1; n <= MEETINGS; n++) {
		const struct want_meeting *w = &meetings[n];
		json_t *m = fetch(path_fmt("/v1/meetings/%lld", meeting_ids[n]));
		ck_assert_str_eq(jstr(m, "date"), w->date);
		ck_assert_str_eq(jstr(m, "kind"), w->kind);
		const char *title = jstr(m, "title");
		ck_assert_ptr_nonnull(title);
		if (w->title)
			ck_assert_str_eq(title, w->title);
		for (int k = 0; w->title_words[k]; k++)
			ck_assert_msg(strstr(title, w->title_words[k]),
			              "meeting %d title '%s' lacks %s", n, title,
			              w->title_words[k]);
		if (w->location_word)
			ck_assert_msg(jstr(m, "location") &&
			                  strstr(jstr(m, "location"), w->location_word),
			              "meeting %d location", n);
		else
			ck_assert(json_is_null(jget(m, "location")));
		assert_null_or(jget(m, "city"), w->city, "city");
		assert_null_or(jget(m, "country"), w->country, "country");
		ck_assert_msg(jstr(m, "summary") && *jstr(m, "summary"), "meeting %d: no summary",
		              n);

		json_t *parts = jget(m, "participants");
		ck_assert_int_eq(json_array_size(parts), w->part_count);
		for (int k = 0; k < w->part_count; k++) {
			bool seen = false;
			size_t i;
			json_t *a;
			json_array_foreach(parts, i, a)
			{
				if (strcmp(jstr(a, "slug"), w->parts[k].slug) != 0)
					continue;
				seen = true;
				ck_assert_str_eq(jstr(a, "name"), w->parts[k].name);
				ck_assert_str_eq(jstr(a, "role"), w->parts[k].role);
				ck_assert_int_eq(jint(a, "id"), participant_id(w->parts[k].slug));
			}
			ck_assert_msg(seen, "meeting %d lacks %s", n, w->parts[k].slug);
		}

		json_t *related = jget(m, "related");
		ck_assert_int_eq(json_array_size(related), w->related_count);
		for (int k = 0; k < w->related_count; k++) {
			const struct want_meeting *other = &meetings[w->related[k].meeting];
			bool seen = false;
			size_t i;
			json_t *l;
			json_array_foreach(related, i, l)
			{
				if (jint(l, "id") != meeting_ids[w->related[k].meeting])
					continue;
				seen = true;
				ck_assert_str_eq(jstr(l, "relation"), w->related[k].relation);
				ck_assert_str_eq(jstr(l, "date"), other->date);
				ck_assert_ptr_nonnull(jstr(l, "slug"));
				ck_assert_ptr_nonnull(jstr(l, "title"));
			}
			ck_assert_msg(seen, "meeting %d does not relate to meeting %d", n,
			              w->related[k].meeting);
		}
		json_decref(m);
	}
}
END_TEST

START_TEST(readout_verbatim)
{
	find_meetings();
	size_t len;
	char *want = official_readout(&len);
	json_t *m = fetch(path_fmt("/v1/meetings/%lld", meeting_ids[1]));
	json_t *readout = jget(m, "readout");
	ck_assert(json_is_string(readout));
	ck_assert_uint_eq(json_string_length(readout), len);
	ck_assert_msg(memcmp(json_string_value(readout), want, len) == 0,
	              "the readout differs from the file");
	/* The bytes on the wire decode to the same text (no re-encoding of the
	 * curly quotes). */
	ck_assert_ptr_nonnull(strstr(json_string_value(readout), "\xe2\x80\x9cno progress"));
	json_decref(m);
	free(want);
}
END_TEST

START_TEST(participant_facts)
{
	find_meetings();
	json_t *list = fetch("/v1/participants?limit=200");
	ck_assert_int_eq(json_array_size(jget(list, "data")), PARTICIPANTS);
	json_decref(list);
	for (int n = 0; n < PARTICIPANTS; n++) {
		const struct want_participant *w = &participants[n];
		json_t *p = fetch(path_fmt("/v1/participants/%s", w->slug));
		ck_assert_str_eq(jstr(p, "slug"), w->slug);
		ck_assert_str_eq(jstr(p, "name"), w->name);
		json_t *aliases = jget(p, "aliases");
		ck_assert(json_is_array(aliases));
		ck_assert_int_eq(json_array_size(aliases), w->alias_count);
		for (int k = 0; k < w->alias_count; k++)
			ck_assert_str_eq(json_string_value(json_array_get(aliases, (size_t)k)),
			                 w->aliases[k]);
		ck_assert_str_eq(jstr(p, "title"), w->title);
		ck_assert_str_eq(jstr(p, "country"), w->country);
		ck_assert_int_eq(jint(p, "meeting_count"), w->meeting_count);
		ck_assert_str_eq(jstr(p, "first_meeting_date"), w->first);
		ck_assert_str_eq(jstr(p, "last_meeting_date"), w->last);
		json_decref(p);

		/* The meetings attended, oldest first, with the role. */
		json_t *attended = fetch(path_fmt("/v1/participants/%s/meetings", w->slug));
		ck_assert_int_eq(json_array_size(jget(attended, "data")), w->meeting_count);
		for (int k = 0; k < w->meeting_count; k++) {
			json_t *m = json_array_get(jget(attended, "data"), (size_t)k);
			ck_assert_int_eq(jint(m, "id"), meeting_ids[w->attended[k].meeting]);
			ck_assert_str_eq(jstr(m, "date"), meetings[w->attended[k].meeting].date);
			ck_assert_str_eq(jstr(m, "role"), w->attended[k].role);
		}
		json_decref(attended);
	}
}
END_TEST

START_TEST(alias_search)
{
	const char *queries[] = {"Anthony%20Blinken", "anthony%20blinken", "ANTHONY", NULL};
	for (int i = 0; queries[i]; i++) {
		json_t *list = fetch(path_fmt("/v1/participants?q=%s", queries[i]));
		ck_assert_msg(json_array_size(jget(list, "data")) == 1, "q=%s: %zu results",
		              queries[i], json_array_size(jget(list, "data")));
		ck_assert_str_eq(jstr(list, "data.0.slug"), "antony-blinken");
		json_decref(list);
	}
	json_t *list = fetch("/v1/participants?q=Joseph%20R.%20Biden");
	ck_assert_int_eq(json_array_size(jget(list, "data")), 1);
	ck_assert_str_eq(jstr(list, "data.0.slug"), "joe-biden");
	json_decref(list);
	/* The control: an alias nobody has finds nobody. */
	list = fetch("/v1/participants?q=Anthony%20Blinkenx");
	ck_assert_int_eq(json_array_size(jget(list, "data")), 0);
	json_decref(list);
}
END_TEST

START_TEST(principle_facts)
{
	json_t *list = fetch("/v1/principles?limit=200&count=true");
	ck_assert_int_eq(jint(list, "total"), PRINCIPLES);
	ck_assert_int_eq(json_array_size(jget(list, "data")), PRINCIPLES);
	for (int n = 0; n < PRINCIPLES; n++) {
		const struct want_principle *w = &principles[n];
		json_t *p = principle_named(list, w->name);
		assert_null_or(jget(p, "framework"), w->framework, w->name);
		ck_assert_int_eq(jint(p, "invocation_count"), w->count);
		ck_assert_str_eq(jstr(p, "first_invoked_date"), meetings[w->inv[0].meeting].date);
	}
	/* The frameworks as filters. */
	json_t *three = fetch("/v1/principles?framework=Three%20fundamental%20principles");
	ck_assert_int_eq(json_array_size(jget(three, "data")), 3);
	json_decref(three);
	json_t *five = fetch("/v1/principles?framework=Five%20pillars");
	ck_assert_int_eq(json_array_size(jget(five, "data")), 5);
	json_decref(five);
	json_decref(list);
}
END_TEST

/* The Chinese name of each principle (shared data/ALIASES-zh.md), its one
 * alias in the sample. */
static const struct {
	const char *name, *zh;
} chinese_names[PRINCIPLES] = {
    {"Mutual respect", "相互尊重"},
    {"Peaceful coexistence", "和平共处"},
    {"Win-win cooperation", "合作共赢"},
    {"Jointly developing a right perception", "共同树立正确认知"},
    {"Jointly managing disagreements effectively", "共同管控分歧"},
    {"Jointly advancing mutually beneficial cooperation", "共同推进互利合作"},
    {"Jointly shouldering responsibilities as major countries", "共同承担大国责任"},
    {"Jointly promoting people-to-people exchanges", "共同促进人文交流"},
    {"Value peace", "以和为贵"},
    {"Prioritize stability", "以稳为重"},
    {"Maintain credibility", "以信为本"},
    {"One-China policy", "一个中国政策"},
    {"A community with a shared future for mankind", "人类命运共同体"},
};

/* s percent-encoded byte by byte into a static buffer. */
static const char *percent(const char *s)
{
	static char out[512];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < sizeof out; p++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%%%02X", *p);
	out[n] = '\0';
	return out;
}

START_TEST(principle_chinese_aliases)
{
	json_t *list = fetch("/v1/principles?limit=200");
	for (int n = 0; n < PRINCIPLES; n++) {
		json_t *p = principle_named(list, chinese_names[n].name);
		json_t *aliases = jget(p, "aliases");
		ck_assert_msg(json_array_size(aliases) == 1, "%s: %zu aliases",
		              chinese_names[n].name, json_array_size(aliases));
		ck_assert_str_eq(json_string_value(json_array_get(aliases, 0)),
		                 chinese_names[n].zh);
		/* q finds the principle by its Chinese name, and only it. */
		json_t *found =
		    fetch(path_fmt("/v1/principles?q=%s", percent(chinese_names[n].zh)));
		ck_assert_msg(json_array_size(jget(found, "data")) == 1, "q=%s: %zu results",
		              chinese_names[n].zh, json_array_size(jget(found, "data")));
		ck_assert_str_eq(jstr(found, "data.0.name"), chinese_names[n].name);
		json_decref(found);
	}
	/* 共同: the five pillars, and 人类命运共同体 holds it too. */
	json_t *found = fetch(path_fmt("/v1/principles?q=%s&count=true", percent("共同")));
	ck_assert_int_eq(jint(found, "total"), 6);
	json_decref(found);
	json_decref(list);
}
END_TEST

/* What the official readout names: each person of the meeting, each
 * principle, with the counts of the text (by name and alias, whole words). */
START_TEST(readout_mentions)
{
	find_meetings();
	json_t *doc = fetch(path_fmt("/v1/meetings/%lld/mentions", meeting_ids[1]));
	ck_assert_int_eq(json_array_size(jget(doc, "data")), 1);
	json_t *t = json_array_get(jget(doc, "data"), 0);
	ck_assert_str_eq(jstr(t, "text"), "readout");
	ck_assert_str_eq(jstr(t, "language"), "en");
	ck_assert_str_eq(jstr(t, "publisher"),
	                 "Ministry of Foreign Affairs of the People's Republic of China");
	static const struct {
		const char *slug;
		long long count;
	} people[] = {{"xi-jinping", 6}, {"antony-blinken", 2}, {"wang-yi", 1}},
	  named[] = {{"mutual-respect", 1},
	             {"peaceful-coexistence", 1},
	             {"win-win-cooperation", 1},
	             {"value-peace", 1},
	             {"prioritize-stability", 1},
	             {"one-china-policy", 1},
	             {"a-community-with-a-shared-future-for-mankind", 1}};
	json_t *ps = jget(t, "participants"), *prs = jget(t, "principles");
	ck_assert_int_eq(json_array_size(ps), 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(jstr(json_array_get(ps, i), "slug"), people[i].slug);
		ck_assert_int_eq(jint(json_array_get(ps, i), "count"), people[i].count);
	}
	ck_assert_int_eq(json_array_size(prs), 7);
	for (size_t i = 0; i < 7; i++) {
		ck_assert_str_eq(jstr(json_array_get(prs, i), "slug"), named[i].slug);
		ck_assert_int_eq(jint(json_array_get(prs, i), "count"), named[i].count);
	}
	json_decref(doc);
	/* The earlier meetings have no texts. */
	doc = fetch(path_fmt("/v1/meetings/%lld/mentions", meeting_ids[2]));
	ck_assert_int_eq(json_array_size(jget(doc, "data")), 0);
	json_decref(doc);
}
END_TEST

/* Every invocation, read through each meeting. */
START_TEST(invocations_by_meeting)
{
	find_meetings();
	size_t len;
	char *readout = official_readout(&len);
	json_t *list = fetch("/v1/principles?limit=200");
	for (int n = 1; n <= MEETINGS; n++) {
		json_t *m = fetch(path_fmt("/v1/meetings/%lld", meeting_ids[n]));
		json_t *invs = jget(m, "principles");
		int want = 0;
		for (int k = 0; k < PRINCIPLES; k++) {
			const struct want_principle *w = &principles[k];
			for (int v = 0; v < w->count; v++) {
				if (w->inv[v].meeting != n)
					continue;
				want++;
				json_t *p = principle_named(list, w->name);
				json_t *found = NULL, *item;
				size_t i;
				json_array_foreach(invs, i, item)
				{
					if (jint(item, "id") == jint(p, "id"))
						found = item;
				}
				ck_assert_msg(found, "meeting %d does not invoke %s", n, w->name);
				ck_assert_str_eq(jstr(found, "slug"), jstr(p, "slug"));
				ck_assert_str_eq(jstr(found, "name"), w->name);
				assert_null_or(jget(found, "framework"), w->framework, w->name);
				ck_assert_str_eq(jstr(found, "stance"), w->inv[v].stance);
				ck_assert_int_eq(jint(found, "invoked_by"),
				                 participant_id(w->inv[v].by));
				assert_quote(jget(found, "quote"), n, w, readout);
			}
		}
		ck_assert_msg(json_array_size(invs) == (size_t)want,
		              "meeting %d: %zu invocations, want %d", n, json_array_size(invs),
		              want);
		json_decref(m);
	}
	json_decref(list);
	free(readout);
}
END_TEST

/* Every invocation, read through each principle's timeline. */
START_TEST(invocations_by_timeline)
{
	find_meetings();
	size_t len;
	char *readout = official_readout(&len);
	json_t *list = fetch("/v1/principles?limit=200");
	for (int k = 0; k < PRINCIPLES; k++) {
		const struct want_principle *w = &principles[k];
		json_t *p = principle_named(list, w->name);
		json_t *t = fetch(path_fmt("/v1/principles/%s/timeline", jstr(p, "slug")));
		json_t *data = jget(t, "data");
		ck_assert_msg(json_array_size(data) == (size_t)w->count, "%s: %zu entries", w->name,
		              json_array_size(data));
		for (int v = 0; v < w->count; v++) {
			json_t *e = json_array_get(data, (size_t)v);
			int n = w->inv[v].meeting;
			ck_assert_int_eq(jint(e, "meeting.id"), meeting_ids[n]);
			ck_assert_str_eq(jstr(e, "meeting.date"), meetings[n].date);
			ck_assert_ptr_nonnull(jstr(e, "meeting.slug"));
			ck_assert_ptr_nonnull(jstr(e, "meeting.title"));
			ck_assert_str_eq(jstr(e, "stance"), w->inv[v].stance);
			ck_assert_int_eq(jint(e, "invoked_by.id"), participant_id(w->inv[v].by));
			ck_assert_str_eq(jstr(e, "invoked_by.slug"), w->inv[v].by);
			ck_assert_str_eq(jstr(e, "invoked_by.name"),
			                 participant_name(w->inv[v].by));
			assert_quote(jget(e, "quote"), n, w, readout);
		}
		ck_assert_ptr_null(jstr(t, "next_cursor"));
		json_decref(t);
	}
	json_decref(list);
	free(readout);
}
END_TEST

static char *export_text(void)
{
	struct reply *r = get(&h, "/v1/export");
	ck_assert_int_eq(r->status, 200);
	char *text = strdup(r->body);
	reply_free(r);
	return text;
}

START_TEST(sample_loads_once)
{
	char *before = export_text();
	harness_restart(&h, sample_args);
	ck_assert_int_eq(total_of("meetings"), MEETINGS);
	ck_assert_int_eq(total_of("participants"), PARTICIPANTS);
	ck_assert_int_eq(total_of("principles"), PRINCIPLES);
	char *after = export_text();
	ck_assert_msg(strcmp(before, after) == 0,
	              "the restart with --sample-data changed the store");
	free(before);
	free(after);
}
END_TEST

START_TEST(sample_skips_non_empty_store)
{
	/* A store holding one record of its own gets nothing from --sample-data. */
	struct harness own;
	harness_start(&own, NULL);
	struct reply *r = write_json(&own, "POST", "/v1/participants", "{\"name\":\"Only One\"}");
	ck_assert_int_eq(r->status, 201);
	reply_free(r);
	harness_restart(&own, sample_args);
	struct reply *p = get(&own, "/v1/participants?count=true");
	ck_assert_int_eq(jint(p->json, "total"), 1);
	ck_assert_str_eq(jstr(p->json, "data.0.name"), "Only One");
	reply_free(p);
	struct reply *m = get(&own, "/v1/meetings?count=true");
	ck_assert_int_eq(jint(m->json, "total"), 0);
	reply_free(m);
	struct reply *q = get(&own, "/v1/principles?count=true");
	ck_assert_int_eq(jint(q->json, "total"), 0);
	reply_free(q);
	harness_stop(&own);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sample");
	TCase *tc = tcase_create("sample");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts);
	tcase_add_test(tc, meeting_facts);
	tcase_add_test(tc, readout_verbatim);
	tcase_add_test(tc, participant_facts);
	tcase_add_test(tc, alias_search);
	tcase_add_test(tc, principle_facts);
	tcase_add_test(tc, principle_chinese_aliases);
	tcase_add_test(tc, readout_mentions);
	tcase_add_test(tc, invocations_by_meeting);
	tcase_add_test(tc, invocations_by_timeline);
	tcase_add_test(tc, sample_loads_once);
	tcase_add_test(tc, sample_skips_non_empty_store);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
