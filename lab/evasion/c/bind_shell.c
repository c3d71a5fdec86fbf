/* A bind shell's network half: a TCP socket bound to 127.0.0.1:47191, listening, accepting a
 * connection (its child connects) with accept4 and then accept. */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = inet_addr_of("127.0.0.1", 47191);
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 4))
		die("bind/listen");
	pid_t child = fork();
	if (child == 0) {
		for (int i = 0; i < 2; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(c, (void *)&a, sizeof(a)))
				die("connect");
			close(c);
		}
		_exit(0);
	}
	if (accept4(l, NULL, NULL, SOCK_CLOEXEC) < 0 || accept(l, NULL, NULL) < 0)
		die("accept");
	waitpid(child, NULL, 0);
	return 0;
}
