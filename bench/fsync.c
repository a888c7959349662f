/*
 * The write reference: how many single-row SQLite commits per second this
 * disk sustains with journal_mode=WAL and synchronous=FULL (what Readout
 * promises for a 201), one connection, one row per transaction.
 *
 *   fsync DIR SECONDS
 *
 * Creates DIR/commit-rate.db (removed afterwards) on the same file system as
 * the store and prints one line of key=value pairs: commits, seconds,
 * commits_per_s, p50_us, p99_us. Build: cc -O2 -o fsync fsync.c -lsqlite3
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void must(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "fsync: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fsync DIR SECONDS\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	char path[4096];
	snprintf(path, sizeof path, "%s/commit-rate.db", argv[1]);
	const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "fsync: cannot open %s\n", path);
		return 1;
	}
	must(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), "wal");
	must(db, sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL), "synchronous");
	must(db,
	     sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", NULL,
	                  NULL, NULL),
	     "create");
	sqlite3_stmt *ins;
	must(db, sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?)", -1, &ins, NULL), "prepare");
	size_t cap = 1 << 16, n = 0;
	double *lat = malloc(cap * sizeof *lat);
	char value[200];
	memset(value, 'x', sizeof value - 1);
	value[sizeof value - 1] = 0;
	double start = now_s(), end = start + seconds, t = start;
	while (t < end) {
		double t0 = now_s();
		must(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
		sqlite3_bind_text(ins, 1, value, -1, SQLITE_STATIC);
		must(db, sqlite3_step(ins), "insert");
		sqlite3_reset(ins);
		must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
		t = now_s();
		if (n == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof *lat);
		}
		lat[n++] = (t - t0) * 1e6;
	}
	double elapsed = t - start;
	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (size_t i = 0; i < 4; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
	qsort(lat, n, sizeof *lat, cmp_double);
	printf("commits=%zu seconds=%.3f commits_per_s=%.1f p50_us=%.0f p99_us=%.0f\n", n, elapsed,
	       (double)n / elapsed, n ? lat[n / 2] : 0.0,
	       n ? lat[(size_t)((double)n * 0.99)] : 0.0);
	free(lat);
	return 0;
}
