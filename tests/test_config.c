/* Unit tests of config: every flag, its variable, ranges and precedence. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int parse(struct config *cfg, char *err, const char *const *argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return config_parse(cfg, argc, (char **)argv, err, 256);
}

static void clear_env(void)
{
	const char *vars[] = {"READOUT_BIND",
	                      "READOUT_PORT",
	                      "READOUT_DB",
	                      "READOUT_TOKEN",
	                      "READOUT_TOKEN_FILE",
	                      "READOUT_CORS_ORIGIN",
	                      "READOUT_THREADS",
	                      "READOUT_MAX_BODY",
	                      "READOUT_MAX_IMPORT_BODY",
	                      "READOUT_MAX_EXPORTS",
	                      "READOUT_EXPORT_TIMEOUT",
	                      "READOUT_MAX_WAITING",
	                      "READOUT_MAX_CONNECTIONS",
	                      "READOUT_PRIVATE",
	                      NULL};
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

START_TEST(defaults)
{
	clear_env();
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd", NULL};
	ck_assert_int_eq(parse(&c, err, argv), 0);
	ck_assert_int_eq(c.command, CONFIG_SERVE);
	ck_assert_str_eq(c.bind, "127.0.0.1");
	ck_assert_int_eq(c.port, 8080);
	ck_assert_str_eq(c.db, "readout.db");
	ck_assert_int_eq(c.token_count, 0);
	ck_assert_int_eq(c.cors_origin_count, 0);
	ck_assert_int_ge(c.threads, 1);
	ck_assert_int_eq(c.max_body, 1048576);
	ck_assert_int_eq(c.max_import_body, 64L * 1024 * 1024);
	ck_assert_int_eq(c.max_exports, 4);
	ck_assert_int_eq(c.export_seconds, 600);
	ck_assert_int_eq(c.max_waiting, 256);
	ck_assert(!c.sample_data);
	config_free(&c);
}
END_TEST

/* --max-waiting: its flag and variable, its range, and its bound below
 * --max-connections (a default that would break it shrinks instead). */
START_TEST(max_waiting)
{
	clear_env();
	struct config c;
	char err[256] = "";
	const char *flag[] = {"readoutd", "--max-waiting", "10", NULL};
	ck_assert_int_eq(parse(&c, err, flag), 0);
	ck_assert_int_eq(c.max_waiting, 10);
	config_free(&c);
	const char *none[] = {"readoutd", "--max-waiting=0", NULL};
	ck_assert_int_eq(parse(&c, err, none), 0);
	ck_assert_int_eq(c.max_waiting, 0);
	config_free(&c);
	setenv("READOUT_MAX_WAITING", "7", 1);
	const char *plain[] = {"readoutd", NULL};
	ck_assert_int_eq(parse(&c, err, plain), 0);
	ck_assert_int_eq(c.max_waiting, 7);
	config_free(&c);
	ck_assert_int_eq(parse(&c, err, flag), 0); /* the flag wins */
	ck_assert_int_eq(c.max_waiting, 10);
	config_free(&c);
	clear_env();
	const char *small[] = {"readoutd", "--max-connections", "100", NULL};
	ck_assert_int_eq(parse(&c, err, small), 0);
	ck_assert_int_eq(c.max_waiting, 99);
	config_free(&c);
	const char *bad[][5] = {
	    {"readoutd", "--max-waiting", "-1", NULL},
	    {"readoutd", "--max-waiting", "100001", NULL},
	    {"readoutd", "--max-waiting", "many", NULL},
	    {"readoutd", "--max-waiting", "1024", NULL},
	    {"readoutd", "--max-connections", "50", "--max-waiting=50", NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(parse(&c, err, bad[i]) == -1, "%s %s accepted", bad[i][1], bad[i][2]);
		ck_assert_msg(strstr(err, "--max-waiting") != NULL, "message '%s'", err);
		config_free(&c);
	}
	ck_assert_ptr_nonnull(strstr(err, "--max-connections"));
	setenv("READOUT_MAX_WAITING", "x", 1);
	ck_assert_int_eq(parse(&c, err, plain), -1);
	ck_assert_ptr_nonnull(strstr(err, "READOUT_MAX_WAITING"));
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(flags)
{
	clear_env();
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd",      "--bind",
	                      "0.0.0.0",       "--port=9000",
	                      "--db",          "/tmp/x.db",
	                      "--token",       "abcdefgh-abcdefgh1",
	                      "--token",       "abcdefgh-abcdefgh2",
	                      "--cors-origin", "https://a.example, http://b.example:8000",
	                      "--threads",     "3",
	                      "--max-body",    "2048",
	                      "--max-exports", "7",
	                      "--sample-data", NULL};
	ck_assert_int_eq(parse(&c, err, argv), 0);
	ck_assert_str_eq(c.bind, "0.0.0.0");
	ck_assert_int_eq(c.port, 9000);
	ck_assert_str_eq(c.db, "/tmp/x.db");
	ck_assert_int_eq(c.token_count, 2);
	ck_assert_str_eq(c.tokens[0].name, "cli");
	ck_assert_str_eq(c.tokens[0].secret, "abcdefgh-abcdefgh1");
	ck_assert_uint_eq(c.tokens[0].scopes, AUTH_WRITE | AUTH_ADMIN);
	ck_assert_str_eq(c.tokens[1].name, "cli-2");
	ck_assert_str_eq(c.tokens[1].secret, "abcdefgh-abcdefgh2");
	ck_assert_ptr_null(c.token_file);
	ck_assert(!c.private_mode);
	ck_assert_int_eq(c.cors_origin_count, 2);
	ck_assert_str_eq(c.cors_origins[0], "https://a.example");
	ck_assert_str_eq(c.cors_origins[1], "http://b.example:8000");
	ck_assert_int_eq(c.threads, 3);
	ck_assert_int_eq(c.max_body, 2048);
	ck_assert_int_eq(c.max_exports, 7);
	ck_assert(c.sample_data);
	config_free(&c);
}
END_TEST

START_TEST(environment_and_precedence)
{
	clear_env();
	setenv("READOUT_PORT", "7000", 1);
	setenv("READOUT_DB", "env.db", 1);
	setenv("READOUT_TOKEN", "envtoken-0123456789", 1);
	setenv("READOUT_MAX_EXPORTS", "9", 1);
	setenv("READOUT_EXPORT_TIMEOUT", "120", 1);
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd", "--db", "flag.db", NULL};
	ck_assert_int_eq(parse(&c, err, argv), 0);
	ck_assert_int_eq(c.port, 7000);
	ck_assert_str_eq(c.db, "flag.db");
	ck_assert_int_eq(c.token_count, 1);
	ck_assert_str_eq(c.tokens[0].secret, "envtoken-0123456789");
	ck_assert_str_eq(c.tokens[0].name, "cli");
	ck_assert_int_eq(c.max_exports, 9);
	ck_assert_int_eq(c.export_seconds, 120);
	config_free(&c);
	const char *argv2[] = {"readoutd", "--token", "flagtoken-0123456789", NULL};
	ck_assert_int_eq(parse(&c, err, argv2), 0);
	ck_assert_int_eq(c.token_count, 1);
	ck_assert_str_eq(c.tokens[0].secret, "flagtoken-0123456789");
	config_free(&c);
	clear_env();
}
END_TEST

/* Writes text to a new temporary file; its path goes into path (at least
 * 32 bytes). */
static void temp_file(char *path, const char *text)
{
	strcpy(path, "/tmp/readout-tokens-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(token_file)
{
	clear_env();
	char path[64];
	temp_file(path, "# comment\n"
	                "first-token-0123456789\n"
	                "\n"
	                "   \t \n"
	                "ci-reader read  reader-secret-0123456789  # trailing comment\r\n"
	                "  deploy.bot_2   write,read\twriter-secret-0123456789\n"
	                "ops admin,write admin-secret-with#hash-0123\n"
	                "imp admin importer-secret-0123456789#not-a-comment\n"
	                "# second-line-comment-0123456789\n"
	                "last-token-0123456789 # lone, with a comment\n");
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd", "--token-file", path, NULL};
	ck_assert_msg(parse(&c, err, argv) == 0, "%s", err);
	ck_assert_str_eq(c.token_file, path);
	ck_assert_int_eq(c.token_count, 6);
	const struct {
		const char *name, *secret;
		unsigned scopes;
	} want[] = {
	    {"token-2", "first-token-0123456789", AUTH_WRITE | AUTH_ADMIN},
	    {"ci-reader", "reader-secret-0123456789", AUTH_READ},
	    {"deploy.bot_2", "writer-secret-0123456789", AUTH_WRITE | AUTH_READ},
	    {"ops", "admin-secret-with#hash-0123", AUTH_ADMIN | AUTH_WRITE},
	    {"imp", "importer-secret-0123456789#not-a-comment", AUTH_ADMIN},
	    {"token-10", "last-token-0123456789", AUTH_WRITE | AUTH_ADMIN},
	};
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(c.tokens[i].name, want[i].name);
		ck_assert_str_eq(c.tokens[i].secret, want[i].secret);
		ck_assert_uint_eq(c.tokens[i].scopes, want[i].scopes);
		ck_assert(c.tokens[i].from_file);
	}
	config_free(&c);
	/* With --token beside it: the flag's token is cli. */
	const char *both[] = {"readoutd", "--token-file",          path,
	                      "--token",  "cli-secret-0123456789", NULL};
	ck_assert_msg(parse(&c, err, both) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 7);
	ck_assert_str_eq(c.tokens[6].name, "cli");
	ck_assert(!c.tokens[6].from_file);
	config_free(&c);
	/* The file of the environment; a flag replaces it. */
	setenv("READOUT_TOKEN_FILE", path, 1);
	const char *env[] = {"readoutd", NULL};
	ck_assert_msg(parse(&c, err, env) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 6);
	config_free(&c);
	const char *flag[] = {"readoutd", "--token", "cli-secret-0123456789", NULL};
	ck_assert_msg(parse(&c, err, flag) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 1);
	ck_assert_ptr_null(c.token_file);
	config_free(&c);
	clear_env();
	/* An empty file is no token at all. */
	unlink(path);
	temp_file(path, "# nothing yet\n");
	ck_assert_msg(parse(&c, err, argv) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 0);
	config_free(&c);
	unlink(path);
	const char *missing[] = {"readoutd", "--token-file", "/nonexistent/tokens", NULL};
	ck_assert_int_eq(parse(&c, err, missing), -1);
	ck_assert_ptr_nonnull(strstr(err, "--token-file /nonexistent/tokens"));
	config_free(&c);
	const char *twice[] = {"readoutd",     "--token-file", "/dev/null",
	                       "--token-file", "/dev/null",    NULL};
	ck_assert_int_eq(parse(&c, err, twice), -1);
	ck_assert_ptr_nonnull(strstr(err, "only one token file"));
	config_free(&c);
}
END_TEST

/* Every refused form of a token file line: the message names the file and
 * the line, says what is wrong, and never holds a secret. */
START_TEST(token_file_refusals)
{
	clear_env();
	const struct {
		const char *text;
		int line;
		const char *says;
	} cases[] = {
	    {"# ok\nshort-secret\n", 2, "at least 16"},
	    {"a read short-secret\n", 1, "at least 16"},
	    {"Reader read reader-secret-0123456789\n", 1, "not a token name"},
	    {"-reader read reader-secret-0123456789\n", 1, "not a token name"},
	    {".reader read reader-secret-0123456789\n", 1, "not a token name"},
	    {"re/der read reader-secret-0123456789\n", 1, "not a token name"},
	    {"reader read,delete reader-secret-0123456789\n", 1, "not a list of scopes"},
	    {"reader Read reader-secret-0123456789\n", 1, "not a list of scopes"},
	    {"reader read, reader-secret-0123456789\n", 1, "not a list of scopes"},
	    {"reader ,read reader-secret-0123456789\n", 1, "not a list of scopes"},
	    {"reader reader-secret-0123456789\n", 1, "two fields"},
	    {"reader read reader-secret-0123456789 extra\n", 1, "more than three"},
	    {"a read a-secret-0123456789\nb write b-secret-0123456789\na admin "
	     "c-secret-0123456789\n",
	     3, "a second token named 'a'"},
	    {"a read same-secret-0123456789\nb write same-secret-0123456789\n", 2,
	     "same secret as the token named 'a'"},
	    {"lone-secret-0123456789\nlone-secret-0123456789\n", 2, "same secret"},
	    {"\n\ntoken-4 read other-secret-0123456789\nlone-secret-0123456789\n", 4,
	     "a second token named 'token-4'"},
	    {"reader read reader-secret-\x01"
	     "0123456789\n",
	     1, "control characters"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[64], want[128];
		temp_file(path, cases[i].text);
		struct config c;
		char err[256] = "";
		const char *argv[] = {"readoutd", "--token-file", path, NULL};
		ck_assert_msg(parse(&c, err, argv) == -1, "case %zu accepted", i);
		snprintf(want, sizeof want, "--token-file %s line %d: ", path, cases[i].line);
		ck_assert_msg(strstr(err, want) == err, "case %zu: '%s' does not begin '%s'", i,
		              err, want);
		ck_assert_msg(strstr(err, cases[i].says), "case %zu: '%s' does not say '%s'", i,
		              err, cases[i].says);
		ck_assert_msg(!strstr(err, "secret-0123456789"), "case %zu: '%s' shows a secret", i,
		              err);
		ck_assert_ptr_null(strchr(err, '\n'));
		config_free(&c);
		unlink(path);
	}
	/* --token: at least 16 bytes, and not twice the same. */
	struct config c;
	char err[256];
	const char *short_flag[] = {"readoutd", "--token", "fifteen-bytes-x", NULL};
	ck_assert_int_eq(parse(&c, err, short_flag), -1);
	ck_assert_ptr_nonnull(strstr(err, "--token: "));
	ck_assert_ptr_nonnull(strstr(err, "at least 16"));
	ck_assert_ptr_null(strstr(err, "fifteen-bytes-x"));
	config_free(&c);
	const char *sixteen[] = {"readoutd", "--token", "sixteen-bytes-xx", NULL};
	ck_assert_int_eq(parse(&c, err, sixteen), 0);
	config_free(&c);
	const char *same[] = {"readoutd", "--token",          "sixteen-bytes-xx",
	                      "--token",  "sixteen-bytes-xx", NULL};
	ck_assert_int_eq(parse(&c, err, same), -1);
	ck_assert_ptr_nonnull(strstr(err, "same secret"));
	config_free(&c);
	setenv("READOUT_TOKEN", "short", 1);
	const char *plain[] = {"readoutd", NULL};
	ck_assert_int_eq(parse(&c, err, plain), -1);
	ck_assert_ptr_nonnull(strstr(err, "READOUT_TOKEN: "));
	config_free(&c);
	clear_env();
	/* A file token named cli beside --token. */
	char path[64];
	temp_file(path, "cli read reader-secret-0123456789\n");
	const char *clash[] = {"readoutd", "--token-file",          path,
	                       "--token",  "cli-secret-0123456789", NULL};
	ck_assert_int_eq(parse(&c, err, clash), -1);
	ck_assert_ptr_nonnull(strstr(err, "a second token named 'cli'"));
	config_free(&c);
	unlink(path);
}
END_TEST

/* config_reload_tokens: the file's tokens replaced, --token's kept; a file
 * that does not parse changes nothing. */
START_TEST(token_file_reload)
{
	clear_env();
	char path[64];
	temp_file(path, "old read old-secret-0123456789\n");
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd",     "--token", "cli-secret-0123456789",
	                      "--token-file", path,      NULL};
	ck_assert_msg(parse(&c, err, argv) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 2);
	FILE *f = fopen(path, "w");
	fputs("new write new-secret-0123456789\nother admin other-secret-0123456789\n", f);
	fclose(f);
	ck_assert_msg(config_reload_tokens(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.token_count, 3);
	ck_assert_str_eq(c.tokens[0].name, "cli");
	ck_assert_str_eq(c.tokens[1].name, "new");
	ck_assert_str_eq(c.tokens[2].name, "other");
	f = fopen(path, "w");
	fputs("new write new-secret-0123456789\nbroken\n", f);
	fclose(f);
	ck_assert_int_eq(config_reload_tokens(&c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
	ck_assert_int_eq(c.token_count, 3);
	ck_assert_str_eq(c.tokens[2].secret, "other-secret-0123456789");
	unlink(path);
	ck_assert_int_eq(config_reload_tokens(&c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_int_eq(c.token_count, 3);
	config_free(&c);
	const char *none[] = {"readoutd", "--token", "cli-secret-0123456789", NULL};
	ck_assert_int_eq(parse(&c, err, none), 0);
	ck_assert_int_eq(config_reload_tokens(&c, err, sizeof err), -1);
	config_free(&c);
}
END_TEST

START_TEST(private_mode)
{
	clear_env();
	struct config c;
	char err[256];
	const char *flag[] = {"readoutd", "--private", NULL};
	ck_assert_int_eq(parse(&c, err, flag), 0);
	ck_assert(c.private_mode);
	config_free(&c);
	const char *value[] = {"readoutd", "--private=1", NULL};
	ck_assert_int_eq(parse(&c, err, value), -1);
	config_free(&c);
	const char *plain[] = {"readoutd", NULL};
	const char *yes[] = {"1", "true", "YES", "on"}, *no[] = {"0", "false", "No", "off"};
	for (int i = 0; i < 4; i++) {
		setenv("READOUT_PRIVATE", yes[i], 1);
		ck_assert_int_eq(parse(&c, err, plain), 0);
		ck_assert_msg(c.private_mode, "READOUT_PRIVATE=%s", yes[i]);
		config_free(&c);
		setenv("READOUT_PRIVATE", no[i], 1);
		ck_assert_int_eq(parse(&c, err, plain), 0);
		ck_assert_msg(!c.private_mode, "READOUT_PRIVATE=%s", no[i]);
		config_free(&c);
	}
	setenv("READOUT_PRIVATE", "maybe", 1);
	ck_assert_int_eq(parse(&c, err, plain), -1);
	ck_assert_ptr_nonnull(strstr(err, "READOUT_PRIVATE"));
	config_free(&c);
	setenv("READOUT_PRIVATE", "0", 1);
	ck_assert_int_eq(parse(&c, err, flag), 0);
	ck_assert(c.private_mode); /* the flag wins */
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(bad_values)
{
	clear_env();
	const char *cases[][4] = {
	    {"--port", "65536", "--port"},
	    {"--port", "-1", "--port"},
	    {"--port", "80x", "--port"},
	    {"--threads", "0", "--threads"},
	    {"--max-body", "10", "--max-body"},
	    {"--token", "short", "--token"},
	    {"--cors-origin", "example.org", "--cors-origin"},
	    {"--cors-origin", "https://a.example/path", "--cors-origin"},
	    {"--max-exports", "0", "--max-exports"},
	    {"--export-timeout", "0", "--export-timeout"},
	    {"--bogus", "1", "--bogus"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		char err[256] = "";
		const char *argv[] = {"readoutd", cases[i][0], cases[i][1], NULL};
		ck_assert_msg(parse(&c, err, argv) == -1, "%s %s accepted", cases[i][0],
		              cases[i][1]);
		ck_assert_msg(strstr(err, cases[i][2]) != NULL, "message '%s' does not name %s",
		              err, cases[i][2]);
		config_free(&c);
	}
	struct config c;
	char err[256];
	const char *noval[] = {"readoutd", "--port", NULL};
	ck_assert_int_eq(parse(&c, err, noval), -1);
	config_free(&c);
	setenv("READOUT_PORT", "http", 1);
	const char *plain[] = {"readoutd", NULL};
	ck_assert_int_eq(parse(&c, err, plain), -1);
	ck_assert_ptr_nonnull(strstr(err, "READOUT_PORT"));
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(commands)
{
	clear_env();
	struct config c;
	char err[256];
	const char *help[] = {"readoutd", "--help", NULL};
	ck_assert_int_eq(parse(&c, err, help), 0);
	ck_assert_int_eq(c.command, CONFIG_HELP);
	config_free(&c);
	const char *version[] = {"readoutd", "--version", NULL};
	ck_assert_int_eq(parse(&c, err, version), 0);
	ck_assert_int_eq(c.command, CONFIG_VERSION);
	config_free(&c);
	const char *backup[] = {"readoutd", "backup", "/tmp/b.db", "--db", "x.db", NULL};
	ck_assert_int_eq(parse(&c, err, backup), 0);
	ck_assert_int_eq(c.command, CONFIG_BACKUP);
	ck_assert_str_eq(c.command_arg, "/tmp/b.db");
	ck_assert_str_eq(c.db, "x.db");
	config_free(&c);
	const char *nopath[] = {"readoutd", "backup", NULL};
	ck_assert_int_eq(parse(&c, err, nopath), -1);
	config_free(&c);
	const char *health[] = {"readoutd", "healthcheck", "--port", "1234", NULL};
	ck_assert_int_eq(parse(&c, err, health), 0);
	ck_assert_int_eq(c.command, CONFIG_HEALTHCHECK);
	ck_assert_int_eq(c.port, 1234);
	config_free(&c);
	const char *unknown[] = {"readoutd", "frobnicate", NULL};
	ck_assert_int_eq(parse(&c, err, unknown), -1);
	ck_assert_ptr_nonnull(strstr(err, "frobnicate"));
	config_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, max_waiting);
	tcase_add_test(tc, flags);
	tcase_add_test(tc, environment_and_precedence);
	tcase_add_test(tc, token_file);
	tcase_add_test(tc, token_file_refusals);
	tcase_add_test(tc, token_file_reload);
	tcase_add_test(tc, private_mode);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, commands);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
