// SPDX-License-Identifier: MIT
/*
 * sightline-loader: loads Sightline's eBPF programs, streams their records to the capture
 * process over a Unix socket, and carries out its commands.
 *
 *   sightline-loader --sock PATH [--max-tls-bytes N] [--comm NAME] [--pid N]... [--no-gate]
 *                    [--uid N --gid N] [--cwd DIR] [--events-mb N] [--tls-mb N] [--no-ipc]
 *                    [--stdio-of PID [--stdio-start TICKS]] [-- CMD ARGS...]
 *   sightline-loader --serve-sock PATH [--max-tls-bytes N] [--no-gate] [--no-ipc] [--events-mb N]
 *                    [--tls-mb N]
 *                                    a kept loader (capture --serve): loaded once, then runs the
 *                                    sessions the server asks for one after another (below)
 *   sightline-loader --layout        prints the record layouts (events.h) as JSON
 *   sightline-loader --btf-id FILE   prints the size and CRC-32 of a BTF file (make records
 *                                    the kernel's next to the minimal BTF it cut from it)
 *   sightline-loader --probe-hooks   prints whether fentry and BPF LSM programs load and
 *                                    attach here (hook_probe.h), as JSON
 *   sightline-watchdog --watchdog    the gate's watchdog, as the loader starts it (watchdog.h)
 *
 * With CMD, the loader forks it (stopped before exec), adds it to the traced set, reports
 * SL_K_READY and execs it on the `go` command, so the command is traced from its first
 * instruction. It ends when CMD (or the --pid target) ends, on `stop`, or when the socket
 * closes; SIGINT is left to the command; SIGTERM is passed on to it. When it is started in the
 * foreground of a terminal, the command runs as its own foreground job there, and the capture
 * and the command are one job of the user's shell: Ctrl-Z (or a SIGSTOP of the command) stops
 * both, `fg` and `bg` continue both (see "Job control" below). --no-ipc: pipes and unix
 * sockets carrying JSON-RPC are not recorded (SL_K_IPC; --max-tls-bytes cuts their calls too).
 * --stdio-of PID (a resident capture's session, capture/resident_server.ts): CMD gets process
 * PID's standard input, output and error (pidfd_getfd(2): the client's terminal, pipes or
 * files, whatever they are) instead of the loader's, and a process group of its own.
 * --stdio-start TICKS: PID is that process only if it started then (/proc/PID/stat's
 * starttime, clock ticks after boot): checked after pidfd_open(2), so the pidfd is the
 * client's, not an unrelated process's that was given the pid of a client already reaped.
 * With the gate, the loader connects to the socket twice: the first connection carries the
 * records and commands, the second is its watchdog's (watchdog.h), which resumes what the gate
 * stopped should the loader die, and says so on it.
 *
 * Output frames: u32 length + record (events.h). Commands in, one per line:
 *   ID attach COOKIE PROG OFFSET RET PATH
 *                                    uprobe (RET=1: uretprobe) at hex file OFFSET; the
 *                                    program sees COOKIE (sl_tls.target) via the attach cookie
 *   ID known DEV INO [SIZE MTIME_MS CTIME_S]
 *                                    mark a file inspected (the gate lets it through while it
 *                                    has that size, mtime and ctime, stat(2)'s)
 *   ID cont PID                      resume a process the gate stopped
 *   ID traced PID                    whether the kernel side traces PID now: "1" or "0"
 *   ID trace PID                     add a process to the traced set
 *   ID trackfds                      follow which socket per-direction TLS contexts use
 *   ID go                            exec the command
 *   ID stop                          drain and exit (a kept loader: end the session)
 *   ID end                           what SIGTERM does: end the command, then the session
 * Each command is answered by an SL_K_REPLY record with its ID; attach and detach commands that
 * arrive while the TLS programs are still loading are answered once they are (see "loading in
 * parts"), after commands that came later.
 *
 * Sessions (--serve-sock, a resident capture's kept loader, capture/kept_loader.ts): the loader
 * connects to PATH as above (hello, the watchdog's connection, the load's records and a first
 * SL_K_READY), then takes commands there, one a line: `ID session DIR` runs one session, as a
 * loader started for it would (DIR/session: its command, user, directory, --stdio-of pid and
 * environment, NUL-separated, see read_session), with its records and commands on a connection
 * of its own to DIR/loader.sock; the reply to `session` comes at its end, once everything is
 * delivered and its probes are detached. `ID stop` there ends the loader. Between sessions the
 * traced set is emptied behind a grace period (untrace_all: no record of a process of one
 * session reaches the next one's connection, and a process one left running is traced by no
 * other; a map-in-map update is the grace period, on every kernel: without one a kept loader
 * does not start), the per-process maps and the known files are cleared, the gate reopened,
 * no attach or detach command carried over, and each
 * session's counters (drops, misses, io_uring) are the differences from its start.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "events.h"
#include "events_hash.h"
#include "hook_probe.h"
#include "proc_stat.h"
#include "sightline.skel.h"
#include "watchdog.h"

#define VERSION 2
#define OUTBUF (1 << 20)
#define MAX_LINKS 4096
#define MAX_STOPPED 4096

/* Linux 6.6's uprobe_multi links (not in this libbpf's or these headers' bpf.h): one link per
 * probe without a perf event, so detaching does not wait for the trace events' lock. */
#define SL_TRACE_UPROBE_MULTI 48
#define SL_F_UPROBE_MULTI_RETURN 1

/* union bpf_attr's link_create with its uprobe_multi member (include/uapi/linux/bpf.h) */
struct sl_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 um_flags;
	__u32 pid;
	__u32 _pad;
};

enum exit_code {
	EXIT_USAGE = 2,
	EXIT_PERM = 3,
	EXIT_NOBTF = 4,
	EXIT_LOAD = 5,
	EXIT_SOCK = 6,
};

/* the instance of the object that holds the maps (and the .bss the loader writes); the programs
 * are loaded by other instances of it, the parts (see "loading in parts") */
static struct sightline *skel;
enum { PART_KERNEL, PART_TLS, PART_TLS_MORE, N_PARTS };
struct part {
	struct sightline *s; /* read by the main thread only once joined */
	pthread_t th;
	int started, joined;
	int err; /* errno of a failed open or load */
	int ready_fd; /* an eventfd written when its load ends (the TLS part), or -1 */
	pid_t tid; /* the loading thread's id, once it runs */
	int nice; /* its priority (part_priority) */
	char vlog[64][512]; /* SIGHTLINE_DEBUG=2: each program's verifier statistics */
};
static struct part parts[N_PARTS] = {
	[PART_KERNEL] = {.ready_fd = -1}, /* the process, system call and io_uring programs */
	[PART_TLS] = {.ready_fd = -1, .nice = 19},
	/* started at its first attach; yields as PART_TLS does until the command is released */
	[PART_TLS_MORE] = {.ready_fd = -1, .nice = 19},
};
static int tls_ready; /* the TLS part is loaded: attach commands run (else they wait) */
static int more_done; /* the TLS_MORE part's load has ended (parts[].err: failed) */
static int n_deferred, replaying; /* attach/detach commands waiting; one running */
static const char *btf_path; /* the minimal BTF to relocate against, or NULL */
static int renice_at_go; /* the TLS part's priority is restored at `go` (part_priority) */
static void part_priority(int i, int nice);
static int tls_part_of(const char *prog);
static int command_part(const char *line);
static void start_more(void);
static void load_failed(int e);
static void defer_command(const char *line);
static int sock = -1;
static int wd_pipe = -1; /* the write end of the watchdog's pipe (it acts when it ends) */
static char outbuf[OUTBUF];
static size_t outlen;
static unsigned long long n_records, n_bytes, n_gated;
static int stopping;
static int ep = -1;
static unsigned long long gone_at; /* when the capture process went away (ms), or 0 */
static pid_t child = -1;
static int go_fd = -1, err_fd = -1;
static int stdio_of[3] = {-1, -1, -1}; /* --stdio-of: the command's fds 0-2, or -1 */
/* --serve-sock: a kept loader, sessions one after another ("Sessions" above) */
static int persistent;
static int ctl = -1; /* the server's connection, once loaded (sock is the session's) */
static char **cmd_env; /* a session's command's environment (else the loader's own) */
static int quit; /* a kept loader ends after the session under way */
static int tty = -1; /* the controlling terminal the command gets the foreground of, or -1 */
static int child_status, child_errno, child_done;
/* when the command (or the --pid target) ended with traced processes still running (ms), or 0:
 * they are followed until they end, for LINGER_MS at most (see traced_alive) */
static unsigned long long ended_at;
static int links[MAX_LINKS]; /* uprobe link fds; -1 once detached */
static __u16 link_target[MAX_LINKS]; /* the cookie's target (low 16 bits) of each link */
static int n_links;
static struct sl_gate_stop_key stopped[MAX_STOPPED]; /* the stops read and not answered */
static int n_stopped;
/* SIGHTLINE_TEST_DETACH_DELAY_MS (tests only): the detaching of the kernel programs waits this
 * long, as it can on a busy machine, so that what happens meanwhile can be tested for sure. */
static int detach_delay_ms;
static int gate_live; /* the kernel programs may be attached: the gate may stop processes */
static char libbpf_log[16384 + 1];
static size_t libbpf_log_len;
static pthread_mutex_t libbpf_log_lock = PTHREAD_MUTEX_INITIALIZER; /* parts load in threads */

static void die(int code, const char *fmt, ...);
static void end_session_command(void);
static void read_ctl(int idle);
static void reap_earlier(void);
static void resume_stopped(void);
static void close_gate(void);
static void drain_stops(void);
static int debug;

/*
 * How often the ring buffers are read when the kernel side did not wake the loader (it does for
 * urgent records and at a quarter MiB of backlog, see sightline.bpf.c). Each read of a few
 * records also wakes the capture process, so while records only trickle in (under
 * POLL_BUSY_RATE: an agent waiting for its model) they are read on the loader's one-second tick
 * (the counters' timer), nothing in between: at 20 ms, Claude Code waiting for a model cost the
 * loader ~3 ms and Deno ~5 ms of CPU a second; at 200 ms a trickling command still woke both
 * five times a second. While they flow at POLL_BUSY_RATE or more they are read every
 * POLL_BUSY_MS: at 200 ms, Claude Code answered at once ran ~10% longer (median of 10 runs).
 * Records reach the recording at its next flush (every second) either way.
 *
 * Nothing is lost by waiting: below POLL_BUSY_RATE a tick finds at most RING_IDLE_MAX bytes,
 * well under the smallest ring buffer (--events-mb and --tls-mb are at least 1 MiB) and under
 * the kernel side's wake-up at a quarter MiB; a rate that rises within a tick wakes the loader
 * at that quarter MiB, and the read after it goes back to POLL_BUSY_MS. What a full ring buffer
 * refuses is counted in the kernel (drops per kind) as before.
 */
/*
 * After the command ends, what it started and what still runs of it is followed this long at
 * most before the capture stops (at once when nothing traced runs): an agent's launcher that
 * dies at Ctrl-C while the agent below it cleans up (Qwen Code's `node` wrapper exits at
 * SIGINT, its two workers close the model's stream, stop their tools and exit 130 0.2-2.5 s
 * after it, on a loaded machine more), or a shell's last background job. A daemon left running
 * past it is said as before, and makes the capture end that much later.
 */
#define LINGER_MS 5000
#define LINGER_POLL_MS 25
#define POLL_IDLE_MS 1000 /* the tick's period: tfd below */
#define POLL_BUSY_MS 20
#define POLL_BUSY_RATE (128 << 10) /* bytes a second */
#define RING_MIN_BYTES (1 << 20)
#define RING_IDLE_MAX ((unsigned long long)POLL_BUSY_RATE * POLL_IDLE_MS / 1000)
_Static_assert(RING_IDLE_MAX * 4 <= RING_MIN_BYTES,
	       "a tick's backlog at the busy threshold must fit the smallest ring many times");

/*
 * SIGHTLINE_DEBUG=1: phase timings on stderr, in ms since the capture process started when it
 * says when that was (SIGHTLINE_DEBUG_T0, Unix ms: both sides' phases on one clock), else since
 * the loader started.
 */
static double phase_t0_ms = -1;
static int phase_realtime;

static void phase(const char *what)
{
	struct timespec ts;
	if (!debug)
		return;
	clock_gettime(phase_realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	double now = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
	if (phase_t0_ms < 0)
		phase_t0_ms = now;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
		     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
	fprintf(stderr, "sightline-loader: %9.1f ms %s (cpu %.1f ms)\n", now - phase_t0_ms, what,
		cpu);
}

static unsigned long long now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void fill_hdr(struct sl_hdr *h, __u8 kind)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->pid = getpid();
	h->tid = getpid();
	h->uid = getuid();
	h->ts = now_ns(CLOCK_BOOTTIME);
}

static void capture_gone(void);

static void flush_out(void)
{
	size_t done = 0;
	while (done < outlen) {
		ssize_t n = send(sock, outbuf + done, outlen - done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* The capture process is gone: nothing more can be delivered. */
			outlen = 0;
			capture_gone();
			return;
		}
		done += n;
	}
	outlen = 0;
}

static void put_frame(const void *rec, size_t size)
{
	if (sock < 0)
		return;
	if (outlen + size + 4 > OUTBUF)
		flush_out();
	if (size + 4 > OUTBUF)
		return;
	__u32 len = size;
	memcpy(outbuf + outlen, &len, 4);
	memcpy(outbuf + outlen + 4, rec, size);
	outlen += size + 4;
}

/* Sends a text record (SL_K_LOG, or SL_K_REPLY with id/err). */
static void put_text(__u8 kind, __u32 id, int err, const char *text)
{
	char buf[4096];
	size_t tl = strlen(text);
	if (kind == SL_K_REPLY) {
		struct sl_reply *r = (struct sl_reply *)buf;
		if (tl > sizeof(buf) - sizeof(*r))
			tl = sizeof(buf) - sizeof(*r);
		fill_hdr(&r->h, SL_K_REPLY);
		r->id = id;
		r->err = err;
		memcpy(r->data, text, tl);
		put_frame(buf, sizeof(*r) + tl);
	} else {
		struct sl_log *l = (struct sl_log *)buf;
		if (tl > sizeof(buf) - sizeof(*l))
			tl = sizeof(buf) - sizeof(*l);
		fill_hdr(&l->h, SL_K_LOG);
		memcpy(l->data, text, tl);
		put_frame(buf, sizeof(*l) + tl);
	}
}

/* A line for the capture (SL_K_LOG: a warning of its recording), or on stderr before it is
 * connected. */
static void warn_line(const char *msg)
{
	if (sock >= 0)
		put_text(SL_K_LOG, 0, 0, msg);
	else
		fprintf(stderr, "sightline-loader: %s\n", msg);
}

/*
 * The command forked and never released (a capture that ended before its `go`): killed, and
 * reaped here, so that no process of it outlives the loader, not even as a zombie for init.
 * Before the end reads the err pipe, which the waiting child holds open (that read would wait
 * for ever). Its end is not the command's: no SL_K_CHILD says it (it never ran).
 */
static void end_unreleased(void)
{
	if (child <= 0 || go_fd < 0)
		return;
	close(go_fd);
	go_fd = -1;
	if (child_done)
		return; /* it ended already (a signal of its own), and was reaped */
	kill(child, SIGKILL);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	child_done = 1; /* reaped: its pid is nobody's to signal or wait for any more */
	phase("the command, never released, was ended");
}

static void die(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* connected: the capture process reports it; otherwise nobody would */
	if (sock >= 0) {
		put_text(SL_K_LOG, 0, -code, msg);
		flush_out();
	} else {
		fprintf(stderr, "sightline-loader: %s\n", msg);
	}
	/* nobody will answer the gate: close it, learn what it stopped, resume that */
	close_gate();
	drain_stops();
	resume_stopped();
	end_unreleased(); /* never exec'd */
	exit(code);
}

/* Keeps the tail of libbpf's messages (the verifier's verdict is at the end) for errors; a
 * message longer than the buffer (a whole verifier log is one) keeps its own tail. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (debug) /* the whole message: a verifier log is one message, often longer than a line */
		return vfprintf(stderr, fmt, ap);
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	if (n <= 0) {
		free(msg);
		return 0;
	}
	const char *text = msg;
	size_t cap = sizeof(libbpf_log) - 1;
	pthread_mutex_lock(&libbpf_log_lock);
	if ((size_t)n > cap / 2) {
		text += n - cap / 2;
		n = cap / 2;
	}
	if (libbpf_log_len + n > cap) {
		size_t keep = cap / 2 - n < libbpf_log_len ? cap / 2 - n : libbpf_log_len;
		memmove(libbpf_log, libbpf_log + libbpf_log_len - keep, keep);
		libbpf_log_len = keep;
	}
	memcpy(libbpf_log + libbpf_log_len, text, n);
	libbpf_log_len += n;
	libbpf_log[libbpf_log_len] = 0;
	pthread_mutex_unlock(&libbpf_log_lock);
	free(msg);
	return 0;
}

/* ------------------------------------------------------------------ stats */

/*
 * Sums a per-CPU array of n __u64 counters over the CPUs into out: all slots in one system call
 * (BPF_MAP_LOOKUP_BATCH), or slot by slot where the kernel has no batch lookup for arrays.
 */
static void sum_percpu(int fd, __u32 n, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu < 1)
		ncpu = 1;
	memset(out, 0, n * sizeof(*out));
	__u64 *vals = calloc((size_t)n * ncpu, sizeof(*vals));
	__u32 *keys = calloc(n, sizeof(*keys));
	__u32 count = n, next = 0;
	if (!vals || !keys) {
		free(vals);
		free(keys);
		return;
	}
	/* arrays answer ENOENT once the last slot is in, with count saying how many came */
	if (bpf_map_lookup_batch(fd, NULL, &next, keys, vals, &count, NULL) == 0 ||
	    (errno == ENOENT && count > 0)) {
		for (__u32 i = 0; i < count; i++)
			for (int c = 0; c < ncpu && keys[i] < n; c++)
				out[keys[i]] += vals[(size_t)i * ncpu + c];
	} else {
		for (__u32 k = 0; k < n; k++) {
			if (bpf_map_lookup_elem(fd, &k, vals))
				continue;
			for (int c = 0; c < ncpu; c++)
				out[k] += vals[c];
		}
	}
	free(vals);
	free(keys);
}

static struct sl_stats stats_last, stats_base; /* sent last; the counters at the session's start */
static int stats_sent;

/* The kernel's counters as they are now: drops, missed runs, io_uring requests (into s). */
static void read_counters(struct sl_stats *s)
{
	sum_percpu(bpf_map__fd(skel->maps.drops), SL_KIND_KERNEL_MAX, s->drops);
	s->misses = 0;
	for (int i = 0; i < N_PARTS; i++) {
		if (!parts[i].joined || !parts[i].s)
			continue;
		struct bpf_program *p;
		bpf_object__for_each_program(p, parts[i].s->obj)
		{
			struct bpf_prog_info info;
			__u32 len = sizeof(info);
			memset(&info, 0, sizeof(info));
			if (bpf_program__fd(p) >= 0 &&
			    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
				s->misses += info.recursion_misses;
		}
	}
	__u64 uring[2 * SL_URING_OPS];
	sum_percpu(bpf_map__fd(skel->maps.uring_counts), 2 * SL_URING_OPS, uring);
	memcpy(s->uring_seen, uring, sizeof(s->uring_seen));
	memcpy(s->uring_recorded, uring + SL_URING_OPS, sizeof(s->uring_recorded));
}

/*
 * Sends the counters (SL_K_STATS): every second while they change (records forwarded, drops,
 * missed runs, gated processes, io_uring requests), and once more at the end (`always`). An
 * idle capture sends nothing, so the capture process is not woken for it. A kept loader's
 * session's are the differences from its start (stats_base; zero for a loader of its own).
 */
/* A counter's count since `base`: never below 0 (never a wrapped huge number). */
static __u64 since(__u64 now, __u64 base)
{
	return now > base ? now - base : 0;
}

static void send_stats(int always)
{
	struct sl_stats s;
	fill_hdr(&s.h, SL_K_STATS);
	read_counters(&s);
	for (int i = 0; i < SL_KIND_KERNEL_MAX; i++)
		s.drops[i] = since(s.drops[i], stats_base.drops[i]);
	s.misses = since(s.misses, stats_base.misses);
	for (int i = 0; i < SL_URING_OPS; i++) {
		s.uring_seen[i] = since(s.uring_seen[i], stats_base.uring_seen[i]);
		s.uring_recorded[i] = since(s.uring_recorded[i], stats_base.uring_recorded[i]);
	}
	s.records = n_records;
	s.bytes = n_bytes;
	s.gated = n_gated;
	const size_t from = offsetof(struct sl_stats, drops); /* the header has the time */
	if (!always && stats_sent &&
	    !memcmp((char *)&s + from, (char *)&stats_last + from, sizeof(s) - from))
		return;
	stats_last = s;
	stats_sent = 1;
	put_frame(&s, sizeof(s));
}

/* ------------------------------------------------------------------ ring buffers */

/* Takes a stop out of gate_stops: it has been answered. */
static void stop_answered(const struct sl_gate_stop_key *k)
{
	if (skel)
		bpf_map_delete_elem(bpf_map__fd(skel->maps.gate_stops), k);
}

/*
 * Resumes a process the gate stopped (SIGCONT), then takes the stops of it the loader has read
 * out of gate_stops (what the watchdog would resume should the loader die). In this order a
 * loader that dies in between leaves the watchdog a process to resume again, never one to miss;
 * and a stop of it after the SIGCONT, which has a key of its own, stays in.
 */
static int resume_pid(pid_t pid)
{
	int r = kill(pid, SIGCONT);
	int e = errno;
	for (int i = 0; i < n_stopped;)
		if ((pid_t)stopped[i].pid == pid) {
			stop_answered(&stopped[i]);
			stopped[i] = stopped[--n_stopped];
		} else {
			i++;
		}
	errno = e;
	return r;
}

static void note_stopped(pid_t pid, __u64 ts)
{
	struct sl_gate_stop_key k = {.pid = pid, .ts = ts};
	int seen = 0;
	for (int i = 0; i < n_stopped; i++)
		seen |= (pid_t)stopped[i].pid == pid;
	if (!seen)
		n_gated++;
	if (n_stopped < MAX_STOPPED) {
		stopped[n_stopped++] = k;
	} else { /* no room to remember it for the end: resumed now, before its hooks are in,
		  * rather than left stopped should the capture not answer */
		kill(pid, SIGCONT);
		stop_answered(&k);
	}
}

/* Resumes every process the gate stopped and that nobody has resumed yet. */
static void resume_stopped(void)
{
	while (n_stopped)
		resume_pid(stopped[0].pid);
}

/*
 * Closes the gate in the kernel (SL_GATE_CLOSED in its gate_state, see sightline.bpf.c): from
 * here on it stops nothing, and once this returns every stop it made has its report in the
 * ring buffer, so the drain after finds them all and nothing is stopped behind it. Called
 * before the last drain, whenever nobody will answer a stop any more: at the end, when the
 * capture process is gone, on a fatal error. A gate call still under way after a second (its
 * thread preempted that long between the stop and its report) is said, not waited for.
 */
static void close_gate(void)
{
	if (!gate_live)
		return;
	gate_live = 0;
	__u32 *st = &skel->bss->gate_state;
	__atomic_fetch_or(st, SL_GATE_CLOSED, __ATOMIC_SEQ_CST);
	struct timespec pause = {0, 50000};
	for (int i = 0; i < 20000; i++) {
		if (!(__atomic_load_n(st, __ATOMIC_ACQUIRE) & ~SL_GATE_CLOSED)) {
			phase("gate closed");
			return;
		}
		nanosleep(&pause, NULL);
	}
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "the gate did not settle: %u stop(s) still unreported after 1 s; a process it "
		 "stopped may stay stopped",
		 __atomic_load_n(st, __ATOMIC_ACQUIRE) & ~SL_GATE_CLOSED);
	warn_line(msg);
}

/* The SL_K_GATE records of what was stopped, only (drain_stops). */
static int note_stop(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct sl_hdr *h = data;
	if (size >= sizeof(struct sl_gate) && h->kind == SL_K_GATE && (h->flags & SL_F_STOPPED))
		note_stopped(h->pid, h->ts);
	return 0;
}

/* Reads what is left in the events ring buffer for the processes the gate stopped, without
 * passing it on: for die(), which has no ring buffer of its own and nothing more to send. */
static void drain_stops(void)
{
	if (!skel || !skel->maps.rb_events || bpf_map__fd(skel->maps.rb_events) < 0)
		return;
	struct ring_buffer *r =
		ring_buffer__new(bpf_map__fd(skel->maps.rb_events), note_stop, NULL, NULL);
	if (r) {
		ring_buffer__consume(r);
		ring_buffer__free(r);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	note_stop(ctx, data, size);
	if (sock < 0) /* the capture process is gone: nobody will answer a stop */
		resume_stopped();
	n_records++;
	n_bytes += size;
	put_frame(data, size);
	return 0;
}

/* ------------------------------------------------------------------ traced set */

/* Adds a process to the traced set (its bit in .bss, which the skeleton maps). */
static void trace_pid(pid_t pid)
{
	if (pid <= 0 || (size_t)pid >= sizeof(skel->bss->traced_bits) * 8)
		return;
	__atomic_fetch_or(&skel->bss->traced_bits[pid / 64], 1ULL << (pid % 64), __ATOMIC_SEQ_CST);
}

static bool is_traced(pid_t pid)
{
	if (pid <= 0 || (size_t)pid >= sizeof(skel->bss->traced_bits) * 8)
		return false;
	return (__atomic_load_n(&skel->bss->traced_bits[pid / 64], __ATOMIC_SEQ_CST) >> (pid % 64)) &
	       1;
}

/*
 * Whether a traced process still runs: a set bit of the traced set (the kernel side clears a
 * process's bit at its exit) whose pid the kernel still knows (a bit set for a process that
 * was gone already does not count). 512 KiB of words scanned: ~0.1 ms.
 */
static bool traced_alive(void)
{
	size_t words = sizeof(skel->bss->traced_bits) / sizeof(skel->bss->traced_bits[0]);
	for (size_t w = 0; w < words; w++) {
		__u64 bits = __atomic_load_n(&skel->bss->traced_bits[w], __ATOMIC_RELAXED);
		while (bits) {
			pid_t pid = (pid_t)(w * 64 + __builtin_ctzll(bits));
			bits &= bits - 1;
			if (kill(pid, 0) == 0 || errno == EPERM)
				return true;
		}
	}
	return false;
}

/* The command (or the --pid target) ended: stop now, or follow what of it still runs. */
static void root_ended(void)
{
	if (traced_alive()) {
		phase("command ended; following what still runs of it");
		ended_at = now_ns(CLOCK_MONOTONIC) / 1000000;
	} else {
		stopping = 1;
	}
}

/* The parent of `pid` (-1 if it is gone), its comm in `comm` when given, and its process group
 * (the fifth field of /proc/PID/stat) in `*pgrp` when given. */
static pid_t ppid_of(pid_t pid, char *comm, size_t comm_len, pid_t *pgrp)
{
	char buf[512], *l;
	char *r = sl_proc_stat(pid, buf, sizeof(buf), &l);
	if (!r)
		return -1;
	if (comm) {
		size_t cl = r - l - 1 < (long)comm_len - 1 ? (size_t)(r - l - 1) : comm_len - 1;
		memcpy(comm, l + 1, cl);
		comm[cl] = 0;
	}
	int ppid = -1, group = -1;
	char state;
	if (sscanf(r + 2, "%c %d %d", &state, &ppid, &group) < (pgrp ? 3 : 2))
		return -1;
	if (pgrp)
		*pgrp = group;
	return ppid;
}

/* Adds every running process whose pid is `root` or whose comm is `comm`, and all their
 * descendants, to the traced set. Returns how many roots matched. */
static int trace_existing(pid_t root, const char *comm)
{
	static pid_t pids[1 << 16], ppids[1 << 16];
	static char comms[1 << 16][16];
	int n = 0, matched = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < (1 << 16)) {
		pid_t pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		pid_t pp = ppid_of(pid, comms[n], 16, NULL);
		if (pp < 0)
			continue;
		pids[n] = pid;
		ppids[n] = pp;
		n++;
	}
	closedir(d);
	/* mark roots, then grow to a fixed point (n is small; this is O(n * depth)) */
	static char mark[1 << 16];
	memset(mark, 0, sizeof(mark));
	for (int i = 0; i < n; i++)
		if ((root > 0 && pids[i] == root) || (comm && strcmp(comms[i], comm) == 0)) {
			mark[i] = 1;
			matched++;
		}
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n; i++) {
			if (mark[i])
				continue;
			for (int j = 0; j < n; j++)
				if (mark[j] && pids[j] == ppids[i]) {
					mark[i] = 1;
					changed = 1;
					break;
				}
		}
	}
	for (int i = 0; i < n; i++)
		if (mark[i])
			trace_pid(pids[i]);
	return matched;
}

/* ------------------------------------------------------------------ commands */

static struct bpf_program *prog_by_name(const char *name)
{
	struct sightline *s = parts[tls_part_of(name)].s;
	struct bpf_program *p = s ? bpf_object__find_program_by_name(s->obj, name) : NULL;
	return p && bpf_program__fd(p) >= 0 ? p : NULL;
}

static void cmd_attach(__u32 id, char *args)
{
	char prog[64];
	unsigned long long offset, cookie;
	int ret, consumed = 0;
	if (sscanf(args, "%llu %63s %llx %d %n", &cookie, prog, &offset, &ret, &consumed) != 4 ||
	    !consumed) {
		put_text(SL_K_REPLY, id, -EINVAL, "usage: attach COOKIE PROG OFFSET_HEX RET PATH");
		return;
	}
	const char *path = args + consumed;
	if (tls_part_of(prog) == PART_TLS_MORE && parts[PART_TLS_MORE].err) {
		char msg[160];
		snprintf(msg, sizeof(msg), "the programs for %s could not be loaded: %s", prog,
			 strerror(parts[PART_TLS_MORE].err));
		put_text(SL_K_REPLY, id, -parts[PART_TLS_MORE].err, msg);
		return;
	}
	struct bpf_program *p = prog_by_name(prog);
	if (!p) {
		put_text(SL_K_REPLY, id, -ENOENT, "no such program");
		return;
	}
	if (n_links >= MAX_LINKS) {
		put_text(SL_K_REPLY, id, -ENOSPC, "too many probes");
		return;
	}
	__u64 off = offset, ck = cookie;
	struct sl_uprobe_multi_attr a = {
		.prog_fd = bpf_program__fd(p),
		.attach_type = SL_TRACE_UPROBE_MULTI,
		.path = (__u64)(unsigned long)path,
		.offsets = (__u64)(unsigned long)&off,
		.cookies = (__u64)(unsigned long)&ck,
		.cnt = 1,
		.um_flags = ret ? SL_F_UPROBE_MULTI_RETURN : 0,
	};
	int l = syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (l < 0) {
		int e = -errno;
		char msg[256];
		snprintf(msg, sizeof(msg), "attach %s at %s+0x%llx: %s", prog, path, offset,
			 strerror(-e));
		put_text(SL_K_REPLY, id, e, msg);
		return;
	}
	link_target[n_links] = cookie & 0xffff;
	links[n_links++] = l;
	put_text(SL_K_REPLY, id, 0, "ok");
}

/* Detaches every probe attached with this target: a hook that proved wrong at run time. */
static void cmd_detach(__u32 id, char *args)
{
	unsigned long long target;
	if (sscanf(args, "%llu", &target) != 1) {
		put_text(SL_K_REPLY, id, -EINVAL, "usage: detach TARGET");
		return;
	}
	int n = 0;
	for (int i = 0; i < n_links; i++) {
		if (links[i] < 0 || link_target[i] != (target & 0xffff))
			continue;
		close(links[i]); /* the link goes with its last fd */
		links[i] = -1;
		n++;
	}
	char msg[64];
	snprintf(msg, sizeof(msg), "%d probes detached", n);
	put_text(SL_K_REPLY, id, n ? 0 : -ENOENT, msg);
}

/*
 * On a terminal the command runs as its own foreground job, as a shell would run it: Ctrl-C
 * and Ctrl-Z reach the command only, not the capture around it.
 */
static void give_terminal(pid_t pgrp)
{
	if (tty >= 0 && tcsetpgrp(tty, pgrp))
		tty = -1; /* not ours to give */
}

/*
 * Job control, as a shell's job: the capture and its command are one job of the user's shell.
 * When the command stops for it (Ctrl-Z: SIGTSTP; reading or writing the terminal from the
 * background: SIGTTIN, SIGTTOU; a user's SIGSTOP: `kill -STOP`, bash's `suspend`) the loader
 * takes the terminal back from the command and stops its own process group (the capture: the
 * job) with the same signal (SIGTSTP for a SIGSTOP, which the loader could not ignore), but
 * the wrappers above it that catch, ignore or block that signal (`deno task`, sudo without a
 * pty, tini), which it stops with SIGSTOP instead, and last (stop_job), so that the user's
 * shell sees the job stopped and gives its prompt back; the loader itself ignores the signal
 * and goes on reading what the command's other processes do. `fg` (SIGCONT with the
 * terminal the job's) gives the terminal to the command again and continues its group
 * but the processes the exec gate holds; `bg` (SIGCONT alone) continues it in the background.
 * The terminal is never taken from the user's shell: only from the command's group. A capture
 * in the terminal's session leader's group (`setsid`, a terminal without a job-control shell)
 * has nobody to give the prompt to: there the stop is undone at once, as the kernel ignores
 * Ctrl-Z for such a group.
 */
static int child_stopped; /* the command stopped for job control and was not continued yet */
static int in_background; /* `bg`: continued without the terminal */

/* The process group of `pid` (the fifth field of its /proc/PID/stat), its parent in `*ppid`;
 * -1 if it is gone. */
static pid_t pgrp_of(pid_t pid, pid_t *ppid)
{
	pid_t pgrp = -1;
	*ppid = ppid_of(pid, NULL, 0, &pgrp);
	return *ppid < 0 ? -1 : pgrp;
}

/* Bit `sig` of the mask on the line `key` (e.g. "SigBlk:") of the status file `path`: 1 or 0;
 * -1 if the file cannot be read. */
static int status_mask_bit(const char *path, const char *key, int sig)
{
	char line[128];
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	unsigned long long m;
	int yes = 0;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && sscanf(line + kl, " %llx", &m) == 1)
			yes = (m >> (sig - 1)) & 1;
	fclose(f);
	return yes;
}

/* Whether thread `tid` of `pid` waits in rt_sigtimedwait (sigwait, sigwaitinfo): the first
 * field of its /proc/PID/task/TID/syscall ("running" while it runs). */
static int in_sigwait(pid_t pid, const char *tid)
{
	char path[300]; /* a d_name is up to 255 bytes */
	long nr = -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", pid, tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr == SYS_rt_sigtimedwait;
}

/*
 * Whether `pid` takes `sig` itself rather than stop for it: it catches or ignores it (SigCgt,
 * SigIgn of its /proc/PID/status), or it blocks it in every thread, or collects it there with
 * sigwait, as tini and dumb-init do (and may pass it on, late): no thread of it would stop. A
 * thread waiting in rt_sigtimedwait has the signals it waits for unblocked while it waits
 * (SigBlk does not show them), so such a thread counts as taking it, whichever set it waits
 * for: at worst a process that would have stopped for `sig` is stopped with SIGSTOP instead.
 */
static int takes_signal_itself(pid_t pid, int sig)
{
	char path[300]; /* a d_name is up to 255 bytes */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (status_mask_bit(path, "SigCgt:", sig) == 1 || status_mask_bit(path, "SigIgn:", sig) == 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		return status_mask_bit(path, "SigBlk:", sig) == 1;
	}
	struct dirent *e;
	int threads = 0, taking = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		threads++;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, e->d_name);
		if (status_mask_bit(path, "SigBlk:", sig) == 1 || in_sigwait(pid, e->d_name))
			taking++;
	}
	closedir(d);
	return threads && taking == threads;
}

/* The processes of process group `pgrp` (from /proc: one forked after the listing is not in
 * it), in `*out` (malloc'd, the caller frees it); how many, or -1 (errno set) if /proc could
 * not be listed whole (opendir, readdir or realloc failed): `*out` then holds those found. */
static ssize_t group_members(pid_t pgrp, pid_t **out)
{
	pid_t *members = NULL;
	size_t n = 0, cap = 0;
	int err = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		err = errno;
	while (d && !err) {
		errno = 0;
		if (!(e = readdir(d))) {
			err = errno;
			break;
		}
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10), ppid = 0;
		if (pid <= 0 || pgrp_of(pid, &ppid) != pgrp)
			continue;
		if (n == cap) {
			pid_t *more = realloc(members, (cap = cap ? 2 * cap : 64) * sizeof(*members));
			if (!more) {
				err = ENOMEM;
				break;
			}
			members = more;
		}
		members[n++] = pid;
	}
	if (d)
		closedir(d);
	*out = members;
	errno = err;
	return err ? -1 : (ssize_t)n;
}

/*
 * Stops the job (the loader's process group) for `sig`, as the terminal stops a job: each of
 * its processes gets `sig` (a pipeline's other programs, e.g. a pager, act on it as they would
 * without a capture; the loader ignores it), but the loader's ancestors in the group that catch,
 * ignore or block it, the wrappers, which get SIGSTOP instead, after every other process: `deno
 * task`, which would keep the user's shell waiting on a job that never stops, sudo without
 * a pty, or one that blocks it and collects it with sigwait (tini, dumb-init). A wrapper
 * never gets `sig` itself, because it would pass it on: `deno task` forwards
 * every signal it catches to its child (the capture) from a task of its own, later, at times
 * after its SIGSTOP and so after the shell's `fg` (the SIGCONT that continues the wrapper): the
 * capture then stopped again for good, the command done and its exit code never passed on
 * (reports/bench/capture.md, Session 37). A stop signal sent before that SIGCONT is undone by
 * it (the kernel drops the stop signals pending at a SIGCONT, caught ones too); the shell
 * continues the job only once it sees it stopped, and it sees that once the wrapper it started
 * is, which is last. Without a wrapper, one kill(0, sig): the whole group at once, a process
 * forked meanwhile included. If the group cannot be listed whole, a line says so and the whole
 * group gets `sig` after the wrappers their SIGSTOP.
 */
static void stop_job(int sig)
{
	pid_t wrappers[32];
	int n_wrappers = 0;
	pid_t p = getppid(), up = 0;
	for (int depth = 0; p > 1 && depth < 32; depth++, p = up) {
		if (pgrp_of(p, &up) != getpgrp())
			break;
		if (takes_signal_itself(p, sig))
			wrappers[n_wrappers++] = p;
	}
	if (!n_wrappers) {
		kill(0, sig);
		return;
	}
	pid_t *members;
	ssize_t n = group_members(getpgrp(), &members);
	if (n < 0) {
		/* Not listed whole: the group's processes left out would not stop while the shell
		 * shows the job stopped. The wrappers get SIGSTOP first, then the whole group `sig`
		 * (the loader ignores it): a stopped wrapper handles no signal, and the `sig` it has
		 * pending is dropped by the SIGCONT of the shell's fg, so it passes nothing on. */
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "job control: the process group could not be listed (%s): its wrappers "
			 "stopped first, then the whole group",
			 strerror(errno));
		warn_line(msg);
		for (int j = 0; j < n_wrappers; j++)
			kill(wrappers[j], SIGSTOP);
		kill(0, sig);
		free(members);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		int wrapper = 0;
		for (int j = 0; j < n_wrappers && !wrapper; j++)
			wrapper = wrappers[j] == members[i];
		if (!wrapper)
			kill(members[i], sig);
	}
	free(members);
	for (int j = 0; j < n_wrappers; j++)
		kill(wrappers[j], SIGSTOP);
}

/*
 * Continues the command's process group, the command included, all but the processes the gate
 * holds (each stopped until its file is inspected and hooked: they go on when their stop is
 * answered, not before). The group's members are listed before the gate's stops are read: a
 * process the gate stops after that is not in the list, and one forked after it runs anyway.
 */
static void continue_job(void)
{
	static pid_t held[SL_GATE_STOPS_MAX];
	int n_held = 0;
	pid_t *members = NULL;
	ssize_t n = skel ? group_members(child, &members) : 0;
	if (n < 0) {
		/* a member left out would stay stopped: the whole group goes on, the gate's too */
		char msg[200];
		snprintf(msg, sizeof(msg),
			 "job control: the command's process group could not be listed (%s): all of "
			 "it continued, processes the exec gate held too (they may run unhooked)",
			 strerror(errno));
		warn_line(msg);
	}
	if (skel && n >= 0) {
		int fd = bpf_map__fd(skel->maps.gate_stops);
		struct sl_gate_stop_key k, next;
		void *prev = NULL;
		while (n_held < SL_GATE_STOPS_MAX && !bpf_map_get_next_key(fd, prev, &next)) {
			held[n_held++] = (pid_t)next.pid;
			k = next;
			prev = &k;
		}
	}
	kill(child, SIGCONT); /* the gate never stops it on a terminal: it leads its own group */
	if (!n_held) {
		kill(-child, SIGCONT);
	} else {
		for (ssize_t i = 0; i < n; i++) {
			int is_held = 0;
			for (int j = 0; j < n_held && !is_held; j++)
				is_held = held[j] == members[i];
			if (!is_held)
				kill(members[i], SIGCONT);
		}
	}
	free(members);
}

static void child_stopped_by(int sig)
{
	pid_t ppid;
	/* A SIGSTOP of a command that leads a process group of its own (on a terminal) is not the
	 * gate's, which stops only processes in their parent's group (same_pgrp_as_parent in
	 * sightline.bpf.c): it is a user's, as Ctrl-Z is, unless nobody is there to give a prompt
	 * to (the stop is then left to whoever sent it to undo). */
	if (sig == SIGSTOP && tty >= 0 && getsid(0) != getpgrp() && pgrp_of(child, &ppid) == child)
		sig = SIGTSTP;
	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return; /* the gate's SIGSTOP, or one with no job-control shell: not for the shell */
	phase("command stopped");
	pid_t holder = tty >= 0 ? tcgetpgrp(tty) : -1;
	if (getsid(0) == getpgrp() || holder == getpgrp()) {
		/* nobody to give a prompt to; or the user's `fg` gave the job the terminal just as
		 * the command stopped for not having it: the command gets it and goes on */
		if (holder == getpgrp())
			give_terminal(child);
		in_background = 0;
		continue_job();
		return;
	}
	child_stopped = 1;
	if (holder == child) /* never taken from the user's shell */
		give_terminal(getpgrp());
	stop_job(sig);
}

static void job_continued(void)
{
	if (child_done || (!child_stopped && !in_background))
		return; /* not from the user's shell's `fg` or `bg` */
	phase("job continued");
	in_background = tty >= 0 && tcgetpgrp(tty) != getpgrp();
	if (!in_background)
		give_terminal(child);
	if (child_stopped)
		continue_job();
	child_stopped = 0;
}

static void release_child(void)
{
	if (go_fd < 0)
		return;
	if (tty >= 0 && tcgetpgrp(tty) == getpgrp()) /* not if the user's shell has it */
		give_terminal(child);
	if (write(go_fd, "g", 1) != 1) {
		/* the child is gone; SIGCHLD will tell */
	}
	close(go_fd);
	go_fd = -1;
	phase("command released");
	if (renice_at_go) {
		part_priority(PART_TLS, 0);
		part_priority(PART_TLS_MORE, 0);
	}
}

static void handle_command(char *line)
{
	char verb[16];
	unsigned int id;
	int consumed = 0;
	if (sscanf(line, "%u %15s %n", &id, verb, &consumed) < 2) {
		put_text(SL_K_LOG, 0, 0, "bad command line");
		return;
	}
	char *args = line + consumed;
	if (!replaying && (!strcmp(verb, "attach") || !strcmp(verb, "detach"))) {
		int part = command_part(line);
		if (part == PART_TLS_MORE)
			start_more();
		if (!tls_ready || n_deferred || (part == PART_TLS_MORE && !more_done)) {
			defer_command(line); /* answered once its programs are loaded, in order */
			return;
		}
	}
	if (!strcmp(verb, "attach")) {
		cmd_attach(id, args);
	} else if (!strcmp(verb, "detach")) {
		cmd_detach(id, args);
	} else if (!strcmp(verb, "known")) {
		struct {
			__u64 dev, ino;
		} k;
		struct sl_known v = {.size = -1};
		int n = sscanf(args, "%llu %llu %lld %lld %lld", (unsigned long long *)&k.dev,
			       (unsigned long long *)&k.ino, (long long *)&v.size,
			       (long long *)&v.mtime_ms, (long long *)&v.ctime_s);
		if (n != 2 && n != 5) {
			put_text(SL_K_REPLY, id, -EINVAL, "usage: known DEV INO [SIZE MTIME_MS CTIME_S]");
			return;
		}
		int r = bpf_map_update_elem(bpf_map__fd(skel->maps.known_files), &k, &v, BPF_ANY);
		int e = r ? errno : 0;
		char why[96];
		/* a full hash map says E2BIG ("Argument list too long"): said as what it means */
		if (e == E2BIG)
			snprintf(why, sizeof(why), "the kernel's map of known files is full, at %u entries",
				 bpf_map__max_entries(skel->maps.known_files));
		else
			snprintf(why, sizeof(why), "%s", e ? strerror(e) : "ok");
		put_text(SL_K_REPLY, id, -e, why);
	} else if (!strcmp(verb, "cont")) {
		pid_t pid = atoi(args);
		int r = pid > 0 ? resume_pid(pid) : -1;
		put_text(SL_K_REPLY, id, r ? -errno : 0, r ? strerror(errno) : "ok");
	} else if (!strcmp(verb, "trace")) {
		pid_t pid = atoi(args);
		trace_pid(pid);
		put_text(SL_K_REPLY, id, 0, "ok");
	} else if (!strcmp(verb, "traced")) {
		/* whether the kernel side traces PID now: the one list of what a capture follows */
		pid_t pid = atoi(args);
		put_text(SL_K_REPLY, id, 0, is_traced(pid) ? "1" : "0");
	} else if (!strcmp(verb, "trackfds")) {
		__atomic_fetch_or(&skel->bss->sock_watch, 1 /* WATCH_CTX */, __ATOMIC_SEQ_CST);
		put_text(SL_K_REPLY, id, 0, "ok");
	} else if (!strcmp(verb, "go")) {
		/* not once the end has begun (a `stop`, SIGTERM or SIGHUP before it, the capture
		 * gone, the command ended by itself): killed at the end, never run untraced */
		if (stopping || gone_at || child_done) {
			put_text(SL_K_REPLY, id, -ECANCELED, "the capture is ending: not released");
			return;
		}
		release_child();
		put_text(SL_K_REPLY, id, 0, "ok");
	} else if (!strcmp(verb, "stop")) {
		stopping = 1;
		put_text(SL_K_REPLY, id, 0, "ok");
	} else if (!strcmp(verb, "end")) {
		/* a kept loader's session's SIGTERM (the loader's own would end every session) */
		end_session_command();
		put_text(SL_K_REPLY, id, 0, "ok");
	} else {
		put_text(SL_K_REPLY, id, -EINVAL, "unknown command");
	}
}

static char cmdbuf[65536];
static size_t cmdlen;

static void read_commands(void)
{
	for (;;) {
		ssize_t n = recv(sock, cmdbuf + cmdlen, sizeof(cmdbuf) - 1 - cmdlen, MSG_DONTWAIT);
		if (n == 0) { /* the capture process closed its end */
			capture_gone();
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				capture_gone();
			return;
		}
		cmdlen += n;
		cmdbuf[cmdlen] = 0;
		char *start = cmdbuf, *nl;
		while ((nl = memchr(start, '\n', cmdbuf + cmdlen - start))) {
			*nl = 0;
			handle_command(start);
			start = nl + 1;
		}
		cmdlen -= start - cmdbuf;
		memmove(cmdbuf, start, cmdlen);
		if (cmdlen == sizeof(cmdbuf) - 1)
			cmdlen = 0; /* an absurd line: drop it */
	}
}

/* ------------------------------------------------------------------ the command */

/* Asks the command to end: a stopped command (by the gate, or by job control) acts on the
 * signal only once continued, as a shell's `kill` of a stopped job does. */
static void end_child(int sig)
{
	kill(child, sig);
	kill(child, SIGCONT);
	if (child_stopped) /* its whole job, as the shell's `kill %N` continues every process */
		continue_job();
}

/* What SIGTERM or SIGHUP asks: a command never released is not asked (it may ignore the signal,
 * and a `go` read before its SIGCHLD would run it): the end kills and reaps it (end_unreleased). */
static void end_session_command(void)
{
	if (child > 0 && !child_done && go_fd < 0)
		end_child(SIGTERM);
	else
		stopping = 1;
}

/*
 * The capture process is gone (killed, crashed): nothing can be recorded any more, so the
 * command it launched is ended too (SIGTERM, then SIGKILL after 5 s) rather than left
 * running untraced; in --pid/--comm mode the loader just stops.
 */
static void capture_gone(void)
{
	if (sock >= 0) {
		if (ep >= 0)
			epoll_ctl(ep, EPOLL_CTL_DEL, sock, NULL);
		close(sock);
		sock = -1;
	}
	/* nobody is left to answer the gate: it stops nothing more, and what it stopped runs on
	 * (what is still in the ring buffer is resumed as it is read, on_record) */
	close_gate();
	resume_stopped();
	if (child > 0 && !child_done && go_fd < 0) {
		if (!gone_at) {
			gone_at = now_ns(CLOCK_MONOTONIC) / 1000000;
			end_child(SIGTERM);
		}
	} else {
		stopping = 1;
	}
}

static void spawn(char **argv, uid_t uid, gid_t gid, const char *cwd, const sigset_t *orig)
{
	int go[2], err[2], ready[2];
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		die(EXIT_LOAD, "pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		die(EXIT_LOAD, "fork: %s", strerror(errno));
	if (child == 0) {
		if (wd_pipe >= 0)
			close(wd_pipe); /* closed at the exec too; until then the watchdog waits */
		close(go[1]);
		close(err[0]);
		close(ready[0]);
		/* A clean slate, like a shell gives: the Deno runtime that started us may have
		 * blocked signals in its spawning thread, and Rust ignores SIGPIPE. */
		(void)orig;
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTTOU, SIG_DFL);
		if (tty >= 0) {
			signal(SIGTSTP, SIG_DFL);
			signal(SIGTTIN, SIG_DFL);
		}
		if (tty >= 0 || stdio_of[0] >= 0)
			setpgid(0, 0);
		for (int fd = 0; fd < 3; fd++)
			if (stdio_of[fd] >= 0 && dup2(stdio_of[fd], fd) < 0)
				_exit(126);
		prctl(PR_SET_PDEATHSIG, 0);
		/* Prepare before being traced, so that the recording starts at the exec. */
		int e = 0;
		if (cwd && chdir(cwd))
			e = errno;
		if (!e && gid != (gid_t)-1) {
			struct passwd *pw = uid != (uid_t)-1 ? getpwuid(uid) : NULL;
			if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) || setgid(gid))
				e = errno;
		}
		if (!e && uid != (uid_t)-1 && setuid(uid))
			e = errno;
		char c = 'r';
		if (cmd_env)
			environ = cmd_env; /* a kept loader's session: its client's */
		if (!e && write(ready[1], &c, 1) == 1 && read(go[0], &c, 1) == 1) {
			execvp(argv[0], argv);
			e = errno;
		}
		if (e && write(err[1], &e, sizeof(e)) != sizeof(e)) {
			/* nothing more to say */
		}
		_exit(e == ENOENT ? 127 : 126);
	}
	if (tty >= 0 || stdio_of[0] >= 0)
		setpgid(child, child); /* also here: no race with the child's own call */
	for (int fd = 0; fd < 3; fd++) /* the client's ends are the command's alone */
		if (stdio_of[fd] >= 0) {
			close(stdio_of[fd]);
			stdio_of[fd] = -1;
		}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		/* it failed to prepare; its errno is on the err pipe */
	}
	close(ready[0]);
	close(go[0]);
	close(err[1]);
	go_fd = go[1];
	err_fd = err[0];
	trace_pid(child);
}

/* ------------------------------------------------------------------ layout */

#define F(s, f) printf("\"%s\":%zu,", #f, offsetof(struct s, f))
#define S(s) printf("\"%s\":{\"size\":%zu,", #s, sizeof(struct s))
#define E() printf("\"_\":0},")

static void print_layout(void)
{
	printf("{");
	S(sl_hdr); F(sl_hdr, kind); F(sl_hdr, flags); F(sl_hdr, pid); F(sl_hdr, tid);
	F(sl_hdr, uid); F(sl_hdr, ts); E();
	S(sl_fork); F(sl_fork, ppid); F(sl_fork, net_ns); F(sl_fork, mnt_ns); F(sl_fork, comm); E();
	S(sl_exec); F(sl_exec, ppid); F(sl_exec, cwd_len); F(sl_exec, filename_len);
	F(sl_exec, argv_len); F(sl_exec, exe_len); F(sl_exec, exe_unlinked);
	F(sl_exec, argv_total); F(sl_exec, net_ns); F(sl_exec, dev); F(sl_exec, ino);
	F(sl_exec, mnt_ns); F(sl_exec, comm);
	F(sl_exec, data); E();
	S(sl_argv); F(sl_argv, total); F(sl_argv, offset); F(sl_argv, len); F(sl_argv, data); E();
	S(sl_exit); F(sl_exit, ppid); F(sl_exit, status); F(sl_exit, comm); E();
	S(sl_file); F(sl_file, ret); F(sl_file, flags); F(sl_file, length); F(sl_file, uring_id);
	F(sl_file, mode); F(sl_file, owner); F(sl_file, group); F(sl_file, op);
	F(sl_file, path_len); F(sl_file, path2_len); F(sl_file, base_len); F(sl_file, base2_len);
	F(sl_file, data); E();
	S(sl_net); F(sl_net, ret); F(sl_net, uring_id); F(sl_net, fd); F(sl_net, family);
	F(sl_net, port); F(sl_net, lport); F(sl_net, op); F(sl_net, sotype); F(sl_net, net_ns);
	F(sl_net, addr);
	F(sl_net, laddr); E();
	S(sl_dns); F(sl_dns, fd); F(sl_dns, family); F(sl_dns, port); F(sl_dns, len);
	F(sl_dns, sotype); F(sl_dns, dir); F(sl_dns, net_ns); F(sl_dns, addr);
	F(sl_dns, data); E();
	S(sl_priv); F(sl_priv, ret); F(sl_priv, a1); F(sl_priv, a2); F(sl_priv, a3);
	F(sl_priv, target); F(sl_priv, op); F(sl_priv, ns); E();
	S(sl_uring_done); F(sl_uring_done, uring_id); F(sl_uring_done, res);
	F(sl_uring_done, opcode); E();
	S(sl_tls); F(sl_tls, conn); F(sl_tls, seq); F(sl_tls, total); F(sl_tls, offset);
	F(sl_tls, len); F(sl_tls, target); F(sl_tls, dir); F(sl_tls, data); E();
	S(sl_tls_free); F(sl_tls_free, conn); F(sl_tls_free, target); E();
	S(sl_ctxfd); F(sl_ctxfd, ctx); F(sl_ctxfd, fd); F(sl_ctxfd, dir); E();
	S(sl_fdclose); F(sl_fdclose, fd); E();
	S(sl_ipc); F(sl_ipc, inode); F(sl_ipc, peer_inode); F(sl_ipc, stream_off); F(sl_ipc, total);
	F(sl_ipc, offset); F(sl_ipc, len); F(sl_ipc, fd); F(sl_ipc, dir); F(sl_ipc, fdkind);
	F(sl_ipc, lport); F(sl_ipc, rport); F(sl_ipc, laddr); F(sl_ipc, raddr);
	F(sl_ipc, data); E();
	S(sl_gate); F(sl_gate, dev); F(sl_gate, ino); F(sl_gate, addr); F(sl_gate, fd);
	F(sl_gate, reason); E();
	S(sl_ready); F(sl_ready, boot_to_real_ns); F(sl_ready, child_pid); F(sl_ready, ncpus);
	F(sl_ready, max_tls_bytes); F(sl_ready, version); F(sl_ready, missing); E();
	S(sl_stats); F(sl_stats, drops); F(sl_stats, misses); F(sl_stats, records);
	F(sl_stats, bytes); F(sl_stats, gated); F(sl_stats, uring_seen); F(sl_stats, uring_recorded);
	E();
	S(sl_reply); F(sl_reply, id); F(sl_reply, err); F(sl_reply, data); E();
	S(sl_child); F(sl_child, status); F(sl_child, exec_errno); E();
	S(sl_log); F(sl_log, data);
	printf("\"_\":0}}\n");
}

/* ------------------------------------------------------------------ teardown */

static void *close_link(void *arg)
{
	close((int)(long)arg);
	return NULL;
}

static void *detach_skeleton(void *arg)
{
	(void)arg;
	if (detach_delay_ms > 0) {
		struct timespec d = {detach_delay_ms / 1000, (detach_delay_ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
	}
	for (int i = 0; i < N_PARTS; i++)
		if (parts[i].joined && parts[i].s)
			sightline__detach(parts[i].s);
	return NULL;
}

static pthread_t detach_th[MAX_LINKS + 1];
static int detach_started[MAX_LINKS + 1];
static int detaching;

/*
 * Starts detaching everything, as soon as the capture stops (the records already produced stay
 * in the ring buffers for the drain): a uprobe_multi link waits for grace periods when its last
 * reference goes, so each is closed from a thread of its own and the waits overlap, with each
 * other and with the drain; the raw tracepoint links go from one more thread. (Perf-event
 * links, as syscall tracepoints and uprobes were attached before, took 30-40 ms each, one
 * after another under the trace events' lock: reports/bench/findings.md.)
 */
static void detach_start(void)
{
	if (detaching)
		return;
	detaching = 1;
	for (int i = 0; i < n_links; i++) {
		if (links[i] < 0) { /* detached at run time */
			detach_started[i] = 0;
			continue;
		}
		detach_started[i] =
			pthread_create(&detach_th[i], NULL, close_link, (void *)(long)links[i]) == 0;
		if (!detach_started[i])
			close(links[i]);
	}
	detach_started[n_links] =
		pthread_create(&detach_th[n_links], NULL, detach_skeleton, NULL) == 0;
	if (!detach_started[n_links])
		detach_skeleton(NULL);
}

/* Waits for the detaching to end and frees the programs and maps. */
static void teardown(struct ring_buffer *rb)
{
	detach_start();
	for (int i = 0; i <= n_links; i++)
		if (detach_started[i])
			pthread_join(detach_th[i], NULL);
	phase("detached");
	ring_buffer__free(rb);
	for (int i = 0; i < N_PARTS; i++)
		if (parts[i].joined)
			sightline__destroy(parts[i].s);
	sightline__destroy(skel);
}

/* ------------------------------------------------------------------ kernel BTF */

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

/* "SIZE CRC32" of a file, read through outbuf (not in use yet at start-up); 0 on success. */
static int btf_id(const char *path, char *out, size_t out_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	unsigned long long size = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t n;
	while ((n = read(fd, outbuf, sizeof(outbuf))) > 0) {
		crc = crc32(crc, (const Bytef *)outbuf, n);
		size += n;
	}
	close(fd);
	if (n < 0)
		return -1;
	snprintf(out, out_len, "%llu %08lx", size, (unsigned long)crc);
	return 0;
}

/*
 * The kernel BTF's id (btf_id) as found earlier in this boot: the kernel's BTF cannot change
 * until the next one, so reading its 5 MB once a boot is enough. The file holds "BOOT_ID ID";
 * it counts only when root owns it and no one else may write it.
 */
#define BTF_ID_CACHE "/run/sightline/kernel-btf.id"

static int boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return -1;
	int ok = fgets(out, len, f) != NULL;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return ok && out[0] ? 0 : -1;
}

static int kernel_btf_id(char *out, size_t len)
{
	char boot[64], line[160];
	int have_boot = boot_id(boot, sizeof(boot)) == 0;
	if (have_boot) {
		int fd = open(BTF_ID_CACHE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0 && !fstat(fd, &st) && st.st_uid == 0 && !(st.st_mode & 022)) {
			ssize_t n = read(fd, line, sizeof(line) - 1);
			line[n > 0 ? n : 0] = 0;
			size_t bl = strlen(boot);
			if (n > 0 && !strncmp(line, boot, bl) && line[bl] == ' ') {
				snprintf(out, len, "%s", line + bl + 1);
				out[strcspn(out, "\n")] = 0;
				close(fd);
				return 0;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	if (btf_id(KERNEL_BTF, out, len))
		return -1;
	if (have_boot && (!mkdir("/run/sightline", 0755) || errno == EEXIST)) {
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%s.%d", BTF_ID_CACHE, getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0) {
			int ok = !fchmod(fd, 0644) && dprintf(fd, "%s %s\n", boot, out) > 0;
			if (close(fd) || !ok || rename(tmp, BTF_ID_CACHE))
				unlink(tmp);
		}
	}
	return 0;
}

/*
 * The minimal BTF make cut from the kernel's for the CO-RE relocations of the programs
 * (bpftool gen min_core_btf), if the running kernel's BTF is still the one it was cut from:
 * libbpf then relocates against a few KB instead of parsing 5 MB of kernel BTF (and nothing
 * else needs the kernel's BTF: the programs attach to raw tracepoints and uprobes). NULL
 * otherwise, and libbpf uses the kernel's.
 */
static const char *min_btf(void)
{
	static char path[4096];
	char id_path[4096 + 8], want[64] = "", have[64];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n <= 0)
		return NULL;
	path[n] = 0;
	char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	strcpy(slash + 1, "sightline.min.btf");
	snprintf(id_path, sizeof(id_path), "%s.id", path);
	FILE *f = fopen(id_path, "re");
	if (!f)
		return NULL;
	if (!fgets(want, sizeof(want), f))
		want[0] = 0;
	fclose(f);
	want[strcspn(want, "\n")] = 0;
	if (access(path, R_OK) || kernel_btf_id(have, sizeof(have)) || strcmp(want, have))
		return NULL;
	return path;
}

/* ------------------------------------------------------------------ loading in parts */

/*
 * The programs are loaded in parts: each part is an instance of the same object (so of the
 * same maps, globals and read-only configuration) that loads only its own programs and reuses
 * the maps of the instance `skel`, which loads none. The parts are verified in parallel, and
 * the command is released once the kernel part is attached (the process, system call and
 * io_uring programs, which must see its first exec); the TLS programs are needed only once a
 * TLS library is hooked, so they keep loading meanwhile and `attach` commands wait for them.
 * That keeps the guarantee that hooks are in place before the first instruction of a TLS
 * library runs: the gate stops a traced process that executes or maps a file not yet known,
 * and the capture marks a file known (and resumes the process) only after its attaches have
 * been answered.
 */
/*
 * The TLS programs come in two parts. PART_TLS: OpenSSL's API (SSL_write/SSL_read and their _ex
 * forms, SSL_free), which system libssl, Node's and Bun's BoringSSL and a static OpenSSL are
 * hooked through, so nearly every capture attaches some. PART_TLS_MORE: the rest (BoringSSL's
 * and ring's AEAD, GnuTLS, Go's crypto/tls), loaded only once an attach names one of them; a
 * capture of a command without such a library is spared their verification (13 programs, ~6k
 * instructions: ~10 ms of CPU, Session 25 of reports/bench/capture.md). Until it is loaded that
 * attach and every attach or detach after it wait, as all of them wait for PART_TLS, so the
 * gate holds the process that needs them. If it fails to load, each attach naming one of its
 * programs is answered with the error (the capture says so in its attach report), and the
 * capture goes on.
 */
static int tls_part_of(const char *prog)
{
	return strncmp(prog, "sl_ssl_", 7) == 0 ? PART_TLS : PART_TLS_MORE;
}

/* The part whose programs a command needs: an attach's program's, else PART_TLS. */
static int command_part(const char *line)
{
	char verb[16], prog[64];
	unsigned int id;
	unsigned long long cookie;
	if (sscanf(line, "%u %15s %llu %63s", &id, verb, &cookie, prog) == 4 &&
	    !strcmp(verb, "attach"))
		return tls_part_of(prog);
	return PART_TLS;
}

static int part_of(const struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_KPROBE ? tls_part_of(bpf_program__name(p))
							     : PART_KERNEL;
}

/*
 * The TLS part loads at the lowest priority until the command is released (on a busy machine it
 * would take CPU from what the release waits for: the kernel part, the capture's answer), then
 * at the loader's own; without a command or without the gate, from when the kernel part is
 * loaded, and whenever the loader has to wait for it. A thread's nice value is its own
 * (setpriority on its thread id).
 */
static pthread_mutex_t prio_lock = PTHREAD_MUTEX_INITIALIZER;

static void part_priority(int i, int nice)
{
	pthread_mutex_lock(&prio_lock);
	parts[i].nice = nice;
	if (parts[i].tid > 0)
		setpriority(PRIO_PROCESS, parts[i].tid, nice);
	pthread_mutex_unlock(&prio_lock);
}

static void *load_part(void *arg)
{
	struct part *pt = arg;
	int idx = pt - parts;
	pthread_mutex_lock(&prio_lock);
	pt->tid = gettid();
	if (pt->nice)
		setpriority(PRIO_PROCESS, pt->tid, pt->nice);
	pthread_mutex_unlock(&prio_lock);
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
	struct sightline *s = sightline__open_opts(&open_opts);
	if (!s) {
		pt->err = errno ? errno : EINVAL;
		goto out;
	}
	pt->s = s;
	struct bpf_program *prog;
	int nv = 0;
	bpf_object__for_each_program(prog, s->obj)
	{
		int mine = part_of(prog) == idx;
		bpf_program__set_autoload(prog, mine);
		if (!mine)
			continue;
		/* every uprobe program is attached through uprobe_multi links (cmd_attach) */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
			bpf_program__set_expected_attach_type(prog,
							      (enum bpf_attach_type)SL_TRACE_UPROBE_MULTI);
		if (debug > 1 && nv < 64) {
			bpf_program__set_log_level(prog, 4);
			bpf_program__set_log_buf(prog, pt->vlog[nv++], sizeof(pt->vlog[0]));
		}
	}
	if (idx == PART_KERNEL) {
		bpf_program__set_autoattach(s->progs.sl_uring_submit, false);
		bpf_program__set_autoattach(s->progs.sl_uring_complete, false);
	}
	/* the same object: its maps come in the same order as the holder's */
	struct bpf_map *m, *held = bpf_object__next_map(skel->obj, NULL);
	bpf_object__for_each_map(m, s->obj)
	{
		if (!held || bpf_map__reuse_fd(m, bpf_map__fd(held))) {
			pt->err = held ? errno : EINVAL;
			goto out;
		}
		held = bpf_object__next_map(skel->obj, held);
	}
	if (sightline__load(s))
		pt->err = errno ? errno : EINVAL;
out:
	/* the kernel frees a thread's id when it exits, not at pthread_join: from here on the id
	 * may name another task, which part_priority must not renice */
	pthread_mutex_lock(&prio_lock);
	pt->tid = 0;
	pthread_mutex_unlock(&prio_lock);
	if (pt->ready_fd >= 0) {
		__u64 one = 1;
		if (write(pt->ready_fd, &one, sizeof(one)) != sizeof(one)) {
			/* cannot fail: the counter is far from full */
		}
	}
	return NULL;
}

static void start_part(int i)
{
	/* with every signal blocked: the loader takes SIGCHLD and SIGTERM through a signalfd,
	 * which a thread that does not block them would take first (and act on by default) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	parts[i].started = pthread_create(&parts[i].th, NULL, load_part, &parts[i]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!parts[i].started) {
		parts[i].nice = 0; /* in this thread */
		load_part(&parts[i]);
	}
}

/* Waits for a part's load; a failure ends the loader as a failed load always did. */
static void join_part(int i)
{
	struct part *pt = &parts[i];
	if (pt->joined)
		return;
	if (pt->started)
		pthread_join(pt->th, NULL);
	pt->joined = 1;
	if (pt->err) {
		if (pt->s) {
			sightline__destroy(pt->s);
			pt->s = NULL;
		}
		if (i == PART_TLS_MORE) { /* its attaches are answered with the error */
			if (debug)
				fprintf(stderr, "%s", libbpf_log);
			return;
		}
		load_failed(pt->err);
	}
	if (debug > 1) {
		struct bpf_program *prog;
		int nv = 0;
		bpf_object__for_each_program(prog, pt->s->obj)
		{
			if (part_of(prog) == i && nv < 64)
				fprintf(stderr, "sightline-loader: verifier: %s %s: %s",
					i == PART_TLS	     ? "tls"
					: i == PART_TLS_MORE ? "tls_more"
							     : "kernel",
					bpf_program__name(prog),
					pt->vlog[nv++]);
		}
	}
}

static void load_failed(int e)
{
	if (debug)
		fprintf(stderr, "%s", libbpf_log);
	/* the verifier's rejection is EACCES too: only without privileges is it about them */
	if ((e == EPERM || e == EACCES) && geteuid() != 0)
		die(EXIT_PERM, "not permitted to load eBPF programs (%s): run as root, or with "
			       "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE", strerror(e));
	die(EXIT_LOAD, "loading the eBPF programs failed: %s (SIGHTLINE_DEBUG=1 shows the "
		       "verifier log)", strerror(e));
}

static char **deferred;
static int cap_deferred, next_deferred;

static void defer_command(const char *line)
{
	if (n_deferred == cap_deferred) {
		cap_deferred = cap_deferred ? 2 * cap_deferred : 64;
		deferred = realloc(deferred, cap_deferred * sizeof(*deferred));
		if (!deferred)
			die(EXIT_LOAD, "out of memory");
	}
	if (!(deferred[n_deferred++] = strdup(line)))
		die(EXIT_LOAD, "out of memory");
}

/* Starts loading the TLS_MORE part, once. */
static void start_more(void)
{
	struct part *pt = &parts[PART_TLS_MORE];
	if (pt->started || pt->joined || pt->ready_fd >= 0)
		return;
	pt->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pt->ready_fd < 0) {
		pt->err = errno;
		pt->joined = 1;
		more_done = 1;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = pt->ready_fd};
	epoll_ctl(ep, EPOLL_CTL_ADD, pt->ready_fd, &ev);
	phase("loading the other TLS programs");
	start_part(PART_TLS_MORE);
}

/* The TLS_MORE part's load ended (or the loader must wait for it now), if it was started. */
static void more_part_done(void)
{
	struct part *pt = &parts[PART_TLS_MORE];
	if (more_done || pt->ready_fd < 0)
		return;
	epoll_ctl(ep, EPOLL_CTL_DEL, pt->ready_fd, NULL);
	part_priority(PART_TLS_MORE, 0);
	join_part(PART_TLS_MORE);
	close(pt->ready_fd);
	pt->ready_fd = -1;
	more_done = 1;
	phase(pt->err ? "the other TLS programs failed to load" : "the other TLS programs loaded");
}

/* The TLS part is loaded (or the loader must wait for it now). */
static void tls_part_done(void)
{
	if (tls_ready)
		return;
	part_priority(PART_TLS, 0); /* when the loader must wait for it: no longer yielding */
	join_part(PART_TLS);
	tls_ready = 1;
	phase("TLS programs loaded");
}

/*
 * Whether the commands that waited for the TLS part can run: it is loaded, and the command is
 * released if the capture is about to release it (with the gate, it sends `go` without waiting
 * for any attach: the first attach to a library can take 10 ms, which the release need not
 * wait for, as the gate holds the command at that library until its hooks are in).
 */
static int deferred_runnable(void)
{
	return tls_ready && n_deferred && !(renice_at_go && go_fd >= 0) &&
	       (more_done || command_part(deferred[next_deferred]) != PART_TLS_MORE);
}

/*
 * Runs the next command that waited for the TLS part, if it can; returns whether more wait.
 * One at a time, with the socket read in between.
 */
static int run_deferred(void)
{
	if (!deferred_runnable())
		return 0;
	replaying = 1;
	handle_command(deferred[next_deferred]);
	replaying = 0;
	free(deferred[next_deferred++]);
	if (next_deferred == n_deferred) {
		free(deferred);
		deferred = NULL;
		n_deferred = cap_deferred = next_deferred = 0;
	}
	return n_deferred > 0;
}

/*
 * Forgets the commands still waiting (a kept loader's session boundary, WHEN): never run for
 * another session. Loud: it means a command was left unanswered.
 */
static void drop_deferred(const char *when)
{
	fprintf(stderr, "sightline-loader: %s: %d attach/detach commands never answered, dropped\n",
		when, n_deferred - next_deferred);
	for (int i = next_deferred; i < n_deferred; i++)
		free(deferred[i]);
	free(deferred);
	deferred = NULL;
	n_deferred = cap_deferred = next_deferred = 0;
}

/* ------------------------------------------------------------------ optional programs */

/*
 * Programs whose tracepoints a kernel may lack (io_uring's, without CONFIG_IO_URING): attached
 * one by one after the others, a failure reported (SL_K_LOG, and sl_ready.missing for the
 * manifest) instead of ending the capture. The skeleton owns the links (detached with it).
 */
static __u32 attach_optional(void)
{
	__u32 missing = 0;
	struct sightline *k = parts[PART_KERNEL].s;
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		__u32 bit;
		const char *what;
	} opt[] = {
		{k->progs.sl_uring_submit, &k->links.sl_uring_submit, SL_MISSING_URING,
		 "io_uring:io_uring_submit_req"},
		{k->progs.sl_uring_complete, &k->links.sl_uring_complete, SL_MISSING_URING,
		 "io_uring:io_uring_complete"},
	};
	for (unsigned i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		struct bpf_link *l = bpf_program__attach(opt[i].prog);
		if (!l) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%s could not be attached (%s): actions taken through "
				 "io_uring are not recorded", opt[i].what, strerror(errno));
			put_text(SL_K_LOG, 0, 0, msg);
			missing |= opt[i].bit;
			continue;
		}
		*opt[i].link = l;
	}
	return missing;
}

/*
 * The loop of a capture (of a kept loader: of a session): records read, commands answered,
 * signals, the command's end and what of it lingers, until `stopping`.
 */
static void run_loop(struct ring_buffer *rb, int sfd, int tfd, int tls_fd, int pidfd)
{
	int poll_ms = POLL_BUSY_MS;
	unsigned long long rate_ns = now_ns(CLOCK_MONOTONIC), rate_bytes = n_bytes;
	while (!stopping) {
		struct epoll_event evs[8];
		/* the kernel side wakes us only for urgent records or when a lot piled up; while
		 * records trickle (poll_ms -1) the one-second tick reads them */
		int wait_ms = deferred_runnable() ? 0 : poll_ms;
		if (ended_at && (wait_ms < 0 || wait_ms > LINGER_POLL_MS))
			wait_ms = LINGER_POLL_MS;
		int n = epoll_wait(ep, evs, 8, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sock) {
				read_commands();
			} else if (fd == ctl) {
				read_ctl(0);
			} else if (fd == tls_fd) {
				epoll_ctl(ep, EPOLL_CTL_DEL, tls_fd, NULL);
				tls_part_done();
			} else if (fd == parts[PART_TLS_MORE].ready_fd) {
				more_part_done();
			} else if (fd == sfd) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						reap_earlier();
					if (si.ssi_signo == SIGCHLD && child > 0 && !child_done) {
						int st;
						int how = WNOHANG | (tty >= 0 ? WUNTRACED | WCONTINUED : 0);
						while (!child_done && waitpid(child, &st, how) == child) {
							if (WIFSTOPPED(st)) {
								child_stopped_by(WSTOPSIG(st));
								continue;
							}
							if (WIFCONTINUED(st)) {
								child_stopped = 0; /* by whoever */
								continue;
							}
							phase("command ended");
							child_status = st;
							child_done = 1;
							if (tty >= 0 && tcgetpgrp(tty) == child)
								give_terminal(getpgrp());
							root_ended();
						}
					} else if (si.ssi_signo == SIGCONT) {
						job_continued();
					} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
						/* a command never released is not asked (it may ignore the
						 * signal, and a `go` read before its SIGCHLD would run it):
						 * the end kills and reaps it, end_unreleased */
						quit = 1; /* a kept loader: its last session */
						if (child > 0 && !child_done && go_fd < 0)
							end_child(si.ssi_signo);
						else
							stopping = 1;
					}
					/* SIGINT: the terminal sent it to the command too */
				}
			} else if (fd == tfd) {
				unsigned long long t;
				if (read(tfd, &t, sizeof(t)) > 0)
					send_stats(0);
			} else if (fd == err_fd) {
				int e = 0;
				ssize_t k = read(err_fd, &e, sizeof(e));
				if (k == sizeof(e))
					child_errno = e;
				epoll_ctl(ep, EPOLL_CTL_DEL, err_fd, NULL);
				close(err_fd);
				err_fd = -1;
			} else if (fd == pidfd) {
				epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL); /* readable from now on */
				child_status = -1;
				child_done = 1;
				root_ended();
			}
		}
		ring_buffer__consume(rb);
		unsigned long long t = now_ns(CLOCK_MONOTONIC);
		if (t - rate_ns >= POLL_BUSY_MS * 1000000ULL) {
			int busy = (n_bytes - rate_bytes) * 1000000000ULL >=
				   (unsigned long long)POLL_BUSY_RATE * (t - rate_ns);
			poll_ms = busy ? POLL_BUSY_MS : -1;
			rate_ns = t;
			rate_bytes = n_bytes;
		}
		flush_out(); /* the replies so far (a `go`'s) before a deferred attach */
		run_deferred();
		flush_out();
		if (gone_at && now_ns(CLOCK_MONOTONIC) / 1000000 - gone_at > 5000 && !child_done)
			kill(child, SIGKILL);
		if (ended_at && (now_ns(CLOCK_MONOTONIC) / 1000000 - ended_at > LINGER_MS ||
				 !traced_alive()))
			stopping = 1;
	}

}

/* ------------------------------------------------------------------ sessions */

/* The start time of process `pid` (/proc/PID/stat's starttime, field 22, clock ticks after
 * boot), or -1 if it cannot be read. Its fields are counted after the last ')' (comm may hold
 * spaces and parentheses). */
static long long proc_start_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* p++: the space before field 3 (state); starttime is field 22, 19 spaces further */
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(p + 1, &end, 10);
	return errno || end == p + 1 ? -1 : v;
}

/* The client's stdin, stdout and stderr (--stdio-of PID) into stdio_of; 0, or -1 with why.
 * `start` (>= 0): the client's start time (/proc/PID/stat field 22), checked once the pidfd
 * holds the pid: then it was the client's when the pidfd was opened too, as a pid is never
 * given back to a process that has gone. */
static int take_stdio_of(pid_t pid, long long start, char *why, size_t len)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		snprintf(why, len, "--stdio-of %d: %s (has the client gone?)", pid, strerror(errno));
		return -1;
	}
	if (start >= 0 && proc_start_ticks(pid) != start) {
		snprintf(why, len,
			 "--stdio-of %d: the client has gone (its pid is not the process that "
			 "started at %lld)",
			 pid, start);
		close(pfd);
		return -1;
	}
	for (int fd = 0; fd < 3; fd++) {
		/* (O_CLOEXEC: pidfd_getfd sets it) */
		stdio_of[fd] = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
		if (stdio_of[fd] < 0) {
			int e = errno;
			snprintf(why, len, "--stdio-of %d: cannot take its %s: %s%s", pid,
				 fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr", strerror(e),
				 e == EBADF   ? " (it is closed: give the client one)"
				 : e == EPERM ? " (ptrace is restricted here: kernel.yama.ptrace_scope)"
					      : "");
			for (int k = 0; k < fd; k++) {
				close(stdio_of[k]);
				stdio_of[k] = -1;
			}
			close(pfd);
			return -1;
		}
	}
	close(pfd);
	return 0;
}

/* Commands released and still running when their session ended: reaped when they end. */
static pid_t earlier[256];
static int n_earlier;

static void reap_earlier(void)
{
	for (int i = 0; i < n_earlier;)
		if (waitpid(earlier[i], NULL, WNOHANG) != 0)
			earlier[i] = earlier[--n_earlier];
		else
			i++;
}

/* an array of maps whose update is the grace period (grace_init), and its inner map */
static int grace_outer = -1, grace_inner = -1;

/*
 * Makes grace_period() possible: 0, or -1 with why. Updating a map-in-map from user space
 * waits for an RCU grace period before it returns (kernel/bpf/syscall.c,
 * maybe_wait_bpf_programs: synchronize_rcu(), since Linux 4.19) on every kernel, nohz_full
 * too (where membarrier(2)'s MEMBARRIER_CMD_GLOBAL is EINVAL).
 */
static int grace_init(char *why, size_t len)
{
	grace_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_grace_in", 4, 4, 1, NULL);
	LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = grace_inner);
	if (grace_inner >= 0)
		grace_outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "sl_grace", 4, 4, 1, &o);
	if (grace_outer < 0) {
		snprintf(why, len, "no RCU grace period to wait for (an array of maps: %s)",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * One RCU grace period: every eBPF program that was running when it began has returned
 * (tracepoint and uprobe programs run inside an RCU read-side section), its records committed
 * to the ring buffer. 0, or -1 if the kernel refused the update (no grace period: said).
 */
static int grace_period(void)
{
	__u32 k = 0, v = (__u32)grace_inner;
	if (bpf_map_update_elem(grace_outer, &k, &v, BPF_ANY) == 0)
		return 0;
	fprintf(stderr, "sightline-loader: no RCU grace period (updating an array of maps: %s)\n",
		strerror(errno));
	return -1;
}

/*
 * Empties the traced set for good: cleared, then a grace period, again while a program that was
 * running at the clear (a fork of a traced process) set a bit after it. Once it returns 0 no
 * program traces anything, and every record of a traced process is in the ring buffers; -1 (said)
 * when that could not be made sure (no grace period, or bits set again round after round).
 */
static int untrace_all(void)
{
	size_t words = sizeof(skel->bss->traced_bits) / sizeof(skel->bss->traced_bits[0]);
	for (int round = 0; round < 16; round++) {
		int any = 0;
		for (size_t w = 0; w < words; w++)
			if (__atomic_load_n(&skel->bss->traced_bits[w], __ATOMIC_RELAXED)) {
				any = 1;
				__atomic_store_n(&skel->bss->traced_bits[w], 0, __ATOMIC_SEQ_CST);
			}
		if (!any && round)
			return 0;
		if (grace_period())
			return -1;
	}
	fprintf(stderr, "sightline-loader: the traced set was still being filled after 16 grace "
			"periods\n");
	return -1;
}

/* Deletes every entry of a hash map (keys listed first: deleting while walking skips some). */
static void clear_map(struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	size_t ks = bpf_map__key_size(m), n = 0, cap = 0;
	char *keys = NULL;
	if (fd < 0)
		return;
	for (;;) {
		if (n == cap) {
			char *more = realloc(keys, (cap = cap ? 2 * cap : 256) * ks);
			if (!more)
				break;
			keys = more;
		}
		if (bpf_map_get_next_key(fd, n ? keys + (n - 1) * ks : NULL, keys + n * ks))
			break;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ks);
	free(keys);
}

/* Writes one record to the server's connection (a reply to its `session` or `stop`). */
static void ctl_reply(__u32 id, int err, const char *text)
{
	int s = sock;
	size_t o = outlen;
	if (o) /* (the session's frames go first) */
		flush_out();
	sock = ctl;
	put_text(SL_K_REPLY, id, err, text);
	size_t done = 0;
	while (done < outlen) {
		ssize_t n = send(ctl, outbuf + done, outlen - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			quit = 1; /* the server is gone */
			break;
		}
		done += n;
	}
	outlen = 0;
	sock = s;
}

/* A session's command, user, directory, --stdio-of pid and environment (read_session). */
struct session_args {
	char *buf;
	char **argv, **env;
	long long uid, gid;
	char *cwd;
	pid_t stdio_pid;
	long long stdio_start;
};

/*
 * DIR/session: NUL-terminated fields UID GID CWD STDIO_PID STDIO_START ARGC ARGV... ENV... (UID
 * and GID -1 for none, CWD "" for none, STDIO_START -1 for unchecked). 0, or -1 with why.
 */
static int read_session(const char *dir, struct session_args *a, char *why, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%.91s/session", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_uid != 0 || (st.st_mode & 077) ||
	    st.st_size > (4 << 20)) {
		snprintf(why, len, "%s: %s", path, fd < 0 ? strerror(errno) : "not root's alone");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	a->buf = malloc(st.st_size + 1);
	ssize_t got = a->buf ? read(fd, a->buf, st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		snprintf(why, len, "%s: cannot read it", path);
		return -1;
	}
	a->buf[got] = 0;
	size_t n = 0;
	for (ssize_t i = 0; i < got; i++)
		n += !a->buf[i];
	char **f = calloc(n + 2, sizeof(*f));
	if (!f) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	size_t k = 0;
	for (char *p = a->buf; p < a->buf + got && k < n; p += strlen(p) + 1)
		f[k++] = p;
	long long argc = k >= 6 ? atoll(f[5]) : 0;
	if (k < 6 || argc < 1 || (size_t)argc > k - 6) {
		free(f);
		snprintf(why, len, "%s: not a session (no command)", path);
		return -1;
	}
	a->uid = atoll(f[0]);
	a->gid = atoll(f[1]);
	a->cwd = f[2][0] ? f[2] : NULL;
	a->stdio_pid = (pid_t)atoll(f[3]);
	a->stdio_start = atoll(f[4]);
	/* argv and env, each NULL-terminated, in one array: f[6..6+argc) NULL f[6+argc..k) NULL */
	char **v = calloc(k + 2, sizeof(*v));
	if (!v) {
		free(f);
		snprintf(why, len, "out of memory");
		return -1;
	}
	memcpy(v, f + 6, argc * sizeof(*v));
	memcpy(v + argc + 1, f + 6 + argc, (k - 6 - argc) * sizeof(*v));
	a->argv = v;
	a->env = v + argc + 1;
	free(f);
	return 0;
}

static void free_session(struct session_args *a)
{
	free(a->buf);
	free(a->argv);
	memset(a, 0, sizeof(*a));
	cmd_env = NULL;
}

/* Closes the session's uprobe links, each from a thread of its own (their grace periods
 * overlap), and waits for them. */
static void detach_links(void)
{
	static pthread_t th[MAX_LINKS];
	static int started[MAX_LINKS];
	for (int i = 0; i < n_links; i++) {
		started[i] = links[i] >= 0 &&
			     pthread_create(&th[i], NULL, close_link, (void *)(long)links[i]) == 0;
		if (!started[i] && links[i] >= 0)
			close(links[i]);
	}
	for (int i = 0; i < n_links; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	n_links = 0;
}

/*
 * Starts a session of a kept loader: its connection (hello), the client's stdio, the per-session
 * state reset, the gate reopened, the counters' base, the command forked (held at its exec
 * until `go`), SL_K_READY. 0, or -1 with why (nothing of it left).
 */
static int session_begin(const char *dir, struct session_args *a, __u32 missing, char *why,
			 size_t len)
{
	if (read_session(dir, a, why, len))
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.91s/loader.sock", dir);
	static const char hello[] = "SLHELLO " SL_EVENTS_HASH "\n";
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(sock, hello, sizeof(hello) - 1) != (ssize_t)(sizeof(hello) - 1)) {
		snprintf(why, len, "cannot connect to %s: %s", sa.sun_path, strerror(errno));
		if (sock >= 0)
			close(sock);
		sock = -1;
		return -1;
	}
	int sndbuf = 64 << 20;
	if (setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* the session's state, as a loader of its own starts with */
	child = -1;
	go_fd = err_fd = -1;
	tty = -1;
	child_status = child_errno = child_done = 0;
	child_stopped = in_background = 0;
	ended_at = gone_at = 0;
	stopping = 0;
	n_records = n_bytes = n_gated = 0;
	n_stopped = 0;
	n_links = 0;
	outlen = cmdlen = 0;
	stats_sent = 0;
	if (n_deferred) /* (session_end answers them all: never another session's) */
		drop_deferred("session start");
	__atomic_store_n(&skel->bss->sock_watch, 0, __ATOMIC_SEQ_CST);
	read_counters(&stats_base);
	__atomic_fetch_and(&skel->bss->gate_state, ~SL_GATE_CLOSED, __ATOMIC_SEQ_CST);
	gate_live = 1;
	if (a->stdio_pid && take_stdio_of(a->stdio_pid, a->stdio_start, why, len)) {
		put_text(SL_K_LOG, 0, -EXIT_USAGE, why);
		flush_out();
		return -1; /* (session_end closes the connection) */
	}
	cmd_env = a->env;
	sigset_t none;
	sigemptyset(&none);
	spawn(a->argv, a->uid < 0 ? (uid_t)-1 : (uid_t)a->uid, a->gid < 0 ? (gid_t)-1 : (gid_t)a->gid,
	      a->cwd, &none);
	struct sl_ready r;
	fill_hdr(&r.h, SL_K_READY);
	r.boot_to_real_ns = (__s64)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME));
	r.child_pid = child > 0 ? child : 0;
	r.ncpus = libbpf_num_possible_cpus();
	r.max_tls_bytes = skel->rodata->max_tls_bytes;
	r.version = VERSION;
	r.missing = missing;
	r._pad = 0;
	put_frame(&r, sizeof(r));
	flush_out();
	int fds[] = {sock, err_fd};
	for (unsigned i = 0; i < 2; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		if (fds[i] >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	phase("session started");
	return 0;
}

/*
 * Ends a kept loader's session as a loader of its own ends (the same drain, SL_K_CHILD and
 * stats), but keeps the programs: the commands that waited for a part answered, the traced set
 * emptied behind a grace period and the session's probes detached before the last drain (so
 * every record of this session reaches it, and nothing of it the next one), the stops
 * answered, the connection closed, the per-process maps and known files cleared (io_uring's
 * count of waiting requests 0 again, behind a grace period). A grace period that could not be
 * made sure of is said, and the kept loader ends after this session.
 */
static int untrace_failed; /* a session's end not made sure of: the kept loader ends */

static void session_end(struct ring_buffer *rb, int began)
{
	phase("session stopping");
	/* as a loader of its own stops: the attach and detach commands that waited for a part
	 * are answered on this session's connection, never left to the next session */
	tls_part_done();
	more_part_done();
	renice_at_go = 0;
	while (run_deferred())
		;
	if (n_deferred)
		drop_deferred("session end");
	close_gate();
	int unreleased = child > 0 && go_fd >= 0 && !child_done;
	end_unreleased();
	/* no program records for this session from here on, then its uprobes detached (a TLS
	 * return probe whose call began while traced records until then), and the last drain:
	 * every record of the session reaches it */
	if (untrace_all())
		untrace_failed = 1;
	__atomic_store_n(&skel->bss->sock_watch, 0, __ATOMIC_SEQ_CST);
	detach_links();
	ring_buffer__consume(rb);
	if (err_fd >= 0) {
		if (!unreleased) {
			int e = 0;
			if (read(err_fd, &e, sizeof(e)) == sizeof(e))
				child_errno = e;
		}
		epoll_ctl(ep, EPOLL_CTL_DEL, err_fd, NULL);
		close(err_fd);
		err_fd = -1;
	}
	if (began && (child_done || child_errno) && !unreleased) {
		struct sl_child c;
		fill_hdr(&c.h, SL_K_CHILD);
		c.h.pid = child;
		c.status = child_status;
		c.exec_errno = child_errno;
		put_frame(&c, sizeof(c));
	}
	if (began)
		send_stats(1);
	flush_out();
	resume_stopped();
	if (sock >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, sock, NULL);
		close(sock);
		sock = -1;
	}
	for (int fd = 0; fd < 3; fd++)
		if (stdio_of[fd] >= 0) {
			close(stdio_of[fd]);
			stdio_of[fd] = -1;
		}
	if (child > 0 && !child_done && n_earlier < (int)(sizeof(earlier) / sizeof(earlier[0])))
		earlier[n_earlier++] = child;
	child = -1;
	clear_map(skel->maps.known_files);
	clear_map(skel->maps.gate_stops);
	clear_map(skel->maps.tls_stash);
	clear_map(skel->maps.tls_seq);
	clear_map(skel->maps.dns_socks);
	clear_map(skel->maps.ipc_chans);
	clear_map(skel->maps.uring_waits);
	/* the programs that had looked an entry up have returned: the count is 0 (a completion on
	 * the host then costs one load again, not a lookup) */
	if (!untrace_failed && grace_period() == 0)
		__atomic_store_n(&skel->bss->uring_waiting, 0, __ATOMIC_SEQ_CST);
	else
		untrace_failed = 1;
	if (untrace_failed) { /* loud, and no next session on this loader */
		fprintf(stderr, "sightline-loader: a session's end could not be made sure of: this "
				"kept loader stops\n");
		quit = 1;
	}
	phase("session ended");
}

static char ctlbuf[4096];
static size_t ctllen;
/* the `session` asked for, when one is: a directory short enough for DIR/loader.sock */
static char session_dir[92];
static __u32 session_id;

/* Reads the server's commands; `idle`: no session runs (else a second one is refused). */
static void read_ctl(int idle)
{
	for (;;) {
		ssize_t n = recv(ctl, ctlbuf + ctllen, sizeof(ctlbuf) - 1 - ctllen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
			/* the server is gone: the session under way ends as if its client went */
			epoll_ctl(ep, EPOLL_CTL_DEL, ctl, NULL);
			quit = 1;
			if (!idle)
				capture_gone();
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		ctllen += n;
		ctlbuf[ctllen] = 0;
		char *start = ctlbuf, *nl;
		while ((nl = memchr(start, '\n', ctlbuf + ctllen - start))) {
			*nl = 0;
			unsigned id;
			char verb[16];
			int used = 0;
			if (sscanf(start, "%u %15s %n", &id, verb, &used) >= 2) {
				if (!strcmp(verb, "session") && used &&
				    strlen(start + used) >= sizeof(session_dir)) {
					ctl_reply(id, -ENAMETOOLONG, "the session's directory's name is too long");
				} else if (!strcmp(verb, "session") && idle && !session_dir[0] && used) {
					snprintf(session_dir, sizeof(session_dir), "%s", start + used);
					session_id = id;
				} else if (!strcmp(verb, "session")) {
					ctl_reply(id, -EBUSY, "a session is under way");
				} else if (!strcmp(verb, "stop")) {
					quit = 1;
					if (!idle)
						stopping = 1;
					ctl_reply(id, 0, "ok");
				} else {
					ctl_reply(id, -EINVAL, "unknown command");
				}
			}
			start = nl + 1;
		}
		ctllen -= start - ctlbuf;
		memmove(ctlbuf, start, ctllen);
		if (ctllen == sizeof(ctlbuf) - 1)
			ctllen = 0;
	}
}

/*
 * A kept loader's life once loaded: waits (no timer: an idle loader is never woken) for the
 * server's `session`, runs it, ends it, and again, until `stop`, SIGTERM or SIGHUP, or the
 * server's going.
 */
static int serve_sessions(struct ring_buffer *rb, int sfd, int tfd, int tls_fd, __u32 missing)
{
	struct itimerspec off = {{0, 0}, {0, 0}}, tick = {{POLL_IDLE_MS / 1000, 0},
							 {POLL_IDLE_MS / 1000, 0}};
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ctl};
	epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev);
	while (!quit) {
		timerfd_settime(tfd, 0, &off, NULL);
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "sightline-loader: waiting for a session: %s\n", strerror(errno));
			return EXIT_LOAD;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ctl) {
				read_ctl(1);
			} else if (fd == sfd) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == sizeof(si))
					if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)
						quit = 1;
				reap_earlier();
			} else if (fd == tls_fd) {
				epoll_ctl(ep, EPOLL_CTL_DEL, tls_fd, NULL);
				tls_part_done();
			} else if (fd == parts[PART_TLS_MORE].ready_fd) {
				more_part_done();
			}
		}
		ring_buffer__consume(rb); /* (nothing is traced: nothing comes) */
		if (quit || !session_dir[0])
			continue;
		struct session_args a = {0};
		char why[512];
		phase("session");
		int began = session_begin(session_dir, &a, missing, why, sizeof(why)) == 0;
		if (began || sock >= 0) {
			if (began) {
				timerfd_settime(tfd, 0, &tick, NULL);
				run_loop(rb, sfd, tfd, tls_fd, -1);
			}
			session_end(rb, began);
		}
		free_session(&a);
		session_dir[0] = 0;
		ctl_reply(session_id, began ? 0 : -EINVAL, began ? "ended" : why);
	}
	return untrace_failed ? EXIT_LOAD : 0;
}

/* ------------------------------------------------------------------ main */

/* A decimal number from MIN to MAX given to NAME, or a one-line error (never read as 0). */
static long long num_arg(const char *name, const char *arg, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "sightline-loader: %s %s: not a number from %lld to %lld\n", name, arg,
			min, max);
		exit(EXIT_USAGE);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sightline-loader --sock PATH [--max-tls-bytes N] [--comm NAME] [--pid N]...\n"
		"                        [--no-gate] [--uid N --gid N] [--cwd DIR] [--events-mb N]\n"
		"                        [--tls-mb N] [--no-ipc] [--stdio-of PID [--stdio-start TICKS]]\n"
		"                        [-- CMD ARGS...]\n"
		"       sightline-loader --serve-sock PATH [--max-tls-bytes N] [--no-gate] [--no-ipc]\n"
		"                        [--events-mb N] [--tls-mb N]\n"
		"       sightline-loader --layout\n");
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	const char *sock_path = NULL, *comm = NULL, *cwd = NULL;
	unsigned long max_tls = 256 * 1024, events_mb = 4, tls_mb = 8;
	pid_t pids[64], stdio_pid = 0;
	long long stdio_start = -1;
	int n_pids = 0, gate = 1, ipc = 1;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	static struct option opts[] = {
		{"sock", required_argument, 0, 's'},   {"max-tls-bytes", required_argument, 0, 'm'},
		{"comm", required_argument, 0, 'c'},   {"pid", required_argument, 0, 'p'},
		{"no-gate", no_argument, 0, 'G'},      {"uid", required_argument, 0, 'u'},
		{"gid", required_argument, 0, 'g'},    {"cwd", required_argument, 0, 'd'},
		{"events-mb", required_argument, 0, 'E'}, {"tls-mb", required_argument, 0, 'T'},
		{"layout", no_argument, 0, 'L'},       {"btf-id", required_argument, 0, 'B'},
		{"probe-hooks", no_argument, 0, 'H'},
		{"no-ipc", no_argument, 0, 'I'},
		{"watchdog", no_argument, 0, 'W'},
		{"stdio-of", required_argument, 0, 'S'},
		{"serve-sock", required_argument, 0, 'P'},
		{"stdio-start", required_argument, 0, 'R'},
		{0, 0, 0, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 's': sock_path = optarg; break;
		case 'P':
			sock_path = optarg;
			persistent = 1;
			break;
		case 'm': max_tls = strtoul(optarg, NULL, 0); break;
		case 'c': comm = optarg; break;
		case 'p':
			if (n_pids < 64)
				pids[n_pids++] = atoi(optarg);
			break;
		case 'G': gate = 0; break;
		case 'I': ipc = 0; break;
		case 'u': uid = (uid_t)num_arg("--uid", optarg, 0, 4294967294LL); break;
		case 'g': gid = (gid_t)num_arg("--gid", optarg, 0, 4294967294LL); break;
		case 'd': cwd = optarg; break;
		case 'S': stdio_pid = (pid_t)num_arg("--stdio-of", optarg, 2, 4194304); break;
		case 'R': stdio_start = num_arg("--stdio-start", optarg, 0, LLONG_MAX); break;
		case 'E': events_mb = strtoul(optarg, NULL, 0); break;
		case 'T': tls_mb = strtoul(optarg, NULL, 0); break;
		case 'L': print_layout(); return 0;
		case 'H': return probe_hooks();
		case 'W': return sl_watchdog_main();
		case 'B': {
			char id[64];
			if (btf_id(optarg, id, sizeof(id))) {
				fprintf(stderr, "sightline-loader: %s: %s\n", optarg, strerror(errno));
				return EXIT_USAGE;
			}
			printf("%s\n", id);
			return 0;
		}
		default: usage();
		}
	}
	char **cmd = optind < argc ? argv + optind : NULL;
	if (!sock_path || (!cmd && !n_pids && !comm && !persistent) ||
	    (persistent && (cmd || n_pids || comm || stdio_pid || uid != (uid_t)-1 ||
			    gid != (gid_t)-1 || cwd)))
		usage();
	if (persistent) { /* a session's records its own: only behind a grace period */
		char why[256];
		if (grace_init(why, sizeof(why)) || grace_period())
			die(EXIT_LOAD, "a kept loader cannot keep sessions apart here: %s",
			    grace_outer < 0 ? why : "no RCU grace period");
	}
	/* the kernel keeps a comm's first 15 bytes: a longer --comm is matched by those, by the
	 * processes already running (trace_existing) as by the kernel side */
	static char comm_kept[SL_COMM_LEN];
	if (comm) {
		snprintf(comm_kept, sizeof(comm_kept), "%s", comm);
		comm = comm_kept;
	}
	if (max_tls < 1 || max_tls > (1UL << 30))
		die(EXIT_USAGE, "--max-tls-bytes must be between 1 and 1 GiB");
	/* ring buffers: a power of two of pages; the loader maps each twice, so they are most of
	 * its memory (reports/bench/capture.md has how large they need to be) */
	if (!events_mb || events_mb > 1024 || (events_mb & (events_mb - 1)) || !tls_mb ||
	    tls_mb > 1024 || (tls_mb & (tls_mb - 1)))
		die(EXIT_USAGE, "--events-mb and --tls-mb must be powers of two from 1 to 1024");

	const char *dbg = getenv("SIGHTLINE_DEBUG"); /* set: phase timings; 2: verifier stats too */
	debug = dbg ? (atoi(dbg) > 1 ? atoi(dbg) : 1) : 0;
	const char *t0 = getenv("SIGHTLINE_DEBUG_T0");
	if (t0) {
		phase_t0_ms = strtod(t0, NULL);
		phase_realtime = 1;
		unsetenv("SIGHTLINE_DEBUG_T0"); /* not the traced command's */
	}
	const char *delay = getenv("SIGHTLINE_TEST_DETACH_DELAY_MS");
	if (delay) {
		detach_delay_ms = atoi(delay);
		unsetenv("SIGHTLINE_TEST_DETACH_DELAY_MS");
	}
	phase("start");
	/* From the start, the signals that end or interrupt a capture wait for the main loop's
	 * signalfd: a SIGTERM (the capture's, or the PDEATHSIG below) or SIGHUP while the programs
	 * load ends the loader there, in order (an unreleased command killed and reaped), and the
	 * terminal's Ctrl-C, sent to the capture's process group, is the capture's to answer,
	 * never the death of a loader half loaded. */
	sigset_t mask, orig;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigaddset(&mask, SIGCONT); /* `fg`, `bg`: passed on to a command stopped for job control */
	sigprocmask(SIG_BLOCK, &mask, &orig);
	prctl(PR_SET_PDEATHSIG, SIGTERM);

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		sock = -1;
		die(EXIT_SOCK, "cannot connect to %s: %s", sock_path, strerror(e));
	}
	/* The handshake, before any record: the events.h this loader was built from. The capture
	 * refuses a loader whose records it would misread (a build older than the sources). */
	static const char hello[] = "SLHELLO " SL_EVENTS_HASH "\n";
	if (write(sock, hello, sizeof(hello) - 1) != (ssize_t)(sizeof(hello) - 1)) {
		int e = errno;
		sock = -1;
		die(EXIT_SOCK, "cannot write to %s: %s", sock_path, strerror(e));
	}
	/* A deep socket buffer rides out the capture process's pauses (as root: beyond
	 * net.core.wmem_max). It is the backlog, not the ring buffers: kernel memory taken only
	 * while the capture process lags, where the rings are resident (and mapped twice into the
	 * loader) all the time, so they are kept small (--events-mb, --tls-mb). */
	int sndbuf = 64 << 20;
	if (setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* the watchdog's connection, for its report (it alone holds it, once started) */
	int wd_report = -1;
	if (gate) {
		wd_report = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (wd_report < 0 || connect(wd_report, (struct sockaddr *)&sa, sizeof(sa)))
			die(EXIT_SOCK, "cannot connect to %s (the watchdog's connection): %s", sock_path,
			    strerror(errno));
	}
	if (stdio_pid) {
		/* the client's fds, taken now: one that has gone is said before anything loads */
		char why[256];
		if (take_stdio_of(stdio_pid, stdio_start, why, sizeof(why)))
			die(EXIT_USAGE, "%s", why);
	}

	if (access(KERNEL_BTF, R_OK))
		die(EXIT_NOBTF, "no kernel BTF at /sys/kernel/btf/vmlinux: this kernel was built "
				"without CONFIG_DEBUG_INFO_BTF, which Sightline's CO-RE programs need");
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		put_text(SL_K_LOG, 0, 0, "tracefs is not mounted and could not be mounted");

	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	setrlimit(RLIMIT_MEMLOCK, &rl);
	libbpf_set_print(libbpf_print);

	btf_path = min_btf();
	phase(btf_path ? "kernel BTF unchanged: relocating against the minimal BTF"
		       : "relocating against the kernel's BTF");
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
	skel = sightline__open_opts(&open_opts);
	if (!skel)
		die(EXIT_LOAD, "cannot open the eBPF object: %s", strerror(errno));
	skel->rodata->max_tls_bytes = max_tls;
	skel->rodata->gate_enabled = gate;
	skel->rodata->ipc_enabled = ipc;
	if (comm) {
		size_t cl = strlen(comm);
		if (cl >= SL_COMM_LEN)
			cl = SL_COMM_LEN - 1; /* the kernel keeps 15 characters of a comm */
		memcpy((char *)skel->rodata->target_comm, comm, cl);
		skel->rodata->target_comm_len = cl;
	}
	bpf_map__set_max_entries(skel->maps.rb_events, events_mb << 20);
	bpf_map__set_max_entries(skel->maps.rb_tls, tls_mb << 20);
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false); /* the maps only: the parts load programs */
	phase("opened");
	if (sightline__load(skel))
		load_failed(errno);
	phase("maps created");
	/* before the first program can stop anything */
	if (gate) {
		wd_pipe = sl_watchdog_start(bpf_map__fd(skel->maps.gate_stops),
					    bpf_map__fd(skel->maps.bss), wd_report);
		if (wd_pipe < 0)
			die(EXIT_LOAD, "cannot start the gate's watchdog: %s", strerror(errno));
		close(wd_report);
		phase("watchdog started");
	}
	libbpf_num_possible_cpus(); /* cached before the threads */
	parts[PART_TLS].ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	start_part(PART_TLS);
	start_part(PART_KERNEL);
	join_part(PART_KERNEL);
	phase("loaded");
	/* with a command and the gate, the TLS part yields until the command is released */
	renice_at_go = cmd && gate;
	if (!renice_at_go) {
		part_priority(PART_TLS, 0);
		part_priority(PART_TLS_MORE, 0);
	}
	gate_live = 1; /* from the first program attached */
	if (sightline__attach(parts[PART_KERNEL].s)) {
		int e = errno;
		if (debug)
			fprintf(stderr, "%s", libbpf_log);
		die(e == EPERM ? EXIT_PERM : EXIT_LOAD, "attaching the eBPF programs failed: %s",
		    strerror(e));
	}
	__u32 missing = attach_optional();
	if (persistent)
		tls_part_done(); /* loaded before the first session, not during it */

	phase("attached");
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	pid_t target = -1;
	int pidfd = -1;
	for (int i = 0; i < n_pids; i++) {
		if (kill(pids[i], 0) && errno == ESRCH)
			die(EXIT_USAGE, "no process with pid %d", pids[i]);
		trace_existing(pids[i], NULL);
	}
	if (n_pids) {
		target = pids[0];
		pidfd = syscall(SYS_pidfd_open, target, 0);
	}
	if (comm)
		trace_existing(-1, comm);
	if (cmd && !stdio_pid && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
		tty = STDIN_FILENO;
		signal(SIGTTOU, SIG_IGN); /* taking the terminal back from the background */
		signal(SIGTSTP, SIG_IGN); /* stopping its job, the loader goes on (child_stopped_by) */
		signal(SIGTTIN, SIG_IGN);
	}
	if (cmd)
		spawn(cmd, uid, gid, cwd, &orig);

	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb_events), on_record,
						  NULL, NULL);
	if (!rb || ring_buffer__add(rb, bpf_map__fd(skel->maps.rb_tls), on_record, NULL))
		die(EXIT_LOAD, "cannot set up the ring buffers: %s", strerror(errno));

	struct sl_ready r;
	fill_hdr(&r.h, SL_K_READY);
	r.boot_to_real_ns = (__s64)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME));
	r.child_pid = child > 0 ? child : 0;
	r.ncpus = libbpf_num_possible_cpus();
	r.max_tls_bytes = max_tls;
	r.version = VERSION;
	r.missing = missing;
	r._pad = 0;
	put_frame(&r, sizeof(r));
	flush_out();

	if (persistent) { /* loaded: the server's connection from now on, sessions their own */
		if (sock < 0)
			exit(EXIT_SOCK); /* the server went while it loaded */
		ctl = sock;
		sock = -1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {{POLL_IDLE_MS / 1000, 0}, {POLL_IDLE_MS / 1000, 0}};
	timerfd_settime(tfd, 0, &its, NULL);
	int tls_fd = parts[PART_TLS].ready_fd;
	/* the signalfd before the socket: a signal and a `go` both pending as the loop starts are
	 * read in that order (epoll lists what is ready at its adding in the order added), so a
	 * SIGTERM or SIGHUP that came first ends an unreleased command before the `go` runs it */
	int fds[] = {sfd, ring_buffer__epoll_fd(rb), sock, tfd, err_fd, pidfd, tls_fd};
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] < 0)
			continue;
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}

	if (persistent) {
		int rc = serve_sessions(rb, sfd, tfd, tls_fd, missing);
		phase("stopping");
		close(ctl);
		teardown(rb);
		phase("destroyed");
		return rc;
	}
	run_loop(rb, sfd, tfd, tls_fd, pidfd);

	phase("stopping");
	tls_part_done(); /* the attach commands that waited for it are answered, as before */
	more_part_done();
	renice_at_go = 0;
	while (run_deferred())
		;
	/* Nobody will answer a stop after the drain: the gate stops nothing from here on, and what
	 * it stopped so far is in the ring buffer, resumed below once drained. */
	close_gate();
	detach_start();
	/* the command never released and still waiting (one that ended by itself is said) */
	int unreleased = child > 0 && go_fd >= 0 && !child_done;
	end_unreleased(); /* released never: do not leave it waiting (nor this loader on it) */
	/* Drain what the kernel already produced, then say how it ended. */
	ring_buffer__consume(rb);
	if (err_fd >= 0 && !unreleased) {
		int e = 0;
		if (read(err_fd, &e, sizeof(e)) == sizeof(e))
			child_errno = e;
	}
	if ((child_done || child_errno) && !unreleased) {
		struct sl_child c;
		fill_hdr(&c.h, SL_K_CHILD);
		c.h.pid = child > 0 ? child : target;
		c.status = child_status;
		c.exec_errno = child_errno;
		put_frame(&c, sizeof(c));
	}
	send_stats(1);
	flush_out();
	phase("drained");
	resume_stopped();
	/* Everything is delivered: let the capture process finish while we detach. */
	if (sock >= 0)
		close(sock);
	teardown(rb);
	phase("destroyed");
	return 0;
}
