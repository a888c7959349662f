/*
 * The test harness: a real server in-process, real HTTP through libcurl.
 */
#include "harness.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <sqlite3.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "config.h"

static void start_on(struct harness *h, const char *const *args)
{
	const char *argv[64] = {"readoutd", "--port", "0", "--db", h->db, "--threads", "2"};
	int argc = 7;
	int has_token = 0;
	for (int i = 0; args && args[i]; i++) {
		if (strncmp(args[i], "--token", 7) == 0)
			has_token = 1;
		argv[argc++] = args[i];
	}
	if (!has_token) {
		argv[argc++] = "--token";
		argv[argc++] = TEST_TOKEN;
	}
	argv[argc] = NULL;
	char err[512];
	unsetenv("READOUT_TOKEN");
	unsetenv("READOUT_TOKEN_FILE");
	unsetenv("READOUT_PRIVATE");
	ck_assert_msg(config_parse(&h->cfg, argc, (char **)argv, err, sizeof err) == 0,
	              "config: %s", err);
	h->app = app_start(&h->cfg, err, sizeof err);
	ck_assert_msg(h->app != NULL, "start: %s", err);
	h->port = app_port(h->app);
}

int harness_postgres(void)
{
	const char *db = getenv("READOUT_TEST_DB");
	return db && strcmp(db, "postgres") == 0;
}

int harness_sqlite_only(const char *why)
{
	if (!harness_postgres())
		return 1;
	fprintf(stderr, "skipped on PostgreSQL: %s\n", why);
	return 0;
}

/* The cluster's directory (its Unix socket lives there). */
static const char *pg_dir(void)
{
	const char *dir = getenv("READOUT_TEST_PG");
	ck_assert_msg(dir && *dir,
	              "READOUT_TEST_DB=postgres needs READOUT_TEST_PG, the directory of a cluster "
	              "that tests/pg/cluster.sh started (scripts/test starts one)");
	return dir;
}

/* Runs one statement as the cluster's superuser; 0 when it succeeded. */
static int pg_admin(const char *sql)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "psql -X -q -v ON_ERROR_STOP=1 -h '%s' -p 5432 -U postgres -d postgres -c '%s' "
	         ">/dev/null",
	         pg_dir(), sql);
	return system(cmd);
}

void harness_start(struct harness *h, const char *const *args)
{
	static unsigned databases;
	memset(h, 0, sizeof *h);
	snprintf(h->dir, sizeof h->dir, "%s/readout-test-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	if (harness_postgres()) {
		snprintf(h->pg_name, sizeof h->pg_name, "test_%ld_%u", (long)getpid(), databases++);
		char sql[256];
		snprintf(
		    sql, sizeof sql,
		    "CREATE DATABASE %s OWNER readout TEMPLATE readout_template STRATEGY FILE_COPY",
		    h->pg_name);
		ck_assert_msg(pg_admin(sql) == 0, "cannot create database %s", h->pg_name);
		snprintf(h->db, sizeof h->db, "postgresql:///%s?host=%s&port=5432&user=readout",
		         h->pg_name, pg_dir());
	} else {
		snprintf(h->db, sizeof h->db, "%s/test.db", h->dir);
	}
	start_on(h, args);
}

void harness_restart(struct harness *h, const char *const *args)
{
	app_stop(h->app);
	config_free(&h->cfg);
	start_on(h, args);
}

void harness_sql(struct harness *h, const char *sql)
{
	if (h->pg_name[0]) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "psql -X -q -v ON_ERROR_STOP=1 '%s' >/dev/null", h->db);
		FILE *p = popen(cmd, "w");
		ck_assert_ptr_nonnull(p);
		fputs(sql, p);
		ck_assert_msg(pclose(p) == 0, "psql failed: %s", sql);
		return;
	}
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(h->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

long long harness_sql_int(struct harness *h, const char *sql)
{
	long long v = 0;
	if (h->pg_name[0]) {
		/* The statement travels in the environment: no quoting to get wrong. */
		setenv("HARNESS_SQL", sql, 1);
		char cmd[512];
		snprintf(cmd, sizeof cmd,
		         "psql -X -q -A -t -v ON_ERROR_STOP=1 '%s' -c \"$HARNESS_SQL\"", h->db);
		FILE *p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		int got = fscanf(p, "%lld", &v);
		ck_assert_msg(pclose(p) == 0 && got == 1, "psql failed: %s", sql);
		return v;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_open(h->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ck_assert_msg(rc == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

void harness_stop(struct harness *h)
{
	app_stop(h->app);
	h->app = NULL;
	config_free(&h->cfg);
	nftw(h->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	if (h->pg_name[0]) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", h->pg_name);
		pg_admin(sql);
	}
}

struct buf {
	char *data;
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;
	size_t add = size * n;
	b->data = realloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

struct reply *req(struct harness *h, const char *method, const char *path, const char *body,
                  const char *const *headers)
{
	CURL *c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	size_t url_len = strlen(path) + 32;
	char *url = malloc(url_len);
	snprintf(url, url_len, "http://127.0.0.1:%d%s", h->port, path);
	struct buf out = {calloc(1, 1), 0}, hdr = {calloc(1, 1), 0};
	struct curl_slist *list = NULL;
	int has_ct = 0;
	for (int i = 0; headers && headers[i]; i++) {
		if (strcmp(headers[i], "AUTH") == 0) {
			list = curl_slist_append(list, "Authorization: Bearer " TEST_TOKEN);
			continue;
		}
		if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
			has_ct = 1;
		list = curl_slist_append(list, headers[i]);
	}
	if (body && !has_ct)
		list = curl_slist_append(list, "Content-Type: application/json");
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdr);
	/* 30 s, or READOUT_TEST_HTTP_TIMEOUT_S (scripts/check-valgrind: memcheck
	 * runs a large import many times slower). */
	const char *limit = getenv("READOUT_TEST_HTTP_TIMEOUT_S");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, limit ? strtol(limit, NULL, 10) : 30L);
	CURLcode rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	struct reply *r = calloc(1, sizeof *r);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = out.data;
	r->len = out.len;
	r->headers = hdr.data;
	r->json = out.len ? json_loadb(out.data, out.len, 0, NULL) : NULL;
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	free(url);
	return r;
}

struct reply *get(struct harness *h, const char *path)
{
	return req(h, "GET", path, NULL, NULL);
}

long harness_metric(struct harness *h, const char *name)
{
	struct reply *r = get(h, "/metrics");
	char needle[128];
	snprintf(needle, sizeof needle, "\n%s ", name);
	const char *p = strstr(r->body, needle);
	ck_assert_msg(p != NULL, "no %s in /metrics", name);
	long v = strtol(p + strlen(needle), NULL, 10);
	reply_free(r);
	return v;
}

struct reply *write_json(struct harness *h, const char *method, const char *path, const char *body)
{
	const char *const auth[] = {"AUTH", NULL};
	return req(h, method, path, body, auth);
}

const char *reply_header(const struct reply *r, const char *name)
{
	static _Thread_local char values[8][4096];
	static _Thread_local unsigned next;
	char *value = values[next++ % 8];
	size_t n = strlen(name);
	for (const char *line = r->headers; line && *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t vlen = len - (size_t)(v - line);
			if (vlen >= sizeof values[0])
				vlen = sizeof values[0] - 1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return value;
		}
		line = end ? end + 2 : line + len;
	}
	return NULL;
}

void reply_free(struct reply *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	free(r);
}

const char *path_fmt(const char *fmt, ...)
{
	static char bufs[HARNESS_TEXT_BUFS][HARNESS_TEXT_MAX];
	static int next;
	char *buf = bufs[next++ % HARNESS_TEXT_BUFS];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, HARNESS_TEXT_MAX, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && n < HARNESS_TEXT_MAX, "test text too long");
	return buf;
}

struct reply *write_quoted(struct harness *h, const char *method, const char *path,
                           const char *body, const char *extra)
{
	char *copy = body ? strdup(body) : NULL;
	for (char *p = copy; p && *p; p++)
		if (*p == '\'')
			*p = '"';
	const char *const hdr[] = {"AUTH", extra, NULL};
	struct reply *r = req(h, method, path, copy, hdr);
	free(copy);
	return r;
}

json_t *get_json(struct harness *h, const char *path)
{
	struct reply *r = get(h, path);
	ck_assert_msg(r->status == 200 && r->json, "GET %s: %ld %s", path, r->status, r->body);
	json_t *doc = json_incref(r->json);
	reply_free(r);
	return doc;
}

void assert_422(const struct reply *r, const char *const *pointers)
{
	assert_problem(r, 422, "validation");
	size_t n = 0;
	for (; pointers[n]; n++)
		ck_assert_msg(has_pointer(r, pointers[n]), "no error at %s in %s", pointers[n],
		              r->body);
	json_t *errors = json_object_get(r->json, "errors");
	ck_assert_msg(json_array_size(errors) == n, "expected %zu errors, got %s", n, r->body);
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		ck_assert_ptr_nonnull(json_string_value(json_object_get(e, "detail")));
	}
}

json_t *jget(json_t *doc, const char *dotted)
{
	char key[256];
	const char *p = dotted;
	json_t *cur = doc;
	while (cur && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(key, &end, 10);
			cur = *end ? NULL : json_array_get(cur, (size_t)i);
		} else {
			cur = json_object_get(cur, key);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *jstr(json_t *doc, const char *dotted)
{
	return json_string_value(jget(doc, dotted));
}

long long jint(json_t *doc, const char *dotted)
{
	json_t *v = jget(doc, dotted);
	return v ? (long long)json_integer_value(v) : -1;
}

void assert_problem(const struct reply *r, long status, const char *kind)
{
	ck_assert_msg(r->status == status, "status %ld, want %ld: %.400s", r->status, status,
	              r->body);
	const char *ct = reply_header(r, "Content-Type");
	ck_assert_pstr_eq(ct, "application/problem+json");
	ck_assert_msg(r->json != NULL, "problem body is not JSON: %.400s", r->body);
	const char *type = jstr(r->json, "type");
	ck_assert_ptr_nonnull(type);
	if (kind) {
		char want[128];
		snprintf(want, sizeof want, "urn:readout:problem:%s", kind);
		ck_assert_str_eq(type, want);
	} else {
		ck_assert_msg(strncmp(type, "urn:readout:problem:", 20) == 0, "type %s", type);
	}
	ck_assert_int_eq(jint(r->json, "status"), status);
	ck_assert_ptr_nonnull(jstr(r->json, "title"));
}

bool has_pointer(const struct reply *r, const char *pointer)
{
	size_t i;
	json_t *e;
	json_array_foreach(jget(r->json, "errors"), i, e)
	{
		const char *p = jstr(e, "pointer");
		if (p && strcmp(p, pointer) == 0)
			return true;
	}
	return false;
}

int harness_connect(const struct harness *h)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s",
	              strerror(errno));
	return fd;
}
