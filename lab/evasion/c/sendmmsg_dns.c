/* DNS questions for A and AAAA sent together with sendmmsg to 127.0.0.1:53 (as glibc's
 * resolver does), and a datagram to another port with sendto (not recorded: reported). */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ns = inet_addr_of("127.0.0.1", 53);
	unsigned char q1[512], q2[512];
	size_t n1 = dns_query(q1, "mmsg-one.evasion.test");
	size_t n2 = dns_query(q2, "mmsg-two.evasion.test");
	struct iovec v1 = {q1, n1}, v2 = {q2, n2};
	struct mmsghdr m[2];
	memset(m, 0, sizeof(m));
	m[0].msg_hdr = (struct msghdr){.msg_name = &ns, .msg_namelen = sizeof(ns), .msg_iov = &v1,
				       .msg_iovlen = 1};
	m[1].msg_hdr = (struct msghdr){.msg_name = &ns, .msg_namelen = sizeof(ns), .msg_iov = &v2,
				       .msg_iovlen = 1};
	if (sendmmsg(u, m, 2, 0) != 2)
		die("sendmmsg");
	return 0;
}
