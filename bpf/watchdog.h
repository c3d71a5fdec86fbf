/* SPDX-License-Identifier: MIT */
/*
 * The gate's watchdog: a small process the loader starts once its maps exist, which resumes
 * what the exec gate stopped should the loader die without doing so itself (SIGKILL, the OOM
 * killer, a crash).
 *
 * The kernel side enters every stop in the `gate_stops` map before it sends the SIGSTOP
 * (events.h, struct sl_gate_stop_key), and the loader takes it out once it has sent the SIGCONT
 * that answers it, so the map holds, at any moment, the stops nobody has answered (and, for an
 * instant, some just answered): those whose report is still in the ring buffer included, which
 * die with the loader unread. The watchdog holds
 * that map, the `.bss` map (the gate's switch, `gate_state`), the read end of a pipe whose
 * write end only the loader holds, and a connection to the capture process for its report.
 * It holds nothing else: no program, link or perf event, or the programs would stay attached
 * after the loader's death, and no ring buffer. It is the loader's own binary, executed anew
 * (argv[0] "sightline-watchdog"), so that every descriptor the loader opened with close-on-exec
 * (all of libbpf's) is gone for sure, and its memory is its own.
 *
 * When the pipe ends (the loader has exited, however) it closes the gate (SL_GATE_CLOSED, as the
 * loader's close_gate does: nothing more is stopped, and once the calls under way are done,
 * every stop is in the map), sends SIGCONT to each process in the map that is still the one
 * stopped (its start time, compared through a pidfd so that the signal cannot reach a later
 * process with the same pid), reports each on the connection, one line each:
 *   resumed PID | gone PID | failed PID ERROR | unsettled N | error TEXT
 * then `done`, and exits. After the loader's normal end the map is empty: it reports `done`
 * alone, to a capture that no longer listens. Only what cannot be delivered (the capture is
 * gone too), but `done`, goes to stderr, where the capture says what it relays.
 */
#ifndef SL_WATCHDOG_H
#define SL_WATCHDOG_H

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "proc_stat.h"

/* The descriptors of the watchdog's image, as sl_watchdog_start arranges them. */
enum sl_watchdog_fd {
	SL_WD_PIPE = 3,   /* the read end of the loader's pipe: EOF when the loader is gone */
	SL_WD_STOPS = 4,  /* gate_stops */
	SL_WD_BSS = 5,    /* .bss (gate_state) */
	SL_WD_REPORT = 6, /* the connection to the capture process, for the report */
	SL_WD_NFDS = 4,
};

#define SL_WATCHDOG_ARGV0 "sightline-watchdog"

/*
 * Starts the watchdog (/proc/self/exe run as "sightline-watchdog --watchdog", by posix_spawn:
 * the loader's memory is neither copied nor marked copy-on-write, which fork did at a cost of
 * ~20 ms to the loader's start) with those four descriptors and signals blocked (it ignores
 * some, and unblocks them, at once: sl_watchdog_main). Returns the write end of its pipe
 * (close-on-exec: the command the loader starts must not hold it), or -1 with errno.
 */
static int sl_watchdog_start(int stops_fd, int bss_fd, int report_fd)
{
	int wd[2];
	if (pipe2(wd, O_CLOEXEC))
		return -1;
	/* out of the way first (above every descriptor in use), then into place in the child */
	int from[SL_WD_NFDS] = {wd[0], stops_fd, bss_fd, report_fd}, tmp[SL_WD_NFDS];
	int e = 0, n_tmp = 0;
	for (; n_tmp < SL_WD_NFDS && !e; n_tmp++)
		if ((tmp[n_tmp] = fcntl(from[n_tmp], F_DUPFD_CLOEXEC, 64)) < 0)
			e = errno;
	if (e)
		n_tmp--;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	if (!e)
		e = posix_spawn_file_actions_init(&fa);
	if (!e && (e = posix_spawnattr_init(&at)))
		posix_spawn_file_actions_destroy(&fa);
	if (!e) {
		for (int i = 0; i < SL_WD_NFDS && !e; i++)
			e = posix_spawn_file_actions_adddup2(&fa, tmp[i], SL_WD_PIPE + i);
		if (!e)
			e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDWR, 0);
		if (!e)
			e = posix_spawn_file_actions_adddup2(&fa, STDIN_FILENO, STDOUT_FILENO);
		/* and none of what the loader inherited without close-on-exec either */
		if (!e)
			e = posix_spawn_file_actions_addclosefrom_np(&fa, SL_WD_PIPE + SL_WD_NFDS);
		sigset_t all, none;
		sigfillset(&all);
		sigemptyset(&none);
		if (!e)
			e = posix_spawnattr_setsigmask(&at, &all);
		/* the loader's handlers (none yet) and SIG_IGNs are the watchdog's own business */
		if (!e)
			e = posix_spawnattr_setsigdefault(&at, &none);
		if (!e)
			e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
		char *argv[] = {SL_WATCHDOG_ARGV0, "--watchdog", NULL};
		pid_t pid;
		if (!e)
			e = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&at);
	}
	for (int i = 0; i < n_tmp; i++)
		close(tmp[i]);
	close(wd[0]);
	if (e) {
		close(wd[1]);
		errno = e;
		return -1;
	}
	return wd[1];
}

/* One line of the report; the first that cannot be delivered moves the rest to stderr. */
static int sl_wd_to_stderr;

static void sl_wd_say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (!sl_wd_to_stderr && write(SL_WD_REPORT, line, n) == n)
		return;
	sl_wd_to_stderr = 1;
	if (strncmp(line, "done\n", n)) /* (the end needs no saying there) */
		fprintf(stderr, "sightline-watchdog: %.*s", n, line);
}

/* The start time of process `pid` in /proc/PID/stat (field 22, clock ticks since boot), or
 * -1 if it is gone. */
static long long sl_wd_start_ticks(pid_t pid)
{
	char buf[1024];
	char *p = sl_proc_stat(pid, buf, sizeof(buf), NULL);
	if (!p)
		return -1;
	/* fields 3 (state) to 22 (starttime), each after a space */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

/* Resumes `pid` if it is still the process stopped at `start_boottime`: 1 resumed, 0 gone, or
 * -errno. */
static int sl_wd_resume(pid_t pid, __u64 start_boottime)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? 0 : -errno;
	/* read after the pidfd was opened: the same start time means the pidfd's process */
	long long ticks = sl_wd_start_ticks(pid);
	long hz = sysconf(_SC_CLK_TCK);
	int r = 0;
	if (ticks >= 0 && hz > 0 && (__u64)ticks == start_boottime / (1000000000ULL / hz))
		r = syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0) ? (errno == ESRCH ? 0 : -errno)
									   : 1;
	close(pidfd);
	return r;
}

static struct {
	__u32 pid;
	__u64 start_boottime;
} sl_wd_stops[SL_GATE_STOPS_MAX]; /* each process once (a process may have several stops) */

/* The watchdog's image (`sightline-watchdog --watchdog`): waits for the loader's end, then
 * closes the gate and resumes what it left stopped. */
static int sl_watchdog_main(void)
{
	char c;
	ssize_t n;
	prctl(PR_SET_NAME, "sightline-watch"); /* not "exe", the name of what it executed */
	/* a Ctrl-C, Ctrl-Z or SIGTERM meant for the capture's process group is not for it: it ends
	 * with the loader (started with every signal blocked, so none came in between) */
	int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE};
	for (unsigned i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	while ((n = read(SL_WD_PIPE, &c, 1)) < 0 && errno == EINTR)
		;
	/* The loader is gone: close the gate (nothing more is stopped) and wait for the calls
	 * under way, each of which has entered its stop in the map by the time it is done. */
	size_t len = (sizeof(struct sightline__bss) + 4095) & ~(size_t)4095;
	struct sightline__bss *bss =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, SL_WD_BSS, 0);
	if (bss == MAP_FAILED) {
		sl_wd_say("error cannot map the gate's switch: %s", strerror(errno));
	} else {
		__u32 *st = &bss->gate_state;
		__atomic_fetch_or(st, SL_GATE_CLOSED, __ATOMIC_SEQ_CST);
		struct timespec pause = {0, 50000};
		int i = 0;
		for (; i < 20000 && (__atomic_load_n(st, __ATOMIC_ACQUIRE) & ~SL_GATE_CLOSED); i++)
			nanosleep(&pause, NULL);
		if (i == 20000)
			sl_wd_say("unsettled %u",
				  __atomic_load_n(st, __ATOMIC_ACQUIRE) & ~SL_GATE_CLOSED);
	}
	/* the map no longer changes: nobody deletes, and the gate adds nothing */
	int k = 0;
	struct sl_gate_stop_key key, last, *prev = NULL;
	struct sl_gate_stop v;
	while (k < SL_GATE_STOPS_MAX && !bpf_map_get_next_key(SL_WD_STOPS, prev, &key)) {
		int seen = 0;
		if (!bpf_map_lookup_elem(SL_WD_STOPS, &key, &v)) {
			for (int i = 0; i < k && !seen; i++)
				seen = sl_wd_stops[i].pid == key.pid &&
				       sl_wd_stops[i].start_boottime == v.start_boottime;
			if (!seen) {
				sl_wd_stops[k].pid = key.pid;
				sl_wd_stops[k++].start_boottime = v.start_boottime;
			}
		}
		last = key;
		prev = &last;
	}
	for (int i = 0; i < k; i++) {
		int r = sl_wd_resume(sl_wd_stops[i].pid, sl_wd_stops[i].start_boottime);
		if (r > 0)
			sl_wd_say("resumed %u", sl_wd_stops[i].pid);
		else if (r == 0)
			sl_wd_say("gone %u", sl_wd_stops[i].pid);
		else
			sl_wd_say("failed %u %s", sl_wd_stops[i].pid, strerror(-r));
	}
	sl_wd_say("done");
	return 0;
}

#endif /* SL_WATCHDOG_H */
