/*
 * Configuration: the flags and environment variables of API.md section 8,
 * parsed and range-checked into one struct. A flag wins over its variable.
 */
#ifndef READOUT_CONFIG_H
#define READOUT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "http/auth.h"

#define CONFIG_TOKENS_MAX 64
#define CONFIG_TOKEN_MIN_LEN 16   /* bytes of a secret, at least */
#define CONFIG_TOKEN_MAX_LEN 4096 /* bytes of a secret, at most */
#define CONFIG_TOKEN_NAME_MAX 64  /* bytes of a token's name */
#define CONFIG_ORIGINS_MAX 32
#define CONFIG_THREADS_MAX 256
#define CONFIG_MAX_BODY_LIMIT (1024L * 1024 * 1024)

enum config_command {
	CONFIG_SERVE,
	CONFIG_HELP,
	CONFIG_VERSION,
	CONFIG_IMPORT,     /* readoutd import FILE */
	CONFIG_EXPORT,     /* readoutd export */
	CONFIG_BACKUP,     /* readoutd backup PATH */
	CONFIG_HEALTHCHECK /* readoutd healthcheck */
};

/* One token (API.md section 10): a name, its scopes, its secret. */
struct config_token {
	char *name;      /* [a-z0-9][a-z0-9._-]*; "cli" (then "cli-2", ...) for --token */
	unsigned scopes; /* enum auth_scope bits as written (write and admin imply read) */
	char *secret;
	bool from_file; /* read from token_file (a reload replaces these) */
};

struct config {
	enum config_command command;
	char *command_arg; /* FILE or PATH of import/backup, else NULL */
	char *bind;
	int port;
	char *db;
	struct config_token tokens[CONFIG_TOKENS_MAX];
	size_t token_count;
	char *token_file;  /* the --token-file, re-read on SIGHUP; NULL: none */
	bool private_mode; /* --private: every /v1/ request needs the read scope */
	char *cors_origins[CONFIG_ORIGINS_MAX]; /* empty: any origin ("*") */
	size_t cors_origin_count;
	int threads;
	long max_body;
	long max_import_body;
	int max_connections;
	int max_connections_per_ip;
	int max_waiting; /* requests waiting at once (long polls), below max_connections */
	int timeout_seconds;
	long cache_bytes;
	int query_budget_ms;
	int max_exports;            /* GET /v1/export streams open at once */
	int export_seconds;         /* longest an export stream may stay open */
	int changes_retention_days; /* 0: keep changes and versions forever */
	bool sample_data;
};

/* Parses argv and the environment into cfg (which the caller owns; free its
 * contents with config_free). Returns 0, or -1 after writing a one-line
 * message naming the bad flag or value into err (size errlen). */
int config_parse(struct config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Re-reads cfg->token_file: on success its tokens replace those read from
 * it before (those of --token stay) and 0 is returned; else -1 with a
 * one-line message naming the file and the problem in err, and cfg as it
 * was. The message never holds a secret. */
int config_reload_tokens(struct config *cfg, char *err, size_t errlen);

/* Frees what config_parse allocated. NULL ok. */
void config_free(struct config *cfg);

/* Prints the usage text to f. */
void config_usage(void *f);

#endif
