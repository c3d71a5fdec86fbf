/* DNS over TCP: a question to 127.0.0.77:53 (its child answers nothing, it only listens),
 * sent as glibc does (length and question in one writev) and as two writes. */
#include "evade.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
	work_in(argc, argv);
	struct sockaddr_in ns = inet_addr_of("127.0.0.77", 53);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (void *)&ns, sizeof(ns)) || listen(l, 4))
		die("listen on 127.0.0.77:53");
	unsigned char q[512];
	unsigned char len[2];
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&ns, sizeof(ns)))
		die("connect");
	size_t n = dns_query(q, "tcp-writev.evasion.test");
	len[0] = n >> 8, len[1] = n & 0xff;
	struct iovec iov[2] = {{len, 2}, {q, n}};
	if (writev(c, iov, 2) != (ssize_t)(n + 2))
		die("writev");
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&ns, sizeof(ns)))
		die("connect");
	n = dns_query(q, "tcp-write.evasion.test");
	len[0] = n >> 8, len[1] = n & 0xff;
	if (write(c, len, 2) != 2 || write(c, q, n) != (ssize_t)n)
		die("write");
	close(c);
	return 0;
}
