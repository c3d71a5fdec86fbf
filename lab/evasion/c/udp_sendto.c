/* A datagram sent with sendto to 127.0.0.1:47199 without connect: data leaving by UDP to a
 * port other than 53 is not recorded (the `datagrams` blind spot). */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = inet_addr_of("127.0.0.1", 47199);
	static const char secret[] = "contents of a secret";
	if (sendto(u, secret, sizeof(secret), 0, (void *)&a, sizeof(a)) < 0)
		die("sendto");
	return 0;
}
