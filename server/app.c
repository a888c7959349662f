/*
 * The program's life cycle and its subcommands. Signals are blocked before
 * any thread starts, so only the main thread takes SIGINT, SIGTERM and
 * SIGHUP, with sigwait: SIGHUP re-reads the token file there (no work in a
 * signal handler), SIGINT and SIGTERM shut down in order: stop accepting,
 * finish in-flight requests, stop the threads, close the database.
 */
#include "app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api/resource.h"
#include "api/transfer.h"
#include "http/problem.h"
#include "http/server.h"
#include "model/xalloc.h"

#define APP_PRUNE_EVERY_S 60   /* API.md: at least once a minute */
#define APP_PRUNE_BATCH 500    /* changes removed per transaction */
#define APP_NOTIFY_WAIT_MS 250 /* longest it waits for the feed in one go */
#define APP_FILL_BATCH 100     /* stale meeting bodies rendered per transaction */
#define APP_FILL_PAUSE_MS 10   /* between two full batches: writers go first */
#define APP_FILL_IDLE_MS 1000  /* how often it looks for stale bodies */

/* Prints an import's answer: counts on success, the problem otherwise.
 * Returns 0 on success. */
static int report_import(const struct http_response *res, FILE *out)
{
	fprintf(res->status == 200 ? out : stderr, "%.*s\n", (int)res->body_len,
	        res->body ? res->body : "");
	return res->status == 200 ? 0 : 1;
}

static void response_free(struct http_response *res)
{
	free(res->body);
	for (size_t i = 0; i < res->header_count; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
}

/* Loads the bundled sample records into an empty store. */
static int load_sample(struct store *store, char *err, size_t errlen)
{
	bool empty = false;
	if (store_is_empty(store, &empty) != STORE_OK) {
		snprintf(err, errlen, "cannot read the database to load the sample data");
		return -1;
	}
	if (!empty)
		return 0;
	struct http_response res = {0};
	api_import_text(store, doc_sample, doc_sample_len, &res);
	int rc = res.status == 200 ? 0 : -1;
	if (rc)
		snprintf(err, errlen, "cannot load the sample data: %.*s", (int)res.body_len,
		         res.body ? res.body : "");
	else
		fprintf(stderr, "readoutd: loaded the sample records into the empty database\n");
	response_free(&res);
	return rc;
}

static unsigned long app_generation(void *ctx)
{
	return store_generation(((struct app *)ctx)->store);
}

/* Every statement of one request shares one deadline (--query-budget), and
 * its writes are recorded as made by its token's name. */
static void app_request_start(void *ctx, const struct http_request *req)
{
	store_request_start(((struct app *)ctx)->store, req->actor);
}

/* Group commit (see http_server_options): one transaction, one sync, for
 * the writes queued together. */
static void app_group_begin(void *ctx)
{
	store_group_begin(((struct app *)ctx)->store);
}

static bool app_group_end(void *ctx)
{
	return store_group_end(((struct app *)ctx)->store) == STORE_OK;
}

/* Opens the store of --db, its versions rendered as the API answers them. */
static int open_store(const struct config *cfg, struct store **out, char *err, size_t errlen)
{
	if (store_open(cfg->db, out, err, errlen))
		return -1;
	store_set_render(*out, api_render);
	return 0;
}

/* Sleeps up to ms, unless the app stops meanwhile: true when it does. */
static bool app_sleep(struct app *app, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += ms % 1000 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&app->lock);
	while (!app->stopping && pthread_cond_timedwait(&app->stop, &app->lock, &until) == 0)
		;
	bool stopping = app->stopping;
	pthread_mutex_unlock(&app->lock);
	return stopping;
}

/* --changes-retention: at start, then every APP_PRUNE_EVERY_S, removes the
 * changes and versions older than the retention, a batch per transaction
 * so that writes go on between them. */
static void *app_pruner(void *arg)
{
	struct app *app = arg;
	do {
		char before[MODEL_TIMESTAMP_LEN + 1];
		model_timestamp_ago(app->retention_days * 86400L, before);
		int64_t removed = 0;
		enum store_status r =
		    store_changes_prune(app->store, before, APP_PRUNE_BATCH, &removed);
		if (r != STORE_OK)
			fprintf(stderr,
			        "readoutd: pruning changes older than %s failed; trying again "
			        "in %d s\n",
			        before, APP_PRUNE_EVERY_S);
		else if (removed)
			fprintf(stderr, "readoutd: pruned %lld changes older than %s\n",
			        (long long)removed, before);
	} while (!app_sleep(app, APP_PRUNE_EVERY_S * 1000L));
	return NULL;
}

/* The server's wait_begun: wakes the notifier. */
static void app_wait_begun(void *ctx)
{
	struct app *app = ctx;
	pthread_mutex_lock(&app->lock);
	pthread_cond_signal(&app->waiters);
	pthread_mutex_unlock(&app->lock);
}

/* Wakes the requests waiting on the change feed (GET /v1/changes?wait=)
 * once it moves, by a commit of this process or of any other on the same
 * database. It only asks the database while a request waits, and sleeps
 * until one begins to wait otherwise; the first look after an idle spell
 * may wake them for nothing, and they wait again. */
static void *app_notifier(void *arg)
{
	struct app *app = arg;
	int64_t seen = -1;
	for (;;) {
		pthread_mutex_lock(&app->lock);
		while (!app->stopping && !http_server_waiting(app->server))
			pthread_cond_wait(&app->waiters, &app->lock);
		bool stopping = app->stopping;
		pthread_mutex_unlock(&app->lock);
		if (stopping)
			return NULL;
		if (store_changes_wait(app->store, &seen, APP_NOTIFY_WAIT_MS) == STORE_OK)
			http_server_wake(app->server);
	}
}

/* Renders the stored meeting bodies a write made stale (a participant's
 * rename, a related meeting's new title) or that a migrated database
 * lacks, a batch per transaction, so that reads by id find them. Reads
 * never wait for it: a stale body is rendered on read meanwhile. */
static void *app_filler(void *arg)
{
	struct app *app = arg;
	bool failing = false;
	long pause;
	do {
		int64_t filled = 0;
		enum store_status r = store_meeting_json_fill(app->store, APP_FILL_BATCH, &filled);
		if (r != STORE_OK && !failing)
			fprintf(
			    stderr,
			    "readoutd: rendering stale meeting bodies failed (store status %d); "
			    "reads render them meanwhile\n",
			    (int)r);
		failing = r != STORE_OK;
		pause = filled == APP_FILL_BATCH ? APP_FILL_PAUSE_MS : APP_FILL_IDLE_MS;
	} while (!app_sleep(app, pause));
	return NULL;
}

/* The lock and conditions of the background threads, made before the
 * server starts (whose wait_begun signals one). */
static void app_sync_init(struct app *app)
{
	pthread_mutex_init(&app->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&app->stop, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&app->waiters, NULL);
}

static void app_sync_destroy(struct app *app)
{
	pthread_cond_destroy(&app->waiters);
	pthread_cond_destroy(&app->stop);
	pthread_mutex_destroy(&app->lock);
}

/* Starts the background threads the configuration asks for. */
static void app_background_start(struct app *app, const struct config *cfg)
{
	app->retention_days = cfg->changes_retention_days;
	if (app->retention_days)
		app->pruning = pthread_create(&app->pruner, NULL, app_pruner, app) == 0;
	app->notifying = pthread_create(&app->notifier, NULL, app_notifier, app) == 0;
	app->filling = pthread_create(&app->filler, NULL, app_filler, app) == 0;
}

/* Stops the background threads and waits for them. */
static void app_background_stop(struct app *app)
{
	pthread_mutex_lock(&app->lock);
	app->stopping = true;
	pthread_cond_broadcast(&app->stop);
	pthread_cond_broadcast(&app->waiters);
	pthread_mutex_unlock(&app->lock);
	if (app->pruning)
		pthread_join(app->pruner, NULL);
	if (app->notifying)
		pthread_join(app->notifier, NULL);
	if (app->filling)
		pthread_join(app->filler, NULL);
}

/* The token set of cfg's tokens (a new reference). */
static struct auth_set *tokens_of(const struct config *cfg)
{
	struct auth_entry entries[CONFIG_TOKENS_MAX];
	for (size_t i = 0; i < cfg->token_count; i++)
		entries[i] = (struct auth_entry){cfg->tokens[i].name, cfg->tokens[i].scopes,
		                                 cfg->tokens[i].secret};
	return auth_set_new(entries, cfg->token_count);
}

struct app *app_start(const struct config *cfg, char *err, size_t errlen)
{
	struct app *app = xcalloc(1, sizeof *app);
	app_sync_init(app);
	if (open_store(cfg, &app->store, err, errlen))
		goto fail;
	store_set_budget(app->store, cfg->query_budget_ms);
	app->max_exports = cfg->max_exports;
	app->export_seconds = cfg->export_seconds;
	struct http_server_options opt = {
	    .bind = cfg->bind,
	    .port = cfg->port,
	    .threads = cfg->threads,
	    .max_body = cfg->max_body,
	    .max_import_body = cfg->max_import_body,
	    .max_connections = cfg->max_connections,
	    .max_connections_per_ip = cfg->max_connections_per_ip,
	    .max_waiting = cfg->max_waiting,
	    .timeout_seconds = cfg->timeout_seconds,
	    .cache_bytes = (size_t)cfg->cache_bytes,
	    .generation = app_generation,
	    .group_begin = app_group_begin,
	    .group_end = app_group_end,
	    .request_start = app_request_start,
	    .wait_begun = app_wait_begun,
	    .tokens = NULL, /* set below, once nothing can fail before the server takes it */
	    .private_prefix = cfg->private_mode ? "/v1/" : NULL,
	    .cors_origins = (const char *const *)cfg->cors_origins,
	    .cors_origin_count = cfg->cors_origin_count,
	    .router = &api_router,
	    .app = app,
	};
	if (cfg->sample_data && load_sample(app->store, err, errlen))
		goto fail;
	opt.tokens = tokens_of(cfg);
	app->server = http_server_start(&opt, err, errlen);
	if (!app->server)
		goto fail;
	app_background_start(app, cfg);
	return app;
fail:
	store_close(app->store);
	app_sync_destroy(app);
	free(app);
	return NULL;
}

int app_port(const struct app *app)
{
	return http_server_port(app->server);
}

struct http_server *app_server(const struct app *app)
{
	return app->server;
}

int app_reload_tokens(struct app *app, struct config *cfg, char *err, size_t errlen)
{
	if (config_reload_tokens(cfg, err, errlen))
		return -1;
	http_server_set_tokens(app->server, tokens_of(cfg));
	return 0;
}

void app_stop(struct app *app)
{
	if (!app)
		return;
	app_background_stop(app);
	http_server_stop(app->server);
	app_sync_destroy(app); /* after the server, which may call app_wait_begun until then */
	store_close(app->store);
	free(app);
}

/* Says at start what the tokens leave refused. */
static void warn_tokens(const struct config *cfg)
{
	unsigned scopes = 0;
	for (size_t i = 0; i < cfg->token_count; i++)
		scopes |= cfg->tokens[i].scopes;
	if (cfg->token_count == 0 && cfg->private_mode)
		fprintf(stderr,
		        "readoutd: --private with no token configured (--token, --token-file, "
		        "READOUT_TOKEN): every /v1/ request will be refused with 401\n");
	else if (cfg->token_count == 0)
		fprintf(stderr, "readoutd: no write token configured (--token, --token-file, "
		                "READOUT_TOKEN): every write will be refused with 401\n");
	else if (!(scopes & AUTH_WRITE))
		fprintf(stderr,
		        "readoutd: no token has the write scope: every entity write will be "
		        "refused\n");
}

/* SIGHUP: the token file again, or the old tokens and one line saying why. */
static void reload(struct app *app, struct config *cfg)
{
	char err[512];
	if (!cfg->token_file) {
		fprintf(stderr, "readoutd: SIGHUP: no --token-file to re-read; tokens unchanged\n");
		return;
	}
	if (app_reload_tokens(app, cfg, err, sizeof err)) {
		fprintf(stderr, "readoutd: SIGHUP: %s; keeping the tokens in use\n", err);
		return;
	}
	fprintf(stderr, "readoutd: SIGHUP: re-read %s: %zu token%s in use\n", cfg->token_file,
	        cfg->token_count, cfg->token_count == 1 ? "" : "s");
}

static int serve(struct config *cfg)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	struct app *app = app_start(cfg, err, sizeof err);
	if (!app) {
		fprintf(stderr, "readoutd: %s\n", err);
		return 1;
	}
	warn_tokens(cfg);
	printf("readoutd %s listening on http://%s%s%s:%d\n", READOUT_VERSION,
	       strchr(cfg->bind, ':') ? "[" : "", cfg->bind, strchr(cfg->bind, ':') ? "]" : "",
	       app_port(app));
	fflush(stdout);
	int sig = 0;
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		reload(app, cfg);
	fprintf(stderr, "readoutd: %s received, shutting down\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	app_stop(app);
	return 0;
}

static int import_file(struct store *store, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "readoutd: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			text = xrealloc(text, cap);
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	bool failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		fprintf(stderr, "readoutd: cannot read %s\n", path);
		free(text);
		return 1;
	}
	struct http_response res = {0};
	api_import_text(store, text, len, &res);
	free(text);
	int rc = report_import(&res, stdout);
	response_free(&res);
	/* A bulk load leaves the search index in pieces: merge them once. */
	if (rc == 0 && store_fts_optimize(store) != STORE_OK)
		fprintf(stderr, "readoutd: imported, but the search index could not be merged "
		                "(searches stay correct, only slower)\n");
	return rc;
}

static int export_stdout(struct store *store)
{
	struct api_export *e = NULL;
	if (api_export_open(store, &e) != STORE_OK) {
		fprintf(stderr, "readoutd: cannot read the database\n");
		return 1;
	}
	char buf[65536];
	long n;
	while ((n = api_export_fill(e, buf, sizeof buf)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			n = -1;
	api_export_close(e);
	if (n < 0 || fflush(stdout)) {
		fprintf(stderr, "readoutd: export failed\n");
		return 1;
	}
	return 0;
}

/* import, export and backup: each opens the database of --db itself. */
static int offline(const struct config *cfg)
{
	char err[512];
	struct store *store = NULL;
	if (open_store(cfg, &store, err, sizeof err)) {
		fprintf(stderr, "readoutd: %s\n", err);
		return 1;
	}
	int rc = 0;
	enum store_status r;
	if (cfg->command == CONFIG_IMPORT) {
		rc = import_file(store, cfg->command_arg);
	} else if (cfg->command == CONFIG_EXPORT) {
		rc = export_stdout(store);
	} else if ((r = store_backup(store, cfg->command_arg, err, sizeof err)) != STORE_OK) {
		fprintf(stderr, "readoutd: %s\n", err);
		rc = r == STORE_UNSUPPORTED ? 2 : 1; /* 2: not a failure to retry, a wrong tool */
	} else {
		fprintf(stderr, "readoutd: backup of %s written to %s (integrity ok)\n", cfg->db,
		        cfg->command_arg);
	}
	store_close(store);
	return rc;
}

/* Asks /readyz on this machine's configured port; 0 when it answers 200. */
static int healthcheck(const struct config *cfg)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
	const char *host =
	    strcmp(cfg->bind, "0.0.0.0") == 0 || strchr(cfg->bind, ':') ? "127.0.0.1" : cfg->bind;
	struct timeval tv = {.tv_sec = 3};
	if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) ||
	    connect(fd, (struct sockaddr *)&addr, sizeof addr)) {
		fprintf(stderr, "readoutd: healthcheck: cannot connect to %s:%d\n", host,
		        cfg->port);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	const char *req = "GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char buf[64] = {0};
	ssize_t n = -1;
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req))
		n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0) {
		puts("ready");
		return 0;
	}
	fprintf(stderr, "readoutd: healthcheck: /readyz did not answer 200\n");
	return 1;
}

int app_main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "readoutd: cannot initialise libsodium\n");
		return 1;
	}
	struct config cfg;
	char err[512];
	if (config_parse(&cfg, argc, argv, err, sizeof err)) {
		fprintf(stderr, "readoutd: %s\n", err);
		config_usage(stderr);
		config_free(&cfg);
		return 2;
	}
	int rc = 0;
	switch (cfg.command) {
	case CONFIG_HELP:
		config_usage(stdout);
		break;
	case CONFIG_VERSION:
		printf("readoutd %s (schema %d)\n", READOUT_VERSION, store_schema_version());
		break;
	case CONFIG_SERVE:
		rc = serve(&cfg);
		break;
	case CONFIG_BACKUP:
	case CONFIG_IMPORT:
	case CONFIG_EXPORT:
		rc = offline(&cfg);
		break;
	case CONFIG_HEALTHCHECK:
		rc = healthcheck(&cfg);
		break;
	}
	config_free(&cfg);
	return rc;
}
