/*
 * The PostgreSQL driver: one libpq connection per struct store_db, each
 * statement prepared once per connection under its own name, parameters and
 * results in text format, $N passed through unchanged. The only file that
 * includes libpq-fe.h.
 *
 * Every query is sent asynchronously and awaited with poll() against the
 * operation's deadline; past it the driver sends a cancel request and the
 * statement fails with 57014 (STORE_BUSY). That costs nothing while a
 * statement is in time (no SET statement_timeout round trip each time the
 * remaining budget shrinks) and it also bounds a wait on a server that no
 * longer answers at all: when even the cancel goes unanswered the
 * connection is dropped.
 *
 * A connection found broken (a restart, a network failure) is replaced
 * before its next use outside a transaction; its statements are prepared
 * again on the new session as they are next run. Until the server answers
 * again every operation is STORE_BUSY, which the api answers with 503.
 *
 * Writers take one transaction-level advisory lock after BEGIN (READ
 * COMMITTED): writes are serialized across every readoutd sharing the
 * database, exactly as SQLite's BEGIN IMMEDIATE serializes them, so the
 * store's read-check-write sequences (a free slug, then the INSERT; an
 * If-Match version, then the UPDATE) keep the meaning they have on SQLite:
 * two racing creates with one slug give one 201 and one 409, two derived
 * slugs give "x" and "x-2", two If-Match writes have exactly one winner and
 * one 412. SERIALIZABLE would instead fail the loser with 40001 (a 503 to
 * retry) where SQLite answers, and row locks (FOR UPDATE) cannot lock a
 * slug that no row holds yet. Readers never wait for the lock.
 *
 * The response cache stays on: every transaction that writes a record moves
 * a one-row data generation (triggers of migrations/postgres/0003, so a
 * write by any client counts), and store_generation reads it with one
 * primary-key SELECT, as SQLite's PRAGMA data_version.
 */
#include <libpq-fe.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/search.h"
#include "model/tokenize.h"
#include "model/xalloc.h"
#include "store/migrations.h"
#include "store/internal.h"

#define PG_MIN_VERSION 150000
#define PG_INT2_OID 21
#define PG_INT4_OID 23
#define PG_INT8_OID 20
#define PG_TEXT_OID 25
#define PG_CANCEL_GRACE_MS 2000  /* how long a cancelled statement may take to stop */
#define PG_CONTROL_WAIT_MS 10000 /* COMMIT and ROLLBACK: never cut short, never a hang */
/* pg_advisory_xact_lock keys: "RDOW" (the writers) and "RDOM" (migrations). */
#define PG_WRITE_LOCK "1380209495"
#define PG_MIGRATE_LOCK "1380209485"

struct store_db {
	PGconn *conn;
	PGcancel *cancel;
	char *target;
	unsigned
	    epoch; /* counts sessions: a statement prepared in an older one is prepared again */
	unsigned names; /* statement names handed out */
	int64_t deadline_ms;
	int64_t changes;
	bool in_tx;         /* a transaction the store opened and has not ended */
	bool broken;        /* replace before the next use */
	unsigned listening; /* the epoch whose session LISTENs for changes; 0: none */
	char **unused;      /* names of finalized statements to DEALLOCATE */
	size_t unused_count;
};

struct store_db_stmt {
	struct store_db *db;
	char name[24];
	char *sql;
	unsigned epoch;
	int nparams;
	char **values; /* nparams bound values (NULL: SQL NULL) */
	PGresult *res;
	int row, rows;
	unsigned char *blob; /* column_blob's last answer */
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The one mapping of PostgreSQL outcomes to store statuses: r NULL means no
 * answer came (a lost connection). */
static enum store_status pg_status(const struct store_db *db, const PGresult *r)
{
	if (!r)
		return STORE_BUSY;
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return STORE_OK;
	default:
		break;
	}
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!s || !db->conn || PQstatus(db->conn) != CONNECTION_OK)
		return STORE_BUSY; /* the connection, not the statement */
	if (strncmp(s, "23", 2) == 0)
		return STORE_CONFLICT; /* integrity: unique, foreign key, check, not null */
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || /* serialization, deadlock */
	    strcmp(s, "55P03") == 0 ||                            /* lock not available */
	    strcmp(s, "57014") == 0 ||                            /* cancelled: the deadline */
	    strncmp(s, "57P", 3) == 0 ||                          /* shutdown, crash, restart */
	    strncmp(s, "08", 2) == 0 ||                           /* connection exception */
	    strncmp(s, "53", 2) == 0 ||                           /* disk full, out of memory */
	    strcmp(s, "25006") == 0)                              /* read-only transaction */
		return STORE_BUSY;
	fprintf(stderr, "readoutd: postgres: %s", PQresultErrorMessage(r));
	return STORE_ERROR;
}

static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message; /* NOTICEs (an empty tsquery) are not the log's business */
}

/* Connects to target (a libpq URI). The URI's own settings win over these
 * defaults: a bounded connect, keepalives that notice a dead peer. */
static PGconn *pg_connect(const char *target)
{
	static const char *const keys[] = {
	    "connect_timeout",     "keepalives",       "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "application_name",
	    "client_encoding",     "dbname",           NULL};
	const char *values[] = {"3", "1", "10", "5", "3", "readoutd", "UTF8", target, NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (conn)
		PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

/* The first line of libpq's message for conn. */
static void first_line(PGconn *conn, char *out, size_t n)
{
	const char *m = conn ? PQerrorMessage(conn) : "out of memory";
	size_t len = strcspn(m, "\n");
	snprintf(out, n, "%.*s", (int)len, m);
}

static void forget_unused(struct store_db *db)
{
	for (size_t i = 0; i < db->unused_count; i++)
		free(db->unused[i]);
	free(db->unused);
	db->unused = NULL;
	db->unused_count = 0;
}

static void disconnect(struct store_db *db)
{
	PQfreeCancel(db->cancel);
	PQfinish(db->conn);
	db->cancel = NULL;
	db->conn = NULL;
	forget_unused(db); /* they died with the session */
}

/* Makes db's connection usable: a broken one is replaced, unless the store
 * still has a transaction open on it (that transaction is lost: BUSY until
 * the store rolls it back). */
static enum store_status ensure(struct store_db *db)
{
	if (db->conn && !db->broken && PQstatus(db->conn) == CONNECTION_OK)
		return STORE_OK;
	if (db->in_tx)
		return STORE_BUSY;
	disconnect(db);
	PGconn *conn = pg_connect(db->target);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return STORE_BUSY;
	}
	db->conn = conn;
	db->cancel = PQgetCancel(conn);
	db->epoch++;
	db->broken = false;
	return STORE_OK;
}

/* Waits until db's connection can give a result without blocking, until
 * deadline (0: none). Past it the statement is cancelled; when even that
 * goes unanswered the connection is given up. false when no result will
 * come. */
static bool await_ready(struct store_db *db, int64_t deadline, bool *cancelled)
{
	while (PQisBusy(db->conn)) {
		int timeout = -1;
		if (deadline) {
			int64_t left = deadline - now_ms();
			timeout = left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
		}
		struct pollfd p = {.fd = PQsocket(db->conn), .events = POLLIN};
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && deadline && now_ms() >= deadline) {
			if (*cancelled || !db->cancel) {
				db->broken = true;
				return false;
			}
			char err[256];
			PQcancel(db->cancel, err, sizeof err);
			*cancelled = true;
			deadline = now_ms() + PG_CANCEL_GRACE_MS;
			continue;
		}
		if (n < 0 || !PQconsumeInput(db->conn))
			return true; /* PQgetResult reports the failure */
	}
	return true;
}

/* Collects the results of the query just sent: the first failure, else the
 * last result (the caller clears it); NULL when the connection broke. */
static PGresult *await_result(struct store_db *db, int64_t deadline)
{
	PGresult *keep = NULL;
	bool cancelled = false;
	for (;;) {
		if (!await_ready(db, deadline, &cancelled)) {
			PQclear(keep);
			return NULL;
		}
		PGresult *r = PQgetResult(db->conn);
		if (!r)
			break;
		ExecStatusType s = PQresultStatus(r);
		bool failed =
		    s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY;
		if (keep && PQresultStatus(keep) != PGRES_COMMAND_OK &&
		    PQresultStatus(keep) != PGRES_TUPLES_OK && !failed) {
			PQclear(r); /* keep the first failure */
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	if (PQstatus(db->conn) != CONNECTION_OK)
		db->broken = true;
	return keep;
}

/* True when a statement that just failed may run again on a new
 * connection: the old one is lost (a server restart closes every session),
 * no transaction of the store was open on it, and there is time left. A
 * session closed by a restart is only found out by the next statement;
 * without this, each worker thread's first request after a restart would
 * be a 503. */
static bool may_retry(const struct store_db *db, int64_t deadline)
{
	return !db->in_tx && (db->broken || !db->conn || PQstatus(db->conn) != CONNECTION_OK) &&
	       (!deadline || now_ms() < deadline);
}

/* Runs sql (one or more statements, no parameters) and maps the outcome. */
static enum store_status exec_simple(struct store_db *db, const char *sql, int64_t deadline,
                                     PGresult **out)
{
	for (int attempt = 0;; attempt++) {
		enum store_status r = ensure(db);
		if (r != STORE_OK)
			return r;
		PGresult *res = NULL;
		if (PQsendQuery(db->conn, sql))
			res = await_result(db, deadline);
		else
			db->broken = PQstatus(db->conn) != CONNECTION_OK;
		r = pg_status(db, res);
		if (out && r == STORE_OK)
			*out = res;
		else
			PQclear(res);
		if (r == STORE_BUSY && attempt == 0 && may_retry(db, deadline))
			continue;
		return r;
	}
}

static struct store_db *pg_open(const char *target, bool create, char *err, size_t errlen)
{
	(void)create; /* the database itself is made by its administrator */
	PGconn *conn = pg_connect(target);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		char why[256];
		first_line(conn, why, sizeof why);
		if (conn && PQdb(conn) && PQuser(conn))
			snprintf(
			    err, errlen,
			    "cannot connect to PostgreSQL database \"%s\" as \"%s\": %s (check "
			    "--db, the password and that the server runs)",
			    PQdb(conn), PQuser(conn), why);
		else /* the URI itself: the password it may hold is not repeated */
			snprintf(err, errlen, "--db is not a PostgreSQL URI libpq accepts: %s",
			         why);
		PQfinish(conn);
		return NULL;
	}
	int version = PQserverVersion(conn);
	if (version < PG_MIN_VERSION) {
		snprintf(err, errlen,
		         "PostgreSQL server of database \"%s\" is version %d.%d: readoutd needs "
		         "PostgreSQL 15 or later",
		         PQdb(conn), version / 10000, version % 10000);
		PQfinish(conn);
		return NULL;
	}
	struct store_db *db = xcalloc(1, sizeof *db);
	db->conn = conn;
	db->cancel = PQgetCancel(conn);
	db->target = xstrdup(target);
	db->epoch = 1;
	return db;
}

static void pg_close(struct store_db *db)
{
	if (!db)
		return;
	disconnect(db);
	free(db->target);
	free(db);
}

/* The number of parameters sql uses (its highest $N, outside quotes), and
 * which of them it names; -1 past STORE_VARIABLES_MAX. */
static int count_params(const char *sql, bool used[STORE_VARIABLES_MAX + 1])
{
	int max = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			long n = strtol(p + 1, NULL, 10);
			if (n < 1 || n > STORE_VARIABLES_MAX)
				return -1;
			used[n] = true;
			if (n > max)
				max = (int)n;
		}
	}
	return max;
}

/* DEALLOCATEs the statements finalized since the last call (one round trip). */
static void deallocate_unused(struct store_db *db)
{
	if (!db->unused_count || db->broken || PQstatus(db->conn) != CONNECTION_OK)
		return;
	char *sql = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);
	for (size_t i = 0; i < db->unused_count; i++)
		fprintf(f, "DEALLOCATE %s;", db->unused[i]);
	fclose(f);
	exec_simple(db, sql, now_ms() + PG_CONTROL_WAIT_MS, NULL);
	free(sql);
	forget_unused(db);
}

static void unused_add(struct store_db *db, const char *name)
{
	db->unused = xrealloc(db->unused, (db->unused_count + 1) * sizeof *db->unused);
	db->unused[db->unused_count++] = xstrdup(name);
}

/* Prepares st under its name with parameter types (0: inferred). */
static enum store_status prepare_as(struct store_db_stmt *st, const Oid *types)
{
	struct store_db *db = st->db;
	if (!PQsendPrepare(db->conn, st->name, st->sql, st->nparams, types)) {
		db->broken = PQstatus(db->conn) != CONNECTION_OK;
		return STORE_BUSY;
	}
	PGresult *res = await_result(db, db->deadline_ms);
	enum store_status r = pg_status(db, res);
	PQclear(res);
	if (r == STORE_OK)
		st->epoch = db->epoch;
	else if (r == STORE_ERROR)
		fprintf(stderr, "readoutd: postgres: in: %.500s\n", st->sql);
	return r;
}

/* Prepares st on db's current session. */
static enum store_status send_prepare(struct store_db_stmt *st)
{
	struct store_db *db = st->db;
	bool used[STORE_VARIABLES_MAX + 1] = {false};
	count_params(st->sql, used);
	/* A parameter the statement never names gets a type (text), else
	 * PostgreSQL cannot tell it; the others are inferred from their use. */
	Oid types[STORE_VARIABLES_MAX];
	for (int i = 0; i < st->nparams; i++)
		types[i] = used[i + 1] ? 0 : PG_TEXT_OID;
	enum store_status r = prepare_as(st, types);
	if (r != STORE_OK || st->nparams == 0)
		return r;
	/* Integers are 64 bits, as SQLite's; a parameter first met beside a
	 * small literal ("$2 = 0") is inferred as integer (32 bits) and would
	 * refuse a large id or version: prepare such a statement again with
	 * bigint there. */
	if (!PQsendDescribePrepared(db->conn, st->name)) {
		db->broken = PQstatus(db->conn) != CONNECTION_OK;
		return STORE_BUSY;
	}
	PGresult *res = await_result(db, db->deadline_ms);
	r = pg_status(db, res);
	bool narrow = false;
	for (int i = 0; r == STORE_OK && i < st->nparams && i < PQnparams(res); i++) {
		Oid t = PQparamtype(res, i);
		if (t == PG_INT4_OID || t == PG_INT2_OID) {
			types[i] = PG_INT8_OID;
			narrow = true;
		}
	}
	PQclear(res);
	if (r != STORE_OK || !narrow)
		return r;
	unused_add(db, st->name);
	snprintf(st->name, sizeof st->name, "r%u", ++db->names);
	return prepare_as(st, types);
}

static enum store_status pg_prepare(struct store_db *db, const char *sql,
                                    struct store_db_stmt **out)
{
	bool used[STORE_VARIABLES_MAX + 1] = {false};
	int n = count_params(sql, used);
	if (n < 0)
		return STORE_ERROR;
	enum store_status r = ensure(db);
	if (r != STORE_OK)
		return r;
	if (!db->in_tx)
		deallocate_unused(db);
	struct store_db_stmt *st = xcalloc(1, sizeof *st);
	st->db = db;
	snprintf(st->name, sizeof st->name, "r%u", ++db->names);
	st->sql = xstrdup(sql);
	st->nparams = n;
	st->values = xcalloc((size_t)n + 1, sizeof *st->values);
	st->row = -1;
	r = send_prepare(st);
	if (r == STORE_BUSY && may_retry(db, db->deadline_ms) && ensure(db) == STORE_OK)
		r = send_prepare(st);
	if (r != STORE_OK) {
		free(st->values);
		free(st->sql);
		free(st);
		return r;
	}
	*out = st;
	return STORE_OK;
}

static void clear_bindings(struct store_db_stmt *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
	}
}

static void pg_reset(struct store_db_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->rows = 0;
	PQfreemem(st->blob);
	st->blob = NULL;
	clear_bindings(st);
}

static void pg_finalize(struct store_db_stmt *st)
{
	if (!st)
		return;
	pg_reset(st);
	struct store_db *db = st->db;
	if (st->epoch == db->epoch)
		unused_add(db, st->name);
	free(st->values);
	free(st->sql);
	free(st);
}

static void bind_value(struct store_db_stmt *st, int i, char *v)
{
	if (i < 1 || i > st->nparams) {
		free(v); /* a parameter this statement does not use */
		return;
	}
	free(st->values[i - 1]);
	st->values[i - 1] = v;
}

static void pg_bind_int64(struct store_db_stmt *st, int i, int64_t v)
{
	bind_value(st, i, xasprintf("%lld", (long long)v));
}

static void pg_bind_double(struct store_db_stmt *st, int i, double v)
{
	bind_value(st, i, xasprintf("%.17g", v));
}

/* s as valid UTF-8 (a new string): each byte that starts no valid sequence
 * becomes U+FFFD. PostgreSQL refuses invalid text where SQLite stores or
 * compares the bytes; a key no row can hold still finds no row. */
static char *valid_utf8(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(3 * n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len = p[0] < 0x80    ? 1
		             : p[0] >= 0xF5 ? 0
		             : p[0] >= 0xF0 ? 4
		             : p[0] >= 0xE0 ? 3
		             : p[0] >= 0xC2 ? 2
		                            : 0;
		bool ok = len > 0;
		for (size_t k = 1; ok && k < len; k++)
			ok = (p[k] & 0xC0) == 0x80;
		if (ok && len == 3)
			ok = !(p[0] == 0xE0 && p[1] < 0xA0) && !(p[0] == 0xED && p[1] >= 0xA0);
		if (ok && len == 4)
			ok = !(p[0] == 0xF0 && p[1] < 0x90) && !(p[0] == 0xF4 && p[1] >= 0x90);
		if (ok) {
			memcpy(o, p, len);
			o += len;
			p += len;
		} else {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			p++;
		}
	}
	*o = '\0';
	return out;
}

static void pg_bind_text(struct store_db_stmt *st, int i, const char *s)
{
	bind_value(st, i, s ? valid_utf8(s) : NULL);
}

static void pg_bind_blob(struct store_db_stmt *st, int i, const void *p, size_t n)
{
	/* bytea's text form: \x and two hex digits a byte. */
	char *v = xmalloc(2 * n + 3);
	const unsigned char *b = p;
	v[0] = '\\';
	v[1] = 'x';
	for (size_t k = 0; k < n; k++)
		snprintf(v + 2 + 2 * k, 3, "%02x", b[k]);
	v[2 * n + 2] = '\0';
	bind_value(st, i, v);
}

static void pg_bind_null(struct store_db_stmt *st, int i)
{
	bind_value(st, i, NULL);
}

static enum store_status pg_step(struct store_db_stmt *st, bool *row)
{
	*row = false;
	if (st->res) {
		PQfreemem(st->blob);
		st->blob = NULL;
		if (st->row < st->rows)
			st->row++;
		*row = st->row < st->rows;
		return STORE_OK;
	}
	struct store_db *db = st->db;
	if (db->deadline_ms && now_ms() >= db->deadline_ms)
		return STORE_BUSY; /* out of time before it starts */
	PGresult *res = NULL;
	for (int attempt = 0;; attempt++) {
		enum store_status r = ensure(db);
		if (r == STORE_OK && st->epoch != db->epoch)
			r = send_prepare(st); /* a new session since it was prepared */
		if (r == STORE_OK) {
			if (PQsendQueryPrepared(db->conn, st->name, st->nparams,
			                        (const char *const *)st->values, NULL, NULL, 0))
				res = await_result(db, db->deadline_ms);
			else
				db->broken = PQstatus(db->conn) != CONNECTION_OK;
			r = pg_status(db, res);
		}
		if (r == STORE_OK)
			break;
		PQclear(res);
		res = NULL;
		if (r != STORE_BUSY || attempt > 0 || !may_retry(db, db->deadline_ms))
			return r;
	}
	const char *tag = PQcmdStatus(res);
	if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
	    strncmp(tag, "DELETE", 6) == 0)
		db->changes = strtoll(PQcmdTuples(res), NULL, 10);
	st->res = res;
	st->rows = PQntuples(res);
	st->row = 0;
	*row = st->rows > 0;
	return STORE_OK;
}

static const char *value(const struct store_db_stmt *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= st->rows || i < 0 || i >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static int64_t pg_column_int64(struct store_db_stmt *st, int i)
{
	const char *v = value(st, i);
	if (!v)
		return 0;
	if (v[0] == 't' && !v[1])
		return 1; /* a boolean, as SQLite's 1 */
	return strtoll(v, NULL, 10);
}

static bool pg_column_bool(struct store_db_stmt *st, int i)
{
	const char *v = value(st, i);
	return v && (strcmp(v, "t") == 0 || strtoll(v, NULL, 10) != 0);
}

static double pg_column_double(struct store_db_stmt *st, int i)
{
	const char *v = value(st, i);
	return v ? strtod(v, NULL) : 0;
}

static const char *pg_column_text(struct store_db_stmt *st, int i, size_t *len)
{
	const char *v = value(st, i);
	if (len)
		*len = v ? (size_t)PQgetlength(st->res, st->row, i) : 0;
	return v;
}

static const void *pg_column_blob(struct store_db_stmt *st, int i, size_t *len)
{
	*len = 0;
	const char *v = value(st, i);
	if (!v)
		return NULL;
	PQfreemem(st->blob);
	st->blob = PQunescapeBytea((const unsigned char *)v, len);
	return st->blob;
}

static bool pg_column_is_null(struct store_db_stmt *st, int i)
{
	return value(st, i) == NULL;
}

static int64_t pg_changes(struct store_db *db)
{
	return db->changes;
}

/* Ends a transaction still open on the session, if any. */
static void end_leftover(struct store_db *db)
{
	if (db->conn && !db->broken && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		exec_simple(db, "ROLLBACK", now_ms() + PG_CONTROL_WAIT_MS, NULL);
}

/* Opens a transaction with sql. One that fails leaves none open (a BEGIN
 * whose lock wait was cancelled at the deadline leaves an aborted one), as
 * the store ends only the transactions it opened; one left open before it
 * (which the store never does) is rolled back first. */
static enum store_status pg_begin(struct store_db *db, const char *sql)
{
	end_leftover(db);
	db->in_tx = false;
	enum store_status r = exec_simple(db, sql, db->deadline_ms, NULL);
	if (r != STORE_OK)
		end_leftover(db);
	db->in_tx = r == STORE_OK;
	return r;
}

static enum store_status pg_begin_write(struct store_db *db)
{
	return pg_begin(
	    db, "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK
	        ")");
}

static enum store_status pg_begin_read(struct store_db *db)
{
	return pg_begin(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static enum store_status pg_commit(struct store_db *db)
{
	PGresult *res = NULL;
	enum store_status r = exec_simple(db, "COMMIT", now_ms() + PG_CONTROL_WAIT_MS, &res);
	/* COMMIT of a failed transaction answers ROLLBACK. */
	if (r == STORE_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		r = STORE_ERROR;
	PQclear(res);
	db->in_tx = false;
	return r;
}

static bool pg_in_transaction(struct store_db *db)
{
	return db->in_tx && db->conn && !db->broken && PQstatus(db->conn) == CONNECTION_OK &&
	       PQtransactionStatus(db->conn) != PQTRANS_IDLE;
}

static void pg_rollback(struct store_db *db)
{
	if (pg_in_transaction(db))
		exec_simple(db, "ROLLBACK", now_ms() + PG_CONTROL_WAIT_MS, NULL);
	db->in_tx = false;
}

static enum store_status pg_savepoint(struct store_db *db, enum store_savepoint op)
{
	static const char *const sql[] = {
	    [SAVEPOINT_SET] = "SAVEPOINT w",
	    [SAVEPOINT_RELEASE] = "RELEASE SAVEPOINT w",
	    [SAVEPOINT_UNDO] = "ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w",
	};
	return exec_simple(db, sql[op], db->deadline_ms, NULL);
}

static void pg_set_deadline(struct store_db *db, int64_t deadline_ms)
{
	db->deadline_ms = deadline_ms;
}

static int pg_schema_target(void)
{
	return store_pg_migration_count;
}

/* One integer of a query's first row; -1 when it fails. */
static int64_t query_int(struct store_db *db, const char *sql)
{
	PGresult *res = NULL;
	int64_t v = -1;
	if (exec_simple(db, sql, 0, &res) == STORE_OK && PQntuples(res) == 1 && PQnfields(res) == 1)
		v = PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static void fail_line(struct store_db *db, const char *what, char *err, size_t errlen)
{
	char why[256];
	first_line(db->conn, why, sizeof why);
	snprintf(err, errlen, "%s: %s", what, why);
}

static enum store_status backfill_vectors(struct store_db *db);

/* Applies every migration newer than the database in one transaction, under
 * an advisory lock: when several readoutd start together, the first
 * migrates and the others then find nothing to do. schema_migrations
 * records what ran. */
static int pg_migrate(struct store_db *db, const char *target, char *err, size_t errlen)
{
	(void)target;
	db->deadline_ms = 0;
	if (exec_simple(db,
	                "BEGIN; SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ");"
	                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
	                "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
	                0, NULL) != STORE_OK) {
		fail_line(db, "cannot lock the database for its migrations", err, errlen);
		exec_simple(db, "ROLLBACK", 0, NULL);
		return -1;
	}
	int64_t version = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (version < 0) {
		fail_line(db, "cannot read the schema version", err, errlen);
		exec_simple(db, "ROLLBACK", 0, NULL);
		return -1;
	}
	if (version > store_pg_migration_count) {
		snprintf(
		    err, errlen,
		    "database \"%s\" is at schema version %lld, newer than this readoutd (%d): "
		    "run a newer readoutd",
		    PQdb(db->conn), (long long)version, store_pg_migration_count);
		exec_simple(db, "ROLLBACK", 0, NULL);
		return -1;
	}
	for (int i = (int)version; i < store_pg_migration_count; i++) {
		const struct store_migration *m = &store_pg_migrations[i];
		char record[256];
		snprintf(record, sizeof record,
		         "INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')",
		         m->version, m->name);
		if (exec_simple(db, m->sql, 0, NULL) != STORE_OK ||
		    exec_simple(db, record, 0, NULL) != STORE_OK) {
			char what[128];
			snprintf(what, sizeof what, "migration %s failed", m->name);
			fail_line(db, what, err, errlen);
			exec_simple(db, "ROLLBACK", 0, NULL);
			return -1;
		}
	}
	if (backfill_vectors(db) != STORE_OK) {
		fail_line(db, "cannot write the search vectors", err, errlen);
		exec_simple(db, "ROLLBACK", 0, NULL);
		return -1;
	}
	if (exec_simple(db, "COMMIT", 0, NULL) != STORE_OK) {
		fail_line(db, "cannot migrate the database", err, errlen);
		return -1;
	}
	return 0;
}

static enum store_status pg_backup(struct store_db *db, const char *path, char *err, size_t errlen)
{
	(void)db, (void)path;
	snprintf(err, errlen,
	         "backup copies SQLite files; for PostgreSQL use pg_dump (readoutd export "
	         "writes a portable copy on both)");
	return STORE_UNSUPPORTED;
}

static bool pg_read_only(struct store_db *db)
{
	(void)db;
	return false; /* a read-only server is a transient STORE_BUSY (25006) */
}

/* ---- search ---- */

/* Ranks: ts_rank with the weights {D, C, B, A}; the title or name (A) above
 * the summary, aliases or framework (B), above the readout or description
 * (C), as SQLite's bm25 weights. Negated: lower is better, as bm25. ts_rank
 * reads the document alone, so a row's score never moves while a walk of
 * pages goes on. */
#define PG_RANK(doc) "-CAST(ts_rank('{0.1, 0.1, 0.4, 1.0}', " doc ", q) AS DOUBLE PRECISION)"

/* The page's hits of one table (ids in a JSON array at $1): their columns
 * and their text columns joined, which a snippet is cut from. */
#define PG_DESCRIBE(columns, texts, table)                                                        \
	"SELECT id, " columns ", concat_ws(' … ', " texts ") FROM " table " WHERE id IN (SELECT " \
	"CAST(value AS BIGINT) FROM json_each($1))"

/* Snippets are made in C from the text and the expression (model/search.h),
 * with the tokens the vectors hold: ts_headline would parse the text its own
 * way, and knows nothing of CJK pairs. */
#define SNIPPET_WORDS 24

/* ---- the search vectors ---- */

/* Each record kind's texts, in the order of their weights A, B and C. */
static const char *const search_texts[STORE_KINDS] = {
    [STORE_MEETINGS] = "SELECT title, summary, concat_ws(chr(10), readout, "
                       "readout_texts(readouts)) FROM meetings WHERE id = $1",
    [STORE_PARTICIPANTS] =
        "SELECT name, json_strings(aliases), NULL FROM participants WHERE id = $1",
    [STORE_PRINCIPLES] = "SELECT name, concat_ws('; ', framework, json_strings(aliases)), "
                         "description FROM principles WHERE id = $1",
};
static const char *const search_update[STORE_KINDS] = {
    [STORE_MEETINGS] = "UPDATE meetings SET search = CAST($2 AS tsvector) WHERE id = $1",
    [STORE_PARTICIPANTS] = "UPDATE participants SET search = CAST($2 AS tsvector) WHERE id = $1",
    [STORE_PRINCIPLES] = "UPDATE principles SET search = CAST($2 AS tsvector) WHERE id = $1",
};

#define LEXEME_MAX 2047        /* PostgreSQL's longest lexeme (bytes) */
#define POSITION_MAX 16383     /* and its last position */
#define POSITIONS_MAX 256      /* and the most positions a lexeme keeps */
#define VECTOR_TEXT_MAX 900000 /* lexeme bytes, below tsvector's 1 MB */

struct vector_token {
	size_t at, len; /* its text in the arena */
	int pos;
	char weight;
};

struct vector {
	char *arena;
	size_t used, cap;
	struct vector_token *tokens;
	size_t n, room;
	int pos;
	char weight;
};

static int vector_add(void *ctx, const struct token *t)
{
	struct vector *v = ctx;
	if (v->pos < POSITION_MAX)
		v->pos++;
	if (t->len > LEXEME_MAX)
		return 0;
	if (v->used + t->len > v->cap) {
		v->cap = 2 * (v->used + t->len) + 256;
		v->arena = xrealloc(v->arena, v->cap);
	}
	if (v->n == v->room) {
		v->room = v->room ? 2 * v->room : 64;
		v->tokens = xrealloc(v->tokens, v->room * sizeof *v->tokens);
	}
	memcpy(v->arena + v->used, t->text, t->len);
	v->tokens[v->n++] = (struct vector_token){v->used, t->len, v->pos, v->weight};
	v->used += t->len;
	return 0;
}

static int vector_token_cmp(const void *a, const void *b, void *arena)
{
	const struct vector_token *x = a, *y = b;
	const char *sort_arena = arena;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(sort_arena + x->at, sort_arena + y->at, n);
	if (c == 0)
		c = (x->len > y->len) - (x->len < y->len);
	if (c == 0)
		c = (x->pos > y->pos) - (x->pos < y->pos);
	if (c == 0) /* the same position twice (the last): the heavier weight first */
		c = (x->weight > y->weight) - (x->weight < y->weight);
	return c;
}

/* The tsvector (as text) of up to three texts weighted A, B and C: the
 * tokens of model/tokenize.h, numbered across the texts as
 * "setweight(to_tsvector(a), 'A') || setweight(to_tsvector(b), 'B') ..."
 * numbers PostgreSQL's own words. A new string. */
static char *search_vector(const char *const texts[3])
{
	struct vector v = {0};
	for (int i = 0; i < 3; i++) {
		v.weight = (char)('A' + i);
		if (texts[i])
			model_tokenize(texts[i], strlen(texts[i]), vector_add, &v);
	}
	if (v.n)
		qsort_r(v.tokens, v.n, sizeof *v.tokens, vector_token_cmp, v.arena);
	char *out = NULL;
	size_t len = 0, text = 0;
	FILE *f = open_memstream(&out, &len);
	for (size_t i = 0; i < v.n;) {
		const struct vector_token *t = &v.tokens[i];
		size_t j = i + 1;
		while (j < v.n && v.tokens[j].len == t->len &&
		       memcmp(v.arena + v.tokens[j].at, v.arena + t->at, t->len) == 0)
			j++;
		text += t->len;
		if (text > VECTOR_TEXT_MAX)
			break;
		fputs(i ? " '" : "'", f);
		for (size_t k = 0; k < t->len; k++) {
			char c = v.arena[t->at + k];
			if (c == '\'' || c == '\\')
				fputc(c, f);
			fputc(c, f);
		}
		fputs("':", f);
		int kept = 0, last = 0;
		for (size_t k = i; k < j && kept < POSITIONS_MAX; k++) {
			if (v.tokens[k].pos == last)
				continue;
			last = v.tokens[k].pos;
			fprintf(f, "%s%d%c", kept++ ? "," : "", last, v.tokens[k].weight);
		}
		i = j;
	}
	fclose(f);
	free(v.arena);
	free(v.tokens);
	return out;
}

/* Writes the search vector of one record: its texts read with sel, written
 * with upd (both of this connection, reset after). */
static enum store_status index_row(struct store_db_stmt *sel, struct store_db_stmt *upd, int64_t id)
{
	pg_bind_int64(sel, 1, id);
	bool row;
	enum store_status r = pg_step(sel, &row);
	if (r != STORE_OK || !row) {
		pg_reset(sel);
		return r;
	}
	const char *texts[3];
	char *copies[3];
	for (int i = 0; i < 3; i++) {
		const char *t = pg_column_text(sel, i, NULL);
		copies[i] = t ? xstrdup(t) : NULL;
		texts[i] = copies[i];
	}
	pg_reset(sel);
	char *vector = search_vector(texts);
	for (int i = 0; i < 3; i++)
		free(copies[i]);
	pg_bind_int64(upd, 1, id);
	pg_bind_text(upd, 2, vector);
	free(vector);
	int64_t changes = sel->db->changes; /* the caller's, not this UPDATE's */
	r = pg_step(upd, &row);
	pg_reset(upd);
	sel->db->changes = changes;
	return r;
}

/* The search vectors are the store's to write (migrations/postgres/0007):
 * after every write of a record, in its transaction. */
static enum store_status pg_fts_add(struct store_conn *c, enum store_kind kind, const int64_t *ids,
                                    size_t n)
{
	struct store_stmt *sel, *upd;
	enum store_status r = store_prepare(c, search_texts[kind], &sel);
	if (r != STORE_OK)
		return r;
	r = store_prepare(c, search_update[kind], &upd);
	for (size_t i = 0; i < n && r == STORE_OK; i++)
		r = index_row(sel->handle, upd->handle, ids[i]);
	store_done(upd);
	store_done(sel);
	return r;
}

/* Writes the vector of every record that has none, at each start, under the
 * migrations' lock and in their transaction: after the migration that made
 * the vectors the store's, every record; later, any record written by other
 * means than the store (a restore with psql, say). An index of the rows
 * without one makes the look cheap. */
static enum store_status backfill_vectors(struct store_db *db)
{
	enum store_status r = STORE_OK;
	for (int k = 0; k < STORE_KINDS && r == STORE_OK; k++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE search IS NULL ORDER BY id",
		         store_kinds[k].table);
		struct store_db_stmt *ids = NULL, *sel = NULL, *upd = NULL;
		r = pg_prepare(db, sql, &ids);
		if (r == STORE_OK)
			r = pg_prepare(db, search_texts[k], &sel);
		if (r == STORE_OK)
			r = pg_prepare(db, search_update[k], &upd);
		bool row = false;
		if (r == STORE_OK)
			r = pg_step(ids, &row);
		while (r == STORE_OK && row) {
			r = index_row(sel, upd, pg_column_int64(ids, 0));
			if (r == STORE_OK)
				r = pg_step(ids, &row);
		}
		pg_finalize(upd);
		pg_finalize(sel);
		pg_finalize(ids);
	}
	return r;
}

/* The tsquery of a search expression (model/search.h), as text for
 * CAST($n AS tsquery): the meeting list binds it (the dialect). */
static char *pg_match(const char *expr)
{
	return model_search_tsquery(expr);
}

static enum store_status pg_fts_none(struct store_conn *c, enum store_kind kind, int64_t id)
{
	(void)c, (void)kind, (void)id;
	return STORE_OK; /* pg_fts_add overwrites the vector */
}

static bool hit_of_kind(const void *item, const void *ctx)
{
	return ((const struct search_hit *)item)->kind == *(const int *)ctx;
}

static enum store_status describe(struct store_conn *c, const char *match, struct search_hit *hits,
                                  size_t n)
{
	static const char *const sql[] = {
	    [STORE_MEETINGS] =
	        PG_DESCRIBE("slug, title, date", "title, summary, readout, readout_texts(readouts)",
	                    "meetings"),
	    [STORE_PARTICIPANTS] =
	        PG_DESCRIBE("slug, name, NULL", "name, json_strings(aliases)", "participants"),
	    [STORE_PRINCIPLES] =
	        PG_DESCRIBE("slug, name, NULL",
	                    "name, framework, description, json_strings(aliases)", "principles"),
	};
	enum store_status r = STORE_OK;
	for (int kind = 0; kind < STORE_KINDS && r == STORE_OK; kind++) {
		char *ids = store_id_list(hits, n, sizeof *hits, offsetof(struct search_hit, id),
		                          hit_of_kind, &kind);
		if (strcmp(ids, "[]") == 0) {
			free(ids);
			continue;
		}
		struct store_stmt *st;
		r = store_prepare(c, sql[kind], &st);
		if (r != STORE_OK) {
			free(ids);
			return r;
		}
		store_bind_text(st, 1, ids);
		bool row;
		while ((r = store_step(st, &row)) == STORE_OK && row) {
			int64_t id = store_col_int64(st, 0);
			for (size_t i = 0; i < n; i++) {
				if (hits[i].kind != kind || hits[i].id != id)
					continue;
				hits[i].slug = store_column_text(st, 1);
				hits[i].title = store_column_text(st, 2);
				if (!store_col_is_null(st, 3))
					store_column_copy(st, 3, hits[i].date, sizeof hits[i].date);
				const char *text = store_col_text(st, 4);
				hits[i].snippet =
				    model_search_snippet(text ? text : "", match, SNIPPET_WORDS);
			}
		}
		store_done(st);
		free(ids);
	}
	return r;
}

static void search_hit_clear_any(void *e)
{
	search_hit_clear(e);
}

static void search_hit_row_read(struct store_stmt *st, void *out)
{
	struct search_hit *h = out;
	h->kind = (int)store_col_int64(st, 0);
	h->id = store_col_int64(st, 1);
	h->score = store_col_double(st, 2);
}

/* A search: the match (its tsquery) and the cursor, parsed. */
struct search_ctx {
	const char *match;
	const char *expr; /* the expression, for snippets */
	unsigned kinds;   /* those ranked: asked for and in the walk */
	const struct cursor_pos *after;
	int after_kind;
	double after_score;
	struct store_rank_walk walk;
};

static void search_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct search_ctx *q = ctx;
	store_bind_text(st, 1, q->match);
	if (!page)
		return;
	if (q->after) {
		store_bind_double(st, 2, q->after_score);
		store_bind_int64(st, 3, q->after_kind);
		store_bind_int64(st, 4, q->after->id);
	}
	for (int k = 0; k < STORE_KINDS; k++)
		if (q->kinds & (1u << k))
			store_rank_bind(st, 6 + k, &q->walk, k);
}

static char *search_key(const void *item, const void *ctx)
{
	const struct search_hit *h = item;
	return store_rank_key(&((const struct search_ctx *)ctx)->walk, h->kind, h->score);
}

static enum store_status search_finish(struct store_conn *c, void *items, size_t n, const void *ctx)
{
	return describe(c, ((const struct search_ctx *)ctx)->expr, items, n);
}

/* The hits of a table ranked in a walk whose id bound is at $bound, and
 * those a count includes (all matches). */
#define PG_HITS(kind, table, bound)              \
	"SELECT " kind " AS kind, id, " PG_RANK( \
	    "search") " AS score FROM " table    \
	              ", CAST($1 AS tsquery) AS q WHERE search @@ q AND id < $" bound
#define PG_COUNTED(table) "SELECT id FROM " table " WHERE search @@ CAST($1 AS tsquery)"

static enum store_status pg_search(struct store_conn *c, const char *match, unsigned kinds,
                                   const struct cursor_pos *after, int limit,
                                   struct search_hit **items, size_t *count, char **next_key,
                                   int64_t *total)
{
	static const char *const parts[] = {
	    [STORE_MEETINGS] = PG_HITS("0", "meetings", "6"),
	    [STORE_PARTICIPANTS] = PG_HITS("1", "participants", "7"),
	    [STORE_PRINCIPLES] = PG_HITS("2", "principles", "8"),
	};
	static const char *const counted[] = {
	    [STORE_MEETINGS] = PG_COUNTED("meetings"),
	    [STORE_PARTICIPANTS] = PG_COUNTED("participants"),
	    [STORE_PRINCIPLES] = PG_COUNTED("principles"),
	};
	*next_key = NULL;
	char *tsquery = model_search_tsquery(match);
	struct search_ctx ctx = {.match = tsquery, .expr = match, .after = after};
	if (after &&
	    store_rank_key_parse(after->key, &ctx.after_kind, &ctx.after_score, &ctx.walk)) {
		free(tsquery);
		return STORE_BAD_CURSOR;
	}
	if (!ctx.walk.kinds) {
		enum store_status r = store_rank_freeze(c, tsquery, kinds, &ctx.walk);
		if (r != STORE_OK) {
			free(tsquery);
			return r;
		}
	}
	ctx.kinds = kinds & ctx.walk.kinds;
	char hits[1024], sql[1280], count_sql[1280];
	size_t used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (ctx.kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
			                         used ? " UNION ALL " : "", parts[k]);
	}
	if (used)
		snprintf(sql, sizeof sql,
		         "SELECT kind, id, score FROM (%s) AS hits%s ORDER BY score, kind, id "
		         "LIMIT $5",
		         hits,
		         after ? " WHERE (score, kind, id) > (CAST($2 AS DOUBLE PRECISION), "
		                 "CAST($3 AS INTEGER), CAST($4 AS BIGINT))"
		               : "");
	else /* no kind asked for is in the walk */
		snprintf(sql, sizeof sql,
		         "SELECT 0, 0, 0.0 WHERE CAST($1 AS TEXT) IS NULL LIMIT $5");
	used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used, "%s%s",
			                         used ? " UNION ALL " : "", counted[k]);
	}
	snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM (%s) AS hits", hits);
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 5,
	    .bind = search_bind,
	    .ctx = &ctx,
	    .item_size = sizeof(struct search_hit),
	    .row_read = search_hit_row_read,
	    .item_clear = search_hit_clear_any,
	    .finish = search_finish,
	    .key_of = search_key,
	};
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, next_key, total);
	if (r == STORE_OK)
		*items = out;
	free(tsquery);
	return r;
}

/* ts_rank reads the document alone: there are no collection statistics to
 * freeze, and a row's score cannot move during a walk. What a walk freezes
 * instead is where each table's ids ended when it began (rows: the next id),
 * and it ranks only the rows below: the rows present at the start, each once,
 * and a walk that ends while rows are added (ids only grow). A row that
 * outranks the cursor is never reached anyway; one that would follow it is
 * new since the walk began. */
static enum store_status pg_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                        struct store_rank_walk *w)
{
	(void)match;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		char sql[96];
		snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) + 1 FROM %s",
		         store_kinds[k].table);
		struct store_stmt *st;
		enum store_status r = store_prepare(c, sql, &st);
		if (r != STORE_OK)
			return r;
		bool row;
		r = store_step(st, &row);
		w->stats[k].rows = row ? store_col_int64(st, 0) : 1;
		store_done(st);
		if (r != STORE_OK)
			return r;
		w->kinds |= 1u << k;
	}
	return STORE_OK;
}

/* Binds the walk's id bound of a table. */
static void pg_rank_bind(struct store_db_stmt *st, int i, const struct rank_stats *s)
{
	pg_bind_int64(st, i, s->rows);
}

static char *pg_watched_file(struct store_db *db)
{
	(void)db;
	return NULL; /* a server, not a file: it cannot be moved under readoutd */
}

static void pg_tune_for_scan(struct store_db *db)
{
	(void)db; /* the server's buffer cache is shared: nothing to size per connection */
}

static const struct store_dialect pg_dialect = {
    /* The query is parsed once, in FROM, not once a row. */
    .meeting_rank_from = "meetings m CROSS JOIN CAST($30 AS tsquery) AS q",
    .meeting_rank_score = PG_RANK("m.search"),
    .meeting_rank_match = "m.search @@ q AND m.id < $9", /* the walk's bound: pg_rank_freeze */
    .meeting_match = "m.search @@ CAST($30 AS tsquery)",
    /* Moves with every transaction that writes a record, from any client. */
    .data_version = "SELECT n FROM data_generation WHERE id = 1",
    .schema_version = "SELECT coalesce(max(version), 0) FROM schema_migrations",
};

/* Drains the notifications libpq has read; true when there was one. */
static bool notified(struct store_db *db)
{
	bool any = false;
	PGnotify *n;
	while ((n = PQnotifies(db->conn))) {
		PQfreemem(n);
		any = true;
	}
	return any;
}

static int pg_wait_change(struct store_db *db, int timeout_ms)
{
	if (ensure(db) != STORE_OK)
		return -1;
	if (db->listening != db->epoch) {
		if (exec_simple(db, "LISTEN readout_changes", db->deadline_ms, NULL) != STORE_OK)
			return -1;
		db->listening = db->epoch;
		return 1;
	}
	if (notified(db))
		return 1;
	struct pollfd p = {.fd = PQsocket(db->conn), .events = POLLIN};
	int n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n > 0 && !PQconsumeInput(db->conn)) {
		db->broken = true;
		return -1;
	}
	return notified(db);
}

const struct store_driver store_pg_driver = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .column_is_null = pg_column_is_null,
    .column_bool = pg_column_bool,
    .reset = pg_reset,
    .changes = pg_changes,
    .begin_write = pg_begin_write,
    .begin_read = pg_begin_read,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .in_transaction = pg_in_transaction,
    .set_deadline = pg_set_deadline,
    .migrate = pg_migrate,
    .backup = pg_backup,
    .read_only = pg_read_only,
    .watched_file = pg_watched_file,
    .tune_for_scan = pg_tune_for_scan,
    .wait_change = pg_wait_change,
    .schema_target = pg_schema_target,
    .sql = &pg_dialect,
    .search = pg_search,
    .rank_freeze = pg_rank_freeze,
    .rank_bind = pg_rank_bind,
    .fts_remove = pg_fts_none,
    .fts_add = pg_fts_add,
    .match = pg_match,
};
