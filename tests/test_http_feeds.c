/* HTTP tests of the lists as CSV (format=csv, Accept: text/csv) and of the
 * Atom feed of meetings, through the real server: every row with no pages,
 * filters, RFC 4180 quoting, the formula guard, negotiation, the export
 * slots; the feed parsed as XML (python3's xml.etree) against RFC 4287. */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

/* ---- data ---- */

#define MEETINGS 250 /* more than a page of the largest limit (200) */

/* The date of generated meeting i: distinct for each i, later for a
 * larger i. */
static void date_of(unsigned i, char out[16])
{
	snprintf(out, 16, "%04u-%02u-%02u", 2000 + i / 336 % 1000, i / 28 % 12 + 1, i % 28 + 1);
}

/* The test's store: two participants, two principles, MEETINGS plain
 * meetings (all attended by alpha, every third by beta too, every fifth
 * invoking plus; even ones summits) and the awkward ones whose texts need
 * quoting or the formula guard. */
static json_t *store_document(void)
{
	json_t *doc = json_pack(
	    "{s:s, s:[{s:s, s:s, s:[s, s, s]}, {s:s, s:s}], s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
	    "format", "readout/1", "participants", "slug", "alpha", "name", "Alpha, \"A\"",
	    "aliases", "=cmd", "semi;colon", "back\\slash", "slug", "beta", "name", "Beta",
	    "principles", "slug", "plus", "name", "+plus", "framework", "-minus", "slug", "at",
	    "name", "At", "description", "@at");
	json_t *meetings = json_array();
	for (int i = 0; i < MEETINGS; i++) {
		char date[16], title[32], slug[32];
		date_of((unsigned)i, date);
		snprintf(title, sizeof title, "Meeting %d", i);
		snprintf(slug, sizeof slug, "m-%d", i);
		json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "slug", slug, "title",
		                      title, "date", date, "kind", i % 2 ? "talks" : "summit",
		                      "participants", "slug", "alpha", "role", "host");
		if (i % 3 == 0)
			json_array_append_new(
			    json_object_get(m, "participants"),
			    json_pack("{s:s, s:s}", "slug", "beta", "role", "guest"));
		json_object_set_new(
		    m, "principles",
		    i % 5 == 0 ? json_pack("[{s:s, s:s}]", "slug", "plus", "stance", "proposed")
		               : json_array());
		json_array_append_new(meetings, m);
	}
	static const char *const awkward[][2] = {
	    {"Talks, \"quoted\"\r\nnext line", "=SUM(A1:A9)"},
	    {"Plain", "+1 555"},
	    {"Minus", "-2"},
	    {"At", "@cmd"},
	    {"Tab", "\tleading tab"},
	    {"CR", "\rleading CR"},
	    {"Line\nfeed", "safe, with a comma"},
	};
	for (size_t i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
		char slug[32];
		snprintf(slug, sizeof slug, "awkward-%zu", i);
		json_array_append_new(meetings, json_pack("{s:s, s:s, s:s, s:s}", "slug", slug,
		                                          "title", awkward[i][0], "date",
		                                          "1990-01-01", "summary", awkward[i][1]));
	}
	json_object_set_new(doc, "meetings", meetings);
	return doc;
}

static void load_store(void)
{
	json_t *doc = store_document();
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	const char *const hdr[] = {"AUTH", NULL};
	struct reply *r = req(&h, "POST", "/v1/import", text, hdr);
	ck_assert_msg(r->status == 200, "import: %ld %.300s", r->status, r->body);
	reply_free(r);
	free(text);
}

/* ---- CSV ---- */

/* Parses body as RFC 4180 CSV into an array of records (arrays of
 * strings), asserting that every record ends in CRLF and that no bare CR
 * or LF stands outside quotes. */
static json_t *csv_parse(const char *body, size_t len)
{
	json_t *rows = json_array();
	json_t *row = json_array();
	char *cell = malloc(len + 1);
	size_t n = 0;
	size_t i = 0;
	bool at_start = true;
	while (i < len) {
		if (body[i] == '"' && n == 0 && at_start) {
			i++;
			for (;;) {
				ck_assert_msg(i < len, "unterminated quoted cell");
				if (body[i] == '"') {
					if (i + 1 < len && body[i + 1] == '"') {
						cell[n++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				cell[n++] = body[i++];
			}
			ck_assert_msg(i < len && (body[i] == ',' || body[i] == '\r'),
			              "text after a closing quote at byte %zu", i);
			at_start = false;
			continue;
		}
		if (body[i] == ',') {
			json_array_append_new(row, json_stringn(cell, n));
			n = 0;
			at_start = true;
			i++;
			continue;
		}
		if (body[i] == '\r') {
			ck_assert_msg(i + 1 < len && body[i + 1] == '\n',
			              "a CR without LF at byte %zu", i);
			json_array_append_new(row, json_stringn(cell, n));
			json_array_append_new(rows, row);
			row = json_array();
			n = 0;
			at_start = true;
			i += 2;
			continue;
		}
		ck_assert_msg(body[i] != '\n' && body[i] != '"', "a bare %s at byte %zu",
		              body[i] == '\n' ? "LF" : "quote", i);
		cell[n++] = body[i++];
		at_start = false;
	}
	ck_assert_msg(n == 0 && json_array_size(row) == 0, "the last record has no CRLF");
	json_decref(row);
	free(cell);
	return rows;
}

/* GET path with headers (NULL-terminated, may be NULL), asserting a CSV
 * answer; returns its records. */
static json_t *get_csv(const char *path, const char *const *headers)
{
	struct reply *r = req(&h, "GET", path, NULL, headers);
	ck_assert_msg(r->status == 200, "%s: %ld %.300s", path, r->status, r->body);
	const char *type = reply_header(r, "Content-Type");
	ck_assert_msg(type && strncmp(type, "text/csv; charset=utf-8", 23) == 0, "%s: %s", path,
	              type ? type : "(none)");
	json_t *rows = csv_parse(r->body, r->len);
	reply_free(r);
	return rows;
}

/* Column name's index in the header record. */
static size_t column(json_t *rows, const char *name)
{
	json_t *header = json_array_get(rows, 0);
	for (size_t i = 0; i < json_array_size(header); i++)
		if (strcmp(json_string_value(json_array_get(header, i)), name) == 0)
			return i;
	ck_abort_msg("no column %s", name);
	return 0;
}

static const char *cell_at(json_t *rows, size_t row, const char *name)
{
	return json_string_value(json_array_get(json_array_get(rows, row), column(rows, name)));
}

/* The row whose slug is slug. */
static size_t row_of(json_t *rows, const char *slug)
{
	for (size_t i = 1; i < json_array_size(rows); i++)
		if (strcmp(cell_at(rows, i, "slug"), slug) == 0)
			return i;
	ck_abort_msg("no row %s", slug);
	return 0;
}

static void assert_header(json_t *rows, const char *expected)
{
	json_t *header = json_array_get(rows, 0);
	char joined[1024] = "";
	for (size_t i = 0; i < json_array_size(header); i++)
		snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s",
		         i ? "," : "", json_string_value(json_array_get(header, i)));
	ck_assert_str_eq(joined, expected);
	for (size_t i = 1; i < json_array_size(rows); i++)
		ck_assert_int_eq(json_array_size(json_array_get(rows, i)), json_array_size(header));
}

START_TEST(csv_meetings_every_row_in_list_order)
{
	load_store();
	/* limit and count shape pages, and CSV has none: ignored. */
	json_t *rows = get_csv("/v1/meetings?format=csv&limit=2&count=true", NULL);
	assert_header(rows, "id,slug,title,date,kind,location,city,country,summary,participants,"
	                    "participant_roles,principles,principle_stances,created_at,"
	                    "updated_at,version");
	ck_assert_int_eq(json_array_size(rows), 1 + MEETINGS + 7);
	/* The list's order: newest first, ties by id, newest id first. */
	for (size_t i = 2; i < json_array_size(rows); i++) {
		int c = strcmp(cell_at(rows, i - 1, "date"), cell_at(rows, i, "date"));
		ck_assert_msg(c > 0 || (c == 0 && atoll(cell_at(rows, i - 1, "id")) >
		                                      atoll(cell_at(rows, i, "id"))),
		              "row %zu out of order", i);
	}
	ck_assert_str_eq(cell_at(rows, 1, "slug"), "m-249");
	size_t r3 = row_of(rows, "m-3");
	ck_assert_str_eq(cell_at(rows, r3, "participants"), "alpha;beta");
	ck_assert_str_eq(cell_at(rows, r3, "participant_roles"), "host;guest");
	ck_assert_str_eq(cell_at(rows, r3, "principles"), "");
	ck_assert_str_eq(cell_at(rows, r3, "kind"), "talks");
	ck_assert_str_eq(cell_at(rows, r3, "version"), "1");
	size_t r0 = row_of(rows, "m-0");
	ck_assert_str_eq(cell_at(rows, r0, "principles"), "plus");
	ck_assert_str_eq(cell_at(rows, r0, "principle_stances"), "proposed");
	json_decref(rows);

	/* sort=date: oldest first. */
	rows = get_csv("/v1/meetings?format=csv&sort=date", NULL);
	ck_assert_int_eq(json_array_size(rows), 1 + MEETINGS + 7);
	ck_assert_str_eq(cell_at(rows, json_array_size(rows) - 1, "slug"), "m-249");
	json_decref(rows);
}
END_TEST

START_TEST(csv_meetings_filters_apply)
{
	load_store();
	json_t *rows = get_csv("/v1/meetings?format=csv&participant=beta", NULL);
	ck_assert_int_eq(json_array_size(rows), 1 + (MEETINGS + 2) / 3);
	json_decref(rows);
	rows = get_csv("/v1/meetings?format=csv&participant=beta&participant=alpha&kind=summit"
	               "&principle=plus",
	               NULL);
	/* i divisible by 2, 3 and 5. */
	ck_assert_int_eq(json_array_size(rows), 1 + (MEETINGS + 29) / 30);
	for (size_t i = 1; i < json_array_size(rows); i++)
		ck_assert_int_eq(atoi(cell_at(rows, i, "slug") + 2) % 30, 0);
	json_decref(rows);
	rows = get_csv("/v1/meetings?format=csv&from=2000-01-01&to=2000-01-28", NULL);
	ck_assert_int_eq(json_array_size(rows), 1 + 28);
	json_decref(rows);
	/* q, best match first, and q with sort. */
	rows = get_csv("/v1/meetings?format=csv&q=quoted", NULL);
	ck_assert_int_eq(json_array_size(rows), 2);
	ck_assert_str_eq(cell_at(rows, 1, "slug"), "awkward-0");
	json_decref(rows);
	rows = get_csv("/v1/meetings?format=csv&q=meeting&sort=date", NULL);
	ck_assert_int_eq(json_array_size(rows), 1 + MEETINGS);
	json_decref(rows);
	/* Search text that can match nothing: the header alone. */
	rows = get_csv("/v1/meetings?format=csv&q=%22%22", NULL);
	ck_assert_int_eq(json_array_size(rows), 1);
	json_decref(rows);
	/* A filter naming nothing stored is refused as on the list. */
	struct reply *list = get(&h, "/v1/meetings?participant=nobody");
	struct reply *csv = get(&h, "/v1/meetings?participant=nobody&format=csv");
	ck_assert_int_eq(list->status, 400);
	assert_problem(csv, list->status, NULL);
	reply_free(list);
	reply_free(csv);
	csv = get(&h, "/v1/meetings?format=csv&kind=lunch");
	assert_problem(csv, 400, NULL);
	reply_free(csv);
}
END_TEST

START_TEST(csv_quoting_and_formula_guard)
{
	load_store();
	struct reply *r = get(&h, "/v1/meetings?format=csv&to=1990-12-31");
	ck_assert_int_eq(r->status, 200);
	/* Quotes doubled, the cell quoted for its comma, quote and CRLF. */
	ck_assert_ptr_nonnull(strstr(r->body, ",\"Talks, \"\"quoted\"\"\r\nnext line\","));
	ck_assert_ptr_nonnull(strstr(r->body, ",\"Line\nfeed\","));
	ck_assert_ptr_nonnull(strstr(r->body, ",\"safe, with a comma\","));
	/* A cell that needs no quotes has none. */
	ck_assert_ptr_nonnull(strstr(r->body, ",Plain,"));
	json_t *rows = csv_parse(r->body, r->len);
	reply_free(r);
	ck_assert_int_eq(json_array_size(rows), 1 + 7);
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-0"), "title"),
	                 "Talks, \"quoted\"\r\nnext line");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-0"), "summary"), "'=SUM(A1:A9)");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-1"), "summary"), "'+1 555");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-2"), "summary"), "'-2");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-3"), "summary"), "'@cmd");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-4"), "summary"), "'\tleading tab");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-5"), "summary"), "'\rleading CR");
	ck_assert_str_eq(cell_at(rows, row_of(rows, "awkward-6"), "summary"), "safe, with a comma");
	json_decref(rows);
}
END_TEST

START_TEST(csv_participants_and_principles)
{
	load_store();
	const char *const accept[] = {"Accept: text/csv", NULL};
	json_t *rows = get_csv("/v1/participants", accept);
	assert_header(rows, "id,slug,name,aliases,title,organization,country,meeting_count,"
	                    "first_meeting_date,last_meeting_date,created_at,updated_at,version");
	ck_assert_int_eq(json_array_size(rows), 3);
	/* The list's order: by name. */
	ck_assert_str_eq(cell_at(rows, 1, "slug"), "alpha");
	ck_assert_str_eq(cell_at(rows, 1, "name"), "Alpha, \"A\"");
	/* Aliases ;-joined, ';' and '\' in them escaped; the guard on the
	 * cell's start. */
	ck_assert_str_eq(cell_at(rows, 1, "aliases"), "'=cmd;semi\\;colon;back\\\\slash");
	ck_assert_str_eq(cell_at(rows, 1, "meeting_count"), "250");
	ck_assert_str_eq(cell_at(rows, 2, "aliases"), "");
	json_decref(rows);
	rows = get_csv("/v1/participants?format=csv&q=bet&sort=-meeting_count", NULL);
	ck_assert_int_eq(json_array_size(rows), 2);
	ck_assert_str_eq(cell_at(rows, 1, "slug"), "beta");
	json_decref(rows);

	rows = get_csv("/v1/principles?format=csv", NULL);
	assert_header(rows, "id,slug,name,framework,description,invocation_count,"
	                    "first_invoked_date,created_at,updated_at,version");
	ck_assert_int_eq(json_array_size(rows), 3);
	ck_assert_str_eq(cell_at(rows, 1, "slug"), "plus"); /* "+plus" sorts before "At" */
	ck_assert_str_eq(cell_at(rows, 1, "name"), "'+plus");
	ck_assert_str_eq(cell_at(rows, 1, "framework"), "'-minus");
	ck_assert_str_eq(cell_at(rows, 1, "invocation_count"), "50");
	ck_assert_str_eq(cell_at(rows, 2, "description"), "'@at");
	ck_assert_str_eq(cell_at(rows, 2, "first_invoked_date"), "");
	json_decref(rows);
	rows = get_csv("/v1/principles?format=csv&framework=-minus", NULL);
	ck_assert_int_eq(json_array_size(rows), 2);
	json_decref(rows);
}
END_TEST

/* What a GET of path with one Accept header answers: "csv", "json" or
 * the status. */
static const char *negotiated(const char *path, const char *accept)
{
	const char *const hdr[] = {accept, NULL};
	struct reply *r = req(&h, "GET", path, NULL, accept ? hdr : NULL);
	static char out[16];
	const char *type = reply_header(r, "Content-Type");
	if (r->status != 200)
		snprintf(out, sizeof out, "%ld", r->status);
	else
		snprintf(out, sizeof out, "%s",
		         type && strncmp(type, "text/csv", 8) == 0       ? "csv"
		         : type && strcmp(type, "application/json") == 0 ? "json"
		                                                         : "other");
	if (r->status == 200) {
		const char *vary = reply_header(r, "Vary");
		ck_assert_msg(vary && strstr(vary, "Accept"), "%s: Vary %s", path,
		              vary ? vary : "(none)");
	}
	reply_free(r);
	return out;
}

START_TEST(csv_negotiation)
{
	load_store();
	static const char *const lists[] = {"/v1/meetings", "/v1/participants", "/v1/principles"};
	for (int i = 0; i < 3; i++) {
		const char *p = lists[i];
		/* JSON first, so a cached JSON answer would show below. */
		ck_assert_str_eq(negotiated(p, NULL), "json");
		ck_assert_str_eq(negotiated(p, "Accept: text/csv"), "csv");
		ck_assert_str_eq(negotiated(p, "Accept: */*"), "json");
		ck_assert_str_eq(negotiated(p, "Accept: application/json"), "json");
		ck_assert_str_eq(
		    negotiated(p, "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
		                  "*/*;q=0.8"),
		    "json");
		ck_assert_str_eq(negotiated(p, "Accept: text/csv, application/json"), "json");
		ck_assert_str_eq(negotiated(p, "Accept: text/csv;q=0.5, application/json"), "json");
		ck_assert_str_eq(negotiated(p, "Accept: application/json;q=0.5, text/csv"), "csv");
		ck_assert_str_eq(negotiated(p, "Accept: TEXT/CSV ; q=1, */*;q=0.1"), "csv");
		ck_assert_str_eq(negotiated(p, "Accept: text/*"), "csv");
		/* Neither: as before CSV existed, JSON. */
		ck_assert_str_eq(negotiated(p, "Accept: image/png"), "json");
		/* format wins over Accept. */
		ck_assert_str_eq(negotiated(path_fmt("%s?format=json", p), "Accept: text/csv"),
		                 "json");
		ck_assert_str_eq(
		    negotiated(path_fmt("%s?format=csv", p), "Accept: application/json"), "csv");
		struct reply *r = get(&h, path_fmt("%s?format=xml", p));
		assert_problem(r, 400, NULL);
		ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "format"));
		reply_free(r);
		/* No pages, so no cursor. */
		r = get(&h, path_fmt("%s?limit=1", p));
		const char *cursor = jstr(r->json, "next_cursor");
		ck_assert_ptr_nonnull(cursor);
		struct reply *c = get(&h, path_fmt("%s?limit=1&format=csv&cursor=%s", p, cursor));
		assert_problem(c, 400, NULL);
		reply_free(c);
		reply_free(r);
		/* HEAD: the status and headers alone. */
		r = req(&h, "HEAD", path_fmt("%s?format=csv", p), NULL, NULL);
		ck_assert_int_eq(r->status, 200);
		ck_assert_int_eq(r->len, 0);
		ck_assert_ptr_nonnull(strstr(reply_header(r, "Content-Disposition"), ".csv\""));
		reply_free(r);
	}
}
END_TEST

/* GET path on a socket of its own with a small receive buffer, reading
 * the status line and nothing more. Returns the socket, or -1 after a
 * 503. */
static int stalled_try(const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	int small = 4096;
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h.port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	char get[256];
	snprintf(get, sizeof get, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	ck_assert_int_eq(write(fd, get, strlen(get)), (ssize_t)strlen(get));
	char status[13] = {0};
	size_t got = 0;
	while (got < 12) {
		ssize_t n = read(fd, status + got, 12 - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	if (strcmp(status, "HTTP/1.1 503") == 0) {
		close(fd);
		return -1;
	}
	ck_assert_str_eq(status, "HTTP/1.1 200");
	return fd;
}

static int stalled_get(const char *path)
{
	/* The slot of a stream read to its end comes back just after its
	 * client has read it: a 503 may come first. */
	for (int attempt = 0;; attempt++) {
		int fd = stalled_try(path);
		if (fd >= 0)
			return fd;
		ck_assert_int_lt(attempt, 100);
		usleep(50 * 1000);
	}
}

/* GET path until it answers 200 (a slot is free again). */
static void wait_slot(const char *path)
{
	for (int i = 0; i < 200; i++) {
		struct reply *r = get(&h, path);
		long status = r->status;
		reply_free(r);
		if (status == 200)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("no export slot came free");
}

/* A CSV stream takes an export slot: past --max-exports, CSV and export
 * alike are 503 with Retry-After, and the slot comes back when the
 * client goes. */
START_TEST(csv_takes_an_export_slot)
{
	harness_stop(&h);
	harness_start(&h, (const char *const[]){"--max-exports", "1", NULL});
	/* Some 10 MB of CSV: more than the socket buffers hold. */
	enum { BIG = 1000, SUMMARY = 9500 };
	json_t *meetings = json_array();
	char *summary = malloc(SUMMARY + 1);
	for (int i = 0; i < SUMMARY; i++)
		summary[i] = "quay ferry lantern treaty "[i % 26];
	summary[SUMMARY] = '\0';
	for (int i = 0; i < BIG; i++) {
		char slug[32];
		snprintf(slug, sizeof slug, "big-%d", i);
		json_array_append_new(meetings,
		                      json_pack("{s:s, s:s, s:s, s:s}", "slug", slug, "title", slug,
		                                "date", "2024-01-01", "summary", summary));
	}
	free(summary);
	json_t *doc = json_pack("{s:o}", "meetings", meetings);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	const char *const hdr[] = {"AUTH", NULL};
	struct reply *r = req(&h, "POST", "/v1/import", text, hdr);
	ck_assert_msg(r->status == 200, "%ld %.200s", r->status, r->body);
	reply_free(r);
	free(text);

	int held = stalled_get("/v1/meetings?format=csv");
	static const char *const refused[] = {"/v1/meetings?format=csv",
	                                      "/v1/participants?format=csv",
	                                      "/v1/principles?format=csv", "/v1/export"};
	for (int i = 0; i < 4; i++) {
		r = get(&h, refused[i]);
		assert_problem(r, 503, "unavailable");
		ck_assert_ptr_nonnull(reply_header(r, "Retry-After"));
		ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "--max-exports"));
		reply_free(r);
	}
	/* JSON pages take no slot. */
	r = get(&h, "/v1/meetings?limit=1");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	close(held);
	wait_slot("/v1/principles?format=csv");
	/* And an export holds the slot against CSV. */
	held = stalled_get("/v1/export");
	r = get(&h, "/v1/participants?format=csv");
	assert_problem(r, 503, "unavailable");
	reply_free(r);
	close(held);
	wait_slot("/v1/participants?format=csv");
	/* The whole stream, read to its end, once the slot of the last one
	 * (freed just after its client has read it) is back. */
	for (int i = 0; i < 100; i++) {
		r = get(&h, "/v1/meetings?format=csv&limit=1");
		long status = r->status;
		reply_free(r);
		if (status != 503)
			break;
		usleep(50 * 1000);
	}
	usleep(100 * 1000);
	json_t *rows = get_csv("/v1/meetings?format=csv", NULL);
	ck_assert_int_eq(json_array_size(rows), 1 + BIG);
	json_decref(rows);
}
END_TEST

/* ---- Atom ---- */

/* Checks the structure RFC 4287 requires with python3's XML parser and
 * answers what it found:
 * {"feed": [ids, titles, updateds, authors], "self": [...], "updated",
 *  "entries": [{"id", "title", "updated", "published", "counts": [ids,
 *  titles, updateds], "links": {rel: href}, "types": {rel: type},
 *  "authors", "summary", "category"}]}. */
static json_t *atom_parse(const char *body, size_t len)
{
	char path[] = "/tmp/readout-feed-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, len), (ssize_t)len);
	close(fd);
	static const char script[] =
	    "import sys, json, xml.etree.ElementTree as ET\n"
	    "A = '{http://www.w3.org/2005/Atom}'\n"
	    "f = ET.parse(sys.argv[1]).getroot()\n"
	    "assert f.tag == A + 'feed', f.tag\n"
	    "n = lambda e, k: len(e.findall(A + k))\n"
	    "out = {'feed': [n(f, 'id'), n(f, 'title'), n(f, 'updated'), n(f, 'author')],\n"
	    "       'id': f.findtext(A + 'id'), 'updated': f.findtext(A + 'updated'),\n"
	    "       'self': [l.get('href') for l in f.findall(A + 'link') if l.get('rel') == "
	    "'self'],\n"
	    "       'entries': []}\n"
	    "for e in f.findall(A + 'entry'):\n"
	    "    out['entries'].append({'id': e.findtext(A + 'id'), 'title': e.findtext(A + "
	    "'title'),\n"
	    "        'updated': e.findtext(A + 'updated'), 'published': e.findtext(A + "
	    "'published'),\n"
	    "        'counts': [n(e, 'id'), n(e, 'title'), n(e, 'updated')],\n"
	    "        'links': {l.get('rel'): l.get('href') for l in e.findall(A + 'link')},\n"
	    "        'types': {l.get('rel'): l.get('type') for l in e.findall(A + 'link')},\n"
	    "        'authors': n(e, 'author'), 'summary': e.findtext(A + 'summary'),\n"
	    "        'category': e.find(A + 'category').get('term')})\n"
	    "print(json.dumps(out))\n";
	char script_path[] = "/tmp/readout-atom-XXXXXX";
	fd = mkstemp(script_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, sizeof script - 1), (ssize_t)(sizeof script - 1));
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "python3 %s %s", script_path, path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	json_error_t err;
	json_t *out = json_loadf(p, 0, &err);
	int status = pclose(p);
	unlink(path);
	unlink(script_path);
	ck_assert_msg(out && status == 0, "the feed is not well-formed Atom: %s\n%.2000s", err.text,
	              body);
	return out;
}

/* GET path, asserting an Atom answer; returns its parse. */
static json_t *get_atom(const char *path)
{
	struct reply *r = get(&h, path);
	ck_assert_msg(r->status == 200, "%s: %ld %.300s", path, r->status, r->body);
	ck_assert_str_eq(reply_header(r, "Content-Type"), "application/atom+xml");
	json_t *feed = atom_parse(r->body, r->len);
	reply_free(r);
	/* RFC 4287 section 4.1.1: one id, title, updated; an author (here at
	 * the feed: entries carry none). */
	ck_assert_int_eq(jint(feed, "feed.0"), 1);
	ck_assert_int_eq(jint(feed, "feed.1"), 1);
	ck_assert_int_eq(jint(feed, "feed.2"), 1);
	ck_assert_int_ge(jint(feed, "feed.3"), 1);
	ck_assert_int_eq(json_array_size(jget(feed, "self")), 1);
	json_t *entries = jget(feed, "entries");
	for (size_t i = 0; i < json_array_size(entries); i++) {
		json_t *e = json_array_get(entries, i);
		for (int k = 0; k < 3; k++)
			ck_assert_int_eq(json_integer_value(json_array_get(
			                     json_object_get(e, "counts"), (size_t)k)),
			                 1);
		ck_assert_ptr_nonnull(jstr(e, "links.alternate"));
		ck_assert_ptr_nonnull(jstr(e, "links.related"));
		ck_assert_str_eq(jstr(e, "types.related"), "application/json");
		ck_assert_str_eq(jstr(e, "types.alternate"), "text/html");
		ck_assert_int_eq(strncmp(jstr(e, "id"), "tag:", 4), 0);
	}
	return feed;
}

START_TEST(atom_newest_fifty)
{
	load_store();
	json_t *feed = get_atom("/v1/meetings.atom");
	json_t *entries = jget(feed, "entries");
	ck_assert_int_eq(json_array_size(entries), 50);
	/* Newest first: m-249 down to m-200. */
	for (int i = 0; i < 50; i++) {
		char title[32];
		snprintf(title, sizeof title, "Meeting %d", 249 - i);
		ck_assert_str_eq(jstr(json_array_get(entries, (size_t)i), "title"), title);
	}
	struct reply *m = get(&h, "/v1/meetings/m-249");
	json_t *first = json_array_get(entries, 0);
	ck_assert_str_eq(jstr(first, "updated"), jstr(m->json, "updated_at"));
	ck_assert_str_eq(jstr(first, "published"), jstr(m->json, "created_at"));
	ck_assert_str_eq(jstr(first, "category"), "talks");
	long long id = jint(m->json, "id");
	const char *api = jstr(first, "links.related");
	ck_assert_msg(strstr(api, path_fmt("/v1/meetings/%lld", id)) &&
	                  strncmp(api, "http://", 7) == 0,
	              "%s", api);
	ck_assert_str_eq(jstr(first, "links.alternate"),
	                 path_fmt("http://127.0.0.1:%d/explore/?meeting=%lld", h.port, id));
	ck_assert_ptr_nonnull(strstr(jstr(feed, "self.0"), "/v1/meetings.atom"));
	reply_free(m);
	json_decref(feed);

	/* Filters apply; with a participant, a different feed id. */
	feed = get_atom("/v1/meetings.atom?participant=beta&kind=summit&from=2000-01-01");
	entries = jget(feed, "entries");
	ck_assert_int_eq(json_array_size(entries), 42); /* i divisible by 6 */
	for (size_t i = 0; i < json_array_size(entries); i++)
		ck_assert_int_eq(atoi(jstr(json_array_get(entries, i), "title") + 8) % 6, 0);
	json_t *all = get_atom("/v1/meetings.atom");
	ck_assert_str_ne(jstr(feed, "id"), jstr(all, "id"));
	json_decref(all);
	json_decref(feed);
	feed = get_atom("/v1/meetings.atom?q=quoted");
	ck_assert_int_eq(json_array_size(jget(feed, "entries")), 1);
	json_decref(feed);

	/* Unknown filter values as on the list. */
	static const char *const bad[] = {"participant=nobody", "kind=lunch", "from=2024-02-30",
	                                  "principle=0",        "country=ZZ", "q="};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply *list = get(&h, path_fmt("/v1/meetings?%s", bad[i]));
		struct reply *atom = get(&h, path_fmt("/v1/meetings.atom?%s", bad[i]));
		ck_assert_int_ge(list->status, 400);
		assert_problem(atom, list->status, NULL);
		reply_free(list);
		reply_free(atom);
	}
}
END_TEST

START_TEST(atom_empty_and_escaped)
{
	json_t *feed = get_atom("/v1/meetings.atom");
	ck_assert_int_eq(json_array_size(jget(feed, "entries")), 0);
	ck_assert_str_eq(jstr(feed, "updated"), "1970-01-01T00:00:00.000Z");
	json_decref(feed);
	struct reply *r = write_json(&h, "POST", "/v1/meetings",
	                             "{\"title\": \"<b>Tom & \\\"Jerry\\\"</b> \\uffff\\ufffe\", "
	                             "\"date\": \"2024-01-01\", "
	                             "\"summary\": \"a < b && c > \\\"d\\\" \"}");
	ck_assert_int_eq(r->status, 201);
	reply_free(r);
	/* The API refuses control characters, but a database written
	 * otherwise may hold them. */
	harness_sql(&h, harness_postgres()
	                    ? "UPDATE meetings SET summary = summary || chr(7) || chr(9) || chr(27)"
	                    : "UPDATE meetings SET summary = summary || char(7, 9, 27)");
	r = get(&h, "/v1/meetings.atom");
	ck_assert_ptr_nonnull(strstr(r->body, "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"));
	feed = atom_parse(r->body, r->len);
	reply_free(r);
	json_t *e = json_array_get(jget(feed, "entries"), 0);
	/* Control characters XML cannot hold are left out. */
	ck_assert_str_eq(jstr(e, "title"), "<b>Tom & \"Jerry\"</b> ");
	ck_assert_str_eq(jstr(e, "summary"), "a < b && c > \"d\" \t");
	json_decref(feed);
}
END_TEST

START_TEST(atom_entry_id_survives_renames)
{
	struct reply *r = write_json(&h, "POST", "/v1/meetings",
	                             "{\"title\": \"First title\", \"date\": \"2024-01-01\"}");
	ck_assert_int_eq(r->status, 201);
	long long id = jint(r->json, "id");
	reply_free(r);
	json_t *before = get_atom("/v1/meetings.atom");
	const char *tag = jstr(before, "entries.0.id");
	ck_assert_ptr_nonnull(strstr(tag, path_fmt(":readout/meetings/%lld", id)));
	r = write_json(&h, "PATCH", path_fmt("/v1/meetings/%lld", id),
	               "{\"title\": \"Second title\", \"slug\": \"renamed\"}");
	ck_assert_int_eq(r->status, 200);
	reply_free(r);
	json_t *after = get_atom("/v1/meetings.atom");
	ck_assert_str_eq(jstr(after, "entries.0.title"), "Second title");
	ck_assert_str_eq(jstr(after, "entries.0.id"), tag);
	ck_assert_str_ne(jstr(after, "entries.0.updated"), jstr(before, "entries.0.updated"));
	ck_assert_str_eq(jstr(after, "updated"), jstr(after, "entries.0.updated"));
	ck_assert_str_eq(jstr(after, "id"), jstr(before, "id"));
	json_decref(before);
	json_decref(after);
}
END_TEST

START_TEST(atom_etag_and_head)
{
	struct reply *r = write_json(&h, "POST", "/v1/meetings",
	                             "{\"title\": \"One\", \"date\": \"2024-01-01\"}");
	reply_free(r);
	r = get(&h, "/v1/meetings.atom");
	ck_assert_int_eq(r->status, 200);
	char etag[64];
	snprintf(etag, sizeof etag, "%s", reply_header(r, "ETag"));
	size_t len = r->len;
	reply_free(r);
	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *const hdr[] = {inm, NULL};
	r = req(&h, "GET", "/v1/meetings.atom", NULL, hdr);
	ck_assert_int_eq(r->status, 304);
	reply_free(r);
	r = req(&h, "HEAD", "/v1/meetings.atom", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->len, 0);
	ck_assert_str_eq(reply_header(r, "ETag"), etag);
	ck_assert_int_eq(atol(reply_header(r, "Content-Length")), (long)len);
	reply_free(r);
	/* A write changes the feed and its tag. */
	r = write_json(&h, "POST", "/v1/meetings",
	               "{\"title\": \"Two\", \"date\": \"2024-01-02\"}");
	reply_free(r);
	r = req(&h, "GET", "/v1/meetings.atom", NULL, hdr);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_ne(reply_header(r, "ETag"), etag);
	reply_free(r);
	/* The path is no meeting reference, and the feed takes GET alone. */
	r = write_json(&h, "PUT", "/v1/meetings.atom", "{}");
	ck_assert_int_eq(r->status, 405);
	reply_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_feeds");
	TCase *tc = tcase_create("feeds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, csv_meetings_every_row_in_list_order);
	tcase_add_test(tc, csv_meetings_filters_apply);
	tcase_add_test(tc, csv_quoting_and_formula_guard);
	tcase_add_test(tc, csv_participants_and_principles);
	tcase_add_test(tc, csv_negotiation);
	tcase_add_test(tc, csv_takes_an_export_slot);
	tcase_add_test(tc, atom_newest_fifty);
	tcase_add_test(tc, atom_empty_and_escaped);
	tcase_add_test(tc, atom_entry_id_survives_renames);
	tcase_add_test(tc, atom_etag_and_head);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
