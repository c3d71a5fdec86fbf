/*
 * proc_timer: runs a command and writes how long it took and what its process tree cost.
 *
 *   proc_timer [--wait-all] OUT.json -- CMD ARGS...
 *
 * Becomes a child subreaper so that orphaned descendants are reparented to it, runs CMD,
 * and writes OUT.json with the wall time until CMD exited (wall_ns), the wall time until
 * every descendant had exited (all_ns; only with --wait-all, else equal to wall_ns), and
 * getrusage(RUSAGE_CHILDREN) over everything it reaped: user and system CPU in microseconds
 * and the largest single-process peak RSS in KiB, and the wall-clock start (start_ms). Exits with CMD's exit code (128+signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_us(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

int main(int argc, char **argv)
{
	int wait_all = 0, i = 1;
	if (i < argc && strcmp(argv[i], "--wait-all") == 0) {
		wait_all = 1;
		i++;
	}
	if (argc - i < 3 || strcmp(argv[i + 1], "--") != 0) {
		fprintf(stderr, "usage: proc_timer [--wait-all] OUT.json -- CMD ARGS...\n");
		return 2;
	}
	const char *out = argv[i];
	char **cmd = argv + i + 2;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	long long start_ms = (long long)wall.tv_sec * 1000LL + wall.tv_nsec / 1000000;
	long long t0 = now_ns();
	pid_t child = fork();
	if (child < 0) {
		perror("proc_timer: fork");
		return 2;
	}
	if (child == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "proc_timer: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int status = 0, st;
	long long t_main = 0;
	for (;;) {
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (p == child) {
			status = st;
			t_main = now_ns() - t0;
			if (!wait_all)
				break;
		}
	}
	/* reap what has already ended without waiting for the rest */
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	long long t_all = wait_all ? now_ns() - t0 : t_main;
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(out, "w");
	if (!f) {
		perror("proc_timer: output");
		return 2;
	}
	fprintf(f,
		"{\"wall_ns\": %lld, \"all_ns\": %lld, \"user_us\": %lld, \"sys_us\": %lld, "
		"\"maxrss_kb\": %ld, \"exit_code\": %d, \"start_ms\": %lld}\n",
		t_main, t_all, tv_us(ru.ru_utime), tv_us(ru.ru_stime), ru.ru_maxrss, code, start_ms);
	fclose(f);
	return code;
}
