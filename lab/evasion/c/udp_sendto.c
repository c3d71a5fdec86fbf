/* A datagram sent with sendto to 127.0.0.1:47199 without connect: data leaving by UDP to a
 * port other than 53 is not recorded (the `datagrams` blind spot). With `dns`: DNS questions
 * to a resolver on another port instead, by sendto to 127.0.0.1:5353 and by send on a socket
 * connected to another port of 127.0.0.1 (recorded: read as DNS by their format). */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (argc > 2 && strcmp(argv[2], "dns") == 0) {
		unsigned char q[512];
		struct sockaddr_in a = inet_addr_of("127.0.0.1", 5353);
		size_t n = dns_query(q, "port-5353.evasion.test");
		if (sendto(u, q, n, 0, (void *)&a, sizeof(a)) < 0)
			die("sendto");
		/* a receiver on a port of its own, so that the connected socket's send is not
		 * refused */
		int r = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ra = inet_addr_of("127.0.0.1", 0);
		socklen_t rl = sizeof(ra);
		if (bind(r, (void *)&ra, sizeof(ra)) || getsockname(r, (void *)&ra, &rl))
			die("bind");
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(c, (void *)&ra, sizeof(ra)))
			die("connect");
		n = dns_query(q, "connected-port.evasion.test");
		if (send(c, q, n, 0) < 0)
			die("send");
		return 0;
	}
	struct sockaddr_in a = inet_addr_of("127.0.0.1", 47199);
	static const char secret[] = "contents of a secret";
	if (sendto(u, secret, sizeof(secret), 0, (void *)&a, sizeof(a)) < 0)
		die("sendto");
	return 0;
}
