/*
 * Test harness: starts the real server in the test process on port 0 with a
 * fresh database, and talks HTTP to it with libcurl. The database is a file
 * in a temporary directory, or with READOUT_TEST_DB=postgres a new database
 * on the test run's PostgreSQL cluster (READOUT_TEST_PG, the directory
 * tests/pg/cluster.sh runs it in; scripts/test starts it), copied from its
 * migrated template database readout_template and dropped at stop.
 */
#ifndef READOUT_TEST_HARNESS_H
#define READOUT_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define TEST_TOKEN "test-token-0123456789"

struct harness {
	struct app *app;
	struct config cfg; /* borrowed by the running server */
	char dir[256];
	char db[300];     /* the --db value: a file path or a PostgreSQL URI */
	char pg_name[64]; /* the test's PostgreSQL database, "" on SQLite */
	int port;
};

/* Starts a server; args are extra readoutd flags (NULL-terminated, may be
 * NULL). The server has TEST_TOKEN as its write token unless args give
 * --token. Aborts the test on failure. */
void harness_start(struct harness *h, const char *const *args);

/* True when the suites run on PostgreSQL (READOUT_TEST_DB=postgres). A test
 * of something SQLite alone has (its file, its WAL, backup) calls
 * harness_sqlite_only first and returns when it answers false. */
int harness_postgres(void);
int harness_sqlite_only(const char *why);

/* Runs sql on h's database through a connection of its own, as another
 * process would (sqlite3, or psql on PostgreSQL); aborts the test when it
 * fails. */
void harness_sql(struct harness *h, const char *sql);

/* The integer in the first column of the first row sql answers on h's
 * database, asked the same way; aborts the test when it fails. */
long long harness_sql_int(struct harness *h, const char *sql);

/* Stops the server and removes the temporary directory. */
void harness_stop(struct harness *h);

/* Stops and starts the server again on the same database. */
void harness_restart(struct harness *h, const char *const *args);

/* A new TCP connection to the server (loopback, TCP_NODELAY), for bytes
 * curl will not send. The caller closes it. Aborts the test on failure. */
int harness_connect(const struct harness *h);

struct reply {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	char *headers; /* the raw header block */
	json_t *json;  /* parsed body, or NULL */
};

/* Sends a request. body may be NULL; headers is a NULL-terminated list of
 * "Name: value" lines (may be NULL). When body is given and headers name no
 * Content-Type, application/json is sent. "AUTH" in headers stands for the
 * test token's Authorization header. Returns a new reply (reply_free). */
struct reply *req(struct harness *h, const char *method, const char *path, const char *body,
                  const char *const *headers);

/* Shorthands: GET, and an authorized write with a JSON body. */
struct reply *get(struct harness *h, const char *path);
struct reply *write_json(struct harness *h, const char *method, const char *path, const char *body);

/* The value of a response header (case-insensitive), copied into one of 8
 * rotating buffers of the calling thread (so that two can be compared), or
 * NULL. */
const char *reply_header(const struct reply *r, const char *name);

void reply_free(struct reply *r);

/* Formats text (a path, a body) with printf arguments into one of
 * HARNESS_TEXT_BUFS rotating static buffers: a result lives for the next
 * HARNESS_TEXT_BUFS - 1 calls, so several can be used in one expression.
 * Aborts the test when the text is longer than HARNESS_TEXT_MAX. */
#define HARNESS_TEXT_BUFS 256
#define HARNESS_TEXT_MAX 16384
const char *path_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An authorized write to h. body (may be NULL) is JSON written with single
 * quotes for readability; they become double quotes before sending. extra
 * is one more header line or NULL. */
struct reply *write_quoted(struct harness *h, const char *method, const char *path,
                           const char *body, const char *extra);

/* The value of the counter or gauge name in h's /metrics (asserted present). */
long harness_metric(struct harness *h, const char *name);

/* GET path on h; asserts 200 with a JSON body and returns it (new reference). */
json_t *get_json(struct harness *h, const char *path);

/* Asserts that r is a 422 whose errors name exactly the NULL-terminated
 * pointers, each with a detail. */
void assert_422(const struct reply *r, const char *const *pointers);
#define ASSERT_422(r, ...) assert_422(r, (const char *const[]){__VA_ARGS__, NULL})

/* Convenience for string fields of the parsed body: json_string_value of the
 * member at a dotted path ("data.0.slug"), or NULL. */
json_t *jget(json_t *doc, const char *dotted);
const char *jstr(json_t *doc, const char *dotted);
long long jint(json_t *doc, const char *dotted);

/* Asserts that r is a problem+json answer with status and the problem type
 * urn:readout:problem:<kind> (any of ours when kind is NULL), its body
 * carrying the same status and a title. */
void assert_problem(const struct reply *r, long status, const char *kind);

/* True when the problem r lists an error at pointer. */
bool has_pointer(const struct reply *r, const char *pointer);

#endif
