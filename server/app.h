/*
 * The program: the server's life cycle (store -> HTTP server -> wait for a
 * signal -> shut down) and the command-line subcommands. Tests start and stop
 * the real server through app_start and app_stop.
 */
#ifndef READOUT_APP_H
#define READOUT_APP_H

#include <stddef.h>

#include "api/api.h"
#include "config.h"

/* Opens the store, loads the sample data when asked, and starts the HTTP
 * server. cfg is borrowed for the app's whole life (the server reads its
 * tokens and origins). Returns a new app (free with app_stop) or NULL with a
 * one-line reason in err. */
struct app *app_start(const struct config *cfg, char *err, size_t errlen);

/* The port the server listens on. */
int app_port(const struct app *app);

/* The running HTTP server. For tests and fuzzing only (with
 * http_server_daemon they reach a libmicrohttpd daemon of it). */
struct http_server *app_server(const struct app *app);

/* Re-reads cfg's token file (config_reload_tokens) and puts the new set in
 * use for every request that begins from now on. Returns 0, or -1 with a
 * one-line reason in err and the tokens in use unchanged. */
int app_reload_tokens(struct app *app, struct config *cfg, char *err, size_t errlen);

/* Stops the server (letting in-flight requests finish) and closes the store. NULL ok. */
void app_stop(struct app *app);

/* The whole program: parses argv, runs the command, returns the exit status. */
int app_main(int argc, char **argv);

#endif
