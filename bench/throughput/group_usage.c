/*
 * group_usage: runs a command and writes what every process of it cost, by name.
 *
 *   group_usage OUT.json -- CMD ARGS...
 *
 * Becomes a child subreaper, runs CMD and reaps every process that ends under it (CMD, and
 * whatever is reparented to it: a capture's loader, which outlives the capture process, and its
 * watchdog) until none is left. Each is looked at before it is reaped (waitid with WNOWAIT: its
 * /proc/PID/comm), then reaped with wait4, whose rusage is the process's own usage plus that of
 * the children it reaped itself. OUT.json gets, per comm, the processes reaped under that name
 * and the sum of their user and system CPU (µs), voluntary and involuntary context switches and
 * the largest peak RSS (KiB); the total over all of them; this process's own usage (`self`); the
 * wall time until CMD exited (wall_ns) and until the last process had (all_ns). Exits with CMD's
 * exit code (128+signal).
 *
 * Nested (`group_usage A -- capture -- group_usage B -- load`), B's total plus its self is the
 * traced command's share of A's: A's total minus that is what the capture's processes cost.
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

static struct usage comms[MAX_COMMS], total = {.comm = "total"};
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

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: group_usage OUT.json -- CMD ARGS...\n");
		return 2;
	}
	const char *out = argv[1];
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	long long t0 = now_ns(), t_main = 0;
	pid_t child = fork();
	if (child < 0) {
		perror("group_usage: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "group_usage: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	int status = 0;
	for (;;) {
		siginfo_t si = {0};
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		char comm[32];
		comm_of(si.si_pid, comm, sizeof(comm));
		struct rusage ru;
		int st;
		if (wait4(si.si_pid, &st, 0, &ru) != si.si_pid)
			continue;
		add(by_comm(comm), &ru);
		add(&total, &ru);
		if (si.si_pid == child) {
			status = st;
			t_main = now_ns() - t0;
		}
	}
	long long t_all = now_ns() - t0;
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	struct usage me = {0};
	add(&me, &self);
	FILE *f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 2;
	}
	fprintf(f, "{\"wall_ns\": %lld, \"all_ns\": %lld, \"status\": %d, \"self\": ", t_main, t_all,
		status);
	put(f, &me);
	fprintf(f, ", \"total\": ");
	put(f, &total);
	fprintf(f, ", \"by_comm\": {");
	for (int i = 0; i < n_comms; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", comms[i].comm);
		put(f, &comms[i]);
	}
	fprintf(f, "}}\n");
	fclose(f);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
