/*
 * Command line and environment parsing. Every option has a flag and, except
 * for --sample-data, an environment variable; values are range-checked here so
 * the rest of the program can trust the struct.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "model/xalloc.h"

#define MAX_WAITING_DEFAULT 256
#define TOKEN_LINE_MAX (CONFIG_TOKEN_MAX_LEN + 1024) /* bytes of a token file line */

enum value_kind { V_STRING, V_INT, V_LONG, V_TOKEN, V_TOKEN_FILE, V_ORIGINS, V_BOOL };

struct option_spec {
	const char *flag;
	const char *env;
	enum value_kind kind;
	size_t offset;
	long min, max;
};

#define OFF(field) offsetof(struct config, field)

static const struct option_spec options[] = {
    {"--bind", "READOUT_BIND", V_STRING, OFF(bind), 0, 0},
    {"--port", "READOUT_PORT", V_INT, OFF(port), 0, 65535},
    {"--db", "READOUT_DB", V_STRING, OFF(db), 0, 0},
    {"--token", "READOUT_TOKEN", V_TOKEN, 0, 0, 0},
    {"--token-file", "READOUT_TOKEN_FILE", V_TOKEN_FILE, 0, 0, 0},
    {"--cors-origin", "READOUT_CORS_ORIGIN", V_ORIGINS, 0, 0, 0},
    {"--threads", "READOUT_THREADS", V_INT, OFF(threads), 1, CONFIG_THREADS_MAX},
    {"--max-body", "READOUT_MAX_BODY", V_LONG, OFF(max_body), 1024, CONFIG_MAX_BODY_LIMIT},
    {"--max-import-body", "READOUT_MAX_IMPORT_BODY", V_LONG, OFF(max_import_body), 1024,
     CONFIG_MAX_BODY_LIMIT},
    {"--max-connections", "READOUT_MAX_CONNECTIONS", V_INT, OFF(max_connections), 1, 100000},
    {"--max-connections-per-ip", "READOUT_MAX_CONNECTIONS_PER_IP", V_INT,
     OFF(max_connections_per_ip), 0, 100000},
    {"--max-waiting", "READOUT_MAX_WAITING", V_INT, OFF(max_waiting), 0, 100000},
    {"--timeout", "READOUT_TIMEOUT", V_INT, OFF(timeout_seconds), 1, 3600},
    {"--cache-size", "READOUT_CACHE_SIZE", V_LONG, OFF(cache_bytes), 0, CONFIG_MAX_BODY_LIMIT},
    {"--query-budget", "READOUT_QUERY_BUDGET", V_INT, OFF(query_budget_ms), 1, 600000},
    {"--max-exports", "READOUT_MAX_EXPORTS", V_INT, OFF(max_exports), 1, 1000},
    {"--export-timeout", "READOUT_EXPORT_TIMEOUT", V_INT, OFF(export_seconds), 1, 86400},
    {"--changes-retention", "READOUT_CHANGES_RETENTION", V_INT, OFF(changes_retention_days), 0,
     36500},
    {"--private", "READOUT_PRIVATE", V_BOOL, OFF(private_mode), 0, 0},
    {"--sample-data", NULL, V_BOOL, OFF(sample_data), 0, 0},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

void config_usage(void *f)
{
	fputs(
	    "usage: readoutd [OPTIONS]              serve the API\n"
	    "       readoutd import FILE [--db PATH] load an import document\n"
	    "       readoutd export [--db PATH]      write the export document to stdout\n"
	    "       readoutd backup PATH [--db PATH] write a consistent snapshot to PATH\n"
	    "       readoutd healthcheck [--port N]  exit 0 when /readyz answers 200\n"
	    "options (environment variable in brackets; a flag wins):\n"
	    "  --bind ADDR              [READOUT_BIND]          address (127.0.0.1)\n"
	    "  --port N                 [READOUT_PORT]          port, 0 picks one (8080)\n"
	    "  --db PATH                [READOUT_DB]            SQLite file (readout.db)\n"
	    "  --token TOKEN            [READOUT_TOKEN]         write,admin token 'cli', "
	    "repeatable\n"
	    "  --token-file PATH        [READOUT_TOKEN_FILE]    lines NAME SCOPES TOKEN (SIGHUP "
	    "re-reads)\n"
	    "  --private                [READOUT_PRIVATE]       /v1/ reads need a read token too\n"
	    "  --cors-origin LIST       [READOUT_CORS_ORIGIN]   allowed origins (*)\n"
	    "  --threads N              [READOUT_THREADS]       worker threads (cores)\n"
	    "  --max-body BYTES         [READOUT_MAX_BODY]      body limit (1048576)\n"
	    "  --max-import-body BYTES  [READOUT_MAX_IMPORT_BODY] import limit (67108864)\n"
	    "  --max-connections N      [READOUT_MAX_CONNECTIONS] total (1024)\n"
	    "  --max-connections-per-ip N [READOUT_MAX_CONNECTIONS_PER_IP] 0: none (256)\n"
	    "  --max-waiting N          [READOUT_MAX_WAITING]   requests waiting at once, below\n"
	    "                           --max-connections; 0: none may wait (256)\n"
	    "  --timeout SECONDS        [READOUT_TIMEOUT]       idle connection timeout (30)\n"
	    "  --cache-size BYTES       [READOUT_CACHE_SIZE]    response cache, 0: none "
	    "(4194304)\n"
	    "  --query-budget MS        [READOUT_QUERY_BUDGET]  time one request may query (5000)\n"
	    "  --max-exports N          [READOUT_MAX_EXPORTS]   exports open at once (4)\n"
	    "  --export-timeout SECONDS [READOUT_EXPORT_TIMEOUT] longest export stream (600)\n"
	    "  --changes-retention DAYS [READOUT_CHANGES_RETENTION] keep changes and versions,\n"
	    "                           0: forever (0)\n"
	    "  --sample-data            load the sample records into an empty database\n"
	    "  --version, --help\n",
	    (FILE *)f);
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -1;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int failf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void token_free(struct config_token *t)
{
	free(t->name);
	if (t->secret)
		memset(t->secret, 0, strlen(t->secret));
	free(t->secret);
	memset(t, 0, sizeof *t);
}

static void tokens_clear(struct config *cfg)
{
	for (size_t i = 0; i < cfg->token_count; i++)
		token_free(&cfg->tokens[i]);
	cfg->token_count = 0;
}

/* A name of [a-z0-9][a-z0-9._-]*, at most CONFIG_TOKEN_NAME_MAX bytes. */
static bool name_valid(const char *name, size_t len)
{
	if (len == 0 || len > CONFIG_TOKEN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		          (i > 0 && (c == '.' || c == '_' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

/* Parses a comma-separated list of read, write and admin into *scopes. */
static bool scopes_parse(const char *list, size_t len, unsigned *scopes /* OUT */)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {{"read", AUTH_READ}, {"write", AUTH_WRITE}, {"admin", AUTH_ADMIN}};
	*scopes = 0;
	const char *p = list, *end = list + len;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
		size_t k;
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strlen(known[k].name) == n && memcmp(p, known[k].name, n) == 0)
				break;
		if (k == sizeof known / sizeof known[0])
			return false;
		*scopes |= known[k].bit;
		if (!comma)
			break;
		p = comma + 1;
	}
	return true;
}

/* Adds one token after checking it: the secret's length and bytes, and that
 * neither the name nor the secret is already there. where names the flag,
 * variable or file line for a message (which never holds the secret). */
static int add_token(struct config *cfg, const char *name, unsigned scopes, const char *secret,
                     bool from_file, const char *where, char *err, size_t errlen)
{
	size_t len = strlen(secret);
	if (len < CONFIG_TOKEN_MIN_LEN)
		return failf(err, errlen, "%s: the token is %zu bytes; a token must be at least %d",
		             where, len, CONFIG_TOKEN_MIN_LEN);
	if (len > CONFIG_TOKEN_MAX_LEN)
		return failf(err, errlen, "%s: the token is longer than %d bytes", where,
		             CONFIG_TOKEN_MAX_LEN);
	for (const char *p = secret; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return failf(err, errlen,
			             "%s: a token may not contain spaces or control characters",
			             where);
	for (size_t i = 0; i < cfg->token_count; i++) {
		if (strcmp(cfg->tokens[i].name, name) == 0)
			return failf(err, errlen, "%s: a second token named '%s'", where, name);
		if (strcmp(cfg->tokens[i].secret, secret) == 0)
			return failf(err, errlen, "%s: the same secret as the token named '%s'",
			             where, cfg->tokens[i].name);
	}
	if (cfg->token_count == CONFIG_TOKENS_MAX)
		return failf(err, errlen, "%s: more than %d tokens", where, CONFIG_TOKENS_MAX);
	struct config_token *t = &cfg->tokens[cfg->token_count++];
	t->name = xstrdup(name);
	t->scopes = scopes;
	t->secret = xstrdup(secret);
	t->from_file = from_file;
	return 0;
}

/* --token: named "cli", then "cli-2", "cli-3", ... */
static int add_cli_token(struct config *cfg, const char *secret, const char *from, char *err,
                         size_t errlen)
{
	size_t n = 1;
	for (size_t i = 0; i < cfg->token_count; i++)
		n += !cfg->tokens[i].from_file;
	char name[32];
	if (n == 1)
		snprintf(name, sizeof name, "cli");
	else
		snprintf(name, sizeof name, "cli-%zu", n);
	return add_token(cfg, name, AUTH_WRITE | AUTH_ADMIN, secret, false, from, err, errlen);
}

/* One line of a token file (its line ending removed): NAME SCOPES TOKEN, or
 * a lone TOKEN (version 1: token-N, write and admin), or nothing. A '#' at
 * the start of the line or after a space or tab begins a comment. */
static int token_line(struct config *cfg, char *line, long lineno, const char *where, char *err,
                      size_t errlen)
{
	for (char *p = line; *p; p++)
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	char *field[4];
	size_t len[4];
	int n = 0;
	for (char *p = line; *p;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		size_t k = strcspn(p, " \t");
		if (n == 4)
			break;
		field[n] = p;
		len[n++] = k;
		p += k;
	}
	if (n == 0)
		return 0;
	if (n == 2 || n > 3)
		return failf(err, errlen, "%s: expected NAME SCOPES TOKEN or a lone TOKEN, not %s",
		             where, n == 2 ? "two fields" : "more than three");
	for (int i = 0; i < n; i++)
		field[i][len[i]] = '\0';
	if (n == 1) {
		char name[32];
		snprintf(name, sizeof name, "token-%ld", lineno);
		return add_token(cfg, name, AUTH_WRITE | AUTH_ADMIN, field[0], true, where, err,
		                 errlen);
	}
	if (!name_valid(field[0], len[0]))
		return failf(
		    err, errlen,
		    "%s: '%.64s' is not a token name ([a-z0-9][a-z0-9._-]*, at most %d bytes)",
		    where, field[0], CONFIG_TOKEN_NAME_MAX);
	unsigned scopes;
	if (!scopes_parse(field[1], len[1], &scopes))
		return failf(
		    err, errlen,
		    "%s: '%.64s' is not a list of scopes (read, write, admin, comma-separated)",
		    where, field[1]);
	return add_token(cfg, field[0], scopes, field[2], true, where, err, errlen);
}

static int read_token_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return failf(err, errlen, "--token-file %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	long lineno = 0;
	int rc = 0;
	char where[512];
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		snprintf(where, sizeof where, "--token-file %s line %ld", path, lineno);
		if (got > TOKEN_LINE_MAX) {
			rc = failf(err, errlen, "%s: longer than %d bytes", where, TOKEN_LINE_MAX);
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		rc = token_line(cfg, line, lineno, where, err, errlen);
	}
	if (rc == 0 && ferror(f))
		rc = failf(err, errlen, "--token-file %s: %s", path, strerror(errno));
	if (line)
		memset(line, 0, cap);
	free(line);
	fclose(f);
	return rc;
}

int config_reload_tokens(struct config *cfg, char *err, size_t errlen)
{
	if (!cfg->token_file)
		return failf(err, errlen, "no --token-file to re-read");
	struct config next = {0};
	for (size_t i = 0; i < cfg->token_count; i++) {
		const struct config_token *t = &cfg->tokens[i];
		if (!t->from_file) {
			next.tokens[next.token_count].name = xstrdup(t->name);
			next.tokens[next.token_count].scopes = t->scopes;
			next.tokens[next.token_count++].secret = xstrdup(t->secret);
		}
	}
	if (read_token_file(&next, cfg->token_file, err, errlen)) {
		tokens_clear(&next);
		return -1;
	}
	tokens_clear(cfg);
	memcpy(cfg->tokens, next.tokens, sizeof next.tokens);
	cfg->token_count = next.token_count;
	return 0;
}

static int set_origins(struct config *cfg, const char *list, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->cors_origin_count; i++)
		free(cfg->cors_origins[i]);
	cfg->cors_origin_count = 0;
	if (strcmp(list, "*") == 0)
		return 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		while (n && *p == ' ')
			p++, n--;
		size_t m = n;
		while (m && p[m - 1] == ' ')
			m--;
		size_t scheme = strncmp(p, "http://", 7) == 0    ? 7
		                : strncmp(p, "https://", 8) == 0 ? 8
		                                                 : 0;
		if (scheme == 0 || m <= scheme || memchr(p + scheme, '/', m - scheme) ||
		    memchr(p + scheme, ' ', m - scheme))
			return fail(err, errlen, "--cors-origin: '%s' is not an origin such as %s",
			            p, "https://example.org");
		if (cfg->cors_origin_count == CONFIG_ORIGINS_MAX)
			return fail(err, errlen, "--cors-origin: more than 32 origins%s%s", "", "");
		cfg->cors_origins[cfg->cors_origin_count++] = xstrndup(p, m);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Applies one value to the option spec o; from names the flag or variable. */
static int apply(struct config *cfg, const struct option_spec *o, const char *v, const char *from,
                 char *err, size_t errlen)
{
	char *base = (char *)cfg;
	long n;
	switch (o->kind) {
	case V_STRING:
		if (!*v)
			return fail(err, errlen, "%s: empty value%s", from, "");
		free(*(char **)(base + o->offset));
		*(char **)(base + o->offset) = xstrdup(v);
		return 0;
	case V_INT:
	case V_LONG:
		if (parse_long(v, o->min, o->max, &n)) {
			char range[64];
			snprintf(range, sizeof range, " (expected %ld to %ld)", o->min, o->max);
			return fail(err, errlen, "%s: bad value%s", from, range);
		}
		if (o->kind == V_INT)
			*(int *)(base + o->offset) = (int)n;
		else
			*(long *)(base + o->offset) = n;
		return 0;
	case V_TOKEN:
		return add_cli_token(cfg, v, from, err, errlen);
	case V_TOKEN_FILE:
		if (cfg->token_file)
			return failf(err, errlen, "%s: only one token file may be given", from);
		cfg->token_file = xstrdup(v);
		return read_token_file(cfg, v, err, errlen);
	case V_ORIGINS:
		return set_origins(cfg, v, err, errlen);
	case V_BOOL:
		/* A flag sets it; a variable says 1, true, yes or on, or 0, false,
		 * no or off. */
		if (strcmp(from, o->flag) == 0 || strcasecmp(v, "1") == 0 ||
		    strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		    strcasecmp(v, "on") == 0)
			*(bool *)(base + o->offset) = true;
		else if (strcasecmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
		         strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0)
			*(bool *)(base + o->offset) = false;
		else
			return fail(err, errlen,
			            "%s: expected 1, true, yes, on or 0, false, no, off%s", from,
			            "");
		return 0;
	}
	return -1;
}

static const struct option_spec *find_flag(const char *arg, size_t len)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		if (strlen(options[i].flag) == len && strncmp(options[i].flag, arg, len) == 0)
			return &options[i];
	return NULL;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->bind = xstrdup("127.0.0.1");
	cfg->port = 8080;
	cfg->db = xstrdup("readout.db");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = cores < 1 ? 1 : cores > CONFIG_THREADS_MAX ? CONFIG_THREADS_MAX : (int)cores;
	cfg->max_body = 1048576;
	cfg->max_import_body = 64L * 1024 * 1024;
	cfg->max_connections = 1024;
	cfg->max_connections_per_ip = 256;
	cfg->max_waiting = -1; /* not given: MAX_WAITING_DEFAULT (config_parse) */
	cfg->timeout_seconds = 30;
	cfg->cache_bytes = 4L * 1024 * 1024;
	cfg->query_budget_ms = 5000;
	cfg->max_exports = 4;
	cfg->export_seconds = 600;
}

static const struct {
	const char *name;
	enum config_command command;
	bool takes_arg;
} commands[] = {
    {"import", CONFIG_IMPORT, true},
    {"export", CONFIG_EXPORT, false},
    {"backup", CONFIG_BACKUP, true},
    {"healthcheck", CONFIG_HEALTHCHECK, false},
};

int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	set_defaults(cfg);
	int first = 1;
	if (argc > 1 && argv[1][0] != '-') {
		size_t i;
		for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				break;
		if (i == sizeof commands / sizeof commands[0])
			return fail(err, errlen, "unknown command '%s'%s", argv[1], "");
		cfg->command = commands[i].command;
		first = 2;
		if (commands[i].takes_arg) {
			if (argc < 3 || (argv[2][0] == '-' && argv[2][1] != '\0'))
				return fail(err, errlen, "%s: missing %s", argv[1],
				            cfg->command == CONFIG_IMPORT ? "FILE" : "PATH");
			cfg->command_arg = xstrdup(argv[2]);
			first = 3;
		}
	}
	/* The environment first, so flags override it. */
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const char *v = options[i].env ? getenv(options[i].env) : NULL;
		if (v && *v && apply(cfg, &options[i], v, options[i].env, err, errlen))
			return -1;
	}
	bool flag_tokens = false;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			cfg->command = CONFIG_HELP;
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			cfg->command = CONFIG_VERSION;
			return 0;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct option_spec *o = find_flag(arg, len);
		if (!o)
			return fail(err, errlen, "unknown option '%s'%s", arg, "");
		const char *v;
		if (o->kind == V_BOOL) {
			if (eq)
				return fail(err, errlen, "%s takes no value%s", o->flag, "");
			v = "";
		} else if (eq) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return fail(err, errlen, "%s needs a value%s", o->flag, "");
		}
		/* Tokens given as flags replace those of the environment. */
		if ((o->kind == V_TOKEN || o->kind == V_TOKEN_FILE) && !flag_tokens) {
			tokens_clear(cfg);
			free(cfg->token_file);
			cfg->token_file = NULL;
			flag_tokens = true;
		}
		if (apply(cfg, o, v, o->flag, err, errlen))
			return -1;
	}
	/* Waiting requests keep their connections: others must still get in.
	 * Unless given, the limit shrinks below a small --max-connections. */
	if (cfg->max_waiting < 0) {
		cfg->max_waiting = MAX_WAITING_DEFAULT < cfg->max_connections
		                       ? MAX_WAITING_DEFAULT
		                       : cfg->max_connections - 1;
	} else if (cfg->max_waiting >= cfg->max_connections) {
		snprintf(err, errlen, "--max-waiting %d: must be below --max-connections (%d)",
		         cfg->max_waiting, cfg->max_connections);
		return -1;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->command_arg);
	free(cfg->bind);
	free(cfg->db);
	tokens_clear(cfg);
	free(cfg->token_file);
	for (size_t i = 0; i < cfg->cors_origin_count; i++)
		free(cfg->cors_origins[i]);
	memset(cfg, 0, sizeof *cfg);
}
