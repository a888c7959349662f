/*
 * libFuzzer harness for the whole request path: the input is raw bytes on
 * a connection (request line, headers, body; several requests may follow
 * one another) handed to the real server. LLVMFuzzerInitialize starts the
 * server as readoutd would (config_parse, app_start) on an in-memory
 * database holding the sample records, with the write token
 * fuzz-token-12345; each input gets a fresh socketpair whose one end goes to
 * the daemon with MHD_add_connection. The harness writes the input, closes
 * its sending side once the daemon has read it all, and reads the answer
 * until the server closes the connection.
 *
 * Aborts when any response's status line is a 5xx other than 503, 501 (a
 * method the server does not implement) or 505 (which libmicrohttpd itself
 * sends for an unknown HTTP version), when the
 * server stays silent for ANSWER_TIMEOUT_MS without closing the connection,
 * or (through the sanitizers) on any crash, leak or undefined behaviour in
 * the server's threads. The server logs each request to stderr; run.sh
 * filters those lines out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "http/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DB_URI "file:fuzzreq?mode=memory&cache=shared"
#define ANSWER_TIMEOUT_MS 2000 /* silence that counts as a hang */
#define DRAIN_WAIT_MS 2000     /* wait for the daemon to free a closed connection */
#define RESTART_RUNS 5000      /* runs between two fresh servers, to bound the database */

static struct config cfg;
static sqlite3 *keeper; /* holds the in-memory database while the server runs */
static struct app *app;
static unsigned long runs;

static void server_start(void)
{
	char err[512] = "";
	if (sqlite3_open_v2(DB_URI, &keeper,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
	                    NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_request: cannot open %s\n", DB_URI);
		abort();
	}
	app = app_start(&cfg, err, sizeof err);
	if (!app) {
		fprintf(stderr, "fuzz_request: cannot start the server: %s\n", err);
		abort();
	}
}

static void server_stop(void)
{
	app_stop(app);
	app = NULL;
	sqlite3_close(keeper);
	keeper = NULL;
}

static void shutdown_all(void)
{
	server_stop();
	config_free(&cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	char *args[] = {"readoutd", "--bind",    "127.0.0.1", "--port",           "0",
	                "--db",     DB_URI,      "--token",   "fuzz-token-12345", "--threads",
	                "1",        "--timeout", "5",         "--sample-data",    NULL};
	char err[512];
	if (config_parse(&cfg, (int)(sizeof args / sizeof args[0]) - 1, args, err, sizeof err)) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	server_start();
	atexit(shutdown_all);
	return 0;
}

/* Watches the answer for status lines, across reads. */
struct scan {
	char line[16]; /* the first bytes of the current line */
	size_t len;
	bool done; /* the current line was checked (or is too short to matter) */
	unsigned responses;
	int bad; /* the first forbidden status seen, or 0 */
};

static void scan_line(struct scan *s)
{
	/* "HTTP/1.1 503" */
	if (s->len < 12 || memcmp(s->line, "HTTP/1.", 7) != 0 || s->line[8] != ' ')
		return;
	const char *code = s->line + 9;
	for (int i = 0; i < 3; i++)
		if (code[i] < '0' || code[i] > '9')
			return;
	s->responses++;
	int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
	/* 503: the database cannot serve now. 501: a method the server does
	 * not implement ("BREW"). 505: libmicrohttpd's own answer to a request
	 * line naming an HTTP version it does not speak ("HTTP/0.1"); the
	 * request never reaches the server's code. */
	if (status >= 500 && status != 501 && status != 503 && status != 505 && !s->bad)
		s->bad = status;
}

static void scan_bytes(struct scan *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!s->done)
				scan_line(s);
			s->len = 0;
			s->done = false;
			continue;
		}
		if (s->done)
			continue;
		s->line[s->len++] = p[i];
		if (s->len == 12) {
			scan_line(s);
			s->done = true;
		}
	}
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static unsigned current_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info ? info->num_connections : 0;
}

static void fail(const char *what, const struct scan *s, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_request: %s (status %d, %u responses)\n  input (%zu bytes): [%.*s]\n",
	        what, s->bad, s->responses, size, (int)(size > 4096 ? 4096 : size),
	        (const char *)data);
	abort();
}

/* Bytes written on fd that the peer has not read yet. */
static int unread(int fd)
{
	int n = 0;
	return ioctl(fd, TIOCOUTQ, &n) == 0 ? n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (++runs % RESTART_RUNS == 0) {
		server_stop();
		server_start();
	}
	struct MHD_Daemon *daemon = http_server_daemon(app_server(app));
	unsigned before = current_connections(daemon);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("fuzz_request: socketpair");
		abort();
	}
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* The daemon owns sv[1] from here, and closes it even when refusing. */
	if (MHD_add_connection(daemon, sv[1], (const struct sockaddr *)&peer, sizeof peer) !=
	    MHD_YES) {
		close(sv[0]);
		return 0;
	}
	int fd = sv[0];
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct scan s = {0};
	size_t sent = 0;
	bool write_open = true;
	long quiet_since = now_ms();
	char buf[65536];
	for (;;) {
		/* Half-close only once the daemon has read every byte: its epoll
		 * is edge-triggered, and an end of stream that arrives together
		 * with the last bytes of an unfinished request goes unnoticed
		 * until the idle timeout. */
		if (write_open && sent == size && unread(fd) == 0) {
			shutdown(fd, SHUT_WR);
			write_open = false;
		}
		struct pollfd p = {fd, POLLIN | (write_open && sent < size ? POLLOUT : 0), 0};
		int rc = poll(&p, 1, 1);
		if (rc < 0 && errno != EINTR) {
			perror("fuzz_request: poll");
			abort();
		}
		if (rc <= 0) {
			if (now_ms() - quiet_since > ANSWER_TIMEOUT_MS)
				fail("the server neither answered nor closed the connection", &s,
				     data, size);
			continue;
		}
		if (write_open && sent < size && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0) {
				sent += (size_t)n;
				quiet_since = now_ms();
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				sent = size; /* the server stopped reading: it answers or closes */
			}
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
			ssize_t n = recv(fd, buf, sizeof buf, 0);
			if (n > 0) {
				scan_bytes(&s, buf, (size_t)n);
				quiet_since = now_ms();
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				break;
			}
		}
	}
	scan_bytes(&s, "\n", 1);
	close(fd);
	if (s.bad)
		fail("the server answered a 5xx other than 501, 503 or 505", &s, data, size);
	/* Let the daemon free the connection, so the leak check after this
	 * run sees every allocation the request made. */
	long until = now_ms() + DRAIN_WAIT_MS;
	while (current_connections(daemon) > before && now_ms() < until)
		usleep(100);
	return 0;
}
