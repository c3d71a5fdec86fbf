/* io_uring networking (argv[2]): `connect` to a listener of its own on 127.0.0.1:47195; `listen`:
 * bind, listen and accept a connection from its child through io_uring; `dns`: DNS questions
 * sent to 127.0.0.1:53 with send (an address) and sendmsg. */
#include "evade.h"

static int listener(struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t l = sizeof(*a);
	int one = 1;
	*a = inet_addr_of("127.0.0.1", 47195);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (void *)a, l) || listen(s, 4) || getsockname(s, (void *)a, &l))
		die("listener");
	return s;
}

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (argc < 3)
		die("usage: uring_net DIR connect|listen|dns");
	struct ring r;
	ring_init(&r, 0);
	struct io_uring_sqe s;
	if (!strcmp(argv[2], "connect")) {
		struct sockaddr_in a;
		listener(&a);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		s = sqe_of(IORING_OP_CONNECT, c);
		s.addr = (uintptr_t)&a;
		s.off = sizeof(a); /* addr2: the address length */
		check(ring_run(&r, &s), "io_uring connect");
	} else if (!strcmp(argv[2], "listen")) {
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = inet_addr_of("127.0.0.1", 47193);
		int one = 1;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		s = sqe_of(OP_BIND, l);
		s.addr = (uintptr_t)&a;
		s.off = sizeof(a);
		check(ring_run(&r, &s), "io_uring bind");
		s = sqe_of(OP_LISTEN, l);
		s.len = 4;
		check(ring_run(&r, &s), "io_uring listen");
		pid_t child = fork();
		if (child == 0) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(c, (void *)&a, sizeof(a)))
				die("connect");
			_exit(0);
		}
		s = sqe_of(IORING_OP_ACCEPT, l);
		check(ring_run(&r, &s), "io_uring accept");
		waitpid(child, NULL, 0);
	} else if (!strcmp(argv[2], "dns")) {
		unsigned char q[512];
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ns = inet_addr_of("127.0.0.1", 53);
		size_t n = dns_query(q, "uring-send.evasion.test");
		s = sqe_of(IORING_OP_SEND, u);
		s.addr = (uintptr_t)q;
		s.len = n;
		s.addr2 = (uintptr_t)&ns; /* sendto's address (Linux 6.10) */
		s.addr_len = sizeof(ns);
		check(ring_run(&r, &s), "io_uring send");
		n = dns_query(q, "uring-sendmsg.evasion.test");
		struct iovec iov = {q, n};
		struct msghdr m = {.msg_name = &ns, .msg_namelen = sizeof(ns), .msg_iov = &iov,
				   .msg_iovlen = 1};
		s = sqe_of(IORING_OP_SENDMSG, u);
		s.addr = (uintptr_t)&m;
		check(ring_run(&r, &s), "io_uring sendmsg");
	} else {
		die("unknown op");
	}
	return 0;
}
