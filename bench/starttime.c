/*
 * Time from exec to first answer: starts a server and polls
 * GET /healthz on 127.0.0.1:PORT as fast as it can (a fresh connection every
 * 100 us) until it answers 200, then prints "PID MILLISECONDS" on stdout and
 * stays, as the server's parent, until the server exits (the caller stops it
 * with a signal to PID); then exits with the server's exit status (128+N for
 * a death by signal N), so nothing is left as a zombie.
 *
 *   starttime PORT LOGFILE PROGRAM [ARGS...] > RESULT &
 *
 * The clock starts just before fork+exec. Exits 1 (after stopping the server)
 * if the server dies or does not answer within 60 s.
 * Build: cc -O2 -o starttime starttime.c
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 when GET /healthz answered 200, 0 otherwise (not listening yet, ...). */
static int healthy(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		const char req[] =
		    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
		if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
			char buf[64] = {0};
			size_t got = 0;
			ssize_t n;
			while (got < 12 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
				got += (size_t)n;
			ok = got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 &&
			     strncmp(buf + 9, "200", 3) == 0;
		}
	}
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: starttime PORT LOGFILE PROGRAM [ARGS...]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	if (healthy(port)) {
		fprintf(stderr, "starttime: something already answers on port %d\n", port);
		return 1;
	}
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
			close(log);
		}
		setsid(); /* its own process group: the caller's signals do not reach it */
		execv(argv[3], argv + 3);
		perror("exec");
		_exit(127);
	}
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000};
	for (;;) {
		if (healthy(port)) {
			printf("%d %.2f\n", (int)pid, now_ms() - t0);
			fflush(stdout);
			int status;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "starttime: server exited (status %d) before answering\n",
			        status);
			return 1;
		}
		if (now_ms() - t0 > 60000) {
			fprintf(stderr, "starttime: no answer within 60 s\n");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
}
