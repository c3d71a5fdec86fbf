/* SPDX-License-Identifier: MIT */
/*
 * evade.h: what the evasion programs share: failing loudly, and a minimal io_uring made of the
 * raw system calls (io_uring_setup, mmap of the rings, io_uring_enter), so that no library
 * stands between a program and the kernel.
 *
 * Each program does one thing an agent's tool could do to act unseen, in the directory it is
 * given (argv[1]), and exits 0 when the kernel did it: a capture that misses it is a blind
 * spot, not a broken program.
 */
#ifndef EVADE_H
#define EVADE_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* opcodes newer than the installed uapi headers (Linux 6.1): include/uapi/linux/io_uring.h */
#define OP_FTRUNCATE 55
#define OP_BIND 56
#define OP_LISTEN 57

static __attribute__((unused, noreturn)) void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

/* Fails with `what` when a kernel result is a negative errno. */
static __attribute__((unused)) long check(long res, const char *what)
{
	if (res < 0) {
		errno = (int)-res;
		die(what);
	}
	return res;
}

/* Changes to the directory the program works in (argv[1]). */
static __attribute__((unused)) void work_in(int argc, char **argv)
{
	if (argc < 2 || chdir(argv[1]))
		die("usage: PROGRAM DIR (a directory to work in)");
}

struct ring {
	int fd;
	unsigned flags;
	unsigned *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static __attribute__((unused)) void ring_init(struct ring *r, unsigned flags)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.sq_thread_idle = 1000;
	r->flags = flags;
	r->fd = syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		die("io_uring_setup");
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cq_len > sq_len)
		sq_len = cq_len;
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		die("mmap sq ring");
	char *cq = sq; /* IORING_FEAT_SINGLE_MMAP (5.4+) */
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		die("mmap sqes");
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* Submits one request and waits for its completion; returns its result. */
static __attribute__((unused)) int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail;
	unsigned i = tail & *r->sq_mask;
	r->sqes[i] = *sqe;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	unsigned enter = IORING_ENTER_GETEVENTS, submit = 1;
	if (r->flags & IORING_SETUP_SQPOLL) { /* the kernel's thread submits it */
		submit = 0;
		if (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
			enter |= IORING_ENTER_SQ_WAKEUP;
	}
	for (;;) {
		unsigned head = *r->cq_head;
		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
			int res = r->cqes[head & *r->cq_mask].res;
			__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
			return res;
		}
		if (syscall(__NR_io_uring_enter, r->fd, submit, 1, enter, NULL, 0) < 0 && errno != EINTR)
			die("io_uring_enter");
		submit = 0;
	}
}

/* A zeroed request. */
static __attribute__((unused)) struct io_uring_sqe sqe_of(int opcode, int fd)
{
	struct io_uring_sqe s;
	memset(&s, 0, sizeof(s));
	s.opcode = opcode;
	s.fd = fd;
	return s;
}

/* A DNS question for `name` (type A), as a resolver sends it; returns its length. */
static __attribute__((unused)) size_t dns_query(unsigned char *out, const char *name)
{
	static const unsigned char hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = sizeof(hdr);
	memcpy(out, hdr, n);
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (unsigned char)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = 0, out[n++] = 1; /* A */
	out[n++] = 0, out[n++] = 1; /* IN */
	return n;
}

static __attribute__((unused)) struct sockaddr_in inet_addr_of(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#endif /* EVADE_H */
