/*
 * proc_timer: runs a command and writes how long it took and what its processes cost, by name.
 *
 *   proc_timer [--wait-all] OUT.json -- CMD ARGS...
 *
 * Becomes a child subreaper, so that orphaned descendants are reparented to it (a capture's
 * loader, which outlives the capture process, and its watchdog), and runs CMD. Each process it
 * reaps is looked at first (waitid with WNOWAIT: its /proc/PID/comm), then reaped with wait4,
 * whose rusage is the process's own usage plus that of the children it reaped itself. Without
 * --wait-all it stops at CMD's exit (reaping only what has already ended); with it, once no
 * process is left.
 *
 * OUT.json: the wall time until CMD exited (wall_ns) and until the last process had (all_ns;
 * without --wait-all equal to wall_ns); over everything reaped, user and system CPU in
 * microseconds and the largest single-process peak RSS in KiB (user_us, sys_us, maxrss_kb: what
 * getrusage(RUSAGE_CHILDREN) says); CMD's exit code (128+signal) and wait status; the wall-clock
 * start (start_ms); and, per comm, the processes reaped under that name and the sum of their
 * CPU, voluntary and involuntary context switches and their largest peak RSS (by_comm), their
 * total, and this process's own usage (self). Exits with CMD's exit code.
 *
 * Nested (`proc_timer --wait-all A -- capture -- proc_timer --wait-all B -- load`), B's total
 * plus its self is the traced command's share of A's: A's total minus that is what the
 * capture's processes cost.
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

#define MAX_COMMS 64

struct usage {
	char comm[32];
	long n;
	long long user_us, sys_us, nvcsw, nivcsw, maxrss_kb;
};

static struct usage comms[MAX_COMMS], total;
static int n_comms;

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

static void add(struct usage *u, const struct rusage *ru)
{
	u->n++;
	u->user_us += tv_us(ru->ru_utime);
	u->sys_us += tv_us(ru->ru_stime);
	u->nvcsw += ru->ru_nvcsw;
	u->nivcsw += ru->ru_nivcsw;
	if (ru->ru_maxrss > u->maxrss_kb)
		u->maxrss_kb = ru->ru_maxrss;
}

static struct usage *by_comm(const char *comm)
{
	for (int i = 0; i < n_comms; i++)
		if (!strcmp(comms[i].comm, comm))
			return &comms[i];
	if (n_comms == MAX_COMMS)
		return &comms[MAX_COMMS - 1]; /* folded into the last name: never seen in practice */
	struct usage *u = &comms[n_comms++];
	snprintf(u->comm, sizeof(u->comm), "%s", comm);
	return u;
}

static void comm_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (f) {
		if (fgets(out, len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
	if (!out[0])
		snprintf(out, len, "?");
	/* JSON-safe: a comm is at most 15 bytes of anything */
	for (char *c = out; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '_';
}

static void put(FILE *f, const struct usage *u)
{
	fprintf(f,
		"{\"processes\": %ld, \"user_us\": %lld, \"sys_us\": %lld, \"cpu_us\": %lld, "
		"\"nvcsw\": %lld, \"nivcsw\": %lld, \"maxrss_kb\": %lld}",
		u->n, u->user_us, u->sys_us, u->user_us + u->sys_us, u->nvcsw, u->nivcsw,
		u->maxrss_kb);
}

/*
 * Reaps one process that has ended (waiting for one unless `flags` has WNOHANG), counting it
 * under its name. Returns its pid, 0 when none has ended (WNOHANG), -1 when none is left.
 */
static pid_t reap(int flags, int *status)
{
	for (;;) {
		siginfo_t si = {0};
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | flags) < 0) {
			if (errno == EINTR)
				continue;
			return -1; /* ECHILD: nothing left */
		}
		if (!si.si_pid)
			return 0;
		char comm[32];
		comm_of(si.si_pid, comm, sizeof(comm));
		struct rusage ru;
		if (wait4(si.si_pid, status, 0, &ru) != si.si_pid)
			continue;
		add(by_comm(comm), &ru);
		add(&total, &ru);
		return si.si_pid;
	}
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
	long long t0 = now_ns(), t_main = 0;
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
	pid_t p;
	while ((p = reap(0, &st)) > 0) {
		if (p != child)
			continue;
		status = st;
		t_main = now_ns() - t0;
		if (!wait_all)
			break;
	}
	/* what has already ended, without waiting for the rest */
	while (reap(WNOHANG, &st) > 0)
		;
	long long t_all = wait_all ? now_ns() - t0 : t_main;
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	struct usage me = {0};
	add(&me, &self);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(out, "w");
	if (!f) {
		perror("proc_timer: output");
		return 2;
	}
	fprintf(f,
		"{\"wall_ns\": %lld, \"all_ns\": %lld, \"user_us\": %lld, \"sys_us\": %lld, "
		"\"maxrss_kb\": %lld, \"exit_code\": %d, \"status\": %d, \"start_ms\": %lld, "
		"\"self\": ",
		t_main, t_all, total.user_us, total.sys_us, total.maxrss_kb, code, status, start_ms);
	put(f, &me);
	fprintf(f, ", \"total\": ");
	put(f, &total);
	fprintf(f, ", \"by_comm\": {");
	for (int j = 0; j < n_comms; j++) {
		fprintf(f, "%s\"%s\": ", j ? ", " : "", comms[j].comm);
		put(f, &comms[j]);
	}
	fprintf(f, "}}\n");
	fclose(f);
	return code;
}
