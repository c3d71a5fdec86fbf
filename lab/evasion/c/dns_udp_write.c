/* A DNS question written with write(2) on a UDP socket connected to 127.0.0.1:53, as Go's
 * resolver sends its questions (no sendto, sendmsg or sendmmsg). */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ns = inet_addr_of("127.0.0.1", 53);
	if (connect(u, (struct sockaddr *)&ns, sizeof(ns)))
		die("connect");
	unsigned char q[512];
	size_t n = dns_query(q, "udp-write.evasion.test");
	if (write(u, q, n) != (ssize_t)n)
		die("write");
	return 0;
}
