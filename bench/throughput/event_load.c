/*
 * event_load: generates kernel events for the capture throughput benchmark at a set rate.
 *
 *   event_load files DIR COUNT RATE   COUNT times open(O_CREAT)+close+unlink of DIR/f
 *                                     (2 recorded file events per iteration)
 *   event_load trickle DIR COUNT RATE the same as files, evenly spaced (a sleep before each
 *                                     iteration): a trickle, like an agent waiting for its
 *                                     model (bench/throughput/trickle.ts)
 *   event_load exec COUNT RATE        COUNT times fork + exec /bin/true + wait
 *                                     (fork, exec and exit process events per iteration)
 *   event_load sys OP COUNT [REPS]    COUNT times one plain system call, as fast as possible:
 *                                     getpid(2), openat(2)+close(2) of /dev/null, read(2)
 *                                     of one byte of /dev/zero or write(2) of one byte to
 *                                     /dev/null (OP: getpid, open, read, write);
 *                                     also prints the thread's CPU time (cpu_ns), which
 *                                     other processes' load inflates less than wall time;
 *                                     with REPS, that many loops of COUNT, and also the
 *                                     CPU time of the fastest of them (min_cpu_ns; a burst
 *                                     of the other CPU's load slows the one it overlaps)
 *   event_load tcp ADDR PORT FIRST COUNT SIZE
 *                                     connects to ADDR:PORT (IPv4; a sink that reads and
 *                                     discards), sends FIRST's opening (tls: a TLS ClientHello
 *                                     record's header and 64 bytes; http: a chunked POST's head;
 *                                     raw: 64 bytes of 'x'), then COUNT write(2)s of SIZE bytes
 *                                     as fast as possible, timed (elapsed_ns, cpu_ns) from the
 *                                     first of them
 *
 * RATE is iterations per second (0: as fast as possible); pacing sleeps in small steps so the
 * rate holds over the whole run. Prints one JSON line: iterations, events, elapsed_ns and
 * end_ms (wall clock at the end, to compare with the capture's end).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps until iteration i is due at `rate` per second since t0. */
static void pace(long long t0, long i, double rate)
{
	if (rate <= 0 || (i & 63))
		return;
	long long due = t0 + (long long)(i / rate * 1e9);
	long long now = now_ns();
	if (due > now) {
		struct timespec ts = {(due - now) / 1000000000LL, (due - now) % 1000000000LL};
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	int trickle = argc == 5 && strcmp(argv[1], "trickle") == 0;
	if (argc == 5 && (trickle || strcmp(argv[1], "files") == 0)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/f", argv[2]);
		long n = atol(argv[3]);
		double rate = atof(argv[4]);
		long long t0 = now_ns();
		for (long i = 0; i < n; i++) {
			pace(t0, trickle ? i * 64 : i, trickle ? rate * 64 : rate);
			int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
			if (fd < 0) {
				perror("event_load: open");
				return 1;
			}
			close(fd);
			unlink(path);
		}
		printf("{\"iterations\": %ld, \"events\": %ld, \"elapsed_ns\": %lld, \"end_ms\": %lld}\n",
		       n, 2 * n, now_ns() - t0, wall_ms());
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "exec") == 0) {
		long n = atol(argv[2]);
		double rate = atof(argv[3]);
		long long t0 = now_ns();
		for (long i = 0; i < n; i++) {
			pace(t0, i, rate);
			pid_t p = fork();
			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			int st;
			waitpid(p, &st, 0);
		}
		printf("{\"iterations\": %ld, \"events\": %ld, \"elapsed_ns\": %lld, \"end_ms\": %lld}\n",
		       n, 3 * n, now_ns() - t0, wall_ms());
		return 0;
	}
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "sys") == 0) {
		const char *op = argv[2];
		long n = atol(argv[3]);
		long reps = argc == 5 ? atol(argv[4]) : 1;
		char b = 0;
		int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (zero < 0 || null < 0 || reps < 1 ||
		    (strcmp(op, "getpid") && strcmp(op, "open") && strcmp(op, "read") &&
		     strcmp(op, "write"))) {
			fprintf(stderr, "event_load: sys getpid|open|read|write COUNT [REPS]\n");
			return 2;
		}
		long long t0 = now_ns(), c0 = cpu_ns(), fastest = -1;
		for (long r = 0; r < reps; r++) {
			long long cr = cpu_ns();
			if (!strcmp(op, "getpid")) {
				for (long i = 0; i < n; i++)
					syscall(SYS_getpid);
			} else if (!strcmp(op, "open")) {
				for (long i = 0; i < n; i++)
					close(openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC));
			} else if (!strcmp(op, "write")) {
				for (long i = 0; i < n; i++)
					if (write(null, &b, 1) != 1)
						return 1;
			} else {
				for (long i = 0; i < n; i++)
					if (read(zero, &b, 1) != 1)
						return 1;
			}
			long long took = cpu_ns() - cr;
			if (fastest < 0 || took < fastest)
				fastest = took;
		}
		long long c1 = cpu_ns(), t1 = now_ns();
		printf("{\"iterations\": %ld, \"events\": 0, \"elapsed_ns\": %lld, \"cpu_ns\": %lld, "
		       "\"min_cpu_ns\": %lld, \"end_ms\": %lld}\n", n * reps, t1 - t0, c1 - c0,
		       fastest, wall_ms());
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "tcp") == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
		long n = atol(argv[5]);
		size_t size = atol(argv[6]);
		char buf[65536], first[256];
		size_t first_len;
		if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1 || size < 1 || size > sizeof(buf)) {
			fprintf(stderr, "event_load: tcp ADDR PORT tls|http|raw COUNT SIZE\n");
			return 2;
		}
		if (!strcmp(argv[4], "tls")) {
			memcpy(first, "\x16\x03\x01\x00\x40", 5);
			memset(first + 5, 'x', 64);
			first_len = 69;
		} else if (!strcmp(argv[4], "http")) {
			first_len = snprintf(first, sizeof(first),
					     "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\n"
					     "Transfer-Encoding: chunked\r\n\r\n", argv[2]);
		} else {
			memset(first, 'x', 64);
			first_len = 64;
		}
		memset(buf, 'x', size);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("event_load: connect");
			return 1;
		}
		if (write(fd, first, first_len) != (ssize_t)first_len)
			return 1;
		long long t0 = now_ns(), c0 = cpu_ns();
		for (long i = 0; i < n; i++)
			if (write(fd, buf, size) != (ssize_t)size) {
				perror("event_load: write");
				return 1;
			}
		long long c1 = cpu_ns(), t1 = now_ns();
		close(fd);
		printf("{\"iterations\": %ld, \"events\": 0, \"elapsed_ns\": %lld, \"cpu_ns\": %lld, "
		       "\"end_ms\": %lld}\n", n, t1 - t0, c1 - c0, wall_ms());
		return 0;
	}
	fprintf(stderr, "usage: event_load files DIR COUNT RATE | event_load exec COUNT RATE | "
			"event_load sys OP COUNT [REPS] | event_load tcp ADDR PORT FIRST COUNT SIZE\n");
	return 2;
}
