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
	                      "--token",       "abcdefgh1",
	                      "--token",       "abcdefgh2",
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
	ck_assert_str_eq(c.tokens[1], "abcdefgh2");
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
	setenv("READOUT_TOKEN", "envtoken1", 1);
	setenv("READOUT_MAX_EXPORTS", "9", 1);
	setenv("READOUT_EXPORT_TIMEOUT", "120", 1);
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd", "--db", "flag.db", NULL};
	ck_assert_int_eq(parse(&c, err, argv), 0);
	ck_assert_int_eq(c.port, 7000);
	ck_assert_str_eq(c.db, "flag.db");
	ck_assert_int_eq(c.token_count, 1);
	ck_assert_str_eq(c.tokens[0], "envtoken1");
	ck_assert_int_eq(c.max_exports, 9);
	ck_assert_int_eq(c.export_seconds, 120);
	config_free(&c);
	const char *argv2[] = {"readoutd", "--token", "flagtoken", NULL};
	ck_assert_int_eq(parse(&c, err, argv2), 0);
	ck_assert_int_eq(c.token_count, 1);
	ck_assert_str_eq(c.tokens[0], "flagtoken");
	config_free(&c);
	clear_env();
}
END_TEST

START_TEST(token_file)
{
	clear_env();
	char path[] = "/tmp/readout-tokens-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "# comment\nfirst-token-1\n\nsecond-token-2\r\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct config c;
	char err[256];
	const char *argv[] = {"readoutd", "--token-file", path, NULL};
	ck_assert_int_eq(parse(&c, err, argv), 0);
	ck_assert_int_eq(c.token_count, 2);
	ck_assert_str_eq(c.tokens[0], "first-token-1");
	ck_assert_str_eq(c.tokens[1], "second-token-2");
	config_free(&c);
	unlink(path);
	const char *missing[] = {"readoutd", "--token-file", "/nonexistent/tokens", NULL};
	ck_assert_int_eq(parse(&c, err, missing), -1);
	ck_assert_ptr_nonnull(strstr(err, "--token-file"));
	config_free(&c);
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
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, commands);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
